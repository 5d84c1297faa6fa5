//! The tolerant decoders: the one mechanism by which every typed event reads its body.
//! Numbers may come as strings and strings as numbers (Tencent's samples put strings where
//! its tables say numbers and the other way round: `EventTs` as `"1622186275"` in
//! <https://trtc.io/document/54914>, `Owner_Account` as a bare number in
//! <https://trtc.io/document/64423>), one value stands for a list of one, and beyond that
//! a decoder never fails on a value of an unexpected type. Such a value is skipped (the
//! field reads as `None`, empty, or an enum's `Unknown`/`Other` variant) and noted, so the
//! caller can keep the whole body as JSON next to the typed event ([`watch`],
//! [`whole_body`]). Only malformed JSON is an error.
//!
//! Every decoder is a `deserialize_with` function named after the field type it reads
//! ([`string`], [`int`], [`uint`], [`uint32`], [`boolean`], [`strings`], [`ints`],
//! [`object`], [`objects`], [`room_id`], [`value`]), and reads straight from the input
//! (no intermediate JSON tree), so a known command costs one pass over its body; a second
//! pass happens only when a value had an unexpected type.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::room_id::{RoomId, RoomIdVisitor};

thread_local! {
    static MISMATCH: Cell<bool> = const { Cell::new(false) };
    /// Heap bytes of the JSON trees built by the decode in progress ([`count_trees`]).
    static TREES: Cell<usize> = const { Cell::new(0) };
}

/// Run `decode` and report how many heap bytes the JSON trees it built hold (an unknown
/// command's body, an event's `raw`, an unknown payload, a `MsgContent`): 16 to 32 times
/// the JSON they come from, which the caller charges to the buffer budget.
pub(crate) fn count_trees<T>(decode: impl FnOnce() -> T) -> (T, usize) {
    let outer = TREES.with(|t| t.replace(0));
    let out = decode();
    let bytes = TREES.with(|t| t.replace(outer));
    (out, bytes)
}

/// Count a tree built by the decode in progress (see [`count_trees`]).
pub(crate) fn note_tree(value: &Value) {
    TREES.with(|t| t.set(t.get().saturating_add(tree_bytes(value))));
}

/// [`note_tree`] for an object.
pub(crate) fn note_map(map: &Map<String, Value>) {
    TREES.with(|t| t.set(t.get().saturating_add(map_bytes(map))));
}

/// The heap bytes a JSON tree holds: each value's own size in its parent, strings'
/// capacities, and per object member its key and the map's share of a node.
fn tree_bytes(value: &Value) -> usize {
    match value {
        Value::String(s) => s.capacity(),
        Value::Array(items) => {
            items.capacity() * std::mem::size_of::<Value>()
                + items.iter().map(tree_bytes).sum::<usize>()
        }
        Value::Object(map) => map_bytes(map),
        _ => 0,
    }
}

fn map_bytes(map: &Map<String, Value>) -> usize {
    /// A member's key and value in a B-tree node, with the node's own overhead shared.
    const MEMBER: usize = std::mem::size_of::<String>()
        + std::mem::size_of::<Value>()
        + 2 * std::mem::size_of::<usize>();
    map.iter()
        .map(|(k, v)| MEMBER + k.capacity() + tree_bytes(v))
        .sum()
}

/// Note that a value of an unexpected type was skipped.
fn mark() {
    MISMATCH.with(|m| m.set(true));
}

/// Run `decode` and report whether any tolerant decoder skipped a value of an unexpected
/// type while it ran. Decoding is synchronous, so a thread-local flag is exact; a `watch`
/// inside another passes what it saw on to the outer one.
pub(crate) fn watch<T>(decode: impl FnOnce() -> T) -> (T, bool) {
    let outer = MISMATCH.with(|m| m.replace(false));
    let out = decode();
    let hit = MISMATCH.with(|m| m.replace(outer || m.get()));
    (out, hit)
}

/// The whole body as a JSON object, for the `raw` field of an event in which [`watch`]
/// saw a mismatch. `None` only when no JSON tree can be built of it (nesting past
/// serde_json's 128 levels inside a skipped value): the event is delivered all the same.
pub(crate) fn whole_body(body: &[u8]) -> Option<Box<Map<String, Value>>> {
    let map = serde_json::from_slice::<Map<String, Value>>(body).ok()?;
    note_map(&map);
    Some(Box::new(map))
}

fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visit methods for the JSON types a visitor does not expect: skip and note.
macro_rules! unexpected {
    (bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            mark();
            Ok(Default::default())
        }
    };
    (numbers) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            mark();
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            mark();
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            mark();
            Ok(Default::default())
        }
    };
    (str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            mark();
            Ok(Default::default())
        }
    };
    (seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            mark();
            skip_seq(seq)?;
            Ok(Default::default())
        }
    };
    (map) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            mark();
            skip_map(map)?;
            Ok(Default::default())
        }
    };
    (null) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
}

/// Deserialize with `deserialize_any` and a visitor, as a seed (for list elements).
struct Any<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for Any<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_any(self.0)
    }
}

// ---- strings ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Str;

impl<'de> Visitor<'de> for Str {
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
    unexpected!(bool);
    unexpected!(seq);
    unexpected!(map);
    unexpected!(null);
}

/// A string (or a number, as its decimal text, e.g. `Owner_Account` sent as an integer).
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Str)
}

// ---- integers --------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Int;

impl<'de> Visitor<'de> for Int {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok().or_else(|| {
            mark();
            None
        }))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(Some(v as i64))
        } else {
            mark();
            Ok(None)
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        Ok(t.parse().ok().or_else(|| {
            mark();
            None
        }))
    }
    unexpected!(bool);
    unexpected!(seq);
    unexpected!(map);
    unexpected!(null);
}

/// An integer (or a decimal string).
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Int)
}

/// A non-negative integer (timestamps, counts); a negative one is an unexpected value.
pub(crate) fn uint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(d.deserialize_any(Int)?.and_then(|v| {
        u64::try_from(v).ok().or_else(|| {
            mark();
            None
        })
    }))
}

/// A non-negative integer that fits `u32` (`EventGroupId`, `EventType`).
pub(crate) fn uint32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(d.deserialize_any(Int)?.and_then(|v| {
        u32::try_from(v).ok().or_else(|| {
            mark();
            None
        })
    }))
}

// ---- room ids --------------------------------------------------------------------------

/// A [`RoomId`] field: a non-negative integer or a string, kept as sent; any other value
/// (`8489.0`, `-1`, `true`, `{}`) reads as `None` and is noted.
pub(crate) fn room_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RoomId>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<RoomId>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            RoomIdVisitor.expecting(f)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            RoomIdVisitor.visit_u64(v).map(Some)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(RoomIdVisitor.visit_i64::<E>(v).ok().or_else(|| {
                mark();
                None
            }))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            RoomIdVisitor.visit_str(v).map(Some)
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            RoomIdVisitor.visit_string(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            mark();
            Ok(None)
        }
        unexpected!(bool);
        unexpected!(seq);
        unexpected!(map);
        unexpected!(null);
    }
    d.deserialize_any(V)
}

// ---- booleans --------------------------------------------------------------------------

struct Bool;

impl<'de> Visitor<'de> for Bool {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_u64(u64::try_from(v).unwrap_or(u64::MAX))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => {
                mark();
                Ok(None)
            }
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
            t if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
            "" => Ok(None),
            _ => {
                mark();
                Ok(None)
            }
        }
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        mark();
        Ok(None)
    }
    unexpected!(seq);
    unexpected!(map);
    unexpected!(null);
}

/// A boolean (also `0`/`1` and `"true"`/`"false"`).
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Bool)
}

// ---- lists of scalars ------------------------------------------------------------------

/// A list whose elements are read by `V`; a single element stands for a list of one.
struct List<V>(V);

impl<'de, T, V> Visitor<'de> for List<V>
where
    V: Visitor<'de, Value = Option<T>> + Copy,
{
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(Any(self.0))? {
            out.extend(item);
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.visit_str(v)?.into_iter().collect())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.0.visit_i64(v)?.into_iter().collect())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.0.visit_u64(v)?.into_iter().collect())
    }
    unexpected!(bool);
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.0.visit_f64(v)?.into_iter().collect())
    }
    unexpected!(map);
    unexpected!(null);
}

/// A list of strings (numbers taken as their text; one string is a list of one).
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(List(Str))
}

/// A list of integers (one integer is a list of one).
pub(crate) fn ints<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    d.deserialize_any(List(Int))
}

// ---- objects ---------------------------------------------------------------------------

/// An object decoded as `T` (whose fields are tolerant in turn).
struct Object<T>(PhantomData<T>);

impl<T> Clone for Object<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Object<T> {}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Some)
    }
    unexpected!(bool);
    unexpected!(numbers);
    unexpected!(str);
    unexpected!(seq);
    unexpected!(null);
}

/// An object (`None` when absent, null or of another type).
pub(crate) fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(Object(PhantomData))
}

/// A list of objects (one object is a list of one; elements of another type are skipped).
pub(crate) fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Objects<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Objects<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element_seed(Any(Object::<T>(PhantomData)))? {
                out.extend(item);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Ok(vec![T::deserialize(MapAccessDeserializer::new(map))?])
        }
        unexpected!(bool);
        unexpected!(numbers);
        unexpected!(str);
        unexpected!(null);
    }
    d.deserialize_any(Objects(PhantomData))
}

/// A value captured as raw JSON (a field whose type depends on a sibling that may come
/// after it, e.g. `Payload` and `EventType`), read as an object `T` like [`object`].
pub(crate) fn object_in<'a, T: Deserialize<'a>>(
    raw: &'a RawValue,
) -> serde_json::Result<Option<T>> {
    let mut d = serde_json::Deserializer::from_str(raw.get());
    let out = object(&mut d)?;
    d.end()?;
    Ok(out)
}

/// Any JSON value, kept as sent (`MsgContent`, whose shape depends on `MsgType`).
pub(crate) fn value<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    note_tree(&value);
    Ok(value)
}

// ---- the body's own CallbackCommand ----------------------------------------------------

/// The `CallbackCommand` inside a body, which must equal the query's when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum BodyCommand {
    /// Absent (or null): the query names the command.
    #[default]
    Absent,
    /// A string.
    Named(String),
    /// Something other than a string: never equal to a command.
    NotAString,
}

impl BodyCommand {
    /// Whether the body agrees with the query's `command`.
    pub(crate) fn agrees_with(&self, command: &str) -> bool {
        match self {
            Self::Absent => true,
            Self::Named(name) => name == command,
            Self::NotAString => false,
        }
    }
}

impl<'de> Deserialize<'de> for BodyCommand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BodyCommand;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BodyCommand::Named(v.to_owned()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(BodyCommand::Absent)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(BodyCommand::NotAString)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(BodyCommand::NotAString)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(BodyCommand::NotAString)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(BodyCommand::NotAString)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                skip_seq(seq)?;
                Ok(BodyCommand::NotAString)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                skip_map(map)?;
                Ok(BodyCommand::NotAString)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    struct Inner {
        #[serde(rename = "A", default, deserialize_with = "string")]
        a: Option<String>,
    }

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(default, deserialize_with = "string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "int")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "uint")]
        u: Option<u64>,
        #[serde(default, deserialize_with = "boolean")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "strings")]
        ss: Vec<String>,
        #[serde(default, deserialize_with = "ints")]
        is: Vec<i64>,
        #[serde(default, deserialize_with = "object")]
        o: Option<Inner>,
        #[serde(default, deserialize_with = "objects")]
        os: Vec<Inner>,
    }

    fn t(json: &str) -> (T, bool) {
        let (r, hit) = watch(|| serde_json::from_str::<T>(json));
        (r.unwrap(), hit)
    }

    #[test]
    fn expected_types_decode_without_a_note() {
        let (v, hit) = t(
            r#"{"s":7,"i":"-3","u":"1670574414123","b":1,"ss":["a",2],"is":[1,"2"],"o":{"A":"x"},"os":[{"A":1}],"extra":{"deep":[1]}}"#,
        );
        assert!(!hit);
        assert_eq!(v.s.as_deref(), Some("7"));
        assert_eq!(v.i, Some(-3));
        assert_eq!(v.u, Some(1670574414123));
        assert_eq!(v.b, Some(true));
        assert_eq!(v.ss, ["a", "2"]);
        assert_eq!(v.is, [1, 2]);
        assert_eq!(v.o.unwrap().a.as_deref(), Some("x"));
        assert_eq!(v.os[0].a.as_deref(), Some("1"));
        let (v, hit) = t(r#"{"s":null,"b":"false","ss":"one","os":{"A":"solo"}}"#);
        assert!(!hit);
        assert_eq!((v.s, v.b), (None, Some(false)));
        assert_eq!(v.ss, ["one"]);
        assert_eq!(v.os.len(), 1);
    }

    #[test]
    fn unexpected_types_are_skipped_and_noted() {
        for json in [
            r#"{"s":[1,{"x":2}]}"#,
            r#"{"s":true}"#,
            r#"{"i":"abc"}"#,
            r#"{"i":{"n":1}}"#,
            r#"{"u":-1}"#,
            r#"{"b":"maybe"}"#,
            r#"{"b":[true]}"#,
            r#"{"ss":{"a":1}}"#,
            r#"{"ss":["a",{}]}"#,
            r#"{"is":["x"]}"#,
            r#"{"o":"not an object"}"#,
            r#"{"o":{"A":[]}}"#,
            r#"{"os":[1,{"A":"kept"}]}"#,
        ] {
            let (_, hit) = t(json);
            assert!(hit, "{json}");
        }
        let (v, _) = t(r#"{"os":[1,{"A":"kept"}],"ss":["a",{}],"s":true}"#);
        assert_eq!(
            v.os,
            [Inner {
                a: Some("kept".into())
            }]
        );
        assert_eq!(v.ss, ["a"]);
        assert_eq!(v.s, None);
    }

    #[derive(Deserialize, Debug)]
    struct Ids {
        #[serde(default, deserialize_with = "uint32")]
        n: Option<u32>,
        #[serde(default, deserialize_with = "room_id")]
        r: Option<RoomId>,
    }

    fn ids(json: &str) -> (Ids, bool) {
        let (r, hit) = watch(|| serde_json::from_str::<Ids>(json));
        (r.unwrap(), hit)
    }

    #[test]
    fn room_ids_and_small_numbers() {
        let (v, hit) = ids(r#"{"n":"305","r":8489}"#);
        assert!(!hit);
        assert_eq!((v.n, v.r), (Some(305), Some(RoomId::Number(8489))));
        let (v, hit) = ids(r#"{"n":305.0,"r":"635055"}"#);
        assert!(!hit);
        assert_eq!(
            (v.n, v.r),
            (Some(305), Some(RoomId::String("635055".into())))
        );
        let (v, hit) = ids(r#"{"n":null,"r":null}"#);
        assert!(!hit);
        assert_eq!((v.n, v.r), (None, None));
        for json in [
            r#"{"r":8489.0}"#,
            r#"{"r":-1}"#,
            r#"{"r":true}"#,
            r#"{"r":{}}"#,
            r#"{"r":[1]}"#,
            r#"{"n":-1}"#,
            r#"{"n":4294967296}"#,
            r#"{"n":"x"}"#,
        ] {
            let (v, hit) = ids(json);
            assert!(hit, "{json}");
            assert_eq!((v.n, v.r), (None, None), "{json}");
        }
    }

    #[test]
    fn a_nested_watch_passes_its_note_on() {
        let ((_, inner), outer) = watch(|| t(r#"{"s":true}"#));
        assert!(inner && outer);
        let ((_, inner), outer) = watch(|| {
            mark();
            t(r#"{"s":"fine"}"#)
        });
        assert!(!inner && outer);
    }

    #[test]
    fn the_note_is_per_decode() {
        let (_, hit) = t(r#"{"s":true}"#);
        assert!(hit);
        let (_, hit) = t(r#"{"s":"fine"}"#);
        assert!(!hit, "a later decode starts clean");
    }

    #[test]
    fn malformed_json_is_still_an_error() {
        assert!(watch(|| serde_json::from_str::<T>(r#"{"s":"#)).0.is_err());
        assert!(
            watch(|| serde_json::from_str::<T>(r#"{"os":[{"A":1}"#))
                .0
                .is_err()
        );
    }

    #[test]
    fn body_commands() {
        let c: BodyCommand = serde_json::from_str(r#""Live.X""#).unwrap();
        assert!(c.agrees_with("Live.X"));
        assert!(!c.agrees_with("Live.Y"));
        let c: BodyCommand = serde_json::from_str("7").unwrap();
        assert!(!c.agrees_with("7"));
        let c: BodyCommand = serde_json::from_str("null").unwrap();
        assert!(c.agrees_with("anything"));
    }
}
