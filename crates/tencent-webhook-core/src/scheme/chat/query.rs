//! The webhook query string (<https://trtc.io/document/34354>,
//! <https://trtc.io/document/64412>): parsed with a real
//! `application/x-www-form-urlencoded` parser, names matched case-insensitively.

use std::borrow::Cow;

use crate::Rejection;

/// The query parameters of one webhook request, borrowed from the URI where possible.
#[derive(Debug, Default)]
pub(crate) struct CallbackQuery<'a> {
    pub(crate) sdk_app_id: Option<Cow<'a, str>>,
    pub(crate) command: Option<Cow<'a, str>>,
    pub(crate) content_type: Option<Cow<'a, str>>,
    pub(crate) client_ip: Option<Cow<'a, str>>,
    pub(crate) opt_platform: Option<Cow<'a, str>>,
    pub(crate) sign: Option<Cow<'a, str>>,
    pub(crate) request_time: Option<Cow<'a, str>>,
}

impl<'a> CallbackQuery<'a> {
    /// Parse a raw query string (without the leading `?`).
    ///
    /// Security-relevant parameters (`SdkAppid`, `CallbackCommand`, `contenttype`, `Sign`,
    /// `RequestTime`) given twice are rejected; for the informational `ClientIP` and
    /// `OptPlatform` the first value wins. Unknown parameters are ignored.
    pub(crate) fn parse(query: &'a str) -> Result<Self, Rejection> {
        let mut q = Self::default();
        for (name, value) in pairs(query) {
            let Some((param, strict)) = Param::of(&name) else {
                continue;
            };
            let slot = match param {
                Param::SdkAppid => &mut q.sdk_app_id,
                Param::CallbackCommand => &mut q.command,
                Param::ContentType => &mut q.content_type,
                Param::Sign => &mut q.sign,
                Param::RequestTime => &mut q.request_time,
                Param::ClientIp => &mut q.client_ip,
                Param::OptPlatform => &mut q.opt_platform,
            };
            match slot {
                Some(_) if strict => return Err(Rejection::DuplicateParameter(param.canonical())),
                Some(_) => {}
                None => *slot = Some(value),
            }
        }
        Ok(q)
    }
}

/// The query parameters the receiver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    SdkAppid,
    CallbackCommand,
    ContentType,
    Sign,
    RequestTime,
    ClientIp,
    OptPlatform,
}

impl Param {
    /// The parameter a (decoded) name stands for, case-insensitively, and whether it is
    /// security-relevant (refused when repeated). Names are told apart by length first.
    fn of(name: &str) -> Option<(Self, bool)> {
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        let param = match name.len() {
            4 if is("Sign") => Self::Sign,
            8 if is("SdkAppid") => Self::SdkAppid,
            8 if is("ClientIP") => Self::ClientIp,
            11 if is("contenttype") => Self::ContentType,
            11 if is("RequestTime") => Self::RequestTime,
            11 if is("OptPlatform") => Self::OptPlatform,
            // `WebhookCommand` is the name one revision of the TUILiveKit overview uses
            // (not confirmed that it is ever sent); it is an alias.
            14 if is("WebhookCommand") => Self::CallbackCommand,
            15 if is("CallbackCommand") => Self::CallbackCommand,
            _ => return None,
        };
        Some((param, !matches!(param, Self::ClientIp | Self::OptPlatform)))
    }

    /// The name a rejection reports.
    fn canonical(self) -> &'static str {
        match self {
            Self::SdkAppid => "SdkAppid",
            Self::CallbackCommand => "CallbackCommand",
            Self::ContentType => "contenttype",
            Self::Sign => "Sign",
            Self::RequestTime => "RequestTime",
            Self::ClientIp => "ClientIP",
            Self::OptPlatform => "OptPlatform",
        }
    }
}

/// Where the first pair of `bytes` ends (at `&`, or the end), where its first `=` is, and
/// whether it holds a `%` or `+`. Eight bytes at a time, branch-light: each word gives the
/// positions of its first `&` and `=` and whether a `%` or `+` comes before that `&`; only
/// a tail of fewer than eight bytes is looked at byte by byte.
fn scan(bytes: &[u8]) -> (usize, Option<usize>, bool) {
    const fn splat(b: u8) -> u64 {
        u64::from_le_bytes([b; 8])
    }
    /// The high bit of every byte of `word` equal to `b`, exact up to and including the
    /// lowest such byte (the classic has-zero-byte test on `word ^ splat(b)`: a borrow can
    /// only mark bytes above a true match). Little-endian, so the lowest set bit is the
    /// first matching byte.
    const fn matches(word: u64, b: u8) -> u64 {
        let x = word ^ splat(b);
        x.wrapping_sub(splat(1)) & !x & splat(0x80)
    }
    /// The byte index of the lowest byte marked in a non-zero `mask`.
    fn first(mask: u64) -> usize {
        (mask.trailing_zeros() / 8) as usize
    }
    let (mut eq, mut encoded) = (None, false);
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let amp = matches(word, b'&');
        // The bits of the bytes before this word's first `&` (all of them if none).
        let before = if amp == 0 {
            u64::MAX
        } else {
            (1u64 << (amp.trailing_zeros() - 7)) - 1
        };
        if eq.is_none() {
            let e = matches(word, b'=') & before;
            if e != 0 {
                eq = Some(i + first(e));
            }
        }
        if (matches(word, b'%') | matches(word, b'+')) & before != 0 {
            encoded = true;
        }
        if amp != 0 {
            return (i + first(amp), eq, encoded);
        }
        i += 8;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'&' => return (i, eq, encoded),
            b'=' if eq.is_none() => eq = Some(i),
            b'%' | b'+' => encoded = true,
            _ => {}
        }
        i += 1;
    }
    (bytes.len(), eq, encoded)
}

/// The `(name, value)` pairs of [`form_urlencoded::parse`], without its copies: a pair with
/// no `%` and no `+` decodes to itself, so it is split in place and borrowed from the
/// query; any other pair goes through `form_urlencoded` itself. Same pairs, same order.
/// One pass over the bytes finds the separators and whether a pair needs decoding.
fn pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    let mut rest = query;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() {
                return None;
            }
            let (end, eq, encoded) = scan(rest.as_bytes());
            // `&`, `=` are ASCII, so these are character boundaries.
            let pair = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            if pair.is_empty() {
                continue;
            }
            return Some(if encoded {
                form_urlencoded::parse(pair.as_bytes())
                    .next()
                    .unwrap_or_default()
            } else {
                match eq {
                    Some(i) => (Cow::Borrowed(&pair[..i]), Cow::Borrowed(&pair[i + 1..])),
                    None => (Cow::Borrowed(pair), Cow::Borrowed("")),
                }
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tencents_query() {
        let q = CallbackQuery::parse(
            "SdkAppid=1400000000&CallbackCommand=Follow.CallbackAfterCloudRecordingChanged\
             &contenttype=json&ClientIP=10.0.0.1&OptPlatform=RESTAPI&Sign=abc&RequestTime=1669872112",
        )
        .unwrap();
        assert_eq!(q.sdk_app_id.as_deref(), Some("1400000000"));
        assert_eq!(
            q.command.as_deref(),
            Some("Follow.CallbackAfterCloudRecordingChanged")
        );
        assert_eq!(q.content_type.as_deref(), Some("json"));
        assert_eq!(q.client_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(q.opt_platform.as_deref(), Some("RESTAPI"));
        assert_eq!(q.sign.as_deref(), Some("abc"));
        assert_eq!(q.request_time.as_deref(), Some("1669872112"));
    }

    #[test]
    fn names_are_case_insensitive_and_values_percent_decoded() {
        let q = CallbackQuery::parse(
            "sdkappid=14%30&SDKAPPID_other=1&callbackcommand=Live%2ECallback&clientip=%3A%3A1",
        )
        .unwrap();
        assert_eq!(q.sdk_app_id.as_deref(), Some("140"));
        assert_eq!(q.command.as_deref(), Some("Live.Callback"));
        assert_eq!(q.client_ip.as_deref(), Some("::1"));
    }

    #[test]
    fn duplicate_security_parameters_are_rejected() {
        for query in [
            "SdkAppid=1&SdkAppId=2",
            "Sign=a&sign=b",
            "RequestTime=1&RequestTime=1",
            "CallbackCommand=a&WebhookCommand=a",
            "contenttype=json&ContentType=json",
        ] {
            assert!(
                matches!(
                    CallbackQuery::parse(query),
                    Err(Rejection::DuplicateParameter(_))
                ),
                "{query}"
            );
        }
    }

    #[test]
    fn informational_duplicates_keep_the_first() {
        let q = CallbackQuery::parse("ClientIP=1.1.1.1&ClientIP=2.2.2.2").unwrap();
        assert_eq!(q.client_ip.as_deref(), Some("1.1.1.1"));
    }

    #[test]
    fn pairs_are_those_of_form_urlencoded() {
        for query in [
            "",
            "&&&",
            "=",
            "==",
            "a",
            "a=",
            "=b",
            "a=b=c",
            "a=b&&c=d&",
            "a+b=c+d",
            "a%20b=%41%zz%",
            "%E4%BD%A0=%FF%FE",
            "x=1&y=%2B&z=+",
            "\u{4f60}=\u{597d}&k=v",
            "SdkAppid=1400000000&CallbackCommand=Live.X&contenttype=json&ClientIP=%3A%3A1",
        ] {
            let ours: Vec<_> = pairs(query).collect();
            let theirs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
            assert_eq!(ours, theirs, "{query}");
        }
        // Nothing to decode: borrowed, not copied.
        assert!(
            pairs("SdkAppid=1&Sign=ab")
                .all(|(n, v)| matches!((n, v), (Cow::Borrowed(_), Cow::Borrowed(_))))
        );
    }

    proptest::proptest! {
        #[test]
        fn pairs_match_form_urlencoded_on_any_query(
            query in proptest::prop_oneof!["[a-zA-Z0-9%+=&\u{4f60} .-]{0,48}", "(?s).{0,48}"]
        ) {
            let ours: Vec<_> = pairs(&query).collect();
            let theirs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        for query in [
            "",
            "&&&",
            "=",
            "%",
            "%zz=%zz",
            "a=b=c",
            "\u{0}=\u{0}",
            "SdkAppid",
        ] {
            let _ = CallbackQuery::parse(query);
        }
        let q = CallbackQuery::parse("SdkAppid").unwrap();
        assert_eq!(q.sdk_app_id.as_deref(), Some(""));
    }
}
