//! The JSON spoken between the Worker (fetch, queue consumer, cron) and the `Ledger` Durable
//! Object, and the queue's job format. Plain data, so it is unit-testable and versionable.

use serde::{Deserialize, Serialize};

use crate::delivery::{Claim, State};

/// One outbox queue message. It carries only keys: the Ledger holds the message itself
/// (recipient, text), so a phone number never sits in the outbox and the Ledger stays the
/// one source of truth about what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Deliver the message with this dedupe key.
    Send { key: String },
    /// Mark a received SMS read at SMSMobileAPI.
    MarkRead { guid: String },
}

/// One inbox queue message: a webhook whose signature the Worker checked, to be handed to
/// the Ledger's `/ingest`. The shop got its 200 once the queue held this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxJob {
    pub platform: String,
    /// Only the platform's own headers (topic, shop, event id): what the parse reads.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A message as the Ledger stores it and the consumer sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// E.164.
    pub to: String,
    /// `customer` or `merchant`.
    pub audience: String,
    /// `sms`, `whatsapp` or `both`.
    pub channel: String,
    pub text: String,
    #[serde(default)]
    pub shorturl: bool,
    #[serde(default)]
    pub schedule_timestamp: Option<i64>,
    /// `placed`, `shipped`... or `reply` / `alert` for merchant notices.
    pub event: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub device_sid: Option<String>,
}

/// `POST /ingest`: a verified order webhook.
#[derive(Debug, Serialize, Deserialize)]
pub struct IngestRequest {
    pub platform: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub now: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct IngestResponse {
    /// The same platform event was already handled.
    pub duplicate: bool,
    /// New messages planned by this webhook.
    pub planned: usize,
    /// Messages handed to the queue now (new ones and any left over from a failed attempt).
    pub enqueued: usize,
    pub skipped: Vec<String>,
}

/// `POST /claim`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub key: String,
    pub holder: String,
    pub now: i64,
    #[serde(default)]
    pub verified_absent: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimResponse {
    pub claim: Claim,
    pub message: Option<Outgoing>,
    /// 1-based number of this attempt.
    pub attempt: u32,
    /// GUIDs already attributed to other messages to the same phone (for the log lookup).
    pub known_guids: Vec<String>,
}

/// `POST /finish`: what an attempt came to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Finish {
    Sent { guid: Option<String> },
    Retry { ambiguous: bool, error: String },
    Failed { error: String },
    Dead { error: String },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FinishRequest {
    pub key: String,
    pub holder: String,
    pub now: i64,
    pub finish: Finish,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FinishResponse {
    pub state: State,
}

/// `POST /reply`: an SMS a customer sent to the shop's phone.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplyRequest {
    /// Unique per received SMS (webhook event id, or the SMS GUID).
    pub event_key: String,
    pub from: String,
    pub text: String,
    pub guid: Option<String>,
    pub now: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ReplyResponse {
    /// `opted_out`, `opted_in`, `forwarded`, `not_forwarded` or `duplicate`.
    pub action: String,
}

/// `POST /failures`: phone-side failures read from the sent log by the cron.
#[derive(Debug, Serialize, Deserialize)]
pub struct FailuresRequest {
    pub failures: Vec<(String, String)>,
    pub now: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FailuresResponse {
    /// GUIDs to call `/resend/` for.
    pub resend: Vec<String>,
    /// Messages given up on (merchant alerted).
    pub given_up: usize,
}

/// One row of `GET /admin/messages`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageRow {
    pub key: String,
    pub to: String,
    pub audience: String,
    pub event: String,
    pub state: String,
    pub attempts: u32,
    pub guid: Option<String>,
    pub error: Option<String>,
    pub resends: u32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_small_tagged_json() {
        let job = Job::Send { key: "ab12".into() };
        let text = serde_json::to_string(&job).unwrap();
        assert_eq!(text, r#"{"kind":"send","key":"ab12"}"#);
        assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
        let read: Job = serde_json::from_str(r#"{"kind":"mark_read","guid":"g"}"#).unwrap();
        assert_eq!(read, Job::MarkRead { guid: "g".into() });
    }
}
