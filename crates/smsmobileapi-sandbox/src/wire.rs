//! The wire vocabulary shared by every endpoint: request parameters merged from the query string
//! and the form body, the reply a handler produces, timestamps in the API's formats, and the
//! masking of phone numbers for logs. No I/O here.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

/// Request parameters, from the query string then the form body (a later value wins, so a
/// form field overrides the same name in the query, as PHP's `$_REQUEST` does).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Reads `query` and, when the body is declared as a urlencoded form, the body.
    /// Other bodies are ignored: the real API takes no JSON bodies.
    pub(crate) fn parse(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Params {
        let mut pairs: Vec<(String, String)> = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let is_form = content_type
            .map(|ct| {
                ct.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            })
            .unwrap_or(false);
        if is_form {
            pairs.extend(form_urlencoded::parse(body).into_owned());
        }
        Params(pairs)
    }

    /// The last value given for `name`, if any (possibly empty).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed, or `None` when absent or blank.
    pub(crate) fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A required parameter: absent or blank is a 400 naming it.
    pub(crate) fn required(&self, name: &str) -> Result<&str, Reply> {
        self.non_empty(name).ok_or_else(|| Reply::missing(name))
    }

    /// An optional integer parameter; blank means absent, garbage is a 400 naming it.
    pub(crate) fn opt_i64(&self, name: &str) -> Result<Option<i64>, Reply> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| Reply::invalid(name, "an integer (UNIX seconds)")),
        }
    }

    /// `name` equals `want`, ignoring ASCII case and surrounding spaces.
    pub(crate) fn is(&self, name: &str, want: &str) -> bool {
        self.non_empty(name)
            .is_some_and(|v| v.eq_ignore_ascii_case(want))
    }
}

/// What a handler answers: a status, a JSON body and, for 429, the `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) retry_after: Option<u64>,
    /// The body serialized with its fields in the documented order (a `Value` sorts keys);
    /// sent instead of `body` when set.
    pub(crate) ordered: Option<String>,
    /// For the request log line only, never sent: the send-level fault that took effect
    /// (`offline`, `phone_failure`, `ambiguous`) and the GUID of the message recorded when
    /// the answer does not carry it (offline, ambiguous).
    pub(crate) fault: Option<&'static str>,
    pub(crate) recorded_guid: Option<String>,
}

impl Reply {
    /// A 200 whose JSON keeps `value`'s field order, as the API documentation shows it.
    pub(crate) fn ok_ordered<T: serde::Serialize>(value: &T) -> Reply {
        let mut r = Reply::ok(serde_json::to_value(value).unwrap_or(Value::Null));
        r.ordered = serde_json::to_string(value).ok();
        r
    }

    pub(crate) fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            retry_after: None,
            ordered: None,
            fault: None,
            recorded_guid: None,
        }
    }

    /// The bare `{"error","message"}` shape the API uses for HTTP-level failures.
    pub(crate) fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply {
            status,
            body: json!({"error": code, "message": message.into()}),
            retry_after: None,
            ordered: None,
            fault: None,
            recorded_guid: None,
        }
    }

    pub(crate) fn missing(name: &str) -> Reply {
        let mut r = Reply::error(
            400,
            "missing_parameter",
            format!("missing required parameter: {name}"),
        );
        r.body["parameter"] = json!(name);
        r
    }

    pub(crate) fn invalid(name: &str, expected: &str) -> Reply {
        let mut r = Reply::error(
            400,
            "invalid_parameter",
            format!("invalid parameter {name}: expected {expected}"),
        );
        r.body["parameter"] = json!(name);
        r
    }

    /// An application error on HTTP 200, in the `result` wrapper (the API's habit).
    pub(crate) fn app_error(code: Value, note: impl Into<String>) -> Reply {
        Reply::ok(json!({"result": {"error": code, "sent": "no", "note": note.into()}}))
    }

    /// Names, for the log line, the send-level fault this answer comes from.
    pub(crate) fn with_fault(mut self, fault: &'static str, guid: Option<&str>) -> Reply {
        self.fault = Some(fault);
        self.recorded_guid = guid.map(str::to_owned);
        self
    }
}

fn datetime(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-03-20T21:07:44Z`, as in `result.datetime`.
pub(crate) fn iso_utc(unix: i64) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    datetime(unix).format(&f).unwrap_or_default()
}

/// `2026-03-20T21:07:44+00:00`, as in `result.datetimeLocal` (the sandbox's "local" is UTC).
pub(crate) fn iso_local(unix: i64) -> String {
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+00:00");
    datetime(unix).format(&f).unwrap_or_default()
}

/// `2026-03-20 21:07:44`, the log and legacy-webhook format.
pub(crate) fn sql_datetime(unix: i64) -> String {
    let f = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    datetime(unix).format(&f).unwrap_or_default()
}

/// `2026-03-20`.
pub(crate) fn day(unix: i64) -> String {
    let f = format_description!("[year]-[month]-[day]");
    datetime(unix).format(&f).unwrap_or_default()
}

/// `21:07:44`.
pub(crate) fn hour(unix: i64) -> String {
    let f = format_description!("[hour]:[minute]:[second]");
    datetime(unix).format(&f).unwrap_or_default()
}

/// The UNIX second at which the UTC day `YYYY-MM-DD` starts.
pub(crate) fn parse_day(s: &str) -> Option<i64> {
    let f = format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.trim(), &f).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// Masks each comma-separated number: keeps the first five and last two characters
/// (`+32470123489` → `+3247*****89`), so logs identify a test number without exposing it.
pub fn mask_phones(numbers: &str) -> String {
    numbers
        .split(',')
        .map(|n| mask_one(n.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

fn mask_one(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..5].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_overrides_query_and_json_bodies_are_ignored() {
        let p = Params::parse(
            Some("apikey=q&message=a"),
            Some("application/x-www-form-urlencoded"),
            b"message=b+c",
        );
        assert_eq!(p.get("apikey"), Some("q"));
        assert_eq!(p.get("message"), Some("b c"));
        let p = Params::parse(None, Some("application/json"), br#"{"message":"x"}"#);
        assert_eq!(p.get("message"), None);
    }

    #[test]
    fn blank_required_parameter_is_a_400_naming_it() {
        let p = Params::parse(Some("recipients=+&message=hi"), None, b"");
        let err = p.required("recipients").unwrap_err();
        assert_eq!(err.status, 400);
        assert_eq!(err.body["parameter"], "recipients");
    }

    #[test]
    fn timestamps_use_the_api_formats() {
        assert_eq!(iso_utc(1_774_040_864), "2026-03-20T21:07:44Z");
        assert_eq!(sql_datetime(1_774_040_864), "2026-03-20 21:07:44");
        assert_eq!(parse_day("2026-03-20"), Some(1_773_964_800));
        assert_eq!(parse_day("20/03/2026"), None);
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phones("+32470123489"), "+3247*****89");
        assert_eq!(
            mask_phones("+32470123489, 32470999911"),
            "+3247*****89,32470****11"
        );
        assert_eq!(mask_phones("12345"), "*****");
    }
}
