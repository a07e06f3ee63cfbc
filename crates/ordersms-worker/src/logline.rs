//! Structured logs: one JSON object per line (what Workers Logs and `wrangler tail` index),
//! with phone numbers masked by the caller through [`mask`] and never a secret or a message
//! text in them.

use serde_json::{Map, Value};

/// One log line: `{"level":..,"event":..,<fields>}`. `level` and `event` win over fields of
/// the same name, so a line is always findable by its event.
pub fn line(level: &str, event: &str, fields: Value) -> String {
    let mut out = Map::new();
    if let Value::Object(extra) = fields {
        out.extend(extra);
    }
    out.insert("level".into(), Value::from(level));
    out.insert("event".into(), Value::from(event));
    Value::Object(out).to_string()
}

/// A phone number fit for logs and the admin list (`+3247****56`).
pub fn mask(phone: &str) -> String {
    smsmobileapi::mask_phone(phone)
}

/// Prints a line to the Worker's console.
pub fn emit(level: &str, event: &str, fields: Value) {
    let text = line(level, event, fields);
    if level == "error" {
        worker::console_error!("{text}");
    } else {
        worker::console_log!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_level_and_event_first() {
        let text = line(
            "info",
            "webhook.accepted",
            serde_json::json!({"to": mask("+32470123456")}),
        );
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["level"], "info");
        let clash = line(
            "warn",
            "message.retry",
            serde_json::json!({"event": "placed"}),
        );
        assert!(clash.contains(r#""event":"message.retry""#), "{clash}");
        assert_eq!(v["event"], "webhook.accepted");
        assert!(!text.contains("+32470123456"), "{text}");
    }
}
