//! [`WebhookConfig`]: which apps are accepted, their callback tokens, and the limits.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tracing::Level;

use crate::budget::BufferBudget;
use crate::signature::{CallbackToken, TOKEN_LEN};
use crate::trtc_signature::{self, TrtcKey};

/// Default replay window: Tencent tells receivers to reject a `RequestTime` more than one
/// minute away from now (<https://trtc.io/document/64412>).
pub const DEFAULT_REPLAY_WINDOW: Duration = Duration::from_secs(60);
/// Default body limit: 1 MiB. Tencent's largest documented bodies are a few KiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default body limit of the TRTC scheme: 16 KiB. A TRTC body must be read before it can be
/// verified, so the limit bounds what an unauthenticated sender can make the server buffer;
/// Tencent's documented TRTC bodies are well under 2 KiB (the largest, an MP4 event listing
/// its files, grows by about 200 bytes a file).
pub const DEFAULT_TRTC_BODY_LIMIT: usize = 16 * 1024;
/// Default budget for TRTC bodies buffered before they are verified, across all in-flight
/// requests of every service built from one configuration: 8 MiB.
pub const DEFAULT_BUFFER_BUDGET: usize = 8 * 1024 * 1024;
/// Default time allowed for the whole body to arrive once the headers are in: 5 s.
/// Tencent's own sender gives up after 2 s (Chat) or 5 s (TRTC), so a slower body is not
/// from Tencent.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);
/// Default level of the span each request gets: DEBUG (see
/// [`WebhookConfigBuilder::span_level`]).
pub const DEFAULT_SPAN_LEVEL: Level = Level::DEBUG;

/// The source of "now" for the replay window. Any `Fn() -> SystemTime` is a clock, so a
/// test can pin time with a closure.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// One accepted `SdkAppid`, its Chat callback tokens and its TRTC callback keys.
///
/// One app id is often used through two consoles: the Chat / TUILiveKit webhook (signed
/// with a callback *token*, checked by a [`Scheme::Chat`](crate::Scheme::Chat) service) and
/// the TRTC console event callback (signed with a callback *key*, checked by a
/// [`Scheme::Trtc`](crate::Scheme::Trtc) service). Each scheme reads only its own secrets.
///
/// With no token (no key), requests of that scheme for this app are accepted without a
/// signature, as Tencent only signs when one is configured. With one or more, the signature
/// is required and any of them verifies, so a secret can be rotated without downtime: add
/// the new one, switch Tencent over, remove the old one.
///
/// `Debug` never prints tokens or keys.
#[derive(Clone)]
pub struct SdkApp {
    id: u64,
    tokens: Vec<String>,
    trtc_keys: Vec<String>,
}

impl SdkApp {
    /// An app with no callback token yet.
    pub fn new(sdk_app_id: u64) -> Self {
        Self {
            id: sdk_app_id,
            tokens: Vec::new(),
            trtc_keys: Vec::new(),
        }
    }

    /// Accept Chat / TUILiveKit signatures made with this callback token (1 to 128 bytes,
    /// Tencent's limit).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }

    /// Accept TRTC console callbacks signed with this callback key: 1 to 32 ASCII letters
    /// and digits, what the TRTC console accepts (<https://trtc.io/document/39558>). Any
    /// other key could never match Tencent's signature, so [`WebhookConfigBuilder::build`]
    /// refuses it rather than failing every request later.
    pub fn trtc_key(mut self, key: impl Into<String>) -> Self {
        self.trtc_keys.push(key.into());
        self
    }

    /// The app's `SdkAppid`.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl fmt::Debug for SdkApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkApp")
            .field("id", &self.id)
            .field("tokens", &format_args!("[redacted; {}]", self.tokens.len()))
            .field(
                "trtc_keys",
                &format_args!("[redacted; {}]", self.trtc_keys.len()),
            )
            .finish()
    }
}

/// A configuration the builder refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No app was configured, so every request would be refused.
    #[error("no SdkApp configured")]
    NoApps,
    /// The same `SdkAppid` was configured twice.
    #[error("SdkAppid {0} configured twice")]
    DuplicateApp(u64),
    /// A token is empty or longer than 128 bytes (Tencent's limit).
    #[error("a callback token of SdkAppid {0} is empty or longer than 128 bytes")]
    InvalidToken(u64),
    /// A TRTC callback key is not 1 to 32 ASCII letters and digits (what the TRTC console
    /// issues).
    #[error("a TRTC callback key of SdkAppid {0} is not 1 to 32 letters and digits")]
    InvalidTrtcKey(u64),
    /// A body limit or the buffer budget is zero.
    #[error("body limits and the buffer budget must be at least 1 byte")]
    ZeroBodyLimit,
    /// The body timeout or the callback deadline is zero, which would refuse everything.
    #[error("body timeout and callback deadline must be longer than zero")]
    ZeroDuration,
}

#[derive(Debug)]
pub(crate) struct AppEntry {
    pub(crate) id: u64,
    pub(crate) tokens: Vec<CallbackToken>,
    pub(crate) trtc_keys: Arc<[TrtcKey]>,
}

pub(crate) struct ConfigInner {
    pub(crate) apps: Vec<AppEntry>,
    pub(crate) replay_window: Duration,
    pub(crate) body_limit: usize,
    pub(crate) trtc_body_limit: usize,
    pub(crate) buffer_budget: Arc<BufferBudget>,
    pub(crate) trtc_freshness_window: Option<Duration>,
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) callback_deadline: Option<Duration>,
    pub(crate) span_level: Level,
    pub(crate) clock: Arc<dyn Clock>,
}

/// The verified, immutable configuration of a webhook endpoint. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use tencent_webhook_core::{SdkApp, WebhookConfig};
///
/// let config = WebhookConfig::builder()
///     .app(SdkApp::new(1400000000).token("new-token").token("old-token"))
///     .replay_window(Duration::from_secs(60))
///     .body_limit(64 * 1024)
///     .callback_deadline(Duration::from_millis(1500))
///     .build()?;
/// assert_eq!(config.body_limit(), 64 * 1024);
/// // Secrets never show up in Debug output.
/// assert!(!format!("{config:?}").contains("new-token"));
/// # Ok::<(), tencent_webhook_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct WebhookConfig {
    pub(crate) inner: Arc<ConfigInner>,
}

impl WebhookConfig {
    /// Start a configuration.
    pub fn builder() -> WebhookConfigBuilder {
        WebhookConfigBuilder::default()
    }

    /// The largest body accepted by a [`Scheme::Chat`](crate::Scheme::Chat) service, in bytes.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The largest body accepted by a [`Scheme::Trtc`](crate::Scheme::Trtc) service, in bytes.
    pub fn trtc_body_limit(&self) -> usize {
        self.inner.trtc_body_limit
    }

    /// The most bytes of not-yet-verified TRTC bodies buffered at once.
    pub fn buffer_budget(&self) -> usize {
        self.inner.buffer_budget.limit()
    }

    /// Bytes of not-yet-verified TRTC bodies buffered right now, across every service
    /// built from this configuration (a gauge for metrics).
    pub fn buffered_bytes(&self) -> usize {
        self.inner.buffer_budget.in_use()
    }

    /// How far a TRTC body's `CallbackTs` may be from now, if checked.
    pub fn trtc_freshness_window(&self) -> Option<Duration> {
        self.inner.trtc_freshness_window
    }

    /// How far `RequestTime` may be from now, in either direction.
    pub fn replay_window(&self) -> Duration {
        self.inner.replay_window
    }

    /// How long the body may take to arrive, if limited.
    pub fn body_timeout(&self) -> Option<Duration> {
        self.inner.body_timeout
    }

    /// How long the callback may run before the request is answered 503, if limited.
    pub fn callback_deadline(&self) -> Option<Duration> {
        self.inner.callback_deadline
    }

    /// The level of the span each request gets (see
    /// [`WebhookConfigBuilder::span_level`]).
    pub fn span_level(&self) -> Level {
        self.inner.span_level
    }

    /// The accepted `SdkAppid`s.
    pub fn app_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.inner.apps.iter().map(|a| a.id)
    }

    pub(crate) fn app(&self, id: u64) -> Option<&AppEntry> {
        self.inner.apps.iter().find(|a| a.id == id)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let apps: Vec<_> = self
            .inner
            .apps
            .iter()
            .map(|a| {
                (
                    a.id,
                    format!(
                        "[redacted; {} tokens, {} trtc keys]",
                        a.tokens.len(),
                        a.trtc_keys.len()
                    ),
                )
            })
            .collect();
        f.debug_struct("WebhookConfig")
            .field("apps", &apps)
            .field("replay_window", &self.inner.replay_window)
            .field("body_limit", &self.inner.body_limit)
            .field("trtc_body_limit", &self.inner.trtc_body_limit)
            .field("buffer_budget", &self.inner.buffer_budget.limit())
            .field("trtc_freshness_window", &self.inner.trtc_freshness_window)
            .field("body_timeout", &self.inner.body_timeout)
            .field("callback_deadline", &self.inner.callback_deadline)
            .field("span_level", &self.inner.span_level)
            .finish_non_exhaustive()
    }
}

/// Builder for [`WebhookConfig`]; see there for an example.
#[derive(Debug)]
pub struct WebhookConfigBuilder {
    apps: Vec<SdkApp>,
    replay_window: Duration,
    body_limit: usize,
    trtc_body_limit: usize,
    buffer_budget: usize,
    trtc_freshness_window: Option<Duration>,
    body_timeout: Option<Duration>,
    callback_deadline: Option<Duration>,
    span_level: Level,
    clock: Option<ClockDebug>,
}

struct ClockDebug(Arc<dyn Clock>);

impl fmt::Debug for ClockDebug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

impl Default for WebhookConfigBuilder {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            replay_window: DEFAULT_REPLAY_WINDOW,
            body_limit: DEFAULT_BODY_LIMIT,
            trtc_body_limit: DEFAULT_TRTC_BODY_LIMIT,
            buffer_budget: DEFAULT_BUFFER_BUDGET,
            trtc_freshness_window: None,
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            callback_deadline: None,
            span_level: DEFAULT_SPAN_LEVEL,
            clock: None,
        }
    }
}

impl WebhookConfigBuilder {
    /// Accept requests for this app (call once per app).
    pub fn app(mut self, app: SdkApp) -> Self {
        self.apps.push(app);
        self
    }

    /// How far `RequestTime` may be from now, in either direction, with whole-second
    /// granularity. Default [`DEFAULT_REPLAY_WINDOW`] (60 s, as Tencent says).
    pub fn replay_window(mut self, window: Duration) -> Self {
        self.replay_window = window;
        self
    }

    /// The largest body a [`Scheme::Chat`](crate::Scheme::Chat) service accepts, in bytes.
    /// Default [`DEFAULT_BODY_LIMIT`] (1 MiB). A larger `Content-Length` is refused before
    /// any byte is read; a streamed body is cut off as soon as it passes the limit. Both
    /// answer 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The largest body a [`Scheme::Trtc`](crate::Scheme::Trtc) service accepts, in bytes.
    /// Default [`DEFAULT_TRTC_BODY_LIMIT`] (16 KiB): a TRTC body is read before it can be
    /// verified, so this bounds what anyone can make the server buffer per request.
    pub fn trtc_body_limit(mut self, bytes: usize) -> Self {
        self.trtc_body_limit = bytes;
        self
    }

    /// The most bytes of TRTC bodies buffered before verification at once, across all
    /// in-flight requests of every service built from this configuration. Default
    /// [`DEFAULT_BUFFER_BUDGET`] (8 MiB). Bytes count as they arrive, so slow senders hold
    /// only what they have sent; a request that would pass the budget is answered 503
    /// (before reading, when its `Content-Length` already does not fit) and TRTC retries it.
    pub fn buffer_budget(mut self, bytes: usize) -> Self {
        self.buffer_budget = bytes;
        self
    }

    /// Refuse TRTC callbacks whose `CallbackTs` (covered by the signature) is further than
    /// `window` from now, in either direction (401). Off by default: TRTC retries a failed
    /// delivery for a minute with a fresh `CallbackTs` each time, so the window only has to
    /// exceed the sender's clock skew, but a receiver whose clock drifts would refuse good
    /// events that Tencent gives up on after that minute. Enable it (a few minutes) when
    /// replayed requests matter more to you than clock drift.
    pub fn trtc_freshness_window(mut self, window: Duration) -> Self {
        self.trtc_freshness_window = Some(window);
        self
    }

    /// How long the body may take to arrive; `None` for no limit. Default
    /// [`DEFAULT_BODY_TIMEOUT`] (5 s). A slower body answers 408.
    pub fn body_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long the callback may run; past it the callback is cancelled and the request
    /// answered 503. Without a deadline the callback always runs to completion, even if
    /// the sender disconnects first; with one, a callback whose sender disconnected is
    /// still finished in the background, up to the deadline. Note: if you enabled
    /// Tencent's retry-on-timeout for after-event webhooks, a 503 before Tencent's own
    /// timeout is a failure Tencent does not retry. Default: no deadline. Tencent waits 2 s for Chat/Live
    /// webhooks, so a deadline a little under that turns a slow callback into a clear
    /// FAIL instead of a sender-side timeout. For slow work, acknowledge at once and work
    /// in the background (see the crate docs).
    pub fn callback_deadline(mut self, deadline: Duration) -> Self {
        self.callback_deadline = Some(deadline);
        self
    }

    /// The level of the `tencent_webhook` span each request gets (fields `sdk_app_id`,
    /// `command`, `outcome`, `status`, `latency_us`). Default [`DEFAULT_SPAN_LEVEL`]
    /// (DEBUG, as tower-http's `TraceLayer`).
    ///
    /// Where your subscriber listens at this level, every line inside the request, your
    /// callback's own included, shows the span's fields; set `Level::INFO` for that under
    /// an INFO subscriber. It has a price: a formatting subscriber such as
    /// `tracing_subscriber::fmt` formats each recorded span field as it is recorded, on
    /// every request, which costs more than the rest of the middleware does. Nothing is
    /// lost from the library's own lines when the span is off: every refusal and FAIL line
    /// (WARN, ERROR for 5xx, INFO for a FAIL answer) carries `sdk_app_id`, `command`,
    /// `outcome`, `status` and `latency_us` itself, span or not (so a layer that filters
    /// the span out still shows them).
    pub fn span_level(mut self, level: Level) -> Self {
        self.span_level = level;
        self
    }

    /// Replace the system clock, e.g. with a fixed time in tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(ClockDebug(Arc::new(clock)));
        self
    }

    /// Check and freeze the configuration.
    pub fn build(self) -> Result<WebhookConfig, ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError::NoApps);
        }
        if self.body_limit == 0 || self.trtc_body_limit == 0 || self.buffer_budget == 0 {
            return Err(ConfigError::ZeroBodyLimit);
        }
        if self.body_timeout.is_some_and(|t| t.is_zero())
            || self.callback_deadline.is_some_and(|d| d.is_zero())
            || self.trtc_freshness_window.is_some_and(|w| w.is_zero())
        {
            return Err(ConfigError::ZeroDuration);
        }
        let mut apps: Vec<AppEntry> = Vec::with_capacity(self.apps.len());
        for app in self.apps {
            if apps.iter().any(|a| a.id == app.id) {
                return Err(ConfigError::DuplicateApp(app.id));
            }
            if app.tokens.iter().any(|t| !TOKEN_LEN.contains(&t.len())) {
                return Err(ConfigError::InvalidToken(app.id));
            }
            if !app
                .trtc_keys
                .iter()
                .all(|k| trtc_signature::is_valid_key(k))
            {
                return Err(ConfigError::InvalidTrtcKey(app.id));
            }
            apps.push(AppEntry {
                id: app.id,
                tokens: app.tokens.iter().map(|t| CallbackToken::new(t)).collect(),
                trtc_keys: app.trtc_keys.iter().map(|k| TrtcKey::new(k)).collect(),
            });
        }
        Ok(WebhookConfig {
            inner: Arc::new(ConfigInner {
                apps,
                replay_window: self.replay_window,
                body_limit: self.body_limit,
                trtc_body_limit: self.trtc_body_limit,
                buffer_budget: Arc::new(BufferBudget::new(self.buffer_budget)),
                trtc_freshness_window: self.trtc_freshness_window,
                body_timeout: self.body_timeout,
                callback_deadline: self.callback_deadline,
                span_level: self.span_level,
                clock: self
                    .clock
                    .map_or_else(|| Arc::new(SystemClock) as Arc<dyn Clock>, |c| c.0),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_configs() {
        assert_eq!(
            WebhookConfig::builder().build().unwrap_err(),
            ConfigError::NoApps
        );
        let dup = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .app(SdkApp::new(1))
            .build();
        assert_eq!(dup.unwrap_err(), ConfigError::DuplicateApp(1));
        let empty = WebhookConfig::builder()
            .app(SdkApp::new(1).token(""))
            .build();
        assert_eq!(empty.unwrap_err(), ConfigError::InvalidToken(1));
        let long = WebhookConfig::builder()
            .app(SdkApp::new(1).token("x".repeat(129)))
            .build();
        assert_eq!(long.unwrap_err(), ConfigError::InvalidToken(1));
        for bad in ["", "has space", "dash-ed", &"k".repeat(33)] {
            let key = WebhookConfig::builder()
                .app(SdkApp::new(1).trtc_key(bad))
                .build();
            assert_eq!(key.unwrap_err(), ConfigError::InvalidTrtcKey(1), "{bad:?}");
        }
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .trtc_body_limit(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .buffer_budget(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .trtc_freshness_window(Duration::ZERO)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroDuration);
        let max = WebhookConfig::builder()
            .app(SdkApp::new(1).token("x".repeat(128)))
            .build();
        assert!(max.is_ok());
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .body_limit(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .body_timeout(Some(Duration::ZERO))
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroDuration);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .callback_deadline(Duration::ZERO)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroDuration);
    }

    #[test]
    fn debug_redacts_tokens() {
        let app = SdkApp::new(7)
            .token("hunter2-secret")
            .trtc_key("hunter3key");
        assert!(!format!("{app:?}").contains("hunter2"));
        let builder = WebhookConfig::builder().app(app);
        assert!(!format!("{builder:?}").contains("hunter2"));
        let config = builder.build().unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("hunter3"), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn defaults() {
        let c = WebhookConfig::builder()
            .app(SdkApp::new(1))
            .build()
            .unwrap();
        assert_eq!(c.replay_window(), Duration::from_secs(60));
        assert_eq!(c.body_limit(), 1024 * 1024);
        assert_eq!(c.trtc_body_limit(), 16 * 1024);
        assert_eq!(c.buffer_budget(), 8 * 1024 * 1024);
        assert_eq!(c.buffered_bytes(), 0);
        assert_eq!(c.trtc_freshness_window(), None);
        assert_eq!(c.body_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(c.callback_deadline(), None);
        assert_eq!(c.app_ids().collect::<Vec<_>>(), vec![1]);
    }
}
