//! The gift before-webhook.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Live.CallbackBeforeSendGift` (before-webhook): a gift is about to be sent; answer with
/// a [`GiftReply`](crate::GiftReply) to allow or reject it
/// (<https://trtc.io/document/72210>). Without an answer within 2 s the gift is blocked,
/// unless the app enabled the non-blocking option (`Live.CallbackBeforeCallBackNotBlock`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BeforeSendGift {
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
    /// `GiftWater`: who sends what to whom.
    #[serde(rename = "GiftWater", default, deserialize_with = "tolerant::object")]
    pub gift_water: Option<GiftWater>,
    /// `EventTime` in Unix milliseconds, when sent.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `GiftWater` of a gift webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GiftWater {
    /// `From_Account`: the sender.
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub from_account: Option<String>,
    /// `To_Account`: the receivers.
    #[serde(rename = "To_Account", default, deserialize_with = "tolerant::strings")]
    pub to_account: Vec<String>,
    /// `Time` in Unix seconds.
    #[serde(rename = "Time", default, deserialize_with = "tolerant::uint")]
    pub time: Option<u64>,
    /// `GiftId`.
    #[serde(rename = "GiftId", default, deserialize_with = "tolerant::string")]
    pub gift_id: Option<String>,
    /// `Count`.
    #[serde(rename = "Count", default, deserialize_with = "tolerant::int")]
    pub count: Option<i64>,
    /// `Coins`: the gift's value.
    #[serde(rename = "Coins", default, deserialize_with = "tolerant::int")]
    pub coins: Option<i64>,
}
