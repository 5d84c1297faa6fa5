//! Typed events, and the one function that turns a body into one ([`parse`]).
//!
//! New webhook families slot in as new [`Event`] variants and new arms in [`parse`];
//! every command this version does not know is delivered as [`Event::Unknown`] with its
//! JSON, never dropped.
//!
//! The tolerant rule: a verified body is never refused for its shape. Every typed event
//! is decoded by the decoders of [`tolerant`]: numbers may come as strings and ids as
//! numbers, unknown fields are ignored, and a field whose value has an unexpected type
//! reads as absent (`None`, empty, or an enum's `Unknown`/`Other` variant) while the
//! event keeps the whole body as JSON in its `raw` field, so nothing is hidden. A body
//! that is valid JSON but that no typed decoder can read at all (a duplicated field name)
//! is delivered as [`Event::Unknown`] with its JSON. The only refusals of a verified body
//! are: not valid JSON ([`Rejection::InvalidJson`], also nesting past serde_json's 128
//! levels where a JSON tree must be built), not a JSON object
//! ([`Rejection::NotAnObject`]), and a body `CallbackCommand` that contradicts the
//! query's ([`Rejection::CommandMismatch`]).

mod kind;
pub(crate) mod live;
mod recording;
mod repair;
mod room;
mod room_id;
mod tolerant;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use kind::EventKind;
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
pub use room_id::RoomId;
pub(crate) use tolerant::count_trees;

use crate::Rejection;
use tolerant::BodyCommand;

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
    /// typed command whose body no typed decoder can read, e.g. a duplicated field).
    Unknown(UnknownEvent),
}

/// A webhook whose `CallbackCommand` (or TRTC `EventGroupId`) this version does not decode,
/// or a typed command whose body its typed decoder cannot read (see [`Event::Unknown`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnknownEvent {
    /// The `CallbackCommand` (for TRTC, see [`command::trtc`]).
    pub command: String,
    /// The body, a JSON object.
    pub json: Map<String, Value>,
}

/// `decode(body)`, and when that finds no valid JSON, `decode` of the body with what
/// serde_json cannot hold repaired ([`repair::repair`]: a lone surrogate escape, a number
/// past `f64`): such a body is valid JSON, and a verified one must not be refused.
pub(crate) fn with_repair<T>(
    body: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    match decode(body) {
        Err(Rejection::InvalidJson) => match repair::repair(body) {
            Some(repaired) => decode(&repaired),
            None => Err(Rejection::InvalidJson),
        },
        other => other,
    }
}

/// Decode `body` as the event named by the (already checked) query `command`.
///
/// The body must be a JSON object; a `CallbackCommand` inside it, when present (and not
/// null), must equal the query's.
pub(crate) fn parse(command: &str, body: &[u8]) -> Result<Event, Rejection> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(not_an_object(body));
    }
    match command {
        command::FOLLOW_CLOUD_RECORDING_CHANGED | command::LIVE_CLOUD_RECORDING_CHANGED => {
            typed(command, body, recording::decode_flat, |r| {
                Event::Recording(r.event)
            })
        }
        command::CALL_RECORD_CHANGED | command::CALL_CLOUD_RECORDING_CHANGED => {
            typed(command, body, recording::decode_call, |r| {
                Event::Recording(r.event)
            })
        }
        _ => match live::decode(command, body) {
            Some(event) => event,
            None => unknown_checked(command, body),
        },
    }
}

/// What a typed Chat decoder yields: the body's own `CallbackCommand`, and a place for
/// the whole body when a field had an unexpected type.
trait Typed {
    fn body_command(&self) -> &BodyCommand;
    fn keep_raw(&mut self, raw: Box<Map<String, Value>>);
}

impl Typed for recording::ChatRecording {
    fn body_command(&self) -> &BodyCommand {
        &self.command
    }
    fn keep_raw(&mut self, raw: Box<Map<String, Value>>) {
        self.event.raw = Some(raw);
    }
}

/// The one tolerant decode of a typed Chat command: one pass over the body with
/// `decode`. A value of an unexpected type is skipped and the body is parsed once more
/// into the event's `raw`; a body `decode` cannot read at all (a duplicated field) is
/// delivered as [`Event::Unknown`] with its JSON rather than refused.
fn typed<T: Typed>(
    command: &str,
    body: &[u8],
    decode: impl FnOnce(&[u8]) -> serde_json::Result<T>,
    wrap: impl FnOnce(T) -> Event,
) -> Result<Event, Rejection> {
    let (decoded, mismatched) = tolerant::watch(|| decode(body));
    match decoded {
        Ok(mut event) => {
            if !event.body_command().agrees_with(command) {
                return Err(Rejection::CommandMismatch);
            }
            if mismatched && let Some(json) = tolerant::whole_body(body) {
                event.keep_raw(json);
            }
            Ok(wrap(event))
        }
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            unknown_checked(command, body)
        }
        Err(_) => Err(Rejection::InvalidJson),
    }
}

/// `body` as an [`Event::Unknown`] of `command`, whose `CallbackCommand`, when present
/// and not null, must be `command` (as [`BodyCommand`] reads it for typed events).
fn unknown_checked(command: &str, body: &[u8]) -> Result<Event, Rejection> {
    let json: Map<String, Value> = from_json(body).map_err(|_| Rejection::InvalidJson)?;
    tolerant::note_map(&json);
    match json.get("CallbackCommand") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == command => {}
        Some(_) => return Err(Rejection::CommandMismatch),
    }
    Ok(Event::Unknown(UnknownEvent {
        command: command.to_owned(),
        json,
    }))
}

/// The top level of a TRTC console callback body. `EventInfo` is kept as raw JSON: its
/// shape depends on `EventGroupId` and `EventType`, which may come after it.
#[derive(Deserialize)]
struct WireTrtc<'a> {
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
/// with its JSON. A body without a numeric `EventGroupId` and `EventType` (absent, or of
/// another type) is the command `TRTC`, delivered as [`Event::Unknown`]; the tolerant rule
/// of the module docs applies to everything else.
pub(crate) fn parse_trtc(body: &[u8]) -> Result<TrtcDecoded, Rejection> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(not_an_object(body));
    }
    let (decoded, mismatched) = tolerant::watch(|| decode_trtc(body));
    let mut decoded = match decoded {
        Ok(decoded) => decoded,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            return trtc_unreadable(body);
        }
        Err(_) => return Err(Rejection::InvalidJson),
    };
    if mismatched {
        let raw = match &mut decoded.event {
            Event::Room(e) => &mut e.raw,
            Event::Recording(e) => &mut e.raw,
            _ => return Ok(decoded),
        };
        *raw = tolerant::whole_body(body);
    }
    Ok(decoded)
}

fn decode_trtc(body: &[u8]) -> serde_json::Result<TrtcDecoded> {
    let wire: WireTrtc<'_> = from_json(body)?;
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

/// A TRTC body that is valid JSON but that the typed decoders cannot read at all (a
/// duplicated field): [`Event::Unknown`] with its JSON, its command and `CallbackTs` read
/// from the JSON tree.
fn trtc_unreadable(body: &[u8]) -> Result<TrtcDecoded, Rejection> {
    let json: Map<String, Value> = from_json(body).map_err(|_| Rejection::InvalidJson)?;
    tolerant::note_map(&json);
    let field = |name: &str| json.get(name).unwrap_or(&Value::Null);
    let group = tolerant::uint32(field("EventGroupId")).ok().flatten();
    let event_type = tolerant::uint32(field("EventType")).ok().flatten();
    let callback_ts = tolerant::uint(field("CallbackTs")).ok().flatten();
    let command = match (group, event_type) {
        (Some(group), Some(event_type)) => command::trtc(group, event_type),
        _ => "TRTC".to_owned(),
    };
    Ok(TrtcDecoded {
        command: command.clone(),
        event: Event::Unknown(UnknownEvent { command, json }),
        callback_ts,
    })
}

fn unknown(command: String, body: &[u8]) -> serde_json::Result<Event> {
    let json: Map<String, Value> = from_json(body)?;
    tolerant::note_map(&json);
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
        // A payload field of the wrong shape is delivered the same way in both orders:
        // the field empty, the whole body kept.
        for body in [
            r#"{"EventType":310,"EventInfo":{"Payload":{"Status":0,"FileMessage":"x"}}}"#,
            r#"{"EventInfo":{"Payload":{"Status":0,"FileMessage":"x"}},"EventType":310}"#,
        ] {
            let r = recording(command::FOLLOW_CLOUD_RECORDING_CHANGED, body);
            assert!(
                matches!(&r.info.payload, RecordingPayload::Mp4Stopped { status: Some(0), files, .. } if files.is_empty()),
                "{body}"
            );
            assert_eq!(r.raw.unwrap()["EventInfo"]["Payload"]["FileMessage"], "x");
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
        assert_eq!(parse("X.Y", b"[]"), Err(Rejection::NotAnObject));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse("X.Y", deep.as_bytes()), Err(Rejection::InvalidJson));
        // Skipped (unknown) fields are walked without recursion, so deep nesting there is
        // no stack risk, and the body is delivered (with nothing in it).
        let r = recording(f, &deep);
        assert_eq!((r.event_type, r.raw), (0, None));
        // A payload of an unknown type becomes a JSON tree, which stops at 128 levels.
        let deep_payload = format!(
            r#"{{"EventType":399,"EventInfo":{{"Payload":{}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        assert_eq!(
            parse(f, deep_payload.as_bytes()),
            Err(Rejection::InvalidJson)
        );
    }

    /// A verified body is never refused for its shape: the mistyped field
    /// reads as absent and `raw` keeps the whole body.
    #[test]
    fn verified_recording_bodies_of_any_shape_are_delivered() {
        let f = command::FOLLOW_CLOUD_RECORDING_CHANGED;
        // Nothing at all: no EventType reads as 0, the payload as unknown; nothing was
        // mistyped, so no raw.
        let r = recording(f, "{}");
        assert_eq!(r.event_type, 0);
        assert_eq!(
            r.info.payload,
            RecordingPayload::Unknown { raw: Value::Null }
        );
        assert_eq!(r.raw, None);
        type Check = fn(&RecordingEvent) -> bool;
        let cases: [(&str, Check); 12] = [
            (
                r#"{"EventType":"x","EventInfo":{"Payload":{"Status":0}}}"#,
                |r| {
                    r.event_type == 0
                        && r.info.payload
                            == RecordingPayload::Unknown {
                                raw: serde_json::json!({"Status": 0}),
                            }
                },
            ),
            (r#"{"EventType":-305,"EventInfo":{}}"#, |r| {
                r.event_type == 0
            }),
            (r#"{"EventType":4294967296,"EventInfo":{}}"#, |r| {
                r.event_type == 0
            }),
            (
                r#"{"EventType":301,"EventInfo":{"Payload":{"Status":{}}}}"#,
                |r| r.info.payload == RecordingPayload::RecorderStarted { status: None },
            ),
            (
                r#"{"EventType":305,"EventInfo":{"Payload":{"Status":"zero"}}}"#,
                |r| r.info.payload == RecordingPayload::UploadStopped { status: None },
            ),
            (r#"{"EventType":305,"EventInfo":{"Payload":"x"}}"#, |r| {
                r.info.payload == RecordingPayload::UploadStopped { status: None }
            }),
            (r#"{"EventType":304,"EventInfo":{"Payload":[1,2]}}"#, |r| {
                r.info.payload == RecordingPayload::FileInfo { file_list: vec![] }
            }),
            (
                r#"{"EventType":305,"EventInfo":{"RoomId":8489.0,"Payload":{"Status":0}}}"#,
                |r| {
                    r.info.room_id.is_none()
                        && r.info.payload == RecordingPayload::UploadStopped { status: Some(0) }
                },
            ),
            (
                r#"{"EventType":305,"EventInfo":{"RoomId":-1,"UserId":"u"}}"#,
                |r| r.info.room_id.is_none() && r.info.user_id.as_deref() == Some("u"),
            ),
            (
                r#"{"EventType":305,"EventInfo":{"RoomId":true,"EventTs":"abc"}}"#,
                |r| r.info.room_id.is_none() && r.info.event_ts.is_none(),
            ),
            (
                r#"{"EventType":305,"EventInfo":"not an object","CallbackTs":5}"#,
                |r| r.event_type == 305 && r.callback_ts == Some(5) && r.info.room_id.is_none(),
            ),
            (
                r#"{"EventGroupId":{},"EventType":311,"EventInfo":{"Payload":{"TencentVod":7,"Errmsg":"e"}}}"#,
                |r| {
                    r.event_group_id.is_none()
                        && r.info.payload
                            == RecordingPayload::VodCommitted {
                                status: None,
                                errmsg: Some("e".into()),
                                vod: None,
                            }
                },
            ),
        ];
        for (body, check) in cases {
            let r = recording(f, body);
            assert!(check(&r), "{body}: {r:?}");
            let raw = r.raw.unwrap_or_else(|| panic!("{body}: raw kept"));
            assert_eq!(
                Value::Object(*raw),
                serde_json::from_str::<Value>(body).unwrap()
            );
        }
        // The Call variant: a mistyped wrapper field, or a `Callback` that is no object.
        let call = command::CALL_RECORD_CHANGED;
        let r = recording(
            call,
            r#"{"CallId":["c"],"Callback":{"EventType":305,"RoomId":{}}}"#,
        );
        assert_eq!(r.call.as_ref().unwrap().call_id, None);
        assert_eq!(r.event_type, 305);
        assert!(r.raw.is_some());
        let r = recording(call, r#"{"CallId":"c","Callback":"x"}"#);
        assert_eq!((r.event_type, r.raw.is_some()), (0, true));
        assert_eq!(r.call.unwrap().call_id.as_deref(), Some("c"));
        // Deep nesting in a mistyped value: skipped without recursion, delivered; too
        // deep for a JSON tree, so no raw (as for the live family).
        let deep = format!(
            r#"{{"EventType":305,"EventInfo":{{"RoomId":{}{}}}}}"#,
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let r = recording(f, &deep);
        assert_eq!((r.info.room_id, r.raw), (None, None));
    }

    /// A body no typed decoder can read (a duplicated field) is delivered as unknown with
    /// its JSON, as the live family does; its command is still checked.
    #[test]
    fn unreadable_recording_bodies_are_delivered_as_unknown() {
        for command in [
            command::FOLLOW_CLOUD_RECORDING_CHANGED,
            command::CALL_RECORD_CHANGED,
        ] {
            let body = br#"{"EventType":305,"EventType":301,"Callback":{},"Callback":{}}"#;
            match parse(command, body) {
                Ok(Event::Unknown(u)) => {
                    assert_eq!(u.command, command);
                    assert_eq!(u.json["EventType"], 301);
                }
                e => panic!("{e:?}"),
            }
            let body = br#"{"CallbackCommand":null,"EventType":1,"EventType":2,"Callback":{},"Callback":{}}"#;
            assert!(matches!(parse(command, body), Ok(Event::Unknown(_))));
            let body = br#"{"CallbackCommand":"Other","EventType":1,"EventType":2,"Callback":{},"Callback":{}}"#;
            assert_eq!(parse(command, body), Err(Rejection::CommandMismatch));
        }
        // A non-string CallbackCommand contradicts any query command.
        assert_eq!(
            parse(
                command::FOLLOW_CLOUD_RECORDING_CHANGED,
                br#"{"CallbackCommand":7}"#
            ),
            Err(Rejection::CommandMismatch)
        );
        assert!(matches!(
            parse(
                command::FOLLOW_CLOUD_RECORDING_CHANGED,
                br#"{"CallbackCommand":null}"#
            ),
            Ok(Event::Recording(_))
        ));
    }

    fn trtc(body: &str) -> TrtcDecoded {
        parse_trtc(body.as_bytes()).unwrap_or_else(|r| panic!("{body}: {r:?}"))
    }

    #[test]
    fn verified_trtc_bodies_of_any_shape_are_delivered() {
        // Mistyped room-event fields read as absent, with the whole body kept.
        type Check = fn(&RoomEvent) -> bool;
        let cases: [(&str, Check); 5] = [
            (
                r#"{"EventGroupId":1,"EventType":103,"EventInfo":{"Role":{}}}"#,
                |r| r.info.role.is_none(),
            ),
            (
                r#"{"EventGroupId":1,"EventType":103,"EventInfo":{"Role":"anchor","RoomId":8489.0,"UserId":"u"}}"#,
                |r| {
                    r.info.role.is_none()
                        && r.info.room_id.is_none()
                        && r.info.user_id.as_deref() == Some("u")
                },
            ),
            (
                r#"{"EventGroupId":1,"EventType":104,"EventInfo":{"EventTs":"abc","TerminalType":[1],"UserType":true,"Reason":"r"}}"#,
                |r| {
                    r.info.event_ts.is_none()
                        && r.info.terminal_type.is_none()
                        && r.info.user_type.is_none()
                        && r.exit_reason().is_none()
                },
            ),
            (
                r#"{"EventGroupId":2,"EventType":201,"CallbackTs":"soon","EventInfo":{"RoomId":7}}"#,
                |r| r.callback_ts.is_none() && r.info.room_id == Some(RoomId::Number(7)),
            ),
            (
                r#"{"EventGroupId":1,"EventType":101,"EventInfo":"x"}"#,
                |r| r.info == RoomEventInfo::default(),
            ),
        ];
        for (body, check) in cases {
            let d = trtc(body);
            let Event::Room(r) = d.event else {
                panic!("{body}: {:?}", d.event)
            };
            assert!(check(&r), "{body}: {r:?}");
            let raw = r.raw.unwrap_or_else(|| panic!("{body}: raw kept"));
            assert_eq!(
                Value::Object(*raw),
                serde_json::from_str::<Value>(body).unwrap()
            );
        }
        // A well-typed room event keeps no raw.
        let d = trtc(r#"{"EventGroupId":1,"EventType":103,"EventInfo":{"RoomId":"r","Role":20}}"#);
        assert!(
            matches!(d.event, Event::Room(r) if r.raw.is_none() && r.info.role == Some(Role::Anchor))
        );
        // Recording through TRTC.
        let d = trtc(r#"{"EventGroupId":3,"EventType":305,"EventInfo":{"Payload":{"Status":{}}}}"#);
        assert_eq!(d.command, "TRTC.3.305");
        let Event::Recording(r) = d.event else {
            panic!()
        };
        assert_eq!(
            r.info.payload,
            RecordingPayload::UploadStopped { status: None }
        );
        assert!(r.raw.is_some());
        // A mistyped group or type: the command `TRTC`, delivered with its JSON.
        for body in [
            r#"{"EventGroupId":"one","EventType":1}"#,
            r#"{"EventGroupId":1,"EventType":1.5,"CallbackTs":9}"#,
        ] {
            let d = trtc(body);
            assert_eq!(d.command, "TRTC");
            assert!(
                matches!(&d.event, Event::Unknown(u) if u.command == "TRTC" && u.json.contains_key("EventType")),
                "{body}"
            );
        }
        // A duplicated field: delivered as unknown, its command and CallbackTs still read.
        let d = trtc(
            r#"{"EventGroupId":1,"EventType":103,"CallbackTs":"12","EventInfo":{"UserId":"a","UserId":"b"}}"#,
        );
        assert_eq!(
            (d.command.as_str(), d.callback_ts),
            ("TRTC.1.103", Some(12))
        );
        assert!(matches!(&d.event, Event::Unknown(u) if u.json["EventInfo"]["UserId"] == "b"));
        let d = trtc(r#"{"EventGroupId":1,"EventGroupId":2,"EventType":201}"#);
        assert_eq!(d.command, "TRTC.2.201");
        // Still refused: not JSON, not an object.
        assert_eq!(parse_trtc(b"{").err(), Some(Rejection::InvalidJson));
        assert_eq!(parse_trtc(b"[1]").err(), Some(Rejection::NotAnObject));
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
