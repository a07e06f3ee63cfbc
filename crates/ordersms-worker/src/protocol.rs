//! The JSON spoken between the Worker (fetch, queue consumer, cron) and the `Ledger` Durable
//! Object, and the queue's job format. Plain data, so it is unit-testable and versionable.

use serde::de::Error as _;
use serde::{Deserialize, Serialize};

use crate::delivery::{Claim, State};

/// One outbox queue message. It carries only keys: the Ledger holds the message itself
/// (recipient, text), so a phone number never sits in the outbox and the Ledger stays the
/// one source of truth about what was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "JobWire")]
pub enum Job {
    /// Deliver the message with this dedupe key.
    Send { key: String },
    /// Mark a received SMS read at SMSMobileAPI.
    MarkRead { guid: String },
}

// Reading the tagged enums here (`Job`, `Finish`, `delivery::Claim`) goes through a flat
// struct of all their fields: serde's own derive for an internally tagged enum first copies
// the object into a generic tree and reads each variant from that, 6-11 KB of the Worker's
// WASM per enum. Same JSON either way; `Serialize` stays derived.

/// Every field of a [`Job`] on the wire.
#[derive(Deserialize)]
struct JobWire {
    kind: String,
    key: Option<String>,
    guid: Option<String>,
}

impl TryFrom<JobWire> for Job {
    type Error = String;

    fn try_from(wire: JobWire) -> Result<Job, String> {
        match wire.kind.as_str() {
            "send" => Ok(Job::Send {
                key: required(wire.key, "key")?,
            }),
            "mark_read" => Ok(Job::MarkRead {
                guid: required(wire.guid, "guid")?,
            }),
            other => Err(unknown_variant(other, &["send", "mark_read"])),
        }
    }
}

/// A variant's field that must be there, with serde's message when it is not.
pub(crate) fn required<T>(value: Option<T>, field: &'static str) -> Result<T, String> {
    value.ok_or_else(|| serde::de::value::Error::missing_field(field).to_string())
}

/// serde's message for a tag that names none of `variants`.
pub(crate) fn unknown_variant(tag: &str, variants: &'static [&'static str]) -> String {
    serde::de::value::Error::unknown_variant(tag, variants).to_string()
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
    /// `sms` or `whatsapp` (`both` in rows stored before it was planned as two messages).
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
#[serde(tag = "result", rename_all = "snake_case", try_from = "FinishWire")]
pub enum Finish {
    Sent {
        guid: Option<String>,
    },
    Retry {
        ambiguous: bool,
        error: String,
    },
    Failed {
        error: String,
    },
    /// The queue's retries ran out (the dead-letter queue has the job). The Ledger gives the
    /// message up (dead, merchant alerted) if it is too old to be worth sending, and otherwise
    /// leaves it retrying for the cron sweep to hand back (`delivery::too_late`).
    RetriesOut,
}

/// Every field of a [`Finish`] on the wire (see [`JobWire`] for why).
#[derive(Deserialize)]
struct FinishWire {
    result: String,
    guid: Option<String>,
    ambiguous: Option<bool>,
    error: Option<String>,
}

impl TryFrom<FinishWire> for Finish {
    type Error = String;

    fn try_from(wire: FinishWire) -> Result<Finish, String> {
        match wire.result.as_str() {
            "sent" => Ok(Finish::Sent { guid: wire.guid }),
            "retry" => Ok(Finish::Retry {
                ambiguous: required(wire.ambiguous, "ambiguous")?,
                error: required(wire.error, "error")?,
            }),
            "failed" => Ok(Finish::Failed {
                error: required(wire.error, "error")?,
            }),
            "retries_out" => Ok(Finish::RetriesOut),
            other => Err(unknown_variant(
                other,
                &["sent", "retry", "failed", "retries_out"],
            )),
        }
    }
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
    /// GUIDs to call `/resend/` for. Not yet counted: see [`ResentRequest`].
    pub resend: Vec<String>,
    /// Messages given up on (merchant alerted).
    pub given_up: usize,
}

/// `POST /messages`: what `GET /admin/messages` asked for.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessagesRequest {
    pub limit: u32,
    /// Only messages in this state.
    pub state: Option<State>,
}

/// `POST /retry`: an operator sends a failed, dead or suppressed message again
/// (`POST /admin/messages/<key>/retry`).
#[derive(Debug, Serialize, Deserialize)]
pub struct RetryRequest {
    pub key: String,
    pub now: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RetryResponse {
    /// The message's state now; `None`: no message has this key.
    pub state: Option<State>,
    /// It was failed, dead or suppressed and is queued again.
    pub requeued: bool,
}

/// `POST /erase`: an operator forgets a customer (`POST /admin/customers/erase`).
#[derive(Debug, Serialize, Deserialize)]
pub struct EraseRequest {
    /// E.164.
    pub phone: String,
    /// Also opt the number out, so nothing is ever texted to it again.
    pub opt_out: bool,
    pub now: i64,
}

/// What `/erase` removed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct EraseResponse {
    /// Messages to the number, replies of theirs forwarded to the merchant, and the
    /// merchant's notices about their orders.
    pub messages: u32,
    /// Order contexts that held the number.
    pub orders: u32,
    /// Whether the number is opted out now (kept when it was: a STOP stays obeyed).
    pub opted_out: bool,
}

/// `POST /resent`: one `/resend/` that counts against the message's `RESEND_MAX` (see
/// `cron::counts_as_resend`), reported by the cron right after SMSMobileAPI answered it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResentRequest {
    pub guid: String,
    pub now: i64,
}

/// `POST /backlog`'s answer: the messages that have waited `STALLED_AFTER_SECONDS` or more to
/// go out (for `/healthz`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Backlog {
    pub stalled: u32,
    /// When the oldest of them was due (UNIX seconds).
    pub oldest: Option<i64>,
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
    /// When an operator last sent it again, if ever.
    pub retried_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Claim;

    /// The derives the tagged enums had before they were read through flat structs (their
    /// fields are read through `Debug` only).
    #[allow(dead_code)]
    mod derived {
        use crate::delivery::State;
        use serde::Deserialize;

        #[derive(Debug, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum Job {
            Send { key: String },
            MarkRead { guid: String },
        }

        #[derive(Debug, Deserialize)]
        #[serde(tag = "result", rename_all = "snake_case")]
        pub enum Finish {
            Sent { guid: Option<String> },
            Retry { ambiguous: bool, error: String },
            Failed { error: String },
            RetriesOut,
        }

        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "snake_case", tag = "decision")]
        pub enum Claim {
            Send,
            Verify,
            Busy { retry_in: u32 },
            Done { state: State },
        }
    }

    /// Same value (as `Debug` shows it) or same error message, whatever the position.
    fn same<A, B>(json: &str)
    where
        A: serde::de::DeserializeOwned + std::fmt::Debug,
        B: serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let strip = |e: serde_json::Error| {
            let text = e.to_string();
            text.split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let ours = serde_json::from_str::<A>(json).map(|v| format!("{v:?}"));
        let theirs = serde_json::from_str::<B>(json).map(|v| format!("{v:?}"));
        assert_eq!(ours.map_err(strip), theirs.map_err(strip), "{json}");
    }

    #[test]
    fn tagged_enums_read_as_serde_derives_them() {
        for json in [
            r#"{"kind":"send","key":"k"}"#,
            r#"{"key":"k","kind":"mark_read","guid":"g","extra":1}"#,
            r#"{"kind":"send"}"#,
            r#"{"kind":"mark_read","key":"k"}"#,
            r#"{"kind":"nope","key":"k"}"#,
            r#"{"key":"k"}"#,
            r#"{"kind":"send","key":5}"#,
        ] {
            same::<Job, derived::Job>(json);
        }
        for json in [
            r#"{"result":"sent","guid":"g"}"#,
            r#"{"result":"sent"}"#,
            r#"{"result":"sent","guid":null}"#,
            r#"{"result":"retry","ambiguous":true,"error":"timeout"}"#,
            r#"{"result":"retry","error":"timeout"}"#,
            r#"{"result":"retry","ambiguous":true}"#,
            r#"{"result":"failed","error":"bad number"}"#,
            r#"{"result":"retries_out"}"#,
            r#"{"result":"dead"}"#,
            r#"{"result":"lost","error":"x"}"#,
            r#"{"error":"x"}"#,
        ] {
            same::<Finish, derived::Finish>(json);
        }
        for json in [
            r#"{"decision":"send"}"#,
            r#"{"decision":"verify","retry_in":3}"#,
            r#"{"decision":"busy","retry_in":30}"#,
            r#"{"decision":"busy"}"#,
            r#"{"decision":"busy","retry_in":-1}"#,
            r#"{"decision":"done","state":"sent"}"#,
            r#"{"decision":"done","state":"lost"}"#,
            r#"{"decision":"done"}"#,
            r#"{"decision":"maybe"}"#,
        ] {
            same::<Claim, derived::Claim>(json);
        }
    }

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
