//! The TRTC scheme through the service, with `oneshot`: the documented vectors, every
//! forgery, the answers, typed events, the freshness window and the buffer budget.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::test_util::{TrtcTestRequest, samples::trtc};
use crate::{
    Ack, Event, RecordingPayload, Rejection, RoomEventKind, RoomId, Scheme, SdkApp, Webhook,
    WebhookConfig, WebhookResponse, WebhookService,
};

const APP: u64 = 1400000000;
const UNSIGNED_APP: u64 = 1400000001;

type Seen = Arc<Mutex<Vec<Webhook>>>;

/// The documented samples carry their own, years-old `CallbackTs`: these tests are about
/// their signatures and decoding, so the clock is pinned to the documented vector's send
/// time (1664209748188 ms) and the freshness window (on by default) is off; it has tests
/// of its own below, with the default on.
fn config() -> crate::WebhookConfigBuilder {
    WebhookConfig::builder()
        .app(
            SdkApp::new(APP)
                .token("chat-token")
                .trtc_key("newkey")
                .trtc_key(trtc::DOC_KEY),
        )
        .app(SdkApp::new(UNSIGNED_APP).insecure_accept_unsigned(Scheme::Trtc))
        .clock(|| UNIX_EPOCH + Duration::from_millis(1664209748188))
        .trtc_freshness_window(None)
}

fn service(
    builder: crate::WebhookConfigBuilder,
    ack: Ack,
) -> (
    WebhookService<
        impl Clone
        + tower::Service<Webhook, Response = Ack, Error = Infallible, Future = impl Send>
        + Send
        + Sync,
    >,
    Seen,
) {
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let svc = WebhookService::trtc_from_fn(builder.build().unwrap(), move |hook: Webhook| {
        let seen = seen2.clone();
        let ack = ack.clone();
        async move {
            seen.lock().unwrap().push(hook);
            ack
        }
    });
    assert_eq!(svc.scheme(), Scheme::Trtc);
    (svc, seen)
}

async fn answer<S>(svc: S, req: Request<Full<Bytes>>) -> (StatusCode, Bytes)
where
    S: tower::Service<Request<Full<Bytes>>, Response = WebhookResponse, Error = Infallible>,
{
    let response = svc.oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    assert_eq!(parts.headers[header::CONTENT_TYPE], "application/json");
    (parts.status, body.collect().await.unwrap().to_bytes())
}

async fn expect_rejection<S>(svc: S, req: Request<Full<Bytes>>, rejection: Rejection)
where
    S: tower::Service<Request<Full<Bytes>>, Response = WebhookResponse, Error = Infallible>,
{
    let (status, body) = answer(svc, req).await;
    assert_eq!(status, rejection.status(), "{rejection:?}");
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json,
        json!({"code": rejection.error_code(), "message": rejection.to_string()})
    );
}

fn doc_request() -> Request<Full<Bytes>> {
    TrtcTestRequest::new(APP, trtc::DOC_BODY)
        .key(trtc::DOC_KEY)
        .into_request()
}

#[tokio::test]
async fn the_doc_vector_is_delivered_and_answered_code_0() {
    let (svc, seen) = service(config(), Ack::ok());
    let req = doc_request();
    assert_eq!(req.headers()["sign"], trtc::DOC_SIGN);
    let (status, body) = answer(svc, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&body[..], br#"{"code":0}"#);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let hook = &seen[0];
    assert_eq!(hook.context.scheme, Scheme::Trtc);
    assert_eq!(hook.context.sdk_app_id, APP);
    assert_eq!(hook.context.command, "TRTC.2.204");
    assert_eq!(hook.context.raw_body, trtc::DOC_BODY.as_bytes());
    assert_eq!(hook.context.client_ip, None);
    assert_eq!(hook.context.request_time, None);
    match &hook.event {
        Event::Room(room) => {
            assert_eq!(room.kind, RoomEventKind::AudioStopped);
            assert_eq!(room.event_group_id, 2);
            assert_eq!(room.callback_ts, Some(1664209748188));
            assert_eq!(room.info.room_id, Some(RoomId::Number(8489)));
            assert_eq!(room.info.user_id.as_deref(), Some("user_85034614"));
            assert_eq!(room.info.event_ms_ts, Some(1664209748180));
            assert_eq!(room.info.reason, Some(0));
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn the_independent_vector_is_delivered() {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key(trtc::SAMPLE_KEY))
        .clock(|| UNIX_EPOCH + Duration::from_millis(1608086882372 + 1_000));
    let (svc, seen) = service(config, Ack::ok());
    let req = TrtcTestRequest::new(APP, trtc::SAMPLE_BODY).key(trtc::SAMPLE_KEY);
    assert_eq!(req.sign().as_deref(), Some(trtc::SAMPLE_SIGN));
    let (status, _) = answer(svc, req.into_request()).await;
    assert_eq!(status, StatusCode::OK);
    let seen = seen.lock().unwrap();
    assert!(matches!(&seen[0].event, Event::Room(r) if r.kind == RoomEventKind::RoomCreated));
}

#[tokio::test]
async fn forgeries_are_refused_and_never_delivered() {
    let (svc, seen) = service(config(), Ack::ok());
    let with_headers = |headers: &[(&str, &str)], body: &[u8]| {
        let mut b = Request::post("/trtc");
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(Full::new(Bytes::copy_from_slice(body))).unwrap()
    };
    let body = trtc::DOC_BODY.as_bytes();
    let app = APP.to_string();
    let cases: Vec<(Request<Full<Bytes>>, Rejection)> = vec![
        (
            with_headers(&[("SdkAppId", &app)], body),
            Rejection::MissingSignHeader,
        ),
        (
            with_headers(&[("SdkAppId", &app), ("Sign", "")], body),
            Rejection::MissingSignHeader,
        ),
        (
            with_headers(&[("SdkAppId", &app), ("Sign", "not base64 at all")], body),
            Rejection::BadSignature,
        ),
        (
            with_headers(
                &[
                    ("SdkAppId", &app),
                    ("Sign", "t2Yq1R4wilV/RIMRyygkgdhxWO8dgTdXXrfNVtz7V3k="),
                ],
                body,
            ),
            Rejection::BadSignature,
        ),
        (
            with_headers(
                &[("SdkAppId", &app), ("Sign", trtc::DOC_SIGN)],
                &trtc::DOC_BODY.replace("8489", "8490").into_bytes(),
            ),
            Rejection::BadSignature,
        ),
        (
            with_headers(
                &[
                    ("SdkAppId", &app),
                    ("Sign", trtc::DOC_SIGN),
                    ("Sign", trtc::DOC_SIGN),
                ],
                body,
            ),
            Rejection::DuplicateHeader("Sign"),
        ),
        (
            with_headers(&[("Sign", trtc::DOC_SIGN)], body),
            Rejection::MissingHeader("SdkAppId"),
        ),
        (
            with_headers(&[("SdkAppId", "14x"), ("Sign", trtc::DOC_SIGN)], body),
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            with_headers(
                &[("SdkAppId", "+1400000000"), ("Sign", trtc::DOC_SIGN)],
                body,
            ),
            Rejection::MalformedHeader("SdkAppId"),
        ),
        (
            with_headers(
                &[
                    ("SdkAppId", &app),
                    ("SdkAppId", &app),
                    ("Sign", trtc::DOC_SIGN),
                ],
                body,
            ),
            Rejection::DuplicateHeader("SdkAppId"),
        ),
        (
            with_headers(
                &[("SdkAppId", "1400000002"), ("Sign", trtc::DOC_SIGN)],
                body,
            ),
            Rejection::UnknownApp,
        ),
        (
            // A Chat-style request (query parameters, no headers) is not a TRTC request.
            Request::post(format!("/trtc?SdkAppid={APP}&CallbackCommand=X.Y"))
                .body(Full::new(Bytes::from_static(body)))
                .unwrap(),
            Rejection::MissingHeader("SdkAppId"),
        ),
    ];
    for (req, rejection) in cases {
        expect_rejection(svc.clone(), req, rejection).await;
    }
    // Signed with another app's key material: the right Sign for another key.
    let other = TrtcTestRequest::new(APP, trtc::DOC_BODY)
        .key("otherkey")
        .into_request();
    expect_rejection(svc.clone(), other, Rejection::BadSignature).await;
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn method_and_size_checks_apply() {
    let (svc, seen) = service(config().trtc_body_limit(64), Ack::ok());
    let get = Request::get("/trtc").body(Full::new(Bytes::new())).unwrap();
    let response = svc.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "POST");
    // Content-Length over the limit: refused before reading.
    expect_rejection(svc.clone(), doc_request(), Rejection::BodyTooLarge).await;
    // Streamed past the limit without Content-Length.
    let chunks = futures_util::stream::iter(
        (0..10).map(|_| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(vec![b' '; 10])))),
    );
    let (status, _) = {
        let req = Request::post("/trtc")
            .header("SdkAppId", APP)
            .header("Sign", trtc::DOC_SIGN)
            .body(StreamBody::new(chunks))
            .unwrap();
        let r = svc.clone().oneshot(req).await.unwrap();
        (r.status(), ())
    };
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unsigned_app_accepts_unsigned_requests() {
    let (svc, seen) = service(config(), Ack::ok());
    let req = TrtcTestRequest::new(UNSIGNED_APP, trtc::USER_ENTERED).into_request();
    let (status, body) = answer(svc, req).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &br#"{"code":0}"#[..]));
    let seen = seen.lock().unwrap();
    let Event::Room(room) = &seen[0].event else {
        panic!("{:?}", seen[0].event)
    };
    assert_eq!(room.kind, RoomEventKind::UserEntered);
    assert_eq!(room.info.room_id, Some(RoomId::String("room-42".into())));
    assert_eq!(room.info.unique_id.as_deref(), Some("1687770730"));
    assert_eq!(room.info.role, Some(crate::Role::Anchor));
    assert_eq!(room.info.terminal_type, Some(crate::TerminalType::Ios));
    assert_eq!(room.info.user_type, Some(crate::UserType::NativeSdk));
    assert_eq!(room.enter_reason(), Some(crate::EnterReason::Normal));
    assert_eq!(room.exit_reason(), None);
}

#[tokio::test]
async fn recording_arrives_as_the_same_type_as_on_the_chat_path() {
    let (svc, seen) = service(config(), Ack::ok());
    for body in [trtc::RECORDING_UPLOAD_STOPPED, trtc::WEB_RECORDING_STARTED] {
        let req = TrtcTestRequest::new(APP, body).key("newkey").into_request();
        assert_eq!(answer(svc.clone(), req).await.0, StatusCode::OK);
    }
    let seen = seen.lock().unwrap();
    let Event::Recording(rec) = &seen[0].event else {
        panic!("{:?}", seen[0].event)
    };
    assert_eq!(seen[0].context.command, "TRTC.3.305");
    assert_eq!(rec.event_group_id, Some(3));
    assert_eq!(
        rec.info.payload,
        RecordingPayload::UploadStopped { status: Some(0) }
    );
    // The Chat path's decode of the same event gives an equal value.
    let chat = crate::test_util::webhook(
        APP,
        crate::command::FOLLOW_CLOUD_RECORDING_CHANGED,
        crate::test_util::samples::RECORDING_CHANGED,
    )
    .unwrap();
    assert_eq!(chat.event, seen[0].event);
    let Event::Recording(web) = &seen[1].event else {
        panic!("{:?}", seen[1].event)
    };
    assert_eq!(seen[1].context.command, "TRTC.8.801");
    assert_eq!(web.info.task_id.as_deref(), Some("web-task-1"));
}

#[tokio::test]
async fn unknown_groups_and_types_are_delivered() {
    let (svc, seen) = service(config(), Ack::ok());
    let unknown_type = r#"{"EventGroupId":1,"EventType":199,"EventInfo":{"RoomId":1}}"#;
    for body in [trtc::UNKNOWN_GROUP, unknown_type, r#"{"Something":"else"}"#] {
        let req = TrtcTestRequest::new(APP, body).key("newkey").into_request();
        assert_eq!(answer(svc.clone(), req).await.0, StatusCode::OK, "{body}");
    }
    let seen = seen.lock().unwrap();
    match &seen[0].event {
        Event::Unknown(u) => {
            assert_eq!(u.command, "TRTC.9.901");
            assert_eq!(u.json["EventInfo"]["Future"], "field");
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(&seen[1].event, Event::Room(r) if r.kind == RoomEventKind::Other(199)));
    assert!(matches!(&seen[2].event, Event::Unknown(u) if u.command == "TRTC"));
}

#[tokio::test]
async fn bad_bodies_that_verify_are_400() {
    let (svc, seen) = service(config(), Ack::ok());
    for (body, rejection) in [
        ("", Rejection::InvalidJson),
        ("[1]", Rejection::NotAnObject),
        ("{", Rejection::InvalidJson),
    ] {
        let req = TrtcTestRequest::new(APP, body).key("newkey").into_request();
        expect_rejection(svc.clone(), req, rejection).await;
    }
    assert!(seen.lock().unwrap().is_empty());
}

/// A verified body is never refused for its shape (there is no 40006): a field of an
/// unexpected type reads as absent and the event keeps the whole body in `raw`.
#[tokio::test]
async fn mistyped_bodies_that_verify_are_delivered() {
    let (svc, seen) = service(config(), Ack::ok());
    for body in [
        r#"{"EventGroupId":"one","EventType":1}"#,
        r#"{"EventGroupId":1,"EventType":103,"EventInfo":{"Role":{}}}"#,
    ] {
        let req = TrtcTestRequest::new(APP, body).key("newkey").into_request();
        assert_eq!(answer(svc.clone(), req).await.0, StatusCode::OK, "{body}");
    }
    let seen = seen.lock().unwrap();
    assert!(matches!(&seen[0].event, Event::Unknown(u) if u.command == "TRTC"));
    assert_eq!(seen[1].context.command, "TRTC.1.103");
    let Event::Room(room) = &seen[1].event else {
        panic!("{:?}", seen[1].event)
    };
    assert_eq!(room.kind, RoomEventKind::UserEntered);
    assert_eq!(room.info.role, None);
    assert_eq!(room.raw.as_ref().unwrap()["EventInfo"]["Role"], json!({}));
}

#[tokio::test]
async fn failing_panicking_and_slow_callbacks_are_never_200() {
    let (svc, _) = service(config(), Ack::fail(7, "storage down"));
    let (status, body) = answer(svc, doc_request()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(&body[..], br#"{"code":7,"message":"storage down"}"#);

    let panics = WebhookService::trtc_from_fn(config().build().unwrap(), |_hook: Webhook| async {
        if true {
            panic!("on purpose");
        }
        Ack::ok()
    });
    expect_rejection(panics, doc_request(), Rejection::CallbackPanicked).await;

    let slow = WebhookService::trtc_from_fn(
        config()
            .callback_deadline(Some(Duration::from_millis(20)))
            .build()
            .unwrap(),
        |_hook: Webhook| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ack::ok()
        },
    );
    expect_rejection(slow, doc_request(), Rejection::CallbackTimeout).await;
}

#[tokio::test]
async fn freshness_window_checks_callback_ts_when_set() {
    // CallbackTs of the doc body is 1664209748188 ms.
    let at = |ms: u64| move || UNIX_EPOCH + Duration::from_millis(ms);
    let window = Duration::from_secs(300);
    let (fresh, seen) = service(
        config()
            .trtc_freshness_window(Some(window))
            .clock(at(1664209748188 + 299_000)),
        Ack::ok(),
    );
    assert_eq!(answer(fresh, doc_request()).await.0, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
    for now in [1664209748188 + 301_000, 1664209748188 - 301_000] {
        let (stale, seen) = service(
            config().trtc_freshness_window(Some(window)).clock(at(now)),
            Ack::ok(),
        );
        expect_rejection(stale, doc_request(), Rejection::StaleCallbackTs).await;
        assert!(seen.lock().unwrap().is_empty());
    }
    // A verified body without a CallbackTs: delivered (Tencent always sends one, and
    // nobody can remove it from a signed body).
    let (svc, seen) = service(config().trtc_freshness_window(Some(window)), Ack::ok());
    let req = TrtcTestRequest::new(
        APP,
        trtc::UNKNOWN_GROUP.replace(r#""CallbackTs":1700000000000,"#, ""),
    )
    .key("newkey")
    .into_request();
    assert_eq!(answer(svc, req).await.0, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// On by default (5 minutes), against the system clock: Tencent's documented vector of
/// 2022 verifies, and is then refused as stale; the same event stamped now is delivered.
#[tokio::test]
async fn freshness_window_is_on_by_default() {
    let defaults = || {
        WebhookConfig::builder().app(SdkApp::new(APP).trtc_key("newkey").trtc_key(trtc::DOC_KEY))
    };
    assert_eq!(
        defaults().build().unwrap().trtc_freshness_window(),
        Some(Duration::from_secs(300))
    );
    let (svc, seen) = service(defaults(), Ack::ok());
    expect_rejection(svc, doc_request(), Rejection::StaleCallbackTs).await;
    assert!(seen.lock().unwrap().is_empty());
    // A forged body is still a bad signature first, whatever its CallbackTs.
    let (svc, _) = service(defaults(), Ack::ok());
    let forged = TrtcTestRequest::new(APP, trtc::DOC_BODY.replace("8489", "8490")).into_request();
    let mut forged = forged;
    forged
        .headers_mut()
        .insert("sign", http::HeaderValue::from_static(trtc::DOC_SIGN));
    expect_rejection(svc, forged, Rejection::BadSignature).await;
    let (svc, seen) = service(defaults(), Ack::ok());
    let fresh = TrtcTestRequest::new(APP, trtc::DOC_BODY)
        .fresh()
        .key(trtc::DOC_KEY)
        .into_request();
    assert_eq!(answer(svc, fresh).await.0, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Opting out by name: the old vector is delivered again.
    let (svc, seen) = service(defaults().trtc_freshness_window(None), Ack::ok());
    assert_eq!(answer(svc, doc_request()).await.0, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_retry_has_the_same_idempotency_key_and_another_event_does_not() {
    let (svc, seen) = service(config(), Ack::ok());
    let retry = trtc::USER_ENTERED.replace("1687770730166", "1687770740311");
    let exit = trtc::USER_EXITED;
    for body in [trtc::USER_ENTERED, retry.as_str(), exit] {
        let req = TrtcTestRequest::new(APP, body.to_owned())
            .key("newkey")
            .into_request();
        assert_eq!(answer(svc.clone(), req).await.0, StatusCode::OK);
    }
    let seen = seen.lock().unwrap();
    let keys: Vec<_> = seen
        .iter()
        .map(|h| h.context.idempotency_key().clone())
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0], keys[2]);
    assert!(keys[0].as_str().starts_with("trtc-1400000000-"));
}

#[tokio::test]
async fn over_the_buffer_budget_is_503_before_reading() {
    let config = config().buffer_budget(100).build().unwrap();
    let svc = WebhookService::trtc_from_fn(config.clone(), |_hook: Webhook| async { Ack::ok() });
    // The doc body (about 200 bytes) cannot fit in a budget of 100.
    expect_rejection(svc.clone(), doc_request(), Rejection::BufferBudgetExhausted).await;
    assert_eq!(config.buffered_bytes(), 0, "nothing stays charged");
    // Without Content-Length, the budget stops the read as the bytes arrive.
    let chunks = futures_util::stream::iter(
        (0..20).map(|_| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(vec![b' '; 10])))),
    );
    let req = Request::post("/trtc")
        .header("SdkAppId", APP)
        .header("Sign", trtc::DOC_SIGN)
        .body(StreamBody::new(chunks))
        .unwrap();
    let response = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(config.buffered_bytes(), 0);
    // Small bodies still pass, and leave nothing charged once answered.
    let small = r#"{"EventGroupId":1,"EventType":101}"#;
    let req = TrtcTestRequest::new(APP, small)
        .key("newkey")
        .into_request();
    assert_eq!(svc.oneshot(req).await.unwrap().status(), StatusCode::OK);
    assert_eq!(config.buffered_bytes(), 0);
}

#[tokio::test]
async fn decode_rebuilds_what_the_service_delivered() {
    let (svc, seen) = service(config(), Ack::ok());
    assert_eq!(answer(svc, doc_request()).await.0, StatusCode::OK);
    let delivered = seen.lock().unwrap()[0].clone();
    let stored = crate::WebhookContext::new(
        Scheme::Trtc,
        delivered.context.sdk_app_id,
        delivered.context.command.clone(),
        delivered.context.raw_body.clone(),
    );
    let rebuilt = Webhook::decode(stored).unwrap();
    assert_eq!(rebuilt.event, delivered.event);
    assert_eq!(
        rebuilt.context.idempotency_key(),
        delivered.context.idempotency_key()
    );
}

#[tokio::test]
async fn the_staged_api_verifies_whatever_bytes_reach_dispatch() {
    let (svc, seen) = service(config(), Ack::ok());
    // Signed with a key the app does not have, handed straight to dispatch.
    let forged = TrtcTestRequest::new(APP, trtc::DOC_BODY).key("otherkey");
    let request = forged.into_request();
    let admission = svc
        .admit(request.method(), request.uri(), request.headers())
        .unwrap();
    let response = svc
        .dispatch(admission, Bytes::from_static(trtc::DOC_BODY.as_bytes()))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The right signature but other bytes than those it signs.
    let request = doc_request();
    let admission = svc
        .admit(request.method(), request.uri(), request.headers())
        .unwrap();
    let other = trtc::DOC_BODY.replace("8489", "8490");
    let response = svc.dispatch(admission, Bytes::from(other)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(seen.lock().unwrap().is_empty());
    assert_eq!(svc.config().buffered_bytes(), 0);
}
