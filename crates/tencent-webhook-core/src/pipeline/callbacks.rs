//! The cap on callbacks running at once. A callback keeps running after its sender hangs
//! up (see [`crate::pipeline::run_to_end`]), so without a cap a sender that connects, sends and hangs
//! up again and again would grow the number of running callbacks, and memory, without
//! limit. Each callback takes a [`Slot`] before it starts and gives it back when it ends,
//! inline or in the background, so the cap also bounds the callbacks outliving their
//! senders.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared counts.
#[derive(Debug)]
pub(crate) struct Callbacks {
    limit: usize,
    running: AtomicUsize,
    detached: AtomicUsize,
}

impl Callbacks {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            running: AtomicUsize::new(0),
            detached: AtomicUsize::new(0),
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    pub(crate) fn detached(&self) -> usize {
        self.detached.load(Ordering::Relaxed)
    }

    /// Whether a slot is free right now: the check before a body is read (not a
    /// reservation; [`take`](Self::take) decides).
    pub(crate) fn has_room(&self) -> bool {
        self.running() < self.limit
    }

    /// A slot for one callback, or `None` at the cap.
    pub(crate) fn take(self: &Arc<Self>) -> Option<Slot> {
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot {
                callbacks: self.clone(),
                detached: false,
            })
    }
}

/// One running callback's place; dropping it (the callback finished, failed, panicked or
/// passed its deadline) frees it.
#[derive(Debug)]
pub(crate) struct Slot {
    callbacks: Arc<Callbacks>,
    detached: bool,
}

impl Slot {
    /// The callback runs on after its sender hung up: count it among the detached ones too.
    pub(crate) fn detach(&mut self) {
        if !self.detached {
            self.detached = true;
            self.callbacks.detached.fetch_add(1, Ordering::AcqRel);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.detached {
            self.callbacks.detached.fetch_sub(1, Ordering::AcqRel);
        }
        self.callbacks.running.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_up_to_the_cap() {
        let callbacks = Arc::new(Callbacks::new(2));
        let mut a = callbacks.take().unwrap();
        let b = callbacks.take().unwrap();
        assert!(callbacks.take().is_none(), "at the cap");
        assert!(!callbacks.has_room());
        a.detach();
        a.detach();
        assert_eq!((callbacks.running(), callbacks.detached()), (2, 1));
        drop(a);
        assert_eq!((callbacks.running(), callbacks.detached()), (1, 0));
        assert!(callbacks.has_room());
        drop(b);
        assert_eq!(callbacks.running(), 0);
    }

    #[test]
    fn concurrent_takes_never_pass_the_cap() {
        let callbacks = Arc::new(Callbacks::new(3));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let callbacks = callbacks.clone();
                let peak = peak.clone();
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        if let Some(slot) = callbacks.take() {
                            peak.fetch_max(callbacks.running(), Ordering::Relaxed);
                            drop(slot);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::Relaxed) <= 3);
        assert_eq!(callbacks.running(), 0);
    }
}
