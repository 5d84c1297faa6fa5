//! [`MemoryStore`]: the embedded store for one process, bounded in size, entries expire.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use super::{Claim, DedupeStore, StoreError};

/// The default number of keys a [`MemoryStore`] keeps.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// An in-process [`DedupeStore`]: right for one replica, useless across several (each has
/// its own memory; use [`RedisDedupeStore`](super::RedisDedupeStore) there).
///
/// Holds at most `capacity` keys; when full, expired keys go first, then the oldest ones
/// (a done key evicted early lets a late retry of it through again).
#[derive(Clone, Debug)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    entries: HashMap<String, Entry>,
    /// Keys in the order their current state was written, with that write's generation.
    order: VecDeque<(String, u64)>,
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    state: State,
    expires: Instant,
    generation: u64,
}

#[derive(Debug, PartialEq)]
enum State {
    Processing(String),
    Done,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl MemoryStore {
    /// A store holding at most `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                capacity: capacity.max(1),
                entries: HashMap::new(),
                order: VecDeque::new(),
                generation: 0,
            })),
        }
    }

    /// How many keys are held now (expired ones included until they are purged).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The critical sections never panic midway; a poisoned lock still holds valid data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn live(&mut self, key: &str, now: Instant) -> Option<&Entry> {
        if self.entries.get(key).is_some_and(|e| e.expires <= now) {
            self.entries.remove(key);
        }
        self.entries.get(key)
    }

    fn put(&mut self, key: &str, state: State, ttl: Duration, now: Instant) {
        self.generation += 1;
        let generation = self.generation;
        self.entries.insert(
            key.to_owned(),
            Entry {
                state,
                expires: now + ttl,
                generation,
            },
        );
        self.order.push_back((key.to_owned(), generation));
        self.evict(now);
    }

    /// Drop stale order records and expired entries from the front, then the oldest
    /// entries while over capacity.
    fn evict(&mut self, now: Instant) {
        while let Some((key, generation)) = self.order.front() {
            let current = self
                .entries
                .get(key)
                .filter(|e| e.generation == *generation);
            let remove = match current {
                None => true,
                Some(e) => e.expires <= now || self.entries.len() > self.capacity,
            };
            if !remove {
                break;
            }
            if current.is_some() {
                self.entries.remove(key);
            }
            self.order.pop_front();
        }
        // Keep the order queue from growing without bound under rewrites of one key.
        if self.order.len() > 2 * self.capacity + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(k, g)| entries.get(k).is_some_and(|e| e.generation == *g));
        }
    }
}

impl DedupeStore for MemoryStore {
    async fn claim(&self, key: &str, token: &str, lease: Duration) -> Result<Claim, StoreError> {
        let now = Instant::now();
        let mut inner = self.lock();
        match inner.live(key, now).map(|e| &e.state) {
            Some(State::Done) => Ok(Claim::Done),
            Some(State::Processing(_)) => Ok(Claim::InProgress),
            None => {
                inner.put(key, State::Processing(token.to_owned()), lease, now);
                Ok(Claim::Claimed)
            }
        }
    }

    async fn complete(&self, key: &str, retention: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        self.lock().put(key, State::Done, retention, now);
        Ok(())
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .entries
            .get(key)
            .is_some_and(|e| e.state == State::Processing(token.to_owned()))
        {
            inner.entries.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(10);

    #[tokio::test(start_paused = true)]
    async fn a_key_goes_claimed_then_in_progress_then_done_then_expires() {
        let store = MemoryStore::new(10);
        assert_eq!(store.claim("k", "t1", LEASE).await.unwrap(), Claim::Claimed);
        assert_eq!(
            store.claim("k", "t2", LEASE).await.unwrap(),
            Claim::InProgress
        );
        store.complete("k", Duration::from_secs(60)).await.unwrap();
        assert_eq!(store.claim("k", "t3", LEASE).await.unwrap(), Claim::Done);
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(store.claim("k", "t4", LEASE).await.unwrap(), Claim::Claimed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lease_expires_and_only_its_owner_releases_it() {
        let store = MemoryStore::new(10);
        assert_eq!(store.claim("k", "a", LEASE).await.unwrap(), Claim::Claimed);
        store.release("k", "someone-else").await.unwrap();
        assert_eq!(
            store.claim("k", "b", LEASE).await.unwrap(),
            Claim::InProgress
        );
        tokio::time::advance(LEASE).await;
        assert_eq!(store.claim("k", "b", LEASE).await.unwrap(), Claim::Claimed);
        store.release("k", "a").await.unwrap(); // a's lease is over: b keeps its claim
        assert_eq!(
            store.claim("k", "c", LEASE).await.unwrap(),
            Claim::InProgress
        );
        store.release("k", "b").await.unwrap();
        assert_eq!(store.claim("k", "c", LEASE).await.unwrap(), Claim::Claimed);
    }

    #[tokio::test(start_paused = true)]
    async fn the_store_stays_within_its_capacity_dropping_the_oldest() {
        let store = MemoryStore::new(100);
        for i in 0..1000 {
            let key = format!("k{i}");
            assert_eq!(store.claim(&key, "t", LEASE).await.unwrap(), Claim::Claimed);
            store
                .complete(&key, Duration::from_secs(3600))
                .await
                .unwrap();
            assert!(store.len() <= 100, "{} keys held", store.len());
        }
        assert_eq!(store.claim("k999", "t", LEASE).await.unwrap(), Claim::Done);
        assert_eq!(store.claim("k0", "t", LEASE).await.unwrap(), Claim::Claimed);
        assert!(store.lock().order.len() <= 2 * 100 + 16);
    }
}
