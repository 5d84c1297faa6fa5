//! Room lifecycle webhooks: created, destroyed, info updated, metadata set and deleted,
//! and the room-count threshold warning.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Live.CallbackAfterCreateRoom`: a room was created by a client or through the REST API
/// (<https://trtc.io/document/64422>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveRoomCreated {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`: who created the room.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `RoomInfo`: the new room.
    #[serde(rename = "RoomInfo", default, deserialize_with = "tolerant::object")]
    pub room_info: Option<LiveRoomInfo>,
    /// `EventTime` in Unix milliseconds, read at the top level or, as one Tencent sample
    /// places it, inside `RoomInfo`.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect (that field reads as `None` or empty above); `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterDestroyRoom`: a room was dissolved by a user or by the system
/// (<https://trtc.io/document/64423>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveRoomDestroyed {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `EventType`: `DestroyByUser`, or `DestroyBySystem` (the room stayed empty).
    #[serde(rename = "EventType", default, deserialize_with = "tolerant::string")]
    pub event_type: Option<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// `RoomInfo`: the room as it was.
    #[serde(rename = "RoomInfo", default, deserialize_with = "tolerant::object")]
    pub room_info: Option<LiveRoomInfo>,
    /// `Statistic`: the room's totals.
    #[serde(rename = "Statistic", default, deserialize_with = "tolerant::object")]
    pub statistic: Option<RoomStatistic>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterUpdateRoomInfo`: room information changed
/// (<https://www.tencentcloud.com/document/product/647/67938>). `room_info` presumably
/// carries only the fields that changed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveRoomInfoUpdated {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `RoomInfo`.
    #[serde(rename = "RoomInfo", default, deserialize_with = "tolerant::object")]
    pub room_info: Option<LiveRoomInfo>,
    /// `EventTime` in Unix milliseconds (top level, or inside `RoomInfo`).
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterSetMetadata`: room metadata keys were set
/// (<https://trtc.io/document/68222>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveMetadataSet {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `Metadata`: the keys and values set.
    #[serde(rename = "Metadata", default, deserialize_with = "tolerant::objects")]
    pub metadata: Vec<MetadataEntry>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterDelMetadata`: room metadata keys were deleted
/// (<https://trtc.io/document/68223>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveMetadataDeleted {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `Keys`: the keys deleted.
    #[serde(rename = "Keys", default, deserialize_with = "tolerant::strings")]
    pub keys: Vec<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Live.CallbackAfterCreateRoomReachingThreshold`: the number of created rooms reached
/// 70 % of the app's maximum (<https://trtc.io/document/70485>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct LiveRoomThresholdReached {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `Operator_Account`: whose room creation crossed the threshold.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `CurRoomCount` (a number, or a decimal string as Tencent's table types it).
    #[serde(rename = "CurRoomCount", default, deserialize_with = "tolerant::uint")]
    pub cur_room_count: Option<u64>,
    /// `MaxRoomCount` (a number, or a decimal string).
    #[serde(rename = "MaxRoomCount", default, deserialize_with = "tolerant::uint")]
    pub max_room_count: Option<u64>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `RoomInfo` of the room webhooks. Every field is optional: each webhook sends the
/// fields that apply (an update sends what changed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LiveRoomInfo {
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `RoomName`.
    #[serde(rename = "RoomName", default, deserialize_with = "tolerant::string")]
    pub room_name: Option<String>,
    /// `RoomType`, e.g. `Live`.
    #[serde(rename = "RoomType", default, deserialize_with = "tolerant::string")]
    pub room_type: Option<String>,
    /// `Owner_Account` (sometimes sent as a bare number; kept as its text).
    #[serde(
        rename = "Owner_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub owner_account: Option<String>,
    /// `MaxMemberCount`.
    #[serde(rename = "MaxMemberCount", default, deserialize_with = "tolerant::int")]
    pub max_member_count: Option<i64>,
    /// `IsMessageDisabled`: everyone is muted.
    #[serde(
        rename = "IsMessageDisabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_message_disabled: Option<bool>,
    /// `CustomInfo`.
    #[serde(rename = "CustomInfo", default, deserialize_with = "tolerant::string")]
    pub custom_info: Option<String>,
    /// `IsSeatEnabled`.
    #[serde(
        rename = "IsSeatEnabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_seat_enabled: Option<bool>,
    /// `TakeSeatMode`: `None`, `FreeToTake` or `ApplyToTake`.
    #[serde(
        rename = "TakeSeatMode",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub take_seat_mode: Option<String>,
    /// `MaxSeatCount`.
    #[serde(rename = "MaxSeatCount", default, deserialize_with = "tolerant::int")]
    pub max_seat_count: Option<i64>,
    /// `CreateTime` in Unix seconds.
    #[serde(rename = "CreateTime", default, deserialize_with = "tolerant::uint")]
    pub create_time: Option<u64>,
    /// `IsPublicVisible`.
    #[serde(
        rename = "IsPublicVisible",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_public_visible: Option<bool>,
    /// `CoverURL`.
    #[serde(rename = "CoverURL", default, deserialize_with = "tolerant::string")]
    pub cover_url: Option<String>,
    /// `BackgroundURL`.
    #[serde(
        rename = "BackgroundURL",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub background_url: Option<String>,
    /// `Category`.
    #[serde(rename = "Category", default, deserialize_with = "tolerant::ints")]
    pub category: Vec<i64>,
    /// `ActivityStatus` (user-defined).
    #[serde(rename = "ActivityStatus", default, deserialize_with = "tolerant::int")]
    pub activity_status: Option<i64>,
    /// `ViewCount`: total entries.
    #[serde(rename = "ViewCount", default, deserialize_with = "tolerant::int")]
    pub view_count: Option<i64>,
    /// `IsUnlimitedRoomEnabled`.
    #[serde(
        rename = "IsUnlimitedRoomEnabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_unlimited_room_enabled: Option<bool>,
    /// `EventTime`, where one Tencent sample places it (inside `RoomInfo`); the event's own
    /// `event_time` already falls back to it.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
}

/// `Statistic` of a destroyed room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RoomStatistic {
    /// `TotalViewers`.
    #[serde(rename = "TotalViewers", default, deserialize_with = "tolerant::int")]
    pub total_viewers: Option<i64>,
    /// `TotalGiftsSent`.
    #[serde(rename = "TotalGiftsSent", default, deserialize_with = "tolerant::int")]
    pub total_gifts_sent: Option<i64>,
    /// `TotalGiftCoins`.
    #[serde(rename = "TotalGiftCoins", default, deserialize_with = "tolerant::int")]
    pub total_gift_coins: Option<i64>,
    /// `TotalUniqueGiftSenders`.
    #[serde(
        rename = "TotalUniqueGiftSenders",
        default,
        deserialize_with = "tolerant::int"
    )]
    pub total_unique_gift_senders: Option<i64>,
    /// `TotalLikesReceived`.
    #[serde(
        rename = "TotalLikesReceived",
        default,
        deserialize_with = "tolerant::int"
    )]
    pub total_likes_received: Option<i64>,
}

/// One entry of `Metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MetadataEntry {
    /// `Key`.
    #[serde(rename = "Key", default, deserialize_with = "tolerant::string")]
    pub key: Option<String>,
    /// `Value`.
    #[serde(rename = "Value", default, deserialize_with = "tolerant::string")]
    pub value: Option<String>,
}
