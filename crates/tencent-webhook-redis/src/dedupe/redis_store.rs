//! [`RedisDedupeStore`]: claims shared by every replica, in Redis.

use std::fmt;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use crate::Connection;

use super::{Claim, DedupeStore, StoreError};

/// `GET`, then `SET … PX lease` if absent, in one script: atomic across replicas.
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 0
end
if v == 'done' then return 1 end
return 2
";

/// Delete the claim only if it is still the caller's.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// A [`DedupeStore`] in Redis, shared by every replica that uses the same Redis and prefix.
///
/// One key per event, `{prefix}:dedupe:{<idempotency key>}`, holding a claim token for the
/// lease or `done` for the retention. Each script touches that one key, and its hash tag is
/// the idempotency key, so on Redis Cluster the keys spread over every shard.
///
/// `C` is the connection: a [`ConnectionManager`] by default, a cluster connection on
/// Redis Cluster (see [`Connection`]).
#[derive(Clone)]
pub struct RedisDedupeStore<C = ConnectionManager> {
    conn: C,
    prefix: String,
    timeout: Duration,
    claim: Script,
    release: Script,
}

impl<C> fmt::Debug for RedisDedupeStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedupeStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<C: Connection> RedisDedupeStore<C> {
    /// A store on `conn` (see [`connect`](crate::connect)) with the prefix `tencent-webhook`
    /// and a 1 s timeout per operation.
    pub fn new(conn: C) -> Self {
        Self {
            conn,
            prefix: "tencent-webhook".to_owned(),
            timeout: crate::DEFAULT_REDIS_TIMEOUT,
            claim: Script::new(CLAIM),
            release: Script::new(RELEASE),
        }
    }

    /// Put the keys under another prefix (several apps sharing one Redis).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one operation may take before it counts as a store error (default 1 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn key(&self, key: &str) -> String {
        format!("{}:dedupe:{{{key}}}", self.prefix)
    }

    async fn run<T: redis::FromRedisValue>(
        &self,
        invocation: redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(StoreError(e.to_string())),
            Err(_) => Err(StoreError(format!("no answer within {:?}", self.timeout))),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl<C: Connection> DedupeStore for RedisDedupeStore<C> {
    async fn claim(&self, key: &str, token: &str, lease: Duration) -> Result<Claim, StoreError> {
        let mut invocation = self.claim.prepare_invoke();
        invocation.key(self.key(key)).arg(token).arg(millis(lease));
        match self.run::<i64>(invocation).await? {
            0 => Ok(Claim::Claimed),
            1 => Ok(Claim::Done),
            _ => Ok(Claim::InProgress),
        }
    }

    async fn complete(&self, key: &str, retention: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("SET")
            .arg(self.key(key))
            .arg("done")
            .arg("PX")
            .arg(millis(retention))
            .to_owned();
        match tokio::time::timeout(self.timeout, cmd.query_async::<()>(&mut conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError(e.to_string())),
            Err(_) => Err(StoreError(format!("no answer within {:?}", self.timeout))),
        }
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), StoreError> {
        let mut invocation = self.release.prepare_invoke();
        invocation.key(self.key(key)).arg(token);
        self.run::<i64>(invocation).await.map(|_| ())
    }
}
