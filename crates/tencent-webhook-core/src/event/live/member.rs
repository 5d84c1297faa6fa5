//! Member webhooks: online state, owner change, admin change.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Live.CallbackAfterMemberStateChanged` (Tencent's parameter table also spells it
/// `Live.CallbackMemberStateChanged`; both are accepted): members went online or offline
/// (entered, left, heartbeat lost or recovered) (<https://trtc.io/document/64424>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveMemberStateChanged {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `EventType`: `Online` or `Offline`.
    #[serde(rename = "EventType", default, deserialize_with = "tolerant::string")]
    pub event_type: Option<String>,
    /// `EventCause`: `Enter`, `Leave`, `HeartbeatInterrupt` or `HeartbeatRecover`.
    #[serde(rename = "EventCause", default, deserialize_with = "tolerant::string")]
    pub event_cause: Option<String>,
    /// `MemberList`: the members concerned.
    #[serde(rename = "MemberList", default, deserialize_with = "tolerant::objects")]
    pub member_list: Vec<LiveMember>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// One entry of `MemberList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LiveMember {
    /// `Member_Account`.
    #[serde(
        rename = "Member_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub member_account: Option<String>,
}

/// `Live.CallbackAfterChangeOwner`: the room changed owner
/// (<https://trtc.io/document/72553>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveOwnerChanged {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `CurrentOwner_Account`: the new owner.
    #[serde(
        rename = "CurrentOwner_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub current_owner_account: Option<String>,
    /// `OriginalOwner_Account`: the previous owner.
    #[serde(
        rename = "OriginalOwner_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub original_owner_account: Option<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterModifyAdmin`: room admins were added or removed
/// (<https://trtc.io/document/72554>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveAdminsModified {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `Admin_Account`: the admins added or removed.
    #[serde(
        rename = "Admin_Account",
        default,
        deserialize_with = "tolerant::strings"
    )]
    pub admin_account: Vec<String>,
    /// `opType` (Tencent's spelling; `OpType` is read when it is absent): `add` or
    /// `delete`.
    #[serde(rename = "opType", default, deserialize_with = "tolerant::string")]
    pub op_type: Option<String>,
    #[serde(rename = "OpType", default, deserialize_with = "tolerant::string")]
    pub(crate) op_type_capitalised: Option<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}
