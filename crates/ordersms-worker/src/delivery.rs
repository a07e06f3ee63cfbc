//! The rules of exactly-once delivery, as plain functions the Durable Object and the queue
//! consumer apply: which state a message is in, whether a queue delivery may send it, what a
//! send's outcome means, how long to wait before the next try, and how to recognise our own
//! message in SMSMobileAPI's sent log.
//!
//! Why it is built this way: `/sendsms/` is not idempotent, and a timeout or a 5xx does not
//! tell whether the phone's queue took the message. So every attempt takes a lease first (one
//! sender at a time per message), an attempt that may have reached the API is marked
//! *ambiguous*, and an ambiguous message is looked up in the sent log before it is sent again.
//! When the log cannot be read, the message waits: a late message beats a doubled one.

use serde::{Deserialize, Deserializer, Serialize, de};
use smsmobileapi::{ApiError, SentSms, TransportErrorKind};

/// Where a message is in its life. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Planned and handed to the queue, no attempt yet.
    Queued,
    /// A consumer holds the lease and is sending (or crashed while sending).
    Sending,
    /// An attempt failed in a way worth retrying; the queue will deliver it again.
    Retrying,
    /// SMSMobileAPI accepted it (the GUID is kept).
    Sent,
    /// A permanent error (bad key, invalid request), or the phone kept failing to send it.
    Failed,
    /// Given up: not sent within `GIVE_UP_AFTER_SECONDS` of being due (see [`too_late`]).
    Dead,
    /// Not sent on purpose: the customer opted out, or the per-phone rate limit was hit.
    Suppressed,
}

impl State {
    /// Every state, in declaration order.
    const ALL: [State; 7] = [
        State::Queued,
        State::Sending,
        State::Retrying,
        State::Sent,
        State::Failed,
        State::Dead,
        State::Suppressed,
    ];

    /// Every state's name, in declaration order (serde's "expected one of" list).
    const NAMES: [&'static str; 7] = {
        let mut names = [""; 7];
        let mut i = 0;
        while i < names.len() {
            names[i] = State::ALL[i].as_str();
            i += 1;
        }
        names
    };

    pub const fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Retrying => "retrying",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Dead => "dead",
            State::Suppressed => "suppressed",
        }
    }

    pub fn parse(name: &str) -> Option<State> {
        let index = State::NAMES.iter().position(|known| *known == name)?;
        Some(State::ALL[index])
    }

    /// No further attempt will be made.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Sent | State::Failed | State::Dead | State::Suppressed
        )
    }
}

/// Read from its name through [`State::parse`], with serde's messages. serde's derive also
/// took the `{"sent": null}` form of a unit variant, which nothing writes.
impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        struct Name;
        impl de::Visitor<'_> for Name {
            type Value = State;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("enum State")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<State, E> {
                State::parse(name).ok_or_else(|| E::unknown_variant(name, &State::NAMES))
            }
        }
        d.deserialize_str(Name)
    }
}

/// The stored facts `claim` decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease<'a> {
    pub state: State,
    /// The last attempt may have reached the API (timeout, 5xx, crash while sending).
    pub ambiguous: bool,
    /// Who holds the `Sending` lease, and until when (UNIX seconds).
    pub holder: Option<&'a str>,
    pub until: i64,
}

/// What a queue delivery may do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Claim {
    /// Send it now (the caller now holds the lease).
    Send,
    /// Look for it in the sent log first: a previous attempt may have reached the API. The
    /// caller holds the lease; it comes back with `verified_absent` to get `Send`.
    Verify,
    /// Someone else holds the lease: deliver again in `retry_in` seconds.
    Busy { retry_in: u32 },
    /// Nothing to do: the message is in a final state.
    Done { state: State },
}

/// Every field of a [`Claim`] on the wire (see `protocol::JobWire` for why).
#[derive(Default)]
pub(crate) struct ClaimWire {
    pub(crate) decision: String,
    pub(crate) retry_in: Option<u32>,
    pub(crate) state: Option<State>,
}

crate::record::record!(
    ClaimWire as "ClaimWire",
    [
        decision: Str Req,
        retry_in: OptU32 Opt,
        state: OptState Opt,
    ]
);

impl<'de> Deserialize<'de> for Claim {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        Claim::try_from(crate::record::read::<ClaimWire, D>(d)?).map_err(D::Error::custom)
    }
}

impl TryFrom<ClaimWire> for Claim {
    type Error = String;

    fn try_from(wire: ClaimWire) -> Result<Claim, String> {
        use crate::protocol::{required, unknown_variant};
        match wire.decision.as_str() {
            "send" => Ok(Claim::Send),
            "verify" => Ok(Claim::Verify),
            "busy" => Ok(Claim::Busy {
                retry_in: required(wire.retry_in, "retry_in")?,
            }),
            "done" => Ok(Claim::Done {
                state: required(wire.state, "state")?,
            }),
            other => Err(unknown_variant(other, &["send", "verify", "busy", "done"])),
        }
    }
}

/// Decides whether `holder` may send the message now. `verified_absent` says the holder just
/// looked in the sent log under its lease and did not find the message.
pub fn claim(lease: &Lease<'_>, holder: &str, now: i64, verified_absent: bool) -> Claim {
    if lease.state.is_final() {
        return Claim::Done { state: lease.state };
    }
    let ours = lease.holder == Some(holder);
    if lease.state == State::Sending && !ours && lease.until > now {
        let left = (lease.until - now).clamp(1, 3600);
        return Claim::Busy {
            retry_in: left as u32,
        };
    }
    // A lease that ran out while `Sending` means its holder died mid-request: the message
    // may have gone out.
    let maybe_sent = lease.ambiguous || (lease.state == State::Sending && !ours);
    if maybe_sent && !(ours && verified_absent) {
        Claim::Verify
    } else {
        Claim::Send
    }
}

/// What one send attempt amounted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by SMSMobileAPI.
    Sent { guid: Option<String> },
    /// Not accepted, certainly (429, connection refused, phone offline, a CDN's block page):
    /// retry.
    Retry { after: Option<u32>, reason: String },
    /// May or may not have been accepted (timeout, 5xx, unreadable 2xx): retry after a
    /// lookup in the sent log.
    Ambiguous { reason: String },
    /// Will never succeed as is (bad key, expired subscription, invalid request).
    Permanent { reason: String },
}

/// An API error as the Worker logs it, stores it (the admin list) and puts it in a merchant
/// alert: every phone-like number masked where the API's own words or body are quoted (its
/// message may name the recipient), and a JSON body that could not be read not quoted at
/// all: a sent log's begins with other customers' numbers and texts. A body that is not JSON
/// (a block page) is quoted, masked. A redirect says where it pointed as it is (its query is
/// already cut): an address there is no phone. Any other wrong status quotes the answer, and
/// a failed connection the runtime's words, which may hold a request URL: masked like the rest.
///
/// The credentials are cut out of all of them (`apikey=***`, and OAuth's `client_secret`
/// and `access_token`): a gateway or proxy may echo the request, and a GET carries the key in
/// its query.
pub fn error_text(err: &ApiError) -> String {
    describe(err, "")
}

/// [`error_text`], with the text of the message sent cut out before numbers are masked (the
/// text may hold some).
fn describe(err: &ApiError, sent_text: &str) -> String {
    redact_credentials(&match err {
        ApiError::UnexpectedStatus {
            status: 300..=399,
            snippet,
        } if snippet.starts_with("redirect to ") => err.to_string(),
        ApiError::Unparseable { status, snippet }
            if snippet.trim_start().starts_with(['{', '[']) =>
        {
            format!(
                "SMSMobileAPI answered HTTP {status} with JSON that could not be read (not quoted: it may hold customers' numbers and texts)"
            )
        }
        _ => ordersms_core::error::mask_numbers(&smsmobileapi::without_message_text(
            &err.to_string(),
            sent_text,
        )),
    })
}

/// `text` with the value of each credential ([`redact_param`]) replaced by `***`.
fn redact_credentials(text: &str) -> String {
    ["apikey", "client_secret", "access_token"]
        .into_iter()
        .fold(text.to_owned(), |text, name| redact_param(&text, name))
}

/// `text` with the value after each `<NAME>=` or `"<NAME>": "` (any case) replaced by `***`.
fn redact_param(text: &str, name: &str) -> String {
    // ASCII lowercasing keeps every byte where it was, so offsets in `lower` hold in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let name_end = from + found + name.len();
        let sep = lower[name_end..]
            .bytes()
            .take_while(|b| matches!(b, b'=' | b':' | b'"' | b'\'' | b' '))
            .count();
        let value_start = name_end + sep;
        let value_len = text[value_start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '&' | '"' | '\'' | ',' | '}' | '<'))
            .unwrap_or(text.len() - value_start);
        out.push_str(&text[from..value_start]);
        let assigned = lower[name_end..value_start].contains(['=', ':']);
        out.push_str(if assigned && value_len > 0 {
            "***"
        } else {
            &text[value_start..value_start + value_len]
        });
        from = value_start + value_len;
    }
    out.push_str(&text[from..]);
    out
}

/// Reads the result of a send of `text`. Its reason never quotes the text: a proxy or gateway
/// may echo the request, and the logs, the admin list and the merchant's alert carry no
/// message texts (they name the customer and the order).
pub fn outcome(result: &Result<smsmobileapi::SendResult, ApiError>, text: &str) -> Outcome {
    let err = match result {
        Ok(sent) => {
            return Outcome::Sent {
                guid: sent.guid.clone(),
            };
        }
        Err(err) => err,
    };
    let reason = describe(err, text);
    match err {
        ApiError::RateLimited { retry_after } => Outcome::Retry {
            after: retry_after.map(|d| d.as_secs().min(u64::from(u32::MAX)) as u32),
            reason,
        },
        ApiError::PhoneOffline { .. } => Outcome::Retry {
            after: None,
            reason,
        },
        ApiError::Transport {
            kind: TransportErrorKind::Connect,
            ..
        } => Outcome::Retry {
            after: None,
            reason,
        },
        // A 401/403 page from a CDN or WAF in front of the API: the API never saw the
        // request, and the key may well be right. Failing here would lose the message.
        ApiError::Unparseable {
            status: 401 | 403, ..
        } => Outcome::Retry {
            after: None,
            reason,
        },
        // The request could not even be made here (the Worker's fetch reports every failure
        // after sending as a timeout).
        ApiError::Transport {
            kind: TransportErrorKind::Other,
            ..
        } => Outcome::Permanent { reason },
        // A timeout, a 5xx, an unreadable answer outside 4xx: the client's own rule.
        err if err.is_ambiguous() => Outcome::Ambiguous { reason },
        _ => Outcome::Permanent { reason },
    }
}

/// When a message became due: when it was planned, the end of the quiet hours its send was
/// scheduled for, or when an operator last sent it again, whichever is latest.
pub fn due_at(created_at: i64, scheduled_for: Option<i64>, retried_at: Option<i64>) -> i64 {
    [scheduled_for, retried_at]
        .into_iter()
        .flatten()
        .fold(created_at, i64::max)
}

/// Whether a message not sent yet is past the point where it is still worth sending:
/// `give_up_after` seconds after it was due.
///
/// Why a time and not a number of tries: the gateway is the merchant's own phone, which may be
/// offline for hours (a night, a flat battery). Running out of queue retries is no reason to
/// drop a customer's text: the message waits and the cron sweep hands it back to the queue.
/// But "your order was received" two days late is worse than nothing, so past this age it is
/// given up on (dead) and the merchant told, and a late fix of a key or a phone does not
/// flood customers with stale texts.
pub fn too_late(due_at: i64, now: i64, give_up_after: u32) -> bool {
    now.saturating_sub(due_at) >= i64::from(give_up_after)
}

/// Why a message was given up on (see [`too_late`]). `may_have_gone_out`: its last attempt
/// was ambiguous and the sent log could not be read to tell, which the merchant must know
/// before sending it again by hand.
pub fn give_up_reason(give_up_after: u32, may_have_gone_out: bool) -> String {
    let within = duration_text(give_up_after);
    if may_have_gone_out {
        format!(
            "not confirmed within {within}: it may have gone out, the sent log could not be read to check"
        )
    } else {
        format!("not sent within {within}")
    }
}

/// "24 h", "90 min", "45 s": the largest unit that divides `secs`.
fn duration_text(secs: u32) -> String {
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// What `/healthz` says of messages that have waited `stalled_after` seconds or more to go
/// out, if any have: the service is then unhealthy (503).
///
/// Why on `/healthz`: the usual cause is the sending phone, offline or with the app closed,
/// and the merchant's SMS alerts go through that same phone. An uptime monitor watching
/// `/healthz` tells the merchant by its own channel (mail, push) instead.
pub fn stall_problem(
    stalled: u32,
    oldest: Option<i64>,
    now: i64,
    stalled_after: u32,
) -> Option<String> {
    if stalled == 0 {
        return None;
    }
    let waited = oldest.map_or(i64::from(stalled_after), |at| now.saturating_sub(at).max(0));
    let messages = if stalled == 1 {
        "message has"
    } else {
        "messages have"
    };
    Some(format!(
        "{stalled} {messages} waited over {} to go out (the oldest {}): is the sending phone online, with the SMSMobileAPI app open?",
        duration_text(stalled_after),
        rough_duration(waited)
    ))
}

/// "3 h 20 min", "12 min", "40 s": a wait as a person reads it.
fn rough_duration(secs: i64) -> String {
    match secs {
        s if s >= 3600 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// Whether an operator may send a message again (the admin retry route): one that ended
/// without going out, whatever stopped it. `Suppressed` too: a rate-limited one is worth
/// sending later, and an opted-out one is suppressed again when it is claimed, where opt-outs
/// and the rate limit are checked as for any send. Never a sent one (it would go twice), nor
/// one still on its way.
pub fn may_retry(state: State) -> bool {
    matches!(state, State::Failed | State::Dead | State::Suppressed)
}

/// The key of the merchant's alert about message `key`: one alert per message, so a message
/// given up twice by the same path is not alerted twice, but a new one after an operator sent
/// it again (`retried_at`), whose outcome the operator is waiting for.
pub fn alert_key(key: &str, retried_at: Option<i64>) -> String {
    match retried_at {
        Some(at) => format!("alert:{key}:{at}"),
        None => format!("alert:{key}"),
    }
}

/// Why a message is dead: `reason`, and the error of its last attempt when there was one, so
/// the admin list and the merchant's alert say what kept failing (the phone unreachable, a
/// 5xx...) rather than only that it was given up on.
pub fn dead_reason(reason: &str, last_error: Option<&str>) -> String {
    match last_error.map(str::trim).filter(|e| !e.is_empty()) {
        Some(last) => format!("{reason}; last error: {last}"),
        None => reason.to_owned(),
    }
}

/// Retry policy: exponential from `base` seconds, at most `cap`, never sooner than the
/// server's `Retry-After`. `jitter` in [0, 1) spreads retries of a burst (±20 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: u32,
    pub cap: u32,
}

/// The longest delay a Cloudflare Queue accepts for a retry (12 hours).
const QUEUE_MAX_DELAY: u32 = 43_200;

impl Backoff {
    /// Seconds before attempt `attempt + 1`, after `attempt` (1-based) failed.
    pub fn delay(&self, attempt: u32, retry_after: Option<u32>, jitter: f64) -> u32 {
        let exp = attempt.saturating_sub(1).min(20);
        let raw = u64::from(self.base.max(1)).saturating_mul(1u64 << exp);
        let capped = raw.min(u64::from(self.cap.max(1))) as f64;
        let spread = capped * (0.8 + 0.4 * jitter.clamp(0.0, 1.0));
        let delay = (spread.round() as u32).max(1);
        delay.max(retry_after.unwrap_or(0)).min(QUEUE_MAX_DELAY)
    }
}

/// Finds our message in sent-log rows: same recipient (digits compared, so "+32 470..." and
/// "32470..." match) and the same text. `known` are GUIDs already attributed to other
/// messages, which cannot be this one.
pub fn find_in_log<'a>(
    rows: &'a [SentSms],
    to: &str,
    text: &str,
    known: &[String],
) -> Option<&'a SentSms> {
    let want = digits(to);
    rows.iter().find(|row| {
        let same_to = row.recipient.as_deref().map(digits).as_deref() == Some(want.as_str());
        let same_text = row.message.as_deref().map(str::trim) == Some(text.trim());
        let free = row
            .guid
            .as_ref()
            .is_none_or(|g| !known.iter().any(|k| k == g));
        same_to && same_text && free && row.error_api.as_deref().is_none_or(str::is_empty)
    })
}

fn digits(phone: &str) -> String {
    let d: String = phone.chars().filter(char::is_ascii_digit).collect();
    d.strip_prefix("00").map(str::to_owned).unwrap_or(d)
}

/// Per-recipient rate limit against SMS pumping: at most `max` messages per phone in any
/// `window` seconds. `recent` are the times of the messages already counted.
pub fn rate_allows(recent: &[i64], now: i64, max: u32, window: i64) -> bool {
    if max == 0 {
        return true;
    }
    let in_window = recent.iter().filter(|&&t| t > now - window).count();
    in_window < max as usize
}

/// The cron sweep's safety net for queue jobs that never came back: whether a message that is
/// not final has gone `quiet_secs` without any sign of life (its last claim or finish, or the
/// end of its lease) and must be handed to the queue again.
///
/// Why: the queue is the only thing that brings a message back for its next attempt. A job
/// the queue loses (a consumer invocation that never returns, a local queue simulation that
/// stalls, a retry dropped by the platform) would otherwise leave the message `queued`,
/// `retrying` or `sending` forever, lost without a trace. Handing it over again is safe: the
/// lease makes a second job for the same message wait or find it final, and an attempt that
/// may have gone out is looked up in the sent log first. `quiet_secs` must exceed the longest
/// retry delay, so a message merely waiting for its next try is not taken for lost.
pub fn lost_in_queue(
    state: State,
    updated_at: i64,
    lease_until: i64,
    now: i64,
    quiet_secs: i64,
) -> bool {
    !state.is_final() && now - updated_at.max(lease_until) >= quiet_secs
}

/// Whether a stored message names this number (E.164) whole: a reply forwarded to the
/// merchant quotes the customer's number, and `+4930123456` must not match inside
/// `+49301234567`, someone else's.
pub fn names_number(text: &str, phone: &str) -> bool {
    text.match_indices(phone).any(|(at, _)| {
        !text[at + phone.len()..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn lease(state: State, ambiguous: bool, holder: Option<&str>, until: i64) -> Lease<'_> {
        Lease {
            state,
            ambiguous,
            holder,
            until,
        }
    }

    /// State's reader gives what serde's derive gave, values and messages, on every name and
    /// unknown names. Another JSON type is refused as serde refuses a wrong type ("invalid
    /// type: integer `5`, expected enum State"; the derive said "expected value").
    #[test]
    fn states_read_as_serde_derived_them() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Derived {
            Queued,
            Sending,
            Retrying,
            Sent,
            Failed,
            Dead,
            Suppressed,
        }
        let mut names: Vec<String> = State::NAMES.iter().map(|n| format!("{n:?}")).collect();
        names.extend([r#""lost""#, r#""Sent""#, r#""""#, r#""sent\u0000""#].map(String::from));
        for body in &names {
            let ours = serde_json::from_str::<State>(body).map(|s| format!("{s:?}"));
            let theirs = serde_json::from_str::<Derived>(body).map(|s| format!("{s:?}"));
            assert_eq!(
                ours.map_err(|e| e.to_string()),
                theirs.map_err(|e| e.to_string()),
                "{body}"
            );
        }
        for (body, what) in [
            ("5", "integer `5`"),
            ("1.5", "floating point `1.5`"),
            ("true", "boolean `true`"),
            ("null", "null"),
            ("[]", "sequence"),
            ("{}", "map"),
        ] {
            let error = serde_json::from_str::<State>(body).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("invalid type: {what}, expected enum State")),
                "{body}: {error}"
            );
        }
        for name in State::NAMES {
            let state = State::parse(name).unwrap();
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("{name:?}"));
            assert_eq!(state.as_str(), name);
        }
    }

    #[test]
    fn a_fresh_message_is_sent_and_a_final_one_never_again() {
        assert_eq!(
            claim(&lease(State::Queued, false, None, 0), "a", 100, false),
            Claim::Send
        );
        for state in [State::Sent, State::Failed, State::Dead, State::Suppressed] {
            assert_eq!(
                claim(&lease(state, false, Some("a"), 0), "a", 100, true),
                Claim::Done { state }
            );
        }
    }

    #[test]
    fn a_live_lease_of_someone_else_makes_a_duplicate_delivery_wait() {
        let l = lease(State::Sending, false, Some("a"), 130);
        assert_eq!(claim(&l, "b", 100, false), Claim::Busy { retry_in: 30 });
    }

    #[test]
    fn a_lease_that_ran_out_while_sending_is_verified_before_sending_again() {
        let l = lease(State::Sending, false, Some("a"), 90);
        assert_eq!(claim(&l, "b", 100, false), Claim::Verify);
        // Once b holds the lease and found nothing in the log, it may send.
        let l = lease(State::Sending, false, Some("b"), 160);
        assert_eq!(claim(&l, "b", 100, true), Claim::Send);
    }

    #[test]
    fn an_ambiguous_failure_needs_a_log_lookup_a_clean_one_does_not() {
        assert_eq!(
            claim(&lease(State::Retrying, true, None, 0), "a", 100, false),
            Claim::Verify
        );
        assert_eq!(
            claim(&lease(State::Retrying, false, None, 0), "a", 100, false),
            Claim::Send
        );
        // "verified" from a holder that does not hold the lease proves nothing.
        let l = lease(State::Retrying, true, Some("x"), 0);
        assert_eq!(claim(&l, "a", 100, true), Claim::Verify);
    }

    #[test]
    fn outcomes_separate_sure_failures_from_ambiguous_ones() {
        let ok = smsmobileapi::SendMessage::new("+32470000000", "x");
        let resp =
            smsmobileapi::HttpResponse::new(200, r#"{"result":{"error":0,"sent":"1","id":"g1"}}"#);
        use smsmobileapi::Call;
        assert_eq!(
            outcome(&ok.parse(&resp), ""),
            Outcome::Sent {
                guid: Some("g1".into())
            }
        );

        let limited = Err(ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
        });
        assert!(matches!(
            outcome(&limited, ""),
            Outcome::Retry {
                after: Some(30),
                ..
            }
        ));
        let server = Err(ApiError::Server { status: 503 });
        assert!(matches!(outcome(&server, ""), Outcome::Ambiguous { .. }));
        let timeout = Err(ApiError::Transport {
            kind: TransportErrorKind::Timeout,
            message: "15 s".into(),
        });
        assert!(matches!(outcome(&timeout, ""), Outcome::Ambiguous { .. }));
        let refused = Err(ApiError::Transport {
            kind: TransportErrorKind::Connect,
            message: "refused".into(),
        });
        assert!(matches!(outcome(&refused, ""), Outcome::Retry { .. }));
        let bad_key = Err(ApiError::BadKey {
            status: 403,
            message: None,
        });
        assert!(matches!(outcome(&bad_key, ""), Outcome::Permanent { .. }));
        let invalid = Err(ApiError::Validation {
            message: "recipients".into(),
        });
        assert!(matches!(outcome(&invalid, ""), Outcome::Permanent { .. }));
        // An answer that cannot be read came after the API ran the send, unless it was a 4xx.
        let unreadable = |status| {
            Err(ApiError::Unparseable {
                status,
                snippet: "<b>Warning</b>".into(),
            })
        };
        assert!(matches!(
            outcome(&unreadable(200), ""),
            Outcome::Ambiguous { .. }
        ));
        assert!(matches!(
            outcome(&unreadable(502), ""),
            Outcome::Ambiguous { .. }
        ));
        assert!(matches!(
            outcome(&unreadable(404), ""),
            Outcome::Permanent { .. }
        ));
        // A request that could not be made reached nothing.
        let unsent = Err(ApiError::Transport {
            kind: TransportErrorKind::Other,
            message: "invalid header".into(),
        });
        assert!(matches!(outcome(&unsent, ""), Outcome::Permanent { .. }));
    }

    /// A block page from a CDN or WAF in front of the API (what `smsmobileapi` reads as an
    /// unparseable 401/403) never reached the API: nothing was sent, and it says nothing
    /// about the key, so the message waits for its next try instead of failing for good.
    #[test]
    fn a_403_page_from_in_front_of_the_api_is_retried_not_failed() {
        use smsmobileapi::Call;
        let call =
            smsmobileapi::SendMessage::new("+33612345678", "Votre commande #1001 a été expédiée.");
        let page = smsmobileapi::HttpResponse::new(
            403,
            "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head>\n\
             <body><h1>Sorry, you have been blocked</h1></body></html>",
        );
        let out = outcome(&call.parse(&page), "");
        assert!(matches!(out, Outcome::Retry { after: None, .. }), "{out:?}");
        let plain = smsmobileapi::HttpResponse::new(403, "error code: 1020");
        assert!(matches!(
            outcome(&call.parse(&plain), ""),
            Outcome::Retry { .. }
        ));
        // The API's own answer for a bad key is still final.
        let bad_key = smsmobileapi::HttpResponse::new(
            403,
            r#"{"error":"invalid_api_key","message":"the API key is invalid or has expired"}"#,
        );
        assert!(matches!(
            outcome(&call.parse(&bad_key), ""),
            Outcome::Permanent { .. }
        ));
    }

    /// Errors go to the logs, the admin list and merchant alerts, where phones are masked
    /// and message texts never appear. The API's own message can quote the recipient, and an
    /// unreadable sent log starts with other customers' numbers and texts.
    #[test]
    fn error_texts_mask_numbers_and_never_quote_an_unreadable_json_body() {
        use smsmobileapi::Call;
        let send =
            smsmobileapi::SendMessage::new("+33612345678", "Votre commande #1001 a été expédiée.");
        let refused = smsmobileapi::HttpResponse::new(
            400,
            r#"{"error":"invalid_recipient","message":"Invalid recipient +33612345678"}"#,
        );
        let Outcome::Permanent { reason } = outcome(&send.parse(&refused), "") else {
            panic!("a 400 is permanent");
        };
        assert!(!reason.contains("612345678"), "{reason}");
        assert!(reason.contains("Invalid recipient"), "{reason}");

        // A sent log cut short in transit: the first rows are other customers' messages.
        let log = r#"{"result":{"error":0,"sms":[
 {"guid":"c319d3b35e8f8712cde20dae39ac3c19f86eda25","recipients":"+32470000001","message":"Your order #1001 has shipped","send_from_mobile":"1","send_from_mobile_erreur":"","error_api":"0","da"#;
        let err = smsmobileapi::SentLogQuery::default()
            .parse(&smsmobileapi::HttpResponse::new(200, log))
            .unwrap_err();
        let text = error_text(&err);
        assert!(!text.contains("470000001"), "{text}");
        assert!(!text.contains("has shipped"), "{text}");
        assert!(text.contains("HTTP 200"), "{text}");

        // Where a redirect pointed is kept whole: an address is no phone.
        let moved = smsmobileapi::HttpResponse::new(307, "")
            .with_header("Location", "http://127.0.0.1:39561/sendsms/");
        assert!(error_text(&send.parse(&moved).unwrap_err()).contains("127.0.0.1:39561/sendsms/"));

        // A block page in front of the API is quoted: it says who refused.
        let page = smsmobileapi::HttpResponse::new(
            403,
            "<html><head><title>Attention Required! | Cloudflare</title></head></html>",
        );
        assert!(error_text(&send.parse(&page).unwrap_err()).contains("Attention Required"));
    }

    /// A gateway or proxy that echoes the request, or an API message quoting the text: the
    /// reason (logged, listed, put in the merchant's alert) names the customer and the order
    /// through the text. It is cut out, whole or where a quoted body stops in its middle.
    #[test]
    fn a_send_error_never_quotes_the_message_text() {
        use smsmobileapi::Call;
        let text = "Bonjour Camille, votre commande #1001 est partie ! Suivi : https://track.example/?n=6A12345678901";
        let send = smsmobileapi::SendMessage::new("+33612345678", text);
        let form: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let json = serde_json::to_string(text).unwrap();
        let answers = [
            // A proxy's 404 page quoting the request it could not route.
            smsmobileapi::HttpResponse::new(
                404,
                format!("Cannot POST /sendsms/ message={form}&recipients=%2B33612345678"),
            ),
            // The API (or a gateway) refusing in JSON, with the text in its message.
            smsmobileapi::HttpResponse::new(
                400,
                format!(r#"{{"error":"invalid","message":"cannot send {json}"}}"#)
                    .replace(r#"send ""#, "send '")
                    .replace(r#""}"#, "'}"),
            ),
            // A page quoting the text as it is, then more than the 200 bytes quoted.
            smsmobileapi::HttpResponse::new(
                403,
                format!("<html>Request blocked: {text} {}</html>", "x".repeat(300)),
            ),
            // Cut short in the middle of the text.
            smsmobileapi::HttpResponse::new(
                404,
                format!("{} message={form}", "Not found. ".repeat(14)),
            ),
        ];
        for answer in answers {
            let err = send.parse(&answer).unwrap_err();
            let plain = error_text(&err);
            let reason = match outcome(&Err(err), text) {
                Outcome::Retry { reason, .. }
                | Outcome::Ambiguous { reason }
                | Outcome::Permanent { reason } => reason,
                Outcome::Sent { .. } => panic!("an error"),
            };
            assert!(
                plain.contains("Camille"),
                "the answer quotes the text: {plain}"
            );
            for leak in ["Camille", "commande", "track.example", "6A1234"] {
                assert!(!reason.contains(leak), "{leak} in {reason}");
            }
            assert!(reason.contains("[message text]"), "{reason}");
        }
    }

    /// A status the API does not document (a 404 or 405 from a wrong base URL or a proxy)
    /// quotes the answer's message or body, which may echo the recipient; so may a failed
    /// connection's message (the sent log is read with the customer's digits in its URL).
    #[test]
    fn an_undocumented_status_or_a_lost_connection_quotes_no_number() {
        use smsmobileapi::Call;
        let send = smsmobileapi::SendMessage::new("+33612345678", "Your order has shipped.");
        for body in [
            r#"{"error":"not_found","message":"no route for recipient +33612345678"}"#,
            "Cannot POST /sendsms/ recipients=%2B33612345678",
        ] {
            let err = send
                .parse(&smsmobileapi::HttpResponse::new(404, body))
                .unwrap_err();
            assert!(matches!(err, ApiError::UnexpectedStatus { .. }), "{err:?}");
            let text = error_text(&err);
            assert!(!text.contains("612345678"), "{text}");
            assert!(text.contains("HTTP 404"), "{text}");
        }
        let lost = ApiError::Transport {
            kind: TransportErrorKind::Timeout,
            message: "fetch failed: https://api.smsmobileapi.com/log/sent/sms/?keyword=33612345678"
                .into(),
        };
        let text = error_text(&lost);
        assert!(!text.contains("612345678"), "{text}");
        assert!(text.contains("could not reach SMSMobileAPI"), "{text}");
    }

    /// A proxy or gateway may echo the request into its answer: the apikey is in a GET's
    /// query and a POST's form. The npm package cuts it out of its errors; so must the Worker,
    /// whose error texts go to the logs, the admin list and the merchant's SMS.
    #[test]
    fn error_texts_never_quote_the_api_key() {
        use smsmobileapi::Call;
        let key = "sk_live_9fQ2xW7mZpL4";
        let send = smsmobileapi::SendMessage::new("+33612345678", "Your order has shipped.");
        for (status, body) in [
            (
                404,
                format!("Cannot GET /log/sent/sms/?apikey={key}&keyword=33612345678"),
            ),
            (
                400,
                format!(
                    r#"{{"error":"bad_request","message":"apikey={key}&recipients=%2B33612345678 refused"}}"#
                ),
            ),
            (
                405,
                format!(r#"<html>upstream said {{"apikey": "{key}"}}</html>"#),
            ),
            (403, format!("<html>blocked: APIKEY={key}</html>")),
        ] {
            let err = send
                .parse(&smsmobileapi::HttpResponse::new(status, body.as_str()))
                .unwrap_err();
            let text = error_text(&err);
            assert!(!text.contains("9fQ2xW7mZpL4"), "{status}: {text}");
            assert!(text.contains("***"), "{text}");
        }
        let lost = ApiError::Transport {
            kind: TransportErrorKind::Timeout,
            message: format!("fetch failed: https://api.smsmobileapi.com/getsms/?apikey={key}"),
        };
        let text = error_text(&lost);
        assert!(!text.contains("9fQ2xW7mZpL4"), "{text}");
        assert!(text.contains("apikey=***"), "{text}");
    }

    /// With OAuth, the token request's form carries the client secret, and an answer may
    /// echo the token: cut out like the apikey.
    #[test]
    fn error_texts_never_quote_the_oauth_secret_or_token() {
        for snippet in [
            "Cannot POST /oauth2/token grant_type=client_credentials&client_id=shop&client_secret=cs_8Hq3vNz1Yt",
            r#"{"access_token": "at_8Hq3vNz1Yt", "detail": "proxy error"}"#,
        ] {
            let err = ApiError::UnexpectedStatus {
                status: 404,
                snippet: snippet.into(),
            };
            let text = error_text(&err);
            assert!(!text.contains("8Hq3vNz1Yt"), "{text}");
            assert!(text.contains("***"), "{text}");
        }
    }

    #[test]
    fn a_dead_message_keeps_the_error_that_kept_it_from_going_out() {
        let offline = "the sending phone is not reachable: open the SMSMobileAPI app on it and check it is online";
        assert_eq!(
            dead_reason(&give_up_reason(86_400, false), Some(offline)),
            format!("not sent within 24 h; last error: {offline}")
        );
        for none in [None, Some(""), Some("  ")] {
            assert_eq!(
                dead_reason("not sent within 24 h", none),
                "not sent within 24 h"
            );
        }
        // An ambiguous attempt nobody could check is not called unsent.
        assert_eq!(
            give_up_reason(5400, true),
            "not confirmed within 90 min: it may have gone out, the sent log could not be read to check"
        );
        assert_eq!(give_up_reason(45, false), "not sent within 45 s");
        assert_eq!(give_up_reason(3601, false), "not sent within 3601 s");
    }

    #[test]
    fn healthz_names_messages_stuck_on_their_way_out() {
        let now = 1_795_700_000;
        assert_eq!(stall_problem(0, None, now, 1800), None);
        assert_eq!(
            stall_problem(3, Some(now - 12_000), now, 1800).as_deref(),
            Some(
                "3 messages have waited over 30 min to go out (the oldest 3 h 20 min): is the sending phone online, with the SMSMobileAPI app open?"
            )
        );
        let one = stall_problem(1, Some(now - 1900), now, 1800).unwrap();
        assert!(one.starts_with("1 message has waited over 30 min"), "{one}");
        assert!(one.contains("(the oldest 31 min)"), "{one}");
    }

    #[test]
    fn an_operator_may_send_again_only_what_ended_without_going_out() {
        for state in [State::Failed, State::Dead, State::Suppressed] {
            assert!(may_retry(state), "{state:?}");
        }
        for state in [State::Sent, State::Queued, State::Sending, State::Retrying] {
            assert!(!may_retry(state), "{state:?}");
        }
    }

    #[test]
    fn a_message_sent_again_by_an_operator_gets_an_alert_of_its_own() {
        let key = "62cb74af875a9e0d299fe257a74862b1";
        assert_eq!(alert_key(key, None), format!("alert:{key}"));
        let first = alert_key(key, Some(1_795_695_540));
        let second = alert_key(key, Some(1_795_699_140));
        assert_ne!(first, alert_key(key, None));
        assert_ne!(first, second);
        assert!(first.starts_with(&format!("alert:{key}")));
    }

    /// A phone offline overnight must not cost the customer's text: the limit is an age, counted
    /// from when the message was due (after the quiet hours it was scheduled past), not a
    /// number of tries.
    #[test]
    fn a_message_is_given_up_on_only_once_it_is_too_old_to_be_worth_sending() {
        let day: u32 = 86_400;
        let planned: i64 = 1_780_000_000;
        let secs = i64::from(day);
        assert_eq!(due_at(planned, None, None), planned);
        assert!(!too_late(
            due_at(planned, None, None),
            planned + 8 * 3600,
            day
        ));
        assert!(!too_late(
            due_at(planned, None, None),
            planned + secs - 1,
            day
        ));
        assert!(too_late(due_at(planned, None, None), planned + secs, day));
        // Planned at 22:00 for 08:00: the day counts from 08:00.
        let morning = planned + 10 * 3600;
        assert_eq!(due_at(planned, Some(morning), None), morning);
        assert!(!too_late(
            due_at(planned, Some(morning), None),
            planned + secs + 3600,
            day
        ));
        assert!(too_late(
            due_at(planned, Some(morning), None),
            morning + secs,
            day
        ));
        // A schedule in the past (or a nonsense one) does not make a message older.
        assert_eq!(due_at(planned, Some(0), None), planned);
        assert!(!too_late(planned, i64::MIN, day));
        // Sent again by an operator two days on: a new day from then.
        let retried = planned + 2 * secs;
        assert_eq!(due_at(planned, Some(morning), Some(retried)), retried);
        assert!(!too_late(
            due_at(planned, None, Some(retried)),
            retried + 3600,
            day
        ));
    }

    #[test]
    fn backoff_doubles_is_capped_and_honours_retry_after() {
        let b = Backoff { base: 5, cap: 300 };
        assert_eq!(b.delay(1, None, 0.5), 5);
        assert_eq!(b.delay(2, None, 0.5), 10);
        assert_eq!(b.delay(4, None, 0.5), 40);
        assert_eq!(b.delay(30, None, 0.5), 300);
        assert_eq!(b.delay(1, Some(120), 0.5), 120);
        assert_eq!(b.delay(1, Some(999_999), 0.5), QUEUE_MAX_DELAY);
        assert_eq!(b.delay(2, None, 0.0), 8);
        assert_eq!(b.delay(2, None, 0.99), 12);
    }

    fn row(guid: &str, to: &str, text: &str) -> SentSms {
        SentSms {
            guid: Some(guid.into()),
            recipient: Some(to.into()),
            message: Some(text.into()),
            sent_by_mobile: false,
            mobile_error: None,
            error_api: None,
            datetime: None,
            s_identifiant: None,
        }
    }

    #[test]
    fn the_log_lookup_matches_recipient_digits_and_exact_text_only() {
        let rows = vec![
            row("g0", "+32470000000", "Your order #1001 has shipped"),
            row("g1", "32470111111", "Your order #1001 is confirmed"),
            row("g2", "+32 470 111 111", "Your order #1002 is confirmed"),
        ];
        let hit = find_in_log(&rows, "+32470111111", "Your order #1002 is confirmed", &[]);
        assert_eq!(hit.and_then(|r| r.guid.as_deref()), Some("g2"));
        assert!(find_in_log(&rows, "+32470111111", "Your order #1003 is confirmed", &[]).is_none());
        // A GUID already attributed to another message is not ours.
        assert!(
            find_in_log(
                &rows,
                "+32470111111",
                "Your order #1002 is confirmed",
                &["g2".into()]
            )
            .is_none()
        );
    }

    #[test]
    fn rate_limit_counts_only_the_window() {
        let now = 10_000;
        let recent = [now - 4000, now - 3000, now - 100, now - 50];
        // Three fall in the last hour (the one 4000 s ago does not).
        assert!(rate_allows(&recent, now, 4, 3600));
        assert!(!rate_allows(&recent, now, 3, 3600));
        assert!(rate_allows(&recent, now, 0, 3600), "0 turns the limit off");
    }

    #[test]
    fn the_sweep_hands_back_messages_the_queue_went_quiet_on_and_only_those() {
        let quiet = 1800;
        let now = 10_000;
        let long_ago = now - quiet;
        // Enqueued or retried, then nothing for the whole quiet period: lost by the queue.
        assert!(lost_in_queue(State::Queued, long_ago, 0, now, quiet));
        assert!(lost_in_queue(State::Retrying, long_ago - 5, 0, now, quiet));
        // A sender that died: its lease ran out a quiet period ago.
        assert!(lost_in_queue(
            State::Sending,
            long_ago - 120,
            long_ago,
            now,
            quiet
        ));
        // Waiting for a retry within the period, or a lease still running: left alone.
        assert!(!lost_in_queue(State::Retrying, now - 900, 0, now, quiet));
        assert!(!lost_in_queue(
            State::Sending,
            long_ago,
            now + 60,
            now,
            quiet
        ));
        assert!(!lost_in_queue(
            State::Sending,
            long_ago - 300,
            now - 60,
            now,
            quiet
        ));
        // Final messages never go back to the queue, however old.
        for state in [State::Sent, State::Failed, State::Dead, State::Suppressed] {
            assert!(!lost_in_queue(state, 0, 0, now, quiet), "{state:?}");
        }
    }

    #[test]
    fn erasure_finds_a_number_only_written_whole() {
        let forward =
            r#"{"to":"+33600000001","text":"Reply from +49301234567: wo ist mein Paket?"}"#;
        assert!(names_number(forward, "+49301234567"));
        assert!(
            !names_number(forward, "+4930123456"),
            "a prefix of another number"
        );
        assert!(!names_number(forward, "+33612345678"));
        let at_end = "Reply from +4930123456";
        assert!(names_number(at_end, "+4930123456"));
        let twice = "+49301234567 then +4930123456: hi";
        assert!(
            names_number(twice, "+4930123456"),
            "the second, whole, occurrence"
        );
    }
}
