//! The seat webhook.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Mic.CallbackAfterSeatInfoChanged`: the seat list changed (taken, left, muted, locked)
/// (<https://trtc.io/document/64425>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct SeatInfoChanged {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `RoomId`.
    #[serde(rename = "RoomId", default, deserialize_with = "tolerant::string")]
    pub room_id: Option<String>,
    /// `SeatList`: the seats.
    #[serde(rename = "SeatList", default, deserialize_with = "tolerant::objects")]
    pub seat_list: Vec<Seat>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// One entry of `SeatList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Seat {
    /// `Index`.
    #[serde(rename = "Index", default, deserialize_with = "tolerant::int")]
    pub index: Option<i64>,
    /// `Member_Account`: who sits there (absent when the seat is empty; sometimes sent as
    /// a bare number, kept as its text).
    #[serde(
        rename = "Member_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub member_account: Option<String>,
    /// `IsTakenDisabled`: the seat is locked.
    #[serde(
        rename = "IsTakenDisabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_taken_disabled: Option<bool>,
    /// `IsVideoDisabled`.
    #[serde(
        rename = "IsVideoDisabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_video_disabled: Option<bool>,
    /// `IsAudioDisabled`.
    #[serde(
        rename = "IsAudioDisabled",
        default,
        deserialize_with = "tolerant::boolean"
    )]
    pub is_audio_disabled: Option<bool>,
}
