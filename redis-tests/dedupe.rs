//! The Redis dedupe store against a real redis-server: atomic claims across connections,
//! and the layer deduplicating a retry sent to another replica.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tencent_webhook::redis::{
    Claim, DedupeLayer, DedupeStore, RedisDedupeStore, codes, connect, redis,
};
use tencent_webhook::{Ack, Webhook, WebhookService};
use tencent_webhook_redis_tests::{Persistence, answer, config, event, redis_or_skip, request};
use tower::{Layer, ServiceExt, service_fn};

fn store(client: &redis::Client) -> RedisDedupeStore {
    RedisDedupeStore::new(connect(client, Duration::from_secs(2)).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_claims_from_many_connections_exactly_one_wins() {
    let server = redis_or_skip!(Persistence::None);
    let client = server.client();
    let stores: Vec<_> = (0..8).map(|_| store(&client)).collect();
    for k in 0..50 {
        let key = format!("trtc-1-{k:032x}");
        let claims = stores.iter().cycle().take(64).enumerate().map(|(i, s)| {
            let (s, key) = (s.clone(), key.clone());
            tokio::spawn(async move {
                s.claim(&key, &format!("t{i}"), Duration::from_secs(10))
                    .await
            })
        });
        let mut won = 0;
        for claim in futures_util::future::join_all(claims).await {
            match claim.unwrap().unwrap() {
                Claim::Claimed => won += 1,
                other => assert_eq!(other, Claim::InProgress),
            }
        }
        assert_eq!(won, 1, "key {k}");
    }
}

#[tokio::test]
async fn claims_expire_after_their_lease_and_done_keys_after_their_retention() {
    let server = redis_or_skip!(Persistence::None);
    let s = store(&server.client());
    let lease = Duration::from_millis(150);
    assert_eq!(s.claim("k", "a", lease).await.unwrap(), Claim::Claimed);
    s.release("k", "not-a").await.unwrap();
    assert_eq!(s.claim("k", "b", lease).await.unwrap(), Claim::InProgress);
    tokio::time::sleep(lease + Duration::from_millis(50)).await;
    assert_eq!(s.claim("k", "b", lease).await.unwrap(), Claim::Claimed);
    s.complete("k", Duration::from_millis(300)).await.unwrap();
    assert_eq!(s.claim("k", "c", lease).await.unwrap(), Claim::Done);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.claim("k", "c", lease).await.unwrap(), Claim::Claimed);
    s.release("k", "c").await.unwrap();
    assert_eq!(s.claim("k", "d", lease).await.unwrap(), Claim::Claimed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_sent_to_another_replica_is_processed_once() {
    let server = redis_or_skip!(Persistence::None);
    let client = server.client();
    let calls = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    // Two replicas: each its own service and its own connection, one Redis.
    let replica = |calls: Arc<AtomicUsize>, gate: Arc<tokio::sync::Semaphore>| {
        let inner = service_fn(move |_: Webhook| {
            calls.fetch_add(1, Ordering::SeqCst);
            let gate = gate.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                Ok::<_, Infallible>(Ack::ok())
            }
        });
        WebhookService::trtc(config(), DedupeLayer::new(store(&client)).layer(inner))
    };
    let (a, b) = (
        replica(calls.clone(), gate.clone()),
        replica(calls.clone(), gate.clone()),
    );

    let first = tokio::spawn(a.clone().oneshot(request(event(1, 0))));
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, body) = answer(b.clone().oneshot(request(event(1, 1))).await.unwrap()).await;
    assert_eq!(
        (status, &body["code"]),
        (500, &serde_json::json!(codes::IN_PROGRESS))
    );
    gate.add_permits(1);
    assert_eq!(answer(first.await.unwrap().unwrap()).await.0, 200);
    let (status, body) = answer(b.oneshot(request(event(1, 2))).await.unwrap()).await;
    assert_eq!((status, body), (200, serde_json::json!({"code": 0})));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let _ = a;
}
