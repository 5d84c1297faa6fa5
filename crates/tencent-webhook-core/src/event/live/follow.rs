//! Follow webhooks. Note Tencent's asymmetry: a follow lists `FollowList[].To_Account`, an
//! unfollow a flat `To_Account` array.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::event::tolerant::{self, BodyCommand};

/// `Follow.CallbackAfterFollowAdd`: a user followed others
/// (<https://www.tencentcloud.com/document/product/647/74356>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FollowAdded {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `From_Account`: who followed.
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub from_account: Option<String>,
    /// `FollowList`: whom.
    #[serde(rename = "FollowList", default, deserialize_with = "tolerant::objects")]
    pub follow_list: Vec<FollowTarget>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}

/// One entry of `FollowList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FollowTarget {
    /// `To_Account`: the user followed.
    #[serde(rename = "To_Account", default, deserialize_with = "tolerant::string")]
    pub to_account: Option<String>,
}

/// `Follow.CallbackAfterFollowDelete`: a user unfollowed others
/// (<https://trtc.io/document/70356>).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FollowDeleted {
    #[serde(rename = "CallbackCommand", default)]
    pub(crate) command: BodyCommand,
    /// `From_Account`: who unfollowed.
    #[serde(
        rename = "From_Account",
        default,
        deserialize_with = "tolerant::string"
    )]
    pub from_account: Option<String>,
    /// `To_Account`: whom.
    #[serde(rename = "To_Account", default, deserialize_with = "tolerant::strings")]
    pub to_account: Vec<String>,
    /// `EventTime` in Unix milliseconds.
    #[serde(rename = "EventTime", default, deserialize_with = "tolerant::uint")]
    pub event_time: Option<u64>,
    /// The whole body as JSON, only when some field had a type this version does not
    /// expect; `None` otherwise.
    #[serde(skip)]
    pub raw: Option<Box<Map<String, Value>>>,
}
