//! Webhooks SMSMobileAPI posts to us: the unsigned legacy "SMS received" JSON, and the signed
//! V2 envelope. Verification is pure: the caller passes the raw body, the header values and
//! `now` (UNIX seconds); nothing here reads a clock or answers HTTP.
//!
//! V2 signature: `X-SMSMobileAPI-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." +
//! raw body)>`, compared in constant time; timestamps more than [`MAX_SKEW_SECS`] from `now`
//! are refused so a captured request cannot be replayed later. Delivery is at least once:
//! dedupe on [`Event::id`].

use crate::wire::{LooseString, RawJson, deserialize_loose_struct, from_raw, mask_phone};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::fmt;

/// Largest accepted distance between the signed timestamp and `now`.
pub const MAX_SKEW_SECS: u64 = 300;

pub const HEADER_EVENT: &str = "X-SMSMobileAPI-Event";
pub const HEADER_EVENT_ID: &str = "X-SMSMobileAPI-Event-ID";
pub const HEADER_TIMESTAMP: &str = "X-SMSMobileAPI-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-SMSMobileAPI-Signature";
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Why a webhook was refused. Answer 401 for signature problems, 400 for the rest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook header {0} is missing")]
    MissingHeader(&'static str),
    #[error("webhook signature does not match: check the webhook secret")]
    BadSignature,
    #[error(
        "webhook timestamp is {skew_secs}s away from now (more than {MAX_SKEW_SECS}s): replayed or clock skew"
    )]
    Stale { skew_secs: u64 },
    #[error("webhook is malformed: {0}")]
    Malformed(String),
}

// ---------------------------------------------------------------------------------------------
// Legacy

/// The legacy "SMS received" webhook. Unsigned: protect the receiving URL with a secret of
/// your own.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct LegacyReceivedSms {
    pub date: Option<String>,
    pub hour: Option<String>,
    pub time_received: Option<String>,
    pub message: String,
    pub number: String,
    pub guid: Option<String>,
}

impl fmt::Debug for LegacyReceivedSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyReceivedSms")
            .field("guid", &self.guid)
            .field("number", &mask_phone(&self.number))
            .field("time_received", &self.time_received)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct LegacyWire {
    date: LooseString,
    hour: LooseString,
    time_received: LooseString,
    message: LooseString,
    number: LooseString,
    guid: LooseString,
}

crate::wire::loose_fields!(LegacyWire {
    "date" => Loose date,
    "hour" => Loose hour,
    "time_received" => Loose time_received,
    "message" => Loose message,
    "number" => Loose number,
    "guid" => Loose guid,
});

deserialize_loose_struct!(LegacyWire);

impl LegacyReceivedSms {
    /// Parses the body; a sender number is required (a reply without one cannot be routed).
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let w: LegacyWire = serde_json::from_slice(body)
            .map_err(|e| WebhookError::Malformed(format!("not the legacy JSON: {e}")))?;
        let number = w
            .number
            .0
            .ok_or_else(|| WebhookError::Malformed("`number` is missing".into()))?;
        Ok(LegacyReceivedSms {
            date: w.date.0,
            hour: w.hour.0,
            time_received: w.time_received.0,
            message: w.message.0.unwrap_or_default(),
            number,
            guid: w.guid.0,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// V2

/// The V2 headers, read once from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub event: String,
    pub event_id: String,
    pub timestamp: String,
    pub signature: String,
    pub idempotency_key: Option<String>,
}

impl SignedHeaders {
    /// Reads the headers through `lookup` (case-insensitive lookup is the caller's
    /// framework's job; most are).
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<SignedHeaders, WebhookError> {
        let need = |name: &'static str| {
            lookup(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or(WebhookError::MissingHeader(name))
        };
        Ok(SignedHeaders {
            event: need(HEADER_EVENT)?,
            event_id: need(HEADER_EVENT_ID)?,
            timestamp: need(HEADER_TIMESTAMP)?,
            signature: need(HEADER_SIGNATURE)?,
            idempotency_key: lookup(HEADER_IDEMPOTENCY_KEY).map(|v| v.trim().to_owned()),
        })
    }

    /// Reads the headers from name/value pairs, names compared case-insensitively.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<SignedHeaders, WebhookError> {
        SignedHeaders::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        })
    }
}

/// A verified V2 event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Unique per event: dedupe on it.
    pub id: String,
    pub api_version: Option<String>,
    pub created_at: Option<String>,
    pub occurred_at: Option<String>,
    pub idempotency_key: Option<String>,
    pub data: EventData,
}

/// What happened, by `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    #[serde(rename = "sms.received")]
    SmsReceived(InboundMessage),
    #[serde(rename = "whatsapp.received")]
    WhatsappReceived(InboundMessage),
    #[serde(rename = "sms.sent")]
    SmsSent(OutboundStatus),
    #[serde(rename = "sms.failed")]
    SmsFailed(OutboundStatus),
    /// A type this crate does not know yet, kept whole.
    #[serde(untagged)]
    Other {
        #[serde(rename = "type")]
        kind: String,
        data: RawJson,
    },
}

impl EventData {
    /// The event's `type` (`sms.received`, ..., or an unknown type's own name), as its JSON
    /// has it: for a log line, without serializing the event.
    pub fn kind(&self) -> &str {
        match self {
            EventData::SmsReceived(_) => "sms.received",
            EventData::WhatsappReceived(_) => "whatsapp.received",
            EventData::SmsSent(_) => "sms.sent",
            EventData::SmsFailed(_) => "sms.failed",
            EventData::Other { kind, .. } => kind,
        }
    }
}

/// A message received by the phone.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct InboundMessage {
    pub guid: Option<String>,
    /// The sender.
    pub from: String,
    pub message: String,
    pub received_at: Option<String>,
    pub alias: Option<String>,
    pub device_id: Option<String>,
}

impl fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundMessage")
            .field("guid", &self.guid)
            .field("from", &mask_phone(&self.from))
            .field("received_at", &self.received_at)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// A sent or failed message. The payload is not documented: the likely fields are picked
/// out and the rest kept in `raw`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundStatus {
    pub guid: Option<String>,
    pub error: Option<String>,
    pub raw: RawJson,
}

#[derive(Default)]
struct InboundWire {
    guid: LooseString,
    from: LooseString,
    number: LooseString,
    message: LooseString,
    received_at: LooseString,
    alias: LooseString,
    device_id: LooseString,
}

crate::wire::loose_fields!(InboundWire {
    "guid" => Loose guid,
    "from" => Loose from,
    "number" => Loose number,
    "message" => Loose message,
    "received_at" => Loose received_at,
    "alias" => Loose alias,
    "device_id" => Loose device_id,
});

// Read from the envelope's `data`, a `serde_json::Value`.
deserialize_loose_struct!(InboundWire);

#[derive(Default)]
struct OutboundWire {
    guid: LooseString,
    id: LooseString,
    error: LooseString,
    reason: LooseString,
}

crate::wire::loose_fields!(OutboundWire {
    "guid" => Loose guid,
    "id" => Loose id,
    "error" => Loose error,
    "reason" => Loose reason,
});

deserialize_loose_struct!(OutboundWire);

/// The V2 envelope. `id` and `type` are required: a key left out reads as `null` does, and
/// `parse_event` names the one missing.
#[derive(Default)]
struct EnvelopeWire {
    id: LooseString,
    kind: LooseString,
    api_version: LooseString,
    created_at: LooseString,
    occurred_at: LooseString,
    data: RawJson,
}

crate::wire::loose_fields!(EnvelopeWire {
    "id" => Loose id,
    "type" => Loose kind,
    "api_version" => Loose api_version,
    "created_at" => Loose created_at,
    "occurred_at" => Loose occurred_at,
    "data" => Raw data,
});

deserialize_loose_struct!(EnvelopeWire);

fn signature_matches(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    // One HMAC, however many values the header lists: the header is the sender's, read before
    // anything is authenticated, and an HMAC per value let a forged request with a thousand
    // junk values cost a thousand HMACs of its body.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    // `v1=<hex>`, possibly several comma-separated during a secret rotation.
    header.split(',').any(|part| {
        let Some(hex_sig) = part.trim().strip_prefix("v1=") else {
            return false;
        };
        hex::decode(hex_sig.trim()).is_ok_and(|sent| same_bytes(&sent, &expected))
    })
}

/// Compares in time independent of where the bytes differ (a MAC's length is no secret).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks signature and freshness, then parses the body. `now` is UNIX seconds.
pub fn verify(
    secret: &[u8],
    headers: &SignedHeaders,
    body: &[u8],
    now: u64,
) -> Result<Event, WebhookError> {
    let sent_at: u64 = headers
        .timestamp
        .parse()
        .map_err(|_| WebhookError::Malformed(format!("{HEADER_TIMESTAMP} is not UNIX seconds")))?;
    // Signature first: an attacker must not learn anything from the freshness answer.
    if !signature_matches(secret, &headers.timestamp, body, &headers.signature) {
        return Err(WebhookError::BadSignature);
    }
    let skew_secs = now.abs_diff(sent_at);
    if skew_secs > MAX_SKEW_SECS {
        return Err(WebhookError::Stale { skew_secs });
    }
    parse_event(body, headers)
}

fn parse_event(body: &[u8], headers: &SignedHeaders) -> Result<Event, WebhookError> {
    let w: EnvelopeWire = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("body is not the V2 envelope: {e}")))?;
    let id =
        w.id.0
            .ok_or_else(|| WebhookError::Malformed("`id` is missing".into()))?;
    let kind = w
        .kind
        .0
        .ok_or_else(|| WebhookError::Malformed("`type` is missing".into()))?;
    if kind != headers.event {
        return Err(WebhookError::Malformed(format!(
            "{HEADER_EVENT} {:?} differs from body type {kind:?}",
            headers.event
        )));
    }
    let inbound = |data: &RawJson| -> Result<InboundMessage, WebhookError> {
        let d: InboundWire = from_raw(&data.0)
            .map_err(|e| WebhookError::Malformed(format!("`data` of {kind}: {e}")))?;
        Ok(InboundMessage {
            guid: d.guid.0,
            from: d.from.0.or(d.number.0).ok_or_else(|| {
                WebhookError::Malformed(format!("`data.from` of {kind} is missing"))
            })?,
            message: d.message.0.unwrap_or_default(),
            received_at: d.received_at.0,
            alias: d.alias.0,
            device_id: d.device_id.0,
        })
    };
    let outbound = |data: RawJson| -> OutboundStatus {
        let d: OutboundWire = from_raw(&data.0).unwrap_or_default();
        OutboundStatus {
            guid: d.guid.0.or(d.id.0),
            error: d.error.0.or(d.reason.0),
            raw: data,
        }
    };
    let data = match kind.as_str() {
        "sms.received" => EventData::SmsReceived(inbound(&w.data)?),
        "whatsapp.received" => EventData::WhatsappReceived(inbound(&w.data)?),
        "sms.sent" => EventData::SmsSent(outbound(w.data)),
        "sms.failed" => EventData::SmsFailed(outbound(w.data)),
        _ => EventData::Other { kind, data: w.data },
    };
    Ok(Event {
        id,
        api_version: w.api_version.0,
        created_at: w.created_at.0,
        occurred_at: w.occurred_at.0,
        idempotency_key: headers.idempotency_key.clone(),
        data,
    })
}

/// Computes the `X-SMSMobileAPI-Signature` value for a body: for tests and the sandbox.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Fields;

    /// `LegacyWire`, `InboundWire` and `OutboundWire` as serde derived their readers before
    /// `read_loose_struct`.
    mod previous {
        use crate::wire::LooseString;
        use serde::Deserialize;

        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub struct InboundWire {
            pub guid: LooseString,
            pub from: LooseString,
            pub number: LooseString,
            pub message: LooseString,
            pub received_at: LooseString,
            pub alias: LooseString,
            pub device_id: LooseString,
        }

        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub struct OutboundWire {
            pub guid: LooseString,
            pub id: LooseString,
            pub error: LooseString,
            pub reason: LooseString,
        }

        /// The envelope's derive with every field defaulted: what `EnvelopeWire` reads.
        /// (Before, `id` and `type` were required: a body without one was refused with
        /// serde's "missing field"; it now reads as `null` and `parse_event` names it.)
        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub struct EnvelopeWire {
            pub id: LooseString,
            #[serde(rename = "type")]
            pub kind: LooseString,
            pub api_version: LooseString,
            pub created_at: LooseString,
            pub occurred_at: LooseString,
            pub data: crate::wire::RawJson,
        }

        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub struct LegacyWire {
            pub date: LooseString,
            pub hour: LooseString,
            pub time_received: LooseString,
            pub message: LooseString,
            pub number: LooseString,
            pub guid: LooseString,
        }
    }

    #[test]
    fn a_signed_webhooks_data_reads_as_derived() {
        // Both readers' structs have the same fields, of two types: shown the same way.
        macro_rules! inbound {
            ($w:expr) => {{
                let w = $w;
                let fields = [
                    w.guid,
                    w.from,
                    w.number,
                    w.message,
                    w.received_at,
                    w.alias,
                    w.device_id,
                ];
                format!("{fields:?}")
            }};
        }
        let compared = crate::wire::assert_loose_struct_reads_as_derived(
            InboundWire::NAMES,
            |w: InboundWire| inbound!(w),
            |w: previous::InboundWire| inbound!(w),
        );
        assert!(compared > 500, "{compared}");
        macro_rules! outbound {
            ($w:expr) => {{
                let w = $w;
                format!("{:?}", [w.guid, w.id, w.error, w.reason])
            }};
        }
        let compared = crate::wire::assert_loose_struct_reads_as_derived(
            OutboundWire::NAMES,
            |w: OutboundWire| outbound!(w),
            |w: previous::OutboundWire| outbound!(w),
        );
        assert!(compared > 300, "{compared}");
    }

    #[test]
    fn the_envelope_reads_as_derived() {
        macro_rules! envelope {
            ($w:expr) => {{
                let w = $w;
                let fields = [w.id, w.kind, w.api_version, w.created_at, w.occurred_at];
                format!("{fields:?} {}", w.data.get())
            }};
        }
        let compared = crate::wire::assert_loose_struct_reads_as_derived(
            EnvelopeWire::NAMES,
            |w: EnvelopeWire| envelope!(w),
            |w: previous::EnvelopeWire| envelope!(w),
        );
        assert!(compared > 500, "{compared}");
    }

    /// An envelope without its `id` or `type` (left out, or `null`) is refused, naming it.
    #[test]
    fn an_envelope_without_id_or_type_names_it() {
        let headers = SignedHeaders {
            event: "sms.sent".into(),
            event_id: "e1".into(),
            timestamp: "1".into(),
            signature: String::new(),
            idempotency_key: None,
        };
        for (body, missing) in [
            (r#"{"type":"sms.sent","data":{}}"#, "`id` is missing"),
            (r#"{"id":null,"type":"sms.sent"}"#, "`id` is missing"),
            (r#"{"id":"e1","data":{}}"#, "`type` is missing"),
            (r#"["e1"]"#, "`type` is missing"),
        ] {
            match parse_event(body.as_bytes(), &headers) {
                Err(WebhookError::Malformed(message)) => assert_eq!(message, missing, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let event = parse_event(br#"{"id":"e1","type":"sms.sent"}"#, &headers).unwrap();
        assert_eq!(event.id, "e1");
    }

    #[test]
    fn an_events_kind_is_the_type_its_json_has() {
        let inbound = InboundMessage {
            guid: None,
            from: "+32470123456".into(),
            message: "hi".into(),
            received_at: None,
            alias: None,
            device_id: None,
        };
        let status = OutboundStatus {
            guid: Some("g".into()),
            error: None,
            raw: serde_json::from_str("{}").unwrap(),
        };
        for data in [
            EventData::SmsReceived(inbound.clone()),
            EventData::WhatsappReceived(inbound),
            EventData::SmsSent(status.clone()),
            EventData::SmsFailed(status),
            EventData::Other {
                kind: "call.missed".into(),
                data: serde_json::from_str(r#"{"x": 1}"#).unwrap(),
            },
        ] {
            let serialized = serde_json::to_value(&data).unwrap();
            assert_eq!(serialized["type"], data.kind(), "{serialized}");
        }
    }

    #[test]
    fn the_legacy_body_reads_as_derived() {
        let legacy = |f: [LooseString; 6]| format!("{f:?}");
        let compared = crate::wire::assert_loose_struct_reads_as_derived(
            LegacyWire::NAMES,
            |w: LegacyWire| legacy([w.date, w.hour, w.time_received, w.message, w.number, w.guid]),
            |w: previous::LegacyWire| {
                legacy([w.date, w.hour, w.time_received, w.message, w.number, w.guid])
            },
        );
        assert!(compared > 500, "{compared}");
    }
}
