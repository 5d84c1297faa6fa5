//! The idempotency key of a delivered event: the same for every delivery attempt of one
//! event, different for different events. The derivation is documented on
//! [`IdempotencyKey`], where `cargo doc` shows it.
//!
//! The body is canonicalised by a small recursive-descent JSON reader over its bytes, with
//! no JSON tree: scalars and arrays are written straight to one output buffer; an object's
//! members are written there one after another, each followed by a comma, their start
//! offsets pushed on a shared stack (4 bytes a member), and when the object closes the
//! offsets are sorted and the members rewritten in that order through one scratch buffer.

use std::fmt::{self, Write as _};

use sha2::{Digest, Sha256};

use crate::Scheme;

/// A stable, printable key identifying one event across delivery attempts, from
/// [`WebhookContext::idempotency_key`](crate::WebhookContext::idempotency_key).
///
/// Tencent sends no event id, so the key is derived from the event. A retry differs from
/// the first attempt only in what describes the attempt: TRTC's `CallbackTs` (the send
/// time, in the body and covered by its signature), the Chat scheme's `Sign` and
/// `RequestTime` (in the query), and possibly the exact bytes of the body. The key is built
/// so that all of these may change and nothing else may.
///
/// # Format
///
/// `{scheme}-{SdkAppid}-v2{32 hex digits}`, for example
/// `trtc-1400000000-v2` followed by 32 lowercase hex digits: the scheme (`chat` or `trtc`),
/// the verified `SdkAppid` in decimal, the derivation version `v2`, and the first 128 bits
/// of the SHA-256 digest described below. Only `a-z`, `0-9` and `-`; at most
/// [`MAX_LEN`](Self::MAX_LEN) (60) bytes; safe in a Redis key or a log line.
///
/// The version marker keeps keys of different derivations apart. The first derivation
/// wrote `{scheme}-{SdkAppid}-{32 hex digits}` (no marker, 58 bytes at most): its last part
/// is 32 hex digits, this one's is `v2` and 32 hex digits, so a dedupe store holding keys
/// of both never takes one for the other. The flip side: every key changed with `v2`, so
/// during a rolling upgrade an event delivered to an old replica and retried to a new one
/// (or the other way round) carries two different keys and is not recognised as a retry.
///
/// # What goes in
///
/// SHA-256 over, in this order:
///
/// 1. the ASCII tag `tencent-webhook idempotency v2`;
/// 2. the scheme, `chat` or `trtc`;
/// 3. the verified `SdkAppid`, in decimal;
/// 4. the command: `CallbackCommand`, or `TRTC.{EventGroupId}.{EventType}`;
/// 5. one byte saying how the body is taken: `J` for its canonical form, `R` for the body
///    as received (see below);
/// 6. the body, in that form.
///
/// Parts 2, 3, 4 and 6 are each preceded by their length in bytes as an 8-byte big-endian
/// number, so no part can run into the next. Nothing else is in the key: not `Sign`,
/// `RequestTime`, `ClientIP`, `OptPlatform`, headers or the path.
///
/// # The canonical body
///
/// The body is read as JSON (RFC 8259, strictly: UTF-8, no comments, no trailing commas,
/// no `NaN`, no leading zeros) and written back in one canonical form, without whitespace:
///
/// - **Objects**: each member is written `"key":value` (both canonical), and the members
///   are sorted byte by byte on that text followed by a comma — which orders them by key,
///   then by value — and joined with commas in braces. The order in which members were
///   received never matters.
/// - **Duplicated keys all count.** Every occurrence of a key is kept and sorted like any
///   other member, so `{"a":1,"a":2}` and `{"a":2,"a":1}` get the same key, while
///   `{"a":2}` and `{"a":1}` get other keys. (A reader that keeps only the last value
///   would see `{"a":1,"a":2}` and `{"a":2}` as the same event; two bodies that differ are
///   never merged here.)
/// - **Arrays** keep their order.
/// - **Strings** (keys and values) have their escapes decoded and are written back one
///   way: `"` and `\` as `\"` and `\\`; U+0008, U+000C, U+000A, U+000D and U+0009 as `\b`,
///   `\f`, `\n`, `\r` and `\t`; the other characters below U+0020 as `\u00XX` in lowercase
///   hex; everything else, `/` and non-ASCII included, as raw UTF-8. So `"\u0041"` and
///   `"A"`, `"\/"` and `"/"`, `"\u00E9"` and `"é"`, `"\ud83d\ude00"` and `"😀"` are the same.
///   An escaped surrogate that is not part of a pair (not a character, but accepted by
///   JSON's grammar) is written as `\u` and four lowercase hex digits.
/// - **Numbers are their exact text as received**, never converted to an integer or a
///   float: `18446744073709551616` and `18446744073709551617`, or `0.1` and
///   `0.10000000000000001`, get different keys, and a number beyond a float's range, such
///   as `1e400`, is read like any other. Nothing is normalised either: `1`, `1.0`,
///   `1e0` and `1E0`, or `0` and `-0`, are different keys. Tencent writes a value the same
///   way on every attempt, so this never splits one event's retries, and it never merges
///   two events.
/// - `true`, `false` and `null` as they are.
/// - **`CallbackTs` is removed** when the body is an object: every top-level member named
///   `CallbackTs` (all of them if the name is repeated; the name is compared after its
///   escapes are decoded), and every `CallbackTs` member of a top-level `Callback` member
///   whose value is an object (TUICallKit's wrapper). A `CallbackTs` anywhere else is part
///   of the key.
///
/// # Bodies hashed as received
///
/// A body that is not valid JSON (including invalid UTF-8, an empty body or data after
/// the value), whose arrays and objects nest 128 deep or more (serde_json's limit; such a
/// body can be accepted because the part nobody reads is skipped), or larger than 4 GiB
/// is hashed byte for byte as received, with `R` in part 5. Whitespace, member order,
/// escapes and `CallbackTs` then all count. Because part 5 differs, such a key never
/// equals the key of a body taken in canonical form, even over the same bytes.
///
/// # What a retry may change
///
/// Without changing the key: `Sign`, `RequestTime` and anything else outside the body;
/// the `CallbackTs` values (and how many there are) where they are removed; whitespace
/// between tokens; the order of object members; how strings are escaped. Any other change
/// — a value, the spelling of a number, the order of an array, a member added, removed or
/// repeated, the command, the app or the scheme — gives another key.
///
/// # Trust and cost
///
/// For the Chat scheme the body is not covered by Tencent's signature, so the key is as
/// trustworthy as the event itself. The key is computed in one pass over the body without
/// building a JSON tree: the canonical text is never longer than the body, and the extra
/// memory at its peak is the canonical text, one copy of the largest object and 4 bytes
/// per object member being read — about twice the body for typical events, at most about
/// three times for a body made only of tiny members. It is computed on first use and kept
/// by the [`WebhookContext`](crate::WebhookContext).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(Box<str>);

/// The version marker in the key, right before the hex digits.
const VERSION: &str = "v2";
/// The first part hashed, naming the derivation.
const TAG: &[u8] = b"tencent-webhook idempotency v2";
/// Part 5 when the body is taken in its canonical form.
const CANONICAL: u8 = b'J';
/// Part 5 when the body is taken as received.
const AS_RECEIVED: u8 = b'R';
/// Arrays and objects nested this deep make the body unreadable, as with serde_json
/// (which reads at most 127 levels).
const MAX_DEPTH: usize = 128;

impl IdempotencyKey {
    /// The longest key, in bytes: `trtc-18446744073709551615-v2` and 32 hex digits.
    pub const MAX_LEN: usize = 60;

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn derive(scheme: Scheme, sdk_app_id: u64, command: &str, body: &[u8]) -> Self {
        let digest = match canonicalize(body) {
            Some(canonical) => digest(scheme, sdk_app_id, command, CANONICAL, &canonical),
            None => digest(scheme, sdk_app_id, command, AS_RECEIVED, body),
        };
        let mut key = String::with_capacity(Self::MAX_LEN);
        let _ = write!(key, "{}-{sdk_app_id}-{VERSION}", scheme.as_str());
        for byte in digest {
            let _ = write!(key, "{byte:02x}");
        }
        Self(key.into_boxed_str())
    }
}

/// The first 128 bits of SHA-256 over the parts listed on [`IdempotencyKey`].
fn digest(scheme: Scheme, sdk_app_id: u64, command: &str, form: u8, body: &[u8]) -> [u8; 16] {
    fn part(hasher: &mut Sha256, bytes: &[u8]) {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    let mut hasher = Sha256::new();
    hasher.update(TAG);
    part(&mut hasher, scheme.as_str().as_bytes());
    part(&mut hasher, sdk_app_id.to_string().as_bytes());
    part(&mut hasher, command.as_bytes());
    hasher.update([form]);
    part(&mut hasher, body);
    let mut first = [0; 16];
    first.copy_from_slice(&hasher.finalize()[..16]);
    first
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for IdempotencyKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The canonical form of `body` described on [`IdempotencyKey`], or `None` when the body
/// is taken as received (not JSON, nested too deep, or over 4 GiB).
fn canonicalize(body: &[u8]) -> Option<Vec<u8>> {
    // Offsets into the output are kept as `u32`; the output is never longer than the body.
    u32::try_from(body.len()).ok()?;
    let mut reader = Canonicalizer {
        input: body,
        pos: 0,
        out: Vec::with_capacity(body.len()),
        members: Vec::new(),
        scratch: Vec::new(),
    };
    reader.skip_whitespace();
    reader.value(0, Strip::TopLevel)?;
    reader.skip_whitespace();
    (reader.pos == body.len()).then_some(reader.out)
}

/// Which `CallbackTs` members an object drops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strip {
    /// None: not an object where `CallbackTs` is per attempt.
    Nothing,
    /// The top-level value: drops `CallbackTs`, and a `Callback` object drops its own.
    TopLevel,
    /// A top-level `Callback` member's value: drops `CallbackTs`.
    Callback,
}

struct Canonicalizer<'a> {
    input: &'a [u8],
    pos: usize,
    /// The canonical text so far; an open object's members are here, each followed by a
    /// comma, in the order received.
    out: Vec<u8>,
    /// The offsets in `out` of the members of every open object, innermost last.
    members: Vec<u32>,
    /// Where an object's members are copied while they are written back sorted.
    scratch: Vec<u8>,
}

impl Canonicalizer<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// A value inside `depth` arrays and objects.
    fn value(&mut self, depth: usize, strip: Strip) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth + 1, strip),
            b'[' => self.array(depth + 1),
            b'"' => self.string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if !self.input[self.pos..].starts_with(word) {
            return None;
        }
        self.pos += word.len();
        self.out.extend_from_slice(word);
        Some(())
    }

    /// A number, validated and copied exactly as received.
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        self.eat(b'-');
        match self.next_byte()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.eat(b'.') && !self.digits() {
            return None;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.digits() {
                return None;
            }
        }
        self.out.extend_from_slice(&self.input[start..self.pos]);
        Some(())
    }

    /// Skips digits; whether there was one.
    fn digits(&mut self) -> bool {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos > start
    }

    /// A string, its escapes decoded and written back canonically.
    fn string(&mut self) -> Option<()> {
        self.pos += 1;
        self.out.push(b'"');
        loop {
            let rest = &self.input[self.pos..];
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            // A run between escapes is whole UTF-8: escapes are ASCII.
            std::str::from_utf8(&rest[..run]).ok()?;
            self.out.extend_from_slice(&rest[..run]);
            self.pos += run;
            match self.next_byte()? {
                b'"' => {
                    self.out.push(b'"');
                    return Some(());
                }
                b'\\' => self.escape()?,
                // A raw control character.
                _ => return None,
            }
        }
    }

    fn escape(&mut self) -> Option<()> {
        let ch = match self.next_byte()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF if self.input[self.pos..].starts_with(b"\\u") => {
                        let after_high = self.pos;
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            // A lone high surrogate; the next escape is read on its own.
                            self.pos = after_high;
                            self.push_unit_escape(unit);
                            return Some(());
                        }
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xD800..=0xDFFF => {
                        // A lone surrogate.
                        self.push_unit_escape(unit);
                        return Some(());
                    }
                    _ => char::from_u32(unit)?,
                }
            }
            _ => return None,
        };
        self.push_char(ch);
        Some(())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.input.get(self.pos..self.pos + 4)?;
        let mut unit = 0;
        for &digit in digits {
            unit = unit << 4 | char::from(digit).to_digit(16)?;
        }
        self.pos += 4;
        Some(unit)
    }

    fn push_char(&mut self, ch: char) {
        let escaped: &[u8] = match ch {
            '"' => b"\\\"",
            '\\' => b"\\\\",
            '\u{8}' => b"\\b",
            '\u{c}' => b"\\f",
            '\n' => b"\\n",
            '\r' => b"\\r",
            '\t' => b"\\t",
            '\0'..='\u{1f}' => {
                self.push_unit_escape(ch as u32);
                return;
            }
            _ => {
                let mut utf8 = [0; 4];
                self.out
                    .extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                return;
            }
        };
        self.out.extend_from_slice(escaped);
    }

    /// `\u` and four lowercase hex digits.
    fn push_unit_escape(&mut self, unit: u32) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            self.out.push(HEX[(unit >> shift & 0xF) as usize]);
        }
    }

    /// An array inside `depth - 1` others: written straight through.
    fn array(&mut self, depth: usize) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.out.push(b'[');
        self.skip_whitespace();
        if self.eat(b']') {
            self.out.push(b']');
            return Some(());
        }
        loop {
            self.skip_whitespace();
            self.value(depth, Strip::Nothing)?;
            self.skip_whitespace();
            match self.next_byte()? {
                b',' => self.out.push(b','),
                b']' => {
                    self.out.push(b']');
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An object inside `depth - 1` others: its members written in the order received, each
    /// followed by a comma, then sorted.
    fn object(&mut self, depth: usize, strip: Strip) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let start = self.out.len();
        let first = self.members.len();
        self.skip_whitespace();
        if !self.eat(b'}') {
            loop {
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return None;
                }
                let member = self.out.len();
                self.string()?;
                let is_key = |name: &[u8]| {
                    let key = &self.out[member..];
                    key.len() == name.len() + 2 && &key[1..key.len() - 1] == name
                };
                let (dropped, inner) = match strip {
                    Strip::TopLevel if is_key(b"CallbackTs") => (true, Strip::Nothing),
                    Strip::TopLevel if is_key(b"Callback") => (false, Strip::Callback),
                    Strip::Callback if is_key(b"CallbackTs") => (true, Strip::Nothing),
                    _ => (false, Strip::Nothing),
                };
                self.skip_whitespace();
                if !self.eat(b':') {
                    return None;
                }
                self.out.push(b':');
                self.skip_whitespace();
                self.value(depth, inner)?;
                if dropped {
                    self.out.truncate(member);
                } else {
                    self.out.push(b',');
                    // Below the body's length, which fits in `u32`.
                    self.members.push(member as u32);
                }
                self.skip_whitespace();
                match self.next_byte()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.close_object(start, first);
        Some(())
    }

    /// Rewrites the members at `out[start..]`, whose offsets are `members[first..]`, sorted
    /// and in braces.
    fn close_object(&mut self, start: usize, first: usize) {
        if self.members.len() == first {
            self.out.extend_from_slice(b"{}");
            return;
        }
        let end = self.out.len();
        let out = &self.out;
        self.members[first..].sort_unstable_by(|&a, &b| {
            compare_members(&out[a as usize..end], &out[b as usize..end])
        });
        let len = end - start;
        if self.scratch.capacity() < len {
            // Free the smaller buffer before taking the larger one.
            self.scratch = Vec::new();
            self.scratch.reserve_exact(len);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.out[start..end]);
        self.out.truncate(start);
        self.out.push(b'{');
        for &member in &self.members[first..] {
            let text = &self.scratch[member as usize - start..];
            self.out.extend_from_slice(&text[..=member_end(text)]);
        }
        // The last member's comma.
        self.out.pop();
        self.out.push(b'}');
        self.members.truncate(first);
    }
}

/// Orders two canonical members, each given with whatever follows it, by their text and
/// comma, byte by byte. No member's text and comma is a prefix of another's (the comma
/// ends it), so this is a total order on members decided within the shorter one: two
/// different members differ before either comma, and two equal ones stop at their comma
/// instead of comparing what follows.
fn compare_members(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let mut scan = MemberScan::default();
    for (&x, &y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(&y);
        }
        if scan.ends_member(x) {
            return std::cmp::Ordering::Equal;
        }
    }
    a.len().cmp(&b.len())
}

/// The offset of the comma that ends the canonical member `text` begins with.
fn member_end(text: &[u8]) -> usize {
    let mut scan = MemberScan::default();
    text.iter()
        .position(|&byte| scan.ends_member(byte))
        .unwrap_or(text.len().saturating_sub(1))
}

/// Follows canonical text (no whitespace, well formed) from the start of a member.
#[derive(Default)]
struct MemberScan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl MemberScan {
    /// Whether `byte`, the next one, is the comma that ends the member.
    fn ends_member(&mut self, byte: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
            return false;
        }
        match byte {
            b'"' => self.in_string = true,
            b'[' | b'{' => self.depth += 1,
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            b',' => return self.depth == 0,
            _ => {}
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ROOM: &str = r#"{"EventGroupId":1,"EventType":103,"CallbackTs":1608086882372,"EventInfo":{"RoomId":20222,"EventTs":1608086882,"UserId":"u1","Reason":1}}"#;

    fn key(scheme: Scheme, app: u64, command: &str, body: &str) -> IdempotencyKey {
        IdempotencyKey::derive(scheme, app, command, body.as_bytes())
    }

    fn chat(body: &str) -> IdempotencyKey {
        key(Scheme::Chat, 1400000000, "X.Y", body)
    }

    fn canonical(body: &str) -> Option<String> {
        canonicalize(body.as_bytes()).map(|text| String::from_utf8(text).unwrap())
    }

    #[test]
    fn a_retry_gets_the_same_key() {
        let first = key(Scheme::Trtc, 1400000000, "TRTC.1.103", ROOM);
        let retry = ROOM.replace("1608086882372", "1608086892399");
        assert_eq!(first, key(Scheme::Trtc, 1400000000, "TRTC.1.103", &retry));
        // Whitespace and key order are not part of it either.
        let reformatted = "{\n\t\"EventInfo\": {\"UserId\": \"u1\", \"RoomId\": 20222, \"Reason\": 1, \"EventTs\": 1608086882},\n\t\"EventType\": 103, \"CallbackTs\": 1, \"EventGroupId\": 1}";
        assert_eq!(
            first,
            key(Scheme::Trtc, 1400000000, "TRTC.1.103", reformatted)
        );
    }

    #[test]
    fn different_events_get_different_keys() {
        let base = key(Scheme::Trtc, 1400000000, "TRTC.1.103", ROOM);
        let others = [
            key(Scheme::Chat, 1400000000, "TRTC.1.103", ROOM),
            key(Scheme::Trtc, 1400000001, "TRTC.1.103", ROOM),
            key(Scheme::Trtc, 1400000000, "TRTC.1.104", ROOM),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("\"u1\"", "\"u2\""),
            ),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("1608086882,", "1608086883,"),
            ),
            key(
                Scheme::Trtc,
                1400000000,
                "TRTC.1.103",
                &ROOM.replace("20222", "\"20222\""),
            ),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&base, other, "variant {i}");
        }
    }

    #[test]
    fn call_wrapper_callback_ts_is_per_attempt() {
        let a = r#"{"CallId":"c","Callback":{"EventType":311,"CallbackTs":1,"EventInfo":{}},"EventTime":5}"#;
        let b = a.replace("\"CallbackTs\":1", "\"CallbackTs\":2");
        let c = a.replace("\"EventTime\":5", "\"EventTime\":6");
        let k = |body: &str| key(Scheme::Chat, 1, "Call.CallbackAfterRecordChanged", body);
        assert_eq!(k(a), k(&b));
        assert_ne!(k(a), k(&c));
    }

    #[test]
    fn printable_and_bounded() {
        let k = key(Scheme::Trtc, u64::MAX, "TRTC.1.103", ROOM);
        assert_eq!(k.as_str().len(), IdempotencyKey::MAX_LEN);
        assert!(k.as_str().starts_with("trtc-18446744073709551615-v2"));
        assert!(
            k.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
        let k = key(Scheme::Chat, 1400000000, "X.Y", "{}");
        assert!(k.as_str().starts_with("chat-1400000000-v2"));
        assert_eq!(format!("{k}"), k.as_str());
    }

    #[test]
    fn key_carries_the_version_marker() {
        for body in [ROOM, "not json", "{}"] {
            let k = key(Scheme::Trtc, 1400000000, "TRTC.1.103", body);
            let (prefix, last) = k.as_str().rsplit_once('-').unwrap();
            assert_eq!(prefix, "trtc-1400000000");
            // A first-version key ended in exactly 32 hex digits; this one never does.
            let hex = last.strip_prefix("v2").unwrap();
            assert_eq!(hex.len(), 32);
            assert!(
                hex.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
    }

    #[test]
    fn unparsable_bodies_still_get_a_key() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(1000), "]".repeat(1000));
        let a = key(Scheme::Chat, 1, "X.Y", &deep);
        let b = key(Scheme::Chat, 1, "X.Y", &deep.replace("\"a\"", "\"b\""));
        assert_ne!(a, b);
    }

    #[test]
    fn integers_beyond_u64_do_not_collide() {
        assert_ne!(
            chat(r#"{"n":18446744073709551616}"#),
            chat(r#"{"n":18446744073709551617}"#)
        );
        assert_ne!(chat("18446744073709551616"), chat("18446744073709551617"));
        assert_ne!(
            chat("[123456789012345678901234567890]"),
            chat("[123456789012345678901234567891]")
        );
    }

    #[test]
    fn numbers_are_keyed_by_their_exact_text() {
        assert_ne!(chat(r#"{"n":0.1}"#), chat(r#"{"n":0.10000000000000001}"#));
        let spellings = ["1", "1.0", "1e0", "1E0", "1e+0", "10e-1", "-0", "0", "0.0"];
        for (i, a) in spellings.iter().enumerate() {
            assert_eq!(canonical(&format!("[ {a} ]")).unwrap(), format!("[{a}]"));
            for b in &spellings[i + 1..] {
                assert_ne!(chat(&format!("[{a}]")), chat(&format!("[{b}]")), "{a} {b}");
            }
        }
    }

    #[test]
    fn every_occurrence_of_a_duplicated_key_counts() {
        assert_ne!(chat(r#"{"a":1,"a":2}"#), chat(r#"{"a":2}"#));
        assert_ne!(chat(r#"{"a":1,"a":2}"#), chat(r#"{"a":1}"#));
        assert_ne!(chat(r#"{"a":1,"a":1}"#), chat(r#"{"a":1}"#));
        assert_eq!(chat(r#"{"a":1,"a":2}"#), chat(r#"{"a":2,"a":1}"#));
        assert_eq!(
            chat(r#"{"b":[1],"a":{"x":2,"x":1},"a":3}"#),
            chat(r#"{"a":3,"b":[1],"a":{"x":1,"x":2}}"#)
        );
        assert_eq!(canonical(r#"{"a":2,"a":1}"#).unwrap(), r#"{"a":1,"a":2}"#);
    }

    #[test]
    fn string_escapes_do_not_change_the_key() {
        assert_eq!(chat(r#"{"s":"\u0041"}"#), chat(r#"{"s":"A"}"#));
        assert_eq!(chat(r#"{"s":"\/"}"#), chat(r#"{"s":"/"}"#));
        assert_eq!(chat(r#"{"\u0073":"x"}"#), chat(r#"{"s":"x"}"#));
        assert_eq!(chat(r#"["\u00e9", "\u00E9"]"#), chat(r#"["é","é"]"#));
        assert_eq!(chat(r#"["\ud83d\ude00"]"#), chat(r#"["😀"]"#));
        assert_eq!(chat(r#"["\u000a\u0022\u005c"]"#), chat(r#"["\n\"\\"]"#));
        assert_eq!(chat(r#"["\u001F"]"#), chat(r#"["\u001f"]"#));
        // A lone surrogate is kept as an escape, in lowercase.
        assert_eq!(chat(r#"["\uD800"]"#), chat(r#"["\ud800"]"#));
        assert_ne!(chat(r#"["\ud800"]"#), chat(r#"["\ud801"]"#));
        assert_eq!(
            canonical(r#"["\uD800\u0041", "\uDC00", "\u0008\u000C\u0001\u007F\u2028"]"#).unwrap(),
            "[\"\\ud800A\",\"\\udc00\",\"\\b\\f\\u0001\u{7f}\u{2028}\"]"
        );
        // Escapes never merge different strings.
        assert_ne!(chat(r#"["\\u0041"]"#), chat(r#"["A"]"#));
    }

    #[test]
    fn every_callback_ts_is_removed_where_it_is_per_attempt() {
        let base = chat(r#"{"a":1,"Callback":{"b":2}}"#);
        for retry in [
            r#"{"CallbackTs":1,"a":1,"Callback":{"b":2}}"#,
            r#"{"CallbackTs":1,"a":1,"CallbackTs":2,"Callback":{"b":2,"CallbackTs":3,"CallbackTs":[4]}}"#,
            r#"{"a":1,"Callback\u0054s":{"x":1},"Callback":{"\u0043allbackTs":5,"b":2}}"#,
        ] {
            assert_eq!(base, chat(retry), "{retry}");
        }
        // Anywhere else it is part of the event.
        assert_ne!(chat(r#"{"a":{}}"#), chat(r#"{"a":{"CallbackTs":1}}"#));
        assert_ne!(
            chat(r#"{"Callback":{"a":{}}}"#),
            chat(r#"{"Callback":{"a":{"CallbackTs":1}}}"#)
        );
        assert_ne!(chat("[{}]"), chat(r#"[{"CallbackTs":1}]"#));
        assert_ne!(
            chat(r#"{"Callback":[]}"#),
            chat(r#"{"Callback":[{"CallbackTs":1}]}"#)
        );
        assert_ne!(chat(r#"{"callbackts":1}"#), chat("{}"));
        assert_eq!(canonical(r#"{"CallbackTs":1}"#).unwrap(), "{}");
    }

    #[test]
    fn many_equal_members_sort_quickly() {
        // Equal members compare up to their own end, not through the rest of the object
        // (which made this quadratic).
        let members = vec![r#""a":0"#; 100_000].join(",");
        let body = format!("{{{members},\"b\":[{{}}],\"a\":0}}");
        let text = canonical(&body).unwrap();
        assert_eq!(text, format!("{{{members},\"a\":0,\"b\":[{{}}]}}"));
    }

    #[test]
    fn canonical_form() {
        assert_eq!(
            canonical(" { \"b\" : [ 1 , 2.50 , \"x\\u0041\" , {} , [ ] ] ,\r\n\t\"a\" : { \"d\" : null , \"c\" : true , \"e\": false } } ").unwrap(),
            r#"{"a":{"c":true,"d":null,"e":false},"b":[1,2.50,"xA",{},[]]}"#
        );
        // Members sort by key, then value; a number before its longer spellings.
        assert_eq!(
            canonical(r#"{"a":12,"ab":0,"a":1,"a":1.5,"a":"1","a":1e5}"#).unwrap(),
            r#"{"a":"1","a":1,"a":1.5,"a":12,"a":1e5,"ab":0}"#
        );
        assert_eq!(canonical(r#""x""#).unwrap(), r#""x""#);
        assert_eq!(canonical("-0.5E-7").unwrap(), "-0.5E-7");
    }

    #[test]
    fn invalid_json_is_taken_as_received() {
        for body in [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{'a':1}",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "0x1",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "[1]x",
            "{} {}",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\u{1}\"",
            "\"\t\"",
            "[1 2]",
            "{\"a\":1 \"b\":2}",
            "{1:2}",
            "[\u{a0}1]",
            "\u{feff}{}",
        ] {
            assert_eq!(canonical(body), None, "{body:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_err(),
                "{body:?}"
            );
        }
        assert_eq!(canonicalize(b"[\"\xff\"]"), None);
        assert_eq!(canonicalize(b"[\"\xc3\"]"), None);
        // Taken as received, every byte counts.
        assert_ne!(chat("{\"a\":1"), chat("{\"a\": 1"));
    }

    #[test]
    fn nesting_limit_matches_serde_json() {
        let nested = |depth: usize, open: &str, close: &str| {
            format!("{}{}", open.repeat(depth), close.repeat(depth))
        };
        for (open, close) in [("[", "]"), ("{\"a\":", "}"), ("[{\"a\":", "}]")] {
            for depth in [1, 60, 63, 64, 126, 127, 128, 129, 500] {
                let body = nested(depth, open, close);
                let ours = canonical(&body);
                let theirs = serde_json::from_str::<serde_json::Value>(&body);
                assert_eq!(ours.is_some(), theirs.is_ok(), "{open} x {depth}");
                if let Some(text) = ours {
                    assert_eq!(text, body);
                }
            }
        }
        assert!(canonical(&nested(MAX_DEPTH - 1, "[", "]")).is_some());
        assert!(canonical(&nested(MAX_DEPTH, "[", "]")).is_none());
    }

    #[test]
    fn bodies_taken_as_received_never_share_a_key_with_canonical_ones() {
        let app = 1400000000;
        // The same bytes under the two forms.
        for body in [&b"{}"[..], b"[1]", b"\"x\"", b"not json"] {
            assert_ne!(
                digest(Scheme::Chat, app, "X.Y", CANONICAL, body),
                digest(Scheme::Chat, app, "X.Y", AS_RECEIVED, body)
            );
        }
        // Too deep: its bytes, taken as received, differ from any canonical body's key.
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let received = chat(&deep);
        assert_eq!(
            received.as_str()[18..],
            hex(digest(
                Scheme::Chat,
                app,
                "X.Y",
                AS_RECEIVED,
                deep.as_bytes()
            ))
        );
        assert_ne!(
            received.as_str()[18..],
            hex(digest(Scheme::Chat, app, "X.Y", CANONICAL, deep.as_bytes()))
        );
        let shallower = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert_ne!(received, chat(&shallower));
    }

    fn hex(digest: [u8; 16]) -> String {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn parts_cannot_run_into_each_other() {
        // Joined with NUL separators these two would hash the same bytes.
        assert_ne!(
            key(Scheme::Chat, 1, "A\u{0}1", "[]"),
            key(Scheme::Chat, 1, "A", "1\u{0}[]")
        );
        assert_ne!(
            key(Scheme::Chat, 1, "AB", "[]"),
            key(Scheme::Chat, 1, "A", "B[]")
        );
    }

    // ---- Property tests -----------------------------------------------------------------

    /// A JSON value as a model, numbers as text.
    #[derive(Clone, Debug)]
    enum Json {
        Null,
        Bool(bool),
        Number(String),
        Str(String),
        Array(Vec<Json>),
        Object(Vec<(String, Json)>),
    }

    /// The test's own canonical text: members sorted by (key text, value text), strings
    /// escaped by serde_json, numbers as written; `CallbackTs` dropped where the key drops
    /// it.
    fn model_text(value: &Json, strip: Strip) -> String {
        match value {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Number(text) => text.clone(),
            Json::Str(s) => serde_json::to_string(s).unwrap(),
            Json::Array(items) => {
                let items: Vec<_> = items
                    .iter()
                    .map(|v| model_text(v, Strip::Nothing))
                    .collect();
                format!("[{}]", items.join(","))
            }
            Json::Object(members) => {
                let mut members: Vec<(String, String)> = members
                    .iter()
                    .filter(|(k, _)| !(strip != Strip::Nothing && k == "CallbackTs"))
                    .map(|(k, v)| {
                        let inner = if strip == Strip::TopLevel && k == "Callback" {
                            Strip::Callback
                        } else {
                            Strip::Nothing
                        };
                        (serde_json::to_string(k).unwrap(), model_text(v, inner))
                    })
                    .collect();
                members.sort();
                let members: Vec<_> = members
                    .into_iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
        }
    }

    /// xorshift64*: the choices of one rendering.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Self(seed | 1)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n
        }
        fn coin(&mut self) -> bool {
            self.below(2) == 0
        }
    }

    /// Serialises `value` as some sender might: members shuffled, whitespace anywhere
    /// between tokens, strings escaped at random; with `callback_ts`, per-attempt
    /// `CallbackTs` members added at the top level and in a top-level `Callback` object.
    fn render(value: &Json, rng: &mut Rng, callback_ts: Strip, out: &mut String) {
        fn ws(rng: &mut Rng, out: &mut String) {
            out.push_str(["", "", "", " ", "\n", "\t ", "\r\n  "][rng.below(7) as usize]);
        }
        fn escape(ch: char, rng: &mut Rng, out: &mut String) {
            let mut units = [0; 2];
            for unit in ch.encode_utf16(&mut units) {
                if rng.coin() {
                    let _ = write!(out, "\\u{unit:04x}");
                } else {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
        fn string(s: &str, rng: &mut Rng, out: &mut String) {
            out.push('"');
            for ch in s.chars() {
                let short = match ch {
                    '"' => Some("\\\""),
                    '\\' => Some("\\\\"),
                    '\u{8}' => Some("\\b"),
                    '\u{c}' => Some("\\f"),
                    '\n' => Some("\\n"),
                    '\r' => Some("\\r"),
                    '\t' => Some("\\t"),
                    '/' if rng.coin() => Some("\\/"),
                    _ => None,
                };
                let must_escape = ch < ' ' || ch == '"' || ch == '\\';
                match short {
                    Some(text) if rng.coin() => out.push_str(text),
                    _ if must_escape || rng.below(4) == 0 => escape(ch, rng, out),
                    _ => out.push(ch),
                }
            }
            out.push('"');
        }
        ws(rng, out);
        match value {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::Str(s) => string(s, rng, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    render(item, rng, Strip::Nothing, out);
                }
                ws(rng, out);
                out.push(']');
            }
            Json::Object(members) => {
                let mut members: Vec<(String, Json, Strip)> = members
                    .iter()
                    .map(|(k, v)| {
                        let inner = if callback_ts == Strip::TopLevel && k == "Callback" {
                            Strip::Callback
                        } else {
                            Strip::Nothing
                        };
                        (k.clone(), v.clone(), inner)
                    })
                    .collect();
                if callback_ts != Strip::Nothing {
                    for _ in 0..rng.below(3) {
                        let ts = Json::Number((1_600_000_000_000 + rng.below(1 << 40)).to_string());
                        members.push(("CallbackTs".into(), ts, Strip::Nothing));
                    }
                }
                for i in (1..members.len()).rev() {
                    members.swap(i, rng.below(i as u64 + 1) as usize);
                }
                out.push('{');
                for (i, (k, v, inner)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    string(k, rng, out);
                    ws(rng, out);
                    out.push(':');
                    render(v, rng, *inner, out);
                    ws(rng, out);
                }
                ws(rng, out);
                out.push('}');
            }
        }
        ws(rng, out);
    }

    fn rendered(value: &Json, seed: u64, callback_ts: Strip) -> String {
        let mut out = String::new();
        render(value, &mut Rng::new(seed), callback_ts, &mut out);
        out
    }

    /// Number text of any shape, never through a float.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "0",
                "-0",
                "1",
                "1.0",
                "1e0",
                "1E0",
                "10",
                "100",
                "1e2",
                "0.1",
                "0.10000000000000001",
                "18446744073709551615",
                "18446744073709551616",
                "18446744073709551617",
                "-1",
                "1.5e-3",
            ])
            .prop_map(str::to_owned),
            "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,24})?([eE][+-]?[0-9]{1,4})?",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "",
                "a",
                "A",
                "/",
                "é",
                "\"",
                "\\",
                "\n",
                "\u{1}",
                "😀",
                "\u{7f}",
                "\u{2028}",
                "Callback",
                "CallbackTs",
            ])
            .prop_map(str::to_owned),
            prop::collection::vec(any::<char>(), 0..6).prop_map(String::from_iter),
        ]
    }

    fn json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            number().prop_map(Json::Number),
            text().prop_map(Json::Str),
        ];
        leaf.prop_recursive(5, 64, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
                prop::collection::vec((prop_oneof![3 => "[ab]{0,2}", 1 => text()], inner), 0..5)
                    .prop_map(Json::Object),
            ]
        })
    }

    /// Small values from few choices, so that pairs are often equal or nearly so.
    fn small_json() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            prop::sample::select(vec!["1", "1.0", "10", "0.1", "0.10000000000000001"])
                .prop_map(|n| Json::Number(n.into())),
            prop::sample::select(vec!["a", "A", "/"]).prop_map(|s| Json::Str(s.into())),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
                prop::collection::vec(("[ab]", inner), 0..3).prop_map(Json::Object),
            ]
        })
    }

    /// `value` changed in one place, chosen by `rng`; sometimes not changed at all (an array
    /// reversed into itself, an object's members reordered).
    fn tweak(value: &Json, rng: &mut Rng) -> Json {
        match value {
            Json::Null => Json::Bool(rng.coin()),
            Json::Bool(b) => Json::Bool(!b),
            Json::Number(text) => Json::Number(if rng.coin() {
                // The same value spelled otherwise: `1.5e3` -> `1.50e3`, `1` -> `1.0`.
                let mantissa = text.find(['e', 'E']).unwrap_or(text.len());
                let zero = if text[..mantissa].contains('.') {
                    "0"
                } else {
                    ".0"
                };
                format!("{}{zero}{}", &text[..mantissa], &text[mantissa..])
            } else {
                match text.strip_prefix('-') {
                    Some(positive) => positive.to_owned(),
                    None => format!("-{text}"),
                }
            }),
            Json::Str(s) => Json::Str(format!(
                "{s}{}",
                ["a", "A", "\\u0041", "\0"][rng.below(4) as usize]
            )),
            Json::Array(items) if items.is_empty() => Json::Array(vec![Json::Null]),
            Json::Array(items) => {
                let mut items = items.clone();
                match rng.below(3) {
                    0 => items.reverse(),
                    1 => items.pop().map(drop).unwrap_or(()),
                    _ => {
                        let i = rng.below(items.len() as u64) as usize;
                        items[i] = tweak(&items[i], rng);
                    }
                }
                Json::Array(items)
            }
            Json::Object(members) if members.is_empty() => {
                Json::Object(vec![("a".into(), Json::Null)])
            }
            Json::Object(members) => {
                let mut members = members.clone();
                let i = rng.below(members.len() as u64) as usize;
                match rng.below(5) {
                    0 => members.reverse(),
                    1 => members.push(members[i].clone()),
                    2 => drop(members.remove(i)),
                    3 => members[i].0.push('b'),
                    _ => members[i].1 = tweak(&members[i].1, rng),
                }
                Json::Object(members)
            }
        }
    }

    /// A top-level object, often with a TUICallKit-style `Callback` object in it.
    fn event() -> impl Strategy<Value = Json> {
        let members = || prop::collection::vec(("[a-c]{1,2}|Callback|EventInfo", json()), 0..6);
        (members(), prop::option::of(members())).prop_map(|(mut members, callback)| {
            if let Some(callback) = callback {
                members.push(("Callback".into(), Json::Object(callback)));
            }
            Json::Object(members)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn prop_canonical_text_matches_the_model(value in json(), seed in any::<u64>()) {
            let body = rendered(&value, seed, Strip::Nothing);
            // The rendering is JSON by another reader too.
            // (`IgnoredAny`: a `Value` refuses numbers beyond `f64`, which JSON allows.)
            prop_assert!(
                serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok(),
                "{}",
                body
            );
            let text = canonicalize(body.as_bytes()).expect("valid JSON");
            prop_assert!(text.len() <= body.len());
            prop_assert_eq!(String::from_utf8(text).unwrap(), model_text(&value, Strip::TopLevel));
        }

        #[test]
        fn prop_distinct_canonical_bodies_get_distinct_keys(
            (a, b) in prop_oneof![
                (small_json(), small_json()),
                (json(), json()),
                (json(), any::<u64>()).prop_map(|(a, seed)| {
                    let b = tweak(&a, &mut Rng::new(seed));
                    (a, b)
                }),
            ],
            seeds in any::<(u64, u64)>(),
        ) {
            let same_event = model_text(&a, Strip::TopLevel) == model_text(&b, Strip::TopLevel);
            let ka = chat(&rendered(&a, seeds.0, Strip::Nothing));
            let kb = chat(&rendered(&b, seeds.1, Strip::Nothing));
            prop_assert_eq!(same_event, ka == kb, "{:?} / {:?}", a, b);
        }

        #[test]
        fn prop_a_re_serialised_event_keeps_its_key(value in event(), seeds in any::<(u64, u64)>()) {
            let first = rendered(&value, seeds.0, Strip::TopLevel);
            let retry = rendered(&value, seeds.1, Strip::TopLevel);
            let k = |body: &str| key(Scheme::Trtc, 1400000000, "TRTC.1.103", body);
            prop_assert_eq!(k(&first), k(&retry), "{} / {}", first, retry);
            let compact = model_text(&value, Strip::TopLevel);
            prop_assert_eq!(k(&first), k(&compact));
        }
    }
}
