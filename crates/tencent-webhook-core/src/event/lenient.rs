//! Lenient decoders: Tencent's samples put strings where its tables say numbers and the
//! other way round (`EventTs` as `"1622186275"` in <https://trtc.io/document/54914>,
//! `Owner_Account` as a bare number in <https://trtc.io/document/64423>), so numbers and ids
//! accept both.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// A number sent as a JSON number or as a decimal string, as an `Option` (absent or null
/// is `None`).
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(IntVisitor)
}

/// Like [`opt_i64`], for non-negative values (timestamps).
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match opt_i64(d)? {
        None => Ok(None),
        Some(v) => u64::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom("negative value")),
    }
}

/// A required [`opt_u64`] that fits `u32`.
pub(crate) fn u32_required<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = opt_i64(d)?.ok_or_else(|| de::Error::custom("missing number"))?;
    u32::try_from(v).map_err(|_| de::Error::custom("out of range"))
}

/// Like [`u32_required`], as an `Option`.
pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match opt_i64(d)? {
        None => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom("out of range")),
    }
}

struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(Some(v as i64))
        } else {
            Err(E::custom("not an integer"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse()
            .map(Some)
            .map_err(|_| E::custom("not a decimal integer"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A string that may have been sent as a bare number (e.g. `Owner_Account`).
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A list of strings that may also arrive as one string (`FileList` is a string in event
/// 304 and an array in event 310).
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
        Null(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
        OneOrMany::Null(()) => Vec::new(),
    })
}

/// A TRTC room id: a string room id or a numeric one, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RoomId {
    /// A numeric room id (TRTC `RoomId` as an integer).
    Number(u64),
    /// A string room id.
    String(String),
}

/// Accepts what `#[serde(untagged)]` would (a non-negative integer, else a string), read
/// straight from the input: the derived untagged impl buffers the value and builds an
/// error for the `Number` attempt on every string room id.
impl<'de> Deserialize<'de> for RoomId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RoomId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a room id: a non-negative integer or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RoomId::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(RoomId::Number)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RoomId::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(RoomId::String(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                std::str::from_utf8(v)
                    .map(|s| RoomId::String(s.to_owned()))
                    .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_u64")]
        n: Option<u64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "string_list")]
        l: Vec<String>,
    }

    fn t(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_from_numbers_or_strings() {
        assert_eq!(t(r#"{"n":1670574414123}"#).unwrap().n, Some(1670574414123));
        assert_eq!(
            t(r#"{"n":"1670574414123"}"#).unwrap().n,
            Some(1670574414123)
        );
        assert_eq!(t(r#"{"n":null}"#).unwrap().n, None);
        assert_eq!(t(r#"{}"#).unwrap().n, None);
        assert!(t(r#"{"n":"abc"}"#).is_err());
        assert!(t(r#"{"n":-1}"#).is_err());
        assert!(t(r#"{"n":{}}"#).is_err());
    }

    #[test]
    fn strings_from_strings_or_numbers() {
        assert_eq!(
            t(r#"{"s":144115245353757792}"#).unwrap().s.as_deref(),
            Some("144115245353757792")
        );
        assert_eq!(t(r#"{"s":"u1"}"#).unwrap().s.as_deref(), Some("u1"));
        assert!(t(r#"{"s":[1]}"#).is_err());
    }

    #[test]
    fn lists_from_one_or_many() {
        assert_eq!(t(r#"{"l":"a.m3u8"}"#).unwrap().l, vec!["a.m3u8"]);
        assert_eq!(t(r#"{"l":["a","b"]}"#).unwrap().l, vec!["a", "b"]);
        assert!(t(r#"{"l":null}"#).unwrap().l.is_empty());
    }

    #[test]
    fn room_ids_keep_their_kind() {
        let n: RoomId = serde_json::from_str("8489").unwrap();
        assert_eq!(n, RoomId::Number(8489));
        let s: RoomId = serde_json::from_str(r#""635055""#).unwrap();
        assert_eq!(s, RoomId::String("635055".into()));
        assert_eq!(s.to_string(), "635055");
        // What the derived untagged impl refused stays refused.
        for bad in [
            "-1",
            "1.5",
            "true",
            "null",
            "[]",
            "{}",
            "18446744073709551616",
        ] {
            assert!(serde_json::from_str::<RoomId>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::from_str::<RoomId>(r#""a\"b""#).unwrap(),
            RoomId::String("a\"b".into())
        );
        assert_eq!(
            serde_json::from_str::<RoomId>("18446744073709551615").unwrap(),
            RoomId::Number(u64::MAX)
        );
        // Serialising is unchanged: untagged, as sent.
        assert_eq!(serde_json::to_string(&RoomId::Number(7)).unwrap(), "7");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""635055""#);
    }
}
