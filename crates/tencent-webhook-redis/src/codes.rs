//! The stable error codes this crate answers with.
//!
//! Each is sent with [`Ack::fail`](tencent_webhook_core::Ack::fail): on the TRTC scheme as
//! HTTP 500 `{"code":<code>,"message":…}` (TRTC retries any non-200 answer, at once and then
//! every 10 s for a minute), on the Chat scheme as HTTP 200 with `ActionStatus` `FAIL` and
//! `ErrorCode` `<code>`.

/// A copy of this event is being processed right now (by this or another replica): come
/// back later. Its claim lasts at most the configured lease.
pub const IN_PROGRESS: i64 = 50911;
/// The dedupe store (Redis) did not answer in time or refused, and the scheme's
/// [`OnStoreError`](crate::OnStoreError) policy is `Fail`.
pub const STORE_UNAVAILABLE: i64 = 50912;
/// The event could not be appended to the Redis stream (Redis unreachable, slow or
/// refusing): it was not persisted, so it is not acknowledged.
pub const APPEND_FAILED: i64 = 50913;
/// The stream holds its configured maximum of unacknowledged events: the workers are
/// behind. Nothing was dropped; the event was not accepted.
pub const QUEUE_FULL: i64 = 50914;
/// The callback was still running when its dedupe claim's lease ran out: it was cancelled
/// and the claim released, so that a retry (on any replica) processes the event instead of
/// running beside it. Keep callbacks well under the lease (or set `callback_deadline`).
pub const LEASE_EXPIRED: i64 = 50915;
