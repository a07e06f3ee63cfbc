//! The plan as JSON text for the engine's `JSON.parse`, written in one pass: the text
//! `serde_json::to_string` writes, with every non-ASCII character as a `\uXXXX` escape (see
//! `js::plan_to_js` for why ASCII).
//!
//! Why not serde_json: its string writer looks up every byte in a table, and a second pass then
//! escaped what is not ASCII; in WASM that was ≈ 10 % of a WooCommerce webhook's time in Node.
//! Here strings are scanned eight bytes at a time and escaped as they are written.
//!
//! Only what plans are made of is written (structs, sequences, strings, integers, booleans,
//! options, unit variants); anything else (maps, floats, tuples, data-carrying enum variants,
//! 128-bit integers...) is [`Unsupported`], and the caller writes that value with serde_json
//! instead, so the text never differs from serde_json's.

use std::fmt;

use serde::ser::{self, Serialize};

/// A value this writer leaves to serde_json (or a `Serialize` impl that failed).
#[derive(Debug, PartialEq)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("not written by ascii_json")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Unsupported {
        Unsupported
    }
}

/// Appends `value` as ASCII JSON to `out`; on `Err`, `out` is as it was.
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), Unsupported> {
    let start = out.len();
    let result = value.serialize(&mut Writer { out });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

struct Writer<'a> {
    out: &'a mut String,
}

/// The struct name serde_json gives a `RawValue` (its `raw.rs`, `TOKEN`).
const RAW_VALUE: &str = "$serde_json::private::RawValue";

impl Writer<'_> {
    fn integer(&mut self, value: impl itoa::Integer) -> Result<(), Unsupported> {
        self.out.push_str(itoa::Buffer::new().format(value));
        Ok(())
    }
}

/// Writes `text` as a JSON string: serde_json's escapes, and `\uXXXX` (UTF-16, lowercase hex)
/// for every character outside ASCII.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    let mut rest = text;
    while let Some(at) = first_to_escape(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let Some(c) = rest[at..].chars().next() else {
            break;
        };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            _ => push_unicode_escape(out, c),
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

/// Writes `c` as JSON's `\uXXXX` escape (two of them, UTF-16, for a character outside the
/// BMP), lowercase hex as serde_json writes it.
pub(crate) fn push_unicode_escape(out: &mut String, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut units = [0u16; 2];
    for &unit in c.encode_utf16(&mut units).iter() {
        let u = usize::from(unit);
        out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            out.push(char::from(HEX[(u >> shift) & 0xf]));
        }
    }
}

/// Where the first byte that a JSON string in ASCII cannot hold as it is (`"`, `\`, a control
/// character, a byte >= 0x80) is.
pub(crate) fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    // Per byte, the high bit set where the byte is zero. Borrows only run towards higher
    // bytes, so the lowest flag found is always a real one.
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    first_flagged(
        bytes,
        |w| {
            let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
            (w & HIGH)
                | control
                | zero(w ^ (ONES * u64::from(b'"')))
                | zero(w ^ (ONES * u64::from(b'\\')))
        },
        |b| !(0x20..0x80).contains(&b) || b == b'"' || b == b'\\',
    )
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Where the first byte that `flags` marks is, eight bytes per step (wasm32 has 64-bit
/// integers): `word_flags` sets the high bit of each marked byte of a little-endian word (a
/// false flag may only follow a true one), `flagged` judges the last bytes one by one.
pub(crate) fn first_flagged(
    bytes: &[u8],
    word_flags: impl Fn(u64) -> u64,
    flagged: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        let flags = word_flags(u64::from_le_bytes(w));
        if flags != 0 {
            return Some(at + flags.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| flagged(b))
        .map(|i| at + i)
}

/// Where the first byte >= 0x80 is.
pub(crate) fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    first_flagged(bytes, |w| w & HIGH, |b| !b.is_ascii())
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.integer(v)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        push_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        push_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        push_string(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Unsupported> {
        Ok(Compound::open(self, '[', ']'))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Unsupported> {
        // A JSON text kept whole (`serde_json::value::RawValue`, the client's `RawJson`) is
        // serde_json's own struct, which only its writer writes as the text itself.
        if name == RAW_VALUE {
            return Err(Unsupported);
        }
        Ok(Compound::open(self, '{', '}'))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

/// An array or object being written: a comma goes before every item but the first.
struct Compound<'a, 'b> {
    writer: &'a mut Writer<'b>,
    first: bool,
    close: char,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn open(writer: &'a mut Writer<'b>, open: char, close: char) -> Self {
        writer.out.push(open);
        Compound {
            writer,
            first: true,
            close,
        }
    }

    fn separate(&mut self) {
        if !self.first {
            self.writer.out.push(',');
        }
        self.first = false;
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.separate();
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.writer.out.push(self.close);
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.separate();
        push_string(self.writer.out, key);
        self.writer.out.push(':');
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.writer.out.push(self.close);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordersms_core::plan::{NoOptOuts, plan_webhook};
    use ordersms_core::{Platform, ShopConfig, Webhook, WebhookInput};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// What `js::plan_to_js` sent before: serde_json's text, non-ASCII characters escaped.
    fn reference<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = String::new();
        for c in serde_json::to_string(value).unwrap().chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out
    }

    fn written<T: Serialize + ?Sized>(value: &T) -> Result<String, Unsupported> {
        let mut out = String::new();
        write(&mut out, value).map(|()| out)
    }

    proptest! {
        #[test]
        fn strings_are_written_as_serde_json_writes_them_in_ascii(text in any::<String>()) {
            prop_assert_eq!(written(&text).unwrap(), reference(&text));
        }
    }

    #[test]
    fn a_json_text_kept_whole_is_left_to_serde_json() {
        let ack = smsmobileapi::Ack {
            note: Some("queued".into()),
            details: serde_json::from_str(r#"{"result": {"note": "été", "n": [1, 2.5]}}"#).unwrap(),
        };
        assert_eq!(written(&ack), Err(Unsupported));
        assert_eq!(written(&ack.details), Err(Unsupported));
        let mut out = String::new();
        assert!(crate::js::push_ascii(&mut out, &ack).is_ok());
        assert_eq!(out, reference(&ack));
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["details"]["result"]["note"], "été");
    }

    #[test]
    fn the_first_non_ascii_byte_is_found_at_any_offset() {
        for len in 0..40 {
            let mut bytes = vec![b'a'; len];
            assert_eq!(first_non_ascii(&bytes), None);
            for at in 0..len {
                bytes[at] = 0xc3;
                assert_eq!(first_non_ascii(&bytes), Some(at), "len {len}");
                bytes[len - 1] = 0xa9;
                assert_eq!(first_non_ascii(&bytes), Some(at), "len {len}");
                bytes.fill(b'a');
            }
        }
    }

    #[test]
    fn every_character_to_escape_is_found_at_any_offset() {
        for special in [b'"', b'\\', 0x00, 0x1f, 0x80, 0xff] {
            for len in 1..24 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    if at + 1 < len {
                        bytes[len - 1] = b'"'; // a later one must not be reported first
                    }
                    assert_eq!(
                        first_to_escape(&bytes),
                        Some(at),
                        "{special:#x} at {at} of {len}"
                    );
                }
            }
        }
        let plain: Vec<u8> = (0x20..0x80).filter(|b| !b"\"\\".contains(b)).collect();
        assert_eq!(first_to_escape(&plain), None);
    }

    /// Plans of every published payload under every topic of its platform, with and without
    /// a customer phone (so messages are planned, in French), and with the context stored.
    #[test]
    fn plans_are_written_as_serde_json_writes_them_in_ascii() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../ordersms-core/fixtures");
        let config = ShopConfig::default();
        let now = 1_780_308_000;
        let (mut plans, mut messages) = (0, 0);
        for (platform, dir, topics) in [
            (
                Platform::Shopify,
                "shopify",
                &[
                    "orders/create",
                    "orders/paid",
                    "orders/fulfilled",
                    "orders/partially_fulfilled",
                    "orders/cancelled",
                    "fulfillments/create",
                    "fulfillments/update",
                    "refunds/create",
                ][..],
            ),
            (
                Platform::WooCommerce,
                "woocommerce",
                &["order.created", "order.updated", "order.deleted"][..],
            ),
        ] {
            for entry in std::fs::read_dir(format!("{fixtures}/{dir}")).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                let published: Value = serde_json::from_str(&text).unwrap();
                let mut reached = published.clone();
                for (key, value) in [
                    ("phone", json!("+33 6 12 34 56 78")),
                    ("customer_locale", json!("fr")),
                    ("currency", json!("EUR")),
                    (
                        "billing",
                        json!({"phone": "06 12 34 56 78", "country": "FR", "first_name": "Zoé \"Zo\" \\ 😀"}),
                    ),
                ] {
                    reached[key] = value;
                }
                for body in [published, reached] {
                    let body = serde_json::to_vec(&body).unwrap();
                    for topic in topics {
                        let input = WebhookInput::new(platform, &[], &body).with_topic(topic);
                        let Ok(webhook) = Webhook::parse(&input) else {
                            continue;
                        };
                        let first = plan_webhook(&webhook, &config, None, now, &NoOptOuts);
                        let again =
                            plan_webhook(&webhook, &config, first.store.as_ref(), now, &NoOptOuts);
                        for plan in [first, again] {
                            assert_eq!(written(&plan).unwrap(), reference(&plan), "{topic}");
                            plans += 1;
                            messages += plan.messages.len();
                        }
                    }
                }
            }
        }
        assert!(
            plans > 50 && messages > 10,
            "{plans} plans, {messages} messages"
        );
    }

    #[test]
    fn values_plans_do_not_have_are_left_to_serde_json() {
        let mut out = "kept".to_owned();
        assert_eq!(write(&mut out, &vec![1.5]), Err(Unsupported));
        let map: std::collections::BTreeMap<&str, u8> = [("a", 1)].into();
        assert_eq!(write(&mut out, &vec![map]), Err(Unsupported));
        assert_eq!(write(&mut out, &(1, 2)), Err(Unsupported));
        assert_eq!(write(&mut out, &u128::MAX), Err(Unsupported));
        assert_eq!(out, "kept");
        assert_eq!(
            written(&json!({"not": "written"})),
            Err(Unsupported),
            "serde_json's Value is a map"
        );
        assert_eq!(written(&(None::<u8>, ())).ok(), None);
        assert_eq!(written(&vec![Some(-1i64), None]).unwrap(), "[-1,null]");
    }
}
