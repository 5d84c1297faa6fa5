//! The `test-util` helpers produce requests the service accepts, and their signatures
//! match Tencent's documented vector.

use std::time::{Duration, UNIX_EPOCH};

use tencent_webhook_core::test_util::{TestRequest, samples};
use tencent_webhook_core::{Ack, Event, EventKind, SdkApp, Webhook, WebhookConfig, WebhookService};
use tower::ServiceExt;

#[test]
fn webhook_decodes_like_the_service() {
    let hook = tencent_webhook_core::test_util::webhook(
        1400000000,
        "Call.CallbackAfterRecordChanged",
        samples::CALL_RECORD_CHANGED,
    )
    .unwrap();
    assert_eq!(hook.context.sdk_app_id, 1400000000);
    match hook.event {
        Event::Recording(rec) => assert_eq!(rec.event_type, 311),
        other => panic!("{other:?}"),
    }
    let refused = tencent_webhook_core::test_util::webhook(1, "Live.X", "[1]");
    assert_eq!(
        refused.unwrap_err(),
        tencent_webhook_core::Rejection::NotAnObject
    );
}

#[test]
fn signs_like_the_documentation() {
    let req = TestRequest::recording(1400000000)
        .token("xxxxyyyy")
        .request_time(1669872112);
    assert!(
        req.query()
            .ends_with("&Sign=17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061&RequestTime=1669872112"),
        "{}",
        req.query()
    );
    assert!(!format!("{req:?}").contains("xxxxyyyy"));
}

#[tokio::test]
async fn every_sample_is_accepted() {
    for (name, command, body) in samples::ALL {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(1400000000).token("tok"))
            .clock(|| UNIX_EPOCH + Duration::from_secs(1669872112))
            .build()
            .unwrap();
        let svc = WebhookService::from_fn(config, move |hook: Webhook| async move {
            // Every sample is typed but the one command this version does not know.
            let typed = !matches!(hook.event, Event::Unknown(_));
            assert_eq!(typed, name != "unknown", "{name}");
            assert_eq!(hook.event.kind(), EventKind::of_command(command), "{name}");
            Ack::ok()
        });
        let req = TestRequest::new(1400000000, command, body)
            .token("tok")
            .request_time(1669872112)
            .path("/tencent/callback")
            .into_request();
        assert_eq!(req.uri().path(), "/tencent/callback");
        let response = svc.oneshot(req).await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
    }
    assert_eq!(
        samples::by_name("recording").unwrap().0,
        "Follow.CallbackAfterCloudRecordingChanged"
    );
    assert!(samples::by_name("nope").is_none());
}

/// The answer of a service with token `tok` (clock at the documented vector's time) to `req`.
async fn answer(req: TestRequest) -> (u16, serde_json::Value) {
    let config = WebhookConfig::builder()
        .app(SdkApp::new(1400000000).token("tok"))
        .clock(|| UNIX_EPOCH + Duration::from_secs(1669872112))
        .build()
        .unwrap();
    let svc = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
    let response = svc.oneshot(req.into_request()).await.unwrap();
    let status = response.status().as_u16();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn a_malformed_request_time_signed_as_sent_is_a_40103() {
    let req = TestRequest::recording(1400000000)
        .token("tok")
        .raw_request_time("not-a-time");
    assert!(
        req.query().ends_with("&RequestTime=not-a-time"),
        "{}",
        req.query()
    );
    let (status, envelope) = answer(req).await;
    assert_eq!(status, 401);
    assert_eq!(envelope["ErrorCode"], 40103);
}

#[tokio::test]
async fn a_malformed_request_time_signed_over_another_is_a_40102() {
    // The signature is checked first, over the RequestTime string as sent.
    let req = TestRequest::recording(1400000000)
        .token("tok")
        .request_time(1669872112)
        .raw_request_time("not-a-time");
    assert!(
        req.query().ends_with("&RequestTime=not-a-time"),
        "{}",
        req.query()
    );
    let (status, envelope) = answer(req).await;
    assert_eq!(status, 401);
    assert_eq!(envelope["ErrorCode"], 40102);

    // The same time, sent as it was signed, is accepted.
    let req = TestRequest::recording(1400000000)
        .token("tok")
        .request_time(1669872112);
    assert_eq!(answer(req).await.0, 200);
}

#[test]
fn the_query_never_holds_the_token() {
    let token = "my-very-secret-callback-token";
    for req in [
        TestRequest::recording(1).token(token),
        TestRequest::recording(1).token(token).raw_request_time("x"),
        TestRequest::recording(1)
            .token(token)
            .request_time(5)
            .raw_request_time("y"),
    ] {
        let query = req.query();
        assert!(query.contains("&Sign="), "{query}");
        assert!(!query.contains(token), "{query}");
    }
}
