//! One stream entry: a verified webhook's key, context and raw body, and back.

use std::collections::HashMap;

use redis::Value;
use tencent_webhook_core::{OptPlatform, Scheme, Webhook, WebhookContext};

pub(crate) const KEY: &str = "key";
const SCHEME: &str = "scheme";
const APP: &str = "app";
const COMMAND: &str = "command";
const CLIENT_IP: &str = "client_ip";
const PLATFORM: &str = "platform";
const REQUEST_TIME: &str = "request_time";
const BODY: &str = "body";

/// The entry's fields, in order, as (name, bytes).
pub(crate) fn fields(hook: &Webhook) -> Vec<(&'static str, Vec<u8>)> {
    let c = &hook.context;
    let mut out = vec![
        (KEY, c.idempotency_key().as_str().as_bytes().to_vec()),
        (SCHEME, c.scheme.as_str().as_bytes().to_vec()),
        (APP, c.sdk_app_id.to_string().into_bytes()),
        (COMMAND, c.command.as_bytes().to_vec()),
        (BODY, c.raw_body.to_vec()),
    ];
    if let Some(ip) = &c.client_ip {
        out.push((CLIENT_IP, ip.as_bytes().to_vec()));
    }
    if let Some(p) = &c.platform {
        out.push((PLATFORM, p.as_str().as_bytes().to_vec()));
    }
    if let Some(t) = c.request_time {
        out.push((REQUEST_TIME, t.to_string().into_bytes()));
    }
    out
}

fn bytes(map: &HashMap<String, Value>, name: &str) -> Option<Vec<u8>> {
    match map.get(name)? {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        _ => None,
    }
}

fn text(map: &HashMap<String, Value>, name: &str) -> Option<String> {
    String::from_utf8(bytes(map, name)?).ok()
}

/// The idempotency key stored with an entry.
pub(crate) fn key_of(map: &HashMap<String, Value>) -> Option<String> {
    text(map, KEY)
}

/// Rebuild the webhook an entry holds, decoded exactly as when it arrived.
pub(crate) fn decode(map: &HashMap<String, Value>) -> Result<Webhook, String> {
    let scheme = match text(map, SCHEME).as_deref() {
        Some("chat") => Scheme::Chat,
        Some("trtc") => Scheme::Trtc,
        other => return Err(format!("unknown scheme {other:?}")),
    };
    let app = text(map, APP)
        .and_then(|a| a.parse().ok())
        .ok_or("missing or malformed app")?;
    let command = text(map, COMMAND).ok_or("missing command")?;
    let body = bytes(map, BODY).ok_or("missing body")?;
    let mut context = WebhookContext::new(scheme, app, command, body);
    context.client_ip = text(map, CLIENT_IP);
    context.platform = text(map, PLATFORM).map(|p| OptPlatform::parse(&p));
    context.request_time = text(map, REQUEST_TIME).and_then(|t| t.parse().ok());
    Webhook::decode(context).map_err(|e| format!("body does not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tencent_webhook_core::test_util::samples::trtc;

    fn as_map(fields: Vec<(&'static str, Vec<u8>)>) -> HashMap<String, Value> {
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::BulkString(v)))
            .collect()
    }

    #[test]
    fn a_webhook_survives_the_round_trip() {
        let mut context = WebhookContext::new(Scheme::Trtc, 1400000000, "TRTC", trtc::USER_ENTERED);
        context.client_ip = Some("10.0.0.1".into());
        let hook = Webhook::decode(context).unwrap();
        let back = decode(&as_map(fields(&hook))).unwrap();
        assert_eq!(
            back.context.idempotency_key(),
            hook.context.idempotency_key()
        );
        assert_eq!(back.context.command, hook.context.command);
        assert_eq!(back.context.client_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(back.context.raw_body, hook.context.raw_body);
        assert_eq!(back.event, hook.event);
    }

    #[test]
    fn a_damaged_entry_is_an_error_not_a_panic() {
        let mut map = as_map(vec![("scheme", b"trtc".to_vec()), ("app", b"x".to_vec())]);
        assert!(decode(&map).is_err());
        map.insert("scheme".into(), Value::Nil);
        assert!(decode(&map).is_err());
        assert!(decode(&HashMap::new()).is_err());
    }
}
