//! Webhook deliveries of received SMS: the legacy unsigned JSON and the signed "V2" envelope,
//! built as bytes and headers first (pure, testable), then POSTed on the blocking pool.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::SandboxError;
use crate::state::Received;
use crate::wire;

/// Which body the sandbox POSTs to the webhook URL when an SMS is received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// `{"date","hour","time_received","message","number","guid"}`, unsigned.
    Legacy,
    /// `{id,type,api_version,created_at,occurred_at,data}` with `X-SMSMobileAPI-*` headers.
    V2,
    /// Both, legacy first, to the same URL.
    Both,
}

/// Where and how received SMS are pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookConfig {
    /// An `http://` URL on a loopback host.
    pub url: String,
    /// The V2 signing secret; required for [`WebhookFormat::V2`] and [`WebhookFormat::Both`].
    pub secret: Option<String>,
    pub format: WebhookFormat,
}

impl WebhookConfig {
    /// Refuses non-loopback targets (the sandbox must never reach out of the machine) and a
    /// signed format without a secret.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let bad = |reason: &str| SandboxError::InvalidWebhook(format!("{}: {reason}", self.url));
        let url = url::Url::parse(&self.url).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "http" {
            return Err(bad("only http:// URLs are supported"));
        }
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if !loopback {
            return Err(bad(
                "the host must be loopback (127.0.0.1, [::1] or localhost)",
            ));
        }
        if self.format != WebhookFormat::Legacy && self.secret.as_deref().unwrap_or("").is_empty() {
            return Err(bad("the v2 format needs a webhook_secret to sign with"));
        }
        Ok(())
    }
}

/// One HTTP POST to make.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delivery {
    pub(crate) format: &'static str,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

/// The POSTs announcing `sms`, in delivery order. `event_id` identifies the V2 event
/// (a redelivery reuses it, which is what receivers dedupe on).
pub(crate) fn deliveries(
    cfg: &WebhookConfig,
    sms: &Received,
    event_id: &str,
    now: i64,
) -> Vec<Delivery> {
    let mut out = Vec::new();
    if matches!(cfg.format, WebhookFormat::Legacy | WebhookFormat::Both) {
        let body = json!({
            "date": wire::day(sms.timestamp_unix),
            "hour": wire::hour(sms.timestamp_unix),
            "time_received": wire::sql_datetime(sms.timestamp_unix),
            "message": sms.message,
            "number": sms.number,
            "guid": sms.guid,
        });
        out.push(Delivery {
            format: "legacy",
            headers: Vec::new(),
            body: body.to_string(),
        });
    }
    if matches!(cfg.format, WebhookFormat::V2 | WebhookFormat::Both) {
        let body = json!({
            "id": event_id,
            "type": "sms.received",
            "api_version": "2",
            "created_at": wire::iso_utc(now),
            "occurred_at": wire::iso_utc(sms.timestamp_unix),
            "data": {
                "guid": sms.guid,
                "from": sms.number,
                "message": sms.message,
                "received_at": wire::iso_utc(sms.timestamp_unix),
                "alias": sms.alias,
                "device_id": sms.sid,
            },
        })
        .to_string();
        let timestamp = now.to_string();
        let secret = cfg.secret.as_deref().unwrap_or("");
        let headers = vec![
            ("X-SMSMobileAPI-Event".to_owned(), "sms.received".to_owned()),
            ("X-SMSMobileAPI-Event-ID".to_owned(), event_id.to_owned()),
            ("X-SMSMobileAPI-Timestamp".to_owned(), timestamp.clone()),
            (
                "X-SMSMobileAPI-Signature".to_owned(),
                format!("v1={}", sign(secret, &timestamp, &body)),
            ),
            ("Idempotency-Key".to_owned(), event_id.to_owned()),
        ];
        out.push(Delivery {
            format: "v2",
            headers,
            body,
        });
    }
    out
}

/// `hex(HMAC-SHA256(secret, timestamp + "." + body))`.
pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC would only make the
    // receiver reject the delivery, which is the visible outcome we would want anyway.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// POSTs one delivery; returns the receiver's status, or why it could not be reached.
pub(crate) fn post(url: &str, d: &Delivery) -> Result<u16, String> {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut req = agent.post(url).header("Content-Type", "application/json");
    for (k, v) in &d.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req.send(d.body.as_str())
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms() -> Received {
        Received {
            id: 1,
            guid: "a".repeat(40),
            sid: "sandbox-phone-1".into(),
            number: "+32470123489".into(),
            message: "STOP".into(),
            timestamp_unix: 1_737_368_090,
            received_ms: 1_737_368_090_123,
            alias: String::new(),
            read: false,
        }
    }

    #[test]
    fn v2_signature_covers_timestamp_dot_body() {
        let cfg = WebhookConfig {
            url: "http://127.0.0.1:9/h".into(),
            secret: Some("s3cret".into()),
            format: WebhookFormat::V2,
        };
        let d = &deliveries(&cfg, &sms(), "evt_1", 1_737_368_100)[0];
        let sig = d
            .headers
            .iter()
            .find(|(k, _)| k == "X-SMSMobileAPI-Signature")
            .unwrap();
        assert_eq!(
            sig.1,
            format!("v1={}", sign("s3cret", "1737368100", &d.body))
        );
        let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["type"], "sms.received");
        assert_eq!(body["data"]["from"], "+32470123489");
    }

    #[test]
    fn legacy_body_has_the_documented_fields() {
        let cfg = WebhookConfig {
            url: "http://localhost/h".into(),
            secret: None,
            format: WebhookFormat::Legacy,
        };
        let d = &deliveries(&cfg, &sms(), "evt_1", 0)[0];
        let body: serde_json::Value = serde_json::from_str(&d.body).unwrap();
        assert_eq!(body["date"], "2025-01-20");
        assert_eq!(body["hour"], "10:14:50");
        assert_eq!(body["time_received"], "2025-01-20 10:14:50");
        assert!(d.headers.is_empty());
    }

    #[test]
    fn only_loopback_webhooks_are_allowed() {
        let mk = |url: &str| WebhookConfig {
            url: url.into(),
            secret: None,
            format: WebhookFormat::Legacy,
        };
        assert!(mk("http://127.0.0.1:8080/x").validate().is_ok());
        assert!(mk("http://[::1]:8080/x").validate().is_ok());
        assert!(mk("http://example.com/x").validate().is_err());
        assert!(mk("https://127.0.0.1/x").validate().is_err());
        let v2 = WebhookConfig {
            format: WebhookFormat::V2,
            ..mk("http://127.0.0.1/x")
        };
        assert!(v2.validate().is_err(), "v2 without a secret");
    }
}
