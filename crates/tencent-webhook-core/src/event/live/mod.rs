//! The TUILiveKit webhook family (<https://trtc.io/document/64413>): rooms, members,
//! seats, battles, gifts, room messages and follows, each a typed event.
//!
//! Every field is optional and decoded tolerantly: numbers may come as strings and ids as
//! numbers, unknown fields are ignored, and a value of an unexpected type does not refuse
//! the webhook: the field reads as `None` (or empty) and the event's `raw` keeps the whole
//! body as JSON so nothing is lost.

mod battle;
mod follow;
mod gift;
mod member;
mod message;
mod room;
mod seat;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use battle::{BattleCreated, BattleEnded, BattleRoom, BattleStarted};
pub use follow::{FollowAdded, FollowDeleted, FollowTarget};
pub use gift::{BeforeSendGift, GiftWater};
pub use member::{LiveAdminsModified, LiveMember, LiveMemberStateChanged, LiveOwnerChanged};
pub use message::{AfterSendMsg, BeforeSendMsg, MsgElement};
pub use room::{
    LiveMetadataDeleted, LiveMetadataSet, LiveRoomCreated, LiveRoomDestroyed, LiveRoomInfo,
    LiveRoomInfoUpdated, LiveRoomThresholdReached, MetadataEntry, RoomStatistic,
};
pub use seat::{Seat, SeatInfoChanged};

use super::tolerant::BodyCommand;
use super::{Event, Typed, command as c};
use crate::Rejection;

/// What every event of the family shares, for the one decode function
/// ([`super::typed`]).
trait FamilyEvent: DeserializeOwned + Typed {
    /// Fix-ups after decoding (fields Tencent places in more than one spot).
    fn finish(&mut self) {}
}

/// The body command and the `raw` field, which every event of the family has.
macro_rules! typed_event {
    ($($t:ty),+ $(,)?) => {$(
        impl Typed for $t {
            fn body_command(&self) -> &BodyCommand {
                &self.command
            }
            fn keep_raw(&mut self, raw: Box<Map<String, Value>>) {
                self.raw = Some(raw);
            }
        }
    )+};
}

typed_event!(
    LiveRoomCreated,
    LiveRoomDestroyed,
    LiveRoomInfoUpdated,
    LiveMetadataSet,
    LiveMetadataDeleted,
    LiveRoomThresholdReached,
    LiveMemberStateChanged,
    LiveOwnerChanged,
    LiveAdminsModified,
    SeatInfoChanged,
    BattleCreated,
    BattleStarted,
    BattleEnded,
    BeforeSendGift,
    BeforeSendMsg,
    AfterSendMsg,
    FollowAdded,
    FollowDeleted,
);

macro_rules! family_event {
    ($($t:ty),+ $(,)?) => {$(
        impl FamilyEvent for $t {}
    )+};
}

family_event!(
    LiveRoomDestroyed,
    LiveMetadataSet,
    LiveMetadataDeleted,
    LiveRoomThresholdReached,
    LiveMemberStateChanged,
    LiveOwnerChanged,
    SeatInfoChanged,
    BattleCreated,
    BattleStarted,
    BeforeSendGift,
    BeforeSendMsg,
    AfterSendMsg,
    FollowAdded,
    FollowDeleted,
);

/// `EventTime` at the top level, or inside `RoomInfo` where one Tencent sample puts it.
macro_rules! family_event_with_room_info_time {
    ($($t:ty),+ $(,)?) => {$(
        impl FamilyEvent for $t {
            fn finish(&mut self) {
                if self.event_time.is_none() {
                    self.event_time = self.room_info.as_ref().and_then(|r| r.event_time);
                }
            }
        }
    )+};
}

family_event_with_room_info_time!(LiveRoomCreated, LiveRoomInfoUpdated);

/// `opType` (Tencent's spelling) or `OpType`.
impl FamilyEvent for LiveAdminsModified {
    fn finish(&mut self) {
        if self.op_type.is_none() {
            self.op_type = self.op_type_capitalised.take();
        }
    }
}

/// `OpType` (Tencent's spelling) or `opType`.
impl FamilyEvent for BattleEnded {
    fn finish(&mut self) {
        if self.op_type.is_none() {
            self.op_type = self.op_type_lower.take();
        }
    }
}

/// Decode `body` as the family event named by `command`; `None` when `command` is not of
/// the family.
pub(super) fn decode(command: &str, body: &[u8]) -> Option<Result<Event, Rejection>> {
    Some(match command {
        c::LIVE_CREATE_ROOM => typed(command, body, Event::LiveRoomCreated),
        c::LIVE_DESTROY_ROOM => typed(command, body, |e| Event::LiveRoomDestroyed(Box::new(e))),
        c::LIVE_UPDATE_ROOM_INFO => typed(command, body, Event::LiveRoomInfoUpdated),
        c::LIVE_SET_METADATA => typed(command, body, Event::LiveMetadataSet),
        c::LIVE_DEL_METADATA => typed(command, body, Event::LiveMetadataDeleted),
        c::LIVE_ROOM_THRESHOLD => typed(command, body, Event::LiveRoomThresholdReached),
        c::LIVE_MEMBER_STATE_CHANGED | c::LIVE_MEMBER_STATE_CHANGED_ALT => {
            typed(command, body, Event::LiveMemberStateChanged)
        }
        c::LIVE_CHANGE_OWNER => typed(command, body, Event::LiveOwnerChanged),
        c::LIVE_MODIFY_ADMIN => typed(command, body, Event::LiveAdminsModified),
        c::MIC_SEAT_INFO_CHANGED => typed(command, body, Event::SeatInfoChanged),
        c::LIVE_CREATE_BATTLE => typed(command, body, Event::BattleCreated),
        c::LIVE_START_BATTLE => typed(command, body, Event::BattleStarted),
        c::LIVE_END_BATTLE => typed(command, body, Event::BattleEnded),
        c::LIVE_BEFORE_SEND_GIFT => typed(command, body, Event::BeforeSendGift),
        c::GROUP_BEFORE_SEND_MSG => typed(command, body, Event::BeforeSendMsg),
        c::GROUP_AFTER_SEND_MSG => typed(command, body, Event::AfterSendMsg),
        c::FOLLOW_ADD => typed(command, body, Event::FollowAdded),
        c::FOLLOW_DELETE => typed(command, body, Event::FollowDeleted),
        _ => return None,
    })
}

/// One pass over the body into `T`, by the one tolerant decode of [`super::typed`].
fn typed<T: FamilyEvent>(
    command: &str,
    body: &[u8],
    wrap: fn(T) -> Event,
) -> Result<Event, Rejection> {
    super::typed(
        command,
        body,
        |body| {
            serde_json::from_slice::<T>(body).map(|mut event| {
                event.finish();
                event
            })
        },
        wrap,
    )
}

#[cfg(all(test, feature = "test-util"))]
mod tests;
