//! What the sandbox remembers (sent log, received SMS, devices, tokens, counters) and the
//! logic of every API endpoint as plain functions of (state, parameters, now, fault draw) →
//! reply. The HTTP layer only moves bytes in and out; everything here runs without a socket.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::faults::{Draw, Faults};
use crate::webhook::WebhookConfig;
use crate::wire::{self, Params, Reply};

/// Rows per `/log/sent/sms/` page; older rows are reached with `before`.
pub(crate) const LOG_PAGE: usize = 100;
/// Lifetime of OAuth2 access tokens, in seconds.
pub(crate) const TOKEN_TTL: i64 = 3600;
/// The Android error reported for injected phone-side failures.
pub(crate) const PHONE_FAILURE: &str = "RESULT_ERROR_GENERIC_FAILURE";

/// Where a sent message stands, computed when it is read (scheduling depends on the clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Accepted with a `schedule_timestamp` still in the future: not sent by the phone yet.
    Pending,
    /// Sent by the phone (`send_from_mobile` "1").
    Sent,
    /// The phone tried and failed (`send_from_mobile_erreur` set); `/resend/` applies.
    ErrorMobile,
    /// Refused by the API (e.g. phone offline); logged with `error_api` "1"; `/resend/` applies.
    ErrorApi,
}

/// One message `/sendsms/` saw, as `GET /_sandbox/messages` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxMessage {
    pub guid: String,
    /// As given (possibly several numbers, comma-separated).
    pub recipients: String,
    pub message: String,
    /// The message goes out as SMS (`sendsms` not 0 and not `waonly=yes`).
    pub sms: bool,
    /// The message goes out on WhatsApp (`sendwa=1` or `waonly=yes`).
    pub whatsapp: bool,
    pub waonly: bool,
    pub shorturl: bool,
    pub encrypt: bool,
    pub url_media: Option<String>,
    pub port: Option<u8>,
    /// The device (`sIdentifiant`) that sends it.
    pub sid: String,
    pub schedule_timestamp: Option<i64>,
    /// UNIX seconds at which the API accepted (or refused) it.
    pub accepted_at: i64,
    pub state: MessageState,
    /// The phone-side error, when the phone failed.
    pub phone_error: Option<String>,
    /// The API's error note, when the API refused it.
    pub api_error: Option<String>,
    /// Recorded although the client was answered with a 500.
    pub ambiguous: bool,
    pub resend_count: u32,
}

#[derive(Debug, Clone)]
struct Message {
    seq: u64,
    view: SandboxMessage,
}

impl Message {
    fn state(&self, now: i64) -> MessageState {
        let v = &self.view;
        if v.api_error.is_some() {
            MessageState::ErrorApi
        } else if v.schedule_timestamp.is_some_and(|t| t > now) {
            MessageState::Pending
        } else if v.phone_error.is_some() {
            MessageState::ErrorMobile
        } else {
            MessageState::Sent
        }
    }

    fn at(&self, now: i64) -> SandboxMessage {
        SandboxMessage {
            state: self.state(now),
            ..self.view.clone()
        }
    }

    fn log_row(&self, now: i64) -> Value {
        let v = &self.view;
        let state = self.state(now);
        let sent = state == MessageState::Sent;
        let flag = |b: bool| if b { "1" } else { "0" };
        let yes = |b: bool| if b { "yes" } else { "no" };
        let sent_at = v
            .schedule_timestamp
            .unwrap_or(v.accepted_at)
            .max(v.accepted_at);
        json!({
            "guid": v.guid,
            "date": wire::sql_datetime(v.accepted_at),
            "timestamp": v.accepted_at.to_string(),
            "recipients": v.recipients,
            "message": v.message,
            "sIdentifiant": v.sid,
            "sendsms": flag(v.sms),
            "sendwa": flag(v.whatsapp),
            "waonly": yes(v.waonly),
            "shorturl": flag(v.shorturl),
            "encrypt_message": yes(v.encrypt),
            "url_media": v.url_media.clone().unwrap_or_default(),
            "port": v.port.map(|p| p.to_string()),
            "schedule_timestamp": v.schedule_timestamp.unwrap_or(0).to_string(),
            "send_from_mobile": flag(sent),
            "send_from_mobile_erreur": if state == MessageState::ErrorMobile { v.phone_error.clone().unwrap_or_default() } else { String::new() },
            "date_sent_mobile": if sent { wire::sql_datetime(sent_at) } else { String::new() },
            "error_api": flag(state == MessageState::ErrorApi),
            "note": v.api_error.clone().unwrap_or_default(),
            "resend": v.resend_count.to_string(),
        })
    }
}

/// A received SMS (a customer's reply), as `/getsms/` lists it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Received {
    pub(crate) id: u64,
    pub(crate) guid: String,
    pub(crate) sid: String,
    pub(crate) number: String,
    pub(crate) message: String,
    pub(crate) timestamp_unix: i64,
    pub(crate) received_ms: i64,
    pub(crate) alias: String,
    pub(crate) read: bool,
}

impl Received {
    fn row(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "sIdentifiantPhone": self.sid,
            "timestamp_unix": self.timestamp_unix.to_string(),
            "message": self.message,
            "number": self.number,
            "guid": self.guid,
            "alias": self.alias,
            // The real API sometimes sends this in epoch milliseconds: clients must cope.
            "time_received": self.received_ms,
        })
    }
}

#[derive(Debug, Clone)]
struct Device {
    sid: String,
    label: String,
    connected_at: i64,
    battery: u8,
    version: String,
}

impl Device {
    fn item(&self) -> Value {
        json!({
            "sid": self.sid,
            "label": self.label,
            "date": wire::sql_datetime(self.connected_at),
            "battery": self.battery.to_string(),
            "version": self.version,
            "connected": "1",
        })
    }
}

/// Counters shown by `GET /_sandbox/stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// API requests by endpoint path (e.g. `/sendsms/`).
    pub requests: BTreeMap<String, u64>,
    /// Injected faults by kind: `500`, `429`, `slow`, `offline`, `phone_failure`, `ambiguous`.
    pub faults: BTreeMap<String, u64>,
    /// Messages recorded as accepted by the phone queue (ambiguous ones included,
    /// API-refused ones not).
    pub messages_accepted: u64,
}

/// The id of the device every fresh sandbox has.
pub const DEFAULT_DEVICE: &str = "sandbox-phone-1";

/// Everything the sandbox knows, behind one mutex (never held across an await).
pub(crate) struct State {
    pub(crate) api_key: String,
    pub(crate) faults: Faults,
    pub(crate) seed: u64,
    fault_rng: fastrand::Rng,
    id_rng: fastrand::Rng,
    issued: HashSet<String>,
    /// Added to the wall clock: lets tests move time forward without sleeping.
    pub(crate) clock_offset_secs: i64,
    pub(crate) webhook: Option<WebhookConfig>,
    messages: Vec<Message>,
    next_seq: u64,
    received: Vec<Received>,
    next_received_id: u64,
    devices: Vec<Device>,
    tokens: HashMap<String, i64>,
    pub(crate) stats: Stats,
}

impl State {
    pub(crate) fn new(
        api_key: String,
        faults: Faults,
        seed: u64,
        webhook: Option<WebhookConfig>,
        now: i64,
    ) -> State {
        State {
            api_key,
            faults,
            seed,
            fault_rng: fastrand::Rng::with_seed(seed),
            // A different stream for ids, so changing fault rates does not change GUIDs.
            id_rng: fastrand::Rng::with_seed(seed ^ 0x9E37_79B9_7F4A_7C15),
            issued: HashSet::new(),
            clock_offset_secs: 0,
            webhook,
            messages: Vec::new(),
            next_seq: 0,
            received: Vec::new(),
            next_received_id: 1,
            devices: vec![Device {
                sid: DEFAULT_DEVICE.to_owned(),
                label: "Sandbox phone".to_owned(),
                connected_at: now,
                battery: 87,
                version: "4.2.1".to_owned(),
            }],
            tokens: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// A fresh 40-hex-digit id, never handed out before by this sandbox.
    pub(crate) fn new_guid(&mut self) -> String {
        loop {
            let g = format!(
                "{:016x}{:016x}{:08x}",
                self.id_rng.u64(..),
                self.id_rng.u64(..),
                self.id_rng.u32(..)
            );
            if self.issued.insert(g.clone()) {
                return g;
            }
        }
    }

    pub(crate) fn reseed(&mut self, seed: u64) {
        self.seed = seed;
        self.fault_rng = fastrand::Rng::with_seed(seed);
    }

    pub(crate) fn draw(&mut self) -> Draw {
        self.faults.draw(&mut self.fault_rng)
    }

    pub(crate) fn count_fault(&mut self, kind: &str) {
        *self.stats.faults.entry(kind.to_owned()).or_default() += 1;
    }

    pub(crate) fn count_request(&mut self, endpoint: &str) {
        *self.stats.requests.entry(endpoint.to_owned()).or_default() += 1;
    }

    /// Forgets sent and received messages and counters; keeps devices, key and configuration.
    pub(crate) fn reset(&mut self) {
        self.messages.clear();
        self.received.clear();
        self.stats = Stats::default();
    }

    pub(crate) fn messages(&self, now: i64) -> Vec<SandboxMessage> {
        self.messages.iter().map(|m| m.at(now)).collect()
    }

    // ---- authentication ----

    /// `Ok` when the request carries the right `apikey` or a live bearer token.
    pub(crate) fn authorize(
        &self,
        params: &Params,
        bearer: Option<&str>,
        now: i64,
    ) -> Result<(), Reply> {
        if let Some(key) = params.get("apikey") {
            return if key == self.api_key {
                Ok(())
            } else {
                Err(Reply::error(
                    403,
                    "invalid_api_key",
                    "the API key is invalid or has expired",
                ))
            };
        }
        match bearer {
            Some(token) => match self.tokens.get(token) {
                Some(&expires) if expires > now => Ok(()),
                Some(_) => Err(Reply::error(
                    403,
                    "token_expired",
                    "the access token has expired: request a new one",
                )),
                None => Err(Reply::error(
                    403,
                    "invalid_token",
                    "the access token is invalid",
                )),
            },
            None => Err(Reply::missing("apikey")),
        }
    }

    /// `POST /oauth2/token` (client credentials; the secret is the API key).
    pub(crate) fn token(&mut self, p: &Params, now: i64) -> Reply {
        let oauth = |status, code: &str, description: &str| Reply {
            status,
            body: json!({"error": code, "error_description": description}),
            retry_after: None,
            ordered: None,
            fault: None,
            recorded_guid: None,
        };
        let Some(grant) = p.non_empty("grant_type") else {
            return oauth(
                400,
                "invalid_request",
                "missing required parameter: grant_type",
            );
        };
        if grant != "client_credentials" {
            return oauth(
                400,
                "unsupported_grant_type",
                "only grant_type=client_credentials is supported",
            );
        }
        for name in ["client_id", "client_secret"] {
            if p.non_empty(name).is_none() {
                return oauth(
                    400,
                    "invalid_request",
                    &format!("missing required parameter: {name}"),
                );
            }
        }
        if p.get("client_secret") != Some(self.api_key.as_str()) {
            return oauth(401, "invalid_client", "client authentication failed");
        }
        let token = self.new_guid();
        self.tokens.insert(token.clone(), now + TOKEN_TTL);
        Reply::ok(json!({"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL}))
    }

    // ---- sending ----

    /// `/sendsms/`.
    pub(crate) fn send(&mut self, p: &Params, now: i64, draw: Draw) -> Result<Reply, Reply> {
        let recipients = p.required("recipients")?.to_owned();
        let message = p.required("message")?.to_owned();
        let schedule_timestamp = p.opt_i64("schedule_timestamp")?.filter(|t| *t > 0);
        let port = match p.non_empty("port") {
            None => None,
            Some("1") => Some(1),
            Some("2") => Some(2),
            Some(_) => return Err(Reply::invalid("port", "1 or 2 (the SIM slot)")),
        };
        let waonly = p.is("waonly", "yes");
        let whatsapp = waonly || p.is("sendwa", "1");
        let sms = !waonly && !p.is("sendsms", "0");
        if !sms && !whatsapp {
            return Ok(Reply::app_error(
                json!("no_channel"),
                "nothing to send: sendsms=0 and neither sendwa=1 nor waonly=yes",
            ));
        }
        let sid = match p.non_empty("sIdentifiant") {
            Some(sid) if self.devices.iter().any(|d| d.sid == sid) => sid.to_owned(),
            Some(_) => {
                return Ok(Reply::app_error(
                    json!("device_not_found"),
                    "no connected phone has this sIdentifiant",
                ));
            }
            None => match self.devices.first() {
                Some(d) => d.sid.clone(),
                None => {
                    return Ok(Reply::app_error(
                        json!(2),
                        "no phone is connected to this account",
                    ));
                }
            },
        };
        // WhatsApp wants international numbers without "+" or "00": the phone fails otherwise.
        let wa_format_error = whatsapp
            && recipients
                .split(',')
                .map(str::trim)
                .any(|r| r.starts_with('+') || r.starts_with("00"));
        let phone_failed = !wa_format_error && draw.phone_failure;
        let phone_error = if wa_format_error {
            Some("WhatsApp: invalid number format (write it without + or 00)".to_owned())
        } else if phone_failed {
            self.count_fault("phone_failure");
            Some(PHONE_FAILURE.to_owned())
        } else {
            None
        };
        let api_error = draw
            .offline
            .then(|| "the phone is offline: the message was not queued".to_owned());
        let guid = self.new_guid();
        let view = SandboxMessage {
            guid: guid.clone(),
            recipients,
            message,
            sms,
            whatsapp,
            waonly,
            shorturl: p.is("shorturl", "1"),
            encrypt: p.is("encrypt_message", "yes"),
            url_media: p.non_empty("url_media").map(str::to_owned),
            port,
            sid,
            schedule_timestamp,
            accepted_at: now,
            state: MessageState::Sent,
            phone_error,
            api_error: api_error.clone(),
            ambiguous: !draw.offline && draw.ambiguous,
            resend_count: 0,
        };
        self.next_seq += 1;
        self.messages.push(Message {
            seq: self.next_seq,
            view,
        });
        if let Some(note) = api_error {
            self.count_fault("offline");
            return Ok(Reply::app_error(json!(2), note).with_fault("offline", Some(&guid)));
        }
        self.stats.messages_accepted += 1;
        if draw.ambiguous {
            self.count_fault("ambiguous");
            return Ok(Reply::error(500, "internal_error", "internal server error")
                .with_fault("ambiguous", Some(&guid)));
        }
        let scheduled = schedule_timestamp.is_some_and(|t| t > now);
        let reply = Reply::ok_ordered(&SendAnswer {
            result: SendResult {
                error: 0,
                sent: "1",
                id: &guid,
                note: if scheduled {
                    "scheduled"
                } else {
                    "sent by mobile"
                },
                datetime: wire::iso_utc(now),
                datetime_local: wire::iso_local(now),
                port: port.map(|p| p.to_string()),
                iac_control: "1",
                iac_authorized: "1",
                send_with_whatsapp: if whatsapp { "1" } else { "0" },
                encrypted: Status {
                    status: if p.is("encrypt_message", "yes") {
                        "1"
                    } else {
                        "0"
                    },
                },
                trial_account: Trial {
                    status: "0",
                    sms_sent: 0,
                },
            },
        });
        Ok(if phone_failed {
            reply.with_fault("phone_failure", None)
        } else {
            reply
        })
    }

    /// `/resend/`: only a message in an error state goes back to sent.
    pub(crate) fn resend(&mut self, p: &Params, now: i64) -> Result<Reply, Reply> {
        let guid = p.required("guid")?;
        let Some(m) = self.messages.iter_mut().find(|m| m.view.guid == guid) else {
            return Ok(Reply::app_error(
                json!("not_found"),
                "no message with this guid",
            ));
        };
        match m.state(now) {
            MessageState::ErrorMobile | MessageState::ErrorApi => {
                m.view.phone_error = None;
                m.view.api_error = None;
                m.view.resend_count += 1;
                Ok(Reply::ok(
                    json!({"result": {"error": 0, "resent": "1", "id": guid, "note": "queued again for the phone"}}),
                ))
            }
            _ => Ok(Reply::app_error(
                json!("not_in_error"),
                "only a message in an error state can be resent",
            )),
        }
    }

    /// `/log/sent/sms/`: newest first, one page, filtered.
    pub(crate) fn log(&self, p: &Params, now: i64) -> Result<Reply, Reply> {
        let before_seq = match p.non_empty("before") {
            None => None,
            Some(b) if b.len() == 40 && b.chars().all(|c| c.is_ascii_hexdigit()) => {
                match self
                    .messages
                    .iter()
                    .find(|m| m.view.guid.eq_ignore_ascii_case(b))
                {
                    Some(m) => Some(Before::Seq(m.seq)),
                    None => {
                        return Err(Reply::invalid(
                            "before",
                            "a UNIX timestamp or the guid of a logged message",
                        ));
                    }
                }
            }
            Some(b) => Some(Before::Time(b.parse::<i64>().map_err(|_| {
                Reply::invalid("before", "a UNIX timestamp or a message guid")
            })?)),
        };
        let guid = p.non_empty("guid_message");
        let keyword = p.non_empty("keyword").map(str::to_lowercase);
        let error_api = p.is("error_api", "1");
        let error_mobile = p.is("error_mobile", "1");
        let rows: Vec<Value> = self
            .messages
            .iter()
            .rev()
            .filter(|m| match before_seq {
                Some(Before::Seq(s)) => m.seq < s,
                Some(Before::Time(t)) => m.view.accepted_at < t,
                None => true,
            })
            .filter(|m| guid.is_none_or(|g| m.view.guid == g))
            .filter(|m| !error_api || m.state(now) == MessageState::ErrorApi)
            .filter(|m| !error_mobile || m.state(now) == MessageState::ErrorMobile)
            .filter(|m| {
                keyword.as_deref().is_none_or(|k| {
                    m.view.recipients.to_lowercase().contains(k)
                        || m.view.message.to_lowercase().contains(k)
                })
            })
            .take(LOG_PAGE)
            .map(|m| m.log_row(now))
            .collect();
        Ok(Reply::ok(
            json!({"result": {"error": 0, "count": rows.len().to_string(), "sms": rows}}),
        ))
    }

    // ---- receiving ----

    /// Records a customer's SMS; returns it for the webhook.
    pub(crate) fn inject(
        &mut self,
        number: String,
        message: String,
        sid: Option<String>,
        alias: Option<String>,
        now_ms: i64,
    ) -> Received {
        let sid = sid
            .or_else(|| self.devices.first().map(|d| d.sid.clone()))
            .unwrap_or_else(|| DEFAULT_DEVICE.to_owned());
        let r = Received {
            id: self.next_received_id,
            guid: self.new_guid(),
            sid,
            number,
            message,
            timestamp_unix: now_ms.div_euclid(1000),
            received_ms: now_ms,
            alias: alias.unwrap_or_default(),
            read: false,
        };
        self.next_received_id += 1;
        self.received.push(r.clone());
        r
    }

    pub(crate) fn received_row(r: &Received) -> Value {
        r.row()
    }

    /// `/getsms/`: oldest first, filtered.
    pub(crate) fn getsms(&self, p: &Params) -> Result<Reply, Reply> {
        let after = p.opt_i64("after_timestamp_unix")?;
        let sid = p.non_empty("sIdentifiantPhone");
        let unread = p.is("onlyunread", "yes");
        let rows: Vec<Value> = self
            .received
            .iter()
            .filter(|r| after.is_none_or(|a| r.timestamp_unix > a))
            .filter(|r| sid.is_none_or(|s| r.sid == s))
            .filter(|r| !unread || !r.read)
            .map(Received::row)
            .collect();
        Ok(Reply::ok(json!({"result": {"error": 0, "sms": rows}})))
    }

    /// `/getsms/set-read/`.
    pub(crate) fn set_read(&mut self, p: &Params) -> Result<Reply, Reply> {
        let guid = p.required("guid_message")?;
        match self.received.iter_mut().find(|r| r.guid == guid) {
            Some(r) => {
                r.read = true;
                Ok(Reply::ok(
                    json!({"result": {"error": 0, "guid_message": guid, "read": "1"}}),
                ))
            }
            None => Ok(Reply::app_error(
                json!("not_found"),
                "no received SMS with this guid_message",
            )),
        }
    }

    /// `/deletesms/`: by guid, by one UTC day, or by an inclusive range of days.
    pub(crate) fn delete_sms(&mut self, p: &Params) -> Result<Reply, Reply> {
        let before = self.received.len();
        if let Some(guid) = p.non_empty("guid_message") {
            self.received.retain(|r| r.guid != guid);
        } else {
            let Some(start) = p.non_empty("date_start") else {
                return Err(Reply::missing("guid_message (or date_start)"));
            };
            let start = wire::parse_day(start)
                .ok_or_else(|| Reply::invalid("date_start", "a day as YYYY-MM-DD"))?;
            let end = match p.non_empty("date_end") {
                Some(e) => wire::parse_day(e)
                    .ok_or_else(|| Reply::invalid("date_end", "a day as YYYY-MM-DD"))?,
                None => start,
            } + 86_400;
            self.received
                .retain(|r| !(start..end).contains(&r.timestamp_unix));
        }
        let deleted = before - self.received.len();
        Ok(Reply::ok(
            json!({"result": {"error": 0, "deleted": deleted.to_string()}}),
        ))
    }

    // ---- devices ----

    /// `/gateway/mobile/list/`.
    pub(crate) fn devices(&self, p: &Params) -> Result<Reply, Reply> {
        const LIMIT: usize = 3;
        let sid = p.non_empty("sid");
        let search = p.non_empty("search").map(str::to_lowercase);
        let items: Vec<Value> = self
            .devices
            .iter()
            .filter(|d| sid.is_none_or(|s| d.sid == s))
            .filter(|d| {
                search.as_deref().is_none_or(|q| {
                    [
                        d.sid.clone(),
                        d.label.clone(),
                        d.version.clone(),
                        d.battery.to_string(),
                        wire::sql_datetime(d.connected_at),
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(q))
                })
            })
            .map(Device::item)
            .collect();
        let now = self.devices.len();
        Ok(Reply::ok(json!({
            "success": true,
            "connected_available": LIMIT.saturating_sub(now),
            "connected_limit": LIMIT,
            "connected_now": now,
            "filters": {"sid": sid, "search": p.non_empty("search")},
            "items": items,
            "note": "",
        })))
    }

    /// `/gateway/mobile/update/`: `label` is required but may be empty.
    pub(crate) fn update_device(&mut self, p: &Params) -> Result<Reply, Reply> {
        let sid = p.required("sid")?;
        let label = p.get("label").ok_or_else(|| Reply::missing("label"))?;
        match self.devices.iter_mut().find(|d| d.sid == sid) {
            Some(d) => {
                d.label = label.to_owned();
                Ok(Reply::ok(
                    json!({"success": true, "sid": sid, "label": label, "note": "label updated"}),
                ))
            }
            None => Ok(Reply::ok(
                json!({"success": false, "error": "device_not_found", "note": "no connected phone has this sid"}),
            )),
        }
    }

    /// `/gateway/mobile/delete/`: the device and all its history rows.
    pub(crate) fn delete_device(&mut self, p: &Params) -> Result<Reply, Reply> {
        let sid = p.required("sid")?;
        if !self.devices.iter().any(|d| d.sid == sid) {
            return Ok(Reply::ok(
                json!({"success": false, "error": "device_not_found", "note": "no connected phone has this sid"}),
            ));
        }
        self.devices.retain(|d| d.sid != sid);
        let rows = self.messages.len() + self.received.len();
        self.messages.retain(|m| m.view.sid != sid);
        self.received.retain(|r| r.sid != sid);
        let deleted = rows - self.messages.len() - self.received.len();
        Ok(Reply::ok(
            json!({"success": true, "sid": sid, "deleted_rows": deleted, "note": "phone removed"}),
        ))
    }
}

/// The documented `/sendsms/` success body, field for field and in order.
#[derive(Serialize)]
struct SendAnswer<'a> {
    result: SendResult<'a>,
}

#[derive(Serialize)]
struct SendResult<'a> {
    error: u8,
    sent: &'static str,
    id: &'a str,
    note: &'static str,
    datetime: String,
    #[serde(rename = "datetimeLocal")]
    datetime_local: String,
    port: Option<String>,
    iac_control: &'static str,
    iac_authorized: &'static str,
    send_with_whatsapp: &'static str,
    encrypted: Status,
    trial_account: Trial,
}

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

#[derive(Serialize)]
struct Trial {
    status: &'static str,
    sms_sent: u32,
}

#[derive(Clone, Copy)]
enum Before {
    Seq(u64),
    Time(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_774_040_864;

    fn state() -> State {
        State::new("k".into(), Faults::default(), 1, None, NOW)
    }

    fn params(q: &str) -> Params {
        Params::parse(Some(q), None, b"")
    }

    #[test]
    fn guids_are_40_hex_unique_and_seeded() {
        let mut a = state();
        let mut b = state();
        let ga: Vec<String> = (0..200).map(|_| a.new_guid()).collect();
        let gb: Vec<String> = (0..200).map(|_| b.new_guid()).collect();
        assert_eq!(ga, gb);
        assert!(
            ga.iter()
                .all(|g| g.len() == 40 && g.chars().all(|c| c.is_ascii_hexdigit()))
        );
        assert_eq!(ga.iter().collect::<HashSet<_>>().len(), 200);
    }

    #[test]
    fn the_send_answer_keeps_the_documented_field_order() {
        let mut s = state();
        let r = s
            .send(&params("recipients=1&message=a"), NOW, Draw::default())
            .unwrap();
        let text = r.ordered.unwrap();
        let guid = r.body["result"]["id"].as_str().unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"result":{{"error":0,"sent":"1","id":"{guid}","note":"sent by mobile","datetime":"2026-03-20T21:07:44Z","datetimeLocal":"2026-03-20T21:07:44+00:00","port":null,"iac_control":"1","iac_authorized":"1","send_with_whatsapp":"0","encrypted":{{"status":"0"}},"trial_account":{{"status":"0","sms_sent":0}}}}}}"#
            )
        );
    }

    #[test]
    fn a_scheduled_message_is_pending_until_its_time() {
        let mut s = state();
        let q = format!(
            "recipients=32470123489&message=hi&schedule_timestamp={}",
            NOW + 60
        );
        s.send(&params(&q), NOW, Draw::default()).unwrap();
        assert_eq!(s.messages(NOW + 59)[0].state, MessageState::Pending);
        assert_eq!(s.messages(NOW + 60)[0].state, MessageState::Sent);
    }

    #[test]
    fn whatsapp_to_a_plus_number_fails_on_the_phone() {
        let mut s = state();
        let r = s
            .send(
                &params("recipients=%2B32470123489&message=hi&waonly=yes"),
                NOW,
                Draw::default(),
            )
            .unwrap();
        assert_eq!(r.body["result"]["sent"], "1", "the API accepts it");
        assert_eq!(s.messages(NOW)[0].state, MessageState::ErrorMobile);
    }

    #[test]
    fn resend_only_applies_to_errors() {
        let mut s = state();
        let failing = Draw {
            phone_failure: true,
            ..Draw::default()
        };
        let r = s
            .send(&params("recipients=1&message=a"), NOW, failing)
            .unwrap();
        let guid = r.body["result"]["id"].as_str().unwrap().to_owned();
        let again = s.resend(&params(&format!("guid={guid}")), NOW).unwrap();
        assert_eq!(again.body["result"]["error"], 0);
        assert_eq!(s.messages(NOW)[0].state, MessageState::Sent);
        let twice = s.resend(&params(&format!("guid={guid}")), NOW).unwrap();
        assert_eq!(twice.body["result"]["error"], "not_in_error");
    }
}
