//! What the callback receives: [`Webhook`] = [`WebhookContext`] + [`Event`], and the
//! event's [`IdempotencyKey`].

pub(crate) mod idempotency;

pub use idempotency::IdempotencyKey;

use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::{Event, OptPlatform, Rejection, Scheme, event};

/// Facts about one delivered webhook.
///
/// What is verified depends on [`scheme`](Self::scheme):
/// - [`Scheme::Chat`]: `sdk_app_id` is one of the configured apps, and for an app with a
///   callback token `request_time` carries a valid signature and lies within the replay
///   window. Tencent's signature covers only the token and `RequestTime`, so `command`,
///   `client_ip`, `platform` and the body are *not* authenticated beyond that: do not base
///   security decisions on `client_ip` or `platform`.
/// - [`Scheme::Trtc`]: `sdk_app_id` (the `SdkAppId` header) is one of the configured apps,
///   and for an app with a TRTC callback key the whole body is covered by the verified
///   HMAC. `client_ip`, `platform` and `request_time` are `None`: TRTC sends none of them.
#[derive(Clone)]
#[non_exhaustive]
pub struct WebhookContext {
    /// Which scheme delivered (and verified) this webhook.
    pub scheme: Scheme,
    /// `SdkAppid` (Chat query) or `SdkAppId` (TRTC header): one of the configured apps
    /// (verified).
    pub sdk_app_id: u64,
    /// `CallbackCommand`, e.g. `Follow.CallbackAfterCloudRecordingChanged`; for a TRTC
    /// callback `TRTC.{EventGroupId}.{EventType}` (see [`command::trtc`](crate::command::trtc)).
    pub command: String,
    /// `ClientIP`: the IP of the client that triggered the event, when sent.
    pub client_ip: Option<String>,
    /// `OptPlatform`: the platform that triggered the event, when sent.
    pub platform: Option<OptPlatform>,
    /// `RequestTime` (Unix seconds) whose signature was verified; `None` when the app has
    /// no callback token.
    pub request_time: Option<u64>,
    /// The body exactly as received (cheap to clone), e.g. to store or forward it.
    pub raw_body: Bytes,
    idempotency_key: OnceLock<IdempotencyKey>,
}

impl WebhookContext {
    /// The context of a webhook delivered by `scheme` for `sdk_app_id` with this command
    /// and body, and no `ClientIP`, `OptPlatform` or `RequestTime` (set those fields after).
    /// For rebuilding a delivered webhook from storage with [`Webhook::decode`], or for tests.
    pub fn new(
        scheme: Scheme,
        sdk_app_id: u64,
        command: impl Into<String>,
        raw_body: impl Into<Bytes>,
    ) -> Self {
        Self {
            scheme,
            sdk_app_id,
            command: command.into(),
            client_ip: None,
            platform: None,
            request_time: None,
            raw_body: raw_body.into(),
            idempotency_key: OnceLock::new(),
        }
    }

    /// A key that is the same for every delivery attempt of this event and different for
    /// different events: `{scheme}-{SdkAppid}-v2{32 hex digits}` (`v2` names the
    /// derivation), at most [`IdempotencyKey::MAX_LEN`] bytes. Use it to deduplicate retries
    /// (TRTC retries a failed delivery for a minute). Computed on first use from the scheme,
    /// the app id, the command and a canonical form of the body without its per-attempt
    /// `CallbackTs`; the derivation is documented field by field on [`IdempotencyKey`].
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        self.idempotency_key.get_or_init(|| {
            IdempotencyKey::derive(self.scheme, self.sdk_app_id, &self.command, &self.raw_body)
        })
    }
}

impl fmt::Debug for WebhookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may carry personal data; Debug shows its size only.
        f.debug_struct("WebhookContext")
            .field("scheme", &self.scheme)
            .field("sdk_app_id", &self.sdk_app_id)
            .field("command", &self.command)
            .field("client_ip", &self.client_ip)
            .field("platform", &self.platform)
            .field("request_time", &self.request_time)
            .field("raw_body", &format_args!("[{} bytes]", self.raw_body.len()))
            .finish()
    }
}

/// One verified webhook: what the callback (or the inner service of a
/// [`WebhookLayer`](crate::WebhookLayer)) receives.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Webhook {
    /// Who sent it and how.
    pub context: WebhookContext,
    /// The decoded body.
    pub event: Event,
}

impl Webhook {
    /// Decode `context.raw_body` exactly as the service does for `context.scheme` (Chat: as
    /// `context.command`; TRTC: by its `EventGroupId` and `EventType`, which also set
    /// `context.command`). No signature is checked: use it for webhooks that were verified
    /// when they arrived, e.g. read back from a queue, or in tests.
    pub fn decode(context: WebhookContext) -> Result<Webhook, Rejection> {
        Self::decode_with_callback_ts(context)
            .map(|(webhook, _)| webhook)
            .map_err(|(rejection, _)| rejection)
    }

    /// [`decode`](Self::decode), also giving a TRTC body's `CallbackTs` (for the service's
    /// freshness check). The one place a body becomes an event, for the service and for
    /// webhooks read back from storage alike. A refused body gives its context back (the
    /// service's log line names its command).
    #[allow(
        clippy::result_large_err,
        reason = "the context is handed back, not copied, and only on a refusal"
    )]
    pub(crate) fn decode_with_callback_ts(
        mut context: WebhookContext,
    ) -> Result<(Webhook, Option<u64>), (Rejection, WebhookContext)> {
        let (event, callback_ts) = match context.scheme {
            Scheme::Chat => {
                let command = &context.command;
                match event::with_repair(&context.raw_body, |b| event::parse(command, b)) {
                    Ok(event) => (event, None),
                    Err(rejection) => return Err((rejection, context)),
                }
            }
            Scheme::Trtc => {
                let decoded = match event::with_repair(&context.raw_body, event::parse_trtc) {
                    Ok(decoded) => decoded,
                    Err(rejection) => return Err((rejection, context)),
                };
                context.command = decoded.command;
                context.idempotency_key = OnceLock::new();
                (decoded.event, decoded.callback_ts)
            }
        };
        Ok((Webhook { context, event }, callback_ts))
    }
}
