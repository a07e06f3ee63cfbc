//! Lenient deserializers for the API's loosely typed JSON: the same field arrives as `0`,
//! `"0"`, `null` or `""` depending on endpoint and API version. Each helper accepts every
//! shape seen and normalises it once, so typed outputs never carry the mess further.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// Any JSON scalar read as text: strings as they are, numbers and bools printed. `null`
/// becomes `None`, and so does an empty string (the API uses both for "nothing").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LooseString(pub Option<String>);

impl<'de> Deserialize<'de> for LooseString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
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
                d.deserialize_any(V)
            }
            // An object or array where a scalar was expected: keep going rather than fail the
            // whole response over a field nobody reads.
            fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<LooseString, A::Error> {
                while m.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(LooseString(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<LooseString, A::Error> {
                while s.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(LooseString(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl LooseString {
    /// A non-negative integer, whether sent as `12` or `"12"`; anything else is `None`.
    pub(crate) fn as_u64(&self) -> Option<u64> {
        let s = self.0.as_deref()?;
        s.parse::<u64>().ok().or_else(|| {
            // "12.0" from a float-happy serializer.
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        })
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
        use serde_json::Value;
        let values = match Value::deserialize(d)? {
            Value::Array(values) => values,
            Value::Object(map) => {
                let mut indexed = Vec::with_capacity(map.len());
                for (key, value) in map {
                    match key.parse::<u64>() {
                        Ok(index) => indexed.push((index, value)),
                        Err(_) => return Ok(Rows::Unreadable),
                    }
                }
                indexed.sort_by_key(|(index, _)| *index);
                indexed.into_iter().map(|(_, value)| value).collect()
            }
            _ => return Ok(Rows::Absent),
        };
        Ok(values
            .into_iter()
            .map(T::deserialize)
            .collect::<Result<Vec<T>, _>>()
            .map_or(Rows::Unreadable, Rows::Read))
    }
}

/// Shows a phone number as `+33•••••78`: enough to tell two apart in a log, not enough to
/// reuse. Several comma-separated numbers are masked one by one.
pub fn mask_phone(raw: &str) -> String {
    raw.split(',')
        .map(|one| {
            let chars: Vec<char> = one.trim().chars().collect();
            if chars.len() <= 4 {
                return "•".repeat(chars.len());
            }
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            format!("{head}{}{tail}", "•".repeat(chars.len() - 5))
        })
        .collect::<Vec<_>>()
        .join(",")
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
    let mut out: String = text[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+32471234578"), "+32•••••••78");
        assert_eq!(mask_phone("+32471234578, 0612"), "+32•••••••78,••••");
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
    fn snippet_cuts_on_char_boundary() {
        let body = "é".repeat(10); // 2 bytes each
        let s = snippet(body.as_bytes(), 5);
        assert_eq!(s, "éé…");
        assert_eq!(snippet(b"<html>\n<body>", 100), "<html> <body>");
        assert_eq!(snippet(&[0xff, 0xfe, b'a'], 100), "\u{fffd}\u{fffd}a");
    }
}
