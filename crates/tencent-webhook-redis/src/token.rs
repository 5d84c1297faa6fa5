//! Claim tokens: unique per claim, so a replica only ever releases its own claim.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A token unique to this claim across processes: process id, start time, counter.
pub(crate) fn claim_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("p{}-{nanos:x}-{n}", std::process::id())
}
