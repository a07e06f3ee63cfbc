//! `Ledger`: the Durable Object that holds everything that must be strongly consistent, in its
//! SQLite storage: which platform events were handled, each order's context, every message's
//! state and GUID, opt-outs, and the per-phone send counts of the rate limit.
//!
//! Why one object per shop: every decision that guards exactly-once (is this event new? may
//! this message be sent now? did the customer opt out?) is a read-then-write, and a Durable
//! Object runs them one at a time. Its SQL calls are synchronous, so each handler below does
//! its reads and writes with no `await` in between: nothing can interleave. A shop's SMS
//! traffic is bounded by one Android phone, far below what one object serves.
//!
//! It must not talk to SMSMobileAPI: sending is the queue consumer's job. It does hand jobs to
//! the queue (outbox style: a message row is written first, marked enqueued after the queue
//! took it, and re-enqueued by a later delivery of the webhook or by the cron sweep if not).
//! Each operation is a synchronous function that collects those jobs in an [`Outbox`]; `fetch`
//! sends them once the operation is done, so the object's only other `await` is reading the
//! request.

use crate::record::{self, FromJson};
use ordersms_core::plan::plan_webhook;
use ordersms_core::templates::{
    CustomerVars, FailureVars, MerchantNotice, OrderVars, ReplyVars, ShopVars,
};
use ordersms_core::{
    Audience, EventKind, Language, OrderContext, Phone, Platform, RenderContext, ShopConfig,
    Webhook, WebhookInput,
};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen::JsValue;
use worker::worker_sys::SqlStorageCursor;
use worker::{DurableObject, Env, Request, Response, Result, SqlStorage, State, durable_object};

use crate::delivery::{self, Claim, Lease, State as MsgState};
use crate::keywords::{self, ReplyIntent};
use crate::logline::{emit, fields, mask};
use crate::protocol::*;
use crate::settings::Settings;

/// Seconds a sender holds a message before another delivery may take over.
const LEASE_SECS: i64 = 120;
/// The rate limit's window.
const HOUR: i64 = 3600;
/// At most this many lost queue jobs are re-sent per cron run (every 10 minutes).
const REQUEUE_PER_SWEEP: i64 = 1000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders (key TEXT PRIMARY KEY, context TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  key TEXT PRIMARY KEY, order_key TEXT, phone TEXT NOT NULL, msg TEXT NOT NULL,
  state TEXT NOT NULL, ambiguous INTEGER NOT NULL DEFAULT 0, holder TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  enqueued INTEGER NOT NULL DEFAULT 0, guid TEXT, error TEXT,
  resends INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_update ON messages(updated_at);
CREATE INDEX IF NOT EXISTS messages_by_guid ON messages(guid);
CREATE INDEX IF NOT EXISTS messages_by_phone ON messages(phone);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages(state);
CREATE TABLE IF NOT EXISTS optouts (phone TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sends (key TEXT PRIMARY KEY, phone TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sends_by_phone ON sends(phone, at);
CREATE TABLE IF NOT EXISTS last_orders (phone TEXT PRIMARY KEY, order_key TEXT NOT NULL, order_name TEXT, at INTEGER NOT NULL);
";

const MIGRATIONS: &[&str] = &["ALTER TABLE messages ADD COLUMN retried_at INTEGER"];

#[durable_object]
pub struct Ledger {
    sql: SqlStorage,
    env: Env,
}

impl DurableObject for Ledger {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            emit(
                "error",
                "ledger.schema_failed",
                fields! {"error": e.to_string()},
            );
        }
        // Columns added after the first release. SQLite has no ADD COLUMN IF NOT EXISTS: an
        // object that has it already answers "duplicate column", which is fine.
        for column in MIGRATIONS {
            if let Err(e) = sql.exec(column, None)
                && !e.to_string().contains("duplicate column")
            {
                emit(
                    "error",
                    "ledger.schema_failed",
                    fields! {"error": e.to_string()},
                );
            }
        }
        Ledger { sql, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        // Read once, untyped: each operation parses its own request type from the text.
        let text = req.text().await?;
        let mut outbox = Outbox::default();
        let out = &mut outbox;
        let result = match path.as_str() {
            "/ingest" => self.ingest(body(&text)?, out).map(json),
            "/claim" => self.claim(body(&text)?, out).map(json),
            "/finish" => self.finish(body(&text)?, out).map(json),
            "/reply" => self.reply(body(&text)?, out).map(json),
            "/failures" => self.failures(body(&text)?, out).map(json),
            "/resent" => self.resent(body(&text)?).map(json),
            "/sweep" => self.sweep(body(&text)?, out).map(|(enqueued, requeued)| {
                crate::json_answer(fields! {"enqueued": enqueued, "requeued": requeued})
            }),
            "/messages" => self.messages(body(&text)?).map(json),
            "/retry" => self.retry(body(&text)?, out).map(json),
            "/backlog" => self.backlog(body(&text)?).map(json),
            "/erase" => self.erase(body(&text)?).map(json),
            _ => return Response::error("no such ledger operation", 404),
        };
        // Sent even when the operation failed part-way: what it queued is stored and due. An
        // answer goes back only once the queue took its jobs.
        let result = match (result, self.send_outbox(outbox).await) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(LedgerError::Other(e)),
            (Ok(resp), Ok(())) => Ok(resp),
        };
        match result {
            Ok(resp) => resp,
            Err(LedgerError::Config(reason)) => Response::error(reason, 500),
            Err(LedgerError::Other(e)) => {
                emit(
                    "error",
                    "ledger.failed",
                    fields! {"op": path, "error": e.to_string()},
                );
                Response::error(e.to_string(), 500)
            }
        }
    }
}

enum LedgerError {
    /// SHOP_CONFIG or a var is wrong: the merchant must fix it.
    Config(String),
    Other(worker::Error),
}

impl From<worker::Error> for LedgerError {
    fn from(e: worker::Error) -> Self {
        LedgerError::Other(e)
    }
}

type LResult<T> = std::result::Result<T, LedgerError>;

fn body<T: FromJson>(text: &str) -> Result<T> {
    Ok(T::from_json(text.as_bytes())?)
}

/// A stored order context, `None` when unreadable. Read from its bytes: with the core's
/// `one-json-reader` the context is read by the webhook bodies' reader, whose only copy is
/// for `serde_json::from_slice` (on UTF-8 text it gives what `from_str` gives).
fn read_context(text: &str) -> Option<OrderContext> {
    serde_json::from_slice(text.as_bytes()).ok()
}

/// A message as stored in its row (`messages.msg`).
fn stored_message(text: &str) -> serde_json::Result<Outgoing> {
    record::from_json(text.as_bytes())
}

fn json<T: serde::Serialize>(value: T) -> Result<Response> {
    Response::from_json(&value)
}

#[derive(Default)]
struct MsgRow {
    key: String,
    order_key: Option<String>,
    msg: String,
    state: String,
    ambiguous: i64,
    holder: Option<String>,
    lease_until: i64,
    attempts: i64,
    guid: Option<String>,
    error: Option<String>,
    resends: i64,
    created_at: i64,
    updated_at: i64,
    retried_at: Option<i64>,
}
crate::record::record!(
    MsgRow as "MsgRow",
    [
        key: Str Req,
        order_key: OptStr Opt,
        msg: Str Req,
        state: Str Req,
        ambiguous: I64 Req,
        holder: OptStr Opt,
        lease_until: I64 Req,
        attempts: I64 Req,
        guid: OptStr Opt,
        error: OptStr Opt,
        resends: I64 Req,
        created_at: I64 Req,
        updated_at: I64 Req,
        retried_at: OptI64 Opt,
    ]
);
// Rows are read by `record::from_json`; serde's `Deserialize` is for the test that compares
// the record reader with the derive.
#[cfg(test)]
crate::record::deserialize_as_record!(MsgRow);

impl Ledger {
    fn settings(&self) -> LResult<Settings> {
        crate::routes::settings(&self.env).map_err(LedgerError::Config)
    }

    fn config(&self) -> LResult<crate::shop::Loaded> {
        let config = crate::shop::load(&self.env);
        if let Err(reason) = config.as_ref() {
            return Err(LedgerError::Config(reason.clone()));
        }
        Ok(config)
    }

    /// Runs `query` with `args` bound to its `?`s, in order. Through the runtime's own
    /// `exec`, not worker's, whose cursor reads rows with `serde_wasm_bindgen` (see
    /// [`Ledger::rows`]).
    fn run(&self, query: &str, args: &[Arg]) -> Result<SqlStorageCursor> {
        let bindings: js_sys::Array = args.iter().map(|arg| arg.to_js()).collect();
        let sql: &worker::worker_sys::SqlStorage = self.sql.as_ref().unchecked_ref();
        Ok(sql.exec(query, bindings)?)
    }

    fn exec(&self, query: &str, args: &[Arg]) -> Result<()> {
        self.run(query, args).map(|_| ())
    }

    /// The rows of `query`, read as JSON ([`crate::record::list_from_js`]).
    fn rows<T: crate::record::Record>(&self, query: &str, args: &[Arg]) -> Result<Vec<T>> {
        crate::record::list_from_js(&self.run(query, args)?.to_array())
    }

    /// How many rows `query` gives (none read).
    fn row_count(&self, query: &str, args: &[Arg]) -> Result<usize> {
        Ok(self.run(query, args)?.to_array().length() as usize)
    }

    fn message(&self, key: &str) -> Result<Option<MsgRow>> {
        Ok(self
            .rows::<MsgRow>("SELECT * FROM messages WHERE key = ?", &[key.into()])?
            .into_iter()
            .next())
    }

    /// The order's stored context, if it is still kept.
    fn order_context(&self, order_key: &str) -> Option<OrderContext> {
        #[derive(Default)]
        struct Ctx {
            context: String,
        }
        crate::record::record!(Ctx as "Ctx", [context: Str Req]);
        let row = self
            .rows::<Ctx>(
                "SELECT context FROM orders WHERE key = ?",
                &[order_key.into()],
            )
            .ok()?
            .into_iter()
            .next()?;
        read_context(&row.context)
    }

    /// The order's name ("#1001") from its stored context, for merchant notices.
    fn order_name(&self, order_key: &str) -> Option<String> {
        self.order_context(order_key)?.order_name
    }

    fn is_opted_out(&self, phone: &str) -> bool {
        self.row_count(
            "SELECT 1 AS v FROM optouts WHERE phone = ?",
            &[phone.into()],
        )
        .map(|n| n > 0)
        .unwrap_or(true) // cannot tell: do not text someone who may have said STOP
    }

    /// Records a new message (ignored when its dedupe key exists: that is the final guard).
    fn insert_message(
        &self,
        key: &str,
        order_key: Option<&str>,
        msg: &Outgoing,
        now: i64,
    ) -> Result<bool> {
        let text =
            serde_json::to_string(msg).map_err(|e| worker::Error::RustError(e.to_string()))?;
        let cursor = self.run(
            "INSERT OR IGNORE INTO messages (key, order_key, phone, msg, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)",
            &[key.into(), order_key.into(), msg.to.as_str().into(), text.as_str().into(), now.into(), now.into()],
        )?;
        Ok(cursor.rows_written() > 0.0)
    }

    /// Hands every not-yet-enqueued message of `scope` to the queue (marked once it took them).
    fn enqueue_pending(&self, scope: Pending<'_>, outbox: &mut Outbox) -> Result<usize> {
        #[derive(Default)]
        struct K {
            key: String,
        }
        crate::record::record!(K as "K", [key: Str Req]);
        let keys: Vec<K> = match scope {
            Pending::Order(order_key) => self.rows(
                "SELECT key FROM messages WHERE enqueued = 0 AND state = 'queued' AND order_key = ?",
                &[order_key.into()],
            )?,
            Pending::Key(key) => self.rows(
                "SELECT key FROM messages WHERE enqueued = 0 AND state = 'queued' AND key = ?",
                &[key.into()],
            )?,
            Pending::OlderThan(at) => self.rows(
                "SELECT key FROM messages WHERE enqueued = 0 AND state = 'queued' AND created_at < ? LIMIT 100",
                &[at.into()],
            )?,
        };
        let count = keys.len();
        for k in keys {
            outbox.push(
                Job::Send { key: k.key.clone() },
                OnceQueued::MarkEnqueued(k.key),
            );
        }
        Ok(count)
    }

    /// Hands the outbox's jobs to the queue, at most a batch's 100 at a time, and writes down
    /// each batch once the queue took it.
    async fn send_outbox(&self, outbox: Outbox) -> Result<()> {
        if outbox.0.is_empty() {
            return Ok(());
        }
        let queue = self.env.queue("OUTBOX")?;
        for batch in outbox.0.chunks(100) {
            let jobs: Vec<&Job> = batch.iter().map(|(job, _)| job).collect();
            queue.send_batch(jobs).await?;
            for (_, then) in batch {
                match then {
                    OnceQueued::MarkEnqueued(key) => self.exec(
                        "UPDATE messages SET enqueued = 1 WHERE key = ?",
                        &[key.as_str().into()],
                    )?,
                    OnceQueued::Touch { key, now } => self.exec(
                        "UPDATE messages SET updated_at = ? WHERE key = ?",
                        &[(*now).into(), key.as_str().into()],
                    )?,
                    OnceQueued::Nothing => {}
                }
            }
        }
        Ok(())
    }

    fn ingest(&self, req: IngestRequest, outbox: &mut Outbox) -> LResult<IngestResponse> {
        let config = self.config()?;
        let config = config
            .as_ref()
            .as_ref()
            .map_err(|e| LedgerError::Config(e.clone()))?;
        let platform = Platform::parse(&req.platform).ok_or_else(|| {
            LedgerError::Other(worker::Error::RustError("unknown platform".into()))
        })?;
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The Worker verified the signature before calling; this parse only re-reads the body.
        let input = WebhookInput::new(platform, &headers, req.body.as_bytes());
        let webhook = Webhook::parse(&input)
            .map_err(|e| LedgerError::Other(worker::Error::RustError(e.to_string())))?;
        let Webhook::Event(event) = &webhook else {
            return Ok(IngestResponse::default());
        };
        let order_key = format!("{}:{}:{}", platform.as_str(), event.shop, event.order_id);

        // Shopify keeps X-Shopify-Event-Id across retries of one event (X-Shopify-Webhook-Id
        // changes). WooCommerce has no event id: its re-sent orders are recognised by the
        // stored context and the per-message dedupe keys instead.
        let event_key = ordersms_core::signature::header(&headers, "X-Shopify-Event-Id")
            .filter(|_| platform == Platform::Shopify)
            .map(|id| format!("shopify-event:{}:{id}", event.shop));
        if let Some(key) = &event_key
            && self.row_count(
                "SELECT 1 AS v FROM events WHERE key = ?",
                &[key.as_str().into()],
            )? > 0
        {
            let enqueued = self.enqueue_pending(Pending::Order(&order_key), outbox)?;
            return Ok(IngestResponse {
                duplicate: true,
                enqueued,
                ..Default::default()
            });
        }

        #[derive(Default)]
        struct Ctx {
            context: String,
        }
        crate::record::record!(Ctx as "Ctx", [context: Str Req]);
        let stored: Option<OrderContext> = self
            .rows::<Ctx>(
                "SELECT context FROM orders WHERE key = ?",
                &[order_key.as_str().into()],
            )?
            .into_iter()
            .next()
            .and_then(|c| read_context(&c.context));
        let opted_out = |phone: &Phone| self.is_opted_out(phone.as_str());
        let plan = plan_webhook(&webhook, config, stored.as_ref(), req.now, &opted_out);

        // Everything below up to the queue call is synchronous: one atomic step.
        if let Some(context) = &plan.store {
            let text = serde_json::to_string(context)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            self.exec(
                "INSERT INTO orders (key, context, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET context = excluded.context, updated_at = excluded.updated_at",
                &[order_key.as_str().into(), text.as_str().into(), req.now.into()],
            )?;
        }
        let mut planned = 0;
        for m in &plan.messages {
            let out = Outgoing {
                to: m.to.as_str().to_owned(),
                audience: audience_name(m.recipient).to_owned(),
                channel: channel_name(m.channel).to_owned(),
                text: m.text.clone(),
                shorturl: m.shorturl,
                schedule_timestamp: m.schedule_timestamp,
                event: m.event.as_str().to_owned(),
                template: m.template.clone(),
                device_sid: m.device_sid.clone(),
            };
            if self.insert_message(&m.dedupe_key, Some(&order_key), &out, req.now)? {
                planned += 1;
            }
            if m.recipient == Audience::Customer {
                self.exec(
                    "INSERT INTO last_orders (phone, order_key, order_name, at) VALUES (?, ?, ?, ?) ON CONFLICT(phone) DO UPDATE SET order_key = excluded.order_key, order_name = excluded.order_name, at = excluded.at",
                    &[out.to.as_str().into(), order_key.as_str().into(), event.order_name.as_deref().into(), req.now.into()],
                )?;
            }
        }
        if let Some(key) = &event_key {
            self.exec(
                "INSERT OR IGNORE INTO events (key, at) VALUES (?, ?)",
                &[key.as_str().into(), req.now.into()],
            )?;
        }
        let enqueued = self.enqueue_pending(Pending::Order(&order_key), outbox)?;
        let skipped: Vec<String> = plan.skipped.iter().map(|s| s.reason.clone()).collect();
        emit(
            "info",
            "webhook.planned",
            fields! {
                "platform": platform.as_str(), "topic": event.topic, "order": order_key,
                "planned": planned, "enqueued": enqueued,
                "skipped": skipped,
            },
        );
        Ok(IngestResponse {
            duplicate: false,
            planned,
            enqueued,
            skipped,
        })
    }

    /// Why a customer message must not go out now, if it must not: the customer opted out, or
    /// the phone had its share of texts this hour (against SMS pumping).
    fn suppression(
        &self,
        req: &ClaimRequest,
        m: &Outgoing,
        settings: &Settings,
    ) -> LResult<Option<&'static str>> {
        if m.audience != "customer" {
            return Ok(None);
        }
        if self.is_opted_out(&m.to) {
            return Ok(Some("opted_out"));
        }
        #[derive(Default)]
        struct At {
            at: i64,
        }
        crate::record::record!(At as "At", [at: I64 Req]);
        let recent: Vec<i64> = self
            .rows::<At>(
                "SELECT at FROM sends WHERE phone = ? AND at > ? AND key != ?",
                &[
                    m.to.as_str().into(),
                    (req.now - HOUR).into(),
                    req.key.as_str().into(),
                ],
            )?
            .into_iter()
            .map(|r| r.at)
            .collect();
        let allowed = delivery::rate_allows(&recent, req.now, settings.rate_limit_per_hour, HOUR);
        Ok((!allowed).then_some("rate_limited"))
    }

    fn too_late(&self, row: &MsgRow, m: &Outgoing, now: i64, settings: &Settings) -> bool {
        let due = delivery::due_at(row.created_at, m.schedule_timestamp, row.retried_at);
        delivery::too_late(due, now, settings.give_up_after_secs)
    }

    /// Ends a message that will not be sent: dead, with `reason` and its last error, and the
    /// merchant alerted (for a customer's message).
    fn give_up(
        &self,
        row: &MsgRow,
        m: &Outgoing,
        reason: &str,
        now: i64,
        outbox: &mut Outbox,
    ) -> LResult<MsgState> {
        let error = delivery::dead_reason(reason, row.error.as_deref());
        self.exec(
            "UPDATE messages SET state = 'dead', error = ?, holder = NULL, updated_at = ? WHERE key = ?",
            &[error.as_str().into(), now.into(), row.key.as_str().into()],
        )?;
        emit(
            "error",
            "message.dead",
            fields! {"key": row.key, "to": mask(&m.to), "about": m.event, "reason": reason},
        );
        self.alert_merchant(row, m, &error, now, outbox)?;
        Ok(MsgState::Dead)
    }

    fn claim(&self, req: ClaimRequest, outbox: &mut Outbox) -> LResult<ClaimResponse> {
        let settings = self.settings()?;
        let Some(row) = self.message(&req.key)? else {
            return Ok(ClaimResponse {
                claim: Claim::Done {
                    state: MsgState::Dead,
                },
                message: None,
                attempt: 0,
                known_guids: Vec::new(),
            });
        };
        let state = MsgState::parse(&row.state).unwrap_or(MsgState::Queued);
        let lease = Lease {
            state,
            ambiguous: row.ambiguous != 0,
            holder: row.holder.as_deref(),
            until: row.lease_until,
        };
        let mut claim = delivery::claim(&lease, &req.holder, req.now, req.verified_absent);
        let msg = stored_message(&row.msg).ok();
        let mut attempt = row.attempts.max(0) as u32;
        if let (Claim::Send, Some(m)) = (&claim, &msg) {
            if let Some(reason) = self.suppression(&req, m, &settings)? {
                self.exec(
                    "UPDATE messages SET state = 'suppressed', error = ?, holder = NULL, updated_at = ? WHERE key = ?",
                    &[reason.into(), req.now.into(), req.key.as_str().into()],
                )?;
                emit(
                    "warn",
                    "message.suppressed",
                    fields! {"key": req.key, "to": mask(&m.to), "reason": reason},
                );
                claim = Claim::Done {
                    state: MsgState::Suppressed,
                };
            } else if self.too_late(&row, m, req.now, &settings) {
                // Not sent yet, and too old to be worth sending now (a key fixed days late,
                // a phone back after a week).
                let reason = delivery::give_up_reason(settings.give_up_after_secs, false);
                claim = Claim::Done {
                    state: self.give_up(&row, m, &reason, req.now, outbox)?,
                };
            } else if m.audience == "customer" {
                self.exec(
                    "INSERT OR IGNORE INTO sends (key, phone, at) VALUES (?, ?, ?)",
                    &[
                        req.key.as_str().into(),
                        m.to.as_str().into(),
                        req.now.into(),
                    ],
                )?;
            }
        }
        match claim {
            Claim::Send | Claim::Verify => {
                if claim == Claim::Send {
                    attempt += 1;
                }
                self.exec(
                    "UPDATE messages SET state = 'sending', holder = ?, lease_until = ?, attempts = ?, updated_at = ? WHERE key = ?",
                    &[req.holder.as_str().into(), (req.now + LEASE_SECS).into(), i64::from(attempt).into(), req.now.into(), req.key.as_str().into()],
                )?;
            }
            Claim::Busy { .. } | Claim::Done { .. } => {}
        }
        let known_guids = match (&claim, &msg) {
            (Claim::Verify, Some(m)) => {
                #[derive(Default)]
                struct G {
                    guid: String,
                }
                crate::record::record!(G as "G", [guid: Str Req]);
                self.rows::<G>(
                    "SELECT guid FROM messages WHERE phone = ? AND guid IS NOT NULL AND key != ?",
                    &[m.to.as_str().into(), req.key.as_str().into()],
                )?
                .into_iter()
                .map(|g| g.guid)
                .collect()
            }
            _ => Vec::new(),
        };
        Ok(ClaimResponse {
            claim,
            message: msg,
            attempt,
            known_guids,
        })
    }

    fn finish(&self, req: FinishRequest, outbox: &mut Outbox) -> LResult<FinishResponse> {
        let Some(row) = self.message(&req.key)? else {
            return Ok(FinishResponse {
                state: MsgState::Dead,
            });
        };
        let state = MsgState::parse(&row.state).unwrap_or(MsgState::Queued);
        let ours = row.holder.as_deref() == Some(req.holder.as_str());
        let key = req.key.as_str();
        let next = match &req.finish {
            // The truth, whoever reports it.
            Finish::Sent { guid } => {
                self.exec(
                    "UPDATE messages SET state = 'sent', guid = ?, error = NULL, ambiguous = 0, holder = NULL, updated_at = ? WHERE key = ?",
                    &[guid.as_deref().into(), req.now.into(), key.into()],
                )?;
                MsgState::Sent
            }
            _ if state.is_final() => state,
            Finish::Retry { ambiguous, error } if ours => {
                self.exec(
                    "UPDATE messages SET state = 'retrying', ambiguous = ?, error = ?, holder = NULL, lease_until = 0, updated_at = ? WHERE key = ?",
                    &[i64::from(*ambiguous).into(), error.as_str().into(), req.now.into(), key.into()],
                )?;
                MsgState::Retrying
            }
            Finish::Retry { .. } => state,
            Finish::Failed { error } => {
                self.exec(
                    "UPDATE messages SET state = 'failed', error = ?, holder = NULL, updated_at = ? WHERE key = ?",
                    &[error.as_str().into(), req.now.into(), key.into()],
                )?;
                if let Ok(msg) = stored_message(&row.msg) {
                    self.alert_merchant(&row, &msg, error, req.now, outbox)?;
                }
                MsgState::Failed
            }
            Finish::RetriesOut if ours => {
                let settings = self.settings()?;
                match stored_message(&row.msg) {
                    Ok(msg) if !self.too_late(&row, &msg, req.now, &settings) => {
                        // Still worth sending: back to `retrying` with its last error, and the
                        // cron sweep hands it to the queue again once it has been quiet for
                        // REQUEUE_AFTER_SECONDS.
                        self.exec(
                            "UPDATE messages SET state = 'retrying', holder = NULL, lease_until = 0, updated_at = ? WHERE key = ?",
                            &[req.now.into(), key.into()],
                        )?;
                        MsgState::Retrying
                    }
                    Ok(msg) => {
                        let may_have_gone_out = row.ambiguous != 0;
                        let reason = delivery::give_up_reason(
                            settings.give_up_after_secs,
                            may_have_gone_out,
                        );
                        self.give_up(&row, &msg, &reason, req.now, outbox)?
                    }
                    // A row that cannot be read can never be sent: nothing to wait for.
                    Err(_) => {
                        self.exec(
                            "UPDATE messages SET state = 'dead', error = 'stored message unreadable', holder = NULL, updated_at = ? WHERE key = ?",
                            &[req.now.into(), key.into()],
                        )?;
                        MsgState::Dead
                    }
                }
            }
            Finish::RetriesOut => state,
        };
        emit(
            "info",
            "message.state",
            fields! {"key": key, "state": next.as_str()},
        );
        Ok(FinishResponse { state: next })
    }

    /// Tells the merchant a customer message will not arrive (merchant/alert template), once
    /// per message, and once more after each time an operator sent it again.
    fn alert_merchant(
        &self,
        row: &MsgRow,
        failed: &Outgoing,
        reason: &str,
        now: i64,
        outbox: &mut Outbox,
    ) -> LResult<()> {
        let (key, order_key) = (row.key.as_str(), row.order_key.as_deref());
        if failed.audience != "customer" {
            return Ok(()); // never alert about an alert
        }
        let config = self.config()?;
        let Ok(config) = config.as_ref() else {
            return Ok(());
        };
        let Some(merchant) = config.merchant_phone() else {
            emit("warn", "alert.no_merchant_phone", fields! {"key": key});
            return Ok(());
        };
        let order_name = order_key.and_then(|k| self.order_name(k));
        let ctx = alert_context(config, order_name, failed, reason);
        let rendered = match config.templates().render_notice(
            MerchantNotice::Alert,
            config.merchant_language(),
            &ctx,
        ) {
            Ok(r) => r,
            Err(e) => {
                emit(
                    "error",
                    "alert.template_failed",
                    fields! {"error": e.to_string()},
                );
                return Ok(());
            }
        };
        let alert = Outgoing {
            to: merchant.to_owned(),
            audience: "merchant".into(),
            channel: "sms".into(),
            text: rendered.text,
            shorturl: false,
            schedule_timestamp: None,
            event: "alert".into(),
            template: rendered.template,
            device_sid: config.device_sid().map(str::to_owned),
        };
        let alert_key = delivery::alert_key(key, row.retried_at);
        if self.insert_message(&alert_key, None, &alert, now)? {
            self.enqueue_pending(Pending::Key(&alert_key), outbox)?;
        }
        Ok(())
    }

    fn reply(&self, req: ReplyRequest, outbox: &mut Outbox) -> LResult<ReplyResponse> {
        let seen = self.row_count(
            "SELECT 1 AS v FROM events WHERE key = ?",
            &[req.event_key.as_str().into()],
        )? > 0;
        if seen {
            return Ok(ReplyResponse {
                action: "duplicate".into(),
            });
        }
        let loaded = crate::shop::load(&self.env);
        let config = loaded.as_ref().as_ref();
        let intent = keywords::intent(&req.text);
        let from = match config {
            // A sender written as digits with its country code and no "+" (WhatsApp senders
            // get their "+" in `replies::whatsapp_sender`; an SMS gateway may write them so
            // too) is no number of the shop's country when the customer is abroad, but is
            // one read as international. Kept as written, their STOP would never match.
            Ok(config) => Phone::parse(&req.from, config.default_country())
                .or_else(|_| Phone::parse(&format!("+{}", req.from.trim()), None))
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|_| req.from.trim().to_owned()),
            // A STOP (or START) needs no configuration: honour it while SHOP_CONFIG is broken,
            // or the customer is texted again once it is fixed. Only an international number
            // is known without the default country; anything else waits for the fix (5xx,
            // the sender retries), as a question to forward does.
            Err(reason) => match (intent, Phone::parse(&req.from, None)) {
                (ReplyIntent::OptOut | ReplyIntent::OptIn, Ok(phone)) => phone.as_str().to_owned(),
                _ => return Err(LedgerError::Config(reason.clone())),
            },
        };
        self.exec(
            "INSERT OR IGNORE INTO events (key, at) VALUES (?, ?)",
            &[req.event_key.as_str().into(), req.now.into()],
        )?;
        let action = match intent {
            ReplyIntent::OptOut => {
                self.exec(
                    "INSERT OR IGNORE INTO optouts (phone, at) VALUES (?, ?)",
                    &[from.as_str().into(), req.now.into()],
                )?;
                // "Cancel" also reaches the merchant: it may mean the order, and an opt-out
                // alone would leave the customer's request unseen.
                if let Ok(config) = config
                    && keywords::may_mean_the_order(&req.text)
                {
                    self.forward_reply(config, &req, &from, outbox)?;
                }
                "opted_out"
            }
            ReplyIntent::OptIn => {
                self.exec(
                    "DELETE FROM optouts WHERE phone = ?",
                    &[from.as_str().into()],
                )?;
                "opted_in"
            }
            ReplyIntent::Message => match config {
                Ok(config) => self.forward_reply(config, &req, &from, outbox)?,
                Err(reason) => return Err(LedgerError::Config(reason.clone())),
            },
        };
        if let Some(guid) = req.guid.clone() {
            outbox.push(Job::MarkRead { guid }, OnceQueued::Nothing);
        }
        emit(
            "info",
            "reply.handled",
            fields! {"from": mask(&from), "action": action},
        );
        Ok(ReplyResponse {
            action: action.into(),
        })
    }

    fn forward_reply(
        &self,
        config: &ShopConfig,
        req: &ReplyRequest,
        from: &str,
        outbox: &mut Outbox,
    ) -> LResult<&'static str> {
        let Some(merchant) = config.merchant_phone() else {
            return Ok("not_forwarded");
        };
        #[derive(Default)]
        struct Last {
            order_key: String,
            order_name: Option<String>,
        }
        crate::record::record!(Last as "Last", [order_key: Str Req, order_name: OptStr Opt]);
        let last = self
            .rows::<Last>(
                "SELECT order_key, order_name FROM last_orders WHERE phone = ?",
                &[from.into()],
            )?
            .into_iter()
            .next();
        // Who wrote, from their last order's stored context: every merchant/reply template
        // names the customer when it can, and a bare number tells the merchant little.
        let customer = last
            .as_ref()
            .and_then(|l| self.order_context(&l.order_key))
            .map(|c| CustomerVars::from_names(c.first_name, c.last_name))
            .unwrap_or_default();
        let language: Language = config.merchant_language();
        let ctx = RenderContext {
            locale: language.as_str().to_owned(),
            shop: ShopVars {
                name: config.shop_name().unwrap_or_default().to_owned(),
            },
            customer,
            order: OrderVars {
                name: last.and_then(|l| l.order_name).unwrap_or_default(),
                ..OrderVars::default()
            },
            reply: ReplyVars {
                from: Some(from.to_owned()),
                text: Some(req.text.clone()),
            },
            ..RenderContext::default()
        };
        let rendered = config
            .templates()
            .render_notice(MerchantNotice::Reply, language, &ctx)
            .map_err(|e| LedgerError::Config(e.to_string()))?;
        let out = Outgoing {
            to: merchant.to_owned(),
            audience: "merchant".into(),
            channel: "sms".into(),
            text: rendered.text,
            shorturl: false,
            schedule_timestamp: None,
            event: "reply".into(),
            template: rendered.template,
            device_sid: config.device_sid().map(str::to_owned),
        };
        let key = format!("reply:{}", req.event_key);
        if self.insert_message(&key, None, &out, req.now)? {
            self.enqueue_pending(Pending::Key(&key), outbox)?;
        }
        Ok("forwarded")
    }

    /// Decides, for each phone-side failure the cron read, whether to resend it or give up.
    /// A resend decided here is not counted yet: the count (`resends`, bounded by
    /// `RESEND_MAX`) goes up in [`Ledger::resent`], once SMSMobileAPI took the `/resend/`.
    /// Counting at the decision counted calls that never reached the API (a 500, a 429, a
    /// timeout) and gave messages up "after N resends" they never had.
    fn failures(&self, req: FailuresRequest, outbox: &mut Outbox) -> LResult<FailuresResponse> {
        let settings = self.settings()?;
        let mut out = FailuresResponse::default();
        for (guid, error) in &req.failures {
            let Some(row) = self
                .rows::<MsgRow>(
                    "SELECT * FROM messages WHERE guid = ? AND state = 'sent'",
                    &[guid.as_str().into()],
                )?
                .into_iter()
                .next()
            else {
                continue; // not ours, or already given up on
            };
            if (row.resends.max(0) as u32) < settings.resend_max {
                if out.resend.len() as u32 >= settings.resend_per_run {
                    continue;
                }
                self.exec(
                    "UPDATE messages SET error = ?, updated_at = ? WHERE key = ?",
                    &[
                        error.as_str().into(),
                        req.now.into(),
                        row.key.as_str().into(),
                    ],
                )?;
                out.resend.push(guid.clone());
            } else {
                let reason = format!(
                    "the phone could not send it ({error}) after {} resends",
                    row.resends
                );
                self.exec(
                    "UPDATE messages SET state = 'failed', error = ?, updated_at = ? WHERE key = ?",
                    &[
                        reason.as_str().into(),
                        req.now.into(),
                        row.key.as_str().into(),
                    ],
                )?;
                if let Ok(msg) = stored_message(&row.msg) {
                    self.alert_merchant(&row, &msg, &reason, req.now, outbox)?;
                }
                out.given_up += 1;
            }
        }
        Ok(out)
    }

    /// Counts one resend of a message still waiting on the phone (see [`Ledger::failures`]).
    /// One report per `/resend/`, sent by the cron just after the answer: no decision is
    /// counted before the call, so a Worker that dies between the two can only leave one
    /// resend uncounted (the message may get one more than `RESEND_MAX`), never count one
    /// that was not made.
    fn resent(&self, req: ResentRequest) -> LResult<()> {
        self.exec(
            "UPDATE messages SET resends = resends + 1, updated_at = ? WHERE guid = ? AND state = 'sent'",
            &[req.now.into(), req.guid.as_str().into()],
        )?;
        Ok(())
    }

    /// The cron's housekeeping. Returns how many never-enqueued messages went to the queue and
    /// how many the queue had gone quiet on were handed to it again.
    fn sweep(&self, now: i64, outbox: &mut Outbox) -> LResult<(usize, usize)> {
        // Forget dedupe facts and rate-limit rows that can no longer matter.
        self.exec("DELETE FROM sends WHERE at < ?", &[(now - 2 * HOUR).into()])?;
        self.exec(
            "DELETE FROM events WHERE at < ?",
            &[(now - 30 * 24 * HOUR).into()],
        )?;
        // What is known of customers is kept RETENTION_DAYS after it last changed (half a
        // year by default: long after any platform retry, enough for the admin list and for a
        // WooCommerce order changed months later), then forgotten. Opt-outs stay.
        let forget_before = now - i64::from(self.settings()?.retention_days) * 24 * HOUR;
        self.exec(
            "DELETE FROM messages WHERE updated_at < ? AND state IN ('sent', 'failed', 'dead', 'suppressed')",
            &[forget_before.into()],
        )?;
        self.exec(
            "DELETE FROM orders WHERE updated_at < ?",
            &[forget_before.into()],
        )?;
        self.exec(
            "DELETE FROM last_orders WHERE at < ?",
            &[forget_before.into()],
        )?;
        let enqueued = self.enqueue_pending(Pending::OlderThan(now - 30), outbox)?;
        let requeued = self.requeue_lost(now, outbox)?;
        Ok((enqueued, requeued))
    }

    /// Hands back to the queue the messages it went quiet on (`delivery::lost_in_queue`), the
    /// oldest first, at most `REQUEUE_PER_SWEEP` per run. Each one's `updated_at` moves to
    /// now, so the next sweep leaves it to the job just sent unless that one is lost too.
    fn requeue_lost(&self, now: i64, outbox: &mut Outbox) -> LResult<usize> {
        #[derive(Default)]
        struct Quiet {
            key: String,
            state: String,
            updated_at: i64,
            lease_until: i64,
        }
        crate::record::record!(
            Quiet as "Quiet",
            [
                key: Str Req,
                state: Str Req,
                updated_at: I64 Req,
                lease_until: I64 Req,
            ]
        );
        let quiet_secs = i64::from(self.settings()?.requeue_after_secs);
        let rows: Vec<Quiet> = self.rows(
            "SELECT key, state, updated_at, lease_until FROM messages WHERE enqueued = 1 AND state IN ('queued', 'sending', 'retrying') AND updated_at <= ? ORDER BY updated_at LIMIT ?",
            &[(now - quiet_secs).into(), REQUEUE_PER_SWEEP.into()],
        )?;
        let keys: Vec<String> = rows
            .into_iter()
            .filter(|r| {
                MsgState::parse(&r.state).is_some_and(|state| {
                    delivery::lost_in_queue(state, r.updated_at, r.lease_until, now, quiet_secs)
                })
            })
            .map(|r| r.key)
            .collect();
        if keys.is_empty() {
            return Ok(0);
        }
        let count = keys.len();
        for key in keys {
            outbox.push(
                Job::Send { key: key.clone() },
                OnceQueued::Touch { key, now },
            );
        }
        emit(
            "warn",
            "sweep.requeued",
            fields! {"count": count, "quiet_secs": quiet_secs},
        );
        Ok(count)
    }

    /// Sends a failed, dead or suppressed message again, at an operator's request
    /// (`delivery::may_retry`): back to `queued` with
    /// a new give-up clock. Its ambiguity is kept, so one that may have gone out is looked up
    /// in the sent log before it is sent; an opt-out since is still obeyed at the claim.
    fn retry(&self, req: RetryRequest, outbox: &mut Outbox) -> LResult<RetryResponse> {
        let Some(row) = self.message(&req.key)? else {
            return Ok(RetryResponse {
                state: None,
                requeued: false,
            });
        };
        let state = MsgState::parse(&row.state).unwrap_or(MsgState::Queued);
        if !delivery::may_retry(state) {
            return Ok(RetryResponse {
                state: Some(state),
                requeued: false,
            });
        }
        self.exec(
            "UPDATE messages SET state = 'queued', enqueued = 0, holder = NULL, lease_until = 0, resends = 0, retried_at = ?, updated_at = ? WHERE key = ?",
            &[req.now.into(), req.now.into(), req.key.as_str().into()],
        )?;
        emit(
            "info",
            "message.retried",
            fields! {"key": req.key, "was": state.as_str()},
        );
        self.enqueue_pending(Pending::Key(&req.key), outbox)?;
        Ok(RetryResponse {
            state: Some(MsgState::Queued),
            requeued: true,
        })
    }

    /// Forgets a customer at an operator's request (an erasure under the GDPR): every
    /// message to their number, their replies forwarded to the merchant, the merchant's
    /// notices about their orders and alerts about their messages, their orders' stored
    /// contexts, which order a reply of theirs is about, their rate-limit rows. An opt-out is
    /// kept (forgetting it would text them again), and added when asked. Webhooks that arrive
    /// later are new data.
    fn erase(&self, req: EraseRequest) -> LResult<EraseResponse> {
        let phone = req.phone.as_str();
        // Contexts list the customer's numbers as JSON strings: quoted, it matches whole.
        let quoted = format!("\"{phone}\"");
        #[derive(Default)]
        struct K {
            key: String,
        }
        crate::record::record!(K as "K", [key: Str Req]);
        let erased: Vec<K> = self.rows(
            "DELETE FROM messages WHERE phone = ? OR order_key IN (SELECT key FROM orders WHERE instr(context, ?) > 0) RETURNING key",
            &[phone.into(), quoted.as_str().into()],
        )?;
        let mut messages = erased.len();
        // The merchant's alerts about their messages (`delivery::alert_key`: no order key,
        // sent to the merchant) name the order and the number, masked.
        for k in &erased {
            let alert = delivery::alert_key(&k.key, None);
            messages += self.row_count(
                "DELETE FROM messages WHERE key = ? OR instr(key, ?) = 1 RETURNING key",
                &[alert.as_str().into(), format!("{alert}:").as_str().into()],
            )?;
        }
        // Their replies forwarded to the merchant quote their number.
        let quoting: Vec<MsgRow> = self.rows(
            "SELECT * FROM messages WHERE instr(msg, ?) > 0",
            &[phone.into()],
        )?;
        for row in quoting
            .iter()
            .filter(|r| delivery::names_number(&r.msg, phone))
        {
            self.exec(
                "DELETE FROM messages WHERE key = ?",
                &[row.key.as_str().into()],
            )?;
            messages += 1;
        }
        let orders = self.row_count(
            "DELETE FROM orders WHERE instr(context, ?) > 0 RETURNING key",
            &[quoted.as_str().into()],
        )?;
        self.exec("DELETE FROM last_orders WHERE phone = ?", &[phone.into()])?;
        self.exec("DELETE FROM sends WHERE phone = ?", &[phone.into()])?;
        if req.opt_out {
            self.exec(
                "INSERT OR IGNORE INTO optouts (phone, at) VALUES (?, ?)",
                &[phone.into(), req.now.into()],
            )?;
        }
        let opted_out = self.is_opted_out(phone);
        emit(
            "info",
            "customer.erased",
            fields! {"to": mask(phone), "messages": messages, "orders": orders, "opted_out": opted_out},
        );
        Ok(EraseResponse {
            messages: u32::try_from(messages).unwrap_or(u32::MAX),
            orders: u32::try_from(orders).unwrap_or(u32::MAX),
            opted_out,
        })
    }

    /// The messages not gone out `STALLED_AFTER_SECONDS` after they were planned (or sent
    /// again by an operator), for `/healthz`.
    fn backlog(&self, now: i64) -> LResult<Backlog> {
        #[derive(Default)]
        struct Count {
            n: i64,
            oldest: Option<i64>,
        }
        crate::record::record!(Count as "Count", [n: I64 Req, oldest: OptI64 Opt]);
        let stalled_after = i64::from(self.settings()?.stalled_after_secs);
        let count = self
            .rows::<Count>(
                "SELECT COUNT(*) AS n, MIN(COALESCE(retried_at, created_at)) AS oldest FROM messages WHERE state IN ('queued', 'sending', 'retrying') AND COALESCE(retried_at, created_at) <= ?",
                &[(now - stalled_after).into()],
            )?
            .into_iter()
            .next();
        Ok(count.map_or_else(Backlog::default, |c| Backlog {
            stalled: u32::try_from(c.n.max(0)).unwrap_or(u32::MAX),
            oldest: c.oldest,
        }))
    }

    fn messages(&self, req: MessagesRequest) -> LResult<Vec<MessageRow>> {
        /// A message as listed: its row and the name of its order (from the order's stored
        /// context), so an operator can tell which order a failed text was about.
        #[derive(Default)]
        struct Listed {
            key: String,
            msg: String,
            state: String,
            attempts: i64,
            guid: Option<String>,
            error: Option<String>,
            resends: i64,
            created_at: i64,
            updated_at: i64,
            retried_at: Option<i64>,
            order_name: Option<String>,
        }
        crate::record::record!(
            Listed as "Listed",
            [
                key: Str Req,
                msg: Str Req,
                state: Str Req,
                attempts: I64 Req,
                guid: OptStr Opt,
                error: OptStr Opt,
                resends: I64 Req,
                created_at: I64 Req,
                updated_at: I64 Req,
                retried_at: OptI64 Opt,
                order_name: OptStr Opt,
            ]
        );
        const LISTED: &str = "SELECT m.key, m.msg, m.state, m.attempts, m.guid, m.error, m.resends, \
             m.created_at, m.updated_at, m.retried_at, \
             json_extract(o.context, '$.order_name') AS order_name \
             FROM messages m LEFT JOIN orders o ON o.key = m.order_key";
        let limit = i64::from(req.limit.clamp(1, 500));
        let rows: Vec<Listed> = match req.state {
            Some(state) => self.rows(
                &format!(
                    "{LISTED} WHERE m.state = ? ORDER BY m.updated_at DESC, m.created_at DESC LIMIT ?"
                ),
                &[state.as_str().into(), limit.into()],
            )?,
            None => self.rows(
                &format!("{LISTED} ORDER BY m.updated_at DESC, m.created_at DESC LIMIT ?"),
                &[limit.into()],
            )?,
        };
        Ok(rows
            .into_iter()
            .map(|r| {
                let msg = stored_message(&r.msg).ok();
                MessageRow {
                    key: crate::replies::listed_key(&r.key),
                    to: msg.as_ref().map(|m| mask(&m.to)).unwrap_or_default(),
                    audience: msg.as_ref().map(|m| m.audience.clone()).unwrap_or_default(),
                    event: msg.as_ref().map(|m| m.event.clone()).unwrap_or_default(),
                    state: r.state,
                    attempts: r.attempts.max(0) as u32,
                    guid: r.guid,
                    error: r.error,
                    resends: r.resends.max(0) as u32,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    retried_at: r.retried_at,
                    order: r.order_name,
                }
            })
            .collect())
    }
}

/// A value bound to one `?` of the Ledger's SQL, borrowed from the caller: worker's
/// `SqlStorageValue` owns a `String` per text, copied at each of ≈ 50 call sites.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl Arg<'_> {
    fn to_js(self) -> JsValue {
        match self {
            Arg::Text(text) => JsValue::from_str(text),
            // Seconds, counts and limits: far inside JavaScript's safe integers.
            Arg::Int(n) => JsValue::from_f64(n as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(text)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Arg::Null, Arg::Text)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

enum Pending<'a> {
    Order(&'a str),
    Key(&'a str),
    OlderThan(i64),
}

/// The jobs an operation hands to the OUTBOX queue, each with what to write once the queue
/// took it ([`Ledger::send_outbox`]).
#[derive(Default)]
struct Outbox(Vec<(Job, OnceQueued)>);

impl Outbox {
    fn push(&mut self, job: Job, then: OnceQueued) {
        self.0.push((job, then));
    }
}

/// What the Ledger writes down once the queue took a job.
enum OnceQueued {
    /// `enqueued = 1`: the sweep no longer looks for it among the never-enqueued.
    MarkEnqueued(String),
    /// `updated_at = now` (a requeued message): the next sweep leaves it to the job just
    /// sent, unless that one is lost too.
    Touch {
        key: String,
        now: i64,
    },
    Nothing,
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Customer => "customer",
        Audience::Merchant => "merchant",
    }
}

fn channel_name(c: ordersms_core::Channel) -> &'static str {
    match c {
        ordersms_core::Channel::Sms => "sms",
        ordersms_core::Channel::Whatsapp => "whatsapp",
        ordersms_core::Channel::Both => "both",
    }
}

/// What the merchant's alert about `failed` says: the recipient masked, the event in the
/// merchant's language, and `reason` (already masked by whoever wrote it).
fn alert_context(
    config: &ShopConfig,
    order_name: Option<String>,
    failed: &Outgoing,
    reason: &str,
) -> RenderContext {
    RenderContext {
        locale: config.merchant_language().as_str().to_owned(),
        shop: ShopVars {
            name: config.shop_name().unwrap_or_default().to_owned(),
        },
        order: OrderVars {
            name: order_name.unwrap_or_default(),
            ..OrderVars::default()
        },
        failure: FailureVars {
            to: Some(mask(&failed.to)),
            // "(order shipped)" in the merchant's language, not the English id.
            event: Some(EventKind::parse(&failed.event).map_or_else(
                || failed.event.clone(),
                |kind| kind.label(config.merchant_language()).to_owned(),
            )),
            // The template ends the sentence itself.
            reason: Some(reason.trim_end_matches(['.', ' ']).to_owned()),
        },
        ..RenderContext::default()
    }
}

#[cfg(test)]
mod tests {
    use super::MsgRow;

    /// The alert is an SMS to the merchant: its masked number and masked reason must keep it
    /// in GSM-7 (160 characters a segment), or it is billed as UCS-2 (70).
    #[test]
    fn a_merchant_alert_with_masked_numbers_stays_gsm7_in_every_language() {
        use ordersms_core::segments::{Encoding, analyze};
        use ordersms_core::templates::MerchantNotice;

        let failed = super::Outgoing {
            to: "+32470123456".into(),
            audience: "customer".into(),
            channel: "sms".into(),
            text: "Votre commande #1001 est partie".into(),
            shorturl: false,
            schedule_timestamp: None,
            event: "shipped".into(),
            template: "fr/shipped".into(),
            device_sid: None,
        };
        let reason = ordersms_core::error::mask_numbers(
            "SMSMobileAPI refused the message: invalid number +32 470 12 34 56",
        );
        for lang in ["en", "fr", "de", "es", "it", "nl"] {
            let source =
                format!("merchant = {{ phone = \"+32470999999\", language = \"{lang}\" }}");
            let config = ordersms_core::ShopConfig::from_toml(&source).expect(&source);
            let ctx = super::alert_context(&config, Some("#1001".into()), &failed, &reason);
            let alert = config
                .templates()
                .render_notice(MerchantNotice::Alert, config.merchant_language(), &ctx)
                .unwrap();
            assert!(!alert.text.contains("470123456"), "{}", alert.text);
            assert!(alert.text.contains("56"), "{}", alert.text);
            let facts = analyze(&alert.text);
            assert_eq!(facts.encoding, Encoding::Gsm7, "{lang}: {}", alert.text);
        }
    }

    /// `MsgRow` as serde derived its reader before `record::row!` (the other rows are small
    /// structs of the same four field types).
    mod previous {
        #[allow(dead_code)]
        #[derive(Debug, serde::Deserialize)]
        pub struct MsgRow {
            key: String,
            order_key: Option<String>,
            msg: String,
            state: String,
            ambiguous: i64,
            holder: Option<String>,
            lease_until: i64,
            attempts: i64,
            guid: Option<String>,
            error: Option<String>,
            resends: i64,
            created_at: i64,
            updated_at: i64,
            retried_at: Option<i64>,
        }
    }

    impl std::fmt::Debug for MsgRow {
        fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            let (a, b, c, d) = (&self.key, &self.order_key, &self.msg, &self.state);
            let (e, g, h, i) = (
                self.ambiguous,
                &self.holder,
                self.lease_until,
                self.attempts,
            );
            let (j, k, l, m) = (&self.guid, &self.error, self.resends, self.created_at);
            let (n, o) = (self.updated_at, self.retried_at);
            f.debug_struct("MsgRow")
                .field("key", a)
                .field("order_key", b)
                .field("msg", c)
                .field("state", d)
                .field("ambiguous", &e)
                .field("holder", g)
                .field("lease_until", &h)
                .field("attempts", &i)
                .field("guid", j)
                .field("error", k)
                .field("resends", &l)
                .field("created_at", &m)
                .field("updated_at", &n)
                .field("retried_at", &o)
                .finish()
        }
    }

    /// The Worker reads a row as the JSON that `JSON.stringify` makes of it
    /// (`record::list_from_js`); the record reader is compared with the derive here.
    #[test]
    fn rows_read_as_serde_derived_them() {
        let s = r#""k""#;
        let n = crate::protocol::tests::same_on_bodies::<MsgRow, previous::MsgRow>(&[
            ("key", s),
            ("order_key", s),
            ("msg", s),
            ("state", s),
            ("ambiguous", "0"),
            ("holder", s),
            ("lease_until", "5"),
            ("attempts", "1"),
            ("guid", s),
            ("error", s),
            ("resends", "0"),
            ("created_at", "1"),
            ("updated_at", "2"),
            ("retried_at", "3"),
        ]);
        assert!(n > 900, "{n}");
    }
}
