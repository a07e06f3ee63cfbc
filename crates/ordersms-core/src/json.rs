//! Reads a webhook body into the typed structs of `shopify` and `woocommerce`, matching
//! struct keys as bytes.
//!
//! serde's derive asks serde_json for each key as a `str`, and serde_json UTF-8-checks every
//! key to hand it over: on a Shopify order, with a few hundred keys, `from_utf8` was about a
//! tenth of the instructions outside the HMAC (callgrind). [`from_body`] wraps the
//! deserializer so struct keys are read with `deserialize_bytes` instead, which serde_json
//! hands over unchecked, and derive's field visitor matches bytes as it matches text.
//! Everything else passes through untouched.
//!
//! Behaviour must not change, malformed bodies included. A key of ASCII without control
//! characters or escapes reads the same either way, and so does everything else in the body.
//! Any other key (a control character, which serde_json refuses in a string, non-ASCII or
//! invalid UTF-8, an escape) stops the byte pass, and so does any error: the body is then
//! read again the ordinary way, which accepts or refuses it, with the same error, exactly as
//! before. Real bodies are read once. Costs ≈ 3 KB gzipped in the WASM build.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// `serde_json::from_slice`, with the keys of typed structs read as bytes when that is safe.
pub(crate) fn from_body<'a, T: de::Deserialize<'a>>(body: &'a [u8]) -> serde_json::Result<T> {
    // Flagged besides the error, should a `Deserialize` impl ever swallow that error.
    let unusual = Cell::new(false);
    match read(body, Keys::Bytes(&unusual)) {
        Ok(value) if !unusual.get() => Ok(value),
        _ => read(body, Keys::Text),
    }
}

fn read<'a, T: de::Deserialize<'a>>(body: &'a [u8], keys: Keys<'_>) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(Wrap(&mut de, keys))?;
    de.end()?;
    Ok(value)
}

/// How struct keys are read.
#[derive(Clone, Copy)]
enum Keys<'c> {
    /// As bytes; set to true on a key that is not plain ASCII, which ends the pass.
    Bytes(&'c Cell<bool>),
    /// As serde_json reads them by itself.
    Text,
}

/// A deserializer, visitor, map, sequence or seed with the key mode carried inside, so every
/// nested struct reads its keys the same way.
struct Wrap<'c, T>(T, Keys<'c>);

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(visitor)
        }
    )*};
}

macro_rules! forward_nested {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method(Wrap(visitor, self.1))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Wrap<'_, D> {
    type Error = D::Error;

    // Scalars and skipped values hold no keys: the original visitor, untouched.
    forward_deserialize! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_unit
        deserialize_ignored_any
    }
    // What may hold a struct: its visitor sees wrapped deserializers, maps and sequences.
    forward_nested! { deserialize_any deserialize_option deserialize_seq deserialize_map }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        match self.1 {
            Keys::Bytes(unusual) => self.0.deserialize_bytes(PlainKey(visitor, unusual)),
            Keys::Text => self.0.deserialize_identifier(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_struct(name, fields, Wrap(visitor, self.1))
    }

    // serde_json's `RawValue` is a newtype struct it recognizes by name: left alone.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor, self.1))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0
            .deserialize_tuple_struct(name, len, Wrap(visitor, self.1))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// Hands a key of ASCII without control characters to the field visitor as bytes; flags any
/// other (and fails, which ends the byte pass).
struct PlainKey<'c, V>(V, &'c Cell<bool>);

impl<'de, V: Visitor<'de>> Visitor<'de> for PlainKey<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<V::Value, E> {
        // Copied bytes mean the key had an escape: what it stood for is unknown here.
        self.1.set(true);
        Err(E::custom("a key to read again as text"))
    }

    fn visit_borrowed_bytes<E: de::Error>(self, key: &'de [u8]) -> Result<V::Value, E> {
        if plain(key) {
            self.0.visit_bytes(key)
        } else {
            self.visit_bytes(key)
        }
    }
}

/// No byte below 0x20 (a control character) nor above 0x7F (non-ASCII), eight at a time as
/// serde_json scans strings: a byte below 0x20 borrows in the subtraction and sets its high
/// bit, a byte above 0x7F has it set already.
fn plain(key: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let mut chunks = key.chunks_exact(8);
    let words_plain = chunks.by_ref().all(|chunk| {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        (word | word.wrapping_sub(SPACES)) & HIGH == 0
    });
    words_plain && chunks.remainder().iter().all(|&b| b as i8 >= 0x20)
}

macro_rules! forward_visit {
    ($($method:ident($t:ty))*) => {$(
        fn $method<E: de::Error>(self, v: $t) -> Result<V::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
        visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
        visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char) visit_str(&str)
        visit_borrowed_str(&'de str) visit_string(String) visit_bytes(&[u8])
        visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Wrap(d, self.1))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Wrap(d, self.1))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Wrap(seq, self.1))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Wrap(map, self.1))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Wrap(seed, self.1))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Wrap(seed, self.1))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Wrap(seed, self.1))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<'_, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.0.deserialize(Wrap(d, self.1))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::fmt::Debug;

    use super::*;

    /// A published fixture, pretty-printed as the benchmark sends it.
    pub(crate) fn fixture(path: &str) -> Vec<u8> {
        let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        serde_json::to_vec_pretty(&value).unwrap()
    }

    /// The body and versions of it whose keys take every path of `from_body`: escaped keys
    /// (known and unknown), control characters, invalid UTF-8 and lone surrogates in a key,
    /// a non-ASCII key, invalid UTF-8 in a skipped value, a duplicate field, a cut body,
    /// trailing bytes.
    pub(crate) fn variants(body: &[u8]) -> Vec<Vec<u8>> {
        let text = |b: &[u8]| b.to_vec();
        let replace_first = |from: &[u8], to: &[u8]| {
            let mut out = body.to_vec();
            if let Some(at) = body.windows(from.len()).position(|w| w == from) {
                out.splice(at..at + from.len(), to.iter().copied());
            }
            out
        };
        let mut all = vec![text(body)];
        for (from, to) in [
            (&b"\"id\":"[..], &b"\"i\\u0064\":"[..]),
            (b"\"name\":", b"\"n\\u0061me\":"),
            (b"\"name\":", b"\"na\\nme\":"),
            (b"\"name\":", b"\"na\x01me\":"),
            (b"\"name\":", b"\"na\tme\":"),
            (b"\"name\":", b"\"na\xffme\":"),
            (b"\"name\":", b"\"name\\ud800\":"),
            (b"\"name\":", b"\"name\\udc00x\":"),
            (b"\"name\":", "\"n\u{e4}me\":".as_bytes()),
            (b"\"id\":", b"\"id\": 1, \"id\":"),
            (b"\": \"", b"\": \"\xff"),
            (b"\": \"", b"\": \"\x01"),
        ] {
            all.push(replace_first(from, to));
        }
        all.push(body[..body.len() / 2].to_vec());
        all.push([body, b" x"].concat());
        all
    }

    /// `from_body` and `serde_json::from_slice` give the same value or the same error.
    pub(crate) fn assert_reads_alike<'a, T: de::Deserialize<'a>, O: Debug>(
        body: &'a [u8],
        convert: impl Fn(T) -> O,
    ) {
        let fast = format!("{:?}", from_body::<T>(body).map(&convert));
        let plain = format!("{:?}", serde_json::from_slice::<T>(body).map(&convert));
        assert_eq!(fast, plain, "{}", String::from_utf8_lossy(body));
    }

    #[test]
    fn plain_keys_are_printable_ascii() {
        assert!(plain(b"financial_status"));
        assert!(plain(b"") && plain(b"a") && plain(b"~\x7f 0123456789"));
        for bad in [
            &b"name\x01"[..],
            b"n\xc3\xa4me",
            b"\x1f",
            b"exactly8\x80",
            b"\ttab",
        ] {
            assert!(!plain(bad), "{bad:?}");
        }
    }
}
