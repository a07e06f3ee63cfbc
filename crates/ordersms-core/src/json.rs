//! Reads a webhook body into the typed structs of `shopify` and `woocommerce`.
//!
//! serde_json reads a `&[u8]` (`from_slice`) by UTF-8-checking every string it hands over,
//! each key included (derive asks for keys as `str`): on a Shopify order, with a few hundred
//! keys, `from_utf8` was about a tenth of the instructions outside the HMAC (callgrind). A
//! `&str` (`from_str`) is known to be UTF-8, so serde_json checks nothing more. [`from_body`]
//! checks the whole body once (fast on ASCII) and reads it as text when it is UTF-8, which
//! every real webhook is.
//!
//! Behaviour must not change. On UTF-8 bytes both ways run the same parser over the same
//! bytes, so values and errors (positions included) are the same. Invalid UTF-8 is still
//! accepted where serde_json accepts it from a slice (in a skipped string), so such a body is
//! read the ordinary way, exactly as before. Tests compare both on every fixture and on
//! malformed versions of them.
//!
//! The price is a second copy of every body type's deserializer (one per reader): ≈ 9 KB
//! gzipped of the Worker's `.wasm`. The `one-json-reader` feature (the Worker's) reads every
//! body with `from_slice` on `wasm32`, which gives the same values and errors, only slower.
//! Natively the feature does nothing, so that `cargo test --workspace` (which turns it on for
//! the core, the Worker being a member) still compares `from_str` with `from_slice`.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, de};

/// `serde_json::from_slice`, without a UTF-8 check of each string when the body is UTF-8.
pub(crate) fn from_body<'a, T: de::Deserialize<'a>>(body: &'a [u8]) -> serde_json::Result<T> {
    if cfg!(all(feature = "one-json-reader", target_arch = "wasm32")) {
        return serde_json::from_slice(body);
    }
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

/// An optional string that borrows from the body unless it holds an escape. serde's
/// `#[serde(borrow)]` does that only for a bare `Cow<str>` field: through `Option`, every
/// string read was copied into a new `String`. Same values and errors (both ask for "a
/// string").
pub(crate) fn text<'de: 'a, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text>::deserialize(deserializer)?.map(|text| text.0))
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

    /// The body and versions of it that take both paths of `from_body` and serde_json's
    /// error paths: escaped keys (known and unknown), control characters, invalid UTF-8 and
    /// lone surrogates in a key, a non-ASCII key, invalid UTF-8 (a stray byte, an encoded
    /// surrogate, a cut character) and valid non-ASCII text in skipped and in read values,
    /// a duplicate field, a cut body, trailing bytes.
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
            (b"\": \"", "\": \"Zo\u{eb} \u{2013} ".as_bytes()),
            (b"\"currency\": \"", b"\"currency\": \"\xff"),
            (b"\"currency\": \"", "\"currency\": \"\u{20ac}".as_bytes()),
            (b"\"total\": \"", b"\"total\": \"\xc3"),
            (b"\"first_name\": \"", b"\"first_name\": \"\xed\xa0\x80"),
            (
                b"\"first_name\": \"",
                "\"first_name\": \"Zo\u{eb}".as_bytes(),
            ),
            (b"\"phone\": \"", b"\"phone\": \"\xf0\x9f\x98"),
            (b"\"name\": \"", "\"name\": \"\u{1f600}\\u00e9".as_bytes()),
        ] {
            all.push(replace_first(from, to));
        }
        all.push(body[..body.len() / 2].to_vec());
        all.push([body, b" x"].concat());
        // Cut inside a character: invalid UTF-8 at the very end.
        let accented = replace_first(b"\": \"", "\": \"\u{e9}\u{e9}".as_bytes());
        let cut = accented
            .iter()
            .position(|&b| b == 0xc3)
            .map_or(0, |at| at + 3);
        all.push(accented[..cut].to_vec());
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
    fn any_json_reads_as_with_serde_json_alone() {
        for name in [
            "shopify/orders_create.json",
            "woocommerce/order_create_response_v3.json",
        ] {
            for body in variants(&fixture(name)) {
                assert_reads_alike(&body, |_: de::IgnoredAny| ());
                assert_reads_alike(&body, |value: serde_json::Value| value);
            }
        }
    }

    #[test]
    fn text_reads_as_serde_reads_an_optional_string() {
        #[derive(Deserialize)]
        struct Borrowing<'a> {
            #[serde(borrow, default, deserialize_with = "text")]
            a: Option<Cow<'a, str>>,
        }
        #[derive(Deserialize)]
        struct Copying {
            #[serde(default)]
            a: Option<String>,
        }
        for body in [
            r#"{"a": "plain"}"#,
            r#"{"a": "esc\"aped \u00e9"}"#,
            "{\"a\": \"Zo\u{eb}\"}",
            r#"{"a": ""}"#,
            r#"{"a": null}"#,
            r#"{}"#,
            r#"{"a": 5}"#,
            r#"{"a": true}"#,
            r#"{"a": []}"#,
            r#"{"a": {"b": "c"}}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "cut"#,
            r#"{"a": nul}"#,
        ] {
            let borrowing = serde_json::from_str::<Borrowing>(body).map(|b| b.a.map(String::from));
            let copying = serde_json::from_str::<Copying>(body).map(|c| c.a);
            assert_eq!(format!("{borrowing:?}"), format!("{copying:?}"), "{body}");
        }
        let read: Borrowing = serde_json::from_str(r#"{"a": "plain"}"#).unwrap();
        assert!(matches!(read.a, Some(Cow::Borrowed("plain"))));
    }
}
