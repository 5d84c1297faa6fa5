//! The cloud-recording status webhook: `Follow.` / `Live.CallbackAfterCloudRecordingChanged`
//! (<https://trtc.io/document/78428>) and TUICallKit's `Call.CallbackAfterRecordChanged`
//! (<https://trtc.io/document/80345>), carrying the cloud-recording and web-page-recording
//! events of <https://trtc.io/document/54914>.
//!
//! Decoded tolerantly ([`tolerant`]): a field of an unexpected type reads as `None` or
//! empty, and the event keeps the whole body in [`RecordingEvent::raw`].

mod status;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::RoomId;
use super::tolerant::{self, BodyCommand};

/// A cloud-recording (EventGroupId 3) or web-page-recording (EventGroupId 8) status change.
///
/// The same event arrives under several command names; [`RecordingEvent::call`] is set
/// when it came through TUICallKit's `Call.*` variant, whose body wraps the event in a
/// `Callback` object next to a `CallId`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordingEvent {
    /// `EventGroupId`: 3 for cloud recording, 8 for web-page recording.
    pub event_group_id: Option<u32>,
    /// `EventType`: 301–312 for cloud recording, 801–804 for web-page recording; 0 when the
    /// body has none, or one that is not a number fitting `u32` (the payload is then
    /// [`RecordingPayload::Unknown`]).
    pub event_type: u32,
    /// `CallbackTs`: when Tencent sent the callback, in Unix milliseconds.
    pub callback_ts: Option<u64>,
    /// `EventInfo`: which room, task and robot, and the per-type payload.
    pub info: RecordingEventInfo,
    /// Set for TUICallKit's `Call.CallbackAfterRecordChanged` (also sent as
    /// `Call.CallbackAfterCloudRecordingChanged`).
    pub call: Option<CallRecording>,
    /// The whole body as JSON, kept only when a field had an unexpected type and was
    /// skipped (that field reads as `None` or empty above); `None` otherwise.
    pub raw: Option<Box<Map<String, Value>>>,
}

/// The `EventInfo` object of a recording event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordingEventInfo {
    /// `RoomId`, a string or a number as the client created it.
    pub room_id: Option<RoomId>,
    /// `EventTs`: event time in Unix seconds (deprecated by Tencent; prefer `event_ms_ts`).
    pub event_ts: Option<u64>,
    /// `EventMsTs`: event time in Unix milliseconds.
    pub event_ms_ts: Option<u64>,
    /// `UserId`: the recording robot's user id.
    pub user_id: Option<String>,
    /// `TaskId`: the recording task.
    pub task_id: Option<String>,
    /// `Payload`, typed by `EventType`.
    pub payload: RecordingPayload,
}

/// The TUICallKit wrapper fields of `Call.CallbackAfterRecordChanged`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallRecording {
    /// `CallId`: the call the recording belongs to.
    pub call_id: Option<String>,
    /// `Callback.KitType` (meaning not documented by Tencent; kept as sent).
    pub kit_type: Option<i64>,
    /// `EventTime`: when the webhook fired, in Unix milliseconds.
    pub event_time: Option<u64>,
}

/// The `Payload` of a recording event, by `EventType`
/// (<https://trtc.io/document/54914>). Status codes are kept as the numbers Tencent
/// sends, documented on each variant; [`is_success`](Self::is_success),
/// [`is_failure`](Self::is_failure), [`is_upload_finished`](Self::is_upload_finished),
/// [`is_uploaded_to_vod`](Self::is_uploaded_to_vod) and [`meaning`](Self::meaning) read
/// them for you.
///
/// ```
/// use tencent_webhook_core::{Event, RecordingPayload, Webhook};
///
/// fn on_recording(hook: &Webhook) {
///     let Event::Recording(rec) = &hook.event else { return };
///     let payload = &rec.info.payload;
///     if payload.is_uploaded_to_vod() {
///         if let RecordingPayload::VodCommitted { vod: Some(vod), .. } = payload {
///             println!("in VOD: {:?} at {:?}", vod.file_id, vod.video_url);
///         }
///     } else if payload.is_failure() {
///         println!("recording {:?}: {:?}", rec.info.task_id, payload.meaning());
///     }
/// }
/// ```
///
/// The enum and each of its variants are `#[non_exhaustive]`: Tencent adds event types
/// and fields, and this crate can follow without a breaking change. So a pattern names
/// the fields it reads and ends with `..`:
///
/// ```
/// use tencent_webhook_core::RecordingPayload;
///
/// fn upload_status(payload: &RecordingPayload) -> Option<i64> {
///     match payload {
///         RecordingPayload::UploadStopped { status, .. } => *status,
///         _ => None,
///     }
/// }
/// ```
///
/// and the same function without `..` does not compile (E0638):
///
/// ```compile_fail,E0638
/// use tencent_webhook_core::RecordingPayload;
///
/// fn upload_status(payload: &RecordingPayload) -> Option<i64> {
///     match payload {
///         RecordingPayload::UploadStopped { status } => *status,
///         _ => None,
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RecordingPayload {
    /// 301 `RECORDER_START`: `status` 0 started, 1 failed to start.
    #[non_exhaustive]
    RecorderStarted {
        /// `Status`.
        status: Option<i64>,
    },
    /// 302 `RECORDER_STOP`: `leave_code` 0 stopped by API, 1 robot kicked by you, 2 room
    /// dissolved by you, 3 robot kicked by the server, 4 room dissolved by the server,
    /// 99 no other stream left, 100 room timeout, 101 same user re-entered the room.
    #[non_exhaustive]
    RecorderStopped {
        /// `LeaveCode`.
        leave_code: Option<i64>,
    },
    /// 303 `UPLOAD_START`: `status` 0 started, 1 failed.
    #[non_exhaustive]
    UploadStarted {
        /// `Status`.
        status: Option<i64>,
    },
    /// 304 `FILE_INFO`: the first M3U8 file was generated and uploaded.
    #[non_exhaustive]
    FileInfo {
        /// `FileList`: the M3U8 file name(s).
        file_list: Vec<String>,
    },
    /// 305 `UPLOAD_STOP`: `status` 0 all files uploaded, 1 some files left on the server or
    /// backup storage, 2 those files were since recovered and uploaded. (One Tencent table
    /// calls the field `LeaveCode`; it is read as a fallback.)
    #[non_exhaustive]
    UploadStopped {
        /// `Status` (or `LeaveCode`).
        status: Option<i64>,
    },
    /// 306 `FAILOVER`: `status` 0 the task migrated to a new instance.
    #[non_exhaustive]
    Failover {
        /// `Status`.
        status: Option<i64>,
    },
    /// 307 `FILE_SLICE`: an M3U8 file was generated (first TS slice).
    #[non_exhaustive]
    FileSlice {
        /// `FileName`.
        file_name: Option<String>,
        /// `UserId` of the recorded stream.
        user_id: Option<String>,
        /// `TrackType`: `audio`, `video` or `audio_video`.
        track_type: Option<String>,
        /// `BeginTimeStamp`, Unix milliseconds.
        begin_timestamp: Option<u64>,
    },
    /// 308 `UPLOAD_ERROR` (older docs only): the storage provider's error.
    #[non_exhaustive]
    UploadError {
        /// `Code`.
        code: Option<String>,
        /// `Message`.
        message: Option<String>,
    },
    /// 309 `DOWNLOAD_IMAGE_ERROR`: an image (watermark, background) failed to download.
    #[non_exhaustive]
    ImageDownloadError {
        /// `Url`.
        url: Option<String>,
    },
    /// 310 `MP4_STOP`: an MP4 task ended (may fire once per file): `status` 0 all uploaded,
    /// 1 some files left on the server or backup storage, 2 abnormal exit.
    #[non_exhaustive]
    Mp4Stopped {
        /// `Status`.
        status: Option<i64>,
        /// `FileList`.
        file_list: Vec<String>,
        /// `FileMessage`.
        files: Vec<RecordedFile>,
    },
    /// 311 `VOD_COMMIT`: a file was committed to VOD: `status` 0 uploaded, 1 left on the
    /// server or backup storage, 2 upload or VOD task abnormal. Allow 30 s to 3 min
    /// before the file is fully usable.
    #[non_exhaustive]
    VodCommitted {
        /// `Status`.
        status: Option<i64>,
        /// `Errmsg`, when `status` is not 0.
        errmsg: Option<String>,
        /// `TencentVod` (read from `Payload.TencentVod`, or from the payload itself as one
        /// Tencent table places the fields).
        vod: Option<TencentVod>,
    },
    /// 312 `VOD_STOP`: the VOD task finished: `status` 0 normal, 1 abnormal.
    #[non_exhaustive]
    VodStopped {
        /// `Status`.
        status: Option<i64>,
    },
    /// 801 web-page recording `START`: `status` 1 ok, 2 failed to start, 3 abnormal exit,
    /// 4 migrated, 5 exception, stopped.
    #[non_exhaustive]
    WebRecordingStarted {
        /// `Status`.
        status: Option<i64>,
        /// `EventMessage`.
        message: Option<String>,
    },
    /// 802 web-page recording `STOP`: `status` 1 normal end.
    #[non_exhaustive]
    WebRecordingStopped {
        /// `Status`.
        status: Option<i64>,
        /// `EventMessage`.
        message: Option<String>,
    },
    /// 803 web-page recording `STATUS_UPDATE`: `status` 1 page refresh, 2 paused, 3 resumed.
    #[non_exhaustive]
    WebRecordingUpdated {
        /// `Status`.
        status: Option<i64>,
        /// `EventMessage`.
        message: Option<String>,
    },
    /// 804 web-page recording `RESOURCE_LIMIT`: `status` 1 maximum duration reached,
    /// 2 stream above the maximum resolution.
    #[non_exhaustive]
    WebRecordingResourceLimit {
        /// `Status`.
        status: Option<i64>,
        /// `EventMessage`.
        message: Option<String>,
    },
    /// An `EventType` this version does not know (also a missing or mistyped one, read as
    /// 0), with the payload as sent.
    #[non_exhaustive]
    Unknown {
        /// The `Payload` as sent, of whatever JSON type (`Null` when absent).
        raw: serde_json::Value,
    },
}

impl RecordingPayload {
    /// The variant's status code: `Status` for the variants that carry one, and
    /// `LeaveCode` for 302 (`RecorderStopped`); `None` for the others.
    pub fn status(&self) -> Option<i64> {
        match self {
            Self::RecorderStarted { status }
            | Self::UploadStarted { status }
            | Self::UploadStopped { status }
            | Self::Failover { status }
            | Self::Mp4Stopped { status, .. }
            | Self::VodCommitted { status, .. }
            | Self::VodStopped { status }
            | Self::WebRecordingStarted { status, .. }
            | Self::WebRecordingStopped { status, .. }
            | Self::WebRecordingUpdated { status, .. }
            | Self::WebRecordingResourceLimit { status, .. } => *status,
            Self::RecorderStopped { leave_code } => *leave_code,
            _ => None,
        }
    }
}

/// One entry of `FileMessage` (event 310).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RecordedFile {
    /// `FileName`.
    #[serde(rename = "FileName", default, deserialize_with = "tolerant::string")]
    pub file_name: Option<String>,
    /// `UserId` (empty in mixed-stream mode).
    #[serde(rename = "UserId", default, deserialize_with = "tolerant::string")]
    pub user_id: Option<String>,
    /// `TrackType`: `audio`, `video` or `audio_video`.
    #[serde(rename = "TrackType", default, deserialize_with = "tolerant::string")]
    pub track_type: Option<String>,
    /// `MediaId`: `main`, `aux` or `mix`.
    #[serde(rename = "MediaId", default, deserialize_with = "tolerant::string")]
    pub media_id: Option<String>,
    /// `StartTimeStamp`, Unix milliseconds.
    #[serde(
        rename = "StartTimeStamp",
        default,
        deserialize_with = "tolerant::uint"
    )]
    pub start_timestamp: Option<u64>,
    /// `EndTimeStamp`, Unix milliseconds.
    #[serde(rename = "EndTimeStamp", default, deserialize_with = "tolerant::uint")]
    pub end_timestamp: Option<u64>,
}

/// `TencentVod` of event 311: where the committed file lives in VOD.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TencentVod {
    /// `UserId`.
    #[serde(rename = "UserId", default, deserialize_with = "tolerant::string")]
    pub user_id: Option<String>,
    /// `TrackType`.
    #[serde(rename = "TrackType", default, deserialize_with = "tolerant::string")]
    pub track_type: Option<String>,
    /// `MediaId`.
    #[serde(rename = "MediaId", default, deserialize_with = "tolerant::string")]
    pub media_id: Option<String>,
    /// `FileId`: the VOD file id.
    #[serde(rename = "FileId", default, deserialize_with = "tolerant::string")]
    pub file_id: Option<String>,
    /// `VideoUrl`: the playback URL.
    #[serde(rename = "VideoUrl", default, deserialize_with = "tolerant::string")]
    pub video_url: Option<String>,
    /// `CacheFile`.
    #[serde(rename = "CacheFile", default, deserialize_with = "tolerant::string")]
    pub cache_file: Option<String>,
    /// `StartTimeStamp`, Unix milliseconds.
    #[serde(
        rename = "StartTimeStamp",
        default,
        deserialize_with = "tolerant::uint"
    )]
    pub start_timestamp: Option<u64>,
    /// `EndTimeStamp`, Unix milliseconds.
    #[serde(rename = "EndTimeStamp", default, deserialize_with = "tolerant::uint")]
    pub end_timestamp: Option<u64>,
}

// ---- wire shapes ---------------------------------------------------------------------

/// The flat body of `Follow.`/`Live.CallbackAfterCloudRecordingChanged`, and the
/// `Callback` object of the `Call.` variant.
#[derive(Deserialize, Default)]
pub(super) struct WireRecording<'a> {
    #[serde(rename = "CallbackCommand", default)]
    pub(super) command: BodyCommand,
    #[serde(
        rename = "EventGroupId",
        default,
        deserialize_with = "tolerant::uint32"
    )]
    group: Option<u32>,
    #[serde(rename = "EventType", default, deserialize_with = "tolerant::uint32")]
    event_type: Option<u32>,
    #[serde(rename = "CallbackTs", default, deserialize_with = "tolerant::uint")]
    callback_ts: Option<u64>,
    #[serde(
        rename = "EventInfo",
        borrow,
        default,
        deserialize_with = "tolerant::object"
    )]
    info: Option<WireInfo<'a>>,
    #[serde(rename = "KitType", default, deserialize_with = "tolerant::int")]
    kit_type: Option<i64>,
}

/// The body of `Call.CallbackAfterRecordChanged`.
#[derive(Deserialize)]
pub(super) struct WireCallRecording<'a> {
    #[serde(rename = "CallbackCommand", default)]
    pub(super) command: BodyCommand,
    #[serde(rename = "CallId", default, deserialize_with = "tolerant::string")]
    call_id: Option<String>,
    #[serde(
        rename = "Callback",
        borrow,
        default,
        deserialize_with = "tolerant::object"
    )]
    callback: Option<WireRecording<'a>>,
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    event_time: Option<u64>,
}

#[derive(Deserialize, Default)]
struct WireInfo<'a> {
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::room_id")]
    room_id: Option<RoomId>,
    #[serde(rename = "EventTs", default, deserialize_with = "tolerant::uint")]
    event_ts: Option<u64>,
    #[serde(rename = "EventMsTs", default, deserialize_with = "tolerant::uint")]
    event_ms_ts: Option<u64>,
    #[serde(rename = "UserId", default, deserialize_with = "tolerant::string")]
    user_id: Option<String>,
    #[serde(rename = "TaskId", default, deserialize_with = "tolerant::string")]
    task_id: Option<String>,
    /// Kept as raw JSON: its shape depends on `EventType`, which may come after it.
    #[serde(rename = "Payload", borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WirePayload {
    #[serde(rename = "Status", deserialize_with = "tolerant::int")]
    status: Option<i64>,
    #[serde(rename = "LeaveCode", deserialize_with = "tolerant::int")]
    leave_code: Option<i64>,
    #[serde(rename = "FileList", deserialize_with = "tolerant::strings")]
    file_list: Vec<String>,
    #[serde(rename = "FileName", deserialize_with = "tolerant::string")]
    file_name: Option<String>,
    #[serde(rename = "UserId", deserialize_with = "tolerant::string")]
    user_id: Option<String>,
    #[serde(rename = "TrackType", deserialize_with = "tolerant::string")]
    track_type: Option<String>,
    #[serde(rename = "BeginTimeStamp", deserialize_with = "tolerant::uint")]
    begin_timestamp: Option<u64>,
    #[serde(rename = "Code", deserialize_with = "tolerant::string")]
    code: Option<String>,
    #[serde(rename = "Message", deserialize_with = "tolerant::string")]
    message: Option<String>,
    #[serde(rename = "Url", deserialize_with = "tolerant::string")]
    url: Option<String>,
    #[serde(rename = "FileMessage", deserialize_with = "tolerant::objects")]
    file_message: Vec<RecordedFile>,
    #[serde(rename = "Errmsg", deserialize_with = "tolerant::string")]
    errmsg: Option<String>,
    #[serde(rename = "TencentVod", deserialize_with = "tolerant::object")]
    tencent_vod: Option<TencentVod>,
    #[serde(rename = "FileId", deserialize_with = "tolerant::string")]
    file_id: Option<String>,
    #[serde(rename = "EventMessage", deserialize_with = "tolerant::string")]
    event_message: Option<String>,
}

/// A decoded Chat recording body: the event, and the body's own `CallbackCommand` (which
/// must agree with the query's).
pub(super) struct ChatRecording {
    pub(super) command: BodyCommand,
    pub(super) event: RecordingEvent,
}

impl<'a> WireRecording<'a> {
    fn into_event(self, call: Option<CallRecording>) -> serde_json::Result<RecordingEvent> {
        let info = self.info.unwrap_or_default();
        let event_type = self.event_type.unwrap_or(0);
        let payload = decode_payload(event_type, info.payload)?;
        let call = call.map(|c| CallRecording {
            kit_type: self.kit_type,
            ..c
        });
        Ok(RecordingEvent {
            event_group_id: self.group,
            event_type,
            callback_ts: self.callback_ts,
            info: RecordingEventInfo {
                room_id: info.room_id,
                event_ts: info.event_ts,
                event_ms_ts: info.event_ms_ts,
                user_id: info.user_id,
                task_id: info.task_id,
                payload,
            },
            call,
            raw: None,
        })
    }
}

/// Decode the flat body of `Follow.`/`Live.CallbackAfterCloudRecordingChanged`.
pub(super) fn decode_flat(body: &[u8]) -> serde_json::Result<ChatRecording> {
    let mut wire: WireRecording<'_> = super::from_json(body)?;
    let command = std::mem::take(&mut wire.command);
    Ok(ChatRecording {
        command,
        event: wire.into_event(None)?,
    })
}

/// Decode the body of `Call.CallbackAfterRecordChanged` (a missing or mistyped `Callback`
/// reads as empty).
pub(super) fn decode_call(body: &[u8]) -> serde_json::Result<ChatRecording> {
    let wire: WireCallRecording<'_> = super::from_json(body)?;
    let call = CallRecording {
        call_id: wire.call_id,
        kit_type: None,
        event_time: wire.event_time,
    };
    Ok(ChatRecording {
        command: wire.command,
        event: wire.callback.unwrap_or_default().into_event(Some(call))?,
    })
}

/// A recording event as the TRTC console callback sends it (EventGroupId 3 or 8, no
/// `CallbackCommand`), from the parts the TRTC decoder has already split out.
pub(super) fn from_trtc(
    event_group_id: u32,
    event_type: u32,
    callback_ts: Option<u64>,
    info: Option<&RawValue>,
) -> serde_json::Result<RecordingEvent> {
    let info = match info {
        Some(raw) => tolerant::object_in(raw)?,
        None => None,
    };
    WireRecording {
        command: BodyCommand::Absent,
        group: Some(event_group_id),
        event_type: Some(event_type),
        callback_ts,
        info,
        kit_type: None,
    }
    .into_event(None)
}

/// The payload by `EventType`. For a known type, a payload that is not an object reads as
/// the variant with every field empty (and is noted); for an unknown type it is kept as
/// sent, whatever its JSON type.
fn decode_payload(event_type: u32, raw: Option<&RawValue>) -> serde_json::Result<RecordingPayload> {
    let known = matches!(event_type, 301..=312 | 801..=804);
    if !known {
        let raw = match raw {
            Some(r) => serde_json::from_str(r.get())?,
            None => Value::Null,
        };
        tolerant::note_tree(&raw);
        return Ok(RecordingPayload::Unknown { raw });
    }
    let p: WirePayload = match raw {
        Some(r) => tolerant::object_in(r)?.unwrap_or_default(),
        None => WirePayload::default(),
    };
    Ok(match event_type {
        301 => RecordingPayload::RecorderStarted { status: p.status },
        302 => RecordingPayload::RecorderStopped {
            leave_code: p.leave_code.or(p.status),
        },
        303 => RecordingPayload::UploadStarted { status: p.status },
        304 => RecordingPayload::FileInfo {
            file_list: p.file_list,
        },
        305 => RecordingPayload::UploadStopped {
            status: p.status.or(p.leave_code),
        },
        306 => RecordingPayload::Failover { status: p.status },
        307 => RecordingPayload::FileSlice {
            file_name: p.file_name,
            user_id: p.user_id,
            track_type: p.track_type,
            begin_timestamp: p.begin_timestamp,
        },
        308 => RecordingPayload::UploadError {
            code: p.code,
            message: p.message,
        },
        309 => RecordingPayload::ImageDownloadError { url: p.url },
        310 => RecordingPayload::Mp4Stopped {
            status: p.status,
            file_list: p.file_list,
            files: p.file_message,
        },
        311 => {
            let vod = match (p.tencent_vod, p.file_id, raw) {
                (Some(vod), _, _) => Some(vod),
                // One table places the VOD fields on the payload itself.
                (None, Some(_), Some(r)) => tolerant::object_in(r)?,
                _ => None,
            };
            RecordingPayload::VodCommitted {
                status: p.status,
                errmsg: p.errmsg,
                vod,
            }
        }
        312 => RecordingPayload::VodStopped { status: p.status },
        801 => RecordingPayload::WebRecordingStarted {
            status: p.status,
            message: p.event_message,
        },
        802 => RecordingPayload::WebRecordingStopped {
            status: p.status,
            message: p.event_message,
        },
        803 => RecordingPayload::WebRecordingUpdated {
            status: p.status,
            message: p.event_message,
        },
        _ => RecordingPayload::WebRecordingResourceLimit {
            status: p.status,
            message: p.event_message,
        },
    })
}
