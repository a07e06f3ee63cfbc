//! One reader for the JSON objects of [`crate::protocol`] (the Ledger's requests and answers,
//! the stored [`crate::protocol::Outgoing`]) and the flat wire structs of the tagged enums.
//!
//! serde's derive builds, for every struct, its own copy of the deserializer's map loop,
//! field matching and error paths: 1-5 KB of the Worker's WASM each, ≈ 40 KB for the
//! protocol's ~25 structs. Here a struct only names its fields and hands out a [`Slot`] per
//! field; the loop ([`RecordVisitor`]) exists once per deserializer. What is accepted and the
//! errors are serde's own: an object or an array of the fields in order, unknown keys skipped,
//! a duplicate key, a missing field, a value of the wrong type or a short array refused with
//! serde's message (tests compare both readers on many bodies). Records the Worker writes as
//! JSON (the Ledger's protocol, the stored message) are written by one writer too ([`write`],
//! through their [`Field`]s), as serde's derive writes them: the same JSON, compared in tests.
//! What goes to a queue (`InboxJob`, `Job`) keeps its derive: `serde_wasm_bindgen` writes it,
//! and the shared writer would be built a second time for it.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::fmt;

use crate::delivery::{Claim, State};
use crate::protocol::{Finish, Outgoing};

/// A struct read by [`read`]: its fields in declaration order and where each one goes
/// (implemented by [`record!`]).
pub(crate) trait Record: Default {
    /// The struct's name, for serde's "expected struct X" messages.
    const NAME: &'static str;
    /// The field names, in declaration order (at most 64).
    const FIELDS: &'static [&'static str];
    /// Fields whose absence from an object is an error (bit i: `FIELDS[i]`): serde's
    /// fields that are neither an `Option` nor `#[serde(default)]`.
    const REQUIRED: u64;
    /// `#[serde(default)]` fields, which an array may leave out too.
    const DEFAULTED: u64;
    /// Where each field is read into, in the order of [`Record::FIELDS`].
    fn slots(&mut self) -> Vec<Slot<'_>>;
    /// Each field's value, in the order of [`Record::FIELDS`] (for [`write`]).
    fn fields(&self) -> Vec<Field<'_>>;
}

/// How serde's derive treats a missing field.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// An error.
    Req,
    /// `None` (an `Option` without `#[serde(default)]`).
    Opt,
    /// `#[serde(default)]`.
    Default,
}

/// The bits of `kinds` that are `want`.
pub(crate) const fn mask(kinds: &[Kind], want: Kind) -> u64 {
    let mut bits = 0;
    let mut i = 0;
    while i < kinds.len() {
        if kinds[i] as u8 == want as u8 {
            bits |= 1 << i;
        }
        i += 1;
    }
    bits
}

/// `impl Record`: `record!(Type as "Name", [field: SlotVariant Kind, ...])`, with every field
/// in declaration order.
macro_rules! record {
    ($t:ty as $name:literal, [$($field:ident: $slot:ident $kind:ident),* $(,)?]) => {
        impl $crate::record::Record for $t {
            const NAME: &'static str = $name;
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];
            const REQUIRED: u64 = $crate::record::mask(
                &[$($crate::record::Kind::$kind),*],
                $crate::record::Kind::Req,
            );
            const DEFAULTED: u64 = $crate::record::mask(
                &[$($crate::record::Kind::$kind),*],
                $crate::record::Kind::Default,
            );
            fn slots(&mut self) -> Vec<$crate::record::Slot<'_>> {
                vec![$($crate::record::Slot::$slot(&mut self.$field)),*]
            }
            fn fields(&self) -> Vec<$crate::record::Field<'_>> {
                vec![$($crate::record::Field::$slot(&self.$field)),*]
            }
        }
    };
}
pub(crate) use record;

/// A field, by the type serde reads it as.
pub(crate) enum Slot<'a> {
    Str(&'a mut String),
    OptStr(&'a mut Option<String>),
    I64(&'a mut i64),
    OptI64(&'a mut Option<i64>),
    U32(&'a mut u32),
    OptU32(&'a mut Option<u32>),
    Usize(&'a mut usize),
    Bool(&'a mut bool),
    OptBool(&'a mut Option<bool>),
    Strings(&'a mut Vec<String>),
    Pairs(&'a mut Vec<(String, String)>),
    /// A `State` field (kept in an `Option` until read).
    State(&'a mut Option<State>),
    OptState(&'a mut Option<State>),
    /// A `Claim` field (kept in an `Option` until read).
    Claim(&'a mut Option<Claim>),
    /// A `Finish` field (kept in an `Option` until read).
    Finish(&'a mut Option<Finish>),
    OptOutgoing(&'a mut Option<Outgoing>),
}

/// A field's value, as [`Slot`] names its type: what [`write`] writes.
pub(crate) enum Field<'a> {
    Str(&'a String),
    OptStr(&'a Option<String>),
    I64(&'a i64),
    OptI64(&'a Option<i64>),
    U32(&'a u32),
    OptU32(&'a Option<u32>),
    Usize(&'a usize),
    Bool(&'a bool),
    OptBool(&'a Option<bool>),
    Strings(&'a Vec<String>),
    Pairs(&'a Vec<(String, String)>),
    State(&'a Option<State>),
    OptState(&'a Option<State>),
    Claim(&'a Option<Claim>),
    Finish(&'a Option<Finish>),
    OptOutgoing(&'a Option<Outgoing>),
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Str(v) => v.serialize(s),
            Field::OptStr(v) => v.serialize(s),
            Field::I64(v) => v.serialize(s),
            Field::OptI64(v) => v.serialize(s),
            Field::U32(v) => v.serialize(s),
            Field::OptU32(v) => v.serialize(s),
            Field::Usize(v) => v.serialize(s),
            Field::Bool(v) => v.serialize(s),
            Field::OptBool(v) => v.serialize(s),
            Field::Strings(v) => v.serialize(s),
            Field::Pairs(v) => v.serialize(s),
            Field::State(v) | Field::OptState(v) => v.serialize(s),
            Field::Claim(v) => v.serialize(s),
            Field::Finish(v) => v.serialize(s),
            Field::OptOutgoing(v) => v.serialize(s),
        }
    }
}

/// Writes a [`Record`] as serde's derive writes the struct: its fields in order, by name.
/// The loop exists once per serializer, not once per struct.
pub(crate) fn write<R: Record, S: Serializer>(record: &R, s: S) -> Result<S::Ok, S::Error> {
    write_fields(s, R::NAME, R::FIELDS, &record.fields())
}

fn write_fields<S: Serializer>(
    s: S,
    name: &'static str,
    names: &'static [&'static str],
    fields: &[Field],
) -> Result<S::Ok, S::Error> {
    let mut record = s.serialize_struct(name, fields.len())?;
    for (name, field) in names.iter().zip(fields) {
        record.serialize_field(name, field)?;
    }
    record.end()
}

/// Reads a [`Record`] the way serde's derive reads the struct.
pub(crate) fn read<'de, R: Record, D: Deserializer<'de>>(d: D) -> Result<R, D::Error> {
    let mut value = R::default();
    d.deserialize_struct(
        R::NAME,
        R::FIELDS,
        RecordVisitor::new::<R>(&mut value.slots()),
    )?;
    Ok(value)
}

/// Reads a [`Record`] from a JSON text, as `serde_json::from_slice` would. The reading is
/// not built per type (`from_slice::<R>`'s reader, end check and errors are ≈ 0.5 KB of the
/// Worker's WASM for each of the Ledger's ≈ 12 row types).
pub(crate) fn from_json<R: Record>(json: &[u8]) -> serde_json::Result<R> {
    let mut value = R::default();
    read_json(json, RecordVisitor::new::<R>(&mut value.slots()))?;
    Ok(value)
}

/// A value read from a whole JSON text as `serde_json::from_slice` reads it: a record through
/// [`from_json`]'s one reader, other types through `from_slice` ([`from_json_by_serde`]).
/// The Ledger's bodies and answers are read this way: a `from_slice` per record type built
/// its reader's entry, end check and the record's `Deserialize` once more each.
pub(crate) trait FromJson: Sized {
    fn from_json(json: &[u8]) -> serde_json::Result<Self>;
}

impl<R: Record> FromJson for R {
    fn from_json(json: &[u8]) -> serde_json::Result<R> {
        from_json(json)
    }
}

/// `impl FromJson` through `serde_json::from_slice`, for what is not a record.
macro_rules! from_json_by_serde {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::record::FromJson for $t {
            fn from_json(json: &[u8]) -> serde_json::Result<Self> {
                serde_json::from_slice(json)
            }
        }
    )*};
}
pub(crate) use from_json_by_serde;

fn read_json(json: &[u8], visitor: RecordVisitor) -> serde_json::Result<()> {
    let mut d = serde_json::Deserializer::from_slice(json);
    d.deserialize_struct(visitor.name, visitor.fields, visitor)?;
    d.end()
}

/// The one visitor of every record (no type parameter: one copy per deserializer).
struct RecordVisitor<'a, 'b> {
    name: &'static str,
    fields: &'static [&'static str],
    required: u64,
    defaulted: u64,
    slots: &'a mut [Slot<'b>],
}

impl<'a, 'b> RecordVisitor<'a, 'b> {
    fn new<R: Record>(slots: &'a mut [Slot<'b>]) -> Self {
        RecordVisitor {
            name: R::NAME,
            fields: R::FIELDS,
            required: R::REQUIRED,
            defaulted: R::DEFAULTED,
            slots,
        }
    }
}

/// serde's "struct X with N elements", for a short array.
struct Elements<'a>(&'a str, usize);

impl de::Expected for Elements<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = if self.1 == 1 { "" } else { "s" };
        write!(f, "struct {} with {} element{s}", self.0, self.1)
    }
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let mut seen = 0u64;
        while let Some(key) = m.next_key::<Key>()? {
            match self.fields.iter().position(|name| *name == key.0) {
                Some(i) if seen & (1 << i) != 0 => {
                    return Err(de::Error::duplicate_field(self.fields[i]));
                }
                Some(i) => {
                    seen |= 1 << i;
                    m.next_value_seed(FieldSeed(&mut self.slots[i]))?;
                }
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = self.required & !seen;
        if missing != 0 {
            return Err(de::Error::missing_field(
                self.fields[missing.trailing_zeros() as usize],
            ));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        let n = self.slots.len();
        for i in 0..n {
            if s.next_element_seed(FieldSeed(&mut self.slots[i]))?
                .is_none()
            {
                // serde's derive: a left-out `#[serde(default)]` field keeps its default,
                // any other one is an error.
                let needed = !self.defaulted & (u64::MAX << i) & (u64::MAX >> (64 - n));
                if needed != 0 {
                    return Err(de::Error::invalid_length(
                        needed.trailing_zeros() as usize,
                        &Elements(self.name, n),
                    ));
                }
                break;
            }
        }
        Ok(())
    }
}

/// A key, borrowed when the deserializer can.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("field identifier")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_owned().into()))
            }
        }
        d.deserialize_identifier(V)
    }
}

struct FieldSeed<'a, 'b>(&'a mut Slot<'b>);

impl<'de> de::DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.read(d)
    }
}

impl Slot<'_> {
    /// Reads the field from any deserializer.
    fn read<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        match self {
            Slot::Str(v) => **v = String::deserialize(d)?,
            Slot::OptStr(v) => **v = Option::deserialize(d)?,
            Slot::I64(v) => **v = i64::deserialize(d)?,
            Slot::OptI64(v) => **v = Option::deserialize(d)?,
            Slot::U32(v) => **v = u32::deserialize(d)?,
            Slot::OptU32(v) => **v = Option::deserialize(d)?,
            Slot::Usize(v) => **v = usize::deserialize(d)?,
            Slot::Bool(v) => **v = bool::deserialize(d)?,
            Slot::OptBool(v) => **v = Option::deserialize(d)?,
            Slot::Strings(v) => **v = Vec::deserialize(d)?,
            Slot::Pairs(v) => **v = Vec::deserialize(d)?,
            Slot::State(v) => **v = Some(State::deserialize(d)?),
            Slot::OptState(v) => **v = Option::deserialize(d)?,
            Slot::Claim(v) => **v = Some(Claim::deserialize(d)?),
            Slot::Finish(v) => **v = Some(Finish::deserialize(d)?),
            Slot::OptOutgoing(v) => **v = Option::deserialize(d)?,
        }
        Ok(())
    }
}

/// Reads a JavaScript value (a queue message's body, the Ledger's SQL rows) as the JSON it
/// stands for: `JSON.stringify` it, then serde_json. Everything the Worker reads goes through
/// serde_json then, so its build has no `serde_wasm_bindgen` reader and one copy of each
/// record's reader, not one per deserializer. Same values: the bodies and rows hold only
/// strings, integers, booleans, null and lists of them.
pub(crate) fn from_js<R: Record>(value: &wasm_bindgen::JsValue) -> worker::Result<R> {
    Ok(from_json(js_json(value)?.as_bytes())?)
}

/// The records of a JavaScript array (SQL rows), read as [`from_js`] reads a value. Neither
/// the list's loop nor the reading of a record is built per type ([`from_json`]).
pub(crate) fn list_from_js<R: Record>(array: &js_sys::Array) -> worker::Result<Vec<R>> {
    let mut records = Vec::with_capacity(array.length() as usize);
    each_json(array, &mut |json| {
        records.push(from_json(json)?);
        Ok(())
    })?;
    Ok(records)
}

/// Hands `read` the JSON of each element of `array`.
fn each_json(
    array: &js_sys::Array,
    read: &mut dyn FnMut(&[u8]) -> serde_json::Result<()>,
) -> worker::Result<()> {
    for item in array.iter() {
        read(js_json(&item)?.as_bytes())?;
    }
    Ok(())
}

/// `JSON.stringify(value)`.
fn js_json(value: &wasm_bindgen::JsValue) -> worker::Result<String> {
    js_sys::JSON::stringify(value)?
        .as_string()
        .ok_or_else(|| worker::Error::RustError("a value JSON cannot hold".to_owned()))
}

/// A field that [`Record::REQUIRED`] made sure was read; serde's message otherwise.
pub(crate) fn present<T, E: de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

/// `impl Deserialize` through [`read`] for records.
/// `impl Serialize` through [`write`] for records.
macro_rules! serialize_as_record {
    ($($t:ty),* $(,)?) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::record::write(self, s)
            }
        }
    )*};
}
pub(crate) use serialize_as_record;

macro_rules! deserialize_as_record {
    ($($t:ty),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::record::read(d)
            }
        }
    )*};
}
pub(crate) use deserialize_as_record;
