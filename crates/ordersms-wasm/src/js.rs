//! The few platform APIs the package calls, bound by hand so the bindings stay small and work
//! the same in Node (>= 20), Deno, Workers and browsers: they are globals everywhere.

use std::fmt;
use std::ops::Range;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use ordersms_core::plan::Plan;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::ascii_json;
use crate::error::{Failure, JsResult};

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle` (WebCrypto).
    pub type Subtle;
    #[wasm_bindgen(method, catch, js_name = importKey)]
    pub fn import_key(
        this: &Subtle,
        format: &str,
        key: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn verify(
        this: &Subtle,
        algorithm: &str,
        key: &JsValue,
        signature: &Uint8Array,
        data: &JsValue,
    ) -> Result<Promise, JsValue>;

    /// The global `fetch`.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub fn fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue>;

    /// A fetch `Response`.
    pub type FetchResponse;
    #[wasm_bindgen(method, getter)]
    pub fn status(this: &FetchResponse) -> u16;
    #[wasm_bindgen(method, getter)]
    pub fn headers(this: &FetchResponse) -> JsValue;
    #[wasm_bindgen(method, catch, js_name = arrayBuffer)]
    pub fn array_buffer(this: &FetchResponse) -> Result<Promise, JsValue>;

    /// The global `setTimeout`, for backoff between retries.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(callback: &js_sys::Function, millis: f64) -> JsValue;

    /// `Shop.plan`'s options object, read by plain property access (`options.now`): no key
    /// string is made and copied across per property, as `Reflect.get` needs. A throwing
    /// getter reads as absent, as with [`prop`].
    pub type PlanOptions;
    #[wasm_bindgen(method, getter, catch)]
    pub fn now(this: &PlanOptions) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch)]
    pub fn context(this: &PlanOptions) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter, catch, js_name = optedOut)]
    pub fn opted_out(this: &PlanOptions) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/src/headers.js")]
extern "C" {
    /// A plain header record as `name\0value\0...`; `undefined` for anything else.
    #[wasm_bindgen(js_name = headerRecordText)]
    fn header_record_text(headers: &JsValue) -> JsValue;
}

#[wasm_bindgen(module = "/src/text.js")]
extern "C" {
    #[wasm_bindgen(js_name = encodeUtf8Into)]
    fn encode_utf8_into(text: &JsValue, memory: &JsValue, ptr: u32, cap: u32) -> i32;
    #[wasm_bindgen(js_name = utf16Length)]
    fn utf16_length(text: &JsValue) -> i32;
}

/// A JS string as a Rust one (`None` when `value` is not a string), written into WASM memory
/// by the engine's `TextEncoder` (see `text.js`): for the longer strings of a webhook (the
/// order context, the headers), where `JsValue::as_string` spends a microsecond in a
/// character-by-character JavaScript loop.
pub fn string_of(value: &JsValue) -> Option<String> {
    let units = usize::try_from(utf16_length(value)).ok()?;
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    let mut bytes = vec![0u8; units * 3];
    let written = encode_utf8_into(
        value,
        &wasm_bindgen::memory(),
        bytes.as_mut_ptr() as usize as u32,
        bytes.len() as u32,
    );
    match usize::try_from(written) {
        Ok(written) => {
            bytes.truncate(written);
            // TextEncoder writes UTF-8 only (lone surrogates as U+FFFD, as `as_string` does).
            String::from_utf8(bytes).ok().or_else(|| value.as_string())
        }
        Err(_) => value.as_string(),
    }
}

#[wasm_bindgen(module = "/src/plan.js")]
extern "C" {
    /// The plan object from its ASCII JSON text and where its first three parts end.
    #[wasm_bindgen(js_name = planObject)]
    fn plan_object(text: &str, messages_end: u32, skipped_end: u32, store_end: u32) -> JsValue;
}

/// `globalThis.crypto.subtle`, or a clear error on a platform without WebCrypto.
pub fn subtle() -> JsResult<Subtle> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap_or(JsValue::UNDEFINED);
    let subtle = if crypto.is_object() {
        Reflect::get(&crypto, &"subtle".into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    };
    if subtle.is_object() {
        Ok(subtle.unchecked_into())
    } else {
        Err(Failure::new(
            "unsupported_platform",
            "this platform has no WebCrypto (globalThis.crypto.subtle): use Node >= 20, a browser, Deno or Workers, or verifyWebhookSync",
        ))
    }
}

/// A string from a JS value that must be one.
pub fn string(value: &JsValue, what: &str) -> JsResult<String> {
    value
        .as_string()
        .ok_or_else(|| Failure::invalid_argument(format!("{what} must be a string")))
}

/// A property of a plain options object (`undefined` when absent or not an object).
pub fn prop(object: &JsValue, name: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// An optional string property: `undefined`/`null` = `None`.
pub fn opt_string(object: &JsValue, name: &str) -> JsResult<Option<String>> {
    let value = prop(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    string(&value, name).map(Some)
}

/// The body of a webhook as its exact bytes: a `Uint8Array` (Node's `Buffer` is one) is taken
/// as is; a string is UTF-8 encoded (only safe when the raw body was read as UTF-8 text).
pub fn body_bytes(body: &JsValue) -> JsResult<Vec<u8>> {
    // The usual case first: Node's Buffer and fetch's bytes are Uint8Arrays.
    if let Some(bytes) = body.dyn_ref::<Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    // fetch's `await request.arrayBuffer()` (Workers, Deno, Bun).
    if let Some(buffer) = body.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    match body.as_string() {
        Some(text) => Ok(text.into_bytes()),
        None => Err(Failure::invalid_argument(
            "the webhook body must be a Uint8Array (or Buffer) or ArrayBuffer of the raw bytes, or a string",
        )),
    }
}

/// Header pairs from a plain record (Node's `req.headers`: values may be arrays), a
/// `Headers`, a `Map` or any iterable of `[name, value]`.
pub fn header_list(headers: &JsValue) -> JsResult<HeaderList> {
    let invalid = || {
        Failure::invalid_argument(
            "headers must be a record of header name to string, a Headers object or an iterable of [name, value] pairs",
        )
    };
    // The usual case first: a plain record, read in JavaScript into one string.
    if let Some(text) = string_of(&header_record_text(headers)) {
        return Ok(HeaderList::from_record_text(text));
    }
    let mut list = HeaderList::default();
    if let Some(iter) = js_sys::try_iter(headers).map_err(|_| invalid())? {
        for entry in iter {
            let entry = entry.map_err(|_| invalid())?;
            let name = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
            let value = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
            match (name, value) {
                (Some(name), Some(value)) => list.push(&name, &value),
                _ => return Err(invalid()),
            }
        }
        return Ok(list);
    }
    if !headers.is_object() {
        return Err(invalid());
    }
    // A record (Node's `req.headers`): the engine writes it as JSON text in one call and serde
    // reads the pairs back, in the record's own order. Walking it from here instead costs about
    // eight calls across the boundary and two string copies per header.
    let text = js_sys::JSON::stringify(headers)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(invalid)?;
    let record: HeaderRecord = serde_json::from_str(&text).map_err(|_| invalid())?;
    for (name, value) in &record.0 {
        list.push(name, value);
    }
    Ok(list)
}

/// Header pairs kept as one text and where each name and value lies in it: two allocations
/// however many headers there are (pairs of `String`s took two per header, and as many frees).
#[derive(Debug, Default)]
pub struct HeaderList {
    text: String,
    spans: Vec<HeaderSpan>,
}

/// Where one header's name and value lie in [`HeaderList::text`].
#[derive(Debug)]
struct HeaderSpan {
    name: Range<usize>,
    value: Range<usize>,
}

impl HeaderList {
    /// The pairs of `headers.js`'s `name\0value\0...` text (no name or value holds a NUL).
    fn from_record_text(text: String) -> HeaderList {
        let nul = |from: usize| text[from..].find('\0').map(|i| from + i);
        let mut spans = Vec::new();
        let mut at = 0;
        while let Some(name_end) = nul(at) {
            let Some(value_end) = nul(name_end + 1) else {
                break;
            };
            spans.push(HeaderSpan {
                name: at..name_end,
                value: name_end + 1..value_end,
            });
            at = value_end + 1;
        }
        HeaderList { text, spans }
    }

    fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.spans.push(HeaderSpan {
            name: start..name_end,
            value: name_end..self.text.len(),
        });
    }

    /// The pairs in their order, as the core reads headers.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.spans
            .iter()
            .map(|span| {
                (
                    &self.text[span.name.clone()],
                    &self.text[span.value.clone()],
                )
            })
            .collect()
    }
}

/// The header pairs of a record whose values are a string, a list of strings (Node's
/// `set-cookie`), or absent (`undefined` is left out by `JSON.stringify`; `null`).
struct HeaderRecord(Vec<(String, String)>);

/// One value of a header record.
enum HeaderValue {
    Absent,
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for HeaderRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = HeaderRecord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record of header name to string")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderRecord, A::Error> {
                let mut pairs = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    match map.next_value::<HeaderValue>()? {
                        HeaderValue::Absent => {}
                        HeaderValue::One(value) => pairs.push((name, value)),
                        HeaderValue::Many(values) => {
                            pairs.extend(values.into_iter().map(|value| (name.clone(), value)));
                        }
                    }
                }
                Ok(HeaderRecord(pairs))
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

impl<'de> Deserialize<'de> for HeaderValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Value;
        impl<'de> Visitor<'de> for Value {
            type Value = HeaderValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a list of strings or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<HeaderValue, E> {
                Ok(HeaderValue::Absent)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<HeaderValue, E> {
                Ok(HeaderValue::One(value.to_owned()))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<HeaderValue, E> {
                Ok(HeaderValue::One(value))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderValue, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(HeaderValue::Many(values))
            }
        }
        deserializer.deserialize_any(Value)
    }
}

/// Serializes to JSON in Rust, parses with the engine's `JSON.parse`: one crossing, native
/// object building, and the same values as the JSON the CLI prints.
///
/// The text crosses in ASCII (other characters as `\uXXXX` escapes, which `JSON.parse` turns
/// back into the same string): the engine's UTF-8 decoder reads pure ASCII about ten times
/// faster than text with an `é` or a `€`, which nearly every non-English SMS has (Node 20, a
/// 1.7 KB plan: 2.1 -> 0.2 µs).
pub fn to_js<T: serde::Serialize>(value: &T) -> JsResult<JsValue> {
    let mut text = String::new();
    push_ascii(&mut text, value)?;
    js_sys::JSON::parse(&text).map_err(|_| Failure::new("internal", "JSON.parse failed"))
}

/// A plan as `Shop.plan` returns it: `messages` parsed at once, `skipped`, `store` and `event`
/// from their own part of the text on first read (see `plan.js`). One crossing, the same
/// ASCII JSON values as [`to_js`], in four parts.
pub fn plan_to_js(plan: &Plan) -> JsResult<JsValue> {
    // The ends are UTF-16 offsets on the JavaScript side, which in ASCII are byte offsets.
    let mut text = String::with_capacity(2048);
    push_ascii(&mut text, &plan.messages)?;
    let messages_end = text.len() as u32;
    push_ascii(&mut text, &plan.skipped)?;
    let skipped_end = text.len() as u32;
    push_ascii(&mut text, &plan.store)?;
    let store_end = text.len() as u32;
    push_ascii(&mut text, &plan.event)?;
    Ok(plan_object(&text, messages_end, skipped_end, store_end))
}

/// Appends `value` as the JSON text serde_json writes, in ASCII: by [`ascii_json`] in one
/// pass, or, for a value it leaves out, by serde_json and then [`push_ascii_json`].
pub(crate) fn push_ascii<T: serde::Serialize>(out: &mut String, value: &T) -> JsResult<()> {
    if ascii_json::write(out, value).is_ok() {
        return Ok(());
    }
    let json = serde_json::to_string(value).map_err(serialize_failure)?;
    push_ascii_json(out, &json);
    Ok(())
}

fn serialize_failure(e: serde_json::Error) -> Failure {
    Failure::new("internal", format!("could not serialize: {e}"))
}

/// Appends JSON text with every non-ASCII character written
/// as UTF-16 `\uXXXX` escapes. Outside strings JSON is ASCII, so each such character is inside
/// a string, where an escape means the same character. (A pass over the finished text rather
/// than a serde_json `Formatter`: a second formatter would compile every `Serialize` impl a
/// second time, +33 KB of .wasm.)
fn push_ascii_json(out: &mut String, json: &str) {
    let mut rest = json;
    // Whole ASCII runs are copied at once: most of a plan is ASCII even when its SMS is not.
    while let Some(at) = ascii_json::first_non_ascii(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let Some(c) = rest[at..].chars().next() else {
            break;
        };
        ascii_json::push_unicode_escape(out, c);
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

/// The reverse: `JSON.stringify` in the engine, serde in Rust.
pub fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> JsResult<T> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Failure::invalid_argument(format!("{what} is not JSON-serializable")))?;
    serde_json::from_str(&text).map_err(|e| unreadable(what, &e))
}

/// An argument serde could not read. serde quotes the value (``invalid type: integer
/// `33612345678` ``), which can be a customer's number (`optedOut`, a context's `phones`),
/// and the caller logs the error: masked as the core masks a webhook's.
pub fn unreadable(what: &str, e: &serde_json::Error) -> Failure {
    let detail = ordersms_core::error::mask_numbers(&e.to_string());
    Failure::invalid_argument(format!("{what}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii_json(text: &str) -> String {
        let mut out = String::new();
        push_ascii_json(&mut out, text);
        out
    }

    #[test]
    fn an_unreadable_argument_does_not_quote_a_number() {
        for (what, text) in [
            ("options.optedOut", "[33612345678]"),
            (
                "options.context",
                r#"{"platform":"shopify","order_id":1,"phones":[33612345678]}"#,
            ),
        ] {
            let e = if what == "options.optedOut" {
                serde_json::from_str::<Vec<String>>(text).unwrap_err()
            } else {
                serde_json::from_str::<ordersms_core::OrderContext>(text).unwrap_err()
            };
            let failure = unreadable(what, &e);
            assert!(
                !failure.message.contains("612345678"),
                "{}",
                failure.message
            );
            assert!(failure.message.starts_with(what), "{}", failure.message);
        }
    }

    #[test]
    fn plan_text_crosses_in_ascii_and_means_the_same() {
        let text = r#"{"text":"Merci ! 29,35 € – 😀","n":1}"#.to_owned();
        let ascii = ascii_json(&text);
        assert!(ascii.is_ascii());
        assert_eq!(
            ascii,
            r#"{"text":"Merci ! 29,35 \u20ac \u2013 \ud83d\ude00","n":1}"#
        );
        let back: serde_json::Value = serde_json::from_str(&ascii).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
        assert_eq!(ascii_json("{}"), "{}");
    }

    #[test]
    fn header_text_splits_into_pairs() {
        let pairs = |text: &str| {
            let list = HeaderList::from_record_text(text.to_owned());
            let pairs: Vec<(String, String)> = list
                .pairs()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
            pairs
        };
        assert_eq!(pairs(""), []);
        assert_eq!(pairs("no-value\0"), []);
        assert_eq!(
            pairs("X-Shopify-Topic\0orders/create\0empty\0\0set-cookie\0a=1\0dangling"),
            [
                ("X-Shopify-Topic".to_owned(), "orders/create".to_owned()),
                ("empty".to_owned(), String::new()),
                ("set-cookie".to_owned(), "a=1".to_owned()),
            ]
        );
    }

    #[test]
    fn pushed_headers_keep_their_order_and_edges() {
        let mut list = HeaderList::default();
        list.push("x-wc-webhook-topic", "order.created");
        list.push("", "");
        list.push("é\0", "ü");
        assert_eq!(
            list.pairs(),
            [
                ("x-wc-webhook-topic", "order.created"),
                ("", ""),
                ("é\0", "ü")
            ]
        );
    }

    #[test]
    fn header_records_keep_their_order_and_lists() {
        let record: HeaderRecord = serde_json::from_str(
            r#"{"X-Shopify-Topic":"orders/create","set-cookie":["a=1","b=2"],"gone":null}"#,
        )
        .unwrap();
        let pairs: Vec<(&str, &str)> = record
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("X-Shopify-Topic", "orders/create"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2")
            ]
        );
        assert!(serde_json::from_str::<HeaderRecord>(r#"{"content-length":42}"#).is_err());
        assert!(serde_json::from_str::<HeaderRecord>(r#"{"a":[1]}"#).is_err());
    }
}
