//! TRTC room and media events (EventGroupId 1 and 2), delivered by the TRTC console event
//! callback (<https://trtc.io/document/39558>).
//!
//! `EventInfo` is decoded tolerantly ([`tolerant`]): a field of an unexpected type reads as
//! `None` and the event keeps the whole body in [`RoomEvent::raw`].

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::RoomId;
use super::tolerant;

/// A room event (EventGroupId 1: created, dismissed, entered, exited, role changed) or a
/// media event (EventGroupId 2: video, audio or sub-stream started or stopped).
///
/// Room events may repeat when a user's network changes or they re-enter; `UniqueId`
/// (`info.unique_id`, not sent to apps created after 2021-07-30, which get Tencent's own
/// de-duplication) identifies one entry or exit.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RoomEvent {
    /// `EventGroupId`: 1 room, 2 media.
    pub event_group_id: u32,
    /// `EventType`, e.g. 103 for a user entering the room.
    pub event_type: u32,
    /// What happened, from `EventType`.
    pub kind: RoomEventKind,
    /// `CallbackTs`: when Tencent sent this attempt, in Unix milliseconds.
    pub callback_ts: Option<u64>,
    /// `EventInfo`.
    pub info: RoomEventInfo,
    /// The whole body as JSON, kept only when a field had an unexpected type and was
    /// skipped (that field reads as `None` above); `None` otherwise.
    pub raw: Option<Box<Map<String, Value>>>,
}

/// What a [`RoomEvent`] reports, by `EventType`; types this version does not know are kept
/// in [`RoomEventKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoomEventKind {
    /// 101: the room was created (by its first user entering).
    RoomCreated,
    /// 102: the room was dismissed (its last user left).
    RoomDismissed,
    /// 103: a user entered the room.
    UserEntered,
    /// 104: a user left the room (only this event is sent on exit, not 202/204).
    UserExited,
    /// 105: a user changed role (anchor ↔ audience).
    RoleChanged,
    /// 201: a user started sending video.
    VideoStarted,
    /// 202: a user stopped sending video.
    VideoStopped,
    /// 203: a user started sending audio.
    AudioStarted,
    /// 204: a user stopped sending audio.
    AudioStopped,
    /// 205: a user started the sub-stream (screen sharing, `ASSIT`).
    SubStreamStarted,
    /// 206: a user stopped the sub-stream.
    SubStreamStopped,
    /// Any other `EventType`, kept as sent.
    Other(u32),
}

impl RoomEventKind {
    /// The kind of an `EventType`.
    pub fn from_event_type(event_type: u32) -> Self {
        match event_type {
            101 => Self::RoomCreated,
            102 => Self::RoomDismissed,
            103 => Self::UserEntered,
            104 => Self::UserExited,
            105 => Self::RoleChanged,
            201 => Self::VideoStarted,
            202 => Self::VideoStopped,
            203 => Self::AudioStarted,
            204 => Self::AudioStopped,
            205 => Self::SubStreamStarted,
            206 => Self::SubStreamStopped,
            other => Self::Other(other),
        }
    }
}

/// The `EventInfo` of a room or media event. Every field is optional: Tencent adds fields
/// over time and sends only those that apply; a value of an unexpected type (a `Role` of
/// `"anchor"`, a `RoomId` of `8489.0`) reads as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RoomEventInfo {
    /// `RoomId`, a string or a number as the client created it.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::room_id")]
    pub room_id: Option<RoomId>,
    /// `EventTs`: event time in Unix seconds.
    #[serde(rename = "EventTs", default, deserialize_with = "tolerant::uint")]
    pub event_ts: Option<u64>,
    /// `EventMsTs`: event time in Unix milliseconds.
    #[serde(rename = "EventMsTs", default, deserialize_with = "tolerant::uint")]
    pub event_ms_ts: Option<u64>,
    /// `UserId`.
    #[serde(rename = "UserId", default, deserialize_with = "tolerant::string")]
    pub user_id: Option<String>,
    /// `UniqueId`: identifies one entry or exit (older apps only; see [`RoomEvent`]).
    #[serde(rename = "UniqueId", default, deserialize_with = "tolerant::string")]
    pub unique_id: Option<String>,
    /// `Role` (enter and role-change events).
    #[serde(rename = "Role", default, deserialize_with = "opt_role")]
    pub role: Option<Role>,
    /// `TerminalType` (enter events).
    #[serde(
        rename = "TerminalType",
        default,
        deserialize_with = "opt_terminal_type"
    )]
    pub terminal_type: Option<TerminalType>,
    /// `UserType` (enter events).
    #[serde(rename = "UserType", default, deserialize_with = "opt_user_type")]
    pub user_type: Option<UserType>,
    /// `Reason` as sent; its meaning depends on the event: see
    /// [`RoomEvent::enter_reason`] and [`RoomEvent::exit_reason`].
    #[serde(rename = "Reason", default, deserialize_with = "tolerant::int")]
    pub reason: Option<i64>,
}

/// `Role` of a user in the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// 20: anchor (may publish).
    Anchor,
    /// 21: audience.
    Audience,
    /// A value this version does not know, kept as sent.
    Unknown(i64),
}

/// `TerminalType`: the user's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TerminalType {
    /// 1: Windows.
    Windows,
    /// 2: Android.
    Android,
    /// 3: iOS.
    Ios,
    /// 4: Linux.
    Linux,
    /// 100: another device, as Tencent documents it.
    OtherDevice,
    /// A value this version does not know, kept as sent.
    Unknown(i64),
}

/// `UserType`: which SDK the user joined with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserType {
    /// 1: WebRTC.
    WebRtc,
    /// 2: mini program.
    MiniProgram,
    /// 3: native SDK.
    NativeSdk,
    /// A value this version does not know, kept as sent.
    Unknown(i64),
}

/// Why a user entered the room (`Reason` of event 103).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnterReason {
    /// 1: normal entry.
    Normal,
    /// 2: re-entry after a network change.
    NetworkChange,
    /// 3: re-entry after a timeout.
    TimeoutRetry,
    /// 4: entry through a cross-room call.
    CrossRoom,
    /// A value this version does not know, kept as sent.
    Unknown(i64),
}

/// Why a user left the room (`Reason` of event 104).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExitReason {
    /// 1: normal exit.
    Normal,
    /// 2: timed out.
    Timeout,
    /// 3: removed from the room.
    Kicked,
    /// 4: a cross-room call ended.
    CrossRoomEnded,
    /// 5: the app was force-closed.
    ForceClosed,
    /// A value this version does not know, kept as sent.
    Unknown(i64),
}

impl RoomEvent {
    /// The `Reason` of a user-entered event (103); `None` for other events or no reason.
    pub fn enter_reason(&self) -> Option<EnterReason> {
        if self.kind != RoomEventKind::UserEntered {
            return None;
        }
        self.info.reason.map(|r| match r {
            1 => EnterReason::Normal,
            2 => EnterReason::NetworkChange,
            3 => EnterReason::TimeoutRetry,
            4 => EnterReason::CrossRoom,
            other => EnterReason::Unknown(other),
        })
    }

    /// The `Reason` of a user-exited event (104); `None` for other events or no reason.
    pub fn exit_reason(&self) -> Option<ExitReason> {
        if self.kind != RoomEventKind::UserExited {
            return None;
        }
        self.info.reason.map(|r| match r {
            1 => ExitReason::Normal,
            2 => ExitReason::Timeout,
            3 => ExitReason::Kicked,
            4 => ExitReason::CrossRoomEnded,
            5 => ExitReason::ForceClosed,
            other => ExitReason::Unknown(other),
        })
    }
}

fn opt_role<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Role>, D::Error> {
    Ok(tolerant::int(d)?.map(|v| match v {
        20 => Role::Anchor,
        21 => Role::Audience,
        other => Role::Unknown(other),
    }))
}

fn opt_terminal_type<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<TerminalType>, D::Error> {
    Ok(tolerant::int(d)?.map(|v| match v {
        1 => TerminalType::Windows,
        2 => TerminalType::Android,
        3 => TerminalType::Ios,
        4 => TerminalType::Linux,
        100 => TerminalType::OtherDevice,
        other => TerminalType::Unknown(other),
    }))
}

fn opt_user_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<UserType>, D::Error> {
    Ok(tolerant::int(d)?.map(|v| match v {
        1 => UserType::WebRtc,
        2 => UserType::MiniProgram,
        3 => UserType::NativeSdk,
        other => UserType::Unknown(other),
    }))
}

/// Decode the `EventInfo` of a room or media event (an `EventInfo` that is not an object
/// reads as empty, and is noted).
pub(super) fn decode(
    event_group_id: u32,
    event_type: u32,
    callback_ts: Option<u64>,
    info: Option<&RawValue>,
) -> serde_json::Result<RoomEvent> {
    let info = match info {
        Some(raw) => tolerant::object_in(raw)?.unwrap_or_default(),
        None => RoomEventInfo::default(),
    };
    Ok(RoomEvent {
        event_group_id,
        event_type,
        kind: RoomEventKind::from_event_type(event_type),
        callback_ts,
        info,
        raw: None,
    })
}
