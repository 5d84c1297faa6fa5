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
