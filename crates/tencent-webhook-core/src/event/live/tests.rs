//! Every TUILiveKit sample decodes into its typed event, with every field checked; the
//! tolerant paths (numbers as strings, ids as numbers, values of unexpected types) are
//! exercised one by one.

use serde_json::json;

use crate::event::{Event, EventKind, command, parse};
use crate::test_util::samples;
use crate::{Rejection, RoomId};

fn decode(command: &str, body: &str) -> Event {
    parse(command, body.as_bytes()).unwrap_or_else(|r| panic!("{command}: {r:?}"))
}

macro_rules! expect {
    ($event:expr, $variant:ident) => {
        match $event {
            Event::$variant(e) => e,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

#[test]
fn every_family_sample_decodes_into_its_kind_without_raw() {
    let mut typed = 0;
    for (name, cmd, body) in samples::ALL {
        let event = decode(cmd, body);
        assert_eq!(event.kind(), EventKind::of_command(cmd), "{name}");
        if name == "unknown" {
            assert!(matches!(event, Event::Unknown(_)));
            continue;
        }
        assert_ne!(event.kind(), EventKind::Unknown, "{name}");
        assert!(command::TYPED.contains(&cmd), "{name}");
        typed += 1;
    }
    assert_eq!(typed, 21, "18 family commands and 3 recording names");
}

#[test]
fn room_samples() {
    let e = expect!(
        decode(command::LIVE_CREATE_ROOM, samples::CREATE_ROOM),
        LiveRoomCreated
    );
    assert_eq!(e.operator_account.as_deref(), Some("admin"));
    assert_eq!((e.event_time, e.raw), (None, None));
    let info = e.room_info.unwrap();
    assert_eq!(info.room_id.as_deref(), Some("tandy-test-rest"));
    assert_eq!(info.room_name.as_deref(), Some("tandy-test-rest"));
    assert_eq!(info.room_type.as_deref(), Some("Live"));
    assert_eq!(info.owner_account.as_deref(), Some("user3"));
    assert_eq!(info.max_member_count, Some(300));
    assert_eq!(info.is_message_disabled, Some(true));
    assert_eq!(info.custom_info.as_deref(), Some("custom123"));
    assert_eq!(info.is_seat_enabled, Some(true));
    assert_eq!(info.take_seat_mode.as_deref(), Some("ApplyToTake"));
    assert_eq!(info.max_seat_count, Some(16));
    assert_eq!(info.create_time, Some(1703589922));
    assert_eq!(info.is_public_visible, Some(true));
    assert_eq!(info.cover_url.as_deref(), Some("cover url"));
    assert_eq!(info.category, [1, 2]);

    let e = expect!(
        decode(command::LIVE_DESTROY_ROOM, samples::DESTROY_ROOM),
        LiveRoomDestroyed
    );
    assert_eq!(e.room_id.as_deref(), Some("tandy-test-rest"));
    assert_eq!(e.event_type.as_deref(), Some("DestroyByUser"));
    assert_eq!(e.event_time, Some(1703589922780));
    let info = e.room_info.unwrap();
    assert_eq!(info.owner_account.as_deref(), Some("144115216631667826"));
    assert_eq!(info.view_count, Some(0));
    assert_eq!(info.background_url.as_deref(), Some("background url"));
    assert_eq!(info.is_unlimited_room_enabled, Some(true));
    assert_eq!(info.activity_status, Some(0));
    assert_eq!(info.category, [1, 2, 3]);
    let stats = e.statistic.unwrap();
    assert_eq!(stats.total_viewers, Some(0));
    assert_eq!(stats.total_likes_received, Some(0));
    assert!(e.raw.is_none());

    let e = expect!(
        decode(command::LIVE_UPDATE_ROOM_INFO, samples::UPDATE_ROOM_INFO),
        LiveRoomInfoUpdated
    );
    assert_eq!(e.operator_account.as_deref(), Some("bob"));
    assert_eq!(e.event_time, Some(1670574414123));
    let info = e.room_info.unwrap();
    assert_eq!(info.room_id.as_deref(), Some("live-room"));
    assert_eq!(info.activity_status, Some(1));
    assert_eq!(info.is_public_visible, Some(false));

    let e = expect!(
        decode(command::LIVE_SET_METADATA, samples::SET_METADATA),
        LiveMetadataSet
    );
    assert_eq!(e.room_id.as_deref(), Some("live-room1111"));
    assert_eq!(e.metadata.len(), 2);
    assert_eq!(e.metadata[1].key.as_deref(), Some("key2"));
    assert_eq!(e.metadata[1].value.as_deref(), Some("value2"));
    assert_eq!(e.event_time, Some(1739965885831));

    let e = expect!(
        decode(command::LIVE_DEL_METADATA, samples::DEL_METADATA),
        LiveMetadataDeleted
    );
    assert_eq!(e.keys, ["key1", "key2"]);
    assert_eq!(e.operator_account.as_deref(), Some("brennanli"));

    let e = expect!(
        decode(command::LIVE_ROOM_THRESHOLD, samples::ROOM_THRESHOLD),
        LiveRoomThresholdReached
    );
    assert_eq!((e.cur_room_count, e.max_room_count), (Some(400), Some(500)));
    assert_eq!(e.event_time, Some(1739966441121));
}

#[test]
fn member_and_seat_samples() {
    let e = expect!(
        decode(
            command::LIVE_MEMBER_STATE_CHANGED,
            samples::MEMBER_STATE_CHANGED
        ),
        LiveMemberStateChanged
    );
    assert_eq!(e.room_id.as_deref(), Some("room_id"));
    assert_eq!(e.event_type.as_deref(), Some("Online"));
    assert_eq!(e.event_cause.as_deref(), Some("Enter"));
    let members: Vec<_> = e
        .member_list
        .iter()
        .map(|m| m.member_account.as_deref().unwrap())
        .collect();
    assert_eq!(members, ["jared", "tommy"]);
    assert_eq!(e.event_time, Some(1703589922780));

    let e = expect!(
        decode(command::LIVE_CHANGE_OWNER, samples::CHANGE_OWNER),
        LiveOwnerChanged
    );
    assert_eq!(e.current_owner_account.as_deref(), Some("user2"));
    assert_eq!(e.original_owner_account.as_deref(), Some("user1"));
    assert_eq!(e.operator_account.as_deref(), Some("admin"));

    let e = expect!(
        decode(command::LIVE_MODIFY_ADMIN, samples::MODIFY_ADMIN),
        LiveAdminsModified
    );
    assert_eq!(e.admin_account, ["user1", "user2"]);
    assert_eq!(e.op_type.as_deref(), Some("add"));

    let e = expect!(
        decode(command::MIC_SEAT_INFO_CHANGED, samples::SEAT_INFO_CHANGED),
        SeatInfoChanged
    );
    assert_eq!(e.room_id.as_deref(), Some("rid-123"));
    let seat = &e.seat_list[0];
    assert_eq!(seat.index, Some(1));
    assert_eq!(seat.member_account.as_deref(), Some("144115233775727695"));
    assert_eq!(
        (
            seat.is_taken_disabled,
            seat.is_video_disabled,
            seat.is_audio_disabled
        ),
        (Some(false), Some(false), Some(false))
    );
}

#[test]
fn battle_samples() {
    let e = expect!(
        decode(command::LIVE_CREATE_BATTLE, samples::CREATE_BATTLE),
        BattleCreated
    );
    assert_eq!(
        e.battle_id.as_deref(),
        Some("4siHsNsWN/T3aub9zKraqPbSEGRX2z6gs3LDFi+d/3M=")
    );
    assert_eq!(e.from_room_id.as_deref(), Some("pk-3"));
    assert_eq!(e.to_room_id_list, ["pk-5"]);
    assert_eq!((e.timeout, e.duration), (Some(30000), Some(60000)));
    assert_eq!(e.need_response, Some(false));
    assert_eq!(e.extension_info.as_deref(), Some("extension pk"));

    let e = expect!(
        decode(command::LIVE_START_BATTLE, samples::START_BATTLE),
        BattleStarted
    );
    assert_eq!(
        (e.create_time, e.start_time),
        (Some(1739954005), Some(1739954005))
    );
    let from = e.from_room_info.unwrap();
    assert_eq!(from.room_id.as_deref(), Some("pk-3"));
    assert_eq!(from.owner_account.as_deref(), Some("brennan"));
    assert_eq!(e.to_room_list[0].owner_account.as_deref(), Some("tandy"));
    assert_eq!(e.event_time, Some(1739954005000));

    let e = expect!(
        decode(command::LIVE_END_BATTLE, samples::END_BATTLE),
        BattleEnded
    );
    assert_eq!(e.end_time, Some(1739956145));
    assert_eq!(e.op_type, Some(0));
    let from = e.from_room_info.unwrap();
    assert_eq!(from.score, Some(0));
    assert_eq!(from.owner_account.as_deref(), Some("144115245353757792"));
    assert_eq!(e.to_room_list[0].room_id.as_deref(), Some("pk-5"));
}

#[test]
fn gift_message_and_follow_samples() {
    let e = expect!(
        decode(command::LIVE_BEFORE_SEND_GIFT, samples::BEFORE_SEND_GIFT),
        BeforeSendGift
    );
    assert_eq!(e.room_id.as_deref(), Some("room_id"));
    let gift = e.gift_water.unwrap();
    assert_eq!(gift.from_account.as_deref(), Some("from"));
    assert_eq!(gift.to_account, ["to1"]);
    assert_eq!(gift.time, Some(1703589922));
    assert_eq!(gift.gift_id.as_deref(), Some("gift1"));
    assert_eq!((gift.count, gift.coins), (Some(1), Some(1000)));

    let e = expect!(
        decode(command::GROUP_BEFORE_SEND_MSG, samples::BEFORE_SEND_MSG),
        BeforeSendMsg
    );
    assert_eq!(e.group_id.as_deref(), Some("@TGS#2J4SZEAEL"));
    assert_eq!(e.group_type.as_deref(), Some("Live"));
    assert_eq!(e.from_account.as_deref(), Some("jared"));
    assert_eq!(e.random, Some(123456));
    assert_eq!(
        e.msg_id.as_deref(),
        Some("144115233406643804-1727580296-4026038328")
    );
    assert_eq!(e.msg_body.len(), 1);
    assert_eq!(e.msg_body[0].as_text(), Some("red packet"));
    assert_eq!(
        e.cloud_custom_data.as_deref(),
        Some("your cloud custom data")
    );
    assert_eq!(
        e.event_time,
        Some(1670574414123),
        "EventTime sent as a string"
    );
    assert!(e.raw.is_none());

    let e = expect!(
        decode(command::GROUP_AFTER_SEND_MSG, samples::AFTER_SEND_MSG),
        AfterSendMsg
    );
    assert_eq!((e.msg_seq, e.msg_time), (Some(123), Some(1670574414)));
    assert_eq!(e.msg_body[0].as_text(), Some("red packet"));

    let e = expect!(
        decode(command::FOLLOW_ADD, samples::FOLLOW_ADD),
        FollowAdded
    );
    assert_eq!(e.from_account.as_deref(), Some("UserID_001"));
    let to: Vec<_> = e
        .follow_list
        .iter()
        .map(|f| f.to_account.as_deref().unwrap())
        .collect();
    assert_eq!(to, ["UserID_002", "UserID_003"]);

    let e = expect!(
        decode(command::FOLLOW_DELETE, samples::FOLLOW_DELETE),
        FollowDeleted
    );
    assert_eq!(e.to_account, ["UserID_002", "UserID_003"]);
    assert_eq!(e.event_time, Some(1702018343678));
}

#[test]
fn alternative_spellings() {
    // The member-state webhook under its parameter-table name.
    let body = samples::MEMBER_STATE_CHANGED.replace(
        command::LIVE_MEMBER_STATE_CHANGED,
        command::LIVE_MEMBER_STATE_CHANGED_ALT,
    );
    let e = expect!(
        decode(command::LIVE_MEMBER_STATE_CHANGED_ALT, &body),
        LiveMemberStateChanged
    );
    assert_eq!(e.member_list.len(), 2);
    // `OpType` for admins, `opType` for battles.
    let body = samples::MODIFY_ADMIN.replace("\"opType\"", "\"OpType\"");
    let e = expect!(
        decode(command::LIVE_MODIFY_ADMIN, &body),
        LiveAdminsModified
    );
    assert_eq!(e.op_type.as_deref(), Some("add"));
    let body = r#"{"opType":"add","OpType":"delete"}"#;
    let e = expect!(decode(command::LIVE_MODIFY_ADMIN, body), LiveAdminsModified);
    assert_eq!(
        e.op_type.as_deref(),
        Some("add"),
        "both spellings: Tencent's wins"
    );
    let body = samples::END_BATTLE.replace("\"OpType\":0", "\"opType\":2");
    let e = expect!(decode(command::LIVE_END_BATTLE, &body), BattleEnded);
    assert_eq!(e.op_type, Some(2));
    // EventTime inside RoomInfo, as the Chinese sample has it; the top level wins.
    let body = r#"{"RoomInfo":{"RoomId":"r","EventTime":"1703589922780"}}"#;
    let e = expect!(decode(command::LIVE_CREATE_ROOM, body), LiveRoomCreated);
    assert_eq!(e.event_time, Some(1703589922780));
    let body = r#"{"EventTime":5,"RoomInfo":{"RoomId":"r","EventTime":6}}"#;
    let e = expect!(
        decode(command::LIVE_UPDATE_ROOM_INFO, body),
        LiveRoomInfoUpdated
    );
    assert_eq!(e.event_time, Some(5));
    // Numbers as strings, ids as numbers, booleans as 0/1, one id for a list.
    let body = r#"{"RoomId":42,"SeatList":[{"Index":"3","Member_Account":7,"IsAudioDisabled":1}],"EventTime":"9"}"#;
    let e = expect!(
        decode(command::MIC_SEAT_INFO_CHANGED, body),
        SeatInfoChanged
    );
    assert_eq!(e.room_id.as_deref(), Some("42"));
    assert_eq!(e.seat_list[0].index, Some(3));
    assert_eq!(e.seat_list[0].member_account.as_deref(), Some("7"));
    assert_eq!(e.seat_list[0].is_audio_disabled, Some(true));
    assert_eq!(e.event_time, Some(9));
    let body = r#"{"From_Account":"a","To_Account":"b"}"#;
    let e = expect!(decode(command::FOLLOW_DELETE, body), FollowDeleted);
    assert_eq!(e.to_account, ["b"]);
    assert!(e.raw.is_none());
}

#[test]
fn unexpected_types_are_delivered_typed_with_the_raw_json() {
    let body = r#"{"CallbackCommand":"Group.CallbackBeforeSendMsg","GroupId":"g1","From_Account":{"nested":true},"Random":"not a number","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}},"stray"],"EventTime":[1]}"#;
    let e = expect!(decode(command::GROUP_BEFORE_SEND_MSG, body), BeforeSendMsg);
    assert_eq!(e.group_id.as_deref(), Some("g1"));
    assert_eq!(e.from_account, None);
    assert_eq!(e.random, None);
    assert_eq!(e.event_time, None);
    assert_eq!(e.msg_body.len(), 1);
    assert_eq!(e.msg_body[0].as_text(), Some("hi"));
    let raw = e.raw.expect("raw JSON kept");
    assert_eq!(raw["From_Account"], json!({"nested": true}));
    assert_eq!(raw["MsgBody"][1], "stray");

    for (cmd, body) in [
        (command::LIVE_CREATE_ROOM, r#"{"RoomInfo":"not an object"}"#),
        (
            command::LIVE_DESTROY_ROOM,
            r#"{"Statistic":{"TotalViewers":true}}"#,
        ),
        (command::LIVE_SET_METADATA, r#"{"Metadata":{"Key":[]}}"#),
        (command::LIVE_DEL_METADATA, r#"{"Keys":[{}]}"#),
        (command::LIVE_ROOM_THRESHOLD, r#"{"CurRoomCount":-4}"#),
        (command::LIVE_MEMBER_STATE_CHANGED, r#"{"MemberList":[[]]}"#),
        (
            command::LIVE_CHANGE_OWNER,
            r#"{"CurrentOwner_Account":false}"#,
        ),
        (command::LIVE_MODIFY_ADMIN, r#"{"opType":{}}"#),
        (
            command::MIC_SEAT_INFO_CHANGED,
            r#"{"SeatList":[{"IsTakenDisabled":"yes"}]}"#,
        ),
        (command::LIVE_CREATE_BATTLE, r#"{"NeedResponse":"perhaps"}"#),
        (command::LIVE_START_BATTLE, r#"{"FromRoomInfo":[1]}"#),
        (command::LIVE_END_BATTLE, r#"{"OpType":"x"}"#),
        (
            command::LIVE_BEFORE_SEND_GIFT,
            r#"{"GiftWater":{"Coins":1.5}}"#,
        ),
        (command::GROUP_AFTER_SEND_MSG, r#"{"MsgSeq":true}"#),
        (command::FOLLOW_ADD, r#"{"FollowList":"x"}"#),
        (command::FOLLOW_DELETE, r#"{"EventTime":{}}"#),
    ] {
        let event = decode(cmd, body);
        assert_eq!(event.kind(), EventKind::of_command(cmd), "{cmd}");
        let raw = raw_of(&event).unwrap_or_else(|| panic!("{cmd}: raw kept"));
        let expected: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(body).unwrap();
        assert_eq!(*raw, expected, "{cmd}");
    }
}

fn raw_of(event: &Event) -> Option<&serde_json::Map<String, serde_json::Value>> {
    let raw = match event {
        Event::LiveRoomCreated(e) => &e.raw,
        Event::LiveRoomDestroyed(e) => &e.raw,
        Event::LiveRoomInfoUpdated(e) => &e.raw,
        Event::LiveMetadataSet(e) => &e.raw,
        Event::LiveMetadataDeleted(e) => &e.raw,
        Event::LiveRoomThresholdReached(e) => &e.raw,
        Event::LiveMemberStateChanged(e) => &e.raw,
        Event::LiveOwnerChanged(e) => &e.raw,
        Event::LiveAdminsModified(e) => &e.raw,
        Event::SeatInfoChanged(e) => &e.raw,
        Event::BattleCreated(e) => &e.raw,
        Event::BattleStarted(e) => &e.raw,
        Event::BattleEnded(e) => &e.raw,
        Event::BeforeSendGift(e) => &e.raw,
        Event::BeforeSendMsg(e) => &e.raw,
        Event::AfterSendMsg(e) => &e.raw,
        Event::FollowAdded(e) => &e.raw,
        Event::FollowDeleted(e) => &e.raw,
        _ => return None,
    };
    raw.as_deref()
}

#[test]
fn an_unreadable_known_body_is_delivered_as_unknown() {
    // A duplicated field is valid JSON that no typed decoder reads: delivered raw, not
    // refused (the JSON tree keeps the last value).
    let body = r#"{"RoomId":"a","RoomId":"b"}"#;
    match decode(command::LIVE_CHANGE_OWNER, body) {
        Event::Unknown(u) => {
            assert_eq!(u.command, command::LIVE_CHANGE_OWNER);
            assert_eq!(u.json["RoomId"], "b");
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn shape_errors_and_command_checks_still_apply() {
    let family = samples::ALL.iter().filter(|(_, cmd, _)| {
        !matches!(
            EventKind::of_command(cmd),
            EventKind::Recording | EventKind::Unknown
        )
    });
    for (_, cmd, _) in family {
        assert_eq!(parse(cmd, b"[1]"), Err(Rejection::NotAnObject), "{cmd}");
        assert_eq!(
            parse(cmd, b"{\"RoomId\":"),
            Err(Rejection::InvalidJson),
            "{cmd}"
        );
        assert_eq!(
            parse(cmd, br#"{"CallbackCommand":"Live.Other"}"#),
            Err(Rejection::CommandMismatch),
            "{cmd}"
        );
        assert_eq!(
            parse(cmd, br#"{"CallbackCommand":["x"]}"#),
            Err(Rejection::CommandMismatch),
            "{cmd}"
        );
    }
    // An empty object is every family event with nothing set.
    assert!(matches!(
        decode(command::FOLLOW_ADD, "{}"),
        Event::FollowAdded(e) if e.from_account.is_none() && e.follow_list.is_empty() && e.raw.is_none()
    ));
    // Deep nesting in an unknown field is skipped without recursion.
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    assert!(matches!(
        decode(command::LIVE_CREATE_ROOM, &deep),
        Event::LiveRoomCreated(_)
    ));
    // Deep nesting where an object is expected is a value of the wrong type, skipped
    // without recursion too (too deep for a JSON tree, so no `raw` either).
    let deep = format!("{{\"RoomInfo\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    assert!(matches!(
        decode(command::LIVE_CREATE_ROOM, &deep),
        Event::LiveRoomCreated(e) if e.room_info.is_none() && e.raw.is_none()
    ));
    // Nesting past serde_json's limit inside an expected object is malformed JSON.
    let deep = format!(
        "{{\"RoomInfo\":{{\"RoomId\":{}{}}}}}",
        "{\"a\":".repeat(200),
        "}".repeat(200)
    );
    assert_eq!(
        parse(command::LIVE_CREATE_ROOM, deep.as_bytes()),
        Err(Rejection::InvalidJson)
    );
}

#[test]
fn room_and_user_of_every_sample() {
    let expected = [
        ("recording", Some("635055"), Some("user1")),
        ("create-room", Some("tandy-test-rest"), Some("admin")),
        ("destroy-room", Some("tandy-test-rest"), Some("admin")),
        ("update-room-info", Some("live-room"), Some("bob")),
        ("set-metadata", Some("live-room1111"), Some("brennanli")),
        ("del-metadata", Some("live-room1111"), Some("brennanli")),
        ("room-threshold", None, Some("brennanli")),
        ("member-state", Some("room_id"), Some("jared")),
        ("change-owner", Some("room_id"), Some("admin")),
        ("modify-admin", Some("room_id"), Some("admin")),
        ("seat-info", Some("rid-123"), None),
        ("create-battle", Some("pk-3"), Some("brennanli")),
        ("start-battle", Some("pk-3"), Some("brennan")),
        ("end-battle", Some("pk-3"), Some("144115245353757792")),
        ("before-gift", Some("room_id"), Some("from")),
        ("before-msg", Some("@TGS#2J4SZEAEL"), Some("jared")),
        ("after-msg", Some("@TGS#2J4SZEAEL"), Some("jared")),
        ("follow-add", None, Some("UserID_001")),
        ("follow-delete", None, Some("UserID_001")),
        ("unknown", None, None),
    ];
    for (name, room, user) in expected {
        let (cmd, body) = samples::by_name(name).unwrap();
        let event = decode(cmd, body);
        assert_eq!(event.room().as_deref(), room, "{name}");
        assert_eq!(event.user(), user, "{name}");
    }
    let numeric = crate::test_util::trtc_webhook(1, samples::trtc::DOC_BODY).unwrap();
    assert_eq!(numeric.event.room().as_deref(), Some("8489"));
    assert!(
        matches!(&numeric.event, Event::Room(r) if r.info.room_id == Some(RoomId::Number(8489)))
    );
}

#[test]
fn kinds_round_trip_through_commands() {
    for cmd in command::TYPED {
        assert_ne!(EventKind::of_command(cmd), EventKind::Unknown, "{cmd}");
    }
    assert_eq!(
        EventKind::of_command("Room.CallbackAfterCreateRoom"),
        EventKind::Unknown
    );
    let before: Vec<_> = EventKind::ALL
        .into_iter()
        .filter(|k| k.is_before_webhook())
        .collect();
    assert_eq!(
        before,
        [EventKind::BeforeSendGift, EventKind::BeforeSendMsg]
    );
}

mod tolerance {
    //! Any JSON object, with Tencent's field names holding values of any type, is delivered
    //! as its command's typed event, never refused; whatever was skipped is in `raw`.

    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::raw_of;
    use crate::event::{EventKind, parse};
    use crate::test_util::samples;

    const FIELDS: [&str; 24] = [
        "RoomId",
        "RoomInfo",
        "Operator_Account",
        "EventTime",
        "EventType",
        "MemberList",
        "Member_Account",
        "SeatList",
        "Index",
        "GiftWater",
        "Coins",
        "To_Account",
        "MsgBody",
        "MsgType",
        "MsgContent",
        "CloudCustomData",
        "FollowList",
        "Metadata",
        "Keys",
        "opType",
        "OpType",
        "FromRoomInfo",
        "ToRoomList",
        "Category",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            // Halves print and parse back exactly (serde_json's default float parsing may
            // be one unit off for long mantissas, which is not what this checks).
            any::<i32>().prop_map(|i| Value::from(f64::from(i) + 0.5)),
            "[ -~]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(&FIELDS[..]), inner), 0..6).prop_map(
                    |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                ),
            ]
        })
    }

    fn object() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((prop::sample::select(&FIELDS[..]), value()), 0..10)
            .prop_map(|kv| kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_object_is_delivered_typed(index in 3usize..21, body in object()) {
            let (_, command, _) = samples::ALL[index];
            let bytes = serde_json::to_vec(&body).unwrap();
            let event = parse(command, &bytes).unwrap();
            prop_assert_eq!(event.kind(), EventKind::of_command(command));
            if let Some(raw) = raw_of(&event) {
                prop_assert_eq!(raw, &body);
            }
        }
    }
}
