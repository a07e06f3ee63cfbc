//! Structured logs: one JSON object per line (what Workers Logs and `wrangler tail` index),
//! with phone numbers masked by the caller through [`mask`] and never a secret or a message
//! text in them.
//!
//! A line's fields are a typed list ([`fields!`]) written out as JSON text directly, not a
//! `serde_json::Value`: each `json!` log site expanded, inline in the Worker's async state
//! machines, to a map, a `String` per key, a `to_value` per value and a tree insert (4.3 KB of
//! the gzipped `.wasm` over the Worker's ~55 log sites). Strings, numbers and booleans still
//! go through serde_json's own writer, so their text is what `json!` gave; only the keys'
//! order differs (as written, after `level` and `event`, instead of sorted).

use serde::Serialize;

/// One field's value in a log line: only the kinds the Worker logs.
#[derive(Debug, Clone, Copy)]
pub enum Field<'a> {
    Str(&'a str),
    Int(i64),
    UInt(u64),
    Bool(bool),
    /// A list of strings (the reasons an ingest skipped messages).
    Strs(&'a [String]),
    Null,
}

/// What can be logged as a [`Field`]: [`fields!`] calls it on a reference to each value, so a
/// call site logs `key`, `e.to_string()` or `mask(&m.to)` without borrowing or converting.
pub trait ToField {
    fn to_field(&self) -> Field<'_>;
}

impl ToField for str {
    fn to_field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl ToField for String {
    fn to_field(&self) -> Field<'_> {
        Field::Str(self)
    }
}

impl ToField for [String] {
    fn to_field(&self) -> Field<'_> {
        Field::Strs(self)
    }
}

impl ToField for Vec<String> {
    fn to_field(&self) -> Field<'_> {
        Field::Strs(self)
    }
}

impl ToField for bool {
    fn to_field(&self) -> Field<'_> {
        Field::Bool(*self)
    }
}

macro_rules! to_field_int {
    ($variant:ident as $wide:ty: $($t:ty),*) => {
        $(impl ToField for $t {
            fn to_field(&self) -> Field<'_> {
                Field::$variant(<$wide>::from(*self))
            }
        })*
    };
}
to_field_int!(Int as i64: i32, i64);
to_field_int!(UInt as u64: u32, u64);

impl ToField for usize {
    fn to_field(&self) -> Field<'_> {
        // usize is 32 bits in the Worker and 64 natively: never wider than u64.
        Field::UInt(*self as u64)
    }
}

/// `None` is `null`.
impl<T: ToField> ToField for Option<T> {
    fn to_field(&self) -> Field<'_> {
        match self {
            Some(v) => v.to_field(),
            None => Field::Null,
        }
    }
}

impl<T: ToField + ?Sized> ToField for &T {
    fn to_field(&self) -> Field<'_> {
        (**self).to_field()
    }
}

/// A log line's fields, in the order written: `fields! {"key": key, "to": mask(&m.to)}` is a
/// `&[(&str, Field)]` for [`emit`] and [`line`]. Each value is borrowed (temporaries live
/// until the end of the statement, so use it as an argument).
macro_rules! fields {
    ($($key:literal: $value:expr),* $(,)?) => {
        &[$(($key, $crate::logline::ToField::to_field(&$value))),*]
    };
}
pub(crate) use fields;

/// One log line: `{"level":..,"event":..,<fields>}`, the fields in the order given. A field
/// named `level` or `event` is dropped, so a line is always findable by its event.
pub fn line(level: &str, event: &str, fields: &[(&str, Field)]) -> String {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"level\":");
    write(&mut out, level);
    out.extend_from_slice(b",\"event\":");
    write(&mut out, event);
    let fields = fields
        .iter()
        .filter(|(key, _)| !matches!(*key, "level" | "event"));
    write_fields(&mut out, fields, true);
    text(out)
}

/// A JSON object of `fields`, in the order given: the Worker's small answers are written as
/// its log lines are, without a `serde_json::Value` built for each.
pub fn object(fields: &[(&str, Field)]) -> String {
    let mut out = Vec::with_capacity(64);
    out.push(b'{');
    write_fields(&mut out, fields.iter(), false);
    text(out)
}

/// `,"key":value` for each field (the first without its comma unless `after_first`), then `}`.
fn write_fields<'a, 'f: 'a>(
    out: &mut Vec<u8>,
    fields: impl Iterator<Item = &'a (&'a str, Field<'f>)>,
    after_first: bool,
) {
    for (i, (key, value)) in fields.enumerate() {
        if after_first || i > 0 {
            out.push(b',');
        }
        write(out, *key);
        out.push(b':');
        match *value {
            Field::Str(s) => write(out, s),
            Field::Int(n) => write(out, &n),
            Field::UInt(n) => write(out, &n),
            Field::Bool(b) => write(out, &b),
            Field::Null => out.extend_from_slice(b"null"),
            Field::Strs(list) => {
                out.push(b'[');
                for (i, s) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(out, s.as_str());
                }
                out.push(b']');
            }
        }
    }
    out.push(b'}');
}

/// Only serde_json's text of `&str`s and ASCII punctuation: always UTF-8.
fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A value as serde_json writes it (its escaping of strings, its digits): a write to a `Vec`
/// of a string, an integer or a boolean cannot fail.
fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(out, value);
}

/// A phone number fit for logs and the admin list (`+3247****56`).
pub fn mask(phone: &str) -> String {
    smsmobileapi::mask_phone(phone)
}

/// Prints a line to the Worker's console.
pub fn emit(level: &str, event: &str, fields: &[(&str, Field)]) {
    let text = line(level, event, fields);
    if level == "error" {
        worker::console_error!("{text}");
    } else {
        worker::console_log!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_level_and_event_first() {
        let text = line(
            "info",
            "webhook.accepted",
            fields! {"to": mask("+32470123456"), "n": 2},
        );
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["event"], "webhook.accepted");
        assert!(!text.contains("+32470123456"), "{text}");
        assert!(
            text.starts_with(r#"{"level":"info","event":"webhook.accepted","to":"#),
            "{text}"
        );
        let clash = line(
            "warn",
            "message.retry",
            fields! {"event": "placed", "level": "debug", "key": "k"},
        );
        assert_eq!(
            clash,
            r#"{"level":"warn","event":"message.retry","key":"k"}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let nasty = [
            r#"say "hi""#,
            r"C:\path\to",
            "line\nbreak\r\ttab",
            "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
            "é, 日本, 🦀, \u{2028}\u{2029}",
            "</script>",
            "",
        ];
        for s in nasty {
            let text = line("info", s, fields! {"s": s, "list": vec![s.to_owned()]});
            let expected = json!({"s": s, "list": [s]});
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed["s"], expected["s"], "{text}");
            assert_eq!(parsed["event"], s, "{text}");
            // The same bytes as serde_json's, not only the same value once parsed.
            let quoted = serde_json::to_string(s).unwrap();
            assert!(
                text.contains(&format!(
                    r#","event":{quoted},"s":{quoted},"list":[{quoted}]}}"#
                )),
                "{text} lacks {quoted}"
            );
        }
        assert_eq!(
            line("info", "e", fields! {"q": "a\"b\\c\n\u{1}é"}),
            r#"{"level":"info","event":"e","q":"a\"b\\c\n\u0001é"}"#
        );
    }

    #[test]
    fn numbers_bools_null_and_lists() {
        let to: Option<String> = None;
        let masked = Some(mask("+32470123456"));
        let skipped = vec!["no phone".to_owned(), "opted \"out\"".to_owned()];
        let empty: Vec<String> = Vec::new();
        let text = line(
            "info",
            "e",
            fields! {
                "age_s": -3i64, "attempt": 2u32, "count": usize::MAX, "big": u64::MAX,
                "min": i64::MIN, "resent": 0, "ok": true, "no": false, "to": to,
                "masked": masked, "skipped": skipped, "none": empty,
            },
        );
        assert_eq!(
            text,
            format!(
                concat!(
                    r#"{{"level":"info","event":"e","age_s":-3,"attempt":2,"count":{},"#,
                    r#""big":18446744073709551615,"min":-9223372036854775808,"resent":0,"#,
                    r#""ok":true,"no":false,"to":null,"masked":"{}","#,
                    r#""skipped":["no phone","opted \"out\""],"none":[]}}"#
                ),
                usize::MAX,
                mask("+32470123456"),
            )
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["skipped"], json!(["no phone", "opted \"out\""]));
    }

    /// The Worker's answers: the fields as written, `level` and `event` kept (they are
    /// ordinary keys there), the same value as `json!` gives once parsed.
    #[test]
    fn an_object_is_its_fields_in_order() {
        assert_eq!(object(&[]), "{}");
        let problems = vec!["SHOPIFY_WEBHOOK_SECRET is not set".to_owned()];
        let text = object(fields! {
            "ok": false, "event": "e\n\"x\"", "planned": 2u32, "warning": None::<String>,
            "problems": problems,
        });
        assert_eq!(
            text,
            r#"{"ok":false,"event":"e\n\"x\"","planned":2,"warning":null,"problems":["SHOPIFY_WEBHOOK_SECRET is not set"]}"#
        );
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            json!({"ok": false, "event": "e\n\"x\"", "planned": 2, "warning": null, "problems": problems})
        );
    }
}
