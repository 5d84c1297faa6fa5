//! [`WebhookLayer`]: the verification in front of any `Service<Webhook>`.

use tower::Layer;

use crate::{Scheme, WebhookConfig, WebhookService};

/// Puts webhook verification, decoding and the envelope in front of an inner
/// `Service<Webhook>`, so tower middleware (rate limits, concurrency limits, metrics) can
/// sit between verification and your code.
///
/// ```
/// use std::convert::Infallible;
/// use tencent_webhook_core::{Ack, SdkApp, Webhook, WebhookConfig, WebhookLayer};
/// use tower::{ServiceBuilder, service_fn};
///
/// let config = WebhookConfig::builder().app(SdkApp::new(1400000000).token("t")).build().unwrap();
/// let service = ServiceBuilder::new()
///     .layer(WebhookLayer::new(config))
///     .concurrency_limit(64)
///     .service(service_fn(|hook: Webhook| async move {
///         println!("{}", hook.context.command);
///         Ok::<_, Infallible>(Ack::ok())
///     }));
/// # let _ = service;
/// ```
#[derive(Debug, Clone)]
pub struct WebhookLayer {
    scheme: Scheme,
    config: WebhookConfig,
}

impl WebhookLayer {
    /// A [`Scheme::Chat`] layer with this configuration.
    pub fn new(config: WebhookConfig) -> Self {
        Self::with_scheme(Scheme::Chat, config)
    }

    /// A [`Scheme::Trtc`] layer (TRTC console event callbacks) with this configuration.
    pub fn trtc(config: WebhookConfig) -> Self {
        Self::with_scheme(Scheme::Trtc, config)
    }

    /// A layer of `scheme` with this configuration.
    ///
    /// # Panics
    ///
    /// If no app of `config` can be sent a request of `scheme`
    /// ([`WebhookConfig::accepts`] is false), as
    /// [`WebhookService::with_scheme`] does: a layer that would refuse everything is a
    /// configuration mistake, found at startup.
    pub fn with_scheme(scheme: Scheme, config: WebhookConfig) -> Self {
        config.assert_accepts(scheme);
        Self { scheme, config }
    }
}

impl<S> Layer<S> for WebhookLayer {
    type Service = WebhookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService::with_scheme(self.scheme, self.config.clone(), inner)
    }
}
