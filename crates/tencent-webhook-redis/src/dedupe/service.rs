//! [`Dedupe`]: the service made by [`DedupeLayer`](super::DedupeLayer).

use std::panic::{AssertUnwindSafe, resume_unwind};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tencent_webhook_core::{Ack, BoxError, IntoAck, Webhook};
use tower_service::Service;

use super::{Claim, DedupeLayer, DedupeStore};
use crate::{OnStoreError, codes, token::claim_token};

/// Deduplicates deliveries in front of `S`; see [`DedupeLayer`].
#[derive(Debug, Clone)]
pub struct Dedupe<S, St> {
    pub(super) inner: S,
    pub(super) settings: DedupeLayer<St>,
}

impl<S, St> Service<Webhook> for Dedupe<S, St>
where
    S: Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
    St: DedupeStore,
{
    type Response = Ack;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Ack, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, hook: Webhook) -> Self::Future {
        // The readied instance goes into the future; a fresh clone stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let settings = self.settings.clone();
        Box::pin(async move {
            if hook.event.kind().is_before_webhook() {
                // Tencent waits for this answer to decide (a gift, a message): a retry must
                // get the same decision, not a bare OK, so it is asked again.
                return inner
                    .call(hook)
                    .await
                    .map(IntoAck::into_ack)
                    .map_err(Into::into);
            }
            let key = hook.context.idempotency_key().as_str().to_owned();
            let token = claim_token();
            let store = &settings.store;
            match store.claim(&key, &token, settings.lease).await {
                Ok(Claim::Claimed) => {}
                Ok(Claim::Done) => {
                    tracing::debug!(%key, "duplicate of a processed event: acknowledged");
                    return Ok(Ack::ok());
                }
                Ok(Claim::InProgress) => {
                    tracing::debug!(%key, "duplicate of an event in progress: retry later");
                    return Ok(Ack::fail(
                        codes::IN_PROGRESS,
                        "this event is being processed; retry later",
                    ));
                }
                Err(e) => {
                    let choice = settings.policy.for_scheme(hook.context.scheme);
                    tracing::warn!(%key, error = %e, ?choice, "dedupe store unavailable");
                    return match choice {
                        OnStoreError::DeliverWithoutDedupe => inner
                            .call(hook)
                            .await
                            .map(IntoAck::into_ack)
                            .map_err(Into::into),
                        _ => Ok(Ack::fail(
                            codes::STORE_UNAVAILABLE,
                            "dedupe store unavailable; retry later",
                        )),
                    };
                }
            }
            let claim = Release {
                store: Some(store.clone()),
                key,
                token,
            };
            // The claim is only exclusive for its lease: past it a retry could claim the
            // key and run beside this call, so the call ends there.
            let call = AssertUnwindSafe(inner.call(hook)).catch_unwind();
            let Ok(outcome) = tokio::time::timeout(settings.lease, call).await else {
                tracing::warn!(key = %claim.key, "callback outlived its dedupe lease: cancelled");
                claim.release().await;
                return Ok(Ack::fail(
                    codes::LEASE_EXPIRED,
                    "callback outlived its lease; retry later",
                ));
            };
            let outcome = outcome.map(|r| r.map(IntoAck::into_ack).map_err(Into::<BoxError>::into));
            match outcome {
                Ok(Ok(ack)) => {
                    if ack.is_ok() {
                        claim.complete(settings.retention).await;
                    } else {
                        claim.release().await;
                    }
                    Ok(ack)
                }
                Ok(Err(e)) => {
                    claim.release().await;
                    Err(e)
                }
                Err(panic) => {
                    claim.release().await;
                    resume_unwind(panic)
                }
            }
        })
    }
}

/// A held claim. Dropped without [`complete`](Self::complete) or [`release`](Self::release)
/// (the request's future was cancelled), it releases the claim in the background.
struct Release<St: DedupeStore> {
    store: Option<St>,
    key: String,
    token: String,
}

impl<St: DedupeStore> Release<St> {
    async fn complete(mut self, retention: std::time::Duration) {
        if let Some(store) = self.store.take()
            && let Err(e) = store.complete(&self.key, retention).await
        {
            // The claim expires after its lease; a retry after that is processed again.
            tracing::warn!(key = %self.key, error = %e, "could not mark the event done");
        }
    }

    async fn release(mut self) {
        if let Some(store) = self.store.take()
            && let Err(e) = store.release(&self.key, &self.token).await
        {
            tracing::warn!(key = %self.key, error = %e, "could not release the claim (it expires with its lease)");
        }
    }
}

impl<St: DedupeStore> Drop for Release<St> {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let key = std::mem::take(&mut self.key);
            let token = std::mem::take(&mut self.token);
            runtime.spawn(async move {
                let _ = store.release(&key, &token).await;
            });
        }
    }
}
