//! [`Worker`]: read the stream through the consumer group and hand each event to user code.

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, join_all};
use redis::RedisResult;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use tencent_webhook_core::Webhook;
use tokio::time::Instant;

use super::dead_letter::bury;
use super::record;
use super::{StreamSettings, WorkerSettings};
use crate::Connection;

/// Reads events appended by [`RedisSink`](super::RedisSink)s through the consumer group and
/// hands each to your handler, at least once:
///
/// - success (`Ok`): the entry is acknowledged and deleted (`XACK` + `XDEL`, atomically);
/// - failure (`Err`, a panic, or longer than the handler timeout): retried after a back-off
///   that doubles from [`WorkerSettings::backoff`]; after
///   [`max_deliveries`](WorkerSettings::max_deliveries) it moves to the dead-letter stream;
/// - a worker that dies holding entries: after the lease another worker takes them over
///   (`XAUTOCLAIM`) and handles them; an entry whose handling keeps killing workers is
///   dead-lettered after `max_deliveries` too.
///
/// An event is handed over again only after a failure or a crash, so make the handler's
/// effect idempotent with `hook.context.idempotency_key()` where a repeat would hurt.
/// Run as many workers, in as many processes, as you like: each needs a distinct consumer
/// name (the default is unique per worker).
pub struct Worker<C = ConnectionManager> {
    connector: Connector<C>,
    stream: StreamSettings,
    settings: WorkerSettings,
    consumer: String,
}

/// Opens the worker's connection (again, after repeated errors).
type Connector<C> = Arc<dyn Fn() -> BoxFuture<'static, RedisResult<C>> + Send + Sync>;

impl<C> fmt::Debug for Worker<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("stream", &self.stream)
            .field("settings", &self.settings)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

enum Outcome {
    Done,
    Failed(String),
}

impl Worker<ConnectionManager> {
    /// A worker on `client`'s Redis (it opens its own connection: its blocking reads must
    /// not stall the sink's).
    pub fn new(client: redis::Client, stream: StreamSettings, settings: WorkerSettings) -> Self {
        let timeout = stream.timeout;
        let response = settings.block + timeout;
        Self::with_connector(
            move || {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(response))
                    .set_number_of_retries(1)
                    .set_max_delay(timeout);
                std::future::ready(ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    config,
                ))
            },
            stream,
            settings,
        )
    }
}

impl<C: Connection> Worker<C> {
    /// A worker on connections made by `connector` (called at start and again after
    /// repeated errors), e.g. cluster connections on Redis Cluster. Give it connections of
    /// its own, whose response timeout exceeds [`WorkerSettings::block`].
    pub fn with_connector<F, Fut>(
        connector: F,
        stream: StreamSettings,
        settings: WorkerSettings,
    ) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = RedisResult<C>> + Send + 'static,
    {
        Self {
            connector: Arc::new(move || Box::pin(connector())),
            stream,
            settings,
            consumer: format!("worker-{}", crate::token::claim_token()),
        }
    }

    /// The consumer name in the group (unique per running worker).
    pub fn consumer(mut self, name: impl Into<String>) -> Self {
        self.consumer = name.into();
        self
    }

    /// Handle events until `shutdown` completes (checked between batches; a batch in hand
    /// is finished first). Redis errors are logged and retried; this never gives up.
    pub async fn run<H, Fut, E>(self, handler: H, shutdown: impl Future<Output = ()>)
    where
        H: Fn(Webhook) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut conn: Option<C> = None;
        let mut failures = 0u32;
        let mut cursor = "0-0".to_owned();
        let mut last_reclaim: Option<Instant> = None;
        let mut pause = Duration::from_millis(50);
        let mut group_ready = false;
        let reclaim_every = (self.settings.effective_lease() / 4)
            .clamp(Duration::from_millis(50), Duration::from_secs(5));
        loop {
            if (&mut shutdown).now_or_never().is_some() {
                return;
            }
            let step: RedisResult<bool> = async {
                let c = match &mut conn {
                    Some(c) => c,
                    None => conn.insert(self.connection().await?),
                };
                if !group_ready {
                    self.create_group(c).await?;
                    group_ready = true;
                }
                if last_reclaim.is_none_or(|t| t.elapsed() >= reclaim_every) {
                    last_reclaim = Some(Instant::now());
                    self.reclaim(c, &mut cursor, &handler).await?;
                }
                // Only the wait for new entries gives way to shutdown; entries in hand are
                // finished first.
                let entries = tokio::select! {
                    biased;
                    () = &mut shutdown => return Ok(true),
                    entries = self.fetch(c) => entries?,
                };
                self.handle_all(c, &handler, entries, &HashMap::new())
                    .await?;
                Ok(false)
            }
            .await;
            match step {
                Ok(true) => return,
                Ok(false) => {
                    pause = Duration::from_millis(50);
                    failures = 0;
                }
                Err(e) => {
                    failures += 1;
                    // The connection manager reconnects by itself only after I/O errors; a
                    // failed handshake (e.g. authentication) sticks, so start afresh.
                    if failures.is_multiple_of(3) {
                        conn = None;
                    }
                    if e.code() == Some("NOGROUP") {
                        // The stream or group is gone (Redis restarted without persistence):
                        // recreate them rather than stall.
                        group_ready = false;
                    }
                    tracing::warn!(error = %e, "worker: Redis error; retrying");
                    tokio::select! {
                        biased;
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// The worker's own connection: its blocking reads must not stall anyone else's.
    async fn connection(&self) -> RedisResult<C> {
        (self.connector)().await
    }

    async fn create_group(&self, conn: &mut C) -> RedisResult<()> {
        let created: RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.stream.stream_key())
            .arg(&self.stream.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(conn)
            .await;
        match created {
            Err(e) if e.code() != Some("BUSYGROUP") => Err(e),
            _ => Ok(()),
        }
    }

    /// New entries: `XREADGROUP … >`, blocking up to the block time.
    async fn fetch(&self, conn: &mut C) -> RedisResult<Vec<StreamId>> {
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.stream.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(self.settings.batch)
            .arg("BLOCK")
            .arg(millis(self.settings.block))
            .arg("STREAMS")
            .arg(self.stream.stream_key())
            .arg(">")
            .query_async(conn)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect())
    }

    /// Entries idle longer than the lease (a crashed worker's, or due for a retry):
    /// `XAUTOCLAIM`, then their delivery counts from `XPENDING`.
    async fn reclaim<H, Fut, E>(
        &self,
        conn: &mut C,
        cursor: &mut String,
        handler: &H,
    ) -> RedisResult<()>
    where
        H: Fn(Webhook) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(self.stream.stream_key())
            .arg(&self.stream.group)
            .arg(&self.consumer)
            .arg(millis(self.settings.effective_lease()))
            .arg(cursor.as_str())
            .arg("COUNT")
            .arg(self.settings.batch)
            .query_async(conn)
            .await?;
        *cursor = reply.next_stream_id;
        if reply.claimed.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for entry in &reply.claimed {
            pipe.cmd("XPENDING")
                .arg(self.stream.stream_key())
                .arg(&self.stream.group)
                .arg(&entry.id)
                .arg(&entry.id)
                .arg(1);
        }
        let pending: Vec<StreamPendingCountReply> = pipe.query_async(conn).await?;
        let deliveries: HashMap<String, u64> = pending
            .into_iter()
            .flat_map(|p| p.ids)
            .map(|p| (p.id, p.times_delivered as u64))
            .collect();
        tracing::info!(
            count = reply.claimed.len(),
            "worker: took over idle entries"
        );
        self.handle_all(conn, handler, reply.claimed, &deliveries)
            .await
    }

    async fn handle_all<H, Fut, E>(
        &self,
        conn: &mut C,
        handler: &H,
        entries: Vec<StreamId>,
        deliveries: &HashMap<String, u64>,
    ) -> RedisResult<()>
    where
        H: Fn(Webhook) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let jobs = entries.into_iter().map(|entry| {
            let n = deliveries.get(&entry.id).copied().unwrap_or(1);
            let mut conn = conn.clone();
            async move { self.handle(&mut conn, handler, entry, n).await }
        });
        join_all(jobs).await.into_iter().collect()
    }

    async fn handle<H, Fut, E>(
        &self,
        conn: &mut C,
        handler: &H,
        entry: StreamId,
        deliveries: u64,
    ) -> RedisResult<()>
    where
        H: Fn(Webhook) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let max = u64::from(self.settings.max_deliveries);
        if deliveries > max {
            let reason = format!("gave up after {} deliveries", deliveries - 1);
            return self.dead_letter(conn, &entry, &reason, deliveries).await;
        }
        let hook = match record::decode(&entry.map) {
            Ok(hook) => hook,
            Err(e) => return self.dead_letter(conn, &entry, &e, deliveries).await,
        };
        let outcome = self.call(handler, hook).await;
        match outcome {
            Outcome::Done => {
                redis::pipe()
                    .atomic()
                    .cmd("XACK")
                    .arg(self.stream.stream_key())
                    .arg(&self.stream.group)
                    .arg(&entry.id)
                    .ignore()
                    .cmd("XDEL")
                    .arg(self.stream.stream_key())
                    .arg(&entry.id)
                    .ignore()
                    .query_async(conn)
                    .await
            }
            Outcome::Failed(reason) if deliveries >= max => {
                self.dead_letter(conn, &entry, &reason, deliveries).await
            }
            Outcome::Failed(reason) => {
                let delay = self
                    .settings
                    .retry_delay(u32::try_from(deliveries).unwrap_or(u32::MAX));
                let key = record::key_of(&entry.map).unwrap_or_default();
                tracing::warn!(%key, %reason, deliveries, ?delay, "worker: handler failed; will retry");
                // Keep the entry and make it idle for (lease − delay): any worker takes it
                // over once the delay has passed.
                let idle = self.settings.effective_lease().saturating_sub(delay);
                redis::cmd("XCLAIM")
                    .arg(self.stream.stream_key())
                    .arg(&self.stream.group)
                    .arg(&self.consumer)
                    .arg(0)
                    .arg(&entry.id)
                    .arg("IDLE")
                    .arg(millis(idle))
                    .arg("JUSTID")
                    .query_async::<redis::Value>(conn)
                    .await
                    .map(|_| ())
            }
        }
    }

    async fn call<H, Fut, E>(&self, handler: &H, hook: Webhook) -> Outcome
    where
        H: Fn(Webhook) -> Fut,
        Fut: Future<Output = Result<(), E>>,
        E: Display,
    {
        let run = AssertUnwindSafe(async { handler(hook).await }).catch_unwind();
        match tokio::time::timeout(self.settings.handler_timeout, run).await {
            Ok(Ok(Ok(()))) => Outcome::Done,
            Ok(Ok(Err(e))) => Outcome::Failed(e.to_string()),
            Ok(Err(_)) => Outcome::Failed("handler panicked".to_owned()),
            Err(_) => Outcome::Failed(format!(
                "handler ran longer than {:?}",
                self.settings.handler_timeout
            )),
        }
    }

    async fn dead_letter(
        &self,
        conn: &mut C,
        entry: &StreamId,
        reason: &str,
        deliveries: u64,
    ) -> RedisResult<()> {
        let key = record::key_of(&entry.map).unwrap_or_default();
        tracing::error!(%key, %reason, deliveries, "worker: event moved to the dead-letter stream");
        bury(conn, &self.stream, &entry.id, reason, deliveries).await
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
