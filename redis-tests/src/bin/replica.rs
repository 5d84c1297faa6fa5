//! One replica of an app, for the multi-replica test: the TRTC webhook at `/trtc` with the
//! Redis durable hand-off (dedupe + append in one script), and a worker in the same process
//! whose "user code" records each call and applies an idempotent side effect.
//!
//! Environment: `REDIS_URL` (required), `PREFIX` (key prefix), `ROLE` (`both`, default, or
//! `worker`), `HANDLER_DELAY_MS` (time spent inside the handler, so that a kill lands
//! mid-event), `LEASE_MS` (worker lease), `CONSUMER` (the worker's consumer name). Prints `listening PORT` (or `worker`) when ready.
//!
//! Side effects, in Redis: `effects:calls` counts calls of the handler per idempotency key;
//! `effects:applied` holds each key once (`HSETNX`: the effect made idempotent by the key).

use std::time::Duration;

use axum::Router;
use tencent_webhook::axum::WebhookRouterExt;
use tencent_webhook::redis::{RedisSink, StreamSettings, Worker, WorkerSettings, connect, redis};
use tencent_webhook::{SdkApp, Webhook, WebhookConfig, WebhookService};
use tencent_webhook_redis_tests::{APP, KEY};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(env(name, &default.to_string()).parse().unwrap_or(default))
}

/// One line on stdout, which the test reads (std's stdout flushes at each newline).
fn say(line: &str) {
    println!("{line}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let prefix = env("PREFIX", "replicas");
    let client = redis::Client::open(url).expect("a valid REDIS_URL");
    let stream = StreamSettings::new().prefix(prefix.clone());
    let delay = millis("HANDLER_DELAY_MS", 0);
    let lease = millis("LEASE_MS", 2000);

    let effects = connect(&client, Duration::from_secs(2)).expect("connection");
    let calls_key = format!("{prefix}:effects:calls");
    let applied_key = format!("{prefix}:effects:applied");
    let mut worker = Worker::new(
        client.clone(),
        stream.clone(),
        WorkerSettings::new()
            .lease(lease)
            .handler_timeout(lease / 2)
            .backoff(Duration::from_millis(100))
            .batch(32)
            .block(Duration::from_millis(200)),
    );
    if let Ok(name) = std::env::var("CONSUMER") {
        worker = worker.consumer(name);
    }
    let handler = move |hook: Webhook| {
        let mut conn = effects.clone();
        let (calls_key, applied_key) = (calls_key.clone(), applied_key.clone());
        async move {
            let key = hook.context.idempotency_key().to_string();
            redis::cmd("HINCRBY")
                .arg(&calls_key)
                .arg(&key)
                .arg(1)
                .query_async::<i64>(&mut conn)
                .await?;
            tokio::time::sleep(delay).await;
            redis::cmd("HSETNX")
                .arg(&applied_key)
                .arg(&key)
                .arg(std::process::id())
                .query_async::<i64>(&mut conn)
                .await?;
            Ok::<(), redis::RedisError>(())
        }
    };
    let work = tokio::spawn(worker.run(handler, std::future::pending()));

    if env("ROLE", "both") == "worker" {
        say("worker");
        let _ = work.await;
        return;
    }
    let conn = connect(&client, Duration::from_secs(1)).expect("connection");
    let config = WebhookConfig::builder()
        .app(SdkApp::new(APP).trtc_key(KEY))
        .build()
        .expect("config");
    let webhook = WebhookService::trtc(config, RedisSink::new(conn, stream));
    let app = Router::new().tencent_webhook("/trtc", webhook);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    say(&format!("listening {port}"));
    axum::serve(listener, app).await.expect("serve");
}
