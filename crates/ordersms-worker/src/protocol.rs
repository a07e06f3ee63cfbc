//! The JSON spoken between the Worker (fetch, queue consumer, cron) and the `Ledger` Durable
//! Object, and the queue's job format. Plain data, so it is unit-testable and versionable.

use serde::de::Error as _;
use serde::{Deserialize, Serialize};

use crate::delivery::{Claim, State};
use crate::record::{self, deserialize_as_record, present, record, serialize_as_record};

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
// WASM per enum. Same JSON either way; `Serialize` stays derived. The structs and those
// flat wire structs are read by `record`'s one reader instead of a serde derive each: see
// `record!` beside each.

/// The Ledger's answer to `/sweep`: how many messages it queued for the first time, and
/// again after they went quiet.
#[derive(Default)]
pub(crate) struct SweepAnswer {
    pub enqueued: Option<i64>,
    pub requeued: Option<i64>,
}
record!(SweepAnswer as "SweepAnswer", [enqueued: OptI64 Opt, requeued: OptI64 Opt]);
deserialize_as_record!(SweepAnswer);

/// Every field of a [`Job`] on the wire.
#[derive(Default)]
pub(crate) struct JobWire {
    kind: String,
    key: Option<String>,
    guid: Option<String>,
}
record!(JobWire as "JobWire", [kind: Str Req, key: OptStr Opt, guid: OptStr Opt]);
deserialize_as_record!(JobWire);

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
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct InboxJob {
    pub platform: String,
    /// Only the platform's own headers (topic, shop, event id): what the parse reads.
    pub headers: Vec<(String, String)>,
    pub body: String,
}
record!(
    InboxJob as "InboxJob",
    [platform: Str Req, headers: Pairs Req, body: Str Req]
);
deserialize_as_record!(InboxJob);

/// A message as the Ledger stores it and the consumer sends it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// E.164.
    pub to: String,
    /// `customer` or `merchant`.
    pub audience: String,
    /// `sms` or `whatsapp` (`both` in rows stored before it was planned as two messages).
    pub channel: String,
    pub text: String,
    pub shorturl: bool,
    pub schedule_timestamp: Option<i64>,
    /// `placed`, `shipped`... or `reply` / `alert` for merchant notices.
    pub event: String,
    pub template: String,
    pub device_sid: Option<String>,
}

record!(
    Outgoing as "Outgoing",
    [
        to: Str Req,
        audience: Str Req,
        channel: Str Req,
        text: Str Req,
        shorturl: Bool Default,
        schedule_timestamp: OptI64 Default,
        event: Str Req,
        template: Str Default,
        device_sid: OptStr Default,
    ]
);
deserialize_as_record!(Outgoing);
serialize_as_record!(Outgoing);

/// `POST /ingest`: a verified order webhook.
#[derive(Debug, Default)]
pub struct IngestRequest {
    pub platform: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub now: i64,
}

record!(
    IngestRequest as "IngestRequest",
    [
        platform: Str Req,
        headers: Pairs Req,
        body: Str Req,
        now: I64 Req,
    ]
);
deserialize_as_record!(IngestRequest);
serialize_as_record!(IngestRequest);

#[derive(Debug, Default)]
pub struct IngestResponse {
    /// The same platform event was already handled.
    pub duplicate: bool,
    /// New messages planned by this webhook.
    pub planned: usize,
    /// Messages handed to the queue now (new ones and any left over from a failed attempt).
    pub enqueued: usize,
    pub skipped: Vec<String>,
}

record!(
    IngestResponse as "IngestResponse",
    [
        duplicate: Bool Req,
        planned: Usize Req,
        enqueued: Usize Req,
        skipped: Strings Req,
    ]
);
deserialize_as_record!(IngestResponse);
serialize_as_record!(IngestResponse);

/// `POST /claim`.
#[derive(Debug, Default)]
pub struct ClaimRequest {
    pub key: String,
    pub holder: String,
    pub now: i64,
    pub verified_absent: bool,
}

record!(
    ClaimRequest as "ClaimRequest",
    [
        key: Str Req,
        holder: Str Req,
        now: I64 Req,
        verified_absent: Bool Default,
    ]
);
deserialize_as_record!(ClaimRequest);
serialize_as_record!(ClaimRequest);

#[derive(Debug, Serialize)]
pub struct ClaimResponse {
    pub claim: Claim,
    pub message: Option<Outgoing>,
    /// 1-based number of this attempt.
    pub attempt: u32,
    /// GUIDs already attributed to other messages to the same phone (for the log lookup).
    pub known_guids: Vec<String>,
}

/// [`ClaimResponse`] as read, its enum field kept in an `Option` until then.
#[derive(Default)]
struct ClaimResponseWire {
    claim: Option<Claim>,
    message: Option<Outgoing>,
    attempt: u32,
    known_guids: Vec<String>,
}

record!(
    ClaimResponseWire as "ClaimResponse",
    [
        claim: Claim Req,
        message: OptOutgoing Opt,
        attempt: U32 Req,
        known_guids: Strings Req,
    ]
);

// What the Worker and the Ledger read from each other that is not a record: the claim and
// finish messages (their wire records, then checked), the admin list's rows, the time alone
// (`/sweep`, `/backlog`) and `/resent`'s answer, which is skipped.
record::from_json_by_serde!(
    ClaimResponse,
    FinishRequest,
    FinishResponse,
    Vec<MessageRow>,
    i64,
    serde::de::IgnoredAny,
);

impl<'de> Deserialize<'de> for ClaimResponse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = record::read::<ClaimResponseWire, D>(d)?;
        Ok(ClaimResponse {
            claim: present(w.claim, "claim")?,
            message: w.message,
            attempt: w.attempt,
            known_guids: w.known_guids,
        })
    }
}

/// `POST /finish`: what an attempt came to.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
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
#[derive(Default)]
struct FinishWire {
    result: String,
    guid: Option<String>,
    ambiguous: Option<bool>,
    error: Option<String>,
}

record!(
    FinishWire as "FinishWire",
    [
        result: Str Req,
        guid: OptStr Opt,
        ambiguous: OptBool Opt,
        error: OptStr Opt,
    ]
);

impl<'de> Deserialize<'de> for Finish {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Finish::try_from(record::read::<FinishWire, D>(d)?).map_err(D::Error::custom)
    }
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

#[derive(Debug, Serialize)]
pub struct FinishRequest {
    pub key: String,
    pub holder: String,
    pub now: i64,
    pub finish: Finish,
}

/// [`FinishRequest`] as read, its enum field kept in an `Option` until then.
#[derive(Default)]
struct FinishRequestWire {
    key: String,
    holder: String,
    now: i64,
    finish: Option<Finish>,
}

record!(
    FinishRequestWire as "FinishRequest",
    [
        key: Str Req,
        holder: Str Req,
        now: I64 Req,
        finish: Finish Req,
    ]
);

impl<'de> Deserialize<'de> for FinishRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = record::read::<FinishRequestWire, D>(d)?;
        Ok(FinishRequest {
            key: w.key,
            holder: w.holder,
            now: w.now,
            finish: present(w.finish, "finish")?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct FinishResponse {
    pub state: State,
}

/// [`FinishResponse`] as read, its enum field kept in an `Option` until then.
#[derive(Default)]
struct FinishResponseWire {
    state: Option<State>,
}

record!(FinishResponseWire as "FinishResponse", [state: State Req]);

impl<'de> Deserialize<'de> for FinishResponse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = record::read::<FinishResponseWire, D>(d)?;
        Ok(FinishResponse {
            state: present(w.state, "state")?,
        })
    }
}

/// `POST /reply`: an SMS a customer sent to the shop's phone.
#[derive(Debug, Default)]
pub struct ReplyRequest {
    /// Unique per received SMS (webhook event id, or the SMS GUID).
    pub event_key: String,
    pub from: String,
    pub text: String,
    pub guid: Option<String>,
    pub now: i64,
}

record!(
    ReplyRequest as "ReplyRequest",
    [
        event_key: Str Req,
        from: Str Req,
        text: Str Req,
        guid: OptStr Opt,
        now: I64 Req,
    ]
);
deserialize_as_record!(ReplyRequest);
serialize_as_record!(ReplyRequest);

#[derive(Debug, Default)]
pub struct ReplyResponse {
    /// `opted_out`, `opted_in`, `forwarded`, `not_forwarded` or `duplicate`.
    pub action: String,
}

record!(ReplyResponse as "ReplyResponse", [action: Str Req]);
deserialize_as_record!(ReplyResponse);
serialize_as_record!(ReplyResponse);

/// `POST /failures`: phone-side failures read from the sent log by the cron.
#[derive(Debug, Default)]
pub struct FailuresRequest {
    pub failures: Vec<(String, String)>,
    pub now: i64,
}

record!(FailuresRequest as "FailuresRequest", [failures: Pairs Req, now: I64 Req]);
deserialize_as_record!(FailuresRequest);
serialize_as_record!(FailuresRequest);

#[derive(Debug, Default)]
pub struct FailuresResponse {
    /// GUIDs to call `/resend/` for. Not yet counted: see [`ResentRequest`].
    pub resend: Vec<String>,
    /// Messages given up on (merchant alerted).
    pub given_up: usize,
}

record!(FailuresResponse as "FailuresResponse", [resend: Strings Req, given_up: Usize Req]);
deserialize_as_record!(FailuresResponse);
serialize_as_record!(FailuresResponse);

/// `POST /messages`: what `GET /admin/messages` asked for.
#[derive(Debug, Default)]
pub struct MessagesRequest {
    pub limit: u32,
    /// Only messages in this state.
    pub state: Option<State>,
}

record!(MessagesRequest as "MessagesRequest", [limit: U32 Req, state: OptState Opt]);
deserialize_as_record!(MessagesRequest);
serialize_as_record!(MessagesRequest);

/// `POST /retry`: an operator sends a failed, dead or suppressed message again
/// (`POST /admin/messages/<key>/retry`).
#[derive(Debug, Default)]
pub struct RetryRequest {
    pub key: String,
    pub now: i64,
}

record!(RetryRequest as "RetryRequest", [key: Str Req, now: I64 Req]);
deserialize_as_record!(RetryRequest);
serialize_as_record!(RetryRequest);

#[derive(Debug, Default)]
pub struct RetryResponse {
    /// The message's state now; `None`: no message has this key.
    pub state: Option<State>,
    /// It was failed, dead or suppressed and is queued again.
    pub requeued: bool,
}

record!(RetryResponse as "RetryResponse", [state: OptState Opt, requeued: Bool Req]);
deserialize_as_record!(RetryResponse);
serialize_as_record!(RetryResponse);

/// `POST /erase`: an operator forgets a customer (`POST /admin/customers/erase`).
#[derive(Debug, Default)]
pub struct EraseRequest {
    /// E.164.
    pub phone: String,
    /// Also opt the number out, so nothing is ever texted to it again.
    pub opt_out: bool,
    pub now: i64,
}

record!(EraseRequest as "EraseRequest", [phone: Str Req, opt_out: Bool Req, now: I64 Req]);
deserialize_as_record!(EraseRequest);
serialize_as_record!(EraseRequest);

/// What `/erase` removed.
#[derive(Debug, Default)]
pub struct EraseResponse {
    /// Messages to the number, replies of theirs forwarded to the merchant, and the
    /// merchant's notices about their orders.
    pub messages: u32,
    /// Order contexts that held the number.
    pub orders: u32,
    /// Whether the number is opted out now (kept when it was: a STOP stays obeyed).
    pub opted_out: bool,
}

record!(
    EraseResponse as "EraseResponse",
    [
        messages: U32 Req,
        orders: U32 Req,
        opted_out: Bool Req,
    ]
);
deserialize_as_record!(EraseResponse);
serialize_as_record!(EraseResponse);

/// `POST /resent`: one `/resend/` that counts against the message's `RESEND_MAX` (see
/// `cron::counts_as_resend`), reported by the cron right after SMSMobileAPI answered it.
#[derive(Debug, Default)]
pub struct ResentRequest {
    pub guid: String,
    pub now: i64,
}

record!(ResentRequest as "ResentRequest", [guid: Str Req, now: I64 Req]);
deserialize_as_record!(ResentRequest);
serialize_as_record!(ResentRequest);

/// `POST /backlog`'s answer: the messages that have waited `STALLED_AFTER_SECONDS` or more to
/// go out (for `/healthz`).
#[derive(Debug, Default)]
pub struct Backlog {
    pub stalled: u32,
    /// When the oldest of them was due (UNIX seconds).
    pub oldest: Option<i64>,
}

record!(Backlog as "Backlog", [stalled: U32 Req, oldest: OptI64 Opt]);
deserialize_as_record!(Backlog);
serialize_as_record!(Backlog);

/// One row of `GET /admin/messages`.
#[derive(Debug, Default)]
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
    /// The order's name (`#1001`) from its stored context: none for a merchant alert or a
    /// reply, or once the order is forgotten.
    pub order: Option<String>,
}

record!(
    MessageRow as "MessageRow",
    [
        key: Str Req,
        to: Str Req,
        audience: Str Req,
        event: Str Req,
        state: Str Req,
        attempts: U32 Req,
        guid: OptStr Opt,
        error: OptStr Opt,
        resends: U32 Req,
        created_at: I64 Req,
        updated_at: I64 Req,
        retried_at: OptI64 Opt,
        order: OptStr Opt,
    ]
);
deserialize_as_record!(MessageRow);
serialize_as_record!(MessageRow);

#[cfg(test)]
pub(crate) mod tests {
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

    /// The protocol's structs as serde derived their readers before `record` (a copy each,
    /// with the enum fields read as they were: through the flat wire structs' derives).
    #[allow(dead_code)]
    mod previous {
        use crate::delivery::State;
        use serde::{Deserialize, Serialize};
        use std::fmt;

        #[derive(Deserialize)]
        pub struct ClaimWire {
            decision: String,
            retry_in: Option<u32>,
            state: Option<State>,
        }

        /// `Claim` through its derived wire struct (`Debug` as `Claim`'s).
        #[derive(Deserialize)]
        #[serde(try_from = "ClaimWire")]
        pub struct Claim(crate::delivery::Claim);

        impl TryFrom<ClaimWire> for Claim {
            type Error = String;
            fn try_from(w: ClaimWire) -> Result<Claim, String> {
                crate::delivery::Claim::try_from(crate::delivery::ClaimWire {
                    decision: w.decision,
                    retry_in: w.retry_in,
                    state: w.state,
                })
                .map(Claim)
            }
        }

        impl fmt::Debug for Claim {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        #[derive(Deserialize)]
        pub struct FinishWire {
            result: String,
            guid: Option<String>,
            ambiguous: Option<bool>,
            error: Option<String>,
        }

        /// `Finish` through its derived wire struct (`Debug` as `Finish`'s).
        #[derive(Deserialize)]
        #[serde(try_from = "FinishWire")]
        pub struct Finish(super::Finish);

        impl TryFrom<FinishWire> for Finish {
            type Error = String;
            fn try_from(w: FinishWire) -> Result<Finish, String> {
                super::Finish::try_from(super::FinishWire {
                    result: w.result,
                    guid: w.guid,
                    ambiguous: w.ambiguous,
                    error: w.error,
                })
                .map(Finish)
            }
        }

        impl fmt::Debug for Finish {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct Outgoing {
            pub to: String,
            pub audience: String,
            pub channel: String,
            pub text: String,
            #[serde(default)]
            pub shorturl: bool,
            #[serde(default)]
            pub schedule_timestamp: Option<i64>,
            pub event: String,
            #[serde(default)]
            pub template: String,
            #[serde(default)]
            pub device_sid: Option<String>,
        }

        #[derive(Debug, Deserialize)]
        pub struct InboxJob {
            pub platform: String,
            pub headers: Vec<(String, String)>,
            pub body: String,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct IngestRequest {
            pub platform: String,
            pub headers: Vec<(String, String)>,
            pub body: String,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct IngestResponse {
            pub duplicate: bool,
            pub planned: usize,
            pub enqueued: usize,
            pub skipped: Vec<String>,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct ClaimRequest {
            pub key: String,
            pub holder: String,
            pub now: i64,
            #[serde(default)]
            pub verified_absent: bool,
        }

        #[derive(Debug, Deserialize)]
        pub struct ClaimResponse {
            pub claim: Claim,
            pub message: Option<Outgoing>,
            pub attempt: u32,
            pub known_guids: Vec<String>,
        }

        #[derive(Debug, Deserialize)]
        pub struct FinishRequest {
            pub key: String,
            pub holder: String,
            pub now: i64,
            pub finish: Finish,
        }

        #[derive(Debug, Deserialize)]
        pub struct FinishResponse {
            pub state: State,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct ReplyRequest {
            pub event_key: String,
            pub from: String,
            pub text: String,
            pub guid: Option<String>,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct ReplyResponse {
            pub action: String,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct FailuresRequest {
            pub failures: Vec<(String, String)>,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct FailuresResponse {
            pub resend: Vec<String>,
            pub given_up: usize,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct MessagesRequest {
            pub limit: u32,
            pub state: Option<State>,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct RetryRequest {
            pub key: String,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct RetryResponse {
            pub state: Option<State>,
            pub requeued: bool,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct EraseRequest {
            pub phone: String,
            pub opt_out: bool,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct EraseResponse {
            pub messages: u32,
            pub orders: u32,
            pub opted_out: bool,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct ResentRequest {
            pub guid: String,
            pub now: i64,
        }

        #[derive(Debug, Deserialize, Serialize)]
        pub struct Backlog {
            pub stalled: u32,
            pub oldest: Option<i64>,
        }

        #[derive(Debug, Deserialize, Serialize)]
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
            pub retried_at: Option<i64>,
            pub order: Option<String>,
        }
    }

    /// Values of every kind a field of the protocol holds, and ones none of them accept.
    const VALUES: &[&str] = &[
        "null",
        "true",
        "false",
        "0",
        "3",
        "-1",
        "1.5",
        "1e400",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        r#""""#,
        r#""a""#,
        r#""sent""#,
        r#""lost""#,
        r#""\ud800""#,
        r#""caf\u00e9""#,
        "[]",
        "{}",
        r#"["a","b"]"#,
        "[1]",
        r#"[["a","b"]]"#,
        r#"[["a"]]"#,
        r#"[["a","b","c"]]"#,
        r#"[{"0":"a"}]"#,
        r#"{"decision":"busy","retry_in":3}"#,
        r#"{"decision":"done"}"#,
        r#"["done","x","sent"]"#,
        r#"{"result":"retry","ambiguous":true,"error":"e"}"#,
        r#"{"result":"sent","guid":"g","guid":"h"}"#,
        r#"["retries_out"]"#,
        r#"{"to":"+33","audience":"customer","channel":"sms","text":"t","event":"placed"}"#,
        r#"["+33","customer","sms","t",true,5,"placed","tpl","dev"]"#,
        r#"{"to":"+33","audience":"customer","channel":"sms","text":"t"}"#,
    ];

    /// Bodies around a valid one (`fields`: each name and a value it accepts): every field
    /// left out, replaced by each of [`VALUES`] or given twice; unknown keys; fields reversed;
    /// the values as an array of each length; not an object; broken JSON.
    fn bodies(fields: &[(&str, &str)]) -> Vec<String> {
        let object = |entries: &[(&str, &str)]| {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        };
        let mut out = vec![object(fields)];
        let mut reversed = fields.to_vec();
        reversed.reverse();
        out.push(object(&reversed));
        let mut extra = fields.to_vec();
        extra.insert(0, ("zz", r#"{"deep":[1e400]}"#));
        extra.push(("Key", "1"));
        out.push(object(&extra));
        for i in 0..fields.len() {
            let mut left_out = fields.to_vec();
            left_out.remove(i);
            out.push(object(&left_out));
            for value in VALUES {
                let mut changed = fields.to_vec();
                changed[i].1 = value;
                out.push(object(&changed));
                let mut twice = fields.to_vec();
                twice.push((fields[i].0, value));
                out.push(object(&twice));
            }
            // The name with its last letter escaped, alone.
            let (head, last) = fields[i].0.split_at(fields[i].0.len() - 1);
            let name = format!("{head}\\u{:04x}", last.as_bytes()[0]);
            out.push(object(&[(name.as_str(), fields[i].1)]));
        }
        let values: Vec<&str> = fields.iter().map(|(_, v)| *v).collect();
        for n in 0..=values.len() {
            out.push(format!("[{}]", values[..n].join(",")));
        }
        out.push(format!("[{},1]", values.join(",")));
        for other in ["null", "5", r#""x""#, "true", "", "{", r#"{"a":}"#, "[1,"] {
            out.push(other.to_owned());
        }
        let whole = object(fields);
        out.push(whole[..whole.len() - 1].to_owned());
        out
    }

    pub(crate) fn same_on_bodies<A, B>(fields: &[(&str, &str)]) -> usize
    where
        A: serde::de::DeserializeOwned + std::fmt::Debug,
        B: serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let all = bodies(fields);
        for body in &all {
            same::<A, B>(body);
            same::<Option<A>, Option<B>>(body);
            same::<Vec<A>, Vec<B>>(&format!("[{body}]"));
        }
        all.len()
    }

    /// [`same_on_bodies`], and what both read is written back the same by both (serde's
    /// derive writes the twin, `record::write` ours), as JSON text and as a `Value`.
    fn same_both_ways<A, B>(fields: &[(&str, &str)]) -> usize
    where
        A: serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
        B: serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
    {
        let n = same_on_bodies::<A, B>(fields);
        let mut written = 0;
        for body in bodies(fields) {
            if let (Ok(a), Ok(b)) = (
                serde_json::from_str::<A>(&body),
                serde_json::from_str::<B>(&body),
            ) {
                let ours = serde_json::to_string(&a).unwrap();
                assert_eq!(ours, serde_json::to_string(&b).unwrap(), "{body}");
                assert_eq!(
                    serde_json::to_value(&a).unwrap(),
                    serde_json::to_value(&b).unwrap()
                );
                written += 1;
            }
        }
        assert!(written > 0, "{fields:?}");
        n
    }

    const OUTGOING: &str = r#"{"to":"+33600000000","audience":"customer","channel":"sms","text":"Hi","shorturl":true,"schedule_timestamp":1700000000,"event":"placed","template":"placed","device_sid":"d1"}"#;

    #[test]
    fn records_read_as_serde_derived_them() {
        use previous as p;
        let s = r#""k""#;
        let mut n = 0;
        n += same_both_ways::<Outgoing, p::Outgoing>(&[
            ("to", s),
            ("audience", s),
            ("channel", s),
            ("text", s),
            ("shorturl", "true"),
            ("schedule_timestamp", "5"),
            ("event", s),
            ("template", s),
            ("device_sid", s),
        ]);
        n += same_on_bodies::<InboxJob, p::InboxJob>(&[
            ("platform", s),
            ("headers", r#"[["x-a","b"],["c","d"]]"#),
            ("body", s),
        ]);
        n += same_both_ways::<IngestRequest, p::IngestRequest>(&[
            ("platform", s),
            ("headers", r#"[["x-a","b"],["c","d"]]"#),
            ("body", s),
            ("now", "7"),
        ]);
        n += same_both_ways::<IngestResponse, p::IngestResponse>(&[
            ("duplicate", "false"),
            ("planned", "2"),
            ("enqueued", "1"),
            ("skipped", r#"["a"]"#),
        ]);
        n += same_both_ways::<ClaimRequest, p::ClaimRequest>(&[
            ("key", s),
            ("holder", s),
            ("now", "7"),
            ("verified_absent", "true"),
        ]);
        n += same_on_bodies::<ClaimResponse, p::ClaimResponse>(&[
            ("claim", r#"{"decision":"done","state":"sent"}"#),
            ("message", OUTGOING),
            ("attempt", "2"),
            ("known_guids", r#"["g1","g2"]"#),
        ]);
        n += same_on_bodies::<FinishRequest, p::FinishRequest>(&[
            ("key", s),
            ("holder", s),
            ("now", "7"),
            (
                "finish",
                r#"{"result":"retry","ambiguous":false,"error":"timeout"}"#,
            ),
        ]);
        n += same_on_bodies::<FinishResponse, p::FinishResponse>(&[("state", r#""dead""#)]);
        n += same_both_ways::<ReplyRequest, p::ReplyRequest>(&[
            ("event_key", s),
            ("from", s),
            ("text", s),
            ("guid", s),
            ("now", "7"),
        ]);
        n += same_both_ways::<ReplyResponse, p::ReplyResponse>(&[("action", s)]);
        n += same_both_ways::<FailuresRequest, p::FailuresRequest>(&[
            ("failures", r#"[["g","no signal"]]"#),
            ("now", "7"),
        ]);
        n += same_both_ways::<FailuresResponse, p::FailuresResponse>(&[
            ("resend", r#"["g"]"#),
            ("given_up", "1"),
        ]);
        n += same_both_ways::<MessagesRequest, p::MessagesRequest>(&[
            ("limit", "100"),
            ("state", r#""failed""#),
        ]);
        n += same_both_ways::<RetryRequest, p::RetryRequest>(&[("key", s), ("now", "7")]);
        n += same_both_ways::<RetryResponse, p::RetryResponse>(&[
            ("state", r#""queued""#),
            ("requeued", "true"),
        ]);
        n += same_both_ways::<EraseRequest, p::EraseRequest>(&[
            ("phone", s),
            ("opt_out", "true"),
            ("now", "7"),
        ]);
        n += same_both_ways::<EraseResponse, p::EraseResponse>(&[
            ("messages", "3"),
            ("orders", "1"),
            ("opted_out", "false"),
        ]);
        n += same_both_ways::<ResentRequest, p::ResentRequest>(&[("guid", s), ("now", "7")]);
        n += same_both_ways::<Backlog, p::Backlog>(&[("stalled", "2"), ("oldest", "7")]);
        n += same_both_ways::<MessageRow, p::MessageRow>(&[
            ("key", s),
            ("to", s),
            ("audience", s),
            ("event", s),
            ("state", s),
            ("attempts", "1"),
            ("guid", s),
            ("error", s),
            ("resends", "0"),
            ("created_at", "1"),
            ("updated_at", "2"),
            ("retried_at", "3"),
            ("order", s),
        ]);
        n += same_on_bodies::<Claim, p::Claim>(&[
            ("decision", r#""busy""#),
            ("retry_in", "3"),
            ("state", r#""sent""#),
        ]);
        n += same_on_bodies::<Finish, p::Finish>(&[
            ("result", r#""retry""#),
            ("guid", s),
            ("ambiguous", "true"),
            ("error", s),
        ]);
        assert!(n > 5000, "{n} bodies");
    }

    /// Same value (as `Debug` shows it) or same error message, whatever the position.
    /// What `record::from_json` reads (queue messages, SQL rows) is what `from_slice` reads,
    /// errors and their positions included, trailing text too.
    #[test]
    fn from_json_reads_as_from_slice() {
        fn check<R>(json: &str)
        where
            R: crate::record::Record + serde::de::DeserializeOwned + std::fmt::Debug,
        {
            let ours =
                <R as record::FromJson>::from_json(json.as_bytes()).map(|v| format!("{v:?}"));
            let theirs = serde_json::from_slice::<R>(json.as_bytes()).map(|v| format!("{v:?}"));
            assert_eq!(
                ours.map_err(|e| e.to_string()),
                theirs.map_err(|e| e.to_string()),
                "{json}"
            );
        }
        let s = r#""k""#;
        let inbox = bodies(&[
            ("platform", s),
            ("headers", r#"[["x-a","b"],["c","d"]]"#),
            ("body", s),
        ]);
        for body in &inbox {
            check::<InboxJob>(body);
            check::<InboxJob>(&format!(" {body} \n"));
            check::<InboxJob>(&format!("{body} x"));
            check::<InboxJob>(&format!("{body}{body}"));
        }
        for json in [OUTGOING, "", "null", "[]", "{", r#"{"to":"+33600000000"}"#] {
            check::<Outgoing>(json);
            check::<Outgoing>(&format!("{json}]"));
        }
        assert!(inbox.len() > 50, "{}", inbox.len());
        // The Ledger's bodies and answers, read by `FromJson` (`body`, `ledger_call`).
        let ingest = bodies(&[
            ("platform", s),
            ("headers", r#"[["x-a","b"]]"#),
            ("body", s),
            ("now", "7"),
        ]);
        let failures = bodies(&[("failures", r#"[["g","no signal"]]"#), ("now", "7")]);
        let backlog = bodies(&[("stalled", "2"), ("oldest", "7")]);
        for body in ingest.iter().chain(&failures).chain(&backlog) {
            for json in [body.clone(), format!("{body} x")] {
                check::<IngestRequest>(&json);
                check::<FailuresRequest>(&json);
                check::<Backlog>(&json);
            }
        }
    }

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
