//! The TRTC console callback signature: `Sign = Base64(HMAC-SHA256(key, raw body))`, sent
//! in the `Sign` header (<https://trtc.io/document/39558>, <https://trtc.io/document/54914>).
//!
//! This module is the only place that signature is computed or checked. The check runs
//! over the exact bytes received, against every configured key of the app (rotation), in
//! constant time in the signature's content: a malformed or wrong-length `Sign` takes the
//! same comparison path against a zeroed buffer.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::Choice;

use crate::Rejection;

type HmacSha256 = Hmac<Sha256>;

/// Compute the TRTC `Sign` header for a key and a body, exactly as Tencent's backend does:
/// standard Base64 (with padding) of HMAC-SHA256 keyed with the callback key over the raw
/// body bytes.
///
/// ```
/// // The vector from Tencent's documentation (https://trtc.io/document/54914).
/// let body = "{\n\t\"EventGroupId\":\t2,\n\t\"EventType\":\t204,\n\t\"CallbackTs\":\t1664209748188,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t8489,\n\t\t\"EventTs\":\t1664209748,\n\t\t\"EventMsTs\":\t1664209748180,\n\t\t\"UserId\":\t\"user_85034614\",\n\t\t\"Reason\":\t0\n\t}\n}";
/// assert_eq!(
///     tencent_webhook_core::trtc_sign("123654", body.as_bytes()),
///     "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA=",
/// );
/// ```
pub fn trtc_sign(key: &str, body: &[u8]) -> String {
    STANDARD.encode(TrtcKey::new(key).mac(body))
}

/// Longest TRTC callback key: the console accepts up to 32 letters and digits.
pub(crate) const TRTC_KEY_MAX: usize = 32;

/// Whether `key` is a key the TRTC console could have issued: 1 to 32 ASCII letters and
/// digits. Anything else (a space pasted along, the Chat token by mistake) can never match
/// Tencent's signature, so it is refused when the configuration is built.
pub(crate) fn is_valid_key(key: &str) -> bool {
    (1..=TRTC_KEY_MAX).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A TRTC callback key, kept as an HMAC state that has absorbed it. `Debug` prints
/// `[redacted]`.
#[derive(Clone)]
pub(crate) struct TrtcKey {
    mac: HmacSha256,
}

impl TrtcKey {
    pub(crate) fn new(key: &str) -> Self {
        Self {
            // HMAC takes keys of any length; this cannot fail.
            mac: <HmacSha256 as KeyInit>::new_from_slice(key.as_bytes())
                .expect("HMAC accepts keys of any length"),
        }
    }

    fn mac(&self, body: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(body);
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }
}

impl fmt::Debug for TrtcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The `Sign` header as presented, decoded before the body is read so a malformed value
/// costs nothing later; the comparison itself happens in [`SignedBody::verify`].
pub(crate) struct SignedBody {
    keys: Arc<[TrtcKey]>,
    provided: [u8; 32],
    well_formed: bool,
}

impl SignedBody {
    pub(crate) fn new(keys: Arc<[TrtcKey]>, sign: &[u8]) -> Self {
        let mut provided = [0u8; 32];
        // 32 bytes encode to exactly 44 Base64 characters with padding.
        let well_formed =
            sign.len() == 44 && matches!(STANDARD.decode_slice(sign, &mut provided), Ok(32));
        Self {
            keys,
            provided,
            well_formed,
        }
    }

    /// Check the body against every key; any match verifies.
    pub(crate) fn verify(&self, body: &[u8]) -> Result<(), Rejection> {
        let mut matched = Choice::from(0);
        for key in self.keys.iter() {
            matched |= crate::scheme::chat::signature::equal(&key.mac(body), &self.provided);
        }
        if bool::from(Choice::from(u8::from(self.well_formed)) & matched) {
            Ok(())
        } else {
            Err(Rejection::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tencent's documented body (real tabs and newlines) and its printed signature.
    const DOC_BODY: &[u8] = b"{\n\t\"EventGroupId\":\t2,\n\t\"EventType\":\t204,\n\t\"CallbackTs\":\t1664209748188,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t8489,\n\t\t\"EventTs\":\t1664209748,\n\t\t\"EventMsTs\":\t1664209748180,\n\t\t\"UserId\":\t\"user_85034614\",\n\t\t\"Reason\":\t0\n\t}\n}";
    const DOC_SIGN: &str = "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA=";
    /// The PHP/Go sample body, signed independently with key `789`.
    const SAMPLE_BODY: &[u8] = b"{\n\t\"EventGroupId\":\t1,\n\t\"EventType\":\t101,\n\t\"CallbackTs\":\t1608086882372,\n\t\"EventInfo\":\t{\n\t\t\"RoomId\":\t20222,\n\t\t\"EventTs\":\t1608086882,\n\t\t\"UserId\":\t\"222222_phone\"\n\t}\n}";
    const SAMPLE_SIGN: &str = "t2Yq1R4wilV/RIMRyygkgdhxWO8dgTdXXrfNVtz7V3k=";

    fn keys(keys: &[&str]) -> Arc<[TrtcKey]> {
        keys.iter().map(|k| TrtcKey::new(k)).collect()
    }

    #[test]
    fn doc_vector() {
        assert_eq!(trtc_sign("123654", DOC_BODY), DOC_SIGN);
        let signed = SignedBody::new(keys(&["123654"]), DOC_SIGN.as_bytes());
        assert_eq!(signed.verify(DOC_BODY), Ok(()));
    }

    #[test]
    fn independently_computed_vector() {
        assert_eq!(trtc_sign("789", SAMPLE_BODY), SAMPLE_SIGN);
        let signed = SignedBody::new(keys(&["789"]), SAMPLE_SIGN.as_bytes());
        assert_eq!(signed.verify(SAMPLE_BODY), Ok(()));
    }

    #[test]
    fn escaped_text_is_not_the_body() {
        // Signing the backslash-escaped text instead of the real bytes gives another value.
        let escaped = String::from_utf8_lossy(DOC_BODY)
            .replace('\n', "\\n")
            .replace('\t', "\\t");
        assert_ne!(trtc_sign("123654", escaped.as_bytes()), DOC_SIGN);
    }

    #[test]
    fn any_configured_key_verifies() {
        let signed = SignedBody::new(keys(&["newkey", "123654"]), DOC_SIGN.as_bytes());
        assert_eq!(signed.verify(DOC_BODY), Ok(()));
    }

    #[test]
    fn one_changed_byte_fails() {
        let signed = SignedBody::new(keys(&["123654"]), DOC_SIGN.as_bytes());
        for i in 0..DOC_BODY.len() {
            let mut body = DOC_BODY.to_vec();
            body[i] ^= 1;
            assert_eq!(
                signed.verify(&body),
                Err(Rejection::BadSignature),
                "byte {i}"
            );
        }
    }

    #[test]
    fn wrong_key_and_malformed_signs_fail() {
        let wrong = SignedBody::new(keys(&["123655"]), DOC_SIGN.as_bytes());
        assert_eq!(wrong.verify(DOC_BODY), Err(Rejection::BadSignature));
        for sign in [
            "",
            "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA",
            "kkoFeO3Oh2ZHnjtg8tEAQhtXK16/KI05W3BQff8IvGA==",
            "kkoFeO3Oh2ZHnjtg8tEAQhtXK16_KI05W3BQff8IvGA=",
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            let signed = SignedBody::new(keys(&["123654"]), sign.as_bytes());
            assert_eq!(
                signed.verify(DOC_BODY),
                Err(Rejection::BadSignature),
                "{sign:?}"
            );
        }
        // No keys at all never verifies (the service does not ask in that case).
        let none = SignedBody::new(keys(&[]), DOC_SIGN.as_bytes());
        assert_eq!(none.verify(DOC_BODY), Err(Rejection::BadSignature));
    }

    #[test]
    fn keys_the_console_can_issue() {
        assert!(is_valid_key("123654"));
        assert!(is_valid_key(&"aZ9".repeat(10)));
        assert!(is_valid_key(&"k".repeat(32)));
        for bad in [
            "",
            " 123654",
            "12 3654",
            "key-with-dash",
            "ключ",
            &"k".repeat(33),
        ] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn debug_redacts() {
        assert_eq!(format!("{:?}", TrtcKey::new("123654")), "[redacted]");
    }
}
