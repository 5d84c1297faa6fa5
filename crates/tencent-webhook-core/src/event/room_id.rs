//! [`RoomId`]: a TRTC room id, numeric or a string, kept as the client created it.
//!
//! Its own `Deserialize` is strict (a non-negative integer or a string, nothing else);
//! inside events the field is read with [`tolerant::room_id`](super::tolerant::room_id),
//! which reads a room id of any other type as absent and notes the mismatch.

use std::fmt;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A TRTC room id: a string room id or a numeric one, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum RoomId {
    /// A numeric room id (TRTC `RoomId` as an integer).
    Number(u64),
    /// A string room id.
    String(String),
}

/// The visitor of a strict room id: a non-negative integer or a string.
pub(super) struct RoomIdVisitor;

impl<'de> Visitor<'de> for RoomIdVisitor {
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

/// Accepts what `#[serde(untagged)]` would (a non-negative integer, else a string), read
/// straight from the input: the derived untagged impl buffers the value and builds an
/// error for the `Number` attempt on every string room id.
impl<'de> Deserialize<'de> for RoomId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RoomIdVisitor)
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

    #[test]
    fn room_ids_keep_their_kind() {
        let n: RoomId = serde_json::from_str("8489").unwrap();
        assert_eq!(n, RoomId::Number(8489));
        let s: RoomId = serde_json::from_str(r#""635055""#).unwrap();
        assert_eq!(s, RoomId::String("635055".into()));
        assert_eq!(s.to_string(), "635055");
        // What the derived untagged impl refused stays refused by `RoomId` itself (inside
        // events such a room id reads as absent: see `tolerant::room_id`).
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
