//! What the callback receives: [`Webhook`] = [`WebhookContext`] + [`Event`].

use std::fmt;

use bytes::Bytes;

use crate::{Event, OptPlatform};

/// Facts about one delivered webhook.
///
/// What is verified: `sdk_app_id` is one of the configured apps, and for an app with a
/// callback token `request_time` carries a valid signature and lies within the replay
/// window. Tencent's signature covers only the token and `RequestTime`, so `command`,
/// `client_ip`, `platform` and the body are *not* authenticated beyond that: do not base
/// security decisions on `client_ip` or `platform`.
#[derive(Clone)]
#[non_exhaustive]
pub struct WebhookContext {
    /// `SdkAppid`: one of the configured apps (verified).
    pub sdk_app_id: u64,
    /// `CallbackCommand`, e.g. `Follow.CallbackAfterCloudRecordingChanged`.
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
}

impl fmt::Debug for WebhookContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may carry personal data; Debug shows its size only.
        f.debug_struct("WebhookContext")
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
