//! The dedupe layer's contract, over the in-memory store and over a store that fails, through
//! a real `WebhookService` (so the answers are the ones Tencent sees).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http_body_util::BodyExt;
use tencent_webhook_core::test_util::{TestRequest, TrtcTestRequest, samples::trtc};
use tencent_webhook_core::{
    Ack, BoxError, SdkApp, Webhook, WebhookConfig, WebhookResponse, WebhookService,
};
use tencent_webhook_redis::{
    Claim, DedupeLayer, DedupeStore, FaultPolicy, MemoryStore, OnStoreError, StoreError, codes,
};
use tower::{Layer, ServiceExt, service_fn};

const APP: u64 = 1400000000;
const KEY: &str = "trtcKey123";

fn config() -> WebhookConfig {
    WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key(KEY))
        // The sample's own send time, so that its CallbackTs is fresh.
        .clock(|| std::time::UNIX_EPOCH + Duration::from_millis(1687770730166))
        .callback_deadline(Some(Duration::from_millis(500)))
        .build()
        .unwrap()
}

/// The same event as a retry sends it: only `CallbackTs` differs.
fn attempt(n: u64) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let body = trtc::USER_ENTERED.replace("1687770730166", &(1687770730166 + n).to_string());
    TrtcTestRequest::new(APP, body).key(KEY).into_request()
}

async fn answer(response: WebhookResponse) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

type Handler = Arc<dyn Fn(Webhook) -> futures_util::future::BoxFuture<'static, Ack> + Send + Sync>;

/// A TRTC service over `store` whose callback counts its calls, then runs `then`.
fn service<St: DedupeStore>(
    store: St,
    calls: Arc<AtomicUsize>,
    then: Handler,
) -> WebhookService<
    tencent_webhook_redis::Dedupe<
        impl tower::Service<Webhook, Response = Ack, Error = Infallible, Future = impl Send>
        + Clone
        + Send
        + 'static,
        St,
    >,
> {
    let inner = service_fn(move |hook: Webhook| {
        calls.fetch_add(1, Ordering::SeqCst);
        let then = then.clone();
        async move { Ok::<_, Infallible>(then(hook).await) }
    });
    let dedupe = DedupeLayer::new(store)
        .lease(Duration::from_secs(10))
        .layer(inner);
    WebhookService::trtc(config(), dedupe)
}

fn ok() -> Handler {
    Arc::new(|_| Box::pin(async { Ack::ok() }))
}

#[tokio::test]
async fn a_retried_event_is_processed_once_and_every_copy_is_acknowledged() {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = service(MemoryStore::default(), calls.clone(), ok());
    for n in 0..5 {
        let (status, body) = answer(svc.clone().oneshot(attempt(n)).await.unwrap()).await;
        assert_eq!((status, body), (200, serde_json::json!({"code": 0})));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_copy_arriving_while_the_first_runs_is_told_to_retry() {
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Notify::new());
    let g = gate.clone();
    let svc = service(
        MemoryStore::default(),
        calls.clone(),
        Arc::new(move |_| {
            let g = g.clone();
            Box::pin(async move {
                g.notified().await;
                Ack::ok()
            })
        }),
    );
    let first = tokio::spawn(svc.clone().oneshot(attempt(0)));
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, body) = answer(svc.clone().oneshot(attempt(1)).await.unwrap()).await;
    assert_eq!(status, 500, "TRTC retries a non-200 answer");
    assert_eq!(body["code"], codes::IN_PROGRESS);
    gate.notify_one();
    assert_eq!(answer(first.await.unwrap().unwrap()).await.0, 200);
    assert_eq!(answer(svc.oneshot(attempt(2)).await.unwrap()).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failed_callback_releases_its_claim_so_the_retry_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let svc = service(
        MemoryStore::default(),
        calls.clone(),
        Arc::new(move |_| {
            let first = c.load(Ordering::SeqCst) == 1;
            Box::pin(async move {
                if first {
                    Ack::fail(7, "db down")
                } else {
                    Ack::ok()
                }
            })
        }),
    );
    let (status, body) = answer(svc.clone().oneshot(attempt(0)).await.unwrap()).await;
    assert_eq!((status, body["code"].as_i64()), (500, Some(7)));
    assert_eq!(
        answer(svc.clone().oneshot(attempt(1)).await.unwrap())
            .await
            .0,
        200
    );
    assert_eq!(answer(svc.oneshot(attempt(2)).await.unwrap()).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_panicking_callback_releases_its_claim_and_still_answers_500() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let svc = service(
        MemoryStore::default(),
        calls.clone(),
        Arc::new(move |_| {
            let first = c.load(Ordering::SeqCst) == 1;
            Box::pin(async move {
                assert!(!first, "first attempt panics");
                Ack::ok()
            })
        }),
    );
    let (status, body) = answer(svc.clone().oneshot(attempt(0)).await.unwrap()).await;
    assert_eq!((status, body["code"].as_i64()), (500, Some(50001)));
    assert_eq!(answer(svc.oneshot(attempt(1)).await.unwrap()).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_callback_cut_at_its_deadline_releases_its_claim() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let store = MemoryStore::default();
    let svc = service(
        store.clone(),
        calls.clone(),
        Arc::new(move |_| {
            let first = c.load(Ordering::SeqCst) == 1;
            Box::pin(async move {
                if first {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                Ack::ok()
            })
        }),
    );
    let (status, body) = answer(svc.clone().oneshot(attempt(0)).await.unwrap()).await;
    assert_eq!((status, body["code"].as_i64()), (503, Some(50301)));
    // The release runs on the runtime right after the cancelled callback is dropped.
    let mut released = false;
    for _ in 0..100 {
        if store.is_empty() {
            released = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(released, "the claim of a cancelled callback is released");
    assert_eq!(answer(svc.oneshot(attempt(1)).await.unwrap()).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A store that is always unreachable.
#[derive(Clone)]
struct Down;

impl DedupeStore for Down {
    async fn claim(&self, _: &str, _: &str, _: Duration) -> Result<Claim, StoreError> {
        Err(StoreError("connection refused".into()))
    }
    async fn complete(&self, _: &str, _: Duration) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
    async fn release(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Err(StoreError("connection refused".into()))
    }
}

#[tokio::test]
async fn by_default_an_unreachable_store_fails_trtc_and_delivers_chat() {
    let calls = Arc::new(AtomicUsize::new(0));
    let trtc = service(Down, calls.clone(), ok());
    let (status, body) = answer(trtc.oneshot(attempt(0)).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (500, Some(codes::STORE_UNAVAILABLE))
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "TRTC will retry: not delivered"
    );

    let c = calls.clone();
    let chat_config = WebhookConfig::builder()
        .app(SdkApp::new(APP).insecure_accept_unsigned(tencent_webhook_core::Scheme::Chat))
        .build()
        .unwrap();
    let chat = WebhookService::new(
        chat_config,
        DedupeLayer::new(Down).layer(service_fn(move |_: Webhook| {
            c.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, BoxError>(Ack::ok()) }
        })),
    );
    let response = chat
        .oneshot(TestRequest::recording(APP).into_request())
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!((status, body["ActionStatus"].as_str()), (200, Some("OK")));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "Chat is not resent: delivered without dedupe"
    );
}

#[tokio::test]
async fn the_policy_is_configurable_per_scheme() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let inner = service_fn(move |_: Webhook| {
        c.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Ack::ok()) }
    });
    let layer = DedupeLayer::new(Down).on_store_error(FaultPolicy {
        chat: OnStoreError::Fail,
        trtc: OnStoreError::DeliverWithoutDedupe,
    });
    let trtc = WebhookService::trtc(config(), layer.layer(inner.clone()));
    assert_eq!(answer(trtc.oneshot(attempt(0)).await.unwrap()).await.0, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let chat_config = WebhookConfig::builder()
        .app(SdkApp::new(APP).insecure_accept_unsigned(tencent_webhook_core::Scheme::Chat))
        .build()
        .unwrap();
    let chat = WebhookService::new(chat_config, layer.layer(inner));
    let response = chat
        .oneshot(TestRequest::recording(APP).into_request())
        .await
        .unwrap();
    let (_, body) = answer(response).await;
    assert_eq!(body["ErrorCode"], codes::STORE_UNAVAILABLE);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn every_copy_of_a_before_webhook_gets_the_callbacks_decision() {
    use tencent_webhook_core::test_util::samples::BEFORE_SEND_GIFT;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let chat_config = WebhookConfig::builder()
        .app(SdkApp::new(APP).insecure_accept_unsigned(tencent_webhook_core::Scheme::Chat))
        .build()
        .unwrap();
    let chat = WebhookService::new(
        chat_config,
        DedupeLayer::new(MemoryStore::default()).layer(service_fn(move |_: Webhook| {
            c.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, Infallible>(Ack::fail(1, "gift rejected")) }
        })),
    );
    for _ in 0..2 {
        let request = TestRequest::new(APP, "Live.CallbackBeforeSendGift", BEFORE_SEND_GIFT);
        let (status, body) =
            answer(chat.clone().oneshot(request.into_request()).await.unwrap()).await;
        assert_eq!((status, body["ErrorCode"].as_i64()), (200, Some(1)));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "asked again, not answered OK from memory"
    );
}

#[tokio::test]
async fn a_callback_that_outlives_its_lease_is_cancelled_and_its_claim_released() {
    let calls = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let done = finished.clone();
    // No callback deadline here: only the lease bounds the call.
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key(KEY))
        // The sample's own send time, so that its CallbackTs is fresh.
        .clock(|| std::time::UNIX_EPOCH + Duration::from_millis(1687770730166))
        .build()
        .unwrap();
    let inner = service_fn(move |_hook: Webhook| {
        let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
        let done = done.clone();
        async move {
            if first {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            done.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(Ack::ok())
        }
    });
    let dedupe = DedupeLayer::new(MemoryStore::default())
        .lease(Duration::from_millis(200))
        .layer(inner);
    let svc = WebhookService::trtc(config, dedupe);
    let (status, body) = answer(svc.clone().oneshot(attempt(0)).await.unwrap()).await;
    assert_eq!(status, 500);
    assert_eq!(body["code"], codes::LEASE_EXPIRED);
    assert_eq!(
        finished.load(Ordering::SeqCst),
        0,
        "cancelled, not finished"
    );
    // The claim was released: the retry runs (and completes) at once.
    let (status, body) = answer(svc.oneshot(attempt(1)).await.unwrap()).await;
    assert_eq!((status, body), (200, serde_json::json!({"code": 0})));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}
