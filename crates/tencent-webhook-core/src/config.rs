//! [`WebhookConfig`]: which apps are accepted, their callback tokens, and the limits.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tracing::Level;

use crate::Scheme;
use crate::pipeline::budget::BufferBudget;
use crate::pipeline::callbacks::Callbacks;
use crate::scheme::chat::signature::{CallbackToken, TOKEN_LEN};
use crate::scheme::trtc::signature::{self, TrtcKey};

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
/// Default budget for the request bodies held in memory at once, across all in-flight
/// requests of every service built from one configuration: 8 MiB (see
/// [`WebhookConfigBuilder::buffer_budget`]).
pub const DEFAULT_BUFFER_BUDGET: usize = 8 * 1024 * 1024;
/// Default freshness window of a TRTC body's `CallbackTs`: 5 minutes, as Stripe and Svix
/// allow for their signatures. TRTC stamps a new `CallbackTs` on each retry (it retries for
/// a minute), so only a receiver whose clock is minutes off refuses a genuine callback.
pub const DEFAULT_TRTC_FRESHNESS_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Default callback deadline: 25 s. Tencent stops waiting long before (2 s for Chat, 5 s
/// for TRTC); the deadline bounds how long a callback whose sender hung up keeps running
/// in the background, and stays below a dedupe lease of 30 s or more, so a retry is never
/// processed while the first attempt still runs.
pub const DEFAULT_CALLBACK_DEADLINE: Duration = Duration::from_secs(25);
/// Default cap on callbacks running at once, those still running after their senders hung
/// up included: 1,024.
pub const DEFAULT_MAX_RUNNING_CALLBACKS: usize = 1024;
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
/// Secure by default: an app with no token refuses every Chat request (401
/// [`Rejection::NoSecret`](crate::Rejection::NoSecret)), and an app with no key every TRTC
/// request, because such requests cannot be authenticated: anyone who knows the URL could
/// forge them. Tencent only signs when a secret is set in its console, so an app that
/// really wants unsigned callbacks of a scheme (a local demo, or an endpoint that another
/// layer authenticates) says so by name with
/// [`insecure_accept_unsigned`](Self::insecure_accept_unsigned).
///
/// With one or more secrets, the signature is required and any of them verifies, so a
/// secret can be rotated without downtime: add the new one, switch Tencent over, remove the
/// old one.
///
/// `Debug` never prints tokens or keys.
#[derive(Clone)]
pub struct SdkApp {
    id: u64,
    tokens: Vec<String>,
    trtc_keys: Vec<String>,
    unsigned_chat: bool,
    unsigned_trtc: bool,
}

impl SdkApp {
    /// An app with no secret yet: until it gets a [`token`](Self::token) or a
    /// [`trtc_key`](Self::trtc_key), it accepts no request.
    pub fn new(sdk_app_id: u64) -> Self {
        Self {
            id: sdk_app_id,
            tokens: Vec::new(),
            trtc_keys: Vec::new(),
            unsigned_chat: false,
            unsigned_trtc: false,
        }
    }

    /// **Insecure**: accept this app's requests of `scheme` without any signature, as
    /// Tencent sends them when no callback token (Chat) or key (TRTC) is set in its
    /// console. Anyone who can reach the URL can then deliver forged events for this app,
    /// so use it only for a local demo, or behind something else that authenticates the
    /// sender. An app with a secret of that scheme cannot also accept unsigned requests of
    /// it ([`ConfigError::UnsignedWithSecret`]).
    pub fn insecure_accept_unsigned(mut self, scheme: Scheme) -> Self {
        match scheme {
            Scheme::Chat => self.unsigned_chat = true,
            Scheme::Trtc => self.unsigned_trtc = true,
        }
        self
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
            .field("unsigned_chat", &self.unsigned_chat)
            .field("unsigned_trtc", &self.unsigned_trtc)
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
    /// No app has a secret (or accepts unsigned requests) of either scheme, so every
    /// request would be refused.
    #[error(
        "no SdkApp has a callback token, a TRTC callback key or an explicit opt-in to unsigned requests"
    )]
    NoSecrets,
    /// An app both has a secret of a scheme and accepts unsigned requests of it.
    #[error("SdkApp {0} has a secret for a scheme it also accepts unsigned")]
    UnsignedWithSecret(u64),
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
    /// The body timeout, the callback deadline or the freshness window is zero, which would
    /// refuse everything.
    #[error("body timeout, callback deadline and freshness window must be longer than zero")]
    ZeroDuration,
    /// The cap on running callbacks is zero, which would refuse everything.
    #[error("max_running_callbacks must be at least 1")]
    ZeroRunningCallbacks,
}

#[derive(Debug)]
pub(crate) struct AppEntry {
    pub(crate) id: u64,
    pub(crate) tokens: Vec<CallbackToken>,
    pub(crate) trtc_keys: Arc<[TrtcKey]>,
    pub(crate) unsigned_chat: bool,
    pub(crate) unsigned_trtc: bool,
}

impl AppEntry {
    /// Whether this app can be sent any request of `scheme`: it has a secret of it, or
    /// accepts it unsigned.
    pub(crate) fn accepts(&self, scheme: Scheme) -> bool {
        self.accepts_unsigned(scheme)
            || match scheme {
                Scheme::Chat => !self.tokens.is_empty(),
                Scheme::Trtc => !self.trtc_keys.is_empty(),
            }
    }

    /// Whether this app opted in to unsigned requests of `scheme` (it then has no secret of
    /// it: `build()` refuses both).
    pub(crate) fn accepts_unsigned(&self, scheme: Scheme) -> bool {
        match scheme {
            Scheme::Chat => self.unsigned_chat,
            Scheme::Trtc => self.unsigned_trtc,
        }
    }
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
    pub(crate) callbacks: Arc<Callbacks>,
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
///     .callback_deadline(Some(Duration::from_millis(1500)))
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

    /// The most bytes of request bodies held at once (see
    /// [`WebhookConfigBuilder::buffer_budget`]).
    pub fn buffer_budget(&self) -> usize {
        self.inner.buffer_budget.limit()
    }

    /// Bytes of request bodies held right now, being read or handled, across every service
    /// built from this configuration (a gauge for metrics).
    pub fn buffered_bytes(&self) -> usize {
        self.inner.buffer_budget.in_use()
    }

    /// The most callbacks that may run at once (see
    /// [`WebhookConfigBuilder::max_running_callbacks`]).
    pub fn max_running_callbacks(&self) -> usize {
        self.inner.callbacks.limit()
    }

    /// Callbacks running right now, inline or after their senders hung up, across every
    /// service built from this configuration (a gauge for metrics).
    pub fn running_callbacks(&self) -> usize {
        self.inner.callbacks.running()
    }

    /// Of the [`running_callbacks`](Self::running_callbacks), those whose senders hung up
    /// (a gauge for metrics).
    pub fn detached_callbacks(&self) -> usize {
        self.inner.callbacks.detached()
    }

    /// Whether any configured app can be sent a request of `scheme`: it has a secret of
    /// that scheme, or accepts it unsigned. A service cannot be built for a scheme this
    /// configuration does not accept (it would refuse every request).
    pub fn accepts(&self, scheme: Scheme) -> bool {
        self.inner.apps.iter().any(|a| a.accepts(scheme))
    }

    /// Panic, naming what is missing, unless [`accepts`](Self::accepts)`(scheme)`: what a
    /// service or layer of `scheme` checks when it is built.
    pub(crate) fn assert_accepts(&self, scheme: Scheme) {
        assert!(
            self.accepts(scheme),
            "no SdkApp has a {} secret (SdkApp::{}) or accepts unsigned {} requests \
             (SdkApp::insecure_accept_unsigned): this endpoint would refuse every request",
            scheme.as_str(),
            match scheme {
                Scheme::Chat => "token",
                Scheme::Trtc => "trtc_key",
            },
            scheme.as_str(),
        );
    }

    /// How far a TRTC body's `CallbackTs` may be from now, if checked (by default
    /// [`DEFAULT_TRTC_FRESHNESS_WINDOW`]).
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

    /// How long the callback may run before the request is answered 503, if limited (by
    /// default [`DEFAULT_CALLBACK_DEADLINE`]).
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
                        "[redacted; {} tokens, {} trtc keys{}{}]",
                        a.tokens.len(),
                        a.trtc_keys.len(),
                        if a.unsigned_chat {
                            ", chat unsigned"
                        } else {
                            ""
                        },
                        if a.unsigned_trtc {
                            ", trtc unsigned"
                        } else {
                            ""
                        },
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
            .field("max_running_callbacks", &self.inner.callbacks.limit())
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
    max_running_callbacks: usize,
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
            trtc_freshness_window: Some(DEFAULT_TRTC_FRESHNESS_WINDOW),
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            callback_deadline: Some(DEFAULT_CALLBACK_DEADLINE),
            max_running_callbacks: DEFAULT_MAX_RUNNING_CALLBACKS,
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

    /// The most bytes of request bodies held in memory at once, across all in-flight
    /// requests of both schemes of every service built from this configuration: a body
    /// counts from its first byte until its callback has finished (or it was refused).
    /// Default [`DEFAULT_BUFFER_BUDGET`] (8 MiB). Bytes count as they arrive and as the
    /// buffer holding them grows, so slow senders hold only what they have sent; a request
    /// that would pass the budget is answered 503 (before its body is read, when its
    /// `Content-Length` already does not fit). TRTC retries a 503; Tencent does not resend a
    /// Chat webhook, so keep the budget well above your peak of concurrent bodies (Chat
    /// bodies are a few KiB: the default holds thousands).
    pub fn buffer_budget(mut self, bytes: usize) -> Self {
        self.buffer_budget = bytes;
        self
    }

    /// Refuse TRTC callbacks whose `CallbackTs` (Unix milliseconds, covered by the
    /// signature) is further than `window` from now, in either direction (401
    /// [`StaleCallbackTs`](crate::Rejection::StaleCallbackTs)); `None` checks nothing.
    /// Default [`DEFAULT_TRTC_FRESHNESS_WINDOW`] (5 minutes): without a window a captured
    /// request could be replayed at any later time, since its signature never expires.
    /// TRTC retries a failed delivery for a minute with a fresh `CallbackTs` each time, so
    /// the window only has to exceed the clocks' skew. A verified body without a
    /// `CallbackTs` is delivered: Tencent always sends one, and nobody can remove it from a
    /// signed body.
    pub fn trtc_freshness_window(mut self, window: Option<Duration>) -> Self {
        self.trtc_freshness_window = window;
        self
    }

    /// How long the body may take to arrive; `None` for no limit. Default
    /// [`DEFAULT_BODY_TIMEOUT`] (5 s). A slower body answers 408.
    pub fn body_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// How long the callback may run; past it the callback is cancelled and the request
    /// answered 503; `None` for no limit. A callback whose sender hung up is finished in
    /// the background, up to the deadline (and counts against
    /// [`max_running_callbacks`](Self::max_running_callbacks)). Default
    /// [`DEFAULT_CALLBACK_DEADLINE`] (25 s): below a dedupe lease of 30 s, so a retry is not
    /// handled while the first attempt still runs. Tencent waits 2 s for Chat/Live webhooks,
    /// so a deadline a little under that turns a slow callback into a clear FAIL instead of
    /// a sender-side timeout (but if you enabled Tencent's retry-on-timeout for after-event
    /// webhooks, a 503 before Tencent's own timeout is a failure Tencent does not retry).
    /// For slow work, acknowledge at once and work in the background (see the crate docs).
    pub fn callback_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.callback_deadline = deadline;
        self
    }

    /// The most callbacks that may run at once, across every service built from this
    /// configuration. A callback is never cancelled because its sender went away (only by
    /// the deadline): it keeps its place until it ends, so this also bounds the callbacks
    /// running on after their senders hung up, which would otherwise grow without limit
    /// under a sender that connects, sends and hangs up again and again. At the cap, new
    /// requests are answered 503
    /// ([`TooManyCallbacks`](crate::Rejection::TooManyCallbacks)), before their body is read
    /// (or, when the last place was taken while it was read, just before the callback),
    /// rather than cancelling running ones. Default [`DEFAULT_MAX_RUNNING_CALLBACKS`]
    /// (1,024).
    pub fn max_running_callbacks(mut self, callbacks: usize) -> Self {
        self.max_running_callbacks = callbacks;
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
        if self.max_running_callbacks == 0 {
            return Err(ConfigError::ZeroRunningCallbacks);
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
            if !app.trtc_keys.iter().all(|k| signature::is_valid_key(k)) {
                return Err(ConfigError::InvalidTrtcKey(app.id));
            }
            if (app.unsigned_chat && !app.tokens.is_empty())
                || (app.unsigned_trtc && !app.trtc_keys.is_empty())
            {
                return Err(ConfigError::UnsignedWithSecret(app.id));
            }
            apps.push(AppEntry {
                id: app.id,
                tokens: app.tokens.iter().map(|t| CallbackToken::new(t)).collect(),
                trtc_keys: app.trtc_keys.iter().map(|k| TrtcKey::new(k)).collect(),
                unsigned_chat: app.unsigned_chat,
                unsigned_trtc: app.unsigned_trtc,
            });
        }
        if !apps
            .iter()
            .any(|a| a.accepts(Scheme::Chat) || a.accepts(Scheme::Trtc))
        {
            return Err(ConfigError::NoSecrets);
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
                callbacks: Arc::new(Callbacks::new(self.max_running_callbacks)),
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
            .app(SdkApp::new(1).token("t"))
            .app(SdkApp::new(1).trtc_key("k"))
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
            .app(SdkApp::new(1).token("t"))
            .trtc_body_limit(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .buffer_budget(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .trtc_freshness_window(Some(Duration::ZERO))
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroDuration);
        let max = WebhookConfig::builder()
            .app(SdkApp::new(1).token("x".repeat(128)))
            .build();
        assert!(max.is_ok());
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .body_limit(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroBodyLimit);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .body_timeout(Some(Duration::ZERO))
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroDuration);
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .callback_deadline(Some(Duration::ZERO))
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
            .app(SdkApp::new(1).token("t"))
            .build()
            .unwrap();
        assert_eq!(c.replay_window(), Duration::from_secs(60));
        assert_eq!(c.body_limit(), 1024 * 1024);
        assert_eq!(c.trtc_body_limit(), 16 * 1024);
        assert_eq!(c.buffer_budget(), 8 * 1024 * 1024);
        assert_eq!(c.buffered_bytes(), 0);
        assert_eq!(c.trtc_freshness_window(), Some(Duration::from_secs(300)));
        assert_eq!(c.body_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(c.callback_deadline(), Some(Duration::from_secs(25)));
        assert_eq!(c.max_running_callbacks(), 1024);
        assert_eq!(c.running_callbacks(), 0);
        assert_eq!(c.detached_callbacks(), 0);
        assert_eq!(c.app_ids().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn secure_by_default() {
        // No secret and no opt-in: nothing could ever be accepted.
        assert_eq!(
            WebhookConfig::builder()
                .app(SdkApp::new(1))
                .build()
                .unwrap_err(),
            ConfigError::NoSecrets
        );
        // A secret of one scheme: that scheme only.
        let chat = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .build()
            .unwrap();
        assert!(chat.accepts(Scheme::Chat));
        assert!(!chat.accepts(Scheme::Trtc));
        let trtc = WebhookConfig::builder()
            .app(SdkApp::new(1).trtc_key("k"))
            .build()
            .unwrap();
        assert!(!trtc.accepts(Scheme::Chat));
        assert!(trtc.accepts(Scheme::Trtc));
        // Unsigned only by name, and never next to a secret of the same scheme.
        let open = WebhookConfig::builder()
            .app(SdkApp::new(1).insecure_accept_unsigned(Scheme::Trtc))
            .build()
            .unwrap();
        assert!(open.accepts(Scheme::Trtc));
        assert!(!open.accepts(Scheme::Chat));
        assert!(format!("{open:?}").contains("trtc unsigned"));
        let both = WebhookConfig::builder()
            .app(
                SdkApp::new(1)
                    .token("t")
                    .insecure_accept_unsigned(Scheme::Trtc),
            )
            .build()
            .unwrap();
        assert!(both.accepts(Scheme::Chat) && both.accepts(Scheme::Trtc));
        for scheme in [Scheme::Chat, Scheme::Trtc] {
            let contradiction = WebhookConfig::builder()
                .app(
                    SdkApp::new(1)
                        .token("t")
                        .trtc_key("k")
                        .insecure_accept_unsigned(scheme),
                )
                .build();
            assert_eq!(
                contradiction.unwrap_err(),
                ConfigError::UnsignedWithSecret(1)
            );
        }
        let zero = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .max_running_callbacks(0)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::ZeroRunningCallbacks);
        let off = WebhookConfig::builder()
            .app(SdkApp::new(1).token("t"))
            .trtc_freshness_window(None)
            .callback_deadline(None)
            .build()
            .unwrap();
        assert_eq!(off.trtc_freshness_window(), None);
        assert_eq!(off.callback_deadline(), None);
    }
}
