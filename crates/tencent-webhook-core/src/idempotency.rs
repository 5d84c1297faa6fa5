//! The idempotency key of a delivered event: the same for every delivery attempt of one
//! event, different for different events.
//!
//! Tencent sends no event id, so the key is derived. A retry differs from the first attempt
//! only in what describes the attempt: TRTC's `CallbackTs` (the send time, in the body and
//! covered by its signature), the Chat scheme's `Sign` and `RequestTime` (in the query), and
//! the exact bytes. The key is therefore computed from, in this order:
//!
//! 1. the scheme (`chat` or `trtc`),
//! 2. the verified `SdkAppid`,
//! 3. the command (`CallbackCommand`, or `TRTC.{EventGroupId}.{EventType}`),
//! 4. the body as JSON in a canonical form — object keys sorted, no whitespace, strings and
//!    numbers as JSON writes them — with `CallbackTs` removed at the top level and inside a
//!    TUICallKit `Callback` object. Everything else in the body (room, user, task, event
//!    times, payload) is part of the key, so two events that differ in any of it get
//!    different keys. A body that cannot be read as JSON within serde_json's nesting limit
//!    (it was accepted because its deep part was skipped) is hashed as received.
//!
//! The key is `{scheme}-{SdkAppid}-{32 hex digits}`, the hex being the first 128 bits of
//! SHA-256 over the four parts, each followed by a NUL byte: printable, at most 58 bytes,
//! safe in a Redis key or a log line. For the Chat scheme the body is not covered by
//! Tencent's signature, so the key is as trustworthy as the event itself.

use std::fmt::{self, Write as _};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Scheme;

/// A stable, printable key identifying one event across delivery attempts; see
/// [`WebhookContext::idempotency_key`](crate::WebhookContext::idempotency_key).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(Box<str>);

impl IdempotencyKey {
    /// The longest key, in bytes.
    pub const MAX_LEN: usize = 58;

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn derive(scheme: Scheme, sdk_app_id: u64, command: &str, body: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(scheme.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(sdk_app_id.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(command.as_bytes());
        hasher.update([0]);
        match serde_json::from_slice::<Value>(body) {
            Ok(mut value) => {
                if let Value::Object(map) = &mut value {
                    map.remove("CallbackTs");
                    if let Some(Value::Object(callback)) = map.get_mut("Callback") {
                        callback.remove("CallbackTs");
                    }
                }
                let mut canonical = String::with_capacity(body.len());
                write_canonical(&mut canonical, &value);
                hasher.update(canonical.as_bytes());
            }
            Err(_) => hasher.update(body),
        }
        hasher.update([0]);
        let digest = hasher.finalize();
        let mut key = String::with_capacity(Self::MAX_LEN);
        let _ = write!(key, "{}-{sdk_app_id}-", scheme.as_str());
        for byte in &digest[..16] {
            let _ = write!(key, "{byte:02x}");
        }
        Self(key.into_boxed_str())
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// JSON with object keys sorted and no whitespace, whatever order the map keeps.
fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_canonical(out, v);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, v);
            }
            out.push(']');
        }
        Value::String(s) => write_string(out, s),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    // A string serialises infallibly; `Value`'s Display is JSON.
    let _ = write!(out, "{}", Value::String(s.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = r#"{"EventGroupId":1,"EventType":103,"CallbackTs":1608086882372,"EventInfo":{"RoomId":20222,"EventTs":1608086882,"UserId":"u1","Reason":1}}"#;

    fn key(scheme: Scheme, app: u64, command: &str, body: &str) -> IdempotencyKey {
        IdempotencyKey::derive(scheme, app, command, body.as_bytes())
    }

    #[test]
    fn a_retry_gets_the_same_key() {
        let first = key(Scheme::Trtc, 1400000000, "TRTC.1.103", ROOM);
        let retry = ROOM.replace("1608086882372", "1608086892399");
        assert_eq!(first, key(Scheme::Trtc, 1400000000, "TRTC.1.103", &retry));
        // Whitespace and key order are not part of it either.
        let reformatted = "{\n\t\"EventInfo\": {\"UserId\": \"u1\", \"RoomId\": 20222, \"Reason\": 1, \"EventTs\": 1608086882},\n\t\"EventType\": 103, \"CallbackTs\": 1, \"EventGroupId\": 1}";
        assert_eq!(
            first,
            key(Scheme::Trtc, 1400000000, "TRTC.1.103", reformatted)
        );
    }

    #[test]
    fn different_events_get_different_keys() {
        let base = key(Scheme::Trtc, 1400000000, "TRTC.1.103", ROOM);
        let others = [
            key(Scheme::Chat, 1400000000, "TRTC.1.103", ROOM),
            key(Scheme::Trtc, 1400000001, "TRTC.1.103", ROOM),
            key(Scheme::Trtc, 1400000000, "TRTC.1.104", ROOM),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("\"u1\"", "\"u2\""),
            ),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("1608086882,", "1608086883,"),
            ),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("20222", "\"20222\""),
            ),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&base, other, "variant {i}");
        }
    }

    #[test]
    fn call_wrapper_callback_ts_is_per_attempt() {
        let a = r#"{"CallId":"c","Callback":{"EventType":311,"CallbackTs":1,"EventInfo":{}},"EventTime":5}"#;
        let b = a.replace("\"CallbackTs\":1", "\"CallbackTs\":2");
        let c = a.replace("\"EventTime\":5", "\"EventTime\":6");
        let k = |body: &str| key(Scheme::Chat, 1, "Call.CallbackAfterRecordChanged", body);
        assert_eq!(k(a), k(&b));
        assert_ne!(k(a), k(&c));
    }

    #[test]
    fn printable_and_bounded() {
        let k = key(Scheme::Trtc, u64::MAX, "TRTC.1.103", ROOM);
        assert_eq!(k.as_str().len(), IdempotencyKey::MAX_LEN);
        assert!(k.as_str().starts_with("trtc-18446744073709551615-"));
        assert!(
            k.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
        let k = key(Scheme::Chat, 1400000000, "X.Y", "{}");
        assert!(k.as_str().starts_with("chat-1400000000-"));
        assert_eq!(format!("{k}"), k.as_str());
    }

    #[test]
    fn unparsable_bodies_still_get_a_key() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(1000), "]".repeat(1000));
        let a = key(Scheme::Chat, 1, "X.Y", &deep);
        let b = key(Scheme::Chat, 1, "X.Y", &deep.replace("\"a\"", "\"b\""));
        assert_ne!(a, b);
    }
}
