//! The dead-letter stream: events that kept failing, to inspect and replay ([`DeadLetters`]).

use std::fmt;

use redis::aio::ConnectionManager;
use redis::streams::StreamRangeReply;
use redis::{RedisResult, Script};
use tencent_webhook_core::Webhook;

use super::StreamSettings;
use super::record;
use crate::Connection;

/// Move one entry from the stream to the dead letters, acknowledged and deleted, at once.
const BURY: &str = r"
local e = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if #e == 1 then
  local f = e[1][2]
  table.insert(f, 'dead_reason'); table.insert(f, ARGV[3])
  table.insert(f, 'dead_deliveries'); table.insert(f, ARGV[4])
  table.insert(f, 'dead_from'); table.insert(f, ARGV[2])
  redis.call('XADD', KEYS[2], '*', unpack(f))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return #e
";

/// Put one dead letter back on the stream (without its `dead_*` fields), at once.
const REPLAY: &str = r"
local e = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #e == 0 then return 0 end
local f = e[1][2]
local out = {}
for i = 1, #f, 2 do
  if string.sub(f[i], 1, 5) ~= 'dead_' then
    table.insert(out, f[i]); table.insert(out, f[i + 1])
  end
end
redis.call('XADD', KEYS[2], '*', unpack(out))
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
";

pub(crate) async fn bury<C: Connection>(
    conn: &mut C,
    settings: &StreamSettings,
    id: &str,
    reason: &str,
    deliveries: u64,
) -> RedisResult<()> {
    Script::new(BURY)
        .key(settings.stream_key())
        .key(settings.dead_key())
        .arg(&settings.group)
        .arg(id)
        .arg(reason)
        .arg(deliveries)
        .invoke_async::<i64>(conn)
        .await
        .map(|_| ())
}

/// One event in the dead-letter stream.
pub struct DeadLetter {
    /// Its id in the dead-letter stream (for [`DeadLetters::replay`]).
    pub id: String,
    /// Its idempotency key.
    pub key: Option<String>,
    /// Why it was given up: the last error, a timeout, a panic, or too many deliveries.
    pub reason: String,
    /// How many times it was delivered to a worker.
    pub deliveries: u64,
    /// The webhook, decoded again (or why it does not decode).
    pub webhook: Result<Webhook, String>,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("reason", &self.reason)
            .field("deliveries", &self.deliveries)
            .finish_non_exhaustive()
    }
}

/// Inspect and replay the dead-letter stream `{prefix}:dead`.
///
/// It is not trimmed: watch [`len`](Self::len), then [`replay`](Self::replay) (after a
/// fix) or [`discard`](Self::discard) each entry.
#[derive(Clone)]
pub struct DeadLetters<C = ConnectionManager> {
    conn: C,
    settings: StreamSettings,
}

impl<C> fmt::Debug for DeadLetters<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetters")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<C: Connection> DeadLetters<C> {
    /// The dead letters of the stream these settings name.
    pub fn new(conn: C, settings: StreamSettings) -> Self {
        Self { conn, settings }
    }

    /// How many events are in the dead-letter stream.
    pub async fn len(&self) -> RedisResult<u64> {
        redis::cmd("XLEN")
            .arg(self.settings.dead_key())
            .query_async(&mut self.conn.clone())
            .await
    }

    /// The oldest `count` dead letters.
    pub async fn list(&self, count: usize) -> RedisResult<Vec<DeadLetter>> {
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.settings.dead_key())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .map(|entry| {
                let text = |name: &str| -> Option<String> {
                    redis::from_redis_value_ref::<String>(entry.map.get(name)?).ok()
                };
                DeadLetter {
                    key: record::key_of(&entry.map),
                    reason: text("dead_reason").unwrap_or_default(),
                    deliveries: text("dead_deliveries")
                        .and_then(|d| d.parse().ok())
                        .unwrap_or(0),
                    webhook: record::decode(&entry.map),
                    id: entry.id,
                }
            })
            .collect())
    }

    /// Put dead letter `id` back on the stream for the workers; `false` if there is no such
    /// dead letter.
    pub async fn replay(&self, id: &str) -> RedisResult<bool> {
        Script::new(REPLAY)
            .key(self.settings.dead_key())
            .key(self.settings.stream_key())
            .arg(id)
            .invoke_async::<i64>(&mut self.conn.clone())
            .await
            .map(|n| n == 1)
    }

    /// Delete dead letter `id`; `false` if there is no such dead letter.
    pub async fn discard(&self, id: &str) -> RedisResult<bool> {
        redis::cmd("XDEL")
            .arg(self.settings.dead_key())
            .arg(id)
            .query_async::<i64>(&mut self.conn.clone())
            .await
            .map(|n| n == 1)
    }
}
