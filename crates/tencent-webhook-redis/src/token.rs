//! Claim tokens: unique per claim, so a replica only ever releases its own claim.
//!
//! A token is 128 bits from the operating system's random number generator, as 32
//! lower-case hex digits: two replicas cannot draw the same one, even where every
//! container runs as pid 1 and the clocks agree.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A token unique to this claim across processes and hosts: 128 random bits, 32 hex digits.
pub(crate) fn claim_token() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => format!("{:032x}", u128::from_be_bytes(bytes)),
        Err(error) => fallback_token(error),
    }
}

/// Only where the OS random number generator fails (it does not on the platforms Tokio
/// runs on): clock, process id and a counter, still 32 hex digits, and unique within this
/// process. Logged once, as such tokens can collide across replicas.
#[cold]
fn fallback_token(error: getrandom::Error) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(%error, "no OS randomness: claim tokens fall back to clock, pid and counter");
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let low = (u64::from(std::process::id()) << 32) ^ n;
    format!("{:016x}{low:016x}", nanos as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn is_token(token: &str) -> bool {
        token.len() == 32
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[test]
    fn ten_thousand_tokens_are_distinct_32_hex_digits() {
        let tokens: HashSet<String> = (0..10_000).map(|_| claim_token()).collect();
        assert_eq!(tokens.len(), 10_000);
        for token in &tokens {
            assert!(is_token(token), "{token:?}");
        }
    }

    #[test]
    fn fallback_tokens_have_the_same_shape_and_differ() {
        let error = getrandom::Error::UNSUPPORTED;
        let (a, b) = (fallback_token(error), fallback_token(error));
        assert!(is_token(&a) && is_token(&b), "{a:?} {b:?}");
        assert_ne!(a, b);
    }
}
