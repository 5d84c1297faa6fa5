//! [`StreamSettings`] (shared by the sink, the workers and the dead letters) and
//! [`WorkerSettings`].

use std::time::Duration;

/// Where the stream lives and how much it may hold. Give the sink, the workers and
/// [`DeadLetters`](super::DeadLetters) the same settings.
///
/// Keys: `{prefix}:events` (the stream), `{prefix}:dead` (the dead letters) and
/// `{prefix}:done:<idempotency key>` (events already appended). They share the hash tag
/// `{prefix}`, so the append script runs unchanged on Redis Cluster (all in one slot).
#[derive(Debug, Clone)]
pub struct StreamSettings {
    pub(crate) prefix: String,
    pub(crate) group: String,
    pub(crate) retention: Duration,
    pub(crate) max_len: u64,
    pub(crate) timeout: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            prefix: "tencent-webhook".to_owned(),
            group: "workers".to_owned(),
            retention: crate::DEFAULT_RETENTION,
            max_len: 100_000,
            timeout: crate::DEFAULT_REDIS_TIMEOUT,
        }
    }
}

impl StreamSettings {
    /// The defaults: prefix `tencent-webhook`, group `workers`, retention 1 h, at most
    /// 100 000 unacknowledged events, 1 s per Redis operation.
    pub fn new() -> Self {
        Self::default()
    }

    /// The key prefix, used as the hash tag (several apps or pipelines sharing one Redis).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The consumer group the workers share.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// How long an appended event's key is remembered, so that retries are acknowledged
    /// without a second append (default 1 h; keep it above Tencent's retry span).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The most events the stream holds (appended and not yet processed). When it is full
    /// the sink refuses new events ([`codes::QUEUE_FULL`](crate::codes::QUEUE_FULL)) rather
    /// than trimming: nothing unprocessed is ever dropped.
    pub fn max_len(mut self, max_len: u64) -> Self {
        self.max_len = max_len.max(1);
        self
    }

    /// How long one Redis operation may take before it counts as failed (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn tag(&self) -> String {
        format!("{{{}}}", self.prefix)
    }

    pub(crate) fn stream_key(&self) -> String {
        format!("{}:events", self.tag())
    }

    pub(crate) fn dead_key(&self) -> String {
        format!("{}:dead", self.tag())
    }

    pub(crate) fn done_key(&self, idempotency_key: &str) -> String {
        format!("{}:done:{idempotency_key}", self.tag())
    }
}

/// How a [`Worker`](super::Worker) reads and retries.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub(crate) lease: Duration,
    pub(crate) handler_timeout: Duration,
    pub(crate) max_deliveries: u32,
    pub(crate) backoff: Duration,
    pub(crate) batch: usize,
    pub(crate) block: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            handler_timeout: Duration::from_secs(30),
            max_deliveries: 5,
            backoff: Duration::from_secs(1),
            batch: 16,
            block: Duration::from_secs(1),
        }
    }
}

impl WorkerSettings {
    /// The defaults: lease 60 s, handler timeout 30 s, 5 deliveries, back-off from 1 s,
    /// batches of 16 handled concurrently, reads blocking for 1 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long an entry may stay with a worker before another worker takes it over
    /// (`XAUTOCLAIM` min-idle-time): the time to notice a crashed worker. Raised to at least
    /// twice the handler timeout, so a live worker's entry is never taken over.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long one call of the handler may run before it counts as a failure.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// After how many deliveries (first try, retries, and takeovers from crashed workers)
    /// a failing event moves to the dead-letter stream (at least 1).
    pub fn max_deliveries(mut self, n: u32) -> Self {
        self.max_deliveries = n.max(1);
        self
    }

    /// The first retry's delay; each further retry doubles it, up to the lease.
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// How many entries one read fetches and handles concurrently (at least 1).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How long a read waits for new entries.
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block;
        self
    }

    pub(crate) fn effective_lease(&self) -> Duration {
        self.lease.max(self.handler_timeout * 2)
    }

    /// The delay before delivery `deliveries + 1`, after `deliveries` failed ones.
    pub(crate) fn retry_delay(&self, deliveries: u32) -> Duration {
        let factor = 1u32 << deliveries.saturating_sub(1).min(16);
        self.backoff
            .saturating_mul(factor)
            .min(self.effective_lease())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_lease() {
        let s = WorkerSettings::new()
            .backoff(Duration::from_millis(100))
            .lease(Duration::from_secs(1))
            .handler_timeout(Duration::from_millis(100));
        assert_eq!(s.retry_delay(1), Duration::from_millis(100));
        assert_eq!(s.retry_delay(2), Duration::from_millis(200));
        assert_eq!(s.retry_delay(4), Duration::from_millis(800));
        assert_eq!(s.retry_delay(5), Duration::from_secs(1));
        assert_eq!(s.retry_delay(u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn the_lease_outlasts_the_handler() {
        let s = WorkerSettings::new()
            .lease(Duration::from_secs(1))
            .handler_timeout(Duration::from_secs(5));
        assert_eq!(s.effective_lease(), Duration::from_secs(10));
    }

    #[test]
    fn every_key_carries_the_same_hash_tag() {
        let s = StreamSettings::new().prefix("app");
        for key in [s.stream_key(), s.dead_key(), s.done_key("trtc-1-ab")] {
            assert!(key.starts_with("{app}:"), "{key}");
        }
    }
}
