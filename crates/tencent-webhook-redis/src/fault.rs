//! What to do when the dedupe store cannot be asked: [`OnStoreError`] and [`FaultPolicy`].

use tencent_webhook_core::Scheme;

/// The answer when the dedupe store (Redis) is unreachable, slow or refusing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnStoreError {
    /// Answer failure ([`codes::STORE_UNAVAILABLE`](crate::codes::STORE_UNAVAILABLE)) without
    /// calling the inner service. Right where the sender retries failures (TRTC): nothing is
    /// lost, the retry is processed once the store is back.
    Fail,
    /// Call the inner service without deduplication. Right where a failure is not resent
    /// (Chat "after" webhooks): the event is processed, at the cost of a possible duplicate.
    DeliverWithoutDedupe,
}

/// One [`OnStoreError`] per scheme.
///
/// The default loses nothing that Tencent will not resend: TRTC retries non-200 answers, so
/// TRTC answers failure ([`OnStoreError::Fail`]); Chat "after" webhooks are not resent, so
/// Chat delivers without dedupe ([`OnStoreError::DeliverWithoutDedupe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPolicy {
    /// For [`Scheme::Chat`] (and any scheme added later).
    pub chat: OnStoreError,
    /// For [`Scheme::Trtc`].
    pub trtc: OnStoreError,
}

impl Default for FaultPolicy {
    fn default() -> Self {
        Self {
            chat: OnStoreError::DeliverWithoutDedupe,
            trtc: OnStoreError::Fail,
        }
    }
}

impl FaultPolicy {
    /// The same choice for every scheme.
    pub const fn always(choice: OnStoreError) -> Self {
        Self {
            chat: choice,
            trtc: choice,
        }
    }

    /// The choice for `scheme`.
    pub fn for_scheme(&self, scheme: Scheme) -> OnStoreError {
        match scheme {
            Scheme::Trtc => self.trtc,
            _ => self.chat,
        }
    }
}
