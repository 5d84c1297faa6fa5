//! A verified event is never refused for its shape: any JSON object body of a typed Chat
//! command, or of a TRTC console callback of any `EventGroupId`, decodes (the only
//! refusal left for an object is a Chat `CallbackCommand` that contradicts the query's);
//! and when a field had a value of an unexpected type, the typed event keeps the whole
//! body in its `raw` field.
//!
//! Bodies are arbitrary JSON objects (nesting at most 8 levels) whose keys are mostly the
//! field names the typed events read, carrying values of every JSON type.
//! `PROPTEST_CASES` overrides the number of cases of every property.
#![forbid(unsafe_code)]

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value, json};
use tencent_webhook_core::{Event, Rejection, Scheme, Webhook, WebhookContext, command};

const APP: u64 = 1_400_000_000;

/// The field names the typed events read (recording, TRTC room, TUILiveKit family), at
/// any level: the generated bodies use them as keys most of the time.
const FIELDS: &[&str] = &[
    "RoomId",
    "EventTs",
    "EventMsTs",
    "EventType",
    "EventGroupId",
    "EventInfo",
    "Payload",
    "Status",
    "LeaveCode",
    "FileList",
    "FileMessage",
    "FileName",
    "FileId",
    "VideoUrl",
    "CacheFile",
    "MediaId",
    "TrackType",
    "BeginTimeStamp",
    "StartTimeStamp",
    "EndTimeStamp",
    "Code",
    "Message",
    "Url",
    "Errmsg",
    "TencentVod",
    "EventMessage",
    "UserId",
    "TaskId",
    "UniqueId",
    "Role",
    "TerminalType",
    "UserType",
    "Reason",
    "CallbackTs",
    "CallbackCommand",
    "CallId",
    "Callback",
    "KitType",
    "EventTime",
    "RoomInfo",
    "RoomName",
    "RoomType",
    "Owner_Account",
    "Operator_Account",
    "Admin_Account",
    "Member_Account",
    "From_Account",
    "To_Account",
    "CurrentOwner_Account",
    "OriginalOwner_Account",
    "Statistic",
    "Metadata",
    "Key",
    "Keys",
    "Value",
    "MemberList",
    "SeatList",
    "Index",
    "BattleId",
    "FromRoomId",
    "FromRoomInfo",
    "ToRoomIdList",
    "ToRoomList",
    "GroupId",
    "MsgBody",
    "MsgType",
    "MsgContent",
    "MsgSeq",
    "MsgTime",
    "FollowList",
    "GiftId",
    "GiftWater",
    "Count",
    "OpType",
    "opType",
    "IsSeatEnabled",
    "MaxSeatCount",
    "TotalViewers",
];

/// Numbers that steer the decoders into their typed branches, and some that do not fit.
const NUMBERS: &[i64] = &[
    0,
    1,
    2,
    3,
    4,
    8,
    9,
    20,
    21,
    100,
    101,
    103,
    104,
    105,
    201,
    204,
    206,
    301,
    302,
    304,
    305,
    307,
    310,
    311,
    312,
    399,
    801,
    804,
    8489,
    -1,
    1_752_580_150_082,
    i64::MIN,
];

/// Strings that read as numbers, booleans, room ids, or nothing in particular.
const STRINGS: &[&str] = &[
    "",
    "305",
    "1752580150",
    "abc",
    "anchor",
    "zero",
    "true",
    "x",
    "user1",
    "635055",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        select(NUMBERS).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(8489.0),
            Just(1.5),
            Just(-0.0),
            Just(1e300),
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
        ]
        .prop_map(|f| Value::Number(Number::from_f64(f).expect("finite"))),
        select(STRINGS).prop_map(Value::from),
        "[a-zA-Z0-9 ._\\-\u{00e9}\u{4e2d}]{0,12}".prop_map(Value::from),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(FIELDS).prop_map(str::to_owned),
        1 => "[A-Za-z_]{1,10}",
    ]
}

/// Any JSON value nested at most `depth` levels (a scalar is one level).
fn value(depth: u32) -> impl Strategy<Value = Value> {
    leaf().prop_recursive(depth.saturating_sub(1), 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A JSON object (one level) whose values nest at most 7 more.
fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), value(7)), 0..10)
        .prop_map(|entries| entries.into_iter().collect())
}

/// How the body's own `CallbackCommand` is set.
#[derive(Debug, Clone)]
enum BodyCommand {
    /// As generated (usually absent).
    AsIs,
    /// The query's command.
    Same,
    /// Null (reads as absent).
    Null,
    /// Another value of any type.
    Other(Value),
}

fn body_command() -> impl Strategy<Value = BodyCommand> {
    prop_oneof![
        3 => Just(BodyCommand::AsIs),
        3 => Just(BodyCommand::Same),
        1 => Just(BodyCommand::Null),
        1 => leaf().prop_map(BodyCommand::Other),
        1 => select(command::TYPED.as_slice()).prop_map(|c| BodyCommand::Other(c.into())),
    ]
}

/// A value of a type that no scalar field (string or number) reads.
fn mistyped() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(true)),
        Just(json!({})),
        Just(json!({"x": [1, {"y": null}]})),
        Just(json!([[1]])),
        Just(json!(["a", {}])),
    ]
}

/// A top-level field each typed Chat command reads as a string or a number.
fn scalar_field_of(cmd: &str) -> &'static str {
    match cmd {
        command::FOLLOW_CLOUD_RECORDING_CHANGED | command::LIVE_CLOUD_RECORDING_CHANGED => {
            "CallbackTs"
        }
        command::CALL_RECORD_CHANGED | command::CALL_CLOUD_RECORDING_CHANGED => "CallId",
        command::LIVE_START_BATTLE | command::LIVE_END_BATTLE => "BattleId",
        command::LIVE_MEMBER_STATE_CHANGED
        | command::LIVE_MEMBER_STATE_CHANGED_ALT
        | command::LIVE_CHANGE_OWNER
        | command::LIVE_MODIFY_ADMIN
        | command::MIC_SEAT_INFO_CHANGED => "RoomId",
        command::GROUP_BEFORE_SEND_MSG | command::GROUP_AFTER_SEND_MSG => "GroupId",
        command::FOLLOW_ADD | command::FOLLOW_DELETE => "From_Account",
        _ => "Operator_Account",
    }
}

/// The `raw` of a typed event; `None` for [`Event::Unknown`].
fn raw_of(event: &Event) -> Option<Option<&Map<String, Value>>> {
    let raw = match event {
        Event::Recording(e) => &e.raw,
        Event::Room(e) => &e.raw,
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
    Some(raw.as_deref())
}

/// Decode `body` as sent, and give the body back as the JSON tree of the bytes that were
/// decoded (serde_json does not round-trip every float exactly).
fn decode(scheme: Scheme, cmd: &str, body: &mut Map<String, Value>) -> Result<Webhook, Rejection> {
    let bytes = serde_json::to_vec(&*body).expect("a map serialises");
    *body = serde_json::from_slice(&bytes).expect("and parses back");
    Webhook::decode(WebhookContext::new(scheme, APP, cmd, bytes))
}

/// Whatever the decoder delivers: a typed event's `raw`, when set, is the whole body.
fn check_raw(event: &Event, body: &Map<String, Value>) -> Result<(), TestCaseError> {
    if let Some(Some(raw)) = raw_of(event) {
        prop_assert_eq!(raw, body);
    }
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any object body of any typed Chat command is delivered, unless its
    /// `CallbackCommand` contradicts the query's.
    #[test]
    fn every_chat_object_is_delivered_unless_its_command_contradicts(
        cmd in select(command::TYPED.as_slice()),
        mut body in object(),
        own in body_command(),
    ) {
        match own {
            BodyCommand::AsIs => {}
            BodyCommand::Same => {
                body.insert("CallbackCommand".into(), cmd.into());
            }
            BodyCommand::Null => {
                body.insert("CallbackCommand".into(), Value::Null);
            }
            BodyCommand::Other(v) => {
                body.insert("CallbackCommand".into(), v);
            }
        }
        let contradicts = match body.get("CallbackCommand") {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => s != cmd,
            Some(_) => true,
        };
        match decode(Scheme::Chat, cmd, &mut body) {
            Ok(hook) => {
                prop_assert!(!contradicts, "{cmd}: delivered despite {:?}", body.get("CallbackCommand"));
                prop_assert_eq!(&hook.context.command, cmd);
                prop_assert!(raw_of(&hook.event).is_some(), "{cmd}: not typed: {:?}", hook.event);
                check_raw(&hook.event, &body)?;
            }
            Err(rejection) => {
                prop_assert_eq!(rejection, Rejection::CommandMismatch, "{}: {}", cmd, Value::Object(body.clone()));
                prop_assert!(contradicts, "{cmd}: refused without a contradicting command");
            }
        }
    }

    /// A typed Chat event with a mistyped field is delivered typed, that field absent,
    /// and the whole body in `raw`.
    #[test]
    fn a_mistyped_chat_field_keeps_the_raw_body(
        cmd in select(command::TYPED.as_slice()),
        mut body in object(),
        bad in mistyped(),
    ) {
        body.remove("CallbackCommand");
        body.insert(scalar_field_of(cmd).into(), bad);
        let hook = decode(Scheme::Chat, cmd, &mut body)
            .map_err(|r| TestCaseError::fail(format!("{cmd}: refused {r:?}")))?;
        let raw = raw_of(&hook.event)
            .ok_or_else(|| TestCaseError::fail(format!("{cmd}: not typed: {:?}", hook.event)))?;
        prop_assert_eq!(raw, Some(&body), "{}", cmd);
    }

    /// Any object body of a TRTC console callback, of every `EventGroupId` the library
    /// knows (1, 2, 3, 8) and an unknown one, is delivered; typed when its group and
    /// type are numbers; and a mistyped field keeps the whole body in `raw`.
    #[test]
    fn every_trtc_object_is_delivered(
        mut body in object(),
        group in prop_oneof![
            4 => select(&[1i64, 2, 3, 8, 9][..]).prop_map(Value::from),
            1 => select(&["1", "3"][..]).prop_map(Value::from),
            1 => leaf(),
        ],
        event_type in prop_oneof![
            4 => select(NUMBERS).prop_map(Value::from),
            1 => leaf(),
        ],
        info in prop_oneof![
            3 => object().prop_map(Value::Object),
            1 => value(7),
        ],
        bad in prop::option::of(mistyped()),
    ) {
        body.insert("EventGroupId".into(), group.clone());
        body.insert("EventType".into(), event_type.clone());
        body.insert("EventInfo".into(), info);
        if let Some(bad) = &bad {
            body.insert("CallbackTs".into(), bad.clone());
        }
        let hook = decode(Scheme::Trtc, "", &mut body)
            .map_err(|r| TestCaseError::fail(format!("refused {r:?}: {}", Value::Object(body.clone()))))?;
        check_raw(&hook.event, &body)?;
        let number = |v: &Value| v.as_u64().filter(|n| u32::try_from(*n).is_ok());
        match (number(&group), number(&event_type)) {
            (Some(g @ (1 | 2 | 3 | 8)), Some(t)) => {
                prop_assert_eq!(&hook.context.command, &format!("TRTC.{g}.{t}"));
                let raw = raw_of(&hook.event)
                    .ok_or_else(|| TestCaseError::fail(format!("not typed: {:?}", hook.event)))?;
                if bad.is_some() {
                    prop_assert_eq!(raw, Some(&body));
                }
            }
            (Some(g), Some(t)) => {
                prop_assert_eq!(&hook.context.command, &format!("TRTC.{g}.{t}"));
                prop_assert!(matches!(hook.event, Event::Unknown(_)));
            }
            _ => {}
        }
    }
}

/// Through the service, signed as Tencent signs: whatever object body a typed Chat command
/// or a TRTC callback of any group carries, the answer is 200 and the callback saw it
/// (unless the body's own `CallbackCommand` contradicts the query's: 400, 40007).
mod through_the_service {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, UNIX_EPOCH};
    use tencent_webhook_core::test_util::{TestRequest, TrtcTestRequest};
    use tencent_webhook_core::{Ack, SdkApp, WebhookConfig, WebhookService};
    use tower::ServiceExt;

    const TOKEN: &str = "delivered-token";
    const KEY: &str = "deliveredKey1";
    /// The time the requests are signed at and the services' clock.
    const NOW: u64 = 1_700_000_000;

    #[allow(
        clippy::type_complexity,
        reason = "two closures' services, named only by what they implement"
    )]
    fn services() -> (
        WebhookService<
            impl Clone
            + tower::Service<
                Webhook,
                Response = Ack,
                Error = std::convert::Infallible,
                Future = impl Send,
            > + Send
            + Sync,
        >,
        WebhookService<
            impl Clone
            + tower::Service<
                Webhook,
                Response = Ack,
                Error = std::convert::Infallible,
                Future = impl Send,
            > + Send
            + Sync,
        >,
        Arc<AtomicUsize>,
    ) {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(APP).token(TOKEN).trtc_key(KEY))
            .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
            .build()
            .unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let (a, b) = (seen.clone(), seen.clone());
        let chat = WebhookService::from_fn(config.clone(), move |_hook: Webhook| {
            a.fetch_add(1, Ordering::SeqCst);
            async { Ack::ok() }
        });
        let trtc = WebhookService::trtc_from_fn(config, move |_hook: Webhook| {
            b.fetch_add(1, Ordering::SeqCst);
            async { Ack::ok() }
        });
        (chat, trtc, seen)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: config().cases.min(128), ..config() })]

        #[test]
        fn every_signed_object_is_answered_200_and_delivered(
            cmd in select(command::TYPED.as_slice()),
            mut body in object(),
            group in select(&[1i64, 2, 3, 8, 9][..]),
            event_type in select(NUMBERS),
            info in object(),
        ) {
            let rt = runtime();
            let (chat, trtc, seen) = services();
            body.remove("CallbackCommand");
            let chat_body = serde_json::to_vec(&body).unwrap();
            let request = TestRequest::new(APP, cmd, chat_body)
                .token(TOKEN)
                .request_time(NOW)
                .into_request();
            let response = rt.block_on(chat.oneshot(request)).unwrap();
            prop_assert_eq!(response.status(), 200, "{}: {}", cmd, Value::Object(body.clone()));
            body.insert("EventGroupId".into(), group.into());
            body.insert("EventType".into(), event_type.into());
            body.insert("EventInfo".into(), Value::Object(info));
            body.insert("CallbackTs".into(), (NOW * 1000).into());
            let request = TrtcTestRequest::new(APP, serde_json::to_vec(&body).unwrap())
                .key(KEY)
                .into_request();
            let response = rt.block_on(trtc.oneshot(request)).unwrap();
            prop_assert_eq!(response.status(), 200, "{}", Value::Object(body.clone()));
            prop_assert_eq!(seen.load(Ordering::SeqCst), 2);
        }
    }
}

/// The cases of the brief, one by one: each mistyped field reads as absent and the body
/// is kept.
#[test]
fn the_refused_shapes_of_old_are_delivered() {
    let chat = [
        (
            command::FOLLOW_CLOUD_RECORDING_CHANGED,
            json!({"EventType": "x", "EventInfo": {}}),
        ),
        (
            command::LIVE_CLOUD_RECORDING_CHANGED,
            json!({"EventType": 310, "EventInfo": {"Payload": {"FileMessage": "x"}}}),
        ),
        (
            command::CALL_RECORD_CHANGED,
            json!({"Callback": {"EventType": 305, "EventInfo": {"RoomId": 8489.0, "Payload": {"Status": {}}}}}),
        ),
        (
            command::CALL_CLOUD_RECORDING_CHANGED,
            json!({"Callback": {"EventType": 305, "EventInfo": {"EventTs": "abc", "Payload": {"Status": "zero"}}}}),
        ),
    ];
    for (cmd, body) in chat {
        let Value::Object(mut body) = body else {
            unreachable!()
        };
        let hook = decode(Scheme::Chat, cmd, &mut body).unwrap_or_else(|r| panic!("{cmd}: {r:?}"));
        let Event::Recording(r) = &hook.event else {
            panic!("{cmd}: {:?}", hook.event)
        };
        assert_eq!(r.info.room_id, None, "{cmd}");
        assert_eq!(r.info.event_ts, None, "{cmd}");
        assert_eq!(r.info.payload.status(), None, "{cmd}");
        assert_eq!(r.raw.as_deref(), Some(&body), "{cmd}");
    }
    for body in [
        json!({"EventGroupId": 1, "EventType": 103, "EventInfo": {"Role": "anchor", "RoomId": 8489.0}}),
        json!({"EventGroupId": 2, "EventType": 201, "EventInfo": {"RoomId": -1, "EventTs": "abc"}}),
    ] {
        let Value::Object(mut body) = body else {
            unreachable!()
        };
        let hook = decode(Scheme::Trtc, "", &mut body).unwrap();
        let Event::Room(r) = &hook.event else {
            panic!("{:?}", hook.event)
        };
        assert_eq!(
            (r.info.role, &r.info.room_id, r.info.event_ts),
            (None, &None, None)
        );
        assert_eq!(r.raw.as_deref(), Some(&body));
    }
}

/// Valid JSON that serde_json cannot hold is delivered too: a lone surrogate escape (a
/// message cut in the middle of an emoji) reads as U+FFFD, a number past `f64` as its text
/// (so a numeric field reads as absent); `raw_body` keeps the bytes as received.
#[test]
fn lone_surrogates_and_huge_numbers_are_delivered() {
    let chat = [
        (
            command::GROUP_AFTER_SEND_MSG,
            r#"{"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi \ud83d"}}],"GroupId":"g"}"#,
        ),
        (
            command::FOLLOW_CLOUD_RECORDING_CHANGED,
            r#"{"EventType":305,"EventInfo":{"UserId":"u\udc00","EventTs":1e400,"Payload":{"Status":0}}}"#,
        ),
        ("C2C.CallbackAfterSendMsg", r#"{"Text":"\ud83d","N":1e999}"#),
    ];
    for (cmd, body) in chat {
        let hook = Webhook::decode(WebhookContext::new(Scheme::Chat, APP, cmd, body))
            .unwrap_or_else(|r| panic!("{cmd}: {r:?}"));
        assert_eq!(hook.context.raw_body, body.as_bytes(), "{cmd}");
        match &hook.event {
            Event::Recording(rec) => {
                assert_eq!(rec.info.user_id.as_deref(), Some("u\u{fffd}"));
                assert_eq!(rec.info.event_ts, None);
            }
            Event::Unknown(u) => {
                assert_eq!(u.json["Text"], "\u{fffd}");
                assert_eq!(u.json["N"], "1e999");
            }
            Event::AfterSendMsg(msg) => {
                assert_eq!(msg.msg_body[0].as_text(), Some("hi \u{fffd}"));
            }
            other => panic!("{cmd}: {other:?}"),
        }
    }
    let trtc =
        r#"{"EventGroupId":1,"EventType":103,"EventInfo":{"UserId":"\ud800","RoomId":1e400}}"#;
    let hook = Webhook::decode(WebhookContext::new(Scheme::Trtc, APP, "", trtc)).unwrap();
    match &hook.event {
        Event::Room(room) => {
            assert_eq!(room.info.user_id.as_deref(), Some("\u{fffd}"));
            // A room id may be a string: the number's text is one.
            assert_eq!(
                room.info.room_id,
                Some(tencent_webhook_core::RoomId::String("1e400".into()))
            );
        }
        other => panic!("{other:?}"),
    }
    // Still not JSON: refused.
    let broken = Webhook::decode(WebhookContext::new(
        Scheme::Chat,
        APP,
        "X.Y",
        r#"{"a":"\ud83d"#,
    ));
    assert_eq!(broken.unwrap_err(), Rejection::InvalidJson);
}
