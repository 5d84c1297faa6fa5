//! One `oneshot` test per row of the answer table, plus the checks around them.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::{Value, json};
use tower::{ServiceExt, service_fn};

use crate::{
    Ack, Event, RecordingPayload, Rejection, RoomId, Scheme, SdkApp, Webhook, WebhookConfig,
    WebhookLayer, WebhookService, command, sign,
};

const APP: u64 = 1400000000;
const TOKEN: &str = "xxxxyyyy";
const NOW: u64 = 1669872112;
const SEED: &str = r#"{"CallbackCommand":"Follow.CallbackAfterCloudRecordingChanged","EventGroupId":3,"EventType":305,"CallbackTs":1752580150082,"EventInfo":{"RoomId":"635055","EventTs":1752580150,"EventMsTs":1752580150081,"UserId":"user1","TaskId":"-m9-bVVU7id***K-m928oZWQndiborbEWH3zY-lIXlprc-gQvQE","Payload":{"Status":0}}}"#;

fn config() -> crate::WebhookConfigBuilder {
    WebhookConfig::builder()
        .app(SdkApp::new(APP).token(TOKEN))
        .app(SdkApp::new(1400000001).insecure_accept_unsigned(Scheme::Chat))
        .app(SdkApp::new(NO_SECRET_APP).trtc_key("trtcKeyOnly"))
        .clock(|| UNIX_EPOCH + Duration::from_secs(NOW))
}

type Seen = Arc<Mutex<Vec<Webhook>>>;

/// A service whose callback records what it receives and answers `ack`.
fn recording_service(
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
    let svc = WebhookService::from_fn(builder.build().unwrap(), move |hook: Webhook| {
        let seen = seen2.clone();
        let ack = ack.clone();
        async move {
            seen.lock().unwrap().push(hook);
            ack
        }
    });
    (svc, seen)
}

fn query(app: u64, cmd: &str, extra: &str) -> String {
    format!(
        "/cb?SdkAppid={app}&CallbackCommand={cmd}&contenttype=json&ClientIP=1.2.3.4&OptPlatform=IOS{extra}"
    )
}

fn signed(cmd: &str, time: u64) -> String {
    query(
        APP,
        cmd,
        &format!("&Sign={}&RequestTime={time}", sign(TOKEN, time)),
    )
}

fn post(uri: &str, body: &str) -> Request<Full<Bytes>> {
    Request::post(uri)
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap()
}

async fn answer<S>(svc: S, req: Request<Full<Bytes>>) -> (StatusCode, http::HeaderMap, Value)
where
    S: tower::Service<Request<Full<Bytes>>, Response = crate::WebhookResponse, Error = Infallible>,
{
    let response = svc.oneshot(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    assert_eq!(parts.headers[header::CONTENT_TYPE], "application/json");
    let json: Value = serde_json::from_slice(&bytes).expect("every answer is JSON");
    (parts.status, parts.headers, json)
}

async fn expect_rejection<S>(svc: S, req: Request<Full<Bytes>>, rejection: Rejection)
where
    S: tower::Service<Request<Full<Bytes>>, Response = crate::WebhookResponse, Error = Infallible>,
{
    let (status, _, json) = answer(svc, req).await;
    assert_eq!(status, rejection.status(), "{rejection:?}: {json}");
    assert_eq!(
        json,
        json!({"ActionStatus":"FAIL","ErrorCode":rejection.error_code(),"ErrorInfo":rejection.to_string()}),
    );
}

#[tokio::test]
async fn accepted_and_ok() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let (status, _, json) = answer(
        svc,
        post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let ctx = &seen[0].context;
    assert_eq!(ctx.sdk_app_id, APP);
    assert_eq!(ctx.command, command::FOLLOW_CLOUD_RECORDING_CHANGED);
    assert_eq!(ctx.client_ip.as_deref(), Some("1.2.3.4"));
    assert_eq!(ctx.platform, Some(crate::OptPlatform::Ios));
    assert_eq!(ctx.request_time, Some(NOW));
    assert_eq!(ctx.raw_body, SEED.as_bytes());
    match &seen[0].event {
        Event::Recording(r) => {
            assert_eq!(r.event_type, 305);
            assert_eq!(r.info.room_id, Some(RoomId::String("635055".into())));
            assert_eq!(
                r.info.payload,
                RecordingPayload::UploadStopped { status: Some(0) }
            );
        }
        e => panic!("{e:?}"),
    }
}

#[tokio::test]
async fn the_doc_vector_is_accepted_end_to_end() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let uri = query(
        APP,
        command::FOLLOW_CLOUD_RECORDING_CHANGED,
        "&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112",
    );
    let (status, _, _) = answer(svc, post(&uri, SEED)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn all_recording_names_and_unknown_commands_are_delivered() {
    let call = r#"{"CallId":"c","Callback":{"EventGroupId":3,"EventType":301,"EventInfo":{"Payload":{"Status":0}}},"CallbackCommand":"CMD","EventTime":1}"#;
    let cases = [
        (command::FOLLOW_CLOUD_RECORDING_CHANGED, SEED.to_owned()),
        (
            command::LIVE_CLOUD_RECORDING_CHANGED,
            SEED.replace("Follow.", "Live."),
        ),
        (
            command::CALL_RECORD_CHANGED,
            call.replace("CMD", command::CALL_RECORD_CHANGED),
        ),
        (
            command::CALL_CLOUD_RECORDING_CHANGED,
            call.replace("CMD", command::CALL_CLOUD_RECORDING_CHANGED),
        ),
        (
            "Live.CallbackAfterCreateRoom",
            r#"{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{}}"#.to_owned(),
        ),
    ];
    for (cmd, body) in cases {
        let (svc, seen) = recording_service(config(), Ack::ok());
        let (status, _, json) = answer(svc, post(&signed(cmd, NOW), &body)).await;
        assert_eq!(status, StatusCode::OK, "{cmd}: {json}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].context.command, cmd);
        let is_recording = matches!(seen[0].event, Event::Recording(_));
        assert_eq!(is_recording, cmd != "Live.CallbackAfterCreateRoom", "{cmd}");
    }
}

/// An app with a secret of the other scheme only.
const NO_SECRET_APP: u64 = 1400000002;

/// Secure by default: an app without a token gets no Chat request through, signed or
/// not, unless it opted in to unsigned requests by name.
#[tokio::test]
async fn an_app_without_a_token_fails_closed() {
    for uri in [
        query(NO_SECRET_APP, command::FOLLOW_CLOUD_RECORDING_CHANGED, ""),
        format!(
            "{}&Sign={}&RequestTime={NOW}",
            query(NO_SECRET_APP, command::FOLLOW_CLOUD_RECORDING_CHANGED, ""),
            crate::sign(TOKEN, NOW)
        ),
    ] {
        let (svc, seen) = recording_service(config(), Ack::ok());
        let (status, _, json) = answer(svc, post(&uri, SEED)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(json["ErrorCode"], 40107);
        assert!(seen.lock().unwrap().is_empty());
    }
}

/// A service for a scheme that no app can be sent is a configuration error, found when
/// the service is built.
#[test]
#[should_panic(expected = "would refuse every request")]
fn a_service_no_app_can_reach_does_not_build() {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key("trtcKeyOnly"))
        .build()
        .unwrap();
    let _ = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
}

#[tokio::test]
async fn unsigned_app_needs_no_signature() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let uri = query(1400000001, command::FOLLOW_CLOUD_RECORDING_CHANGED, "");
    let (status, _, _) = answer(svc, post(&uri, SEED)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen.lock().unwrap()[0].context.request_time, None);
}

#[tokio::test]
async fn callback_failure_is_200_fail_with_its_code() {
    let (svc, seen) = recording_service(config(), Ack::fail(1234, "db down"));
    let (status, _, json) = answer(
        svc,
        post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({"ActionStatus":"FAIL","ErrorCode":1234,"ErrorInfo":"db down"})
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn malformed_requests_are_400_and_not_delivered() {
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let good_tail = format!("&Sign={}&RequestTime={NOW}", sign(TOKEN, NOW));
    let cases = [
        (
            format!("/cb?CallbackCommand={cmd}{good_tail}"),
            SEED.to_owned(),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            format!("/cb?SdkAppid=&CallbackCommand={cmd}{good_tail}"),
            SEED.to_owned(),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            format!("/cb?SdkAppid={APP}{good_tail}"),
            SEED.to_owned(),
            Rejection::MissingParameter("CallbackCommand"),
        ),
        (
            "/cb".to_owned(),
            SEED.to_owned(),
            Rejection::MissingParameter("SdkAppid"),
        ),
        (
            format!("/cb?SdkAppid=abc&CallbackCommand={cmd}"),
            SEED.to_owned(),
            Rejection::MalformedParameter("SdkAppid"),
        ),
        (
            format!("/cb?SdkAppid=99999999999999999999999&CallbackCommand={cmd}"),
            SEED.to_owned(),
            Rejection::MalformedParameter("SdkAppid"),
        ),
        (
            format!("{}&SdkAppId=1", signed(cmd, NOW)),
            SEED.to_owned(),
            Rejection::DuplicateParameter("SdkAppid"),
        ),
        (
            format!("{}&sign=00", signed(cmd, NOW)),
            SEED.to_owned(),
            Rejection::DuplicateParameter("Sign"),
        ),
        (
            signed(cmd, NOW),
            "{not json".to_owned(),
            Rejection::InvalidJson,
        ),
        (signed(cmd, NOW), String::new(), Rejection::InvalidJson),
        (
            signed(cmd, NOW),
            "[1,2,3]".to_owned(),
            Rejection::NotAnObject,
        ),
        (
            signed(command::LIVE_CLOUD_RECORDING_CHANGED, NOW),
            SEED.to_owned(),
            Rejection::CommandMismatch,
        ),
    ];
    for (uri, body, rejection) in cases {
        let (svc, seen) = recording_service(config(), Ack::ok());
        expect_rejection(svc, post(&uri, &body), rejection).await;
        assert!(seen.lock().unwrap().is_empty(), "{uri} delivered");
    }
}

/// A verified body is never refused for its shape (there is no 40006): a field of an
/// unexpected type reads as absent and the event keeps the whole body in `raw`.
#[tokio::test]
async fn verified_bodies_of_an_unexpected_shape_are_delivered() {
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    for body in [
        r#"{"EventType":305}"#,
        r#"{"EventType":305,"EventInfo":{"RoomId":8489.0,"Payload":{"Status":"zero"}}}"#,
    ] {
        let (svc, seen) = recording_service(config(), Ack::ok());
        let (status, _, _) = answer(svc, post(&signed(cmd, NOW), body)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let seen = seen.lock().unwrap();
        let Event::Recording(r) = &seen[0].event else {
            panic!("{body}: {:?}", seen[0].event)
        };
        assert_eq!(r.info.room_id, None);
        assert_eq!(
            r.info.payload,
            RecordingPayload::UploadStopped { status: None }
        );
        assert_eq!(r.raw.is_some(), body.contains("RoomId"), "{body}");
    }
}

#[tokio::test]
async fn signature_problems_are_401() {
    let cmd = command::FOLLOW_CLOUD_RECORDING_CHANGED;
    let cases = [
        (query(APP, cmd, ""), Rejection::MissingSignature),
        (
            query(APP, cmd, &format!("&Sign={}", sign(TOKEN, NOW))),
            Rejection::MissingSignature,
        ),
        (
            query(APP, cmd, &format!("&RequestTime={NOW}")),
            Rejection::MissingSignature,
        ),
        (
            query(
                APP,
                cmd,
                &format!("&Sign={}&RequestTime={NOW}", sign("other", NOW)),
            ),
            Rejection::BadSignature,
        ),
        (
            query(APP, cmd, &format!("&Sign=abc&RequestTime={NOW}")),
            Rejection::BadSignature,
        ),
        (
            query(APP, cmd, &format!("&Sign=&RequestTime={NOW}")),
            Rejection::BadSignature,
        ),
        (signed(cmd, NOW - 61), Rejection::StaleRequestTime),
        (signed(cmd, NOW + 61), Rejection::StaleRequestTime),
        (signed(cmd, 0), Rejection::StaleRequestTime),
        (
            query(
                APP,
                cmd,
                "&Sign=00&RequestTime=123456789012345678901234567890",
            ),
            Rejection::BadSignature,
        ),
    ];
    for (uri, rejection) in cases {
        let (svc, seen) = recording_service(config(), Ack::ok());
        expect_rejection(svc, post(&uri, SEED), rejection).await;
        assert!(seen.lock().unwrap().is_empty());
    }
    // Signed with the real token but an unparseable time: invalid, not a panic.
    let (svc, _) = recording_service(config(), Ack::ok());
    let thirty = "123456789012345678901234567890";
    let sig = {
        use sha2::{Digest, Sha256};
        hex::encode(
            Sha256::new()
                .chain_update(TOKEN)
                .chain_update(thirty)
                .finalize()
                .as_slice(),
        )
    };
    let uri = query(APP, cmd, &format!("&Sign={sig}&RequestTime={thirty}"));
    expect_rejection(svc, post(&uri, SEED), Rejection::InvalidRequestTime).await;
}

#[tokio::test]
async fn rotation_accepts_old_and_new_tokens() {
    for token in ["new-token", TOKEN] {
        let (svc, _) = recording_service(
            WebhookConfig::builder()
                .app(SdkApp::new(APP).token("new-token").token(TOKEN))
                .clock(|| UNIX_EPOCH + Duration::from_secs(NOW)),
            Ack::ok(),
        );
        let uri = query(
            APP,
            command::FOLLOW_CLOUD_RECORDING_CHANGED,
            &format!("&Sign={}&RequestTime={NOW}", sign(token, NOW)),
        );
        assert_eq!(
            answer(svc, post(&uri, SEED)).await.0,
            StatusCode::OK,
            "{token}"
        );
    }
}

#[tokio::test]
async fn foreign_app_is_403() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let uri = query(1499999999, command::FOLLOW_CLOUD_RECORDING_CHANGED, "");
    expect_rejection(svc, post(&uri, SEED), Rejection::UnknownApp).await;
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn other_methods_are_405_with_allow() {
    for method in [
        http::Method::GET,
        http::Method::PUT,
        http::Method::DELETE,
        http::Method::HEAD,
    ] {
        let (svc, _) = recording_service(config(), Ack::ok());
        let mut req = post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
        *req.method_mut() = method.clone();
        let (status, headers, json) = answer(svc, req).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(headers[header::ALLOW], "POST");
        assert_eq!(json["ErrorCode"], 40501);
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let uri = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW);
    // By Content-Length, before reading: the body here is a stream that would never end.
    let (svc, seen) = recording_service(config().body_limit(100), Ack::ok());
    let never = StreamBody::new(futures_util::stream::pending::<
        Result<http_body::Frame<Bytes>, Infallible>,
    >());
    let req = Request::post(&uri)
        .header(header::CONTENT_LENGTH, "101")
        .body(never)
        .unwrap();
    let response = svc.oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(seen.lock().unwrap().is_empty());
    // Streamed (chunked, no Content-Length) past the limit.
    let (svc, seen) = recording_service(config().body_limit(100), Ack::ok());
    let chunks = (0..10)
        .map(|_| Ok::<_, Infallible>(http_body::Frame::data(Bytes::from_static(&[b' '; 30]))));
    let req = Request::post(&uri)
        .body(StreamBody::new(futures_util::stream::iter(chunks)))
        .unwrap();
    let response = svc.oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(seen.lock().unwrap().is_empty());
    // Exactly at the limit is fine.
    let (svc, _) = recording_service(config().body_limit(SEED.len()), Ack::ok());
    assert_eq!(answer(svc, post(&uri, SEED)).await.0, StatusCode::OK);
    let (svc, _) = recording_service(config().body_limit(SEED.len() - 1), Ack::ok());
    expect_rejection(svc, post(&uri, SEED), Rejection::BodyTooLarge).await;
}

#[tokio::test]
async fn chunked_bodies_within_the_limit_are_joined() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let parts: Vec<_> = SEED
        .as_bytes()
        .chunks(7)
        .map(|c| Ok::<_, Infallible>(http_body::Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let req = Request::post(signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW))
        .body(StreamBody::new(futures_util::stream::iter(parts)))
        .unwrap();
    assert_eq!(svc.oneshot(req).await.unwrap().status(), StatusCode::OK);
    assert_eq!(seen.lock().unwrap()[0].context.raw_body, SEED.as_bytes());
}

#[tokio::test(start_paused = true)]
async fn slow_bodies_are_408() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let never = StreamBody::new(futures_util::stream::pending::<
        Result<http_body::Frame<Bytes>, Infallible>,
    >());
    let req = Request::post(signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW))
        .body(never)
        .unwrap();
    let response = svc.oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn contenttype_other_than_json_is_415() {
    let (svc, seen) = recording_service(config(), Ack::ok());
    let uri = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW)
        .replace("contenttype=json", "contenttype=xml");
    expect_rejection(svc, post(&uri, SEED), Rejection::UnsupportedContentType).await;
    assert!(seen.lock().unwrap().is_empty());
    // Absent, or in another case, is fine.
    for uri in [
        signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW).replace("&contenttype=json", ""),
        signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW)
            .replace("contenttype=json", "ContentType=JSON"),
    ] {
        let (svc, _) = recording_service(config(), Ack::ok());
        assert_eq!(
            answer(svc, post(&uri, SEED)).await.0,
            StatusCode::OK,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn a_panicking_callback_is_500_and_the_service_keeps_serving() {
    let svc = WebhookService::from_fn(config().build().unwrap(), |hook: Webhook| async move {
        if hook.context.client_ip.as_deref() == Some("1.2.3.4") {
            panic!("boom");
        }
        Ack::ok()
    });
    let uri = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW);
    expect_rejection(svc.clone(), post(&uri, SEED), Rejection::CallbackPanicked).await;
    let calm = uri.replace("ClientIP=1.2.3.4", "ClientIP=5.6.7.8");
    assert_eq!(answer(svc, post(&calm, SEED)).await.0, StatusCode::OK);
}

/// A panic in turning the callback's answer (or its error) into the reply is the
/// callback's panic too: 500, and the service keeps serving.
#[tokio::test]
async fn a_panic_converting_the_answer_or_the_error_is_500() {
    struct PanickyAnswer;
    impl crate::IntoAck for PanickyAnswer {
        fn into_ack(self) -> Ack {
            panic!("into_ack panicked")
        }
    }
    #[derive(Debug)]
    struct PanickyError;
    impl From<PanickyError> for super::BoxError {
        fn from(_: PanickyError) -> super::BoxError {
            panic!("the error conversion panicked")
        }
    }
    let uri = signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW);
    let answer_svc = WebhookLayer::new(config().build().unwrap()).layer(service_fn(
        |_hook: Webhook| async move { Ok::<_, Infallible>(PanickyAnswer) },
    ));
    expect_rejection(
        answer_svc.clone(),
        post(&uri, SEED),
        Rejection::CallbackPanicked,
    )
    .await;
    expect_rejection(answer_svc, post(&uri, SEED), Rejection::CallbackPanicked).await;
    let error_svc = WebhookLayer::new(config().build().unwrap()).layer(service_fn(
        |_hook: Webhook| async move { Err::<Ack, _>(PanickyError) },
    ));
    expect_rejection(error_svc, post(&uri, SEED), Rejection::CallbackPanicked).await;
}

#[tokio::test(start_paused = true)]
async fn a_callback_past_its_deadline_is_503() {
    let svc = WebhookService::from_fn(
        config()
            .callback_deadline(Some(Duration::from_millis(1500)))
            .build()
            .unwrap(),
        |_hook: Webhook| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ack::ok()
        },
    );
    expect_rejection(
        svc,
        post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
        Rejection::CallbackTimeout,
    )
    .await;
}

#[tokio::test]
async fn layer_over_a_failing_inner_service_is_500() {
    let svc = WebhookLayer::new(config().build().unwrap()).layer(service_fn(
        |_hook: Webhook| async move { Err::<Ack, _>(std::io::Error::other("inner broke")) },
    ));
    expect_rejection(
        svc,
        post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
        Rejection::CallbackError,
    )
    .await;
}

#[tokio::test]
async fn layer_composes_with_tower_middleware() {
    let count = Arc::new(Mutex::new(0));
    let count2 = count.clone();
    let svc = tower::ServiceBuilder::new()
        .layer(WebhookLayer::new(config().build().unwrap()))
        .concurrency_limit(4)
        .service(service_fn(move |_hook: Webhook| {
            let count = count2.clone();
            async move {
                *count.lock().unwrap() += 1;
                Ok::<_, Infallible>(Ack::ok())
            }
        }));
    for _ in 0..3 {
        let (status, _, _) = answer(
            svc.clone(),
            post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(*count.lock().unwrap(), 3);
}

#[test]
fn the_service_is_clone_send_sync_with_a_send_future() {
    fn assert_bounds<T: Clone + Send + Sync + 'static>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}
    let mut svc = WebhookService::from_fn(config().build().unwrap(), |_hook: Webhook| async {
        Ack::ok()
    });
    assert_bounds(&svc);
    let fut = tower::Service::call(&mut svc, post("/", ""));
    assert_send(&fut);
}

use tower::Layer;

#[tokio::test]
async fn an_accepted_event_is_processed_even_if_the_sender_hangs_up() {
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let slots = Arc::new(Mutex::new(Some((started_tx, release_rx, done_tx))));
    let svc = WebhookService::from_fn(config().build().unwrap(), move |_hook: Webhook| {
        let slots = slots.clone();
        async move {
            let (started, release, done) = slots.lock().unwrap().take().unwrap();
            started.send(()).unwrap();
            release.await.unwrap();
            done.send(()).unwrap();
            Ack::ok()
        }
    });
    let request = post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
    let pending = tokio::spawn(svc.oneshot(request));
    started_rx.await.unwrap();
    // The sender gives up: the response future is dropped mid-callback.
    pending.abort();
    assert!(pending.await.unwrap_err().is_cancelled());
    release_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), done_rx)
        .await
        .expect("the callback ran to completion")
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_deadline_cancels_the_callback_for_good() {
    let finished = Arc::new(Mutex::new(false));
    let flag = finished.clone();
    let svc = WebhookService::from_fn(
        config()
            .callback_deadline(Some(Duration::from_secs(1)))
            .build()
            .unwrap(),
        move |_hook: Webhook| {
            let flag = flag.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                *flag.lock().unwrap() = true;
                Ack::ok()
            }
        },
    );
    let request = post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
    expect_rejection(svc, request, Rejection::CallbackTimeout).await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(
        !*finished.lock().unwrap(),
        "a cancelled callback must not finish in the background"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_request_does_not_let_the_callback_escape_its_deadline() {
    let finished = Arc::new(Mutex::new(false));
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let flag = finished.clone();
    let svc = WebhookService::from_fn(
        config()
            .callback_deadline(Some(Duration::from_secs(1)))
            .build()
            .unwrap(),
        move |_hook: Webhook| {
            let flag = flag.clone();
            let started = started_tx.lock().unwrap().take();
            async move {
                if let Some(started) = started {
                    let _ = started.send(());
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
                *flag.lock().unwrap() = true;
                Ack::ok()
            }
        },
    );
    let request = post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
    let pending = tokio::spawn(svc.oneshot(request));
    started_rx.await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    pending.abort();
    assert!(pending.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(
        !*finished.lock().unwrap(),
        "the remainder of a dropped request still stops at the deadline"
    );
}

/// A callback whose request is dropped (the sender hung up) runs on, keeping its place
/// among the running callbacks (counted as detached); at the cap, new requests are refused
/// 503 (50303) before their body is read, without cancelling the running ones; and the
/// bytes of the body stay charged to the buffer budget until the callback has finished.
#[tokio::test]
async fn running_callbacks_are_capped_and_keep_their_body_charged() {
    let config = config().max_running_callbacks(1).build().unwrap();
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let finished = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let f2 = finished.clone();
    let svc = WebhookService::from_fn(config.clone(), move |_hook: Webhook| {
        let started = started_tx.clone();
        let mut release = release_rx.clone();
        let finished = f2.clone();
        async move {
            let _ = started.send(());
            let _ = release.wait_for(|r| *r).await;
            finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ack::ok()
        }
    });
    let request = || post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
    // The first request reaches its callback; then its sender hangs up.
    let pending = svc.clone().oneshot(request());
    tokio::select! {
        _ = pending => panic!("the callback waits to be released"),
        _ = started_rx.recv() => {}
    }
    assert_eq!(config.detached_callbacks(), 1);
    assert_eq!(
        config.buffered_bytes(),
        SEED.len(),
        "its body stays charged"
    );
    // At the cap: refused before the body is read, and told to close.
    let (status, headers, json) = answer(svc.clone(), request()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json["ErrorCode"], 50303);
    assert_eq!(headers[header::CONNECTION], "close");
    assert_eq!(finished.load(std::sync::atomic::Ordering::SeqCst), 0);
    // The detached callback finishes; its place and its bytes are given back.
    release_tx.send(true).unwrap();
    for _ in 0..100 {
        if config.detached_callbacks() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(finished.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(config.detached_callbacks(), 0);
    assert_eq!(config.running_callbacks(), 0);
    assert_eq!(config.buffered_bytes(), 0);
    let (status, _, _) = answer(svc, request()).await;
    assert_eq!(status, StatusCode::OK);
}

/// By default a callback is cancelled at 25 s, and a detached one too.
#[tokio::test(start_paused = true)]
async fn the_default_deadline_ends_a_callback_at_25_s() {
    let config = config().build().unwrap();
    assert_eq!(config.callback_deadline(), Some(Duration::from_secs(25)));
    let svc = WebhookService::from_fn(config.clone(), |_hook: Webhook| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ack::ok()
    });
    let started = tokio::time::Instant::now();
    let (status, _, json) = answer(
        svc,
        post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json["ErrorCode"], 50301);
    assert_eq!(started.elapsed(), Duration::from_secs(25));
}

/// The cap is hard: however many requests are admitted at once, no more callbacks run
/// than it allows, detached or not; the others are refused (50303) and nothing is lost
/// track of.
#[tokio::test]
async fn the_callback_cap_holds_for_requests_admitted_together() {
    let config = config().max_running_callbacks(2).build().unwrap();
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let svc = WebhookService::from_fn(config.clone(), move |_hook: Webhook| {
        let mut release = release_rx.clone();
        async move {
            let _ = release.wait_for(|r| *r).await;
            Ack::ok()
        }
    });
    let request = || post(&signed(command::FOLLOW_CLOUD_RECORDING_CHANGED, NOW), SEED);
    // 50 requests polled once each (all admitted, bodies read, callbacks started where
    // there is room), then dropped: their senders hung up.
    let mut refused = 0;
    for _ in 0..50 {
        let mut call = Box::pin(svc.clone().oneshot(request()));
        let polled =
            std::future::poll_fn(|cx| std::task::Poll::Ready(call.as_mut().poll(cx))).await;
        match polled {
            std::task::Poll::Ready(Ok(response)) => {
                assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
                refused += 1;
            }
            std::task::Poll::Ready(Err(e)) => match e {},
            std::task::Poll::Pending => drop(call),
        }
    }
    assert_eq!(refused, 48);
    assert_eq!(config.running_callbacks(), 2);
    assert_eq!(config.detached_callbacks(), 2);
    release_tx.send(true).unwrap();
    for _ in 0..100 {
        if config.running_callbacks() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(config.running_callbacks(), 0);
    assert_eq!(config.detached_callbacks(), 0);
    assert_eq!(config.buffered_bytes(), 0);
}

/// The JSON tree of an unknown command's body (many times the body's size) counts against
/// the buffer budget for as long as the callback holds it, like the body itself.
#[tokio::test]
async fn an_unknown_commands_json_tree_is_charged_until_the_callback_ends() {
    let config = config().build().unwrap();
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let svc = WebhookService::from_fn(config.clone(), move |_hook: Webhook| {
        let started = started_tx.clone();
        let mut release = release_rx.clone();
        async move {
            let _ = started.send(());
            let _ = release.wait_for(|r| *r).await;
            Ack::ok()
        }
    });
    let members: Vec<String> = (0..200).map(|i| format!(r#""k{i}":[{i},"v"]"#)).collect();
    let body = format!("{{{}}}", members.join(","));
    let uri = format!(
        "{}&Sign={}&RequestTime={NOW}",
        query(APP, "C2C.CallbackAfterSendMsg", ""),
        sign(TOKEN, NOW)
    );
    let call = tokio::spawn(answer(svc, post(&uri, &body)));
    started_rx.recv().await.unwrap();
    let held = config.buffered_bytes();
    assert!(
        held >= 4 * body.len(),
        "{held} bytes charged for a {}-byte body and its tree",
        body.len()
    );
    release_tx.send(true).unwrap();
    let (status, _, _) = call.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config.buffered_bytes(), 0);
}
