//! [`WebhookService`]: the tower `Service` that checks, decodes and answers, and the
//! staged API ([`WebhookService::admit`], [`Admission::read_body`],
//! [`WebhookService::dispatch`]) that adapters for non-tower frameworks use.

use std::convert::Infallible;
use std::fmt::{self, Display};
use std::future::Future;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use futures_util::{Stream, TryStreamExt};
use http::{HeaderMap, Method, Request, Uri, header};
use http_body_util::BodyDataStream;
use tower::Service;
use tower::ServiceExt;
use tracing::{Instrument, Level, Span, field};

use crate::callback::CallbackFn;
use crate::envelope::{self, WebhookResponse};
use crate::future::ResponseFuture;
use crate::query::CallbackQuery;
use crate::run_to_end::{Panicked, RunToEnd};
use crate::{
    Ack, IntoAck, OptPlatform, Rejection, Webhook, WebhookConfig, WebhookContext, event, signature,
};

/// Boxed error of an inner service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Receives Tencent webhooks: checks the method, query, `SdkAppid`, signature and replay
/// window, reads the body under the limit, decodes the event, calls the inner service
/// (your callback) and answers with the envelope.
///
/// Build it with [`WebhookService::from_fn`] from an async closure, or with
/// [`WebhookLayer`](crate::WebhookLayer) over any `Service<Webhook>`. It is a
/// `Service<http::Request<B>>` for any [`http_body::Body`] `B`, with `Error = Infallible`,
/// `Clone + Send + Sync` when the inner service is, and a `Send` future, so axum mounts it
/// with `Router::route_service`. See the crate docs for an example.
#[derive(Clone)]
pub struct WebhookService<S> {
    config: WebhookConfig,
    inner: S,
}

impl<S> fmt::Debug for WebhookService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<F> WebhookService<CallbackFn<F>> {
    /// A service that calls `callback` for every verified webhook. The callback returns a
    /// future whose output is an [`IntoAck`]: [`Ack`], `()`, or a `Result` of those.
    pub fn from_fn(config: WebhookConfig, callback: F) -> Self {
        Self::new(config, CallbackFn::new(callback))
    }
}

impl<S> WebhookService<S> {
    /// A service that hands every verified webhook to `inner`.
    pub fn new(config: WebhookConfig, inner: S) -> Self {
        Self { config, inner }
    }

    /// The configuration.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Stage 1 of 3, for adapters: check everything that does not need the body (method,
    /// query, `contenttype`, `SdkAppid`, signature and replay window, `Content-Length`).
    /// On failure the finished FAIL response is returned (and logged).
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
        let span = tracing::info_span!(
            "tencent_webhook",
            sdk_app_id = field::Empty,
            command = field::Empty,
            outcome = field::Empty,
            status = field::Empty,
            latency_us = field::Empty,
        );
        // No clock read when nobody listens to the span.
        let started = (!span.is_disabled()).then(Instant::now);
        let trace = Trace { span, started };
        match self.check(method, uri, headers, &trace.span) {
            Ok(admitted) => Ok(Admission {
                admitted,
                body_limit: self.config.body_limit(),
                body_timeout: self.config.body_timeout(),
                trace,
            }),
            Err(rejection) => Err(trace.reject(rejection)),
        }
    }

    fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        span: &Span,
    ) -> Result<Admitted, Rejection> {
        if method != Method::POST {
            return Err(Rejection::MethodNotAllowed);
        }
        let query = CallbackQuery::parse(uri.query().unwrap_or(""))?;
        let app_id = query
            .sdk_app_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or(Rejection::MissingParameter("SdkAppid"))?;
        let app_id: u64 = app_id
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| app_id.parse().ok())
            .flatten()
            .ok_or(Rejection::MalformedParameter("SdkAppid"))?;
        span.record("sdk_app_id", app_id);
        let command = query
            .command
            .filter(|s| !s.is_empty())
            .ok_or(Rejection::MissingParameter("CallbackCommand"))?;
        // Attacker-controlled before the app check: escaped (Debug) and cut short.
        span.record("command", field::debug(truncated(&command, 128)));
        if let Some(ct) = query.content_type.as_deref()
            && !ct.eq_ignore_ascii_case("json")
        {
            return Err(Rejection::UnsupportedContentType);
        }
        let app = self.config.app(app_id).ok_or(Rejection::UnknownApp)?;
        let request_time = if app.tokens.is_empty() {
            None
        } else {
            let (Some(sign), Some(time)) = (query.sign.as_deref(), query.request_time.as_deref())
            else {
                return Err(Rejection::MissingSignature);
            };
            let now = self.config.now();
            Some(signature::verify(
                &app.tokens,
                sign,
                time,
                now,
                self.config.replay_window(),
            )?)
        };
        if let Some(len) = headers.get(header::CONTENT_LENGTH)
            && len
                .to_str()
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|n| n > self.config.body_limit() as u64)
        {
            return Err(Rejection::BodyTooLarge);
        }
        Ok(Admitted {
            sdk_app_id: app_id,
            command: command.into_owned(),
            client_ip: query.client_ip.map(|c| c.into_owned()),
            platform: query.opt_platform.as_deref().map(OptPlatform::parse),
            request_time,
        })
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
        let admission = match self.admit(method, uri, headers) {
            Ok(admission) => admission,
            Err(response) => return response,
        };
        match admission.read_body(body).await {
            Ok(bytes) => self.dispatch(admission, bytes).await,
            Err(response) => response,
        }
    }

    /// Stage 3 of 3, for adapters: decode the body, call the inner service and answer.
    pub fn dispatch(
        &self,
        admission: Admission,
        body: Bytes,
    ) -> impl Future<Output = WebhookResponse> + Send + 'static {
        run(
            self.inner.clone(),
            self.config.callback_deadline(),
            admission,
            body,
        )
    }
}

async fn run<S>(
    inner: S,
    deadline: Option<Duration>,
    admission: Admission,
    body: Bytes,
) -> WebhookResponse
where
    S: Service<Webhook> + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    let Admission {
        admitted, trace, ..
    } = admission;
    let event = match event::parse(&admitted.command, &body) {
        Ok(event) => event,
        Err(rejection) => return trace.reject(rejection),
    };
    let webhook = Webhook {
        context: WebhookContext {
            sdk_app_id: admitted.sdk_app_id,
            command: admitted.command,
            client_ip: admitted.client_ip,
            platform: admitted.platform,
            request_time: admitted.request_time,
            raw_body: body,
        },
        event,
    };
    // Once an event is accepted it is processed to the end, even if the sender hangs up
    // and this future is dropped; only the deadline cancels the callback.
    let call = async move {
        match inner.oneshot(webhook).await {
            Ok(answer) => Ok(answer.into_ack()),
            Err(error) => Err(Into::<BoxError>::into(error)),
        }
    };
    let deadline = deadline.map(|d| tokio::time::Instant::now() + d);
    let mut call = RunToEnd::new(call.instrument(trace.span.clone()), deadline);
    let outcome = match deadline {
        None => (&mut call).await,
        Some(deadline) => match tokio::time::timeout_at(deadline, &mut call).await {
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
            tracing::event!(parent: &trace.span, Level::ERROR, error = %error, "inner service failed");
            trace.reject(Rejection::CallbackError)
        }
        Err(Panicked) => trace.reject(Rejection::CallbackPanicked),
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A request that passed every check that does not need the body. Read the body with
/// [`Admission::read_body`], then hand both to [`WebhookService::dispatch`].
#[must_use = "an admission must be answered: read_body, then dispatch"]
pub struct Admission {
    admitted: Admitted,
    body_limit: usize,
    body_timeout: Option<Duration>,
    trace: Trace,
}

impl fmt::Debug for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("sdk_app_id", &self.admitted.sdk_app_id)
            .field("command", &self.admitted.command)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

struct Admitted {
    sdk_app_id: u64,
    command: String,
    client_ip: Option<String>,
    platform: Option<OptPlatform>,
    request_time: Option<u64>,
}

impl Admission {
    /// The largest body to read, in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Stage 2 of 3, for adapters: read the body from a stream of chunks under the body
    /// limit and timeout. On failure the finished FAIL response (413, 408 or 400).
    pub async fn read_body<St, D, E>(&self, body: St) -> Result<Bytes, WebhookResponse>
    where
        St: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Display,
    {
        let read = crate::body::collect_limited(body, self.body_limit);
        let result = match self.body_timeout {
            None => read.await,
            Some(t) => tokio::time::timeout(t, read)
                .await
                .unwrap_or(Err(Rejection::BodyTimeout)),
        };
        result.map_err(|rejection| self.trace.reject(rejection))
    }

    /// Answer with a rejection instead of dispatching, e.g. when the framework itself
    /// reports that the body was too large.
    pub fn reject(self, rejection: Rejection) -> WebhookResponse {
        self.trace.reject(rejection)
    }
}

/// The span of one request and its start time: every answer goes through here, so every
/// request gets one log line with its outcome and latency.
struct Trace {
    span: Span,
    started: Option<Instant>,
}

impl Trace {
    fn finish(&self, outcome: &'static str, status: u16) {
        let Some(started) = self.started else {
            return;
        };
        let latency = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.span.record("outcome", outcome);
        self.span.record("status", status);
        self.span.record("latency_us", latency);
    }

    fn answer(&self, ack: &Ack) -> WebhookResponse {
        let response = envelope::ack_response(ack);
        if ack.is_ok() {
            self.finish("ok", 200);
            tracing::event!(parent: &self.span, Level::DEBUG, "webhook delivered");
        } else {
            self.finish("fail", 200);
            tracing::event!(
                parent: &self.span,
                Level::INFO,
                error_code = ack.error_code(),
                "webhook delivered, callback answered FAIL"
            );
        }
        response
    }

    fn reject(&self, rejection: Rejection) -> WebhookResponse {
        let status = rejection.status().as_u16();
        self.finish("rejected", status);
        if status >= 500 {
            tracing::event!(parent: &self.span, Level::ERROR, error_code = rejection.error_code(), reason = %rejection, "webhook failed");
        } else {
            tracing::event!(parent: &self.span, Level::WARN, error_code = rejection.error_code(), reason = %rejection, "webhook rejected");
        }
        envelope::rejection_response(rejection)
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
        let admission = match self.admit(&parts.method, &parts.uri, &parts.headers) {
            Ok(admission) => admission,
            Err(response) => return ResponseFuture::ready(response),
        };
        let inner = self.inner.clone();
        let deadline = self.config.callback_deadline();
        ResponseFuture::boxed(async move {
            let chunks = BodyDataStream::new(body).map_err(Into::<BoxError>::into);
            match admission.read_body(chunks).await {
                Ok(bytes) => run(inner, deadline, admission, bytes).await,
                Err(response) => response,
            }
        })
    }
}

#[cfg(test)]
mod tests;
