//! The durable hand-off against a real redis-server: append once, hand to user code, retry
//! with back-off, dead letters and replay, a bounded stream, a worker that dies mid-event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tencent_webhook::redis::{
    DeadLetters, RedisSink, StreamSettings, Worker, WorkerSettings, codes, connect, redis,
};
use tencent_webhook::{Webhook, WebhookService};
use tencent_webhook_redis_tests::{
    Persistence, RedisServer, answer, config, event, eventually, redis_or_skip, request,
};
use tower::ServiceExt;

const WAIT: Duration = Duration::from_secs(10);

fn fast_worker() -> WorkerSettings {
    WorkerSettings::new()
        .lease(Duration::from_millis(600))
        .handler_timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(100))
        .max_deliveries(3)
        .block(Duration::from_millis(100))
}

fn sink(server: &RedisServer, settings: &StreamSettings) -> WebhookService<RedisSink> {
    let conn = connect(&server.client(), Duration::from_secs(1)).unwrap();
    WebhookService::trtc(config(), RedisSink::new(conn, settings.clone()))
}

async fn xlen(server: &RedisServer, key: &str) -> u64 {
    let mut conn = connect(&server.client(), Duration::from_secs(1)).unwrap();
    redis::cmd("XLEN")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// How many entries of stream `{prefix}:events` are delivered and not acknowledged.
async fn pending(server: &RedisServer, prefix: &str) -> u64 {
    let mut conn = connect(&server.client(), Duration::from_secs(1)).unwrap();
    let summary: redis::Value = redis::cmd("XPENDING")
        .arg(format!("{{{prefix}}}:events"))
        .arg("workers")
        .query_async(&mut conn)
        .await
        .unwrap();
    match summary {
        redis::Value::Array(v) => redis::from_redis_value_ref(&v[0]).unwrap(),
        other => panic!("unexpected XPENDING reply {other:?}"),
    }
}

/// The keys a handler saw, with when.
type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

/// A handler that records the keys it saw, failing the first `fail_first` calls per key.
fn recorder(
    fail_first: usize,
) -> (
    Seen,
    impl Fn(Webhook) -> futures_util::future::BoxFuture<'static, Result<(), String>> + Clone,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let handler = move |hook: Webhook| {
        let key = hook.context.idempotency_key().to_string();
        let mut seen = s.lock().unwrap();
        let before = seen.iter().filter(|(k, _)| *k == key).count();
        seen.push((key, Instant::now()));
        let result = if before < fail_first {
            Err(format!("failure {}", before + 1))
        } else {
            Ok(())
        };
        Box::pin(async move { result }) as futures_util::future::BoxFuture<'static, _>
    };
    (seen, handler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_on_another_replica_is_acknowledged_without_a_second_entry_and_handled_once() {
    const PREFIX: &str = "t-once";
    let server = redis_or_skip!(Persistence::None);
    let settings = StreamSettings::new().prefix(PREFIX);
    let (a, b) = (sink(&server, &settings), sink(&server, &settings));
    for (svc, attempt) in [(&a, 0), (&b, 1), (&a, 2)] {
        let (status, body) = answer(
            svc.clone()
                .oneshot(request(event(7, attempt)))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!((status, body), (200, serde_json::json!({"code": 0})));
    }
    assert_eq!(xlen(&server, &format!("{{{PREFIX}}}:events")).await, 1);

    let (seen, handler) = recorder(0);
    let worker = Worker::new(server.client(), settings.clone(), fast_worker());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(worker.run(handler, async {
        let _ = stopped.await;
    }));
    assert!(eventually(WAIT, || async { !seen.lock().unwrap().is_empty() }).await);
    assert!(
        eventually(WAIT, || async {
            xlen(&server, &format!("{{{PREFIX}}}:events")).await == 0
        })
        .await,
        "a handled entry is acknowledged and deleted"
    );
    assert_eq!(pending(&server, PREFIX).await, 0);
    let _ = stop.send(());
    run.await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].0.starts_with("trtc-1400000000-"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_event_is_retried_with_growing_back_off_until_it_succeeds() {
    let server = redis_or_skip!(Persistence::None);
    let settings = StreamSettings::new().prefix("t-retry");
    assert_eq!(
        answer(
            sink(&server, &settings)
                .oneshot(request(event(1, 0)))
                .await
                .unwrap()
        )
        .await
        .0,
        200
    );
    let (seen, handler) = recorder(2);
    let worker = Worker::new(server.client(), settings.clone(), fast_worker());
    let run = tokio::spawn(worker.run(handler, std::future::pending()));
    assert!(eventually(WAIT, || async { seen.lock().unwrap().len() == 3 }).await);
    assert!(
        eventually(WAIT, || async {
            xlen(&server, "{t-retry}:events").await == 0
        })
        .await
    );
    run.abort();
    let gaps: Vec<Duration> = {
        let seen = seen.lock().unwrap();
        seen.windows(2).map(|w| w[1].1 - w[0].1).collect()
    };
    assert!(
        gaps[0] >= Duration::from_millis(100),
        "first back-off {:?}",
        gaps[0]
    );
    assert!(
        gaps[1] >= Duration::from_millis(200),
        "second back-off {:?}",
        gaps[1]
    );
    let conn = connect(&server.client(), Duration::from_secs(1)).unwrap();
    assert_eq!(DeadLetters::new(conn, settings).len().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_keeps_failing_is_dead_lettered_and_can_be_replayed() {
    const PREFIX: &str = "t-dead";
    let server = redis_or_skip!(Persistence::None);
    let settings = StreamSettings::new().prefix(PREFIX);
    assert_eq!(
        answer(
            sink(&server, &settings)
                .oneshot(request(event(2, 0)))
                .await
                .unwrap()
        )
        .await
        .0,
        200
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (c, h) = (calls.clone(), healthy.clone());
    let handler = move |_: Webhook| {
        c.fetch_add(1, Ordering::SeqCst);
        let ok = h.load(Ordering::SeqCst);
        async move {
            assert!(ok, "the handler panics while unhealthy");
            Ok::<(), String>(())
        }
    };
    let worker = Worker::new(server.client(), settings.clone(), fast_worker());
    let run = tokio::spawn(worker.run(handler, std::future::pending()));
    let dead = DeadLetters::new(
        connect(&server.client(), Duration::from_secs(1)).unwrap(),
        settings.clone(),
    );
    assert!(eventually(WAIT, || async { dead.len().await.unwrap() == 1 }).await);
    assert_eq!(calls.load(Ordering::SeqCst), 3, "max_deliveries = 3");
    assert_eq!(xlen(&server, &format!("{{{PREFIX}}}:events")).await, 0);
    assert_eq!(pending(&server, PREFIX).await, 0);

    let letters = dead.list(10).await.unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.reason, "handler panicked");
    assert_eq!(letter.deliveries, 3);
    let hook = letter.webhook.as_ref().unwrap();
    assert_eq!(hook.context.command, "TRTC.1.103");
    assert_eq!(Some(hook.context.idempotency_key().to_string()), letter.key);

    healthy.store(true, Ordering::SeqCst);
    assert!(dead.replay(&letter.id).await.unwrap());
    assert!(
        !dead.replay(&letter.id).await.unwrap(),
        "replayed once only"
    );
    assert!(eventually(WAIT, || async { calls.load(Ordering::SeqCst) == 4 }).await);
    assert!(
        eventually(WAIT, || async {
            xlen(&server, &format!("{{{PREFIX}}}:events")).await == 0
        })
        .await
    );
    assert_eq!(dead.len().await.unwrap(), 0);
    run.abort();
}

#[tokio::test]
async fn a_full_stream_refuses_new_events_and_drops_none() {
    let server = redis_or_skip!(Persistence::None);
    let settings = StreamSettings::new().prefix("t-full").max_len(3);
    let svc = sink(&server, &settings);
    for n in 0..3 {
        assert_eq!(
            answer(svc.clone().oneshot(request(event(n, 0))).await.unwrap())
                .await
                .0,
            200
        );
    }
    let (status, body) = answer(svc.clone().oneshot(request(event(3, 0))).await.unwrap()).await;
    assert_eq!(
        (status, &body["code"]),
        (500, &serde_json::json!(codes::QUEUE_FULL))
    );
    // A retry of an event already in is still acknowledged.
    assert_eq!(
        answer(svc.oneshot(request(event(0, 1))).await.unwrap())
            .await
            .0,
        200
    );
    assert_eq!(xlen(&server, "{t-full}:events").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entries_of_a_worker_that_dies_mid_event_are_taken_over() {
    const PREFIX: &str = "t-crash";
    let server = redis_or_skip!(Persistence::None);
    let settings = StreamSettings::new().prefix(PREFIX);
    let svc = sink(&server, &settings);
    for n in 0..5 {
        assert_eq!(
            answer(svc.clone().oneshot(request(event(n, 0))).await.unwrap())
                .await
                .0,
            200
        );
    }
    // Worker A takes all five and never finishes them; then it dies.
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let stuck = move |_: Webhook| {
        s.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<Result<(), String>>()
    };
    let settings_a = fast_worker()
        .handler_timeout(Duration::from_secs(30))
        .lease(Duration::from_secs(60));
    let a = tokio::spawn(
        Worker::new(server.client(), settings.clone(), settings_a)
            .run(stuck, std::future::pending()),
    );
    assert!(eventually(WAIT, || async { started.load(Ordering::SeqCst) == 5 }).await);
    a.abort();
    let _ = a.await;
    assert_eq!(pending(&server, PREFIX).await, 5, "held by the dead worker");

    let (seen, handler) = recorder(0);
    let b = tokio::spawn(
        Worker::new(server.client(), settings.clone(), fast_worker())
            .run(handler, std::future::pending()),
    );
    assert!(eventually(WAIT, || async { seen.lock().unwrap().len() == 5 }).await);
    assert!(
        eventually(WAIT, || async {
            xlen(&server, &format!("{{{PREFIX}}}:events")).await == 0
        })
        .await
    );
    assert_eq!(pending(&server, PREFIX).await, 0);
    b.abort();
}

#[tokio::test]
async fn a_before_webhook_is_answered_inline_by_the_fallback_or_rejected_and_never_queued() {
    use tencent_webhook::test_util::{TestRequest, samples::BEFORE_SEND_GIFT};
    use tencent_webhook::{Ack, SdkApp, WebhookConfig};
    const PREFIX: &str = "t-before";
    let server = redis_or_skip!(Persistence::None);
    let conn = connect(&server.client(), Duration::from_secs(1)).unwrap();
    let chat_config = WebhookConfig::builder()
        .app(
            SdkApp::new(tencent_webhook_redis_tests::APP)
                .insecure_accept_unsigned(tencent_webhook::Scheme::Chat),
        )
        .build()
        .unwrap();
    let gift = || {
        TestRequest::new(
            tencent_webhook_redis_tests::APP,
            "Live.CallbackBeforeSendGift",
            BEFORE_SEND_GIFT,
        )
        .into_request()
    };
    let settings = StreamSettings::new().prefix(PREFIX);
    let with_fallback = WebhookService::new(
        chat_config.clone(),
        RedisSink::new(conn.clone(), settings.clone()).fallback(
            tencent_webhook::redis::FaultPolicy::default(),
            |_: Webhook| async { Ack::fail(4, "gift rejected") },
        ),
    );
    let (status, body) = answer(with_fallback.oneshot(gift()).await.unwrap()).await;
    assert_eq!((status, body["ErrorCode"].as_i64()), (200, Some(4)));
    assert_eq!(xlen(&server, &format!("{{{PREFIX}}}:events")).await, 0);

    // Without a fallback nobody can decide in time: rejected (ErrorCode 1, Tencent's
    // "reject"), never silently allowed, and not queued.
    let without = WebhookService::new(chat_config, RedisSink::new(conn, settings));
    let (status, body) = answer(without.oneshot(gift()).await.unwrap()).await;
    assert_eq!(
        (
            status,
            body["ActionStatus"].as_str(),
            body["ErrorCode"].as_i64()
        ),
        (200, Some("OK"), Some(1))
    );
    assert_eq!(xlen(&server, &format!("{{{PREFIX}}}:events")).await, 0);
}
