//! The few platform APIs the package calls, bound by hand so the bindings stay small and work
//! the same in Node (>= 20), Deno, Workers and browsers: they are globals everywhere.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

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
    if let Some(text) = body.as_string() {
        return Ok(text.into_bytes());
    }
    match body.dyn_ref::<Uint8Array>() {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(Failure::invalid_argument(
            "the webhook body must be a Uint8Array (or Buffer) of the raw bytes, or a string",
        )),
    }
}

/// Header pairs from a plain record (Node's `req.headers`: values may be arrays), a
/// `Headers`, a `Map` or any iterable of `[name, value]`.
pub fn header_pairs(headers: &JsValue) -> JsResult<Vec<(String, String)>> {
    let invalid = || {
        Failure::invalid_argument(
            "headers must be a record of header name to string, a Headers object or an iterable of [name, value] pairs",
        )
    };
    let mut pairs = Vec::new();
    if let Some(iter) = js_sys::try_iter(headers).map_err(|_| invalid())? {
        for entry in iter {
            let entry = entry.map_err(|_| invalid())?;
            let name = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
            let value = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
            match (name, value) {
                (Some(name), Some(value)) => pairs.push((name, value)),
                _ => return Err(invalid()),
            }
        }
        return Ok(pairs);
    }
    if !headers.is_object() {
        return Err(invalid());
    }
    for entry in Object::entries(headers.unchecked_ref()).iter() {
        let Some(name) = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string()) else {
            continue;
        };
        let value = Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        if let Some(value) = value.as_string() {
            pairs.push((name, value));
        } else if Array::is_array(&value) {
            for item in Array::from(&value).iter() {
                pairs.push((name.clone(), item.as_string().ok_or_else(invalid)?));
            }
        } else if !(value.is_undefined() || value.is_null()) {
            return Err(invalid());
        }
    }
    Ok(pairs)
}

/// Serializes to JSON in Rust, parses with the engine's `JSON.parse`: one crossing, native
/// object building, and exactly the JSON the CLI prints.
pub fn to_js<T: serde::Serialize>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| Failure::new("internal", format!("could not serialize: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|_| Failure::new("internal", "JSON.parse failed"))
}

/// The reverse: `JSON.stringify` in the engine, serde in Rust.
pub fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> JsResult<T> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Failure::invalid_argument(format!("{what} is not JSON-serializable")))?;
    serde_json::from_str(&text).map_err(|e| Failure::invalid_argument(format!("{what}: {e}")))
}
