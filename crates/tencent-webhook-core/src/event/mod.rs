//! Typed events, and the one function that turns a body into one ([`parse`]).
//!
//! New webhook families slot in as new [`Event`] variants and new arms in [`parse`];
//! every command this version does not know is delivered as [`Event::Unknown`] with its
//! JSON, never dropped.

mod kind;
mod lenient;
pub(crate) mod live;
mod recording;
mod room;
mod tolerant;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use kind::EventKind;
pub use lenient::RoomId;
pub use live::{
    AfterSendMsg, BattleCreated, BattleEnded, BattleRoom, BattleStarted, BeforeSendGift,
    BeforeSendMsg, FollowAdded, FollowDeleted, FollowTarget, GiftWater, LiveAdminsModified,
    LiveMember, LiveMemberStateChanged, LiveMetadataDeleted, LiveMetadataSet, LiveOwnerChanged,
    LiveRoomCreated, LiveRoomDestroyed, LiveRoomInfo, LiveRoomInfoUpdated,
    LiveRoomThresholdReached, MetadataEntry, MsgElement, RoomStatistic, Seat, SeatInfoChanged,
};
pub use recording::{
    CallRecording, RecordedFile, RecordingEvent, RecordingEventInfo, RecordingPayload, TencentVod,
};
pub use room::{
    EnterReason, ExitReason, Role, RoomEvent, RoomEventInfo, RoomEventKind, TerminalType, UserType,
};

use crate::Rejection;

/// `CallbackCommand` values this version decodes into typed events.
pub mod command {
    /// Cloud recording status changed, as the English TRTC page names it.
    pub const FOLLOW_CLOUD_RECORDING_CHANGED: &str = "Follow.CallbackAfterCloudRecordingChanged";
    /// Cloud recording status changed, as the Chinese Chat page names it.
    pub const LIVE_CLOUD_RECORDING_CHANGED: &str = "Live.CallbackAfterCloudRecordingChanged";
    /// TUICallKit's recording webhook (body wrapped in `Callback` next to `CallId`).
    pub const CALL_RECORD_CHANGED: &str = "Call.CallbackAfterRecordChanged";
    /// TUICallKit's recording webhook as the cloud.tencent.com sample names it.
    pub const CALL_CLOUD_RECORDING_CHANGED: &str = "Call.CallbackAfterCloudRecordingChanged";

    /// A room was created (<https://trtc.io/document/64422>).
    pub const LIVE_CREATE_ROOM: &str = "Live.CallbackAfterCreateRoom";
    /// A room was dissolved (<https://trtc.io/document/64423>).
    pub const LIVE_DESTROY_ROOM: &str = "Live.CallbackAfterDestroyRoom";
    /// Room information changed
    /// (<https://www.tencentcloud.com/document/product/647/67938>).
    pub const LIVE_UPDATE_ROOM_INFO: &str = "Live.CallbackAfterUpdateRoomInfo";
    /// Room metadata was set (<https://trtc.io/document/68222>).
    pub const LIVE_SET_METADATA: &str = "Live.CallbackAfterSetMetadata";
    /// Room metadata was deleted (<https://trtc.io/document/68223>).
    pub const LIVE_DEL_METADATA: &str = "Live.CallbackAfterDelMetadata";
    /// The created-room count reached 70 % of the maximum (<https://trtc.io/document/70485>).
    pub const LIVE_ROOM_THRESHOLD: &str = "Live.CallbackAfterCreateRoomReachingThreshold";
    /// Members went online or offline (<https://trtc.io/document/64424>).
    pub const LIVE_MEMBER_STATE_CHANGED: &str = "Live.CallbackAfterMemberStateChanged";
    /// The same webhook as [`LIVE_MEMBER_STATE_CHANGED`], as Tencent's parameter table
    /// spells it.
    pub const LIVE_MEMBER_STATE_CHANGED_ALT: &str = "Live.CallbackMemberStateChanged";
    /// The room changed owner (<https://trtc.io/document/72553>).
    pub const LIVE_CHANGE_OWNER: &str = "Live.CallbackAfterChangeOwner";
    /// Room admins were added or removed (<https://trtc.io/document/72554>).
    pub const LIVE_MODIFY_ADMIN: &str = "Live.CallbackAfterModifyAdmin";
    /// The seat list changed (<https://trtc.io/document/64425>).
    pub const MIC_SEAT_INFO_CHANGED: &str = "Mic.CallbackAfterSeatInfoChanged";
    /// A battle was created (<https://trtc.io/document/68259>).
    pub const LIVE_CREATE_BATTLE: &str = "Live.CallbackAfterCreateBattle";
    /// A battle started (<https://trtc.io/document/68260>).
    pub const LIVE_START_BATTLE: &str = "Live.CallbackAfterStartBattle";
    /// A battle ended (<https://trtc.io/document/68261>).
    pub const LIVE_END_BATTLE: &str = "Live.CallbackAfterEndBattle";
    /// Before-webhook: a gift is about to be sent (<https://trtc.io/document/72210>).
    pub const LIVE_BEFORE_SEND_GIFT: &str = "Live.CallbackBeforeSendGift";
    /// Before-webhook: a room message is about to be sent (<https://trtc.io/document/74347>).
    pub const GROUP_BEFORE_SEND_MSG: &str = "Group.CallbackBeforeSendMsg";
    /// A room message was sent (<https://trtc.io/document/74348>).
    pub const GROUP_AFTER_SEND_MSG: &str = "Group.CallbackAfterSendMsg";
    /// A user followed others
    /// (<https://www.tencentcloud.com/document/product/647/74356>).
    pub const FOLLOW_ADD: &str = "Follow.CallbackAfterFollowAdd";
    /// A user unfollowed others (<https://trtc.io/document/70356>).
    pub const FOLLOW_DELETE: &str = "Follow.CallbackAfterFollowDelete";

    /// Every `CallbackCommand` this version decodes into a typed event (the recording
    /// names and the TUILiveKit family), each once.
    pub const TYPED: [&str; 23] = [
        FOLLOW_CLOUD_RECORDING_CHANGED,
        LIVE_CLOUD_RECORDING_CHANGED,
        CALL_RECORD_CHANGED,
        CALL_CLOUD_RECORDING_CHANGED,
        LIVE_CREATE_ROOM,
        LIVE_DESTROY_ROOM,
        LIVE_UPDATE_ROOM_INFO,
        LIVE_SET_METADATA,
        LIVE_DEL_METADATA,
        LIVE_ROOM_THRESHOLD,
        LIVE_MEMBER_STATE_CHANGED,
        LIVE_MEMBER_STATE_CHANGED_ALT,
        LIVE_CHANGE_OWNER,
        LIVE_MODIFY_ADMIN,
        MIC_SEAT_INFO_CHANGED,
        LIVE_CREATE_BATTLE,
        LIVE_START_BATTLE,
        LIVE_END_BATTLE,
        LIVE_BEFORE_SEND_GIFT,
        GROUP_BEFORE_SEND_MSG,
        GROUP_AFTER_SEND_MSG,
        FOLLOW_ADD,
        FOLLOW_DELETE,
    ];

    /// The name a TRTC console callback is given in
    /// [`WebhookContext::command`](crate::WebhookContext::command): TRTC names an event by
    /// `EventGroupId` and `EventType` in the body, so the command is
    /// `TRTC.{EventGroupId}.{EventType}`, e.g. `TRTC.1.103` (user entered) or `TRTC.3.305`
    /// (recording upload finished); a body without them is `TRTC`.
    pub fn trtc(event_group_id: u32, event_type: u32) -> String {
        format!("TRTC.{event_group_id}.{event_type}")
    }
}

/// A decoded webhook body.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "recording events are the common case; boxing them would cost an allocation per request"
)]
pub enum Event {
    /// Cloud (or web-page) recording status changed, under any of its command names, and
    /// from either scheme (TRTC EventGroupId 3 and 8).
    Recording(RecordingEvent),
    /// A TRTC room or media event (EventGroupId 1 and 2).
    Room(RoomEvent),
    /// `Live.CallbackAfterCreateRoom`.
    LiveRoomCreated(LiveRoomCreated),
    /// `Live.CallbackAfterDestroyRoom` (boxed: its room info and statistics would make
    /// every event larger).
    LiveRoomDestroyed(Box<LiveRoomDestroyed>),
    /// `Live.CallbackAfterUpdateRoomInfo`.
    LiveRoomInfoUpdated(LiveRoomInfoUpdated),
    /// `Live.CallbackAfterSetMetadata`.
    LiveMetadataSet(LiveMetadataSet),
    /// `Live.CallbackAfterDelMetadata`.
    LiveMetadataDeleted(LiveMetadataDeleted),
    /// `Live.CallbackAfterCreateRoomReachingThreshold`.
    LiveRoomThresholdReached(LiveRoomThresholdReached),
    /// `Live.CallbackAfterMemberStateChanged` (also `Live.CallbackMemberStateChanged`).
    LiveMemberStateChanged(LiveMemberStateChanged),
    /// `Live.CallbackAfterChangeOwner`.
    LiveOwnerChanged(LiveOwnerChanged),
    /// `Live.CallbackAfterModifyAdmin`.
    LiveAdminsModified(LiveAdminsModified),
    /// `Mic.CallbackAfterSeatInfoChanged`.
    SeatInfoChanged(SeatInfoChanged),
    /// `Live.CallbackAfterCreateBattle`.
    BattleCreated(BattleCreated),
    /// `Live.CallbackAfterStartBattle`.
    BattleStarted(BattleStarted),
    /// `Live.CallbackAfterEndBattle`.
    BattleEnded(BattleEnded),
    /// `Live.CallbackBeforeSendGift` (before-webhook: answer with a
    /// [`GiftReply`](crate::GiftReply)).
    BeforeSendGift(BeforeSendGift),
    /// `Group.CallbackBeforeSendMsg` (before-webhook: answer with a
    /// [`MessageReply`](crate::MessageReply)).
    BeforeSendMsg(BeforeSendMsg),
    /// `Group.CallbackAfterSendMsg`.
    AfterSendMsg(AfterSendMsg),
    /// `Follow.CallbackAfterFollowAdd`.
    FollowAdded(FollowAdded),
    /// `Follow.CallbackAfterFollowDelete`.
    FollowDeleted(FollowDeleted),
    /// A command this version has no type for, with its JSON object (also a known
    /// TUILiveKit command whose body no typed decoder can read, e.g. a duplicated field).
    Unknown(UnknownEvent),
}

/// A webhook whose `CallbackCommand` (or TRTC `EventGroupId`) this version does not decode,
/// or a TUILiveKit command whose body its typed decoder cannot read (see [`Event::Unknown`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnknownEvent {
    /// The `CallbackCommand` (for TRTC, see [`command::trtc`]).
    pub command: String,
    /// The body, a JSON object.
    pub json: Map<String, Value>,
}

/// Decode `body` as the event named by the (already checked) query `command`.
///
/// The body must be a JSON object; a `CallbackCommand` inside it, when present, must equal
/// the query's.
pub(crate) fn parse(command: &str, body: &[u8]) -> Result<Event, Rejection> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(not_an_object(body));
    }
    match command {
        command::FOLLOW_CLOUD_RECORDING_CHANGED | command::LIVE_CLOUD_RECORDING_CHANGED => {
            let wire: recording::WireRecording<'_> =
                from_json(body).map_err(|e| json_error(&e, body))?;
            same_command(wire.command.as_deref(), command)?;
            wire.into_event(None).map(Event::Recording)
        }
        command::CALL_RECORD_CHANGED | command::CALL_CLOUD_RECORDING_CHANGED => {
            let wire: recording::WireCallRecording<'_> =
                from_json(body).map_err(|e| json_error(&e, body))?;
            same_command(wire.command.as_deref(), command)?;
            wire.into_event().map(Event::Recording)
        }
        _ => match live::decode(command, body) {
            Some(event) => event,
            None => unknown_checked(command, body),
        },
    }
}

/// `body` as an [`Event::Unknown`] of `command`, whose `CallbackCommand`, when present,
/// must be `command`.
fn unknown_checked(command: &str, body: &[u8]) -> Result<Event, Rejection> {
    let json: Map<String, Value> = from_json(body).map_err(|e| json_error(&e, body))?;
    match json.get("CallbackCommand") {
        None => {}
        Some(Value::String(s)) if s == command => {}
        Some(_) => return Err(Rejection::CommandMismatch),
    }
    Ok(Event::Unknown(UnknownEvent {
        command: command.to_owned(),
        json,
    }))
}

/// The top level of a TRTC console callback body.
#[derive(Deserialize)]
struct WireTrtc<'a> {
    #[serde(
        rename = "EventGroupId",
        default,
        deserialize_with = "lenient::opt_u32"
    )]
    group: Option<u32>,
    #[serde(rename = "EventType", default, deserialize_with = "lenient::opt_u32")]
    event_type: Option<u32>,
    #[serde(rename = "CallbackTs", default, deserialize_with = "lenient::opt_u64")]
    callback_ts: Option<u64>,
    #[serde(rename = "EventInfo", borrow, default)]
    info: Option<&'a RawValue>,
}

/// A decoded TRTC console callback.
pub(crate) struct TrtcDecoded {
    /// See [`command::trtc`].
    pub(crate) command: String,
    pub(crate) event: Event,
    pub(crate) callback_ts: Option<u64>,
}

/// Decode a (verified) TRTC console callback body: room and media events (groups 1, 2) as
/// [`Event::Room`], cloud and web-page recording (groups 3, 8) as [`Event::Recording`] —
/// the same type the Chat scheme delivers — and any other group as [`Event::Unknown`]
/// with its JSON.
pub(crate) fn parse_trtc(body: &[u8]) -> Result<TrtcDecoded, Rejection> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(not_an_object(body));
    }
    let wire: WireTrtc<'_> = from_json(body).map_err(|e| json_error(&e, body))?;
    let (Some(group), Some(event_type)) = (wire.group, wire.event_type) else {
        return Ok(TrtcDecoded {
            command: "TRTC".to_owned(),
            event: unknown("TRTC".to_owned(), body)?,
            callback_ts: wire.callback_ts,
        });
    };
    let command = command::trtc(group, event_type);
    let event = match group {
        1 | 2 => Event::Room(room::decode(
            group,
            event_type,
            wire.callback_ts,
            wire.info,
        )?),
        3 | 8 => Event::Recording(recording::from_trtc(
            group,
            event_type,
            wire.callback_ts,
            wire.info,
        )?),
        _ => unknown(command.clone(), body)?,
    };
    Ok(TrtcDecoded {
        command,
        event,
        callback_ts: wire.callback_ts,
    })
}

fn unknown(command: String, body: &[u8]) -> Result<Event, Rejection> {
    let json: Map<String, Value> = from_json(body).map_err(|e| json_error(&e, body))?;
    Ok(Event::Unknown(UnknownEvent { command, json }))
}

/// Decode a body in one pass: a body that is valid UTF-8 (every body that is valid JSON)
/// is checked as a whole once and decoded as text, so its strings are not checked again
/// one by one; any other body is decoded from its bytes, with exactly the same result.
fn from_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

fn same_command(body: Option<&str>, query: &str) -> Result<(), Rejection> {
    match body {
        Some(b) if b != query => Err(Rejection::CommandMismatch),
        _ => Ok(()),
    }
}

/// A decode error is a shape error only if the body is valid JSON (serde reports a
/// missing field before it sees trailing garbage).
fn json_error(e: &serde_json::Error, body: &[u8]) -> Rejection {
    match e.classify() {
        serde_json::error::Category::Data
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() =>
        {
            Rejection::InvalidEvent
        }
        _ => Rejection::InvalidJson,
    }
}

fn not_an_object(body: &[u8]) -> Rejection {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Ok(_) => Rejection::NotAnObject,
        Err(_) => Rejection::InvalidJson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample of <https://trtc.io/document/78428>.
    const SEED: &str = r#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,
 "CallbackTs":1752580150082,
 "EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1",
  "TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;

    fn recording(command: &str, body: &str) -> RecordingEvent {
        match parse(command, body.as_bytes()) {
            Ok(Event::Recording(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    /// The same event whether `EventType` comes before the payload (as Tencent sends it)
    /// or after it, for every event type and for the `Call.` wrapper; and what one body
    /// left behind never shapes the next body's payload.
    #[test]
    fn payload_is_the_same_whatever_the_key_order() {
        let payloads = [
            (301, r#"{"Status":1}"#),
            (302, r#"{"LeaveCode":2}"#),
            (304, r#"{"FileList":"a.m3u8"}"#),
            (305, r#"{"Status":"2"}"#),
            (
                307,
                r#"{"FileName":"f","UserId":"u","TrackType":"audio","BeginTimeStamp":5}"#,
            ),
            (
                310,
                r#"{"Status":0,"FileList":["a.mp4"],"FileMessage":[{"FileName":"a.mp4","StartTimeStamp":1}]}"#,
            ),
            (311, r#"{"Status":0,"FileId":"id","VideoUrl":"u"}"#),
            (311, r#"{"Status":0,"TencentVod":{"FileId":"id2"}}"#),
            (801, r#"{"Status":1,"EventMessage":"ok"}"#),
            (999, r#"{"Anything":[1,2]}"#),
            (305, r#"null"#),
        ];
        for (event_type, payload) in payloads {
            let info = format!(r#"{{"RoomId":7,"Payload":{payload}}}"#);
            let first = format!(r#"{{"EventType":{event_type},"EventInfo":{info}}}"#);
            let after = format!(r#"{{"EventInfo":{info},"EventType":{event_type}}}"#);
            let flat = command::FOLLOW_CLOUD_RECORDING_CHANGED;
            let expected = recording(flat, &after);
            assert_eq!(recording(flat, &first), expected, "{first}");
            // A previous body with another type first must not type this one's payload.
            let other = r#"{"EventType":305,"EventInfo":{"Payload":{"Status":0}}}"#;
            let _ = recording(flat, other);
            assert_eq!(recording(flat, &after), expected, "{after}");
            let call = command::CALL_RECORD_CHANGED;
            let wrapped = format!(r#"{{"CallId":"c","Callback":{first}}}"#);
            let wrapped_after = format!(r#"{{"Callback":{after},"CallId":"c"}}"#);
            assert_eq!(recording(call, &wrapped), recording(call, &wrapped_after));
            assert_eq!(recording(call, &wrapped).info, expected.info);
        }
        // A payload of the wrong shape is refused the same way in both orders.
        for body in [
            r#"{"EventType":310,"EventInfo":{"Payload":{"FileMessage":"x"}}}"#,
            r#"{"EventInfo":{"Payload":{"FileMessage":"x"}},"EventType":310}"#,
        ] {
            assert!(
                matches!(
                    parse(command::FOLLOW_CLOUD_RECORDING_CHANGED, body.as_bytes()),
                    Err(Rejection::InvalidEvent)
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn seed_sample() {
        let r = recording(command::FOLLOW_CLOUD_RECORDING_CHANGED, SEED);
        assert_eq!(r.event_group_id, Some(3));
        assert_eq!(r.event_type, 305);
        assert_eq!(r.callback_ts, Some(1752580150082));
        assert_eq!(r.info.room_id, Some(RoomId::String("635055".into())));
        assert_eq!(r.info.event_ts, Some(1752580150));
        assert_eq!(r.info.event_ms_ts, Some(1752580150081));
        assert_eq!(r.info.user_id.as_deref(), Some("user1"));
        assert_eq!(
            r.info.task_id.as_deref(),
            Some("-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE")
        );
        assert_eq!(
            r.info.payload,
            RecordingPayload::UploadStopped { status: Some(0) }
        );
        assert_eq!(r.call, None);
    }

    #[test]
    fn live_name_is_the_same_event() {
        let body = SEED.replace("Follow.", "Live.");
        let r = recording(command::LIVE_CLOUD_RECORDING_CHANGED, &body);
        assert_eq!(r.event_type, 305);
    }

    #[test]
    fn call_variant_unwraps_callback() {
        let body = r#"{"CallId":"call-1","Callback":{"EventGroupId":3,"EventType":311,"CallbackTs":1700000000000,
            "EventInfo":{"RoomId":8489,"EventTs":"1700000000","UserId":"robot","TaskId":"t1",
              "Payload":{"Status":0,"TencentVod":{"FileId":"387702299","VideoUrl":"https://v/1.mp4","StartTimeStamp":1,"EndTimeStamp":2}}},
            "KitType":2},"CallbackCommand":"Call.CallbackAfterRecordChanged","EventTime":1700000000001}"#;
        let r = recording(command::CALL_RECORD_CHANGED, body);
        assert_eq!(r.info.room_id, Some(RoomId::Number(8489)));
        assert_eq!(r.info.event_ts, Some(1700000000));
        let call = r.call.unwrap();
        assert_eq!(call.call_id.as_deref(), Some("call-1"));
        assert_eq!(call.kit_type, Some(2));
        assert_eq!(call.event_time, Some(1700000000001));
        match r.info.payload {
            RecordingPayload::VodCommitted { status, vod, .. } => {
                assert_eq!(status, Some(0));
                let vod = vod.unwrap();
                assert_eq!(vod.file_id.as_deref(), Some("387702299"));
                assert_eq!(vod.video_url.as_deref(), Some("https://v/1.mp4"));
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn vod_fields_on_the_payload_itself() {
        let body = r#"{"EventType":311,"EventInfo":{"Payload":{"Status":"1","Errmsg":"x","FileId":"f9"}}}"#;
        let r = recording(command::FOLLOW_CLOUD_RECORDING_CHANGED, body);
        match r.info.payload {
            RecordingPayload::VodCommitted {
                status,
                errmsg,
                vod,
            } => {
                assert_eq!(status, Some(1));
                assert_eq!(errmsg.as_deref(), Some("x"));
                assert_eq!(vod.unwrap().file_id.as_deref(), Some("f9"));
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn every_known_event_type_has_its_variant() {
        type Check = fn(&RecordingPayload) -> bool;
        let cases: [(u32, &str, Check); 16] = [
            (301, r#"{"Status":1}"#, |p| {
                *p == RecordingPayload::RecorderStarted { status: Some(1) }
            }),
            (302, r#"{"LeaveCode":99}"#, |p| {
                *p == RecordingPayload::RecorderStopped {
                    leave_code: Some(99),
                }
            }),
            (303, r#"{"Status":0}"#, |p| {
                *p == RecordingPayload::UploadStarted { status: Some(0) }
            }),
            (304, r#"{"FileList":"a.m3u8"}"#, |p| {
                *p == RecordingPayload::FileInfo {
                    file_list: vec!["a.m3u8".into()],
                }
            }),
            (305, r#"{"LeaveCode":2}"#, |p| {
                *p == RecordingPayload::UploadStopped { status: Some(2) }
            }),
            (306, r#"{"Status":0}"#, |p| {
                *p == RecordingPayload::Failover { status: Some(0) }
            }),
            (
                307,
                r#"{"FileName":"f.m3u8","UserId":"u","TrackType":"audio_video","BeginTimeStamp":"1622186279144"}"#,
                |p| {
                    *p == RecordingPayload::FileSlice {
                        file_name: Some("f.m3u8".into()),
                        user_id: Some("u".into()),
                        track_type: Some("audio_video".into()),
                        begin_timestamp: Some(1622186279144),
                    }
                },
            ),
            (308, r#"{"Code":"InternalError","Message":"m"}"#, |p| {
                *p == RecordingPayload::UploadError {
                    code: Some("InternalError".into()),
                    message: Some("m".into()),
                }
            }),
            (309, r#"{"Url":"http://x"}"#, |p| {
                *p == RecordingPayload::ImageDownloadError {
                    url: Some("http://x".into()),
                }
            }),
            (
                310,
                r#"{"Status":0,"FileList":["a.mp4"],"FileMessage":[{"FileName":"a.mp4","UserId":"","TrackType":"audio_video","MediaId":"mix","StartTimeStamp":1,"EndTimeStamp":2}]}"#,
                |p| {
                    matches!(p, RecordingPayload::Mp4Stopped { status: Some(0), file_list, files }
                    if file_list == &["a.mp4"] && files.len() == 1 && files[0].media_id.as_deref() == Some("mix"))
                },
            ),
            (311, r#"{"Status":2,"Errmsg":"e"}"#, |p| {
                *p == RecordingPayload::VodCommitted {
                    status: Some(2),
                    errmsg: Some("e".into()),
                    vod: None,
                }
            }),
            (312, r#"{"Status":0}"#, |p| {
                *p == RecordingPayload::VodStopped { status: Some(0) }
            }),
            (801, r#"{"Status":1,"EventMessage":"ok"}"#, |p| {
                *p == RecordingPayload::WebRecordingStarted {
                    status: Some(1),
                    message: Some("ok".into()),
                }
            }),
            (802, r#"{"Status":1}"#, |p| {
                *p == RecordingPayload::WebRecordingStopped {
                    status: Some(1),
                    message: None,
                }
            }),
            (803, r#"{"Status":2}"#, |p| {
                *p == RecordingPayload::WebRecordingUpdated {
                    status: Some(2),
                    message: None,
                }
            }),
            (804, r#"{"Status":2}"#, |p| {
                *p == RecordingPayload::WebRecordingResourceLimit {
                    status: Some(2),
                    message: None,
                }
            }),
        ];
        for (event_type, payload, check) in cases {
            let body = format!(
                r#"{{"EventGroupId":3,"EventType":{event_type},"EventInfo":{{"Payload":{payload}}}}}"#
            );
            let r = recording(command::FOLLOW_CLOUD_RECORDING_CHANGED, &body);
            assert!(check(&r.info.payload), "{event_type}: {:?}", r.info.payload);
        }
    }

    #[test]
    fn unknown_event_type_keeps_the_payload() {
        let body = r#"{"EventGroupId":3,"EventType":399,"EventInfo":{"Payload":{"New":[1,2]},"Extra":true},"Future":1}"#;
        let r = recording(command::FOLLOW_CLOUD_RECORDING_CHANGED, body);
        assert_eq!(r.event_type, 399);
        assert_eq!(
            r.info.payload,
            RecordingPayload::Unknown {
                raw: serde_json::json!({"New":[1,2]})
            }
        );
    }

    #[test]
    fn unknown_command_is_delivered_with_its_json() {
        // TUIRoomKit's room webhook: not of the TUILiveKit family this version types.
        let body =
            br#"{"CallbackCommand":"Room.CallbackAfterCreateRoom","RoomInfo":{"RoomId":"r"}}"#;
        match parse("Room.CallbackAfterCreateRoom", body).unwrap() {
            Event::Unknown(u) => {
                assert_eq!(u.command, "Room.CallbackAfterCreateRoom");
                assert_eq!(u.json["RoomInfo"]["RoomId"], "r");
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn shape_errors() {
        let f = command::FOLLOW_CLOUD_RECORDING_CHANGED;
        assert_eq!(parse(f, b""), Err(Rejection::InvalidJson));
        assert_eq!(parse(f, b"{"), Err(Rejection::InvalidJson));
        assert_eq!(parse(f, b"{}x"), Err(Rejection::InvalidJson));
        assert_eq!(parse(f, b"[1,2]"), Err(Rejection::NotAnObject));
        assert_eq!(parse(f, b" 42 "), Err(Rejection::NotAnObject));
        assert_eq!(parse(f, b"\xff\xfe"), Err(Rejection::InvalidJson));
        assert_eq!(parse(f, b"{}"), Err(Rejection::InvalidEvent));
        assert_eq!(
            parse(f, br#"{"EventType":"x","EventInfo":{}}"#),
            Err(Rejection::InvalidEvent)
        );
        assert_eq!(
            parse(
                f,
                br#"{"EventType":301,"EventInfo":{"Payload":{"Status":{}}}}"#
            ),
            Err(Rejection::InvalidEvent)
        );
        assert_eq!(parse("X.Y", b"[]"), Err(Rejection::NotAnObject));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse("X.Y", deep.as_bytes()), Err(Rejection::InvalidJson));
        // Skipped (unknown) fields are walked without recursion, so deep nesting there is
        // valid JSON of the wrong shape, and no stack risk either way.
        assert_eq!(parse(f, deep.as_bytes()), Err(Rejection::InvalidEvent));
    }

    #[test]
    fn the_family_does_not_make_events_larger() {
        // Recording events are the hot path: every event is moved a few times, so no
        // family variant may be larger than the recording one (large ones are boxed).
        assert!(
            std::mem::size_of::<Event>() <= std::mem::size_of::<RecordingEvent>() + 8,
            "{} bytes",
            std::mem::size_of::<Event>()
        );
    }

    #[test]
    fn body_command_must_match_the_query() {
        assert_eq!(
            parse(command::LIVE_CLOUD_RECORDING_CHANGED, SEED.as_bytes()),
            Err(Rejection::CommandMismatch)
        );
        assert_eq!(
            parse(
                "Live.CallbackAfterCreateRoom",
                br#"{"CallbackCommand":"Live.Other"}"#
            ),
            Err(Rejection::CommandMismatch)
        );
        assert_eq!(
            parse("Live.CallbackAfterCreateRoom", br#"{"CallbackCommand":7}"#),
            Err(Rejection::CommandMismatch)
        );
        // Absent in the body: the query names the command.
        assert!(parse("Live.CallbackAfterCreateRoom", br#"{"RoomId":"r"}"#).is_ok());
    }
}
