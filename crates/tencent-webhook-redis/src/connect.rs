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

/// What [`redacted_url`] returns for a URL it cannot take apart: nothing of the input.
const UNPARSABLE: &str = "<unparsable redis URL>";

/// The query parameters whose values are shown; every other value is masked (the
/// `redis` crate reads `user` and `pass` from the query of a Unix socket URL).
const SHOWN_PARAMETERS: [&str; 2] = ["db", "protocol"];

/// `url` without its credentials, for logs: the user information (password and user name
/// both, since `redis://secret@host` is a common slip for a password) becomes `***`, as
/// does the value of every query parameter but `db` and `protocol` (a Unix socket URL's
/// `pass` and `user`) and any fragment but `#insecure`.
///
/// `redis://:secret@host:6379/0` → `redis://***@host:6379/0`;
/// `redis+unix:///run/redis.sock?db=1&pass=secret` → `redis+unix:///run/redis.sock?db=1&pass=***`.
///
/// The URL is parsed as the `redis` crate parses it (schemes `redis`, `rediss`, `valkey`,
/// `valkeys`, `redis+unix`, `valkey+unix`, `unix`). Anything else, and a URL with an `@`
/// left in its host, path or shown query (a password with an unescaped `/` or `?` splits
/// the URL there), gives `<unparsable redis URL>`: never the input.
pub fn redacted_url(url: &str) -> String {
    redact(url).unwrap_or_else(|| UNPARSABLE.to_owned())
}

fn redact(input: &str) -> Option<String> {
    let mut url = url::Url::parse(input).ok()?;
    if !matches!(
        url.scheme(),
        "redis" | "rediss" | "valkey" | "valkeys" | "redis+unix" | "valkey+unix" | "unix"
    ) || url.cannot_be_a_base()
    {
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        url.set_password(None).ok()?;
        url.set_username("***").ok()?;
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let shown = SHOWN_PARAMETERS.contains(&name.as_ref());
                let value = if shown {
                    value.into_owned()
                } else {
                    "***".to_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        if pairs.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
    }
    if url.fragment().is_some_and(|f| f != "insecure") {
        url.set_fragment(Some("***"));
    }
    // An `@` left outside the user information is part of a credential cut in two.
    let stray_at = |part: &str| part.contains('@') || part.to_ascii_lowercase().contains("%40");
    if url.host_str().is_some_and(stray_at)
        || stray_at(url.path())
        || url.query().is_some_and(stray_at)
    {
        return None;
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::redacted_url;

    #[test]
    fn passwords_never_survive_redaction() {
        for (url, redacted) in [
            (
                "redis://:s3cret@10.0.0.1:6379/2",
                "redis://***@10.0.0.1:6379/2",
            ),
            ("redis://user:p%40ss@host:6379/0", "redis://***@host:6379/0"),
            // The url crate splits at the last `@`, as the `redis` crate does.
            ("redis://:p@ss@host", "redis://***@host"),
            ("rediss://u:p@w@h:1", "rediss://***@h:1"),
            (
                "rediss://:s3cret@h:6380/#insecure",
                "rediss://***@h:6380/#insecure",
            ),
            ("valkeys://default:s3cret@h", "valkeys://***@h"),
            // A user name alone (the `redis` crate sends no AUTH for it, but it is a
            // common slip for a password).
            ("redis://s3cret@host", "redis://***@host"),
            ("redis://s3cret:@host", "redis://***@host"),
            ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379"),
            ("redis://[::1]:6379/3", "redis://[::1]:6379/3"),
            ("redis://h/0?protocol=resp3", "redis://h/0?protocol=resp3"),
            ("redis://h?pass=s3cret", "redis://h?pass=***"),
            ("redis://h#s3cret", "redis://h#***"),
            ("redis://h#pa@ss", "redis://h#***"),
            ("redis://h:1?x=pa?ss@host", "redis://h:1?x=***"),
            ("redis://h/0?pass=p%40ss", "redis://h/0?pass=***"),
            (
                "redis+unix:///run/redis.sock?db=1&pass=s3cret&user=me",
                "redis+unix:///run/redis.sock?db=1&pass=***&user=***",
            ),
            ("unix:///run/redis.sock", "unix:///run/redis.sock"),
            (
                "unix:///run/redis.sock?pass=s%2F3cret",
                "unix:///run/redis.sock?pass=***",
            ),
        ] {
            assert_eq!(redacted_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn what_does_not_parse_is_masked_whole() {
        for url in [
            // A `/` in the password cuts the URL short: no port `pa`.
            "redis://:pa/ss@host",
            "redis://:12/ss@host",
            "redis://u:12/ss@host",
            "redis://pa/ss@host",
            "redis://:pa?ss@host",
            "redis://:pa#ss@host",
            "redis://h:1?pa@host",
            "garbage:pass@x",
            "garbage",
            "",
            "http://u:s3cret@host",
            "s3cret",
            "redis:s3cret@host",
            "redis://:s3cret@",
            "redis://:s3cret@:6379",
        ] {
            assert_eq!(redacted_url(url), "<unparsable redis URL>", "{url}");
        }
    }
}
