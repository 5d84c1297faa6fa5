//! The staged API for adapters whose framework is not tower-based: [`WebhookService::admit`]
//! (everything that does not need the body), [`Admission::read_body`] (the body under its
//! limits) and [`WebhookService::dispatch`] (verify, decode, call, answer), or
//! [`WebhookService::handle`] for all three.

use std::fmt::{self, Display};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures_util::Stream;
use http::{HeaderMap, Method, Uri};
use tower::Service;

use super::{BoxError, HttpHead, RequestHead, WebhookService};
use crate::answer::envelope::WebhookResponse;
use crate::pipeline::budget::Charge;
use crate::pipeline::callbacks::Callbacks;
use crate::pipeline::dispatch::run;
use crate::pipeline::trace::Trace;
use crate::scheme::{self, Admitted};
use crate::{IntoAck, Rejection, Scheme, Webhook, WebhookConfig};

impl<S> WebhookService<S> {
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
            Err(rejection) => Err(crate::answer::envelope::closing(trace.reject(rejection))),
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

/// A request that passed every check that does not need the body. Read the body with
/// [`Admission::read_body`], then hand both to [`WebhookService::dispatch`].
#[must_use = "an admission must be answered: read_body, then dispatch"]
pub struct Admission {
    pub(crate) admitted: Admitted,
    pub(crate) body_limit: usize,
    pub(crate) body_timeout: Option<Duration>,
    pub(crate) callback_deadline: Option<Duration>,
    /// TRTC with a freshness window: the configuration that checks `CallbackTs`.
    pub(crate) freshness: Option<WebhookConfig>,
    /// The body's bytes, charged to the buffer budget until its callback has finished.
    pub(crate) charge: Option<Charge>,
    /// The running callbacks, which this one joins if there is room.
    pub(crate) callbacks: Arc<Callbacks>,
    pub(crate) trace: Trace,
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
            let mut read = std::pin::pin!(crate::pipeline::body::collect_limited(
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
        result.map_err(|rejection| crate::answer::envelope::closing(self.trace.reject(rejection)))
    }

    /// Answer with a rejection instead of dispatching, e.g. when the framework itself
    /// reports that the body was too large.
    pub fn reject(self, rejection: Rejection) -> WebhookResponse {
        self.trace.reject(rejection)
    }
}
