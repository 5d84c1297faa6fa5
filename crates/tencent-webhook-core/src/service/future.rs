//! [`ResponseFuture`] of [`WebhookService`](crate::WebhookService).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::WebhookResponse;

/// The response future of [`WebhookService`](crate::WebhookService): ready at once for
/// requests refused before the body is read (no allocation), boxed otherwise.
pub struct ResponseFuture {
    state: State,
}

enum State {
    Ready(Option<WebhookResponse>),
    Pending(Pin<Box<dyn Future<Output = WebhookResponse> + Send>>),
}

impl ResponseFuture {
    pub(crate) fn ready(response: WebhookResponse) -> Self {
        Self {
            state: State::Ready(Some(response)),
        }
    }

    pub(crate) fn boxed(future: impl Future<Output = WebhookResponse> + Send + 'static) -> Self {
        Self {
            state: State::Pending(Box::pin(future)),
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<WebhookResponse, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            State::Ready(response) => Poll::Ready(Ok(response
                .take()
                .expect("ResponseFuture polled after completion"))),
            State::Pending(future) => future.as_mut().poll(cx).map(Ok),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFuture")
    }
}
