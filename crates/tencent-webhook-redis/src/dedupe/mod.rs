//! Deduplicate retried deliveries: the [`DedupeStore`] trait, its two stores
//! ([`MemoryStore`], [`RedisDedupeStore`]) and the tower [`DedupeLayer`].
//!
//! Each event's [`idempotency key`](tencent_webhook_core::WebhookContext::idempotency_key)
//! goes through two states: a short *processing* claim (the lease) while the callback runs,
//! then *done* for the retention once it succeeded. A failed or panicking callback releases
//! the claim so that Tencent's retry is processed.

mod layer;
mod memory;
mod redis_store;
mod service;

use std::future::Future;
use std::time::Duration;

pub use layer::{DEFAULT_LEASE, DEFAULT_RETENTION, DedupeLayer};
pub use memory::{DEFAULT_CAPACITY, MemoryStore};
pub use redis_store::RedisDedupeStore;
pub use service::Dedupe;

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nobody held the key: it is now claimed by the caller for the lease.
    Claimed,
    /// The event was processed successfully within the retention.
    Done,
    /// Another claim on the key is still within its lease.
    InProgress,
}

/// The store could not be asked (unreachable, slow, refusing).
#[derive(Debug, thiserror::Error)]
#[error("dedupe store unavailable: {0}")]
pub struct StoreError(pub String);

/// Where claims live. Every operation is atomic: of two concurrent claims on one key, at
/// most one gets [`Claim::Claimed`].
pub trait DedupeStore: Clone + Send + Sync + 'static {
    /// Claim `key` with `token` for `lease`, unless it is claimed or done.
    fn claim(
        &self,
        key: &str,
        token: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Mark `key` done for `retention` (the callback succeeded).
    fn complete(
        &self,
        key: &str,
        retention: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drop the claim on `key` if it is still `token`'s (the callback failed).
    fn release(
        &self,
        key: &str,
        token: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
