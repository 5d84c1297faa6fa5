//! Room message webhooks: before (can allow, reject, drop or modify) and after sending.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Group.CallbackBeforeSendMsg` (before-webhook): a room message is about to be sent;
/// answer with a [`MessageReply`](crate::MessageReply) to allow it (possibly modified),
/// reject it, drop it silently or fail it with your own code
/// (<https://trtc.io/document/74347>). Tencent waits 2 s for the answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct BeforeSendMsg {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `GroupId`: the room's group.
    #[serde(rename = "GroupId", default, deserialize_with = "tolerant::string")]
    pub group_id: Option<String>,
    /// `Type`: the group type, `Live` for a live room.
    #[serde(rename = "Type", default, deserialize_with = "tolerant::string")]
    pub group_type: Option<String>,
    /// `From_Account`: the sender.
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub from_account: Option<String>,
    /// `Operator_Account`: who made the request (an admin for REST calls).
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `Random`: the request's 32-bit random number.
    #[serde(rename = "Random", default, deserialize_with = "tolerant::int")]
    pub random: Option<i64>,
    /// `MsgId`.
    #[serde(rename = "MsgId", default, deserialize_with = "tolerant::string")]
    pub msg_id: Option<String>,
    /// `MsgBody`: the message's elements.
    #[serde(rename = "MsgBody", default, deserialize_with = "tolerant::objects")]
    pub msg_body: Vec<MsgElement>,
    /// `CloudCustomData`.
    #[serde(
        rename = "CloudCustomData",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub cloud_custom_data: Option<String>,
    /// `EventTime` in Unix milliseconds (Tencent's sample sends it as a string).
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// `Group.CallbackAfterSendMsg`: a room message was sent (<https://trtc.io/document/74348>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct AfterSendMsg {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `GroupId`: the room's group.
    #[serde(rename = "GroupId", default, deserialize_with = "tolerant::string")]
    pub group_id: Option<String>,
    /// `Type`: the group type, `Live` for a live room.
    #[serde(rename = "Type", default, deserialize_with = "tolerant::string")]
    pub group_type: Option<String>,
    /// `From_Account`: the sender.
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub from_account: Option<String>,
    /// `Operator_Account`: who made the request.
    #[serde(
        rename = "Operator_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub operator_account: Option<String>,
    /// `Random`.
    #[serde(rename = "Random", default, deserialize_with = "tolerant::int")]
    pub random: Option<i64>,
    /// `MsgId`.
    #[serde(rename = "MsgId", default, deserialize_with = "tolerant::string")]
    pub msg_id: Option<String>,
    /// `MsgSeq`: the message's sequence number in the group.
    #[serde(rename = "MsgSeq", default, deserialize_with = "tolerant::int")]
    pub msg_seq: Option<i64>,
    /// `MsgTime` in Unix seconds.
    #[serde(rename = "MsgTime", default, deserialize_with = "tolerant::uint")]
    pub msg_time: Option<u64>,
    /// `MsgBody`: the message's elements.
    #[serde(rename = "MsgBody", default, deserialize_with = "tolerant::objects")]
    pub msg_body: Vec<MsgElement>,
    /// `CloudCustomData`.
    #[serde(
        rename = "CloudCustomData",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub cloud_custom_data: Option<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// One element of a `MsgBody`: its `MsgType` (e.g. `TIMTextElem`, `TIMCustomElem`) and
/// its `MsgContent`, kept as JSON since its shape depends on the type
/// (<https://trtc.io/document/34374>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct MsgElement {
    /// `MsgType`.
    #[serde(
        rename = "MsgType",
        default,
        deserialize_with = "tolerant::string",
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_type: Option<String>,
    /// `MsgContent`.
    #[serde(
        rename = "MsgContent",
        default,
        deserialize_with = "tolerant::value",
        skip_serializing_if = "Value::is_null"
    )]
    pub msg_content: Value,
}

impl MsgElement {
    /// The `MsgType` of a text element.
    pub const TEXT: &'static str = "TIMTextElem";

    /// A text element: `{"MsgType":"TIMTextElem","MsgContent":{"Text":text}}`.
    pub fn text(text: impl Into<String>) -> Self {
        let mut content = Map::new();
        content.insert("Text".to_owned(), Value::String(text.into()));
        Self {
            msg_type: Some(Self::TEXT.to_owned()),
            msg_content: Value::Object(content),
        }
    }

    /// An element of any type with its content.
    pub fn new(msg_type: impl Into<String>, msg_content: Value) -> Self {
        Self {
            msg_type: Some(msg_type.into()),
            msg_content,
        }
    }

    /// The text of a `TIMTextElem`, `None` for other elements.
    pub fn as_text(&self) -> Option<&str> {
        if self.msg_type.as_deref() != Some(Self::TEXT) {
            return None;
        }
        self.msg_content.get("Text")?.as_str()
    }
}
