//! The queue consumer: claims each message in the Ledger, sends it, records what happened.
//! Messages are handled one after the other: they all go out through one Android phone, so
//! parallel sends would only queue up there.
//!
//! Exactly-once, step by step (rules in `delivery`):
//! - `claim` gives this delivery the lease, or says the message is done / busy elsewhere.
//! - after an ambiguous failure, the sent log is searched (recipient + text) before any new
//!   send; an unreadable log means "wait", never "send".
//! - the outcome is recorded before the queue message is acked or retried, so a crash in
//!   between repeats only the bookkeeping, guarded by the lease and the message state.

use serde_json::Value;
use smsmobileapi::{ApiError, MarkRead, SendMessage, SentLogQuery};
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage, Result};

use crate::api::{Api, now_unix};
use crate::delivery::{self, Backoff, Claim, Outcome};
use crate::logline::{ToField, emit, fields, mask};
use crate::protocol::{
    ClaimRequest, ClaimResponse, Finish, FinishRequest, FinishResponse, InboxJob, Job, JobWire,
    Outgoing,
};

/// The dead-letter queue's name in wrangler.toml.
const DEAD_LETTER_QUEUE: &str = "ordersms-dead";
/// The inbox queue's name in wrangler.toml: verified webhooks waiting for the Ledger.
const INBOX_QUEUE: &str = "ordersms-inbox";

/// What to do with the queue message once handled.
enum Verdict {
    Ack,
    RetryIn(u32),
}

/// Handles a batch of any of the three queues. Each message is read from its JavaScript value
/// (`raw_iter`, [`crate::record::from_js`]), never as the batch's `Value`: a `serde_json::Value`
/// copy of every body built serde_json's `Value` reader of each job type into the bundle.
pub async fn handle(batch: MessageBatch<Value>, env: Env) -> Result<()> {
    let dead_letters = batch.queue() == DEAD_LETTER_QUEUE;
    let settings = match crate::routes::settings(&env) {
        Ok(s) => s,
        Err(e) => {
            emit("error", "consumer.bad_settings", fields! {"error": e});
            batch.retry_all();
            return Ok(());
        }
    };
    let backoff = Backoff {
        base: settings.retry_base_secs,
        cap: settings.retry_max_secs,
    };
    if batch.queue() == INBOX_QUEUE {
        for message in batch.raw_iter() {
            let verdict = ingest(&env, &message, &backoff).await;
            settle(&message, verdict);
        }
        return Ok(());
    }
    let api = Api::from_env(&env, settings.send_timeout_secs);
    for message in batch.raw_iter() {
        if dead_letters && !has_kind(&message) {
            // An inbox job whose retries ran out (see `ingest`).
            let verdict = ingest(&env, &message, &backoff).await;
            settle(&message, verdict);
            continue;
        }
        let job = crate::record::from_js::<JobWire>(&message.body())
            .ok()
            .and_then(|wire| Job::try_from(wire).ok());
        let verdict = match (&job, &api) {
            (None, _) => {
                emit("error", "consumer.bad_job", fields! {"id": message.id()});
                Verdict::Ack
            }
            (Some(_), Err(e)) => {
                emit("error", "consumer.no_api", fields! {"error": e.to_string()});
                Verdict::RetryIn(backoff.delay(5, None, jitter()))
            }
            (Some(Job::Send { key }), Ok(api)) if dead_letters => bury(&env, api, key).await,
            (Some(Job::Send { key }), Ok(api)) => deliver(&env, api, key, &backoff).await,
            (Some(Job::MarkRead { guid }), Ok(api)) => mark_read(api, guid, &backoff).await,
        };
        settle(&message, verdict);
    }
    Ok(())
}

/// Whether a message has a `kind`, as outbox jobs do and inbox jobs do not.
fn has_kind(message: &RawMessage) -> bool {
    js_sys::Reflect::get(&message.body(), &"kind".into()).is_ok_and(|kind| !kind.is_undefined())
}

/// Hands a queued webhook to the Ledger. A failure is retried with backoff: the shop was
/// already answered 200, so the queue is the only copy. After the inbox's retries, the job
/// moves to the dead-letter queue, which keeps trying at the longest delay (and logs an
/// error each time) until the queue's retention ends.
async fn ingest(env: &Env, message: &RawMessage, backoff: &Backoff) -> Verdict {
    let job: InboxJob = match crate::record::from_js(&message.body()) {
        Ok(job) => job,
        Err(e) => {
            emit(
                "error",
                "consumer.bad_job",
                fields! {"id": message.id(), "error": e.to_string()},
            );
            return Verdict::Ack;
        }
    };
    let platform = job.platform.clone();
    match crate::routes::ingest_now(env, job).await {
        Ok(r) => {
            if r.duplicate {
                emit(
                    "info",
                    "webhook.duplicate",
                    fields! {"platform": platform, "enqueued": r.enqueued},
                );
            }
            Verdict::Ack
        }
        Err(e) => {
            // Wait about as long as the job has been failing (a backoff that doubles without
            // an attempt counter, which the runtime does not expose here), within the cap.
            let age = now_unix() - message.timestamp().as_millis() as i64 / 1000;
            let waited = u32::try_from(age.max(0))
                .unwrap_or(u32::MAX)
                .min(backoff.cap);
            let delay = backoff.delay(1, Some(waited), jitter());
            emit(
                "error",
                "webhook.ingest_failed",
                fields! {"platform": platform, "age_s": age, "retry_in": delay, "error": e.to_string()},
            );
            Verdict::RetryIn(delay)
        }
    }
}

fn settle(message: &RawMessage, verdict: Verdict) {
    match verdict {
        Verdict::Ack => message.ack(),
        Verdict::RetryIn(secs) => message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(secs)
                .build(),
        ),
    }
}

/// A random lease holder id and jitter: `Math.random` is enough for both.
fn holder() -> String {
    format!("h{:016x}", (js_sys::Math::random() * 2f64.powi(53)) as u64)
}

fn jitter() -> f64 {
    js_sys::Math::random()
}

async fn claim(env: &Env, key: &str, holder: &str, verified_absent: bool) -> Result<ClaimResponse> {
    let req = ClaimRequest {
        key: key.to_owned(),
        holder: holder.to_owned(),
        now: now_unix(),
        verified_absent,
    };
    crate::ledger_call(env, "/claim", &req).await
}

async fn finish(env: &Env, key: &str, holder: &str, finish: Finish) -> Result<FinishResponse> {
    let req = FinishRequest {
        key: key.to_owned(),
        holder: holder.to_owned(),
        now: now_unix(),
        finish,
    };
    crate::ledger_call(env, "/finish", &req).await
}

/// Looks for the message in the sent log. `Ok(Some(guid))`: it went out; `Ok(None)`: it did
/// not; `Err`: cannot tell.
async fn look_up(
    api: &Api,
    msg: &Outgoing,
    known: &[String],
) -> std::result::Result<Option<Option<String>>, ApiError> {
    let digits: String = msg.to.chars().filter(char::is_ascii_digit).collect();
    let query = SentLogQuery {
        keyword: Some(digits),
        ..SentLogQuery::default()
    };
    let rows = api.call(&query).await?;
    Ok(delivery::find_in_log(&rows, &msg.to, &msg.text, known).map(|row| row.guid.clone()))
}

async fn deliver(env: &Env, api: &Api, key: &str, backoff: &Backoff) -> Verdict {
    match try_deliver(env, api, key, backoff).await {
        Ok(v) => v,
        Err(e) => {
            // The Ledger could not be reached: nothing was sent by this delivery.
            emit(
                "error",
                "consumer.ledger_failed",
                fields! {"key": key, "error": e.to_string()},
            );
            Verdict::RetryIn(backoff.delay(2, None, jitter()))
        }
    }
}

async fn try_deliver(env: &Env, api: &Api, key: &str, backoff: &Backoff) -> Result<Verdict> {
    let holder = holder();
    let claimed = claim_checked(env, api, key, &holder).await?;
    let Some(msg) = &claimed.response.message else {
        return Ok(Verdict::Ack);
    };
    let attempt = claimed.response.attempt.max(1);
    // What the Ledger is told, what the queue is told, and the event that says so.
    let (outcome, verdict, event) = match (claimed.lookup, &claimed.response.claim) {
        (Lookup::Found(guid), _) => (Finish::Sent { guid }, Verdict::Ack, "message.found_in_log"),
        (Lookup::Unreadable(e), _) => {
            let error = format!(
                "sent log unreadable, not resending yet: {}",
                delivery::error_text(&e)
            );
            let after = e.retry_after().map(|d| d.as_secs() as u32);
            let delay = backoff.delay(attempt, after, jitter());
            let finish = Finish::Retry {
                ambiguous: true,
                error,
            };
            // Said like any other retry: otherwise a message stuck here until it dies
            // leaves no trace between its first failure and `message.dead`.
            (finish, Verdict::RetryIn(delay), "message.retry")
        }
        (_, Claim::Done { .. }) => return Ok(Verdict::Ack),
        (_, Claim::Busy { retry_in }) => return Ok(Verdict::RetryIn(*retry_in)),
        (_, Claim::Verify) => return Ok(Verdict::RetryIn(backoff.delay(1, None, jitter()))),
        (_, Claim::Send) => match delivery::outcome(&api.call(&send_call(msg)).await, &msg.text) {
            Outcome::Sent { guid } => (Finish::Sent { guid }, Verdict::Ack, "message.sent"),
            Outcome::Retry { after, reason } => (
                Finish::Retry {
                    ambiguous: false,
                    error: reason,
                },
                Verdict::RetryIn(backoff.delay(attempt, after, jitter())),
                "message.retry",
            ),
            Outcome::Ambiguous { reason } => (
                Finish::Retry {
                    ambiguous: true,
                    error: reason,
                },
                Verdict::RetryIn(backoff.delay(attempt, None, jitter())),
                "message.ambiguous",
            ),
            Outcome::Permanent { reason } => (
                Finish::Failed { error: reason },
                Verdict::Ack,
                "message.failed",
            ),
        },
    };
    finish(env, key, &holder, outcome.clone()).await?;
    let to = mask(&msg.to);
    let mut line = fields! {"key": key, "to": to, "about": msg.event, "attempt": attempt}.to_vec();
    match &outcome {
        Finish::Sent { guid } => line.push(("guid", guid.to_field())),
        Finish::Retry { error, .. } | Finish::Failed { error } => {
            line.push(("reason", error.to_field()));
        }
        Finish::RetriesOut => {}
    }
    if let Verdict::RetryIn(delay) = &verdict {
        line.push(("retry_in", delay.to_field()));
    }
    let level = match outcome {
        Finish::Sent { .. } => "info",
        _ => "warn",
    };
    emit(level, event, &line);
    Ok(verdict)
}

/// What the sent log said of a message whose last attempt may have gone out.
enum Lookup {
    /// Not asked: the Ledger did not ask for it, or it was not there.
    NotNeeded,
    /// It went out, with this GUID.
    Found(Option<String>),
    /// The log could not be read: wait, never send.
    Unreadable(ApiError),
}

/// A claim, and what the sent log said before it if the Ledger asked for a look-up.
struct Claimed {
    response: ClaimResponse,
    lookup: Lookup,
}

/// Claims the message. When the Ledger asks for a look-up first (`Claim::Verify`, after an
/// ambiguous attempt), looks for it in the sent log, and claims it again as verified absent
/// when it is not there.
async fn claim_checked(env: &Env, api: &Api, key: &str, holder: &str) -> Result<Claimed> {
    let mut verified_absent = false;
    loop {
        let response = claim(env, key, holder, verified_absent).await?;
        let lookup = match (&response.claim, &response.message) {
            (Claim::Verify, Some(msg)) if !verified_absent => {
                match look_up(api, msg, &response.known_guids).await {
                    Ok(None) => {
                        verified_absent = true;
                        continue;
                    }
                    Ok(Some(guid)) => Lookup::Found(guid),
                    Err(e) => Lookup::Unreadable(e),
                }
            }
            _ => Lookup::NotNeeded,
        };
        return Ok(Claimed { response, lookup });
    }
}

/// The `/sendsms/` call for a stored message.
fn send_call(msg: &Outgoing) -> SendMessage {
    let mut call = match msg.channel.as_str() {
        "whatsapp" => SendMessage::whatsapp_only(msg.to.clone(), msg.text.clone()),
        // The core plans "both" as two messages, one per channel; a "both" row stored by an
        // older version goes as its SMS: with the `+` the SMS needs, its WhatsApp half failed
        // on the phone, and the cron's resends repeated the SMS.
        _ => SendMessage::new(msg.to.clone(), msg.text.clone()),
    };
    if msg.shorturl {
        call.shorturl = Some(true);
    }
    call.schedule_timestamp = msg.schedule_timestamp.and_then(|t| u64::try_from(t).ok());
    call.s_identifiant = msg.device_sid.clone();
    call
}

/// A message whose queue retries ran out. If its last attempt was ambiguous, the sent log is
/// read first. Then the Ledger decides (`Finish::RetriesOut`): dead with a merchant alert if
/// it is too old to be worth sending, else it waits in `retrying` for the cron sweep (the
/// phone may be offline for hours). A message another delivery is sending right now is left
/// to it.
async fn bury(env: &Env, api: &Api, key: &str) -> Verdict {
    let holder = holder();
    let result: Result<Verdict> = async {
        let claimed = claim_checked(env, api, key, &holder).await?;
        let response = &claimed.response;
        let outcome = match (claimed.lookup, &response.claim, &response.message) {
            (Lookup::Found(guid), ..) => Finish::Sent { guid },
            (_, Claim::Done { .. }, _) | (_, _, None) => return Ok(Verdict::Ack),
            (_, Claim::Busy { retry_in }, _) => return Ok(Verdict::RetryIn(*retry_in)),
            // An unreadable log included: the Ledger keeps it ambiguous, looked up again
            // next time.
            (_, Claim::Verify | Claim::Send, Some(_)) => Finish::RetriesOut,
        };
        // The Ledger logs `message.dead` itself when it gives the message up.
        if finish(env, key, &holder, outcome).await?.state == delivery::State::Retrying {
            let to = response.message.as_ref().map(|m| mask(&m.to));
            emit(
                "warn",
                "message.waiting",
                fields! {"key": key, "to": to, "reason": "queue retries ran out; the cron sweep hands it back"},
            );
        }
        Ok(Verdict::Ack)
    }
    .await;
    result.unwrap_or_else(|e| {
        emit(
            "error",
            "consumer.bury_failed",
            fields! {"key": key, "error": e.to_string()},
        );
        Verdict::RetryIn(60)
    })
}

async fn mark_read(api: &Api, guid: &str, backoff: &Backoff) -> Verdict {
    match api
        .call(&MarkRead {
            guid_message: guid.to_owned(),
        })
        .await
    {
        Ok(_) => Verdict::Ack,
        Err(e) if e.is_retryable() => Verdict::RetryIn(backoff.delay(
            1,
            e.retry_after().map(|d| d.as_secs() as u32),
            jitter(),
        )),
        Err(e) => {
            emit(
                "warn",
                "reply.mark_read_failed",
                fields! {"error": delivery::error_text(&e)},
            );
            Verdict::Ack
        }
    }
}

#[cfg(test)]
mod tests {
    use super::send_call;
    use crate::protocol::Outgoing;
    use smsmobileapi::{ApiKey, Auth, BaseUrl, Call};

    /// The `recipients`, `sendwa` and `sendsms` fields of the form the API is sent, as
    /// encoded (`%2B` is a `+`).
    fn sent(msg: &Outgoing) -> Vec<String> {
        let auth = Auth::ApiKey(ApiKey::new("k").unwrap());
        let body = send_call(msg).request(&auth, &BaseUrl::default()).body;
        String::from_utf8(body)
            .unwrap()
            .split('&')
            .filter(|field| {
                ["recipients=", "sendwa=", "sendsms="]
                    .iter()
                    .any(|name| field.starts_with(name))
            })
            .map(str::to_owned)
            .collect()
    }

    fn stored(channel: &str) -> Outgoing {
        Outgoing {
            to: "+33612345678".into(),
            audience: "customer".into(),
            channel: channel.into(),
            text: "Votre commande #1001 a été expédiée.".into(),
            shorturl: false,
            schedule_timestamp: None,
            event: "shipped".into(),
            template: "fr/shipped".into(),
            device_sid: None,
        }
    }

    /// SMS numbers keep their `+`; WhatsApp ones go without it, or the phone fails them.
    #[test]
    fn each_channel_gets_the_number_written_as_it_needs() {
        assert_eq!(sent(&stored("sms")), ["recipients=%2B33612345678"]);
        assert_eq!(
            sent(&stored("whatsapp")),
            ["recipients=33612345678", "sendwa=1", "sendsms=0"]
        );
        // A row stored as "both" by an older version: its SMS only.
        assert_eq!(sent(&stored("both")), ["recipients=%2B33612345678"]);
    }
}
