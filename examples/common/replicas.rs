//! With `REDIS_URL` set (e.g. `redis://127.0.0.1:6379`), the examples run as replicas of one
//! app: both endpoints append each verified event to a Redis Stream (deduplicated by its
//! idempotency key, in one script) and acknowledge once Redis has it, and a worker in the
//! same process hands each event to the app's callback, which prints its one line. Several
//! example processes sharing one Redis then behave as replicas: a retried event sent to
//! two of them is printed once in all. When Redis cannot take an event, a TRTC callback is
//! answered 500 (TRTC retries it) and a Chat webhook (which Tencent does not resend) is
//! handed to the callback inline. Without `REDIS_URL` nothing changes: the callback runs
//! inline, as before. `REDIS_URL` is printed with its password replaced by `***`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::Either;
use tencent_webhook::redis::{
    DEFAULT_REDIS_TIMEOUT, FaultPolicy, RedisSink, StreamSettings, Worker, WorkerSettings, connect,
    redacted_url, redis,
};
use tencent_webhook::{Ack, CallbackFn, Webhook};
use tower_service::Service;

/// The inner service of both endpoints: the callback inline, or the Redis hand-off.
pub enum Inbox<F> {
    /// No `REDIS_URL`: the callback, called inline (exactly as `WebhookService::from_fn`).
    Inline(CallbackFn<F>),
    /// `REDIS_URL` set: persist to Redis, acknowledge, and let the worker call the callback.
    Redis(RedisSink),
}

impl<F> Clone for Inbox<F> {
    fn clone(&self) -> Self {
        match self {
            Self::Inline(f) => Self::Inline(f.clone()),
            Self::Redis(sink) => Self::Redis(sink.clone()),
        }
    }
}

/// `on_webhook` inline, or, when `REDIS_URL` is set, a Redis sink plus a worker on the
/// current tokio runtime that calls `on_webhook` for each event (an `Ack::fail` is retried).
pub fn inbox<F, Fut>(on_webhook: F) -> Inbox<F>
where
    F: Fn(Webhook) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Ack> + Send + 'static,
{
    let url = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => return Inbox::Inline(CallbackFn::new(on_webhook)),
    };
    let Ok(client) = redis::Client::open(url.as_str()) else {
        eprintln!("error: REDIS_URL is not a Redis URL (redis://[:password@]host:port[/db])");
        std::process::exit(2)
    };
    // Fail at startup, not on the first event, when Redis is unreachable or refuses the
    // credentials (the connection below is lazy and would keep retrying quietly).
    let reachable = client
        .get_connection_with_timeout(DEFAULT_REDIS_TIMEOUT)
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
    if let Err(e) = reachable {
        eprintln!("error: cannot use REDIS_URL {}: {}", redacted_url(&url), e);
        std::process::exit(2)
    }
    let Ok(conn) = connect(&client, DEFAULT_REDIS_TIMEOUT) else {
        eprintln!("error: cannot use REDIS_URL {}", redacted_url(&url));
        std::process::exit(2)
    };
    let stream = StreamSettings::new();
    let worker = Worker::new(client, stream.clone(), WorkerSettings::new());
    let inline = on_webhook.clone();
    tokio::spawn(worker.run(
        move |hook| {
            let ack = on_webhook(hook);
            async move {
                let ack = ack.await;
                if ack.is_ok() {
                    Ok(())
                } else {
                    Err(ack.error_info().to_owned())
                }
            }
        },
        std::future::pending(),
    ));
    println!(
        "redis: {} (dedupe + durable hand-off; a worker here prints the events)",
        redacted_url(&url)
    );
    Inbox::Redis(RedisSink::new(conn, stream).fallback(FaultPolicy::default(), inline))
}

impl<F, Fut> Service<Webhook> for Inbox<F>
where
    F: Fn(Webhook) -> Fut,
    Fut: Future<Output = Ack> + Send + 'static,
{
    type Response = Ack;
    type Error = Infallible;
    /// The callback's own future when inline (no box), the sink's otherwise.
    type Future = Either<
        <CallbackFn<F> as Service<Webhook>>::Future,
        Pin<Box<dyn Future<Output = Result<Ack, Infallible>> + Send>>,
    >;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        match self {
            Self::Inline(f) => Either::Left(f.call(hook)),
            Self::Redis(sink) => Either::Right(sink.call(hook)),
        }
    }
}
