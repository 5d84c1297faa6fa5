//! Connecting to Redis: [`connect`] and [`redacted_url`].

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A connection the sink, the stores and the workers can use: the `redis` crate's
/// [`ConnectionManager`] (one Redis, see [`connect`]) or, for Redis Cluster, its
/// `cluster_async::ClusterConnection` (enable the `redis` crate's `cluster-async` feature in
/// your own dependency on it). Anything async, cloneable and shareable qualifies.
pub trait Connection: redis::aio::ConnectionLike + Clone + Send + Sync + 'static {}

impl<T: redis::aio::ConnectionLike + Clone + Send + Sync + 'static> Connection for T {}

/// How long one connection attempt and one answer may take by default.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// A reconnecting, multiplexed connection to `client` (the `redis` crate's
/// [`ConnectionManager`]), created lazily: it does not fail when Redis is down at start-up;
/// commands fail (and the connection is retried) until it is back. Connection attempts and
/// answers time out after `timeout`.
///
/// Blocking reads (the [`Worker`](crate::Worker)'s `XREADGROUP … BLOCK`) stall a multiplexed
/// connection, so the worker opens its own; share this one between sinks and stores.
pub fn connect(client: &redis::Client, timeout: Duration) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_max_delay(timeout);
    ConnectionManager::new_lazy_with_config(client.clone(), config)
}

/// `url` with its password (and user name) replaced by `***`, for logs:
/// `redis://:secret@host:6379/0` → `redis://***@host:6379/0`.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://***@{}{path}", &authority[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn passwords_never_survive_redaction() {
        assert_eq!(
            redacted_url("redis://:s3cret@10.0.0.1:6379/2"),
            "redis://***@10.0.0.1:6379/2"
        );
        assert_eq!(redacted_url("rediss://u:p@w@h:1"), "rediss://***@h:1");
        assert_eq!(
            redacted_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(redacted_url("garbage:pass@x"), "***");
    }
}
