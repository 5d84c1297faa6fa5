//! The same code on Redis Cluster: a one-node cluster owning every slot refuses cross-slot
//! scripts and commands exactly as a bigger one does, so every script and transaction of
//! the dedupe store, the sink, the worker and the dead letters is checked for its hash tags.

use std::time::Duration;

use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use tencent_webhook::redis::{
    DeadLetters, DedupeLayer, RedisDedupeStore, RedisSink, StreamSettings, Worker, WorkerSettings,
};
use tencent_webhook::{Ack, Webhook, WebhookService};
use tencent_webhook_redis_tests::{RedisServer, answer, config, event, eventually, request};
use tower::{Layer, ServiceExt, service_fn};

async fn cluster_connection(url: &str) -> ClusterConnection {
    ClusterClient::new(vec![url])
        .unwrap()
        .get_async_connection()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_sink_worker_and_dead_letters_run_unchanged_on_a_cluster() {
    let Some(server) = RedisServer::start_cluster() else {
        return;
    };
    let url = server.url();
    let mut conn = cluster_connection(&url).await;

    // The check has teeth: keys in two slots in one script are refused.
    let cross: redis::RedisResult<i64> = redis::Script::new("return 1")
        .key("a")
        .key("b")
        .invoke_async(&mut conn)
        .await;
    assert!(cross.is_err(), "a cluster refuses cross-slot scripts");

    // Dedupe store.
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let deduped = WebhookService::trtc(
        config(),
        DedupeLayer::new(RedisDedupeStore::new(conn.clone())).layer(service_fn(
            move |_: Webhook| {
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { Ok::<_, std::convert::Infallible>(Ack::ok()) }
            },
        )),
    );
    for attempt in 0..3 {
        let (status, _) = answer(
            deduped
                .clone()
                .oneshot(request(event(1, attempt)))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Sink, worker (with a failure, so XCLAIM and XAUTOCLAIM run too) and dead letters.
    let settings = StreamSettings::new().prefix("c");
    let sink = WebhookService::trtc(config(), RedisSink::new(conn.clone(), settings.clone()));
    for (n, attempt) in [(1, 0), (1, 1), (2, 0), (3, 0)] {
        let (status, body) = answer(
            sink.clone()
                .oneshot(request(event(n, attempt)))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, body), (200, serde_json::json!({"code": 0})));
    }
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    let handler = move |hook: Webhook| {
        let user = hook.context.raw_body.clone();
        let mut seen = s.lock().unwrap();
        seen.push(String::from_utf8_lossy(&user).into_owned());
        // Event 3 always fails: retried, then dead-lettered.
        let fail = seen.last().is_some_and(|b| b.contains("user-3"));
        async move { if fail { Err("boom") } else { Ok(()) } }
    };
    let worker = Worker::with_connector(
        move || {
            let url = url.clone();
            async move {
                ClusterClient::builder(vec![url])
                    .response_timeout(Duration::from_secs(2))
                    .build()?
                    .get_async_connection()
                    .await
            }
        },
        settings.clone(),
        WorkerSettings::new()
            .lease(Duration::from_millis(400))
            .handler_timeout(Duration::from_millis(200))
            .backoff(Duration::from_millis(50))
            .max_deliveries(2)
            .block(Duration::from_millis(100)),
    );
    let run = tokio::spawn(worker.run(handler, std::future::pending()));
    let dead = DeadLetters::new(conn.clone(), settings);
    assert!(
        eventually(Duration::from_secs(10), || async {
            dead.len().await.unwrap() == 1
        })
        .await,
        "the failing event reaches the dead letters"
    );
    run.abort();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.iter().filter(|b| b.contains("user-1\"")).count(), 1);
        assert_eq!(seen.iter().filter(|b| b.contains("user-2\"")).count(), 1);
        assert_eq!(seen.iter().filter(|b| b.contains("user-3\"")).count(), 2);
    }
    let letters = dead.list(5).await.unwrap();
    assert_eq!(letters[0].reason, "boom");
    assert!(dead.replay(&letters[0].id).await.unwrap());
    let left: u64 = redis::cmd("XLEN")
        .arg("{c}:events")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 1, "the replayed event is back on the stream");
}
