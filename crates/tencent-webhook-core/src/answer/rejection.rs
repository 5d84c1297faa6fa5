//! Every way a request can fail, with its HTTP status and stable `ErrorCode`.
//!
//! This module is the single table of failure kinds. The response envelope for each
//! of them is built by [`crate::answer::envelope`]; nothing else chooses a status or a code.

use http::StatusCode;

/// Why a webhook request was not delivered to the callback (or why the callback failed).
///
/// Each kind has a fixed HTTP status ([`Rejection::status`]) and a stable, non-zero
/// `ErrorCode` ([`Rejection::error_code`]) that goes into the FAIL envelope. The
/// `ErrorInfo` is the `Display` text: short, fixed, and never echoes request data or
/// secrets.
///
/// | kind | HTTP | ErrorCode |
/// |---|---|---|
/// | [`MissingParameter`](Rejection::MissingParameter) | 400 | 40001 |
/// | [`DuplicateParameter`](Rejection::DuplicateParameter) | 400 | 40002 |
/// | [`MalformedParameter`](Rejection::MalformedParameter) | 400 | 40003 |
/// | [`InvalidJson`](Rejection::InvalidJson) | 400 | 40004 |
/// | [`NotAnObject`](Rejection::NotAnObject) | 400 | 40005 |
/// | [`CommandMismatch`](Rejection::CommandMismatch) | 400 | 40007 |
/// | [`BodyRead`](Rejection::BodyRead) | 400 | 40008 |
/// | [`MissingHeader`](Rejection::MissingHeader) | 400 | 40009 |
/// | [`DuplicateHeader`](Rejection::DuplicateHeader) | 400 | 40010 |
/// | [`MalformedHeader`](Rejection::MalformedHeader) | 400 | 40011 |
/// | [`MissingSignature`](Rejection::MissingSignature) | 401 | 40101 |
/// | [`BadSignature`](Rejection::BadSignature) | 401 | 40102 |
/// | [`InvalidRequestTime`](Rejection::InvalidRequestTime) | 401 | 40103 |
/// | [`StaleRequestTime`](Rejection::StaleRequestTime) | 401 | 40104 |
/// | [`MissingSignHeader`](Rejection::MissingSignHeader) | 401 | 40105 |
/// | [`StaleCallbackTs`](Rejection::StaleCallbackTs) | 401 | 40106 |
/// | [`NoSecret`](Rejection::NoSecret) | 401 | 40107 |
/// | [`UnknownApp`](Rejection::UnknownApp) | 403 | 40301 |
/// | [`MethodNotAllowed`](Rejection::MethodNotAllowed) | 405 | 40501 |
/// | [`BodyTimeout`](Rejection::BodyTimeout) | 408 | 40801 |
/// | [`BodyTooLarge`](Rejection::BodyTooLarge) | 413 | 41301 |
/// | [`UnsupportedContentType`](Rejection::UnsupportedContentType) | 415 | 41501 |
/// | [`CallbackPanicked`](Rejection::CallbackPanicked) | 500 | 50001 |
/// | [`CallbackError`](Rejection::CallbackError) | 500 | 50002 |
/// | [`CallbackTimeout`](Rejection::CallbackTimeout) | 503 | 50301 |
/// | [`BufferBudgetExhausted`](Rejection::BufferBudgetExhausted) | 503 | 50302 |
/// | [`TooManyCallbacks`](Rejection::TooManyCallbacks) | 503 | 50303 |
///
/// A [`Scheme::Chat`](crate::Scheme::Chat) service answers with the envelope
/// `{"ActionStatus":"FAIL","ErrorCode":code,"ErrorInfo":text}`; a
/// [`Scheme::Trtc`](crate::Scheme::Trtc) service with `{"code":code,"message":text}`. The
/// status is the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A required query parameter (`SdkAppid`, `CallbackCommand`) is absent or empty.
    #[error("missing query parameter {0}")]
    MissingParameter(&'static str),
    /// A security-relevant query parameter appears more than once.
    #[error("query parameter {0} given more than once")]
    DuplicateParameter(&'static str),
    /// A query parameter is present but not of the expected form (e.g. a non-numeric `SdkAppid`).
    #[error("query parameter {0} is malformed")]
    MalformedParameter(&'static str),
    /// The body is not valid JSON (including an empty body, and nesting deeper than 128 levels
    /// in a value that is decoded).
    #[error("body is not valid JSON")]
    InvalidJson,
    /// The body is valid JSON but not an object.
    #[error("body is not a JSON object")]
    NotAnObject,
    /// The body's `CallbackCommand` differs from the query's.
    #[error("body CallbackCommand does not match the query")]
    CommandMismatch,
    /// The body stream failed (the client went away mid-body, or sent a malformed body).
    #[error("body could not be read")]
    BodyRead,
    /// A required header (`SdkAppId` of a TRTC callback) is absent or empty.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A security-relevant header (`SdkAppId`, `Sign` of a TRTC callback) appears more than once.
    #[error("header {0} given more than once")]
    DuplicateHeader(&'static str),
    /// A header is present but not of the expected form (a non-numeric `SdkAppId`).
    #[error("header {0} is malformed")]
    MalformedHeader(&'static str),
    /// The app has a callback token but `Sign` or `RequestTime` is missing.
    #[error("missing Sign or RequestTime")]
    MissingSignature,
    /// `Sign` matches none of the app's callback tokens.
    #[error("Sign does not match")]
    BadSignature,
    /// `RequestTime` is not a Unix time in seconds.
    #[error("RequestTime is not a valid Unix time")]
    InvalidRequestTime,
    /// `RequestTime` lies outside the replay window (in the past or the future).
    #[error("RequestTime is outside the accepted window")]
    StaleRequestTime,
    /// The app has a TRTC callback key but the `Sign` header is missing.
    #[error("missing Sign header")]
    MissingSignHeader,
    /// A TRTC body's `CallbackTs` is outside the freshness window
    /// ([`trtc_freshness_window`](crate::WebhookConfigBuilder::trtc_freshness_window), 5
    /// minutes by default): a replayed request, or clocks far apart.
    #[error("CallbackTs is outside the accepted window")]
    StaleCallbackTs,
    /// The app has no secret of this scheme (no callback token for Chat, no callback key
    /// for TRTC) and has not opted in to unsigned requests with
    /// [`SdkApp::insecure_accept_unsigned`](crate::SdkApp::insecure_accept_unsigned): its
    /// requests of this scheme cannot be authenticated, so none is accepted.
    #[error("no callback secret is configured for this app on this endpoint")]
    NoSecret,
    /// `SdkAppid` is not one of the configured apps.
    #[error("SdkAppid is not accepted here")]
    UnknownApp,
    /// The method is not `POST`. The response carries `Allow: POST`.
    #[error("method not allowed, use POST")]
    MethodNotAllowed,
    /// The body was not complete within the body timeout.
    #[error("body not received in time")]
    BodyTimeout,
    /// The body (by `Content-Length`, or as streamed) exceeds the body limit.
    #[error("body exceeds the size limit")]
    BodyTooLarge,
    /// The `contenttype` query parameter is present and not `json`.
    #[error("contenttype must be json")]
    UnsupportedContentType,
    /// The callback panicked. The service keeps serving.
    #[error("callback panicked")]
    CallbackPanicked,
    /// The inner service returned an error.
    #[error("callback failed")]
    CallbackError,
    /// The callback did not finish within the configured deadline.
    #[error("callback deadline exceeded")]
    CallbackTimeout,
    /// Too many request body bytes are held right now (see
    /// [`buffer_budget`](crate::WebhookConfigBuilder::buffer_budget)); TRTC retries, Tencent
    /// does not resend a Chat webhook.
    #[error("too many requests in flight, retry later")]
    BufferBudgetExhausted,
    /// As many callbacks as
    /// [`max_running_callbacks`](crate::WebhookConfigBuilder::max_running_callbacks) allows
    /// are running (those whose senders hung up included); new requests are refused,
    /// before their body is read where possible, until some finish (running ones are never
    /// cancelled for this).
    #[error("too many callbacks running, retry later")]
    TooManyCallbacks,
}

impl Rejection {
    /// The HTTP status this failure is answered with.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_)
            | Self::DuplicateParameter(_)
            | Self::MalformedParameter(_)
            | Self::InvalidJson
            | Self::NotAnObject
            | Self::CommandMismatch
            | Self::BodyRead
            | Self::MissingHeader(_)
            | Self::DuplicateHeader(_)
            | Self::MalformedHeader(_) => StatusCode::BAD_REQUEST,
            Self::MissingSignature
            | Self::BadSignature
            | Self::InvalidRequestTime
            | Self::StaleRequestTime
            | Self::MissingSignHeader
            | Self::StaleCallbackTs
            | Self::NoSecret => StatusCode::UNAUTHORIZED,
            Self::UnknownApp => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::CallbackPanicked | Self::CallbackError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::CallbackTimeout | Self::BufferBudgetExhausted | Self::TooManyCallbacks => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The stable, non-zero `ErrorCode` of the FAIL envelope (HTTP status × 100 + n).
    pub const fn error_code(&self) -> i64 {
        match self {
            Self::MissingParameter(_) => 40001,
            Self::DuplicateParameter(_) => 40002,
            Self::MalformedParameter(_) => 40003,
            Self::InvalidJson => 40004,
            Self::NotAnObject => 40005,
            Self::CommandMismatch => 40007,
            Self::BodyRead => 40008,
            Self::MissingHeader(_) => 40009,
            Self::DuplicateHeader(_) => 40010,
            Self::MalformedHeader(_) => 40011,
            Self::MissingSignature => 40101,
            Self::BadSignature => 40102,
            Self::InvalidRequestTime => 40103,
            Self::StaleRequestTime => 40104,
            Self::MissingSignHeader => 40105,
            Self::StaleCallbackTs => 40106,
            Self::NoSecret => 40107,
            Self::UnknownApp => 40301,
            Self::MethodNotAllowed => 40501,
            Self::BodyTimeout => 40801,
            Self::BodyTooLarge => 41301,
            Self::UnsupportedContentType => 41501,
            Self::CallbackPanicked => 50001,
            Self::CallbackError => 50002,
            Self::CallbackTimeout => 50301,
            Self::BufferBudgetExhausted => 50302,
            Self::TooManyCallbacks => 50303,
        }
    }

    /// Every kind, for documentation and exhaustive tests.
    pub const ALL: &'static [Rejection] = &[
        Self::MissingParameter("SdkAppid"),
        Self::DuplicateParameter("Sign"),
        Self::MalformedParameter("SdkAppid"),
        Self::InvalidJson,
        Self::NotAnObject,
        Self::CommandMismatch,
        Self::BodyRead,
        Self::MissingHeader("SdkAppId"),
        Self::DuplicateHeader("Sign"),
        Self::MalformedHeader("SdkAppId"),
        Self::MissingSignature,
        Self::BadSignature,
        Self::InvalidRequestTime,
        Self::StaleRequestTime,
        Self::MissingSignHeader,
        Self::StaleCallbackTs,
        Self::NoSecret,
        Self::UnknownApp,
        Self::MethodNotAllowed,
        Self::BodyTimeout,
        Self::BodyTooLarge,
        Self::UnsupportedContentType,
        Self::CallbackPanicked,
        Self::CallbackError,
        Self::CallbackTimeout,
        Self::BufferBudgetExhausted,
        Self::TooManyCallbacks,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_nonzero_and_follow_the_status() {
        let mut seen = HashSet::new();
        for &r in Rejection::ALL {
            let code = r.error_code();
            assert!(seen.insert(code), "duplicate code {code}");
            assert_eq!(code / 100, i64::from(r.status().as_u16()), "{r:?}");
            assert!(!r.to_string().is_empty());
        }
    }
}
