//! What a recording event reports: the one table of Tencent's status codes
//! (<https://trtc.io/document/54914>) and the questions users ask of it.

use super::RecordingPayload;

/// How a documented status reads: a step that went as intended, one that did not, or a
/// notice that is neither (a stop reason, a new file, a paused page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Success,
    Failure,
    Notice,
}

impl RecordingPayload {
    /// The one table: what Tencent documents for this event type and status code, or
    /// `None` for a code it does not document (or a missing one) and for unknown types.
    #[rustfmt::skip]
    fn documented(&self) -> Option<(Verdict, &'static str)> {
        use RecordingPayload as P;
        use Verdict::{Failure, Notice, Success};
        let code = self.status();
        Some(match (self, code) {
            (P::RecorderStarted { .. }, Some(0)) => (Success, "the recording started"),
            (P::RecorderStarted { .. }, Some(1)) => (Failure, "the recording failed to start"),
            (P::RecorderStopped { .. }, Some(0)) => (Notice, "stopped by a stop-recording API call"),
            (P::RecorderStopped { .. }, Some(1)) => (Notice, "you kicked the recording robot out of the room"),
            (P::RecorderStopped { .. }, Some(2)) => (Notice, "you dissolved the room"),
            (P::RecorderStopped { .. }, Some(3)) => (Notice, "the server kicked the recording robot out of the room"),
            (P::RecorderStopped { .. }, Some(4)) => (Notice, "the server dissolved the room"),
            (P::RecorderStopped { .. }, Some(99)) => (Notice, "no other user was streaming, so the robot left after the idle time"),
            (P::RecorderStopped { .. }, Some(100)) => (Notice, "the room timed out"),
            (P::RecorderStopped { .. }, Some(101)) => (Notice, "the same user entered the room again, so the robot was removed"),
            (P::UploadStarted { .. }, Some(0)) => (Success, "the upload module started"),
            (P::UploadStarted { .. }, Some(1)) => (Failure, "the upload module failed to start"),
            (P::FileInfo { .. }, _) => (Notice, "the first M3U8 file was generated and uploaded"),
            (P::UploadStopped { .. }, Some(0)) => (Success, "every file was uploaded to your storage"),
            (P::UploadStopped { .. }, Some(1)) => (Failure, "the upload ended with at least one file left on Tencent's server or backup storage"),
            (P::UploadStopped { .. }, Some(2)) => (Success, "the files left on Tencent's server or backup storage were recovered and uploaded"),
            (P::Failover { .. }, Some(0)) => (Notice, "the task migrated to a new instance"),
            (P::FileSlice { .. }, _) => (Notice, "an M3U8 file was generated (its first TS slice)"),
            (P::UploadError { .. }, _) => (Failure, "the storage provider reported an upload error"),
            (P::ImageDownloadError { .. }, _) => (Failure, "an image (watermark, background) failed to download or decode"),
            (P::Mp4Stopped { .. }, Some(0)) => (Success, "the MP4 task ended and every file was uploaded"),
            (P::Mp4Stopped { .. }, Some(1)) => (Failure, "the MP4 task ended with at least one file left on Tencent's server or backup storage"),
            (P::Mp4Stopped { .. }, Some(2)) => (Failure, "the MP4 task exited abnormally"),
            (P::VodCommitted { .. }, Some(0)) => (Success, "the file was uploaded to VOD"),
            (P::VodCommitted { .. }, Some(1)) => (Failure, "the file was left on Tencent's server or backup storage"),
            (P::VodCommitted { .. }, Some(2)) => (Failure, "the upload or the VOD task was abnormal"),
            (P::VodStopped { .. }, Some(0)) => (Success, "the VOD task ended normally"),
            (P::VodStopped { .. }, Some(1)) => (Failure, "the VOD task ended abnormally"),
            (P::WebRecordingStarted { .. }, Some(1)) => (Success, "the web-page recording started"),
            (P::WebRecordingStarted { .. }, Some(2)) => (Failure, "the web-page recording failed to start"),
            (P::WebRecordingStarted { .. }, Some(3)) => (Failure, "the web-page recording exited abnormally"),
            (P::WebRecordingStarted { .. }, Some(4)) => (Notice, "the web-page recording migrated"),
            (P::WebRecordingStarted { .. }, Some(5)) => (Failure, "an exception stopped the web-page recording"),
            (P::WebRecordingStopped { .. }, Some(1)) => (Success, "the web-page recording ended normally"),
            (P::WebRecordingUpdated { .. }, Some(1)) => (Notice, "the page was refreshed"),
            (P::WebRecordingUpdated { .. }, Some(2)) => (Notice, "the recording was paused"),
            (P::WebRecordingUpdated { .. }, Some(3)) => (Notice, "the recording was resumed"),
            (P::WebRecordingResourceLimit { .. }, Some(1)) => (Notice, "the maximum recording duration was reached"),
            (P::WebRecordingResourceLimit { .. }, Some(2)) => (Notice, "a stream is above the maximum resolution (1920×1080)"),
            _ => return None,
        })
    }

    /// What the event reports, in words, as Tencent documents its type and status code
    /// (<https://trtc.io/document/54914>): `Some("every file was uploaded to your
    /// storage")` for 305 with status 0. `None` for a status code Tencent does not
    /// document, a missing one, and [`RecordingPayload::Unknown`].
    pub fn meaning(&self) -> Option<&'static str> {
        self.documented().map(|(_, meaning)| meaning)
    }

    /// The event reports that its step went as intended: the recording started (301
    /// status 0), the upload module started (303 status 0), every file reached your
    /// storage (305 status 0 or 2, 310 status 0), the file reached VOD (311 status 0),
    /// the VOD task ended normally (312 status 0), a web-page recording started or ended
    /// normally (801 or 802 status 1).
    ///
    /// Notices are neither success nor failure: a stop reason (302), a new file (304,
    /// 307), a migration (306, 801 status 4), a page update or limit (803, 804). So are
    /// undocumented codes and unknown event types; [`meaning`](Self::meaning) tells
    /// them apart.
    pub fn is_success(&self) -> bool {
        matches!(self.documented(), Some((Verdict::Success, _)))
    }

    /// The event reports a failure: a step failed to start (301, 303 status 1; 801
    /// status 2), a file was left on Tencent's server or backup storage (305, 310, 311
    /// status 1), a task ended abnormally (310, 311 status 2; 312 status 1; 801 status 3
    /// or 5), or an upload or image error (308, 309).
    pub fn is_failure(&self) -> bool {
        matches!(self.documented(), Some((Verdict::Failure, _)))
    }

    /// Every file of the upload is in your cloud storage: 305 (`UPLOAD_STOP`) with status
    /// 0, or 2 when files first left behind were recovered and uploaded later; or 310
    /// (`MP4_STOP`, once per MP4 file) with status 0.
    pub fn is_upload_finished(&self) -> bool {
        matches!(
            (self, self.status()),
            (Self::UploadStopped { .. }, Some(0 | 2)) | (Self::Mp4Stopped { .. }, Some(0))
        )
    }

    /// The file was committed to VOD: 311 (`VOD_COMMIT`) with status 0. Its VOD file id
    /// and URL are in the variant's `vod`; Tencent advises allowing 30 s to 3 min before
    /// the file is fully usable.
    pub fn is_uploaded_to_vod(&self) -> bool {
        matches!((self, self.status()), (Self::VodCommitted { .. }, Some(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload_stopped(status: i64) -> RecordingPayload {
        RecordingPayload::UploadStopped {
            status: Some(status),
        }
    }

    #[test]
    fn the_documented_sample_reads_as_uploaded() {
        let body = br#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"EventInfo":{"RoomId":"635055","TaskId":"t","Payload":{"Status":"0"}}}"#;
        let event = crate::event::parse(crate::command::FOLLOW_CLOUD_RECORDING_CHANGED, body);
        let Ok(crate::Event::Recording(rec)) = event else {
            panic!("{event:?}")
        };
        assert!(rec.info.payload.is_upload_finished());
        assert!(rec.info.payload.is_success());
        assert!(!rec.info.payload.is_uploaded_to_vod());
    }

    #[test]
    fn upload_stopped_codes() {
        assert!(upload_stopped(0).is_success());
        assert!(upload_stopped(0).is_upload_finished());
        assert!(upload_stopped(2).is_success());
        assert!(upload_stopped(2).is_upload_finished());
        assert!(upload_stopped(1).is_failure());
        assert!(!upload_stopped(1).is_upload_finished());
        assert_eq!(
            upload_stopped(0).meaning(),
            Some("every file was uploaded to your storage")
        );
    }

    #[test]
    fn vod_commit_codes() {
        let vod = |status| RecordingPayload::VodCommitted {
            status: Some(status),
            errmsg: None,
            vod: None,
        };
        assert!(vod(0).is_uploaded_to_vod() && vod(0).is_success());
        assert!(!vod(1).is_uploaded_to_vod() && vod(1).is_failure());
        assert!(!vod(2).is_uploaded_to_vod() && vod(2).is_failure());
        assert!(!vod(0).is_upload_finished());
        assert!(!upload_stopped(0).is_uploaded_to_vod());
    }

    #[test]
    fn mp4_stop_is_per_file_upload() {
        let mp4 = |status| RecordingPayload::Mp4Stopped {
            status: Some(status),
            file_list: vec![],
            files: vec![],
        };
        assert!(mp4(0).is_upload_finished() && mp4(0).is_success());
        assert!(mp4(1).is_failure() && !mp4(1).is_upload_finished());
        assert!(mp4(2).is_failure());
    }

    #[test]
    fn web_recording_counts_from_one() {
        let started = |status| RecordingPayload::WebRecordingStarted {
            status: Some(status),
            message: None,
        };
        assert!(started(1).is_success());
        assert!(started(0).meaning().is_none() && !started(0).is_success());
        for failed in [2, 3, 5] {
            assert!(started(failed).is_failure(), "{failed}");
        }
        assert!(!started(4).is_failure() && !started(4).is_success());
        assert!(started(4).meaning().is_some());
    }

    #[test]
    fn stop_reasons_are_notices() {
        for code in [0, 1, 2, 3, 4, 99, 100, 101] {
            let p = RecordingPayload::RecorderStopped {
                leave_code: Some(code),
            };
            assert!(p.meaning().is_some(), "{code}");
            assert!(!p.is_success() && !p.is_failure(), "{code}");
        }
        let undocumented = RecordingPayload::RecorderStopped {
            leave_code: Some(5),
        };
        assert_eq!(undocumented.meaning(), None);
    }

    #[test]
    fn errors_without_a_code_are_failures() {
        let upload = RecordingPayload::UploadError {
            code: None,
            message: None,
        };
        let image = RecordingPayload::ImageDownloadError { url: None };
        assert!(upload.is_failure() && image.is_failure());
    }

    #[test]
    fn missing_undocumented_and_unknown_say_nothing() {
        let cases = [
            RecordingPayload::RecorderStarted { status: None },
            RecordingPayload::RecorderStarted { status: Some(7) },
            RecordingPayload::VodStopped { status: Some(-1) },
            RecordingPayload::UploadStopped { status: None },
            RecordingPayload::Unknown {
                raw: serde_json::json!({"Status": 0}),
            },
        ];
        for p in cases {
            assert_eq!(p.meaning(), None, "{p:?}");
            assert!(!p.is_success() && !p.is_failure(), "{p:?}");
            assert!(!p.is_upload_finished() && !p.is_uploaded_to_vod(), "{p:?}");
        }
    }

    /// A status-carrying variant with the given code.
    type WithStatus = fn(i64) -> RecordingPayload;

    /// Every documented code of every status-carrying variant has its words, and no
    /// code reads as both success and failure.
    #[test]
    fn every_documented_code_has_a_meaning() {
        let documented: [(WithStatus, &[i64]); 11] = [
            (
                |s| RecordingPayload::RecorderStarted { status: Some(s) },
                &[0, 1],
            ),
            (
                |s| RecordingPayload::UploadStarted { status: Some(s) },
                &[0, 1],
            ),
            (upload_stopped, &[0, 1, 2]),
            (|s| RecordingPayload::Failover { status: Some(s) }, &[0]),
            (
                |s| RecordingPayload::Mp4Stopped {
                    status: Some(s),
                    file_list: vec![],
                    files: vec![],
                },
                &[0, 1, 2],
            ),
            (
                |s| RecordingPayload::VodCommitted {
                    status: Some(s),
                    errmsg: None,
                    vod: None,
                },
                &[0, 1, 2],
            ),
            (
                |s| RecordingPayload::VodStopped { status: Some(s) },
                &[0, 1],
            ),
            (
                |s| RecordingPayload::WebRecordingStarted {
                    status: Some(s),
                    message: None,
                },
                &[1, 2, 3, 4, 5],
            ),
            (
                |s| RecordingPayload::WebRecordingStopped {
                    status: Some(s),
                    message: None,
                },
                &[1],
            ),
            (
                |s| RecordingPayload::WebRecordingUpdated {
                    status: Some(s),
                    message: None,
                },
                &[1, 2, 3],
            ),
            (
                |s| RecordingPayload::WebRecordingResourceLimit {
                    status: Some(s),
                    message: None,
                },
                &[1, 2],
            ),
        ];
        for (make, codes) in documented {
            for &code in codes {
                let p = make(code);
                let meaning = p.meaning().unwrap_or_else(|| panic!("{p:?}"));
                assert!(!meaning.is_empty());
                if p.is_failure() {
                    assert!(!p.is_success(), "{p:?}");
                }
            }
        }
    }
}
