//! One reader for the webhook body structs of `shopify` and `woocommerce`, the stored order
//! context and the shop configuration's JSON, for the Worker's build. serde's derive builds, for every struct, its own
//! copy of the deserializer's map loop, field matching and error paths (≈ 60 KB of the
//! Worker's WASM before `wasm-opt` for the bodies, 13 KB for the context), and a list visitor
//! per `Option<Vec<T>>`. Here a struct only names its fields and hands out a [`Slot`] per
//! field; the loop ([`RecordVisitor`]) and the visitors of optional records and lists exist
//! once per deserializer (as in the Worker's `record.rs`). What is accepted and the errors are
//! serde's own: an object or an array of the fields in order, unknown keys skipped, a
//! duplicate key, a missing field, a wrong type or a short array refused with serde's message.
//!
//! Only the Worker's build reads this way ([`from_body`], [`list_from_raw`] and the context's
//! `Deserialize` with the `one-json-reader` feature on `wasm32`): the derive stays and reads
//! natively and in the npm package, so their speed is unchanged. Tests read every body both
//! ways and compare.
//!
//! The configuration's structs (`config::RawConfig` and its parts) are read this way by
//! `ShopConfig::from_json_text`, which only the Worker's build calls (natively and in the npm
//! package JSON is read through the TOML reader). They refuse unknown keys with serde's
//! message, as their `#[serde(deny_unknown_fields)]` does ([`Record::DENY_UNKNOWN`]), and
//! skip an array's elements past their fields, as the TOML deserializer does
//! ([`Record::EXTRA_ELEMENTS_SKIPPED`]); their maps have a visitor of their own.
#![cfg_attr(
    not(all(feature = "one-json-reader", target_arch = "wasm32")),
    allow(dead_code)
)]

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::config::{RawAudience, RawAudienceRule, RawEvent, RawMerchant, RawQuietHours, Table};
use crate::{shopify, woocommerce};

/// A body read with `serde_json::from_slice`, through [`read`] in the Worker's build and
/// through serde's derive elsewhere (see [`crate::json::from_body`]).
pub(crate) fn from_body<'a, T: Record<'a> + Deserialize<'a>>(
    body: &'a [u8],
) -> serde_json::Result<T> {
    if cfg!(all(feature = "one-json-reader", target_arch = "wasm32")) {
        return from_slice(body);
    }
    crate::json::from_body(body)
}

/// `serde_json::from_slice::<Via<T>>`: the same reading, its entry and end check built once
/// for every record type instead of once per type.
pub(crate) fn from_slice<'a, T: Record<'a>>(json: &'a [u8]) -> serde_json::Result<T> {
    let mut value = T::default();
    read_whole(json, shape::<T>(), &mut value.slots())?;
    Ok(value)
}

/// Reads a whole JSON text as a record of `shape` into its `slots`, as `from_slice` reads.
fn read_whole<'a>(
    json: &'a [u8],
    shape: Shape,
    slots: &mut [Slot<'_, 'a>],
) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_slice(json);
    read_slots(&mut de, shape, slots)?;
    de.end()
}

/// A list of records kept raw in a body (a WooCommerce `meta_data` value), read as
/// [`from_body`] reads bodies: from its bytes in the Worker's build, whose reader is that
/// of the bodies (the text is UTF-8, so the same values and errors), from its text elsewhere.
pub(crate) fn list_from_raw<'a, T: Record<'a> + Deserialize<'a>>(
    raw: &'a RawValue,
) -> serde_json::Result<Vec<T>> {
    if cfg!(all(feature = "one-json-reader", target_arch = "wasm32")) {
        return list_via(raw.get());
    }
    serde_json::from_str(raw.get())
}

/// `serde_json::from_str::<Vec<T>>`, through [`read`] and the bodies' reader.
fn list_via<'a, T: Record<'a>>(text: &'a str) -> serde_json::Result<Vec<T>> {
    // `serde_json::from_slice`, with the records' list visitor.
    let mut de = serde_json::Deserializer::from_slice(text.as_bytes());
    let mut all = Vec::new();
    (&mut de).deserialize_seq(ListVisitor(&mut all))?;
    de.end()?;
    Ok(all)
}

/// A struct read by [`read`]: its fields in declaration order and where each one goes
/// (implemented by [`record!`]).
pub(crate) trait Record<'de>: Default {
    /// The struct's name, for serde's "expected struct X" messages.
    const NAME: &'static str;
    /// The field names (as serde names them), in declaration order (at most 64).
    const FIELDS: &'static [&'static str];
    /// Fields whose absence from an object is an error (bit i: `FIELDS[i]`): serde's
    /// fields that are neither an `Option` nor `#[serde(default)]`.
    const REQUIRED: u64;
    /// `#[serde(default)]` fields, which an array may leave out too.
    const DEFAULTED: u64;
    /// `#[serde(deny_unknown_fields)]`: an unknown key is an error, not skipped.
    const DENY_UNKNOWN: bool = false;
    /// Elements of an array past the fields are skipped, as the TOML deserializer has it
    /// (serde_json refuses them: "trailing characters"); for the shop configuration, which
    /// must read the same from JSON as through TOML.
    const EXTRA_ELEMENTS_SKIPPED: bool = false;
    /// Where each field is read into, in the order of [`Record::FIELDS`].
    fn slots(&mut self) -> Vec<Slot<'_, 'de>>;
}

/// How serde's derive treats a missing field.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// An error.
    Req,
    /// `#[serde(default)]`.
    Default,
    /// An `Option` without `#[serde(default)]`: `None` when missing from an object, an
    /// error when an array leaves it out.
    Opt,
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

/// `impl Record`: `record!(Type<'de> as "Name", [field: SlotVariant Kind, ...])`, with every
/// field in declaration order; `field as "key"` for a field serde renames. Flags after the
/// name set the trait's switches: `deny_unknown_fields` ([`Record::DENY_UNKNOWN`]) and
/// `extra_elements_skipped` ([`Record::EXTRA_ELEMENTS_SKIPPED`]).
macro_rules! record {
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
    (@flag deny_unknown_fields) => { const DENY_UNKNOWN: bool = true; };
    (@flag extra_elements_skipped) => { const EXTRA_ELEMENTS_SKIPPED: bool = true; };
    ($t:ty as $name:literal $($flag:ident)*, [$($field:ident $(as $key:literal)?: $slot:ident $kind:ident),* $(,)?]) => {
        impl<'de> $crate::record::Record<'de> for $t {
            const NAME: &'static str = $name;
            $($crate::record::record!(@flag $flag);)*
            const FIELDS: &'static [&'static str] =
                &[$($crate::record::record!(@key $field $($key)?)),*];
            const REQUIRED: u64 = $crate::record::mask(
                &[$($crate::record::Kind::$kind),*],
                $crate::record::Kind::Req,
            );
            const DEFAULTED: u64 = $crate::record::mask(
                &[$($crate::record::Kind::$kind),*],
                $crate::record::Kind::Default,
            );
            fn slots(&mut self) -> Vec<$crate::record::Slot<'_, 'de>> {
                vec![$($crate::record::Slot::$slot(&mut self.$field)),*]
            }
        }
    };
}
pub(crate) use record;

/// A field, by the type serde reads it as.
pub(crate) enum Slot<'s, 'de> {
    U64(&'s mut u64),
    OptU64(&'s mut Option<u64>),
    OptU32(&'s mut Option<u32>),
    OptBool(&'s mut Option<bool>),
    /// `#[serde(deserialize_with = "text")]`.
    Text(&'s mut Option<Cow<'de, str>>),
    Raw(&'s mut Option<&'de RawValue>),
    ReqRaw(&'s mut &'de RawValue),
    ShopifyCustomer(&'s mut Option<shopify::Customer<'de>>),
    ShopifyAddress(&'s mut Option<shopify::Address<'de>>),
    ShopifyLineItems(&'s mut Option<Vec<shopify::LineItem<'de>>>),
    ShopifyFulfillments(&'s mut Option<Vec<shopify::Fulfillment<'de>>>),
    ShopifyTransactions(&'s mut Option<Vec<shopify::RefundTransaction<'de>>>),
    ShopifyRefundLineItems(&'s mut Option<Vec<shopify::RefundLineItem<'de>>>),
    ShopifyMoneySet(&'s mut Option<shopify::MoneySet<'de>>),
    ShopifyMoney(&'s mut shopify::Money<'de>),
    ShopifyOptMoney(&'s mut Option<shopify::Money<'de>>),
    WooAddress(&'s mut Option<woocommerce::Address<'de>>),
    WooLineItems(&'s mut Option<Vec<woocommerce::LineItem<'de>>>),
    WooMeta(&'s mut Option<Vec<woocommerce::Meta<'de>>>),
    WooRefunds(&'s mut Option<Vec<woocommerce::RefundEntry<'de>>>),
    WooLinks(&'s mut Option<woocommerce::Links<'de>>),
    WooLink(&'s mut Option<Vec<woocommerce::Link<'de>>>),
    /// The stored context's fields (`crate::context::Stored`).
    Platform(&'s mut Option<crate::model::Platform>),
    /// `#[serde(deserialize_with = "id_from_number_or_string")]`.
    OrderId(&'s mut Option<u64>),
    OptString(&'s mut Option<String>),
    Phones(&'s mut Vec<crate::phone::Phone>),
    U32(&'s mut u32),
    Strings(&'s mut Vec<String>),
    OptStrings(&'s mut Option<Vec<String>>),
    Bool(&'s mut bool),
    /// The shop configuration's parts (`crate::config`).
    Str(&'s mut String),
    QuietHours(&'s mut Option<RawQuietHours>),
    Merchant(&'s mut Option<RawMerchant>),
    Events(&'s mut Table<RawEvent>),
    Event(&'s mut RawEvent),
    Templates(&'s mut Table<String>),
    /// `true`, `false` or a table (`RawAudience`'s own `Deserialize`).
    Audience(&'s mut Option<RawAudience>),
}

/// A record read by [`read`] wherever serde asks for one (the tests read text this way).
#[cfg(test)]
#[repr(transparent)]
pub(crate) struct Via<T>(pub(crate) T);

#[cfg(test)]
impl<'de, T: Record<'de>> Deserialize<'de> for Via<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read(d).map(Via)
    }
}

/// What [`read`] needs to know of a record, without its type.
#[derive(Clone, Copy)]
struct Shape {
    name: &'static str,
    fields: &'static [&'static str],
    required: u64,
    defaulted: u64,
    deny_unknown: bool,
    extra_elements_skipped: bool,
}

fn shape<'de, R: Record<'de>>() -> Shape {
    Shape {
        name: R::NAME,
        fields: R::FIELDS,
        required: R::REQUIRED,
        defaulted: R::DEFAULTED,
        deny_unknown: R::DENY_UNKNOWN,
        extra_elements_skipped: R::EXTRA_ELEMENTS_SKIPPED,
    }
}

/// Where the records of an optional field go (a list, or one), without their type: the
/// visitors of options and lists below exist once per deserializer, not once per record
/// type as `Option<Vec<T>>`'s would.
trait Sink<'de> {
    fn shape(&self) -> Shape;
    /// A new record at its defaults, and its slots.
    fn add(&mut self) -> Vec<Slot<'_, 'de>>;
}

impl<'de, T: Record<'de>> Sink<'de> for Vec<T> {
    fn shape(&self) -> Shape {
        shape::<T>()
    }
    fn add(&mut self) -> Vec<Slot<'_, 'de>> {
        self.push(T::default());
        self.last_mut().map_or_else(Vec::new, T::slots)
    }
}

impl<'de, T: Record<'de>> Sink<'de> for Option<T> {
    fn shape(&self) -> Shape {
        shape::<T>()
    }
    fn add(&mut self) -> Vec<Slot<'_, 'de>> {
        self.insert(T::default()).slots()
    }
}

/// An optional list of records: what `Option<Vec<T>>` reads.
fn records<'de, T: Record<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    let mut all = Vec::new();
    let some = d.deserialize_option(OptionVisitor {
        sink: &mut all,
        list: true,
    })?;
    Ok(some.then_some(all))
}

/// An optional record: what `Option<T>` reads.
fn one<'de, T: Record<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    let mut one = None;
    d.deserialize_option(OptionVisitor {
        sink: &mut one,
        list: false,
    })?;
    Ok(one)
}

/// serde's `Option` visitor (`null` is `None`), of a list or of one record.
struct OptionVisitor<'a, 'de> {
    sink: &'a mut dyn Sink<'de>,
    list: bool,
}

impl<'de> Visitor<'de> for OptionVisitor<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        if self.list {
            d.deserialize_seq(ListVisitor(self.sink))?;
        } else {
            de::DeserializeSeed::deserialize(Element(self.sink), d)?;
        }
        Ok(true)
    }
}

/// serde's `Vec` visitor, of records.
struct ListVisitor<'a, 'de>(&'a mut dyn Sink<'de>);

impl<'de> Visitor<'de> for ListVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(Element(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One more record of a [`Sink`].
struct Element<'a, 'de>(&'a mut dyn Sink<'de>);

impl<'de> de::DeserializeSeed<'de> for Element<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let shape = self.0.shape();
        read_slots(d, shape, &mut self.0.add())
    }
}

impl<'de> Slot<'_, 'de> {
    fn read<D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        match self {
            Slot::U64(v) => **v = u64::deserialize(d)?,
            Slot::OptU64(v) => **v = Option::deserialize(d)?,
            Slot::OptU32(v) => **v = Option::deserialize(d)?,
            Slot::OptBool(v) => **v = Option::deserialize(d)?,
            Slot::Text(v) => **v = crate::json::text(d)?,
            Slot::Raw(v) => **v = Option::deserialize(d)?,
            Slot::ReqRaw(v) => **v = <&RawValue>::deserialize(d)?,
            Slot::ShopifyCustomer(v) => **v = one(d)?,
            Slot::ShopifyAddress(v) => **v = one(d)?,
            Slot::ShopifyLineItems(v) => **v = records(d)?,
            Slot::ShopifyFulfillments(v) => **v = records(d)?,
            Slot::ShopifyTransactions(v) => **v = records(d)?,
            Slot::ShopifyRefundLineItems(v) => **v = records(d)?,
            Slot::ShopifyMoneySet(v) => **v = one(d)?,
            Slot::ShopifyMoney(v) => **v = read(d)?,
            Slot::ShopifyOptMoney(v) => **v = one(d)?,
            Slot::WooAddress(v) => **v = one(d)?,
            Slot::WooLineItems(v) => **v = records(d)?,
            Slot::WooMeta(v) => **v = records(d)?,
            Slot::WooRefunds(v) => **v = records(d)?,
            Slot::WooLinks(v) => **v = one(d)?,
            Slot::WooLink(v) => **v = records(d)?,
            Slot::Platform(v) => **v = Some(crate::model::Platform::deserialize(d)?),
            Slot::OrderId(v) => **v = Some(crate::event::id_from_number_or_string(d)?),
            Slot::OptString(v) => **v = Option::deserialize(d)?,
            Slot::Phones(v) => **v = Vec::deserialize(d)?,
            Slot::U32(v) => **v = u32::deserialize(d)?,
            Slot::Strings(v) => **v = Vec::deserialize(d)?,
            Slot::OptStrings(v) => **v = Option::deserialize(d)?,
            Slot::Bool(v) => **v = bool::deserialize(d)?,
            Slot::Str(v) => **v = String::deserialize(d)?,
            Slot::QuietHours(v) => **v = one(d)?,
            Slot::Merchant(v) => **v = one(d)?,
            Slot::Events(v) => d.deserialize_map(MapVisitor(*v))?,
            Slot::Event(v) => **v = read(d)?,
            Slot::Templates(v) => d.deserialize_map(MapVisitor(*v))?,
            Slot::Audience(v) => **v = Option::<ViaAudience>::deserialize(d)?.map(|a| a.0),
        }
        Ok(())
    }
}

/// Reads a [`Record`] the way serde's derive reads the struct.
pub(crate) fn read<'de, R: Record<'de>, D: Deserializer<'de>>(d: D) -> Result<R, D::Error> {
    let mut value = R::default();
    read_slots(d, shape::<R>(), &mut value.slots())?;
    Ok(value)
}

/// Reads a record of `shape` into its `slots`.
fn read_slots<'de, D: Deserializer<'de>>(
    d: D,
    shape: Shape,
    slots: &mut [Slot<'_, 'de>],
) -> Result<(), D::Error> {
    d.deserialize_struct(shape.name, shape.fields, RecordVisitor { shape, slots })
}

/// The one visitor of every record (no type parameter: one copy per deserializer).
struct RecordVisitor<'a, 's, 'de> {
    shape: Shape,
    slots: &'a mut [Slot<'s, 'de>],
}

/// serde's "struct X with N elements", for a short array.
struct Elements<'a>(&'a str, usize);

impl de::Expected for Elements<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let s = if self.1 == 1 { "" } else { "s" };
        write!(f, "struct {} with {} element{s}", self.0, self.1)
    }
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", self.shape.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let fields = self.shape.fields;
        let mut seen = 0u64;
        while let Some(key) = m.next_key::<Key>()? {
            match fields.iter().position(|name| *name == key.0) {
                Some(i) if seen & (1 << i) != 0 => {
                    return Err(de::Error::duplicate_field(fields[i]));
                }
                Some(i) => {
                    seen |= 1 << i;
                    m.next_value_seed(FieldSeed(&mut self.slots[i]))?;
                }
                // serde's derive refuses the key before reading its value.
                None if self.shape.deny_unknown => {
                    return Err(de::Error::unknown_field(&key.0, fields));
                }
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = self.shape.required & !seen;
        if missing != 0 {
            return Err(de::Error::missing_field(
                fields[missing.trailing_zeros() as usize],
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
                let needed = !self.shape.defaulted & (u64::MAX << i) & (u64::MAX >> (64 - n));
                if needed != 0 {
                    return Err(de::Error::invalid_length(
                        needed.trailing_zeros() as usize,
                        &Elements(self.shape.name, n),
                    ));
                }
                return Ok(());
            }
        }
        if self.shape.extra_elements_skipped {
            while s.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(())
    }
}

/// Where the values of a map with string keys go (a [`Table`]), without their type: one map
/// visitor per deserializer.
trait MapSink<'de> {
    /// The slot of `key`'s value. A slot replaces what it holds: a repeated key's last
    /// value wins, as a map's `Deserialize` has it.
    fn entry(&mut self, key: String) -> Slot<'_, 'de>;
}

impl<'de> MapSink<'de> for Table<RawEvent> {
    fn entry(&mut self, key: String) -> Slot<'_, 'de> {
        Slot::Event(Table::entry(self, key))
    }
}

impl<'de> MapSink<'de> for Table<String> {
    fn entry(&mut self, key: String) -> Slot<'_, 'de> {
        Slot::Str(Table::entry(self, key))
    }
}

/// serde's `BTreeMap` visitor, of a [`MapSink`].
struct MapVisitor<'a, 'de>(&'a mut dyn MapSink<'de>);

impl<'de> Visitor<'de> for MapVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<String>()? {
            m.next_value_seed(FieldSeed(&mut self.0.entry(key)))?;
        }
        Ok(())
    }
}

/// A `RawAudience` read by [`AudienceVisitor`] (`RawAudience`'s `Deserialize` reads the
/// table with the derive).
struct ViaAudience(RawAudience);

impl<'de> Deserialize<'de> for ViaAudience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AudienceVisitor).map(ViaAudience)
    }
}

/// `RawAudience`'s visitor: `true`, `false`, or a table read as a `RawAudienceRule`.
struct AudienceVisitor;

impl<'de> Visitor<'de> for AudienceVisitor {
    type Value = RawAudience;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(RawAudience::EXPECTING)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawAudience, E> {
        Ok(RawAudience::Enabled(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<RawAudience, A::Error> {
        let mut rule = RawAudienceRule::default();
        RecordVisitor {
            shape: shape::<RawAudienceRule>(),
            slots: &mut rule.slots(),
        }
        .visit_map(m)?;
        Ok(RawAudience::Custom(rule))
    }
}

/// A key, borrowed when the deserializer can.
struct Key<'de>(Cow<'de, str>);

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

struct FieldSeed<'a, 's, 'de>(&'a mut Slot<'s, 'de>);

impl<'de> de::DeserializeSeed<'de> for FieldSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.read(d)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use super::*;

    /// The derive and [`read`] give the same value or the same error (message and position),
    /// from bytes and from text; whether the body was read.
    ///
    /// A record with [`Record::EXTRA_ELEMENTS_SKIPPED`] reads an array longer than its
    /// fields as the derive reads the array cut to its fields (the derive refuses the rest:
    /// "trailing characters"), with the same message and position.
    fn compare<'a, T: Record<'a> + Deserialize<'a> + Debug>(body: &'a [u8]) -> bool {
        if T::EXTRA_ELEMENTS_SKIPPED
            && let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(body)
            && items.len() > T::FIELDS.len()
        {
            let full: &'a [u8] = Vec::leak(serde_json::to_vec(&items).unwrap());
            let cut = serde_json::to_vec(&items[..T::FIELDS.len()]).unwrap();
            let cut: &'a [u8] = Vec::leak(cut);
            let derived = format!("{:?}", serde_json::from_slice::<T>(cut));
            let ours = format!("{:?}", from_slice::<T>(full));
            assert_eq!(
                ours,
                derived,
                "{} from {:?}",
                T::NAME,
                String::from_utf8_lossy(full)
            );
            assert!(serde_json::from_slice::<T>(full).is_err());
            return derived.starts_with("Ok");
        }
        let derived = format!("{:?}", serde_json::from_slice::<T>(body));
        let ours = format!("{:?}", from_slice::<T>(body));
        assert_eq!(
            ours,
            derived,
            "{} from bytes {:?}",
            T::NAME,
            String::from_utf8_lossy(body)
        );
        if let Ok(text) = std::str::from_utf8(body) {
            let derived = format!("{:?}", serde_json::from_str::<T>(text));
            let ours = format!(
                "{:?}",
                serde_json::from_str::<Via<T>>(text).map(|via| via.0)
            );
            assert_eq!(ours, derived, "{} from text {text:?}", T::NAME);
        }
        derived.starts_with("Ok")
    }

    /// [`compare`] for the stored context, read by the derive and through `Stored`.
    fn compare_context(body: &[u8]) -> bool {
        use crate::context::{OrderContext, Stored};
        let ours = |read: serde_json::Result<Via<Stored>>| {
            format!("{:?}", read.and_then(|via| via.0.into_context()))
        };
        let derived = format!("{:?}", serde_json::from_slice::<OrderContext>(body));
        assert_eq!(
            ours(serde_json::from_slice(body)),
            derived,
            "context from bytes {:?}",
            String::from_utf8_lossy(body)
        );
        if let Ok(text) = std::str::from_utf8(body) {
            let derived = format!("{:?}", serde_json::from_str::<OrderContext>(text));
            assert_eq!(
                ours(serde_json::from_str(text)),
                derived,
                "context {text:?}"
            );
        }
        derived.starts_with("Ok")
    }

    #[test]
    fn contexts_read_as_the_derive_reads_them() {
        let bodies = bodies::<crate::context::Stored>();
        let read = bodies.iter().filter(|body| compare_context(body)).count();
        assert!(
            read > 0 && read < bodies.len(),
            "{read} of {}",
            bodies.len()
        );
        // Contexts as the core writes them.
        let mut ctx = crate::OrderContext::new(crate::Platform::Shopify, 820_982_911_946_154_508);
        assert!(compare_context(&serde_json::to_vec(&ctx).unwrap()));
        ctx.phones = vec![crate::Phone::parse("+32470123456", None).unwrap()];
        ctx.order_name = Some("#1001".into());
        ctx.seen_refunds = vec!["1".into(), "2".into()];
        ctx.refund_count = 2;
        ctx.test = true;
        ctx.in_store = true;
        assert!(compare_context(&serde_json::to_vec(&ctx).unwrap()));
        assert!(compare_context(&serde_json::to_vec_pretty(&ctx).unwrap()));
        for old in [
            r#"{"platform":"woocommerce","order_id":727}"#,
            r#"{"platform":"woocommerce","order_id":"727","phones":["0470"]}"#,
            r#"{"platform":"WooCommerce","order_id":727}"#,
            r#"{"platform":"shopify","order_id":"7\u00327"}"#,
            r#"{"platform":"shopify","order_id":-1}"#,
            r#"{"platform":"shopify","order_id":727,"refund_count":-1}"#,
            r#"{"platform":{"shopify":null},"order_id":727}"#,
        ] {
            compare_context(old.as_bytes());
        }
    }

    /// A valid object of `T`, every field given, in declaration order.
    fn sample<T: Record<'static>>() -> String {
        let fields: Vec<String> = sample_values::<T>()
            .iter()
            .zip(T::FIELDS)
            .map(|(value, key)| format!("\"{key}\": {value}"))
            .collect();
        format!("{{{}}}", fields.join(", "))
    }

    /// A valid value of each field of `T`, in declaration order.
    fn sample_values<T: Record<'static>>() -> Vec<String> {
        let mut value = T::default();
        let slots = value.slots();
        slots.iter().map(sample_of).collect()
    }

    fn list(one: String) -> String {
        format!("[{one}, {one}]")
    }

    fn sample_of(slot: &Slot) -> String {
        match slot {
            Slot::U64(_) | Slot::OptU64(_) => "820982911946154508".into(),
            Slot::OptU32(_) => "3".into(),
            Slot::OptBool(_) => "true".into(),
            Slot::Text(_) => r#""Zo\u00eb \"B\" Ba""#.into(),
            Slot::Raw(_) => r#""89.99""#.into(),
            Slot::ReqRaw(_) => "89.99".into(),
            Slot::ShopifyCustomer(_) => sample::<shopify::Customer>(),
            Slot::ShopifyAddress(_) => sample::<shopify::Address>(),
            Slot::ShopifyLineItems(_) => list(sample::<shopify::LineItem>()),
            Slot::ShopifyFulfillments(_) => list(sample::<shopify::Fulfillment>()),
            Slot::ShopifyTransactions(_) => list(sample::<shopify::RefundTransaction>()),
            Slot::ShopifyRefundLineItems(_) => list(sample::<shopify::RefundLineItem>()),
            Slot::ShopifyMoneySet(_) => sample::<shopify::MoneySet>(),
            Slot::ShopifyMoney(_) | Slot::ShopifyOptMoney(_) => sample::<shopify::Money>(),
            Slot::WooAddress(_) => sample::<woocommerce::Address>(),
            Slot::WooLineItems(_) => list(sample::<woocommerce::LineItem>()),
            Slot::WooMeta(_) => list(sample::<woocommerce::Meta>()),
            Slot::WooRefunds(_) => list(sample::<woocommerce::RefundEntry>()),
            Slot::WooLinks(_) => sample::<woocommerce::Links>(),
            Slot::WooLink(_) => list(sample::<woocommerce::Link>()),
            Slot::Platform(_) => r#""woocommerce""#.into(),
            Slot::OrderId(_) => r#""820982911946154508""#.into(),
            Slot::OptString(_) => r#""Zo\u00eb \"B\" Ba""#.into(),
            Slot::Phones(_) => r#"["+32470123456", "+14155550123"]"#.into(),
            Slot::U32(_) => "2".into(),
            Slot::Strings(_) | Slot::OptStrings(_) => r#"["1", "x\u00e9"]"#.into(),
            Slot::Bool(_) => "true".into(),
            Slot::Str(_) => r#""21:\u00300""#.into(),
            Slot::QuietHours(_) => sample::<RawQuietHours>(),
            Slot::Merchant(_) => sample::<RawMerchant>(),
            Slot::Events(_) => format!(
                r#"{{"shipped": {}, "placed": {{}}, "x": {{"customer": true}}}}"#,
                sample::<RawEvent>()
            ),
            Slot::Event(_) => sample::<RawEvent>(),
            Slot::Templates(_) => r#"{"en/shipped": "Zo\u00eb {{ order }}", "x": ""}"#.into(),
            Slot::Audience(_) => sample::<RawAudienceRule>(),
        }
    }

    /// Values of every JSON kind, odd numbers and strings, malformed ones included.
    const VALUES: &[&[u8]] = &[
        b"null",
        b"true",
        b"false",
        b"0",
        b"7",
        b"-1",
        b"-0",
        b"4294967296",
        b"18446744073709551615",
        b"18446744073709551616",
        b"1.5",
        b"1e3",
        b"1e400",
        b"-1e400",
        b"\"\"",
        b"\"text\"",
        b"\"727\"",
        b"\"esc\\\"aped \\u00e9\\n\"",
        b"\"\\ud800\"",
        b"\"\\udc00x\"",
        b"\"\\ud83d\\ude00\"",
        b"\"bad \xff byte\"",
        b"\"cut \xc3\"",
        b"\"ctl \x01\"",
        b"[]",
        b"[1, \"a\", null]",
        b"[{}]",
        b"[{\"name\": \"n\", \"id\": 1}]",
        b"{}",
        b"{\"a\": 1}",
        b"{\"amount\": \"1.00\", \"id\": 5, \"name\": \"x\", \"first_name\": \"y\"}",
        b"{\"shop_money\": {\"amount\": 1}}",
        b"{\"self\": [{\"href\": \"https://x\"}]}",
        b"\"unterminated",
        b"tru",
        b"[1,",
        b"{\"a\"",
        b"01",
        b"1.",
        b"nul",
    ];

    fn object(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"{".to_vec();
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            out.push(b'"');
            out.extend_from_slice(key);
            out.extend_from_slice(b"\": ");
            out.extend_from_slice(value);
        }
        out.push(b'}');
        out
    }

    /// Bodies for `T`: the full object, each field left out, given as every value of
    /// [`VALUES`], twice, under an escaped or a near-miss key; unknown keys; the array form,
    /// short and long; cut bodies.
    fn bodies<T: Record<'static>>() -> Vec<Vec<u8>> {
        let full: Vec<(Vec<u8>, Vec<u8>)> = T::FIELDS
            .iter()
            .zip(sample_values::<T>())
            .map(|(key, value)| (key.as_bytes().to_vec(), value.into_bytes()))
            .collect();
        let mut all = vec![object(&full), b"{}".to_vec()];
        let mut reversed = full.clone();
        reversed.reverse();
        all.push(object(&reversed));
        let unknown = (
            b"zz_unknown".to_vec(),
            b"{\"id\": [1, {\"x\": null}]}".to_vec(),
        );
        all.push(object(&[vec![unknown.clone()], full.clone()].concat()));
        all.push(object(&[full.clone(), vec![unknown.clone()]].concat()));
        for i in 0..full.len() {
            let mut without = full.clone();
            without.remove(i);
            all.push(object(&without));
            for value in VALUES {
                let mut with = full.clone();
                with[i].1 = value.to_vec();
                all.push(object(&with));
                // Only this field, the others missing.
                all.push(object(&[(full[i].0.clone(), value.to_vec())]));
            }
            // Twice: the same value, null then a value, a value then an unknown key.
            for (first, second) in [
                (full[i].1.clone(), full[i].1.clone()),
                (b"null".to_vec(), full[i].1.clone()),
                (full[i].1.clone(), b"5".to_vec()),
            ] {
                let mut twice = full.clone();
                twice[i].1 = first;
                twice.insert(i + 1, (full[i].0.clone(), second));
                all.push(object(&twice));
            }
            let key = &full[i].0;
            let mut escaped = full.clone();
            escaped[i].0 = [format!("\\u{:04x}", key[0]).into_bytes(), key[1..].to_vec()].concat();
            all.push(object(&escaped));
            // An escaped duplicate of a present key.
            let mut escaped_twice = full.clone();
            escaped_twice.push(escaped[i].clone());
            all.push(object(&escaped_twice));
            for near in [
                [key.to_ascii_uppercase()].concat(),
                [key.clone(), b" ".to_vec()].concat(),
                [key.clone(), b"\\u0000".to_vec()].concat(),
                [key.clone(), b"\xff".to_vec()].concat(),
                [key.clone(), b"\\ud800".to_vec()].concat(),
                key[..key.len() - 1].to_vec(),
            ] {
                let mut renamed = full.clone();
                renamed[i].0 = near;
                all.push(object(&renamed));
            }
        }
        // The array form: all fields, each length short of it, one more, wrong types.
        let values: Vec<Vec<u8>> = full.iter().map(|(_, value)| value.clone()).collect();
        for n in 0..=values.len() {
            all.push([b"[".to_vec(), values[..n].join(&b", "[..]), b"]".to_vec()].concat());
        }
        all.push([b"[".to_vec(), values.join(&b", "[..]), b", 1]".to_vec()].concat());
        for value in VALUES {
            let mut wrong = values.clone();
            wrong[0] = value.to_vec();
            all.push([b"[".to_vec(), wrong.join(&b", "[..]), b"]".to_vec()].concat());
            all.push(value.to_vec());
        }
        // Cut bodies, and trailing bytes.
        let whole = object(&full);
        for at in (0..whole.len()).step_by(3) {
            all.push(whole[..at].to_vec());
        }
        all.push([whole.clone(), b" x".to_vec()].concat());
        all.push([whole.clone(), b" ".to_vec()].concat());
        all
    }

    /// Every generated body of `T` read both ways; how many, and how many were read.
    fn check<T: Record<'static> + Deserialize<'static> + Debug>() -> (usize, usize) {
        let bodies: Vec<&'static [u8]> = bodies::<T>()
            .into_iter()
            .map(|body| &*Vec::leak(body))
            .collect();
        let read = bodies.iter().filter(|body| compare::<T>(body)).count();
        (bodies.len(), read)
    }

    /// Every type the reader reads, on `body`.
    fn compare_all(body: &'static [u8]) {
        compare::<shopify::Order>(body);
        compare::<shopify::Customer>(body);
        compare::<shopify::Address>(body);
        compare::<shopify::LineItem>(body);
        compare::<shopify::Fulfillment>(body);
        compare::<shopify::RefundBody>(body);
        compare::<shopify::RefundTransaction>(body);
        compare::<shopify::RefundLineItem>(body);
        compare::<shopify::MoneySet>(body);
        compare::<shopify::Money>(body);
        compare::<woocommerce::Order>(body);
        compare::<woocommerce::Links>(body);
        compare::<woocommerce::Link>(body);
        compare::<woocommerce::Address>(body);
        compare::<woocommerce::LineItem>(body);
        compare::<woocommerce::Meta>(body);
        compare::<woocommerce::RefundEntry>(body);
        compare::<woocommerce::TrackingItem>(body);
        compare::<woocommerce::Id>(body);
        compare_context(body);
    }

    #[test]
    fn generated_bodies_read_as_the_derive_reads_them() {
        let mut total = 0;
        for (name, (bodies, read)) in [
            ("shopify Order", check::<shopify::Order>()),
            ("shopify Customer", check::<shopify::Customer>()),
            ("shopify Address", check::<shopify::Address>()),
            ("shopify LineItem", check::<shopify::LineItem>()),
            ("shopify Fulfillment", check::<shopify::Fulfillment>()),
            ("shopify RefundBody", check::<shopify::RefundBody>()),
            (
                "shopify RefundTransaction",
                check::<shopify::RefundTransaction>(),
            ),
            ("shopify RefundLineItem", check::<shopify::RefundLineItem>()),
            ("shopify MoneySet", check::<shopify::MoneySet>()),
            ("shopify Money", check::<shopify::Money>()),
            ("woocommerce Order", check::<woocommerce::Order>()),
            ("woocommerce Links", check::<woocommerce::Links>()),
            ("woocommerce Link", check::<woocommerce::Link>()),
            ("woocommerce Address", check::<woocommerce::Address>()),
            ("woocommerce LineItem", check::<woocommerce::LineItem>()),
            ("woocommerce Meta", check::<woocommerce::Meta>()),
            (
                "woocommerce RefundEntry",
                check::<woocommerce::RefundEntry>(),
            ),
            (
                "woocommerce TrackingItem",
                check::<woocommerce::TrackingItem>(),
            ),
            ("woocommerce Id", check::<woocommerce::Id>()),
        ] {
            // Both outcomes are exercised for every type.
            assert!(read > 0 && read < bodies, "{name}: {read} of {bodies} read");
            total += bodies;
        }
        assert!(total > 5000, "{total}");
    }

    #[test]
    fn configurations_read_as_the_derive_reads_them() {
        use crate::config::RawConfig;
        let mut total = 0;
        for (name, (bodies, read)) in [
            ("RawConfig", check::<RawConfig>()),
            ("RawQuietHours", check::<RawQuietHours>()),
            ("RawMerchant", check::<RawMerchant>()),
            ("RawEvent", check::<RawEvent>()),
            ("RawAudienceRule", check::<RawAudienceRule>()),
        ] {
            assert!(read > 0 && read < bodies, "{name}: {read} of {bodies} read");
            total += bodies;
        }
        assert!(total > 2000, "{total}");
        // Inside the maps and audiences, which the generated bodies fill with samples only.
        let mut read = 0;
        for value in VALUES.iter().chain(&[
            &b"{\"customer\": false, \"merchant\": {}}"[..],
            b"{\"customer\": {\"channel\": \"sms\"}, \"customer\": true}",
            b"{\"customer\": {\"nope\": 1}}",
            b"{\"customer\": {\"channel\": 1, \"nope\": 1}}",
            b"{\"merchant\": [\"sms\", true, 5]}",
            b"{\"merchant\": [\"sms\", true]}",
            b"{\"customer\": {\"delay_minutes\": 4294967296}}",
            b"{\"customer\": {\"delay_minutes\": 7}, \"chanel\": 5}",
        ]) {
            let value = String::from_utf8_lossy(value);
            for body in [
                format!(r#"{{"events": {{"shipped": {value}}}}}"#),
                format!(r#"{{"events": {{"shipped": {{}}, "shipped": {value}}}}}"#),
                format!(r#"{{"events": {{"placed": {{"customer": true}}, "x": {value}}}}}"#),
                format!(r#"{{"events": {{"shipped": {{"customer": {value}}}}}}}"#),
                format!(r#"{{"events": {{"shipped": {{"merchant": {value}}}}}}}"#),
                format!(r#"{{"events": {value}}}"#),
                format!(r#"{{"templates": {{"en/shipped": {value}}}}}"#),
                format!(r#"{{"templates": {{"a": "1", "a": {value}}}}}"#),
                format!(r#"{{"templates": {value}}}"#),
                format!(r#"{{"quiet_hours": {value}}}"#),
                format!(r#"{{"quiet_hours": {{"start": "21:00", "end": {value}}}}}"#),
                format!(r#"{{"merchant": {{"language": {value}}}}}"#),
            ] {
                read += usize::from(compare::<RawConfig>(String::leak(body).as_bytes()));
            }
        }
        assert!(read > 20, "{read}");
    }

    #[test]
    fn tracking_lists_read_as_from_str_reads_them() {
        let mut lists = 0;
        for body in bodies::<woocommerce::TrackingItem>() {
            let Ok(item) = String::from_utf8(body) else {
                continue;
            };
            for text in [
                format!("[{item}]"),
                format!("[{item}, {item}]"),
                format!("[{{}}, {item}]"),
                item.clone(),
            ] {
                let text: &'static str = String::leak(text);
                let derived = format!(
                    "{:?}",
                    serde_json::from_str::<Vec<woocommerce::TrackingItem>>(text)
                );
                let ours = format!("{:?}", list_via::<woocommerce::TrackingItem>(text));
                assert_eq!(ours, derived, "{text}");
                lists += 1;
            }
        }
        assert!(lists > 1000, "{lists}");
    }

    /// Every JSON file under `dir`, recursively.
    fn json_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                json_files(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                out.push(path);
            }
        }
    }

    /// Every object and array inside `value`, the value itself included.
    fn parts(value: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match value {
            serde_json::Value::Object(map) => map.values().for_each(|v| parts(v, out)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| parts(v, out)),
            _ => return,
        }
        out.push(value.clone());
    }

    #[test]
    fn fixtures_and_their_parts_read_as_the_derive_reads_them() {
        let mut files = Vec::new();
        json_files(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures")),
            &mut files,
        );
        let repo_fixtures = files.len();
        // The shared sample payloads, when this machine has them.
        json_files(std::path::Path::new("/work/shared/fixtures"), &mut files);
        assert!(repo_fixtures >= 11, "{files:?}");
        let mut bodies = 0;
        for file in &files {
            let raw = std::fs::read(file).unwrap();
            let value: serde_json::Value = serde_json::from_slice(&raw).unwrap();
            let pretty = serde_json::to_vec_pretty(&value).unwrap();
            let mut all = vec![raw];
            all.extend(crate::json::tests::variants(&pretty));
            let mut inner = Vec::new();
            parts(&value, &mut inner);
            for part in inner {
                all.push(serde_json::to_vec(&part).unwrap());
            }
            for body in all {
                compare_all(Vec::leak(body));
                bodies += 1;
            }
        }
        assert!(bodies > 500, "{bodies}");
    }

    #[test]
    fn each_webhook_fixture_reads_as_its_type_both_ways() {
        for (name, read) in [
            (
                "shopify/orders_create.json",
                compare::<shopify::Order> as fn(_) -> bool,
            ),
            ("shopify/orders_paid.json", compare::<shopify::Order>),
            (
                "shopify/fulfillments_create.json",
                compare::<shopify::Fulfillment>,
            ),
            (
                "shopify/refunds_create.json",
                compare::<shopify::RefundBody>,
            ),
            (
                "woocommerce/order_create_response_v3.json",
                compare::<woocommerce::Order>,
            ),
        ] {
            let body: &'static [u8] = Vec::leak(crate::json::tests::fixture(name));
            assert!(read(body), "{name} was not read");
        }
    }
}
