//! The cap on callbacks that run on after their senders hung up (see
//! [`crate::run_to_end`]): a sender that connects, sends and hangs up again and again must
//! not grow the number of running callbacks, and so memory, without limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared count of detached callbacks.
#[derive(Debug)]
pub(crate) struct Detached {
    limit: usize,
    running: AtomicUsize,
}

impl Detached {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            running: AtomicUsize::new(0),
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Whether a new request may be admitted: fewer than the cap are running detached.
    /// Requests already admitted may still detach past it (they are never cancelled for
    /// it), so the cap holds up to the number of requests admitted at the moment it is
    /// reached.
    pub(crate) fn has_room(&self) -> bool {
        self.running() < self.limit
    }

    /// Count one more detached callback until the returned guard is dropped.
    pub(crate) fn enter(self: &Arc<Self>) -> DetachedGuard {
        self.running.fetch_add(1, Ordering::AcqRel);
        DetachedGuard(self.clone())
    }
}

/// One running detached callback; dropping it (the callback finished, failed, panicked or
/// passed its deadline) frees its place.
#[derive(Debug)]
pub(crate) struct DetachedGuard(Arc<Detached>);

impl Drop for DetachedGuard {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_while_guards_live() {
        let detached = Arc::new(Detached::new(2));
        assert!(detached.has_room());
        let a = detached.enter();
        let b = detached.enter();
        assert_eq!(detached.running(), 2);
        assert!(!detached.has_room());
        drop(a);
        assert!(detached.has_room());
        drop(b);
        assert_eq!(detached.running(), 0);
    }
}
