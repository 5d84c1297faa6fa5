//! The router behind the real service: routing, fallback, before-replies byte for byte,
//! tower composition, and idempotency keys for every family command.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use tower::{ServiceBuilder, ServiceExt};

use super::*;
use crate::test_util::{TestRequest, TrtcTestRequest, samples};
use crate::{MessageEdit, MsgElement, SdkApp, WebhookConfig, WebhookLayer, WebhookService};

const APP: u64 = 1400000000;
const NOW: u64 = 1669872112;

fn config() -> WebhookConfig {
    WebhookConfig::builder()
        .app(SdkApp::new(APP).token("tok").trtc_key("trtcKey123"))
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
        .build()
        .unwrap()
}

async fn answer<S>(service: &WebhookService<S>, name: &str, request_time: u64) -> (u16, Bytes)
where
    S: tower::Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<crate::BoxError>,
{
    let (cmd, body) = samples::by_name(name).unwrap();
    let request = TestRequest::new(APP, cmd, body)
        .token("tok")
        .request_time(request_time)
        .into_request();
    let response = service.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

type Seen = Arc<Mutex<Vec<(String, String)>>>;

fn recorder(seen: &Seen, who: &'static str) -> impl Fn(String) + Send + Sync + 'static {
    let seen = seen.clone();
    move |command| seen.lock().unwrap().push((who.to_owned(), command))
}

#[tokio::test]
async fn each_kind_reaches_its_handler_and_the_rest_the_fallback() {
    let seen = Seen::default();
    let room = recorder(&seen, "room");
    let follow = recorder(&seen, "follow");
    let fallback = recorder(&seen, "fallback");
    let router = EventRouter::new()
        .on_live_room_created(move |e: LiveRoomCreated, ctx: WebhookContext| {
            room(format!("{}:{}", ctx.command, e.operator_account.unwrap()));
            async {}
        })
        .on_follow_added(move |e: FollowAdded, _ctx| {
            follow(e.from_account.unwrap());
            async { Ack::fail(9, "after-webhook codes pass as they are") }
        })
        .fallback(move |hook: Webhook| {
            fallback(hook.context.command.clone());
            async {}
        });
    assert!(router.handles(EventKind::LiveRoomCreated));
    assert!(!router.handles(EventKind::FollowDeleted));
    let service = WebhookService::new(config(), router);
    let ok = br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#;
    assert_eq!(
        answer(&service, "create-room", NOW).await,
        (200, Bytes::from_static(ok))
    );
    assert_eq!(
        answer(&service, "follow-add", NOW).await.1,
        Bytes::from_static(
            br#"{"ActionStatus":"FAIL","ErrorCode":9,"ErrorInfo":"after-webhook codes pass as they are"}"#
        )
    );
    assert_eq!(
        answer(&service, "follow-delete", NOW).await.1,
        Bytes::from_static(ok)
    );
    assert_eq!(
        answer(&service, "unknown", NOW).await.1,
        Bytes::from_static(ok)
    );
    // A before-webhook nobody handles is allowed (the fallback's answer).
    assert_eq!(
        answer(&service, "before-msg", NOW).await.1,
        Bytes::from_static(ok)
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("room".into(), "Live.CallbackAfterCreateRoom:admin".into()),
            ("follow".into(), "UserID_001".into()),
            ("fallback".into(), "Follow.CallbackAfterFollowDelete".into()),
            ("fallback".into(), "Room.CallbackAfterCreateRoom".into()),
            ("fallback".into(), "Group.CallbackBeforeSendMsg".into()),
        ]
    );
}

#[tokio::test]
async fn without_a_fallback_everything_unregistered_is_acknowledged() {
    let service = WebhookService::new(config(), EventRouter::new());
    for (name, _, _) in samples::ALL {
        let (status, body) = answer(&service, name, NOW).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            &body[..],
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#,
            "{name}"
        );
    }
}

fn reply_router(reply: fn(&BeforeSendMsg) -> MessageReply) -> EventRouter {
    EventRouter::new()
        .on_before_send_msg(move |msg: BeforeSendMsg, _ctx| {
            let r = reply(&msg);
            async move { r }
        })
        .on_before_send_gift(|gift: BeforeSendGift, _ctx| async move {
            match gift.gift_water.and_then(|g| g.coins) {
                Some(c) if c > 500 => GiftReply::reject(),
                _ => GiftReply::allow(),
            }
        })
}

#[tokio::test]
async fn before_replies_through_the_service_are_byte_exact() {
    type Reply = fn(&BeforeSendMsg) -> MessageReply;
    let cases: [(Reply, &[u8]); 5] = [
        (
            |_| MessageReply::allow(),
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#,
        ),
        (
            |_| MessageReply::reject(),
            br#"{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}"#,
        ),
        (
            |_| MessageReply::discard(),
            br#"{"ActionStatus":"OK","ErrorCode":2,"ErrorInfo":""}"#,
        ),
        (
            |_| MessageReply::reject_with(10200, "no red packets here").unwrap(),
            br#"{"ActionStatus":"OK","ErrorCode":10200,"ErrorInfo":"no red packets here"}"#,
        ),
        (
            |msg| {
                let text = msg.msg_body[0].as_text().unwrap().replace("red", "***");
                MessageReply::allow_modified(
                    MessageEdit::new()
                        .msg_body(vec![MsgElement::text(text)])
                        .cloud_custom_data(format!(
                            "{}+moderated",
                            msg.cloud_custom_data.as_deref().unwrap()
                        )),
                )
            },
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"*** packet"}}],"CloudCustomData":"your cloud custom data+moderated"}"#,
        ),
    ];
    for (reply, expected) in cases {
        let service = WebhookService::new(config(), reply_router(reply));
        let (status, body) = answer(&service, "before-msg", NOW).await;
        assert_eq!(status, 200);
        assert_eq!(&body[..], expected, "{}", String::from_utf8_lossy(&body));
        // The after-webhook of the same message carries nothing of it.
        let (_, body) = answer(&service, "after-msg", NOW).await;
        assert_eq!(
            &body[..],
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
        );
    }
    let service = WebhookService::new(config(), reply_router(|_| MessageReply::allow()));
    let (_, body) = answer(&service, "before-gift", NOW).await;
    assert_eq!(
        &body[..],
        br#"{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}"#
    );
}

#[tokio::test]
async fn the_router_composes_with_the_layer_and_tower_middleware() {
    fn assert_service<T: Clone + Send + Sync + 'static>(_: &T) {}
    let router = reply_router(|_| MessageReply::discard());
    assert_service(&router);
    let future = router.clone().call(
        crate::test_util::webhook(APP, command_of("before-msg"), samples::BEFORE_SEND_MSG).unwrap(),
    );
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&future);
    assert_eq!(future.await.unwrap().error_code(), 2);

    let service = ServiceBuilder::new()
        .layer(WebhookLayer::new(config()))
        .concurrency_limit(4)
        .timeout(Duration::from_secs(1))
        .service(router);
    let (status, body) = answer(&service, "before-msg", NOW).await;
    assert_eq!(status, 200);
    assert_eq!(
        &body[..],
        br#"{"ActionStatus":"OK","ErrorCode":2,"ErrorInfo":""}"#
    );
}

fn command_of(name: &str) -> &'static str {
    samples::by_name(name).unwrap().0
}

#[tokio::test]
async fn on_the_trtc_scheme_the_router_routes_trtc_events() {
    let seen = Seen::default();
    let room = recorder(&seen, "trtc-room");
    let recording = recorder(&seen, "recording");
    let router = EventRouter::new()
        .on_trtc_room(move |e: RoomEvent, ctx: WebhookContext| {
            room(format!("{}:{}", ctx.command, e.event_type));
            async {}
        })
        .on_recording(move |e: RecordingEvent, _ctx| {
            recording(e.event_type.to_string());
            async {}
        })
        .on_before_send_msg(|_msg, _ctx| async { MessageReply::discard() });
    let service = WebhookService::trtc(config(), router);
    for body in [
        samples::trtc::USER_ENTERED,
        samples::trtc::RECORDING_UPLOAD_STOPPED,
    ] {
        let request = TrtcTestRequest::new(APP, body)
            .callback_ts(NOW * 1000)
            .key("trtcKey123")
            .into_request();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"code":0}"#);
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("trtc-room".to_owned(), "TRTC.1.103:103".to_owned()),
            ("recording".to_owned(), "305".to_owned()),
        ]
    );
}

#[tokio::test]
async fn every_family_event_has_a_stable_idempotency_key() {
    let keys: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = keys.clone();
    let router = EventRouter::new().fallback(move |hook: Webhook| {
        sink.lock().unwrap().push((
            hook.context.command.clone(),
            hook.context.idempotency_key().to_string(),
        ));
        async {}
    });
    let service = WebhookService::new(config(), router);
    for (name, _, _) in samples::ALL {
        // The same event delivered twice, with a different RequestTime and Sign.
        answer(&service, name, NOW).await;
        answer(&service, name, NOW - 30).await;
    }
    let keys = keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2 * samples::ALL.len());
    let mut distinct = HashMap::new();
    for pair in keys.chunks(2) {
        assert_eq!(
            pair[0], pair[1],
            "re-delivery of {} keeps its key",
            pair[0].0
        );
        assert!(pair[0].1.starts_with("chat-1400000000-"), "{}", pair[0].1);
        assert!(
            distinct
                .insert(pair[0].1.clone(), pair[0].0.clone())
                .is_none(),
            "{} shares a key",
            pair[0].0
        );
    }
    // A different event of the same command gets a different key.
    let other = samples::BEFORE_SEND_MSG.replace("123456", "654321");
    let a =
        crate::test_util::webhook(APP, command_of("before-msg"), samples::BEFORE_SEND_MSG).unwrap();
    let b = crate::test_util::webhook(APP, command_of("before-msg"), other).unwrap();
    assert_ne!(a.context.idempotency_key(), b.context.idempotency_key());
}

#[test]
fn debug_lists_the_routes() {
    let router = EventRouter::new()
        .on_follow_deleted(|_e, _ctx| async {})
        .on(EventKind::Unknown, |_hook| async {});
    assert_eq!(
        format!("{router:?}"),
        "EventRouter { routes: [FollowDeleted, Unknown], fallback: false }"
    );
}
