//! [`WebhookService`]: the tower `Service` that checks, decodes and answers; its
//! [`WebhookLayer`], the [`CallbackFn`] that turns an async closure into its inner service,
//! and the staged API ([`staged`]: [`WebhookService::admit`], [`Admission::read_body`],
//! [`WebhookService::dispatch`]) with the [`RequestHead`] view that adapters for non-tower
//! frameworks use.

pub(crate) mod callback;
pub(crate) mod future;
mod head;
mod layer;
mod staged;

pub use callback::CallbackFn;
pub use future::ResponseFuture;
pub use head::{HeaderValues, HttpHead, RequestHead};
pub use layer::WebhookLayer;
pub use staged::Admission;

use std::convert::Infallible;
use std::fmt;
use std::task::{Context, Poll};

use futures_util::TryStreamExt;
use http::Request;
use http_body_util::BodyDataStream;
use tower::Service;

use crate::answer::envelope::WebhookResponse;
use crate::pipeline::dispatch::run;
use crate::{IntoAck, Scheme, Webhook, WebhookConfig};

pub use crate::pipeline::dispatch::BoxError;

/// Receives Tencent webhooks of one [`Scheme`]: checks the method, app id, signature and
/// replay window, reads the body under the limit, decodes the event, calls the inner
/// service (your callback) and answers as the scheme requires.
///
/// Build a Chat / TUILiveKit endpoint with [`WebhookService::from_fn`] from an async
/// closure, a TRTC console callback endpoint with [`WebhookService::trtc_from_fn`], or
/// either with [`WebhookLayer`](crate::WebhookLayer) over any `Service<Webhook>`. One
/// configuration and one callback can serve both endpoints (mount each at its own URL).
/// It is a
/// `Service<http::Request<B>>` for any [`http_body::Body`] `B`, with `Error = Infallible`,
/// `Clone + Send + Sync` when the inner service is, and a `Send` future, so axum mounts it
/// with `Router::route_service`. See the crate docs for an example.
#[derive(Clone)]
pub struct WebhookService<S> {
    scheme: Scheme,
    config: WebhookConfig,
    inner: S,
}

impl<S> fmt::Debug for WebhookService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookService")
            .field("scheme", &self.scheme)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<F> WebhookService<CallbackFn<F>> {
    /// A [`Scheme::Chat`] service that calls `callback` for every verified webhook. The
    /// callback returns a future whose output is an [`IntoAck`]: [`Ack`](crate::Ack), `()`, or a
    /// `Result` of those.
    pub fn from_fn(config: WebhookConfig, callback: F) -> Self {
        Self::new(config, CallbackFn::new(callback))
    }

    /// A [`Scheme::Trtc`] service (TRTC console event callbacks) that calls `callback` for
    /// every verified event. The callback is the same kind as for [`from_fn`](Self::from_fn),
    /// so one closure can serve both endpoints.
    pub fn trtc_from_fn(config: WebhookConfig, callback: F) -> Self {
        Self::with_scheme(Scheme::Trtc, config, CallbackFn::new(callback))
    }
}

impl<S> WebhookService<S> {
    /// A [`Scheme::Chat`] service that hands every verified webhook to `inner`.
    pub fn new(config: WebhookConfig, inner: S) -> Self {
        Self::with_scheme(Scheme::Chat, config, inner)
    }

    /// A [`Scheme::Trtc`] service that hands every verified event to `inner`.
    pub fn trtc(config: WebhookConfig, inner: S) -> Self {
        Self::with_scheme(Scheme::Trtc, config, inner)
    }

    /// A service of `scheme` that hands every verified webhook to `inner`.
    ///
    /// An app with no secret of `scheme` gets 401
    /// ([`Rejection::NoSecret`](crate::Rejection::NoSecret)) for every request, unless it
    /// opted in with [`SdkApp::insecure_accept_unsigned`](crate::SdkApp::insecure_accept_unsigned);
    /// each app that did is logged once here at WARN.
    ///
    /// # Panics
    ///
    /// If no app of `config` can be sent a request of `scheme`
    /// ([`WebhookConfig::accepts`] is false): such a service would refuse everything, a
    /// configuration mistake that should stop the program at startup (as axum's router
    /// does for a bad route) rather than show up as 401s. Check `accepts` first to decide
    /// whether to mount the endpoint at all.
    pub fn with_scheme(scheme: Scheme, config: WebhookConfig, inner: S) -> Self {
        config.assert_accepts(scheme);
        for app in &config.inner.apps {
            if app.accepts_unsigned(scheme) {
                tracing::warn!(
                    sdk_app_id = app.id,
                    scheme = scheme.as_str(),
                    "insecure_accept_unsigned: requests for this app are not authenticated"
                );
            }
        }
        Self {
            scheme,
            config,
            inner,
        }
    }

    /// The scheme this service speaks.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The configuration.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }
}

impl<S, B> Service<Request<B>> for WebhookService<S>
where
    S: Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = WebhookResponse;
    type Error = Infallible;
    type Future = ResponseFuture;

    /// Always ready: the inner service is cloned per request and driven to readiness
    /// inside the response future, after the body has been read.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let mut admission = match self.admit_head(&parts) {
            Ok(admission) => admission,
            Err(response) => return ResponseFuture::ready(response),
        };
        let inner = self.inner.clone();
        ResponseFuture::boxed(async move {
            let chunks = BodyDataStream::new(body).map_err(Into::<BoxError>::into);
            match admission.read_body(chunks).await {
                Ok(bytes) => run(inner, &mut admission, bytes).await,
                Err(response) => response,
            }
        })
    }
}

#[cfg(test)]
mod tests;

#[cfg(all(test, feature = "test-util"))]
mod trtc_tests;
