//! Valid JSON that serde_json cannot hold: a lone UTF-16 surrogate in a `\u` escape (what a
//! client that cuts a message in the middle of an emoji sends) and a number beyond `f64`
//! (`1e400`). Both are allowed by JSON's grammar (RFC 8259), so a verified body carrying
//! one must not be refused: [`repair`] rewrites the first as `\ufffd` (U+FFFD, the
//! replacement character) and the second as a string of the number's text, and the body is
//! decoded again. The webhook's `raw_body` keeps the bytes as received.

/// `body` with every lone surrogate escape replaced by `\ufffd` and every number beyond
/// `f64` quoted; `None` when there is nothing to repair (or the body is not UTF-8).
pub(crate) fn repair(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let mut changed = false;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'"' => {
                    in_string = false;
                    out.push(b);
                    i += 1;
                }
                b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                    let unit = hex4(bytes, i + 2);
                    match unit {
                        Some(high @ 0xD800..=0xDBFF) => {
                            let low = (bytes.get(i + 6) == Some(&b'\\')
                                && bytes.get(i + 7) == Some(&b'u'))
                            .then(|| hex4(bytes, i + 8))
                            .flatten();
                            if matches!(low, Some(0xDC00..=0xDFFF)) {
                                out.extend_from_slice(&bytes[i..i + 12]);
                                i += 12;
                            } else {
                                let _ = high;
                                out.extend_from_slice(b"\\ufffd");
                                changed = true;
                                i += 6;
                            }
                        }
                        Some(0xDC00..=0xDFFF) => {
                            out.extend_from_slice(b"\\ufffd");
                            changed = true;
                            i += 6;
                        }
                        _ => {
                            let end = (i + 6).min(bytes.len());
                            out.extend_from_slice(&bytes[i..end]);
                            i = end;
                        }
                    }
                }
                b'\\' => {
                    let end = (i + 2).min(bytes.len());
                    out.extend_from_slice(&bytes[i..end]);
                    i = end;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        } else if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            let token = &text[start..i];
            if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                out.push(b'"');
                out.extend_from_slice(token.as_bytes());
                out.push(b'"');
                changed = true;
            } else {
                out.extend_from_slice(token.as_bytes());
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    changed.then_some(out)
}

/// The four hex digits at `at`, as a number.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = std::str::from_utf8(bytes.get(at..at + 4)?).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(body: &str) -> Option<String> {
        repair(body.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn lone_surrogates_and_huge_numbers() {
        assert_eq!(
            repaired(r#"{"Text":"hi \ud83d","N":1}"#).as_deref(),
            Some(r#"{"Text":"hi \ufffd","N":1}"#)
        );
        assert_eq!(
            repaired(r#"{"a":"\udc00x\ud83d\ude00"}"#).as_deref(),
            Some(r#"{"a":"\ufffdx\ud83d\ude00"}"#)
        );
        assert_eq!(
            repaired(r#"{"n":1e400,"m":-2E+999,"k":"1e400"}"#).as_deref(),
            Some(r#"{"n":"1e400","m":"-2E+999","k":"1e400"}"#)
        );
        // Nothing to repair: a pair, an escaped quote, ordinary numbers.
        assert_eq!(repaired(r#"{"a":"\ud83d\ude00 \" \\u","b":-1.5e3}"#), None);
        assert_eq!(repaired("not json at all"), None);
        assert_eq!(repair(b"\xff"), None);
        // A cut-off escape at the end is copied as it is, never a panic.
        assert_eq!(repaired(r#"{"a":"\u12"#), None);
        assert_eq!(repaired(r#"{"a":"\"#), None);
    }
}
