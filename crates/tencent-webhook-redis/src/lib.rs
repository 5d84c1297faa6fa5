//! Run a Tencent Cloud webhook receiver on several replicas: deduplicate Tencent's retries
//! across replicas, and persist each event in Redis before acknowledging it.
//!
//! - [`DedupeLayer`]: a tower `Layer` over any `Service<Webhook>` that processes each event
//!   once per retention, keyed by its idempotency key, with a [`MemoryStore`] (one process)
//!   or a [`RedisDedupeStore`] (shared by every replica).
//! - [`RedisSink`]: a `Service<Webhook>` that appends each event to a Redis Stream (the
//!   dedupe check and the append in one script) and acknowledges only once Redis accepted
//!   it; [`Worker`]s read it through a consumer group, retry with back-off, take over a
//!   crashed worker's entries and move events that keep failing to [`DeadLetters`].
//!
//! Built on the [`redis`] crate (tokio, `ConnectionManager`). Answers this crate adds are
//! listed in [`codes`]. See the README's "Running several replicas" for the flow, the
//! settings, the faults and what Redis persistence they need.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codes;
mod connect;
mod dedupe;
mod fault;
mod stream;
mod token;

pub use connect::{Connection, DEFAULT_REDIS_TIMEOUT, connect, redacted_url};
pub use dedupe::{
    Claim, DEFAULT_CAPACITY, DEFAULT_LEASE, DEFAULT_RETENTION, Dedupe, DedupeLayer, DedupeStore,
    MemoryStore, RedisDedupeStore, StoreError,
};
pub use fault::{FaultPolicy, OnStoreError};
/// The `redis` crate this one is built on (to build a [`redis::Client`]).
pub use redis;
pub use stream::{DeadLetter, DeadLetters, RedisSink, StreamSettings, Worker, WorkerSettings};
