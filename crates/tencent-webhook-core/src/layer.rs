//! [`WebhookLayer`]: the verification in front of any `Service<Webhook>`.

use tower::Layer;

use crate::{WebhookConfig, WebhookService};

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
    config: WebhookConfig,
}

impl WebhookLayer {
    /// A layer with this configuration.
    pub fn new(config: WebhookConfig) -> Self {
        Self { config }
    }
}

impl<S> Layer<S> for WebhookLayer {
    type Service = WebhookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService::new(self.config.clone(), inner)
    }
}
