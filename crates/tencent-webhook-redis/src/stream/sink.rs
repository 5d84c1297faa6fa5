//! [`RedisSink`]: persist each verified event to a Redis Stream, then acknowledge.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use redis::Script;
use redis::aio::ConnectionManager;
use tencent_webhook_core::{Ack, Event, GiftReply, IntoAck, MessageReply, Webhook};
use tower_service::Service;

use super::StreamSettings;
use super::record;
use crate::{Connection, FaultPolicy, OnStoreError, codes};

/// The dedupe check and the append, in one script: a retry of an appended event is
/// acknowledged without a second entry; a full stream refuses instead of trimming.
const APPEND: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then return 2 end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[1])
return 0
";

type Fallback = Arc<dyn Fn(Webhook) -> BoxFuture<'static, Ack> + Send + Sync>;

/// A `Service<Webhook>` that appends each event (idempotency key, context, raw body) to the
/// Redis Stream `{prefix}:events` and answers [`Ack::ok`] only once Redis has accepted it.
/// Mount it as the inner service of a `WebhookService`; [`Worker`](super::Worker)s do the
/// work.
///
/// - a retry of an event already appended (within the retention) is acknowledged and not
///   appended again: the check and the append are one script, atomic across replicas;
/// - a full stream answers `Ack::fail(`[`codes::QUEUE_FULL`]`)` (nothing is trimmed);
/// - Redis unreachable or slower than the timeout answers
///   `Ack::fail(`[`codes::APPEND_FAILED`]`)`, unless a [`fallback`](Self::fallback) is set
///   and the scheme's [`FaultPolicy`] says
///   [`DeliverWithoutDedupe`](OnStoreError::DeliverWithoutDedupe): then the fallback
///   handles the event inline.
///
/// A before-webhook (`hook.event.kind().is_before_webhook()`: a gift or a message about
/// to be sent, whose answer Tencent waits for) is answered by the
/// [`fallback`](Self::fallback) inline when one is set; without one it is **rejected**
/// (the gift or message is not sent) and a warning is logged: a queue cannot decide in
/// time, and letting moderated content through by default would be the worse failure.
///
/// With an append-only file synced on every write (`appendfsync always`), an acknowledged
/// event survives a Redis restart; see the README's "Running several replicas".
///
/// `C` is the connection: a [`ConnectionManager`] by default, a cluster connection on
/// Redis Cluster (see [`Connection`]).
#[derive(Clone)]
pub struct RedisSink<C = ConnectionManager> {
    conn: C,
    settings: StreamSettings,
    script: Script,
    policy: FaultPolicy,
    fallback: Option<Fallback>,
}

impl<C> fmt::Debug for RedisSink<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSink")
            .field("settings", &self.settings)
            .field("policy", &self.policy)
            .field("fallback", &self.fallback.is_some())
            .finish_non_exhaustive()
    }
}

impl<C: Connection> RedisSink<C> {
    /// A sink writing through `conn` (see [`connect`](crate::connect)).
    pub fn new(conn: C, settings: StreamSettings) -> Self {
        Self {
            conn,
            settings,
            script: Script::new(APPEND),
            policy: FaultPolicy::always(OnStoreError::Fail),
            fallback: None,
        }
    }

    /// Handle an event inline with `f` when Redis cannot take it and `policy` says
    /// [`DeliverWithoutDedupe`](OnStoreError::DeliverWithoutDedupe) for its scheme (e.g.
    /// [`FaultPolicy::default`]: Chat inline, TRTC answered failure so that TRTC retries),
    /// and always for before-webhooks, whose answer Tencent waits for.
    pub fn fallback<F, Fut>(mut self, policy: FaultPolicy, f: F) -> Self
    where
        F: Fn(Webhook) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoAck,
    {
        self.policy = policy;
        self.fallback = Some(Arc::new(move |hook| {
            let fut = f(hook);
            Box::pin(async move { fut.await.into_ack() })
        }));
        self
    }

    async fn append(&self, hook: &Webhook) -> Result<i64, String> {
        let key = hook.context.idempotency_key().as_str();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(self.settings.done_key(key))
            .key(self.settings.stream_key())
            .arg(u64::try_from(self.settings.retention.as_millis()).unwrap_or(u64::MAX))
            .arg(self.settings.max_len);
        for (name, value) in record::fields(hook) {
            invocation.arg(name).arg(value);
        }
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.settings.timeout, invocation.invoke_async(&mut conn)).await
        {
            Ok(Ok(code)) => Ok(code),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.settings.timeout)),
        }
    }
}

impl<C: Connection> Service<Webhook> for RedisSink<C> {
    type Response = Ack;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Ack, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        let sink = self.clone();
        Box::pin(async move {
            if hook.event.kind().is_before_webhook() {
                // Tencent waits for this answer to decide: it cannot wait for a worker.
                if let Some(f) = &sink.fallback {
                    return Ok(f(hook).await);
                }
                // Nobody here can decide: fail closed with the documented rejection, so
                // moderated content is never let through by default.
                tracing::warn!(
                    command = %hook.context.command,
                    "before-webhook reached a RedisSink without a fallback: rejected"
                );
                return Ok(match &hook.event {
                    Event::BeforeSendGift(gift) => gift.answer(GiftReply::reject()),
                    Event::BeforeSendMsg(msg) => msg.answer(MessageReply::reject()),
                    _ => Ack::fail(codes::APPEND_FAILED, "before-webhook needs a fallback"),
                });
            }
            let ack = match sink.append(&hook).await {
                Ok(0) | Ok(1) => Ack::ok(),
                Ok(_) => {
                    tracing::warn!("webhook stream full: event refused");
                    Ack::fail(codes::QUEUE_FULL, "queue full; retry later")
                }
                Err(e) => {
                    let key = hook.context.idempotency_key().to_string();
                    tracing::warn!(%key, error = %e, "could not append the event to Redis");
                    match (&sink.fallback, sink.policy.for_scheme(hook.context.scheme)) {
                        (Some(f), OnStoreError::DeliverWithoutDedupe) => f(hook).await,
                        _ => Ack::fail(codes::APPEND_FAILED, "could not persist; retry later"),
                    }
                }
            };
            Ok(ack)
        })
    }
}
