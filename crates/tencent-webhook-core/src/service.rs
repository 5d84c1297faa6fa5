//! [`WebhookService`]: the tower `Service` that checks, decodes and answers, and the
//! staged API ([`WebhookService::admit`], [`Admission::read_body`],
//! [`WebhookService::dispatch`]) that adapters for non-tower frameworks use.

use std::convert::Infallible;
use std::fmt::{self, Display};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_util::{FutureExt, Stream, TryStreamExt};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::BodyDataStream;
use tower::Service;
use tower::ServiceExt;
use tracing::Instrument;

use crate::budget::Charge;
use crate::callback::CallbackFn;
use crate::callbacks::Callbacks;
use crate::envelope::WebhookResponse;
use crate::future::ResponseFuture;
use crate::run_to_end::{Panicked, RunToEnd};
use crate::scheme::{self, Admitted};
use crate::trace::Trace;
use crate::{
    HttpHead, IntoAck, Rejection, RequestHead, Scheme, Webhook, WebhookConfig, WebhookContext,
};

/// Boxed error of an inner service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
        assert!(
            config.accepts(scheme),
            "no SdkApp has a {} secret (SdkApp::{}) or accepts unsigned {} requests \
             (SdkApp::insecure_accept_unsigned): this endpoint would refuse every request",
            scheme.as_str(),
            match scheme {
                Scheme::Chat => "token",
                Scheme::Trtc => "trtc_key",
            },
            scheme.as_str(),
        );
        for app in &config.inner.apps {
            let unsigned = match scheme {
                Scheme::Chat => app.tokens.is_empty() && app.unsigned_chat,
                Scheme::Trtc => app.trtc_keys.is_empty() && app.unsigned_trtc,
            };
            if unsigned {
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

    /// Stage 1 of 3, for adapters: check everything that does not need the body (method,
    /// app id, for Chat the query, `contenttype`, signature and replay window, for TRTC the
    /// `SdkAppId` and `Sign` headers and the buffer budget, then `Content-Length`). On
    /// failure the finished response is returned (and logged). The same as
    /// [`admit_head`](Self::admit_head) over `http` 1 parts.
    #[allow(
        clippy::result_large_err,
        reason = "the response is the answer itself, moved once; boxing it would allocate"
    )]
    pub fn admit(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Admission, WebhookResponse> {
        self.admit_head(&HttpHead {
            method,
            uri,
            headers,
        })
    }

    /// [`admit`](Self::admit) over any [`RequestHead`]: what an adapter calls with a view
    /// of its framework's own request, so that only the method, the query and the few
    /// headers the scheme reads are looked at, and nothing is converted or copied.
    #[allow(
        clippy::result_large_err,
        reason = "the response is the answer itself, moved once; boxing it would allocate"
    )]
    pub fn admit_head(&self, head: &impl RequestHead) -> Result<Admission, WebhookResponse> {
        let mut trace = Trace::start(self.scheme, self.config.span_level());
        match scheme::admit(self.scheme, &self.config, head, &mut trace) {
            Ok(admitted) => Ok(Admission {
                // Every body counts against the shared budget from its first byte until
                // its callback has finished.
                charge: Some(Charge::new(self.config.inner.buffer_budget.clone())),
                callbacks: self.config.inner.callbacks.clone(),
                // Only a TRTC service with a freshness window reads the configuration
                // after the body: the others carry no reference to it.
                freshness: (self.scheme == Scheme::Trtc
                    && self.config.trtc_freshness_window().is_some())
                .then(|| self.config.clone()),
                admitted,
                body_limit: self.scheme.body_limit(&self.config),
                body_timeout: self.config.body_timeout(),
                callback_deadline: self.config.callback_deadline(),
                trace,
            }),
            // Refused before its body was read: closing the connection drops the rest.
            Err(rejection) if rejection == Rejection::MethodNotAllowed => {
                Err(trace.reject(rejection))
            }
            Err(rejection) => Err(crate::envelope::closing(trace.reject(rejection))),
        }
    }
}
impl<S> WebhookService<S>
where
    S: Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    /// The three stages in one call, for adapters whose framework hands over the request
    /// head and the body as a stream of chunks (the body is only read if the request
    /// passes [`admit`](Self::admit)). The future is `Send` when the stream is.
    pub async fn handle<St, D, E>(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: St,
    ) -> WebhookResponse
    where
        St: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Display,
    {
        let head = HttpHead {
            method,
            uri,
            headers,
        };
        self.handle_head(&head, body).await
    }

    /// [`handle`](Self::handle) over any [`RequestHead`] (see
    /// [`admit_head`](Self::admit_head)). The head is only read before the body.
    pub async fn handle_head<H, St, D, E>(&self, head: &H, body: St) -> WebhookResponse
    where
        H: RequestHead,
        St: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Display,
    {
        let mut admission = match self.admit_head(head) {
            Ok(admission) => admission,
            Err(response) => return response,
        };
        match admission.read_body(body).await {
            Ok(bytes) => run(self.inner.clone(), &mut admission, bytes).await,
            Err(response) => response,
        }
    }

    /// Stage 3 of 3, for adapters: verify the body where the scheme signs it (TRTC), decode
    /// it, call the inner service and answer.
    pub fn dispatch(
        &self,
        admission: Admission,
        body: Bytes,
    ) -> impl Future<Output = WebhookResponse> + Send + 'static {
        let inner = self.inner.clone();
        let mut admission = admission;
        async move { run(inner, &mut admission, body).await }
    }
}

/// Stage 3: verify, decode, call and answer. The admission is borrowed, not moved: an
/// `async fn` keeps a slot for each value moved into it and for each local it is moved to,
/// so moving it (and the webhook) through the futures made the per-request future several
/// times its contents. Here only the trace and the boxed callback live across the await.
async fn run<S>(inner: S, admission: &mut Admission, body: Bytes) -> WebhookResponse
where
    S: Service<Webhook> + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    let trace = &mut admission.trace;
    // The webhook and its decoding live in this block only, so that they take no room in
    // the future across the await below.
    let (mut call, deadline) = {
        let decoded = decode(
            admission.freshness.as_ref(),
            std::mem::take(&mut admission.admitted),
            body,
            admission.charge.as_mut(),
            trace,
        );
        let webhook = match decoded {
            Ok(webhook) => webhook,
            Err(rejection) => {
                admission.charge = None;
                return trace.reject(rejection);
            }
        };
        // The cap is checked before the body is read; the last place may have gone since.
        let Some(slot) = admission.callbacks.take() else {
            admission.charge = None;
            return trace.reject(Rejection::TooManyCallbacks);
        };
        if crate::trace::lines_enabled() {
            // A failure after the hand-over is logged with the command, and the webhook
            // is the callback's from here on.
            trace.note_command(&webhook.context.command, false);
        }
        // Once an event is accepted it is processed to the end, even if the sender hangs
        // up and this future is dropped; only the deadline cancels the callback. The
        // webhook is moved once, into the callback's box.
        let deadline = admission
            .callback_deadline
            .map(|d| tokio::time::Instant::now() + d);
        // The answer's conversions run inside too: a panic there is the callback's.
        let call = RunToEnd::new(
            inner
                .oneshot(webhook)
                .map(|answer| match answer {
                    Ok(answer) => Ok(answer.into_ack()),
                    Err(error) => Err(Into::<BoxError>::into(error)),
                })
                .instrument(trace.span().clone()),
            deadline,
            slot,
            // The body stays in memory (in the webhook) until the callback is done.
            admission.charge.take(),
        );
        (call, deadline)
    };
    let outcome = match deadline {
        None => (&mut call).await,
        // Boxed: a timer only where a deadline is configured, outside this future.
        Some(deadline) => match Box::pin(tokio::time::timeout_at(deadline, &mut call)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                call.cancel();
                return trace.reject(Rejection::CallbackTimeout);
            }
        },
    };
    match outcome {
        Ok(Ok(ack)) => trace.answer(&ack),
        Ok(Err(error)) => {
            trace.inner_error(&error);
            trace.reject(Rejection::CallbackError)
        }
        Err(Panicked) => trace.reject(Rejection::CallbackPanicked),
    }
}

/// Verify (where the scheme signs the body) and decode a body into the webhook the
/// callback receives. Every body passes here, however it was read: `dispatch` cannot
/// deliver a TRTC body whose `Sign` does not match.
fn decode(
    freshness: Option<&WebhookConfig>,
    admitted: Admitted,
    body: Bytes,
    charge: Option<&mut Charge>,
    trace: &mut Trace,
) -> Result<Webhook, Rejection> {
    let scheme = trace.scheme();
    if let Some(signed) = &admitted.signed_body {
        signed.verify(&body)?;
    }
    let mut context = WebhookContext::new(
        scheme,
        admitted.sdk_app_id,
        admitted.command.unwrap_or_default(),
        body,
    );
    context.client_ip = admitted.client_ip;
    context.platform = admitted.platform;
    context.request_time = admitted.request_time;
    #[allow(
        clippy::result_large_err,
        reason = "the context is handed back, not copied, and only on a refusal"
    )]
    let (decoded, trees) = crate::event::count_trees(|| Webhook::decode_with_callback_ts(context));
    // A JSON tree the event keeps is held until the callback ends, like the body.
    if let Some(charge) = charge {
        charge.force_add(trees);
    }
    let (webhook, callback_ts) = match decoded {
        Ok(decoded) => decoded,
        Err((rejection, context)) => {
            trace.note_command(&context.command, false);
            return Err(rejection);
        }
    };
    if scheme == Scheme::Trtc {
        trace.note_command(&webhook.context.command, true);
        if let Some(config) = freshness
            && let Err(rejection) = scheme::check_freshness(config, callback_ts)
        {
            trace.note_command(&webhook.context.command, false);
            return Err(rejection);
        }
    }
    Ok(webhook)
}

/// A request that passed every check that does not need the body. Read the body with
/// [`Admission::read_body`], then hand both to [`WebhookService::dispatch`].
#[must_use = "an admission must be answered: read_body, then dispatch"]
pub struct Admission {
    admitted: Admitted,
    body_limit: usize,
    body_timeout: Option<Duration>,
    callback_deadline: Option<Duration>,
    /// TRTC with a freshness window: the configuration that checks `CallbackTs`.
    freshness: Option<WebhookConfig>,
    /// The body's bytes, charged to the buffer budget until its callback has finished.
    charge: Option<Charge>,
    /// The running callbacks, which this one joins if there is room.
    callbacks: Arc<Callbacks>,
    trace: Trace,
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("scheme", &self.trace.scheme())
            .field("sdk_app_id", &self.admitted.sdk_app_id)
            .field("command", &self.admitted.command)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl Admission {
    /// The largest body to read, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Stage 2 of 3, for adapters: read the body from a stream of chunks under the body
    /// limit, the timeout and the buffer budget. On failure the finished response (413,
    /// 408, 400 or 503). A scheme that signs the body (TRTC) verifies it
    /// in [`WebhookService::dispatch`], whatever the bytes handed there.
    pub async fn read_body<St, D, E>(&mut self, body: St) -> Result<Bytes, WebhookResponse>
    where
        St: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Display,
    {
        let result = {
            let mut read = std::pin::pin!(crate::body::collect_limited(
                body,
                self.body_limit,
                self.charge.as_mut()
            ));
            match self.body_timeout {
                None => read.await,
                Some(t) => {
                    // Most bodies have arrived with the head: a timer is set up only for
                    // one that has not (the time limit counts from this first look).
                    match std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await {
                        Poll::Ready(result) => result,
                        // Boxed: the timer stays out of the request's future.
                        Poll::Pending => Box::pin(tokio::time::timeout(t, read))
                            .await
                            .unwrap_or(Err(Rejection::BodyTimeout)),
                    }
                }
            }
        };
        if result.is_err() {
            // Refused: these bytes are dropped now. A body read in full stays charged to
            // the budget until its callback has finished.
            self.charge = None;
            if let Some(command) = &self.admitted.command {
                self.trace.note_command(command, false);
            }
        }
        // Refused before the body was read in full: closing the connection drops the rest.
        result.map_err(|rejection| crate::envelope::closing(self.trace.reject(rejection)))
    }

    /// Answer with a rejection instead of dispatching, e.g. when the framework itself
    /// reports that the body was too large.
    pub fn reject(self, rejection: Rejection) -> WebhookResponse {
        self.trace.reject(rejection)
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
