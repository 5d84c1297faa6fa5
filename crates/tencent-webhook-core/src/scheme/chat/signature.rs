//! The callback-token signature: `Sign = hex(SHA-256(Token ‖ RequestTime))`
//! (<https://trtc.io/document/64412>).
//!
//! This module is the only place a signature is computed or checked.
//! The check is constant-time in the signature's content: every configured token is
//! compared, and a malformed or wrong-length `Sign` takes the same comparison path
//! against a zeroed buffer.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use crate::Rejection;

/// Shortest and longest callback token Tencent accepts (`set_callback_token`,
/// <https://trtc.io/document/69528>).
pub(crate) const TOKEN_LEN: std::ops::RangeInclusive<usize> = 1..=128;

/// Compute `Sign` for a token and a `RequestTime`, exactly as Tencent's backend does:
/// lower-case hex of SHA-256 over the token immediately followed by the decimal
/// `RequestTime` string.
///
/// ```
/// // The vector from Tencent's documentation.
/// assert_eq!(
///     tencent_webhook_core::sign("xxxxyyyy", 1669872112),
///     "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061",
/// );
/// ```
pub fn sign(token: &str, request_time: u64) -> String {
    sign_raw(token, &request_time.to_string())
}

/// `Sign` over a `RequestTime` string exactly as it appears in the query, whatever it
/// holds (the test helpers use it to sign a malformed one).
pub(crate) fn sign_raw(token: &str, request_time: &str) -> String {
    hex::encode(CallbackToken::new(token).digest(request_time))
}

/// A callback token, kept as a SHA-256 hasher that has absorbed it, so each check hashes
/// only `RequestTime`. The hasher still holds the token's last partial block (all of a
/// token under 64 bytes) in memory, as any secret must be; nothing prints it: `Debug`
/// prints `[redacted]`.
#[derive(Clone)]
pub(crate) struct CallbackToken {
    prefix: Sha256,
}

impl CallbackToken {
    pub(crate) fn new(token: &str) -> Self {
        Self {
            prefix: Sha256::new().chain_update(token.as_bytes()),
        }
    }

    fn digest(&self, request_time: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(
            self.prefix
                .clone()
                .chain_update(request_time.as_bytes())
                .finalize()
                .as_slice(),
        );
        out
    }
}

impl fmt::Debug for CallbackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Check `Sign` and `RequestTime` (as sent in the query) against the app's tokens and the
/// replay window around `now`.
pub(crate) fn verify(
    tokens: &[CallbackToken],
    sign: &str,
    request_time: &str,
    now: SystemTime,
    window: Duration,
) -> Result<u64, Rejection> {
    // Decode the presented signature. A malformed or wrong-length value leaves `provided`
    // zeroed and `well_formed` false, and still goes through every comparison below.
    let (provided, well_formed) = decode_sign(sign.as_bytes());
    let mut matched = Choice::from(0);
    for token in tokens {
        matched |= equal(&token.digest(request_time), &provided);
    }
    if !bool::from(well_formed & matched) {
        return Err(Rejection::BadSignature);
    }
    // The signature covers RequestTime, so a valid Sign with an old time is a replay.
    let time = parse_request_time(request_time).ok_or(Rejection::InvalidRequestTime)?;
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if now.abs_diff(time) > window.as_secs() {
        return Err(Rejection::StaleRequestTime);
    }
    Ok(time)
}

/// `Sign` as 32 bytes, and whether it is exactly 64 hex digits (either case). Branch-free
/// in the content: every digit is decoded and checked with the same arithmetic, a bad one
/// only clears the validity mask; a wrong length leaves the bytes zeroed.
fn decode_sign(sign: &[u8]) -> ([u8; 32], Choice) {
    let mut out = [0u8; 32];
    if sign.len() != 64 {
        return (out, Choice::from(0));
    }
    // 0xFF while every digit so far was valid.
    let mut valid = 0xFFu8;
    for (byte, pair) in out.iter_mut().zip(sign.chunks_exact(2)) {
        let (high, high_ok) = hex_digit(pair[0]);
        let (low, low_ok) = hex_digit(pair[1]);
        *byte = (high << 4) | low;
        valid &= high_ok & low_ok;
    }
    (out, Choice::from(valid & 1))
}

/// The value of one hex digit and 0xFF, or 0 and 0 for any other byte, without branching
/// on it.
fn hex_digit(c: u8) -> (u8, u8) {
    // 0xFF when `x < bound` (both below 256), from the sign of the difference.
    let below = |x: u8, bound: i16| ((i16::from(x) - bound) >> 8) as u8;
    let digit = c.wrapping_sub(b'0');
    let digit_ok = below(digit, 10);
    let letter = (c | 0x20).wrapping_sub(b'a');
    let letter_ok = below(letter, 6);
    let value = (digit & digit_ok) | (letter.wrapping_add(10) & letter_ok);
    (value, digit_ok | letter_ok)
}

/// Constant-time equality of two digests: every byte is compared. The one comparison of a
/// presented signature with an expected one, for both schemes.
pub(crate) fn equal(a: &[u8; 32], b: &[u8; 32]) -> Choice {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff.ct_eq(&0)
}

/// A Unix time in seconds: 1 to 19 ASCII digits, nothing else (no sign, no spaces).
pub(crate) fn parse_request_time(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_SIGN: &str = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061";
    const WINDOW: Duration = Duration::from_secs(60);

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn sign_decodes_exactly_as_hex_does() {
        let mut cases: Vec<Vec<u8>> = vec![
            DOC_SIGN.as_bytes().to_vec(),
            DOC_SIGN.to_ascii_uppercase().into_bytes(),
            vec![b'0'; 64],
            vec![b'f'; 64],
            vec![b'F'; 64],
            vec![b'a'; 63],
            vec![b'a'; 65],
            Vec::new(),
        ];
        // Every byte value at the first and the last position of a valid signature.
        for b in 0..=255u8 {
            for at in [0, 63] {
                let mut s = DOC_SIGN.as_bytes().to_vec();
                s[at] = b;
                cases.push(s);
            }
        }
        for case in cases {
            let mut expected = [0u8; 32];
            let ok = case.len() == 64 && hex::decode_to_slice(&case, &mut expected).is_ok();
            let (got, valid) = decode_sign(&case);
            assert_eq!(bool::from(valid), ok, "{case:?}");
            if ok {
                assert_eq!(got, expected, "{case:?}");
            }
        }
    }

    #[test]
    fn equal_compares_every_byte() {
        let a = [7u8; 32];
        assert!(bool::from(equal(&a, &a)));
        for i in 0..32 {
            let mut b = a;
            b[i] ^= 0x80;
            assert!(!bool::from(equal(&a, &b)), "{i}");
        }
    }

    #[test]
    fn doc_vector() {
        assert_eq!(sign("xxxxyyyy", 1669872112), DOC_SIGN);
        let tokens = [CallbackToken::new("xxxxyyyy")];
        assert_eq!(
            verify(&tokens, DOC_SIGN, "1669872112", at(1669872112), WINDOW),
            Ok(1669872112)
        );
    }

    #[test]
    fn upper_case_hex_is_accepted() {
        let tokens = [CallbackToken::new("xxxxyyyy")];
        let upper = DOC_SIGN.to_ascii_uppercase();
        assert!(verify(&tokens, &upper, "1669872112", at(1669872112), WINDOW).is_ok());
    }

    #[test]
    fn any_configured_token_is_accepted() {
        let tokens = [
            CallbackToken::new("new-token"),
            CallbackToken::new("xxxxyyyy"),
        ];
        assert!(verify(&tokens, DOC_SIGN, "1669872112", at(1669872112), WINDOW).is_ok());
    }

    #[test]
    fn wrong_token_or_sign_is_rejected() {
        let tokens = [CallbackToken::new("xxxxyyyz")];
        assert_eq!(
            verify(&tokens, DOC_SIGN, "1669872112", at(1669872112), WINDOW),
            Err(Rejection::BadSignature)
        );
        let tokens = [CallbackToken::new("xxxxyyyy")];
        for bad in [
            "",
            "00",
            &DOC_SIGN[..63],
            &format!("{DOC_SIGN}0"),
            &DOC_SIGN.replace('1', "g"),
        ] {
            assert_eq!(
                verify(&tokens, bad, "1669872112", at(1669872112), WINDOW),
                Err(Rejection::BadSignature),
                "{bad}"
            );
        }
        // The signature binds the time: another RequestTime with the same Sign fails.
        assert_eq!(
            verify(&tokens, DOC_SIGN, "1669872113", at(1669872112), WINDOW),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn no_tokens_never_verifies() {
        assert_eq!(
            verify(&[], DOC_SIGN, "1669872112", at(1669872112), WINDOW),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn window_applies_in_both_directions() {
        let tokens = [CallbackToken::new("xxxxyyyy")];
        let t = 1669872112;
        assert!(verify(&tokens, DOC_SIGN, "1669872112", at(t + 60), WINDOW).is_ok());
        assert!(verify(&tokens, DOC_SIGN, "1669872112", at(t - 60), WINDOW).is_ok());
        assert_eq!(
            verify(&tokens, DOC_SIGN, "1669872112", at(t + 61), WINDOW),
            Err(Rejection::StaleRequestTime)
        );
        assert_eq!(
            verify(&tokens, DOC_SIGN, "1669872112", at(t - 61), WINDOW),
            Err(Rejection::StaleRequestTime)
        );
    }

    #[test]
    fn extreme_request_times_do_not_panic() {
        for s in [
            "",
            "-1",
            "+1",
            " 1",
            "1e9",
            "99999999999999999999",
            "000000000000000000000000000001",
        ] {
            assert_eq!(parse_request_time(s), None, "{s}");
        }
        assert_eq!(parse_request_time("18446744073709551615"), None); // 20 digits
        assert_eq!(
            parse_request_time("9223372036854775807"),
            Some(i64::MAX as u64)
        );
        // A valid signature over an absurd (but parseable) time is stale, not a panic.
        let tokens = [CallbackToken::new("t")];
        let far = "9223372036854775807";
        let sig = sign("t", 9223372036854775807);
        assert_eq!(
            verify(&tokens, &sig, far, at(0), WINDOW),
            Err(Rejection::StaleRequestTime)
        );
        // A 30-digit time signed by the real token: well-signed, but invalid.
        let thirty = "123456789012345678901234567890";
        let sig = hex::encode(
            Sha256::new()
                .chain_update(b"t")
                .chain_update(thirty)
                .finalize()
                .as_slice(),
        );
        assert_eq!(
            verify(&tokens, &sig, thirty, at(0), WINDOW),
            Err(Rejection::InvalidRequestTime)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let t = CallbackToken::new("super-secret");
        assert_eq!(format!("{t:?}"), "[redacted]");
    }
}
