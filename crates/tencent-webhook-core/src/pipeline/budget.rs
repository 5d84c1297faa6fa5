//! The buffer budget: a bound on the bytes of request bodies held in memory at once, across
//! all in-flight requests of both schemes. Bytes are charged as the buffer holding them
//! grows (so a slow sender holds only what it has sent) and given back when the request's
//! [`Charge`] is dropped, once its callback has finished.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The shared counter.
#[derive(Debug)]
pub(crate) struct BufferBudget {
    limit: usize,
    in_use: AtomicUsize,
}

impl BufferBudget {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            in_use: AtomicUsize::new(0),
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    pub(crate) fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    /// Whether `bytes` more would fit right now (a check before reading, not a reservation).
    pub(crate) fn fits(&self, bytes: usize) -> bool {
        self.in_use().saturating_add(bytes) <= self.limit
    }
}

/// What one request has charged to the budget; dropping it gives the bytes back.
#[derive(Debug)]
pub(crate) struct Charge {
    budget: Arc<BufferBudget>,
    bytes: usize,
}

impl Charge {
    pub(crate) fn new(budget: Arc<BufferBudget>) -> Self {
        Self { budget, bytes: 0 }
    }

    /// Charge `n` more bytes, or refuse (charging nothing) if the budget would be exceeded.
    pub(crate) fn add(&mut self, n: usize) -> bool {
        let budget = &self.budget;
        let charged = budget
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= budget.limit)
            });
        if charged.is_ok() {
            self.bytes += n;
        }
        charged.is_ok()
    }
}

impl Charge {
    /// Charge up to `total` bytes in all (what the request holds now), or refuse (charging
    /// nothing more) if the budget would be exceeded. A smaller `total` gives bytes back.
    pub(crate) fn set(&mut self, total: usize) -> bool {
        if total >= self.bytes {
            self.add(total - self.bytes)
        } else {
            self.budget
                .in_use
                .fetch_sub(self.bytes - total, Ordering::AcqRel);
            self.bytes = total;
            true
        }
    }

    /// Charge `n` more bytes whatever the budget has left: for memory already held (a JSON
    /// tree a decoded event keeps), which refusing would not give back. New requests are
    /// refused while the budget is over its limit.
    pub(crate) fn force_add(&mut self, n: usize) {
        if n > 0 {
            self.budget.in_use.fetch_add(n, Ordering::AcqRel);
            self.bytes += n;
        }
    }

    /// The bytes this request has charged.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit_and_gives_back_on_drop() {
        let budget = Arc::new(BufferBudget::new(10));
        let mut a = Charge::new(budget.clone());
        assert!(a.add(6));
        let mut b = Charge::new(budget.clone());
        assert!(b.add(4));
        assert!(!b.add(1), "11 > 10");
        assert_eq!(budget.in_use(), 10);
        assert!(!budget.fits(1));
        drop(a);
        assert_eq!(budget.in_use(), 4);
        assert!(budget.fits(6));
        assert!(!budget.fits(7));
        drop(b);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn concurrent_charges_never_pass_the_limit() {
        let budget = Arc::new(BufferBudget::new(1000));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let budget = budget.clone();
                let peak = peak.clone();
                std::thread::spawn(move || {
                    for _ in 0..2000 {
                        let mut c = Charge::new(budget.clone());
                        for _ in 0..5 {
                            let _ = c.add(37);
                            peak.fetch_max(budget.in_use(), Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(peak.load(Ordering::Relaxed) <= 1000);
        assert_eq!(budget.in_use(), 0);
    }
}
