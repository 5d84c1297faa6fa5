//! [`DedupeLayer`]: its settings, and how it wraps a service.

use std::time::Duration;

use tower_layer::Layer;

use super::{Dedupe, DedupeStore};
use crate::FaultPolicy;

/// The default claim lease: longer than Tencent waits for an answer (5 s for TRTC, 2 s for
/// Chat), so that a retry sent while the first copy still runs finds it in progress.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// The default retention of a done event: far beyond TRTC's retry span (retries at once,
/// then every 10 s for a minute).
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(3600);

/// Deduplicates deliveries by their idempotency key in front of any `Service<Webhook>`
/// (the closure of `WebhookService::from_fn`, a per-command router, your own service).
///
/// - first copy: claimed for the `lease`, the inner service runs; on success the key is
///   *done* for the `retention`; on failure (an `Ack::fail`, an error, a panic, or the
///   callback cancelled at its deadline) the claim is released so that a retry runs it;
/// - copy of a done event: `Ack::ok()` without calling the inner service;
/// - copy of an event still in progress: `Ack::fail(`[`codes::IN_PROGRESS`](crate::codes::IN_PROGRESS)`, …)`,
///   which TRTC answers by retrying later;
/// - store unreachable or slower than its timeout: the scheme's [`FaultPolicy`];
/// - a before-webhook (`hook.event.kind().is_before_webhook()`: a gift or a message about
///   to be sent, whose answer Tencent waits for): passed through without dedupe, so that
///   every copy gets your decision, not a bare OK.
///
/// ```
/// use std::convert::Infallible;
/// use tencent_webhook_core::{Ack, SdkApp, Webhook, WebhookConfig, WebhookLayer};
/// use tencent_webhook_redis::{DedupeLayer, MemoryStore};
/// use tower::{ServiceBuilder, service_fn};
///
/// let config = WebhookConfig::builder().app(SdkApp::new(1400000000).trtc_key("key")).build().unwrap();
/// let service = ServiceBuilder::new()
///     .layer(WebhookLayer::trtc(config))
///     .layer(DedupeLayer::new(MemoryStore::default()))
///     .service(service_fn(|hook: Webhook| async move {
///         println!("{}", hook.context.idempotency_key());
///         Ok::<_, Infallible>(Ack::ok())
///     }));
/// # let _ = service;
/// ```
///
/// The claim is exclusive only for its lease, so a callback still running when the lease
/// ends is cancelled there, its claim released and the copy answered
/// `Ack::fail(`[`codes::LEASE_EXPIRED`](crate::codes::LEASE_EXPIRED)`)` (TRTC retries it):
/// a retry never runs beside it. Keep callbacks (and `callback_deadline`) well under the
/// lease.
#[derive(Debug, Clone)]
pub struct DedupeLayer<St> {
    pub(crate) store: St,
    pub(crate) lease: Duration,
    pub(crate) retention: Duration,
    pub(crate) policy: FaultPolicy,
}

impl<St: DedupeStore> DedupeLayer<St> {
    /// Dedupe through `store` with [`DEFAULT_LEASE`], [`DEFAULT_RETENTION`] and the default
    /// [`FaultPolicy`].
    pub fn new(store: St) -> Self {
        Self {
            store,
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            policy: FaultPolicy::default(),
        }
    }

    /// How long a claim lasts while the callback runs (default 30 s).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a done event is remembered (default 1 h). Keep it at least as long as
    /// Tencent's retry span (TRTC: one minute).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// What to answer when the store cannot be asked.
    pub fn on_store_error(mut self, policy: FaultPolicy) -> Self {
        self.policy = policy;
        self
    }
}

impl<S, St: DedupeStore> Layer<S> for DedupeLayer<St> {
    type Service = Dedupe<S, St>;

    fn layer(&self, inner: S) -> Self::Service {
        Dedupe {
            inner,
            settings: self.clone(),
        }
    }
}
