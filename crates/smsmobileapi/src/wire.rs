//! Lenient deserializers for the API's loosely typed JSON: the same field arrives as `0`,
//! `"0"`, `null` or `""` depending on endpoint and API version. Each helper accepts every
//! shape seen and normalises it once, so typed outputs never carry the mess further.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;

/// Any JSON scalar read as text: strings as they are, numbers and bools printed. `null`
/// becomes `None`, and so does an empty string (the API uses both for "nothing").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LooseString(pub Option<String>);

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor { strict: false })
    }
}

/// `strict`: an object or array is skipped by [`Skip`] (every number and string in it read),
/// as it was when the value was buffered by serde's `untagged` or `flatten` (see [`Fields`]);
/// otherwise by `IgnoredAny`.
struct LooseVisitor {
    strict: bool,
}

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = LooseString;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, bool or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseString, E> {
        let t = v.trim();
        Ok(LooseString((!t.is_empty()).then(|| t.to_owned())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseString, E> {
        Ok(LooseString(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseString, E> {
        Ok(LooseString(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseString, E> {
        Ok(LooseString(Some(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<LooseString, E> {
        Ok(LooseString(Some(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LooseString, E> {
        Ok(LooseString(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<LooseString, E> {
        Ok(LooseString(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LooseString, D::Error> {
        d.deserialize_any(self)
    }
    // An object or array where a scalar was expected: keep going rather than fail the
    // whole response over a field nobody reads.
    fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<LooseString, A::Error> {
        if self.strict {
            while m.next_entry::<Skip, Skip>()?.is_some() {}
        } else {
            while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        }
        Ok(LooseString(None))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<LooseString, A::Error> {
        if self.strict {
            while s.next_element::<Skip>()?.is_some() {}
        } else {
            while s.next_element::<de::IgnoredAny>()?.is_some() {}
        }
        Ok(LooseString(None))
    }
}

impl LooseString {
    /// A non-negative integer, whether sent as `12` or `"12"`; anything else is `None`.
    pub(crate) fn as_u64(&self) -> Option<u64> {
        let s = self.0.as_deref()?;
        // "12.0" from a float-happy serializer.
        s.parse::<u64>().ok().or_else(|| whole_number(s))
    }

    /// `1`, `"1"`, `true`, `"yes"`, `"true"` → true; `0`, `"0"`, `false`, `"no"`, `""`,
    /// `null` → false. Unknown text is `None` so the caller can decide.
    pub(crate) fn as_flag(&self) -> Option<bool> {
        match self.0.as_deref() {
            None => Some(false),
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" | "on" | "ok" | "success" => Some(true),
                "0" | "false" | "no" | "n" | "off" => Some(false),
                _ => None,
            },
        }
    }

    /// True when the value means "no error": absent, empty, `0`, `"0"`, `false`.
    pub(crate) fn is_zero(&self) -> bool {
        match self.0.as_deref() {
            None => true,
            Some(s) => matches!(s, "0" | "false" | "0.0") || s.eq_ignore_ascii_case("none"),
        }
    }
}

/// A struct of loose fields, read as `#[derive(Deserialize)] #[serde(default)]` read it inside
/// serde's `untagged` and `flatten` (see [`Flat`]), without their buffering: that copy of the
/// value (serde's `Content`) and a second deserializer of each struct cost the Worker's bundle
/// kilobytes. Fields are found by name in an object and by position in an array.
pub(crate) trait Fields: Default {
    /// The fields' names, in declaration order.
    const NAMES: &'static [&'static str];
    /// The field at `index` in `NAMES`.
    fn field(&mut self, index: usize) -> Field<'_>;
}

pub(crate) enum Field<'a> {
    Loose(&'a mut LooseString),
    Status(&'a mut Option<StatusField>),
    /// A value kept whole (a signed webhook's `data`).
    Raw(&'a mut RawJson),
}

/// `impl Fields`: `loose_fields!(Type { "wire name" => Kind field, ... })`, the fields in the
/// order they are numbered (array position); `Kind` is the [`Field`] variant. One list, where
/// a hand-written impl kept `NAMES` and a numbered `match` in step. The last field also takes
/// any index past the others: the reader only asks for indices of `NAMES`.
macro_rules! loose_fields {
    ($t:ty { $($name:literal => $kind:ident $field:ident),+ $(,)? }) => {
        impl $crate::wire::Fields for $t {
            const NAMES: &'static [&'static str] = &[$($name),+];
            fn field(&mut self, index: usize) -> $crate::wire::Field<'_> {
                $crate::wire::loose_fields!(@pick self, index, 0usize; $($kind $field),+)
            }
        }
    };
    (@pick $s:ident, $index:ident, $at:expr; $kind:ident $field:ident) => {
        $crate::wire::Field::$kind(&mut $s.$field)
    };
    (@pick $s:ident, $index:ident, $at:expr; $kind:ident $field:ident, $($rest:tt)+) => {
        if $index == $at {
            $crate::wire::Field::$kind(&mut $s.$field)
        } else {
            $crate::wire::loose_fields!(@pick $s, $index, $at + 1; $($rest)+)
        }
    };
}
pub(crate) use loose_fields;

/// Reads one field's value: everything in it is read (numbers range-checked, strings
/// UTF-8-checked), as buffering it did.
struct FieldSeed<'a>(Field<'a>);

impl<'de> de::DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0 {
            Field::Loose(slot) => *slot = d.deserialize_any(LooseVisitor { strict: true })?,
            Field::Status(slot) => *slot = d.deserialize_any(StatusVisitor)?,
            Field::Raw(slot) => *slot = RawJson::deserialize(d)?,
        }
        Ok(())
    }
}

/// Any value, read through and dropped the way serde's buffering read it (`deserialize_any`,
/// so a number out of range or invalid UTF-8 in a string is an error, as it was; `IgnoredAny`
/// lets both through).
pub(crate) struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
        Skip::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Skip, A::Error> {
        while s.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Skip, A::Error> {
        while m.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// Reads an object's entries into `fields`. A field met twice is an error with `strict`
/// (what the derived struct said), else it makes the whole `None` (what `untagged` made of
/// that error). Unknown keys are skipped.
fn read_entries<'de, F: Fields, A: de::MapAccess<'de>>(
    m: &mut A,
    fields: &mut F,
    strict: bool,
) -> Result<bool, A::Error> {
    let mut seen = 0u64;
    let mut valid = true;
    while let Some(key) = m.next_key::<String>()? {
        match F::NAMES.iter().position(|name| *name == key) {
            Some(i) if seen & (1 << i) == 0 => {
                seen |= 1 << i;
                m.next_value_seed(FieldSeed(fields.field(i)))?;
            }
            Some(i) if strict => return Err(de::Error::duplicate_field(F::NAMES[i])),
            Some(_) => {
                valid = false;
                m.next_value::<Skip>()?;
            }
            None => {
                m.next_value::<Skip>()?;
            }
        }
    }
    Ok(valid)
}

/// Reads an array's elements into `fields` by position; more elements than fields make the
/// whole `None` (the derived struct's "invalid length", which `untagged` swallowed).
fn read_elements<'de, F: Fields, A: de::SeqAccess<'de>>(
    s: &mut A,
    fields: &mut F,
) -> Result<bool, A::Error> {
    for i in 0..F::NAMES.len() {
        if s.next_element_seed(FieldSeed(fields.field(i)))?.is_none() {
            return Ok(true);
        }
    }
    let mut valid = true;
    while s.next_element::<Skip>()?.is_some() {
        valid = false;
    }
    Ok(valid)
}

/// A struct of loose fields read as its own `#[derive(Deserialize)] #[serde(default)]` read
/// it at the top of a body (not inside `untagged` or `flatten`): by name in an object (a field
/// twice refused, other keys skipped as serde skips them), by position in an array, missing
/// fields left empty, anything else refused as "expected struct {name}". One reader for every
/// such struct instead of a derive each (≈ 2-4 KB of the Worker's WASM per struct).
pub(crate) fn read_loose_struct<'de, T: Fields, D: Deserializer<'de>>(
    d: D,
    name: &'static str,
) -> Result<T, D::Error> {
    let mut value = T::default();
    d.deserialize_struct(
        name,
        T::NAMES,
        LooseStructVisitor {
            name,
            names: T::NAMES,
            target: &mut value,
        },
    )?;
    Ok(value)
}

/// `impl Deserialize` for each named [`Fields`] struct through [`read_loose_struct`]: read as
/// its own `#[derive(Deserialize)] #[serde(default)]` read it, serde's messages naming the type.
macro_rules! deserialize_loose_struct {
    ($($t:ident),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::wire::read_loose_struct(d, stringify!($t))
            }
        }
    )+};
}
pub(crate) use deserialize_loose_struct;

/// [`Fields`] behind a trait object, so that [`LooseStructVisitor`] is one type.
trait DynFields {
    fn field(&mut self, index: usize) -> Field<'_>;
}

impl<T: Fields> DynFields for T {
    fn field(&mut self, index: usize) -> Field<'_> {
        Fields::field(self, index)
    }
}

struct LooseStructVisitor<'a> {
    name: &'static str,
    names: &'static [&'static str],
    target: &'a mut dyn DynFields,
}

impl LooseStructVisitor<'_> {
    /// A field's value as the derive read it: a loose string skips what it holds with
    /// `IgnoredAny` (unlike [`FieldSeed`], which reads it as buffering did).
    fn read<'de, D: Deserializer<'de>>(field: Field<'_>, d: D) -> Result<(), D::Error> {
        match field {
            Field::Loose(slot) => *slot = LooseString::deserialize(d)?,
            Field::Status(slot) => *slot = d.deserialize_any(StatusVisitor)?,
            Field::Raw(slot) => *slot = RawJson::deserialize(d)?,
        }
        Ok(())
    }
}

struct LooseSeed<'a>(Field<'a>);

impl<'de> de::DeserializeSeed<'de> for LooseSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        LooseStructVisitor::read(self.0, d)
    }
}

impl<'de> Visitor<'de> for LooseStructVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", self.name)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let mut seen = 0u64;
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            match self.names.iter().position(|name| *name == key) {
                Some(i) if seen & (1 << i) != 0 => {
                    return Err(de::Error::duplicate_field(self.names[i]));
                }
                Some(i) => {
                    seen |= 1 << i;
                    m.next_value_seed(LooseSeed(self.target.field(i)))?;
                }
                None => {
                    m.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        for i in 0..self.names.len() {
            if s.next_element_seed(LooseSeed(self.target.field(i)))?
                .is_none()
            {
                break;
            }
        }
        Ok(())
    }
}

/// A `T: Fields` or anything else, as `Lenient<T>` (serde's `untagged` of `T` or `IgnoredAny`)
/// read it: `Some` for an object or array the derived struct accepted, `None` otherwise.
pub(crate) struct LenientFields<T>(pub Option<T>);

impl<'de, T: Fields> Deserialize<'de> for LenientFields<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Fields> Visitor<'de> for V<T> {
            type Value = LenientFields<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientFields(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut fields = T::default();
                let valid = read_entries(&mut m, &mut fields, false)?;
                Ok(LenientFields(valid.then_some(fields)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut fields = T::default();
                let valid = read_elements(&mut s, &mut fields)?;
                Ok(LenientFields(valid.then_some(fields)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An answer whose fields may be under `result` or at the top level, as
/// `struct { #[serde(default)] result: Lenient<T>, #[serde(flatten)] top: T }` read it: an
/// object only; `result` or a field of the top level given twice is an error.
#[derive(Default)]
pub(crate) struct Flat<T> {
    pub result: Option<T>,
    pub top: T,
}

impl<'de, T: Fields> Deserialize<'de> for Flat<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Fields> Visitor<'de> for V<T> {
            type Value = Flat<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut result = None;
                let mut top = T::default();
                let mut seen = 0u64;
                while let Some(key) = m.next_key::<String>()? {
                    if key == "result" {
                        if result.is_some() {
                            return Err(de::Error::duplicate_field("result"));
                        }
                        result = Some(m.next_value::<LenientFields<T>>()?.0);
                        continue;
                    }
                    match T::NAMES.iter().position(|name| *name == key) {
                        Some(i) if seen & (1 << i) != 0 => {
                            return Err(de::Error::duplicate_field(T::NAMES[i]));
                        }
                        Some(i) => {
                            seen |= 1 << i;
                            m.next_value_seed(FieldSeed(top.field(i)))?;
                        }
                        None => {
                            m.next_value::<Skip>()?;
                        }
                    }
                }
                Ok(Flat {
                    result: result.flatten(),
                    top,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `{"status":"0"}` as documented, or a bare scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Deserialize), serde(untagged))]
pub(crate) enum StatusField {
    Object(StatusObject),
    Scalar(LooseString),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(Deserialize), serde(default))]
pub(crate) struct StatusObject {
    pub status: LooseString,
    pub sms_sent: LooseString,
}

loose_fields!(StatusObject {
    "status" => Loose status,
    "sms_sent" => Loose sms_sent,
});

impl StatusField {
    pub(crate) fn status(&self) -> &LooseString {
        match self {
            StatusField::Object(o) => &o.status,
            StatusField::Scalar(s) => s,
        }
    }
}

/// `Option<StatusField>` as derived: `null` is `None`; an object or array `StatusObject`
/// accepts is an `Object`; anything else the `Scalar` `LooseString` makes of it.
struct StatusVisitor;

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = Option<StatusField>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a status")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        LooseVisitor { strict: true }.visit_bool(v).map(scalar)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        LooseVisitor { strict: true }.visit_i64(v).map(scalar)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        LooseVisitor { strict: true }.visit_u64(v).map(scalar)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        LooseVisitor { strict: true }.visit_f64(v).map(scalar)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        LooseVisitor { strict: true }.visit_str(v).map(scalar)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut object = StatusObject::default();
        let valid = read_entries(&mut m, &mut object, false)?;
        Ok(Some(object_or_nothing(valid, object)))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        let mut object = StatusObject::default();
        let valid = read_elements(&mut s, &mut object)?;
        Ok(Some(object_or_nothing(valid, object)))
    }
}

fn scalar(v: LooseString) -> Option<StatusField> {
    Some(StatusField::Scalar(v))
}

/// An object or array `StatusObject` refused is a `Scalar`, and `LooseString` reads those
/// shapes as nothing.
fn object_or_nothing(valid: bool, object: StatusObject) -> StatusField {
    if valid {
        StatusField::Object(object)
    } else {
        StatusField::Scalar(LooseString(None))
    }
}

/// A field that should hold a `T` but may hold something else (a string where an object was
/// documented, `"no sms"` where a list was): the other shapes read as `None` instead of
/// failing the whole response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<T> {
            Wanted(T),
            Other(de::IgnoredAny),
        }
        Ok(match Either::<T>::deserialize(d)? {
            Either::Wanted(t) => Lenient(Some(t)),
            Either::Other(_) => Lenient(None),
        })
    }
}

/// Where the API puts rows (`result.sms`): a list, or the `{"0": .., "1": ..}` object PHP
/// makes of a list with gaps. A word or nothing there (`"no sms"`, `null`, `0`) is no rows.
/// Rows that are there but cannot be read make the list [`Rows::Unreadable`], never empty: a
/// sent-log lookup after an ambiguous send would take "could not read" for "not sent" and
/// text the customer again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Rows<T> {
    #[default]
    Absent,
    Read(Vec<T>),
    Unreadable,
}

impl<'de, T: de::DeserializeOwned> Deserialize<'de> for Rows<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// The rows as the texts they arrived in, in the order a `serde_json::Value` of the
        /// list gave them.
        struct RowsVisitor;
        impl<'de> Visitor<'de> for RowsVisitor {
            type Value = Rows<Box<RawValue>>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Rows::Absent)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                let mut rows = Vec::new();
                while let Some(row) = s.next_element()? {
                    rows.push(row);
                }
                Ok(Rows::Read(rows))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                // As a `Value`'s map has them: a later duplicate key replaces the row, and
                // rows with the same index ("1", "01") are in the order of their keys. Kept
                // in that order as they come (a sort's code was ≈ 4 KB of the Worker).
                let mut keyed: Vec<(u64, String, Box<RawValue>)> = Vec::new();
                let mut indices = true;
                while let Some(key) = m.next_key::<String>()? {
                    let row = m.next_value()?;
                    let Ok(index) = key.parse::<u64>() else {
                        indices = false;
                        continue;
                    };
                    match keyed.binary_search_by(|(i, k, _)| (*i, k.as_str()).cmp(&(index, &key))) {
                        Ok(same) => keyed[same].2 = row,
                        Err(at) => keyed.insert(at, (index, key, row)),
                    }
                }
                if !indices {
                    return Ok(Rows::Unreadable);
                }
                Ok(Rows::Read(
                    keyed.into_iter().map(|(_, _, row)| row).collect(),
                ))
            }
        }
        Ok(match d.deserialize_any(RowsVisitor)? {
            Rows::Read(rows) => rows
                .iter()
                .map(|row| from_raw(row))
                .collect::<Result<Vec<T>, _>>()
                .map_or(Rows::Unreadable, Rows::Read),
            Rows::Absent => Rows::Absent,
            Rows::Unreadable => Rows::Unreadable,
        })
    }
}

/// A value kept as its JSON text read into a type: `serde_json::from_slice` of the text,
/// with an error message that has no position (in a text the caller did not see). Values
/// the client keeps whole ([`RawJson`]) and rows are read this way, so that the Worker's
/// build has no `serde_json::Value` reader at all (BENCHMARKS.md §3).
pub(crate) fn from_raw<T: de::DeserializeOwned>(raw: &RawValue) -> Result<T, String> {
    serde_json::from_slice(raw.get().as_bytes()).map_err(|e| {
        let message = e.to_string();
        match message.rsplit_once(" at line ") {
            Some((message, _)) if e.line() > 0 => message.to_owned(),
            _ => message,
        }
    })
}

/// A JSON value the client keeps whole (an acknowledgement's body, an unknown webhook's
/// `data`), as the text it arrived in: [`RawJson::value`] reads it into a
/// `serde_json::Value` when a caller needs a field the types here do not model. It is
/// written back as that text. Two are equal when their texts are.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson(pub(crate) Box<RawValue>);

impl RawJson {
    /// The JSON text, as received.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The value, read from its text: an error only for what a `serde_json::Value` cannot
    /// hold (a number out of range, a lone surrogate), which the text was not checked for.
    pub fn value(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_str(self.get())
    }
}

impl Default for RawJson {
    fn default() -> Self {
        RawJson(RawValue::NULL.to_owned())
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

/// Shows a phone number as `+33*****78`: enough to tell two apart in a log, not enough to
/// reuse. Several comma-separated numbers are masked one by one.
pub fn mask_phone(raw: &str) -> String {
    raw.split(',')
        .map(|one| {
            let chars: Vec<char> = one.trim().chars().collect();
            if chars.len() <= 4 {
                return "*".repeat(chars.len());
            }
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 5))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `error` (the text of an error of a send of `message`) with the message's text replaced by
/// `[message text]`: a proxy or gateway may echo the request, and the API or a page may quote
/// the text, which names the customer and the order; whoever logs the error must not log
/// that. The text is found as sent (form-encoded, or decoded but for its `+` spaces), as it is
/// (and flattened to one line, as error messages quote bodies), JSON-escaped, and where a
/// quoted body was cut short (`…`) in its middle. A text under 8 characters is left alone: it
/// would match ordinary words of the error.
pub fn without_message_text(error: &str, message: &str) -> String {
    const CUT: &str = "[message text]";
    let flat = one_line(message);
    let json = serde_json::to_string(message).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or("");
    let form: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    // A form body decoded with JavaScript's `decodeURIComponent`, which leaves `+` for spaces.
    let plus = flat.replace(' ', "+");
    let forms: Vec<&str> = [message, &flat, json, &form, &plus]
        .into_iter()
        .filter(|f| f.chars().count() >= 8)
        .collect();
    let mut out = error.to_owned();
    for form in &forms {
        out = out.replace(form, CUT);
    }
    // A quoted body cut short ("…") in the middle of the text ends with its first part.
    let cuts: Vec<usize> = out.match_indices('…').map(|(at, _)| at).collect();
    for end in cuts.into_iter().rev() {
        let body = &out[..end];
        let echoed = (0..body.len())
            .filter(|&at| body.is_char_boundary(at) && body.len() - at >= 16)
            .find(|&at| forms.iter().any(|form| form.starts_with(&body[at..])));
        if let Some(at) = echoed {
            out.replace_range(at..end, CUT);
        }
    }
    out
}

/// `text` with its control characters (line breaks, tabs) as spaces: one line of a log.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Trims a body for an error message: at most `max` bytes, cut on a char boundary, with
/// control characters flattened so it stays one line.
pub(crate) fn snippet(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = one_line(&text[..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// JSON values of every kind, malformed and unusual ones too (1e400, a lone surrogate, invalid
/// UTF-8), then `extra`: what the differential tests put in each field.
#[cfg(test)]
fn values_of_every_kind(extra: &[&str]) -> Vec<Vec<u8>> {
    [
        r#""1""#,
        "1",
        "0",
        "-3",
        "1.5",
        "1e400",
        "true",
        "null",
        r#""""#,
        r#"" x ""#,
        "{}",
        r#"{"a":1}"#,
        r#"{"a":1e400}"#,
        "[]",
        "[1,2]",
        "[1e400]",
        r#""\ud800""#,
    ]
    .iter()
    .chain(extra)
    .map(|v| v.as_bytes().to_vec())
    .chain([b"\"\xff\"".to_vec(), b"{\"\xff\":1}".to_vec()])
    .collect()
}

/// Bodies to compare [`read_loose_struct`] with the derive it replaces, for a struct of loose
/// fields named `names`: each field set to values of every kind (malformed ones too), given
/// twice, beside unknown keys; arrays of each length; other values; broken JSON.
#[cfg(test)]
pub(crate) fn loose_struct_bodies(names: &[&str]) -> Vec<Vec<u8>> {
    let values = values_of_every_kind(&[r#"[{"b":"\ud800"}]"#, r#""caf\u00e9""#]);
    let join = |parts: &[&[u8]]| parts.concat();
    let mut bodies: Vec<Vec<u8>> = values.clone();
    for name in names.iter().copied().chain(["other", "Number"]) {
        let key = format!("\"{name}\":");
        let key = key.as_bytes();
        for v in &values {
            bodies.push(join(&[b"{", key, v, b"}"]));
            bodies.push(join(&[b"{", key, v, b",", key, b"1}"]));
            bodies.push(join(&[b"{\"other\":", v, b",", key, b"\"7\"}"]));
        }
    }
    let first = format!("\"{}\":\"a\"", names[0]);
    let escaped = format!(
        "{{\"{}\\u{:04x}\":\"b\"}}",
        &names[0][..names[0].len() - 1],
        names[0].as_bytes()[names[0].len() - 1]
    );
    bodies.push(format!("{{{first}}}").into_bytes());
    bodies.push(escaped.into_bytes());
    for v in &values {
        for n in 0..=names.len() + 1 {
            let items = vec![&v[..]; n].join(&b","[..]);
            bodies.push(join(&[b"[", &items, b"]"]));
        }
    }
    for other in ["", "{", "[1,", r#"{"a":}"#, "{} x", "[] x"] {
        bodies.push(other.as_bytes().to_vec());
    }
    bodies
}

/// Checks a struct read by [`read_loose_struct`] against the derive it replaces, on
/// [`loose_struct_bodies`] read from bytes and, when the body is JSON, from a
/// `serde_json::Value` (as the sent log's rows and a signed webhook's `data` are read): the
/// same fields (`ours` and `derived` print them), or the same error. Returns how many bodies
/// were compared.
#[cfg(test)]
pub(crate) fn assert_loose_struct_reads_as_derived<Ours, Derived>(
    names: &[&str],
    ours: impl Fn(Ours) -> String,
    derived: impl Fn(Derived) -> String,
) -> usize
where
    Ours: de::DeserializeOwned,
    Derived: de::DeserializeOwned,
{
    let bodies = loose_struct_bodies(names);
    let same = |a: serde_json::Result<Ours>, b: serde_json::Result<Derived>, what: &str| {
        let a = a.map(&ours).map_err(|e| e.to_string());
        let b = b.map(&derived).map_err(|e| e.to_string());
        assert_eq!(a, b, "{what}");
    };
    let mut values = 0;
    for body in &bodies {
        let shown = String::from_utf8_lossy(body);
        same(
            serde_json::from_slice(body),
            serde_json::from_slice(body),
            &shown,
        );
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            let what = format!("{shown} as a Value");
            // How the client reads a value it keeps whole, or a row: from its text, as a
            // body is read (a duplicate key refused, where a `Value` keeps the last), with
            // the message's position cut off.
            let raw = serde_json::from_slice::<Box<RawValue>>(body).expect("valid JSON");
            let from_bytes = serde_json::from_slice::<Ours>(body).map_err(|e| e.to_string());
            match (from_raw::<Ours>(&raw), from_bytes) {
                (Ok(a), Ok(b)) => assert_eq!(ours(a), ours(b), "{what}, from its text"),
                (Err(a), Err(b)) => {
                    assert!(b.starts_with(&a) && !a.contains(" line "), "{a} / {b}")
                }
                (a, b) => panic!(
                    "{what}, from its text: {:?}, from the body {:?}",
                    a.is_ok(),
                    b.is_ok()
                ),
            }
            same(
                serde_json::from_value(value.clone()),
                serde_json::from_value(value),
                &what,
            );
            values += 1;
        }
    }
    assert!(values > bodies.len() / 2, "{values} of {}", bodies.len());
    bodies.len()
}

/// Checks [`Flat`] against the derived reader it replaces (`result: Lenient<F>` beside a
/// flattened `F`, `#[serde(default)]`) on bodies built from `F::NAMES`: the same fields, or an
/// error from both, read from bytes (`from_slice`, as `parse_json`) and, for JSON, from a
/// `serde_json::Value` (as `parse_ack`).
#[cfg(test)]
pub(crate) fn assert_flat_reads_as_derived<F>()
where
    F: Fields + de::DeserializeOwned + PartialEq + fmt::Debug,
{
    #[derive(Deserialize)]
    #[serde(default, bound = "F: de::DeserializeOwned + Default")]
    struct Derived<F> {
        result: Lenient<F>,
        #[serde(flatten)]
        top: F,
    }
    impl<F: Default> Default for Derived<F> {
        fn default() -> Self {
            Derived {
                result: Lenient(None),
                top: F::default(),
            }
        }
    }
    let values = values_of_every_kind(&[
        r#"{"status":"1","sms_sent":"3"}"#,
        r#"{"status":"1","status":"0"}"#,
        r#"["1","2"]"#,
        r#"["1","2","3"]"#,
        r#"[null,"4"]"#,
        r#"{"sms_sent":{"x":[1e400]}}"#,
    ]);
    let join = |parts: &[&[u8]]| parts.concat();
    let mut bodies: Vec<Vec<u8>> = values.clone();
    let names: Vec<&str> = F::NAMES
        .iter()
        .copied()
        .chain(["result", "other"])
        .collect();
    for name in &names {
        let key = format!("\"{name}\":");
        let key = key.as_bytes();
        for v in &values {
            bodies.push(join(&[b"{", key, v, b"}"]));
            bodies.push(join(&[b"{\"result\":{", key, v, b"}}"]));
            bodies.push(join(&[b"{", key, v, b",", key, b"1}"]));
            bodies.push(join(&[b"{\"result\":{", key, b"1,", key, v, b"}}"]));
            bodies.push(join(&[b"{\"result\":{", key, v, b"},", key, b"\"7\"}"]));
        }
    }
    for v in &values {
        for n in 0..=F::NAMES.len() + 1 {
            let items = vec![&v[..]; n].join(&b","[..]);
            bodies.push(join(&[b"{\"result\":[", &items, b"]}"]));
            bodies.push(join(&[b"[", &items, b"]"]));
        }
    }
    bodies.push(br#"{"result":{},"result":{}}"#.to_vec());
    bodies.push(br#"{"result":{"a":1}"#.to_vec());
    bodies.push(br#"{"result":{}} x"#.to_vec());
    let mut read = 0;
    for body in &bodies {
        let derived = serde_json::from_slice::<Derived<F>>(body).map(|d| (d.result.0, d.top));
        let flat = serde_json::from_slice::<Flat<F>>(body).map(|f| (f.result, f.top));
        let shown = String::from_utf8_lossy(body);
        match (&derived, &flat) {
            (Ok(d), Ok(f)) => assert_eq!(d, f, "{shown}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{shown}: derived {derived:?}, by hand {flat:?}"),
        }
        read += usize::from(flat.is_ok());
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            let derived =
                serde_json::from_value::<Derived<F>>(value.clone()).map(|d| (d.result.0, d.top));
            let flat_value = serde_json::from_value::<Flat<F>>(value).map(|f| (f.result, f.top));
            match (&derived, &flat_value) {
                (Ok(d), Ok(f)) => assert_eq!(d, f, "{shown} as a Value"),
                (Err(_), Err(_)) => {}
                _ => panic!("{shown} as a Value: derived {derived:?}, by hand {flat_value:?}"),
            }
            // How `parse_ack` reads it: from the body's text, as the body itself is read.
            let raw = serde_json::from_slice::<Box<RawValue>>(body).expect("valid JSON");
            let through_text = from_raw::<Flat<F>>(&raw).map(|f| (f.result, f.top));
            match (&through_text, &flat) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{shown}, from its text"),
                (Err(a), Err(b)) => assert!(b.to_string().starts_with(a), "{a} / {b}"),
                _ => panic!("{shown}, from its text: {through_text:?}, {flat:?}"),
            }
        }
    }
    // The corpus reaches both outcomes.
    assert!(
        read > bodies.len() / 4 && read < bodies.len(),
        "{read} of {}",
        bodies.len()
    );
}

/// A number written as Rust's `f64` parser reads it (`12.0`, `+1.2e1`, `-0`, `.5e1`) that is a
/// whole number below 1.8e19, exactly; `None` for anything else (`1.5`, `-3`, `inf`, `1e-400`).
/// It was `s.parse::<f64>()` and a check: core's float parser and its 10 KB table of powers
/// of five were ≈ 12 KB gzipped of the Worker's bundle, for this one read. Exact where the
/// float was not: digits beyond 2^53 are kept, and `1e-400` is not taken for 0.
fn whole_number(s: &str) -> Option<u64> {
    const LIMIT: u128 = 18_000_000_000_000_000_000;
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    // The power of ten the digits are scaled by; huge exponents saturate (their digits are
    // either all zeros, 0, or too large or too small to be a whole number below the limit).
    let mut scale: i64 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            let size = digits.bytes().fold(0i64, |n, b| {
                n.saturating_mul(10).saturating_add(i64::from(b - b'0'))
            });
            if e.starts_with('-') { -size } else { size }
        }
    };
    scale = scale.saturating_sub(i64::try_from(fraction.len()).ok()?);
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    let trimmed = significant.trim_end_matches('0');
    if trimmed.is_empty() {
        return Some(0); // 0, -0, 0.000e5: all zero.
    }
    scale = scale.saturating_add(i64::try_from(significant.len() - trimmed.len()).ok()?);
    if negative || scale < 0 || trimmed.len() > 20 {
        return None;
    }
    let mut value: u128 = trimmed.parse().ok()?;
    for _ in 0..scale {
        value = value.checked_mul(10).filter(|v| *v < LIMIT)?;
    }
    u64::try_from(value).ok().filter(|_| value < LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_object_reads_as_derived() {
        assert_flat_reads_as_derived::<StatusObject>();
    }

    fn loose(json: &str) -> LooseString {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn numbers_and_strings_read_the_same() {
        assert_eq!(loose("0").as_u64(), Some(0));
        assert_eq!(loose("\"0\"").as_u64(), Some(0));
        assert_eq!(loose("\"1710968864\"").as_u64(), Some(1_710_968_864));
        assert_eq!(loose("12.0").as_u64(), Some(12));
        assert_eq!(loose("\"x\"").as_u64(), None);
        assert!(loose("0").is_zero() && loose("\"0\"").is_zero() && loose("null").is_zero());
        assert!(!loose("\"subscription_expire\"").is_zero());
        assert_eq!(loose("\"1\"").as_flag(), Some(true));
        assert_eq!(loose("1").as_flag(), Some(true));
        assert_eq!(loose("\"\"").as_flag(), Some(false));
        assert_eq!(loose("{\"a\":1}").0, None);
    }

    /// What `as_u64` did before `whole_number`: `str::parse::<f64>` and a check.
    fn through_f64(s: &str) -> Option<u64> {
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    }

    #[test]
    fn whole_numbers_written_as_floats_read_exactly() {
        for (text, expected) in [
            ("12.0", Some(12)),
            ("+12", Some(12)),
            ("1.", Some(1)),
            (".5e1", Some(5)),
            ("1.2E1", Some(12)),
            ("1200e-2", Some(12)),
            ("-0", Some(0)),
            ("-0.000e7", Some(0)),
            ("0e99999999999999999999", Some(0)),
            ("17999999999999999999", Some(17_999_999_999_999_999_999)),
            ("1.7999999999999999999e19", Some(17_999_999_999_999_999_999)),
            ("9007199254740993.0", Some(9_007_199_254_740_993)),
            ("0000000000000000000000012.000000000000000000000", Some(12)),
            ("1.8e19", None),
            ("1e20", None),
            ("1e99999999999999999999", None),
            ("1e-400", None),
            ("1.5", None),
            ("-3", None),
            ("-3.0", None),
            ("inf", None),
            ("NaN", None),
            ("", None),
            ("-", None),
            (".", None),
            ("e5", None),
            ("1e", None),
            ("1e+", None),
            ("1.2.3", None),
            ("1_000", None),
            (" 12", None),
            ("0x10", None),
            ("12.0%", None),
        ] {
            assert_eq!(whole_number(text), expected, "{text:?}");
        }
        // Where the float was exact (below 2^53, no underflow), the same answers.
        for text in [
            "12.0",
            "1.2E1",
            ".5e1",
            "-0",
            "1.5",
            "-3",
            "inf",
            "1e",
            "9.007199254740991e15",
        ] {
            assert_eq!(whole_number(text), through_f64(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Numbers in every form Rust's float parser reads, with at most 15 significant
        /// digits and a small exponent: the same as through f64 wherever the float is exact.
        #[test]
        fn whole_number_agrees_with_the_float_parser_where_it_is_exact(
            sign in "[+-]?",
            whole in "[0-9]{0,8}",
            fraction in proptest::option::of("[0-9]{0,7}"),
            exponent in proptest::option::of(("[eE]", "[+-]?", 0u32..25)),
        ) {
            let mut text = format!("{sign}{whole}");
            if let Some(fraction) = &fraction {
                text.push('.');
                text.push_str(fraction);
            }
            if let Some((e, sign, digits)) = &exponent {
                text.push_str(&format!("{e}{sign}{digits}"));
            }
            let (exact, float) = (whole_number(&text), through_f64(&text));
            // Above 2^53 the float is not exact: that is where they may differ.
            let large = |n: Option<u64>| n.is_some_and(|n| n >= 1 << 53);
            proptest::prop_assume!(!large(exact) && !large(float));
            proptest::prop_assert_eq!(exact, float, "{}", text);
        }
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+32471234578"), "+32*******78");
        assert_eq!(mask_phone("+32471234578, 0612"), "+32*******78,****");
    }

    #[test]
    fn a_json_text_kept_whole_is_its_text() {
        let kept: RawJson =
            serde_json::from_str(r#" {"note": "queued",  "n": [1, 2.50]} "#).unwrap();
        assert_eq!(kept.get(), r#"{"note": "queued",  "n": [1, 2.50]}"#);
        assert_eq!(serde_json::to_string(&kept).unwrap(), kept.get());
        assert_eq!(kept.value().unwrap()["n"][1], 2.5);
        let same: RawJson = serde_json::from_str(r#"{"note": "queued",  "n": [1, 2.50]}"#).unwrap();
        let spaced: RawJson = serde_json::from_str(r#"{"note":"queued","n":[1,2.50]}"#).unwrap();
        assert_eq!(kept, same);
        assert_ne!(kept, spaced);
        assert_eq!(RawJson::default().get(), "null");
        // What a `Value` cannot hold is kept, and said so when read.
        let out_of_range: RawJson = serde_json::from_str("[1e400]").unwrap();
        assert_eq!(out_of_range.get(), "[1e400]");
        assert!(out_of_range.value().is_err());
    }

    #[test]
    fn rows_read_lists_and_php_objects_and_refuse_what_they_cannot_read() {
        #[derive(Debug, PartialEq, Eq, Deserialize)]
        struct Row {
            guid: String,
        }
        let rows = |json: &str| serde_json::from_str::<Rows<Row>>(json).unwrap();
        let row = |guid: &str| Row { guid: guid.into() };
        assert_eq!(
            rows(r#"[{"guid":"a"},{"guid":"b"}]"#),
            Rows::Read(vec![row("a"), row("b")])
        );
        assert_eq!(
            rows(r#"{"10":{"guid":"c"},"2":{"guid":"b"}}"#),
            Rows::Read(vec![row("b"), row("c")])
        );
        for nothing in [r#""no sms""#, "null", "0", "false"] {
            assert_eq!(rows(nothing), Rows::Absent, "{nothing}");
        }
        assert_eq!(rows("[]"), Rows::Read(vec![]));
        for unreadable in [
            r#"[{"guid":"a"},"b"]"#,
            r#"[{"guid":"a"},null]"#,
            r#"{"first":{"guid":"a"}}"#,
            r#"{"guid":"a"}"#,
        ] {
            assert_eq!(rows(unreadable), Rows::Unreadable, "{unreadable}");
        }
    }

    #[test]
    fn lenient_swallows_other_shapes() {
        let v: Lenient<Vec<u8>> = serde_json::from_str("\"no sms\"").unwrap();
        assert_eq!(v.0, None);
        let v: Lenient<Vec<u8>> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(v.0, Some(vec![1, 2]));
    }

    #[test]
    fn a_message_text_is_cut_out_of_an_error_in_every_form_it_is_quoted() {
        let text =
            "Bonjour Camille, votre commande #1001 est partie !\nSuivi : https://t.example/?n=6A1";
        let form: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let quoted = [
            format!("HTTP 404 (Cannot POST message={form}&x=1)"),
            format!("refused: {text}"),
            format!("refused: {}", serde_json::to_string(text).unwrap()),
            format!(
                "page: {}",
                snippet(format!("<p>{text}</p>").as_bytes(), 200)
            ),
            format!("echo: {}", text.replace('\n', " ").replace(' ', "+")),
            format!("({}…): check the base URL", &form[..40]),
        ];
        for error in quoted {
            let cut = without_message_text(&error, text);
            assert!(!cut.contains("Camille"), "{cut}");
            assert!(cut.contains("[message text]"), "{cut}");
        }
        // The rest of the error stays; a short text is no pattern.
        assert_eq!(
            without_message_text("HTTP 404 (Cannot POST /x)", text),
            "HTTP 404 (Cannot POST /x)"
        );
        assert_eq!(without_message_text("a 404 b", "404"), "a 404 b");
    }

    #[test]
    fn snippet_cuts_on_char_boundary() {
        let body = "é".repeat(10); // 2 bytes each
        let s = snippet(body.as_bytes(), 5);
        assert_eq!(s, "éé…");
        assert_eq!(snippet(b"<html>\n<body>", 100), "<html> <body>");
        assert_eq!(snippet(&[0xff, 0xfe, b'a'], 100), "\u{fffd}\u{fffd}a");
    }
}
