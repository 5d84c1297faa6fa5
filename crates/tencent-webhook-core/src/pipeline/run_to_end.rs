//! [`RunToEnd`]: run an accepted callback inline, and finish it in the background if the
//! request is dropped before it completes.
//!
//! Tencent's sender gives up after 2 s and drops the connection, and the HTTP server then
//! drops the response future. Without this, a callback in the middle of its work would be
//! cancelled at an arbitrary `.await`. Polling inline (instead of spawning a task per
//! request) keeps the common path free of scheduling; only a dropped request pays for a
//! spawn.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tokio::time::Instant;

use crate::pipeline::budget::Charge;
use crate::pipeline::callbacks::Slot;

/// The callback panicked.
#[derive(Debug)]
pub(crate) struct Panicked;

/// A future that is finished on the runtime if dropped before completion, unless
/// [`cancel`](RunToEnd::cancel)led; a remainder finished in the background still stops at
/// the deadline, keeps its callback [`Slot`] (counted as detached) and its body's
/// [`Charge`] until it ends. Its output is `Err(Panicked)` if the future panicked.
pub(crate) struct RunToEnd<F: Future + Send + 'static> {
    future: Option<Pin<Box<F>>>,
    deadline: Option<Instant>,
    /// This callback's place among the running ones, until it has finished.
    slot: Option<Slot>,
    /// The request body's bytes, charged to the budget until the callback has finished.
    charge: Option<Charge>,
}

impl<F: Future + Send + 'static> RunToEnd<F> {
    pub(crate) fn new(
        future: F,
        deadline: Option<Instant>,
        slot: Slot,
        charge: Option<Charge>,
    ) -> Self {
        Self {
            future: Some(Box::pin(future)),
            deadline,
            slot: Some(slot),
            charge,
        }
    }

    /// Drop the future now, without finishing it (the deadline passed).
    pub(crate) fn cancel(mut self) {
        self.future = None;
    }
}

impl<F: Future + Send + 'static> Future for RunToEnd<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(future) = this.future.as_mut() else {
            return Poll::Ready(Err(Panicked));
        };
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                this.future = None;
                Poll::Ready(Ok(output))
            }
            Err(_) => {
                // Never resume a future that panicked, nor finish it on drop.
                this.future = None;
                Poll::Ready(Err(Panicked))
            }
        }
    }
}

impl<F: Future + Send + 'static> Drop for RunToEnd<F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    tracing::debug!(
                        "request dropped mid-callback; finishing the callback in the background"
                    );
                    // A panic there is contained by the task and reported by the panic hook.
                    let finish = AssertUnwindSafe(future).catch_unwind();
                    // Both live as long as the task: the callback's place, now counted
                    // as detached, and the body's bytes in the budget.
                    let mut slot = self.slot.take();
                    if let Some(slot) = slot.as_mut() {
                        slot.detach();
                    }
                    let held = (slot, self.charge.take());
                    match self.deadline {
                        None => runtime.spawn(async move {
                            let _ = finish.await;
                            drop(held);
                        }),
                        Some(deadline) => runtime.spawn(async move {
                            let _ = tokio::time::timeout_at(deadline, finish).await;
                            drop(held);
                        }),
                    };
                }
                Err(_) => tracing::warn!(
                    "request dropped mid-callback outside a runtime; callback cancelled"
                ),
            }
        }
    }
}
