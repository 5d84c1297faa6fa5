//! The two ways Tencent signs and names a callback. Each scheme is one module that owns what
//! it admits before the body, how it verifies, how a command is named and how its answers
//! look (through [`crate::answer::envelope`]); everything else (limits, timeout, decoding, the
//! callback, deadline, run-to-end, tracing) is the one [`crate::pipeline`].

pub(crate) mod chat;
pub(crate) mod trtc;

use crate::pipeline::trace::Trace;
use crate::scheme::trtc::signature::SignedBody;
use crate::{OptPlatform, Rejection, RequestHead, WebhookConfig};

pub(crate) use trtc::check_freshness;

/// Which of Tencent's callback schemes a [`WebhookService`](crate::WebhookService) speaks.
/// A service is built for one scheme and never guesses it from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Chat / TUILiveKit webhooks (<https://trtc.io/document/34354>,
    /// <https://trtc.io/document/64412>): `SdkAppid` and `CallbackCommand` in the query,
    /// `Sign = hex(SHA-256(token ‖ RequestTime))` and `RequestTime` in the query when a
    /// callback token is set, checked before the body is read; answered 200 with
    /// `{"ActionStatus","ErrorCode","ErrorInfo"}`.
    Chat,
    /// TRTC console event callbacks: room and media events, cloud and web-page recording
    /// (<https://trtc.io/document/39558>, <https://trtc.io/document/54914>): `SdkAppId` and
    /// `Sign = Base64(HMAC-SHA256(key, body))` headers, the event named by `EventGroupId`
    /// and `EventType` in the body; answered 200 `{"code":0}` on success and non-200
    /// otherwise, which TRTC retries at once and then every 10 s for a minute.
    Trtc,
}

impl Scheme {
    /// `chat` or `trtc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Trtc => "trtc",
        }
    }

    /// The headers (lower-case names) this scheme's admission reads through
    /// [`RequestHead::header`]: an adapter whose framework only lends headers by copy can
    /// copy just these. Chat: `content-length`; TRTC: `sdkappid`, `sign`, `content-length`.
    pub const fn headers_read(self) -> &'static [&'static str] {
        match self {
            Self::Chat => &["content-length"],
            Self::Trtc => &["sdkappid", "sign", "content-length"],
        }
    }

    /// The body limit of this scheme in `config`.
    pub(crate) fn body_limit(self, config: &WebhookConfig) -> usize {
        match self {
            Self::Chat => config.body_limit(),
            Self::Trtc => config.trtc_body_limit(),
        }
    }
}

/// What a request's head established, before the body is read.
#[derive(Default)]
pub(crate) struct Admitted {
    pub(crate) sdk_app_id: u64,
    /// Chat: the query's `CallbackCommand`. TRTC: `None`, the body names the event.
    pub(crate) command: Option<String>,
    pub(crate) client_ip: Option<String>,
    pub(crate) platform: Option<OptPlatform>,
    pub(crate) request_time: Option<u64>,
    /// TRTC with a key: the `Sign` to check against the body once it is read.
    pub(crate) signed_body: Option<SignedBody>,
}

/// Check everything of a request that does not need its body.
pub(crate) fn admit(
    scheme: Scheme,
    config: &WebhookConfig,
    head: &impl RequestHead,
    trace: &mut Trace,
) -> Result<Admitted, Rejection> {
    if head.method() != "POST" {
        return Err(Rejection::MethodNotAllowed);
    }
    let admitted = match scheme {
        Scheme::Chat => chat::admit(config, head.query(), trace)?,
        Scheme::Trtc => trtc::admit(config, head, trace)?,
    };
    // Before any byte of the body is read: a body over the limit (413), one that cannot
    // fit in what is left of the buffer budget (503), or no room for another callback
    // (503).
    let expected = content_length(head);
    let refused = if expected.is_some_and(|len| len > scheme.body_limit(config) as u64) {
        Some(Rejection::BodyTooLarge)
    } else if !config
        .inner
        .buffer_budget
        .fits(expected.map_or(0, |len| len as usize))
    {
        Some(Rejection::BufferBudgetExhausted)
    } else if !config.inner.callbacks.has_room() {
        Some(Rejection::TooManyCallbacks)
    } else {
        None
    };
    if let Some(rejection) = refused {
        if let Some(command) = &admitted.command {
            trace.note_command(command, false);
        }
        return Err(rejection);
    }
    Ok(admitted)
}

/// The (first) `Content-Length` header, when it is a well-formed number.
pub(crate) fn content_length(head: &impl RequestHead) -> Option<u64> {
    // Only ASCII digits (and a leading `+`) parse, so no visible-ASCII check is needed.
    std::str::from_utf8(head.header("content-length").first()?)
        .ok()?
        .parse()
        .ok()
}

/// A header value as text, when it is visible ASCII (or tabs): the values
/// `http::HeaderValue::to_str` accepts.
fn header_str(value: &[u8]) -> Option<&str> {
    if value.iter().all(|&b| b == b'\t' || (32..127).contains(&b)) {
        std::str::from_utf8(value).ok()
    } else {
        None
    }
}

/// A decimal app id: digits only (no sign, no spaces), fitting `u64`.
fn parse_app_id(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
