//! Battle (PK) webhooks: created, started, ended.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Live.CallbackAfterCreateBattle`: a battle was created
/// (<https://trtc.io/document/68259>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BattleCreated {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `BattleId`.
    #[serde(rename = "BattleId", default, deserialize_with = "tolerant::string")]
    pub battle_id: Option<String>,
    /// `FromRoomId`: the inviting room.
    #[serde(rename = "FromRoomId", default, deserialize_with = "tolerant::string")]
    pub from_room_id: Option<String>,
    /// `ToRoomIdList`: the invited rooms.
    #[serde(
        rename = "ToRoomIdList",
        default,
        deserialize_with = "tolerant::strings"
    )]
    pub to_room_id_list: Vec<String>,
    /// `Timeout` in milliseconds: how long callees may answer (when `need_response`).
    #[serde(rename = "Timeout", default, deserialize_with = "tolerant::uint")]
    pub timeout: Option<u64>,
    /// `Duration` of the battle in milliseconds.
    #[serde(rename = "Duration", default, deserialize_with = "tolerant::uint")]
    pub duration: Option<u64>,
    /// `NeedResponse`: callees must accept before the battle starts.
    #[serde(
        rename = "NeedResponse",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub need_response: Option<bool>,
    /// `ExtensionInfo`.
    #[serde(
        rename = "ExtensionInfo",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub extension_info: Option<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterStartBattle`: a battle started (at once without `NeedResponse`,
/// else once a callee accepted) (<https://trtc.io/document/68260>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BattleStarted {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `BattleId`.
    #[serde(rename = "BattleId", default, deserialize_with = "tolerant::string")]
    pub battle_id: Option<String>,
    /// `Duration` in milliseconds.
    #[serde(rename = "Duration", default, deserialize_with = "tolerant::uint")]
    pub duration: Option<u64>,
    /// `CreateTime` in Unix seconds.
    #[serde(rename = "CreateTime", default, deserialize_with = "tolerant::uint")]
    pub create_time: Option<u64>,
    /// `StartTime` in Unix seconds.
    #[serde(rename = "StartTime", default, deserialize_with = "tolerant::uint")]
    pub start_time: Option<u64>,
    /// `FromRoomInfo`: the inviting room.
    #[serde(
        rename = "FromRoomInfo",
        default,
        deserialize_with = "tolerant::object"
    )]
    pub from_room_info: Option<BattleRoom>,
    /// `ToRoomList`: the rooms that joined.
    #[serde(rename = "ToRoomList", default, deserialize_with = "tolerant::objects")]
    pub to_room_list: Vec<BattleRoom>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterEndBattle`: a battle ended (<https://trtc.io/document/68261>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BattleEnded {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `BattleId`.
    #[serde(rename = "BattleId", default, deserialize_with = "tolerant::string")]
    pub battle_id: Option<String>,
    /// `Duration` in milliseconds.
    #[serde(rename = "Duration", default, deserialize_with = "tolerant::uint")]
    pub duration: Option<u64>,
    /// `CreateTime` in Unix seconds.
    #[serde(rename = "CreateTime", default, deserialize_with = "tolerant::uint")]
    pub create_time: Option<u64>,
    /// `StartTime` in Unix seconds.
    #[serde(rename = "StartTime", default, deserialize_with = "tolerant::uint")]
    pub start_time: Option<u64>,
    /// `EndTime` in Unix seconds.
    #[serde(rename = "EndTime", default, deserialize_with = "tolerant::uint")]
    pub end_time: Option<u64>,
    /// `OpType` (`opType` is read when it is absent): 0 time is up, 1 every owner left
    /// after the start, 2 created but never started (nobody joined).
    #[serde(rename = "OpType", default, deserialize_with = "tolerant::int")]
    pub op_type: Option<i64>,
    #[serde(rename = "opType", default, deserialize_with = "tolerant::int")]
    pub(crate) op_type_lower: Option<i64>,
    /// `FromRoomInfo`: the inviting room, with its score.
    #[serde(
        rename = "FromRoomInfo",
        default,
        deserialize_with = "tolerant::object"
    )]
    pub from_room_info: Option<BattleRoom>,
    /// `ToRoomList`: the other rooms, with their scores.
    #[serde(rename = "ToRoomList", default, deserialize_with = "tolerant::objects")]
    pub to_room_list: Vec<BattleRoom>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// A room taking part in a battle (`FromRoomInfo`, `ToRoomList[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BattleRoom {
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `Owner_Account` (sometimes sent as a bare number; kept as its text).
    #[serde(
        rename = "Owner_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub owner_account: Option<String>,
    /// `Score` (end of battle only).
    #[serde(rename = "Score", default, deserialize_with = "tolerant::int")]
    pub score: Option<i64>,
}
