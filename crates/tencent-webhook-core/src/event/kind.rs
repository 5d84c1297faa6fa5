//! [`EventKind`]: which variant an [`Event`] is, as a plain value (for routing and
//! tables), and the room and user an event is about.

use std::borrow::Cow;

use super::{Event, RoomId, command};

/// The kind of an [`Event`], one per variant: what a
/// [`EventRouter`](crate::EventRouter) routes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// [`Event::Recording`].
    Recording,
    /// [`Event::Room`] (TRTC room and media events).
    Room,
    /// [`Event::LiveRoomCreated`].
    LiveRoomCreated,
    /// [`Event::LiveRoomDestroyed`].
    LiveRoomDestroyed,
    /// [`Event::LiveRoomInfoUpdated`].
    LiveRoomInfoUpdated,
    /// [`Event::LiveMetadataSet`].
    LiveMetadataSet,
    /// [`Event::LiveMetadataDeleted`].
    LiveMetadataDeleted,
    /// [`Event::LiveRoomThresholdReached`].
    LiveRoomThresholdReached,
    /// [`Event::LiveMemberStateChanged`].
    LiveMemberStateChanged,
    /// [`Event::LiveOwnerChanged`].
    LiveOwnerChanged,
    /// [`Event::LiveAdminsModified`].
    LiveAdminsModified,
    /// [`Event::SeatInfoChanged`].
    SeatInfoChanged,
    /// [`Event::BattleCreated`].
    BattleCreated,
    /// [`Event::BattleStarted`].
    BattleStarted,
    /// [`Event::BattleEnded`].
    BattleEnded,
    /// [`Event::BeforeSendGift`] (a before-webhook).
    BeforeSendGift,
    /// [`Event::BeforeSendMsg`] (a before-webhook).
    BeforeSendMsg,
    /// [`Event::AfterSendMsg`].
    AfterSendMsg,
    /// [`Event::FollowAdded`].
    FollowAdded,
    /// [`Event::FollowDeleted`].
    FollowDeleted,
    /// [`Event::Unknown`].
    Unknown,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 21] = [
        Self::Recording,
        Self::Room,
        Self::LiveRoomCreated,
        Self::LiveRoomDestroyed,
        Self::LiveRoomInfoUpdated,
        Self::LiveMetadataSet,
        Self::LiveMetadataDeleted,
        Self::LiveRoomThresholdReached,
        Self::LiveMemberStateChanged,
        Self::LiveOwnerChanged,
        Self::LiveAdminsModified,
        Self::SeatInfoChanged,
        Self::BattleCreated,
        Self::BattleStarted,
        Self::BattleEnded,
        Self::BeforeSendGift,
        Self::BeforeSendMsg,
        Self::AfterSendMsg,
        Self::FollowAdded,
        Self::FollowDeleted,
        Self::Unknown,
    ];

    /// The kind a Chat/TUILiveKit `CallbackCommand` decodes into ([`EventKind::Unknown`]
    /// for commands this version has no type for).
    pub fn of_command(name: &str) -> EventKind {
        match name {
            command::FOLLOW_CLOUD_RECORDING_CHANGED
            | command::LIVE_CLOUD_RECORDING_CHANGED
            | command::CALL_RECORD_CHANGED
            | command::CALL_CLOUD_RECORDING_CHANGED => Self::Recording,
            command::LIVE_CREATE_ROOM => Self::LiveRoomCreated,
            command::LIVE_DESTROY_ROOM => Self::LiveRoomDestroyed,
            command::LIVE_UPDATE_ROOM_INFO => Self::LiveRoomInfoUpdated,
            command::LIVE_SET_METADATA => Self::LiveMetadataSet,
            command::LIVE_DEL_METADATA => Self::LiveMetadataDeleted,
            command::LIVE_ROOM_THRESHOLD => Self::LiveRoomThresholdReached,
            command::LIVE_MEMBER_STATE_CHANGED | command::LIVE_MEMBER_STATE_CHANGED_ALT => {
                Self::LiveMemberStateChanged
            }
            command::LIVE_CHANGE_OWNER => Self::LiveOwnerChanged,
            command::LIVE_MODIFY_ADMIN => Self::LiveAdminsModified,
            command::MIC_SEAT_INFO_CHANGED => Self::SeatInfoChanged,
            command::LIVE_CREATE_BATTLE => Self::BattleCreated,
            command::LIVE_START_BATTLE => Self::BattleStarted,
            command::LIVE_END_BATTLE => Self::BattleEnded,
            command::LIVE_BEFORE_SEND_GIFT => Self::BeforeSendGift,
            command::GROUP_BEFORE_SEND_MSG => Self::BeforeSendMsg,
            command::GROUP_AFTER_SEND_MSG => Self::AfterSendMsg,
            command::FOLLOW_ADD => Self::FollowAdded,
            command::FOLLOW_DELETE => Self::FollowDeleted,
            _ => Self::Unknown,
        }
    }

    /// Whether Tencent waits for this event's answer to decide what happens (a gift or a
    /// room message about to be sent).
    pub const fn is_before_webhook(self) -> bool {
        matches!(self, Self::BeforeSendGift | Self::BeforeSendMsg)
    }
}

impl Event {
    /// This event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Recording(_) => EventKind::Recording,
            Self::Room(_) => EventKind::Room,
            Self::LiveRoomCreated(_) => EventKind::LiveRoomCreated,
            Self::LiveRoomDestroyed(_) => EventKind::LiveRoomDestroyed,
            Self::LiveRoomInfoUpdated(_) => EventKind::LiveRoomInfoUpdated,
            Self::LiveMetadataSet(_) => EventKind::LiveMetadataSet,
            Self::LiveMetadataDeleted(_) => EventKind::LiveMetadataDeleted,
            Self::LiveRoomThresholdReached(_) => EventKind::LiveRoomThresholdReached,
            Self::LiveMemberStateChanged(_) => EventKind::LiveMemberStateChanged,
            Self::LiveOwnerChanged(_) => EventKind::LiveOwnerChanged,
            Self::LiveAdminsModified(_) => EventKind::LiveAdminsModified,
            Self::SeatInfoChanged(_) => EventKind::SeatInfoChanged,
            Self::BattleCreated(_) => EventKind::BattleCreated,
            Self::BattleStarted(_) => EventKind::BattleStarted,
            Self::BattleEnded(_) => EventKind::BattleEnded,
            Self::BeforeSendGift(_) => EventKind::BeforeSendGift,
            Self::BeforeSendMsg(_) => EventKind::BeforeSendMsg,
            Self::AfterSendMsg(_) => EventKind::AfterSendMsg,
            Self::FollowAdded(_) => EventKind::FollowAdded,
            Self::FollowDeleted(_) => EventKind::FollowDeleted,
            Self::Unknown(_) => EventKind::Unknown,
        }
    }

    /// The room the event is about, whichever field the event has: `RoomId`,
    /// `RoomInfo.RoomId`, `GroupId` (room messages) or `FromRoomId` /
    /// `FromRoomInfo.RoomId` (battles). `None` for events without a room (follows, the
    /// room-count threshold, unknown commands).
    pub fn room(&self) -> Option<Cow<'_, str>> {
        fn id(room: &RoomId) -> Cow<'_, str> {
            match room {
                RoomId::String(s) => Cow::Borrowed(s),
                RoomId::Number(n) => Cow::Owned(n.to_string()),
            }
        }
        let borrowed = match self {
            Self::Recording(e) => return e.info.room_id.as_ref().map(id),
            Self::Room(e) => return e.info.room_id.as_ref().map(id),
            Self::LiveRoomCreated(e) => e.room_info.as_ref().and_then(|r| r.room_id.as_deref()),
            Self::LiveRoomInfoUpdated(e) => e.room_info.as_ref().and_then(|r| r.room_id.as_deref()),
            Self::LiveRoomDestroyed(e) => e
                .room_id
                .as_deref()
                .or_else(|| e.room_info.as_ref().and_then(|r| r.room_id.as_deref())),
            Self::LiveMetadataSet(e) => e.room_id.as_deref(),
            Self::LiveMetadataDeleted(e) => e.room_id.as_deref(),
            Self::LiveMemberStateChanged(e) => e.room_id.as_deref(),
            Self::LiveOwnerChanged(e) => e.room_id.as_deref(),
            Self::LiveAdminsModified(e) => e.room_id.as_deref(),
            Self::SeatInfoChanged(e) => e.room_id.as_deref(),
            Self::BattleCreated(e) => e.from_room_id.as_deref(),
            Self::BattleStarted(e) => e.from_room_info.as_ref().and_then(|r| r.room_id.as_deref()),
            Self::BattleEnded(e) => e.from_room_info.as_ref().and_then(|r| r.room_id.as_deref()),
            Self::BeforeSendGift(e) => e.room_id.as_deref(),
            Self::BeforeSendMsg(e) => e.group_id.as_deref(),
            Self::AfterSendMsg(e) => e.group_id.as_deref(),
            Self::LiveRoomThresholdReached(_)
            | Self::FollowAdded(_)
            | Self::FollowDeleted(_)
            | Self::Unknown(_) => None,
        };
        borrowed.map(Cow::Borrowed)
    }

    /// The user who acted or is the source of the event, whichever the event has:
    /// `From_Account` (messages, follows, the gift's sender), `Operator_Account` (room
    /// operations), the first `MemberList` entry (member state), the inviting room's
    /// owner (battles started or ended), `UserId` (recording robot, TRTC events). `None`
    /// when the event names nobody.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::Recording(e) => e.info.user_id.as_deref(),
            Self::Room(e) => e.info.user_id.as_deref(),
            Self::LiveRoomCreated(e) => e.operator_account.as_deref(),
            Self::LiveRoomDestroyed(e) => e.operator_account.as_deref(),
            Self::LiveRoomInfoUpdated(e) => e.operator_account.as_deref(),
            Self::LiveMetadataSet(e) => e.operator_account.as_deref(),
            Self::LiveMetadataDeleted(e) => e.operator_account.as_deref(),
            Self::LiveRoomThresholdReached(e) => e.operator_account.as_deref(),
            Self::LiveMemberStateChanged(e) => e
                .member_list
                .first()
                .and_then(|m| m.member_account.as_deref()),
            Self::LiveOwnerChanged(e) => e.operator_account.as_deref(),
            Self::LiveAdminsModified(e) => e.operator_account.as_deref(),
            Self::SeatInfoChanged(_) | Self::Unknown(_) => None,
            Self::BattleCreated(e) => e.operator_account.as_deref(),
            Self::BattleStarted(e) => e
                .from_room_info
                .as_ref()
                .and_then(|r| r.owner_account.as_deref()),
            Self::BattleEnded(e) => e
                .from_room_info
                .as_ref()
                .and_then(|r| r.owner_account.as_deref()),
            Self::BeforeSendGift(e) => e
                .gift_water
                .as_ref()
                .and_then(|g| g.from_account.as_deref())
                .or(e.operator_account.as_deref()),
            Self::BeforeSendMsg(e) => e.from_account.as_deref(),
            Self::AfterSendMsg(e) => e.from_account.as_deref(),
            Self::FollowAdded(e) => e.from_account.as_deref(),
            Self::FollowDeleted(e) => e.from_account.as_deref(),
        }
    }
}
