//! [`CallbackFn`]: an async closure as the inner service.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::Map;
use tower::Service;

use crate::{Ack, IntoAck, Webhook};

/// The inner service made from a callback closure by
/// [`WebhookService::from_fn`](crate::WebhookService::from_fn). Capture shared state in
/// the closure (an `Arc`, a channel sender, a database pool).
pub struct CallbackFn<F> {
    f: Arc<F>,
}

impl<F> CallbackFn<F> {
    /// Wrap a closure `Fn(Webhook) -> impl Future<Output = impl IntoAck>`.
    pub fn new(f: F) -> Self {
        Self { f: Arc::new(f) }
    }
}

impl<F> Clone for CallbackFn<F> {
    fn clone(&self) -> Self {
        Self {
            f: Arc::clone(&self.f),
        }
    }
}

impl<F> fmt::Debug for CallbackFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackFn")
    }
}

type IntoResult<O> = fn(O) -> Result<Ack, Infallible>;

fn into_result<O: IntoAck>(output: O) -> Result<Ack, Infallible> {
    Ok(output.into_ack())
}

impl<F, Fut> Service<Webhook> for CallbackFn<F>
where
    F: Fn(Webhook) -> Fut,
    Fut: Future,
    Fut::Output: IntoAck,
{
    type Response = Ack;
    type Error = Infallible;
    type Future = Map<Fut, IntoResult<Fut::Output>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, webhook: Webhook) -> Self::Future {
        (self.f)(webhook).map(into_result::<Fut::Output> as IntoResult<Fut::Output>)
    }
}
