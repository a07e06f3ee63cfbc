//! The HTTP edge: routes, parameter extraction, fault application, the `/_sandbox/` control
//! endpoints and the per-request log line. Endpoint logic lives in `state`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};

use crate::faults::Draw;
use crate::state::State;
use crate::webhook::{self, WebhookConfig, WebhookFormat};
use crate::wire::{self, Params, Reply};

/// The state shared by every request.
#[derive(Clone)]
pub(crate) struct App {
    pub(crate) state: Arc<Mutex<State>>,
    pub(crate) log_requests: bool,
}

impl App {
    /// Locks the state; a panic elsewhere while holding it must not take the sandbox down.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The largest clock offset `/_sandbox/config` takes: 100 years of seconds.
const MAX_CLOCK_OFFSET_SECS: u64 = 100 * 31_557_600;

/// Wall-clock milliseconds, plus the offset tests may set to move time forward.
pub(crate) fn now_ms(offset_secs: i64) -> i64 {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    wall + offset_secs * 1000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    SendSms,
    Resend,
    Log,
    GetSms,
    SetRead,
    DeleteSms,
    DeviceList,
    DeviceUpdate,
    DeviceDelete,
    Token,
}

impl Endpoint {
    const ALL: [Endpoint; 10] = [
        Endpoint::SendSms,
        Endpoint::Resend,
        Endpoint::Log,
        Endpoint::GetSms,
        Endpoint::SetRead,
        Endpoint::DeleteSms,
        Endpoint::DeviceList,
        Endpoint::DeviceUpdate,
        Endpoint::DeviceDelete,
        Endpoint::Token,
    ];

    fn path(self) -> &'static str {
        match self {
            Endpoint::SendSms => "/sendsms/",
            Endpoint::Resend => "/resend/",
            Endpoint::Log => "/log/sent/sms/",
            Endpoint::GetSms => "/getsms/",
            Endpoint::SetRead => "/getsms/set-read/",
            Endpoint::DeleteSms => "/deletesms/",
            Endpoint::DeviceList => "/gateway/mobile/list/",
            Endpoint::DeviceUpdate => "/gateway/mobile/update/",
            Endpoint::DeviceDelete => "/gateway/mobile/delete/",
            Endpoint::Token => "/oauth2/token",
        }
    }
}

pub(crate) fn router(app: App) -> Router {
    let mut r = Router::new();
    for ep in Endpoint::ALL {
        r = r.route(
            ep.path(),
            any(
                move |s: AxState<App>, m: Method, u: Uri, h: HeaderMap, b: Bytes| {
                    api(ep, s, m, u, h, b)
                },
            ),
        );
    }
    r.route("/sendsms", any(sendsms_without_slash))
        .route("/_sandbox/messages", get(messages).delete(reset))
        .route("/_sandbox/received", get(received).post(inject))
        .route("/_sandbox/faults", get(faults).post(set_faults))
        .route("/_sandbox/config", get(config).post(set_config))
        .route("/_sandbox/stats", get(stats))
        .fallback(not_found)
        .with_state(app)
}

fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = match reply.ordered {
        Some(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        None => (status, axum::Json(reply.body)).into_response(),
    };
    if let Some(secs) = reply.retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// One API request: count it, draw its faults, delay it, fail it or run the endpoint.
async fn api(
    ep: Endpoint,
    AxState(app): AxState<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let allowed = if ep == Endpoint::Token {
        method == Method::POST
    } else {
        method == Method::GET || method == Method::POST
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let params = Params::parse(uri.query(), content_type, &body);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());

    let (draw, slow_ms) = {
        let mut st = app.lock();
        st.count_request(ep.path());
        let draw = st.draw();
        if draw.slow {
            st.count_fault("slow");
        }
        (draw, st.faults.slow_ms)
    };
    if draw.slow {
        tokio::time::sleep(Duration::from_millis(slow_ms)).await;
    }
    let (reply, fault) = {
        let mut st = app.lock();
        let now = now_ms(st.clock_offset_secs).div_euclid(1000);
        if !allowed {
            (
                Reply::error(
                    405,
                    "method_not_allowed",
                    format!("{method} is not allowed on {}", ep.path()),
                ),
                None,
            )
        } else if draw.too_many {
            st.count_fault("429");
            let secs = st.faults.retry_after_secs;
            let mut r = Reply::error(429, "rate_limited", "too many requests: retry later");
            r.retry_after = Some(secs);
            (r, Some("429"))
        } else if draw.internal {
            st.count_fault("500");
            (
                Reply::error(500, "internal_error", "internal server error"),
                Some("500"),
            )
        } else if ep == Endpoint::Resend && draw.resend_failure {
            st.count_fault("resend_500");
            (
                Reply::error(500, "internal_error", "internal server error"),
                Some("resend_500"),
            )
        } else if ep == Endpoint::Token {
            (st.token(&params, now), None)
        } else {
            let reply = match st.authorize(&params, bearer.as_deref(), now) {
                Err(r) => r,
                Ok(()) => dispatch(ep, &mut st, &params, now, draw).unwrap_or_else(|r| r),
            };
            let fault = reply.fault;
            (reply, fault)
        }
    };
    if app.log_requests {
        log_line(
            &method,
            ep.path(),
            &params,
            &reply,
            fault,
            draw.slow,
            started.elapsed(),
        );
    }
    respond(reply)
}

fn dispatch(
    ep: Endpoint,
    st: &mut State,
    p: &Params,
    now: i64,
    draw: Draw,
) -> Result<Reply, Reply> {
    match ep {
        Endpoint::SendSms => st.send(p, now, draw),
        Endpoint::Resend => st.resend(p, now),
        Endpoint::Log => st.log(p, now),
        Endpoint::GetSms => st.getsms(p),
        Endpoint::SetRead => st.set_read(p),
        Endpoint::DeleteSms => st.delete_sms(p),
        Endpoint::DeviceList => st.devices(p),
        Endpoint::DeviceUpdate => st.update_device(p),
        Endpoint::DeviceDelete => st.delete_device(p),
        Endpoint::Token => Ok(st.token(p, now)),
    }
}

/// `METHOD /path STATUS [fault] to=<masked> guid=<id> <ms>ms`, on stderr. Never the
/// message text, the key or an unmasked number.
fn log_line(
    method: &Method,
    path: &str,
    p: &Params,
    reply: &Reply,
    fault: Option<&str>,
    slow: bool,
    took: Duration,
) {
    let mut line = format!("{method} {path} {}", reply.status);
    if slow {
        line.push_str(" [slow]");
    }
    if let Some(f) = fault {
        line.push_str(&format!(" [{f}]"));
    }
    if let Some(to) = p.non_empty("recipients") {
        line.push_str(&format!(" to={}", wire::mask_phones(to)));
    }
    if let Some(id) = reply
        .body
        .get("result")
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .or(reply.recorded_guid.as_deref())
    {
        line.push_str(&format!(" guid={id}"));
    }
    eprintln!("{line} {}ms", took.as_millis());
}

/// Clients must POST to `/sendsms/`; like the real API, the slash-less path does not work.
async fn sendsms_without_slash(method: Method, uri: Uri) -> Response {
    if method == Method::GET {
        let location = match uri.query() {
            Some(q) => format!("/sendsms/?{q}"),
            None => "/sendsms/".to_owned(),
        };
        return (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response();
    }
    respond(Reply::error(
        405,
        "method_not_allowed",
        format!("{method} /sendsms is not supported: use /sendsms/ with the trailing slash"),
    ))
}

async fn not_found(uri: Uri) -> Response {
    respond(Reply::error(
        404,
        "not_found",
        format!("no endpoint at {}", uri.path()),
    ))
}

// ---- /_sandbox/ ----

fn json_body(body: &Bytes) -> Result<Value, Reply> {
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| Reply::error(400, "invalid_json", format!("the body is not JSON: {e}")))
}

async fn messages(AxState(app): AxState<App>) -> Response {
    let st = app.lock();
    let now = now_ms(st.clock_offset_secs).div_euclid(1000);
    respond(Reply::ok(json!({"messages": st.messages(now)})))
}

async fn reset(AxState(app): AxState<App>) -> Response {
    app.lock().reset();
    respond(Reply::ok(json!({"reset": true})))
}

async fn received(AxState(app): AxState<App>) -> Response {
    let st = app.lock();
    let params = Params::default();
    match st.getsms(&params) {
        Ok(r) | Err(r) => respond(Reply::ok(json!({"received": r.body["result"]["sms"]}))),
    }
}

/// `POST /_sandbox/received {"number","message","sIdentifiantPhone"?,"alias"?,"deliver_twice"?}`.
async fn inject(AxState(app): AxState<App>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return respond(r),
    };
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty())
    };
    let (Some(number), Some(message)) = (field("number"), field("message")) else {
        return respond(Reply::error(
            400,
            "missing_parameter",
            "the JSON body needs \"number\" and \"message\"",
        ));
    };
    let twice = v
        .get("deliver_twice")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (row, deliveries, url) = {
        let mut st = app.lock();
        let now_ms = now_ms(st.clock_offset_secs);
        let sms = st.inject(
            number,
            message,
            field("sIdentifiantPhone"),
            field("alias"),
            now_ms,
        );
        let event_id = format!("evt_{}", st.new_guid());
        let deliveries = match &st.webhook {
            Some(cfg) => webhook::deliveries(cfg, &sms, &event_id, now_ms.div_euclid(1000)),
            None => Vec::new(),
        };
        (
            State::received_row(&sms),
            deliveries,
            st.webhook.as_ref().map(|w| w.url.clone()),
        )
    };
    let mut outcomes = Vec::new();
    if let Some(url) = url {
        let rounds = if twice { 2 } else { 1 };
        for _ in 0..rounds {
            for d in &deliveries {
                let (url, d2) = (url.clone(), d.clone());
                let result = tokio::task::spawn_blocking(move || webhook::post(&url, &d2))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                outcomes.push(match result {
                    Ok(status) => json!({"format": d.format, "status": status}),
                    Err(e) => json!({"format": d.format, "error": e}),
                });
            }
        }
    }
    respond(Reply::ok(json!({"received": row, "webhooks": outcomes})))
}

fn faults_view(st: &State) -> Value {
    let mut v = serde_json::to_value(&st.faults).unwrap_or_else(|_| json!({}));
    v["seed"] = json!(st.seed);
    v
}

async fn faults(AxState(app): AxState<App>) -> Response {
    respond(Reply::ok(faults_view(&app.lock())))
}

/// Applies `{"seed"?, <fault fields>...}`; fields not named keep their values.
fn apply_faults(st: &mut State, patch: &Value) -> Result<(), Reply> {
    let mut patch = patch.clone();
    let seed = match patch.as_object_mut().and_then(|o| o.remove("seed")) {
        None | Some(Value::Null) => None,
        Some(s) => Some(s.as_u64().ok_or_else(|| {
            Reply::error(400, "invalid_parameter", "seed must be an unsigned integer")
        })?),
    };
    st.faults = st
        .faults
        .patched(&patch)
        .map_err(|e| Reply::error(400, "invalid_faults", e))?;
    if let Some(seed) = seed {
        st.reseed(seed);
    }
    Ok(())
}

async fn set_faults(AxState(app): AxState<App>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return respond(r),
    };
    let mut st = app.lock();
    match apply_faults(&mut st, &v) {
        Ok(()) => respond(Reply::ok(faults_view(&st))),
        Err(r) => respond(r),
    }
}

fn config_view(st: &State) -> Value {
    json!({
        "webhook_url": st.webhook.as_ref().map(|w| w.url.clone()),
        "webhook_secret": st.webhook.as_ref().and_then(|w| w.secret.as_ref()).map(|_| "********"),
        "webhook_format": st.webhook.as_ref().map(|w| w.format),
        "faults": faults_view(st),
        "clock_offset_secs": st.clock_offset_secs,
    })
}

async fn config(AxState(app): AxState<App>) -> Response {
    respond(Reply::ok(config_view(&app.lock())))
}

/// `POST /_sandbox/config {"webhook_url"?, "webhook_secret"?, "webhook_format"?, "faults"?,
/// "clock_offset_secs"?}`. `"webhook_url": null` removes the webhook. All or nothing.
async fn set_config(AxState(app): AxState<App>, body: Bytes) -> Response {
    let v = match json_body(&body) {
        Ok(v) => v,
        Err(r) => return respond(r),
    };
    let bad = |msg: &str| respond(Reply::error(400, "invalid_config", msg));
    const FIELDS: [&str; 5] = [
        "webhook_url",
        "webhook_secret",
        "webhook_format",
        "faults",
        "clock_offset_secs",
    ];
    let Some(fields) = v.as_object() else {
        return bad("the body must be a JSON object");
    };
    // A misspelt field would otherwise answer 200 and change nothing.
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return bad(&format!(
            "unknown field {unknown:?}: expected {}",
            FIELDS.join(", ")
        ));
    }
    let mut st = app.lock();
    // The URL sets or removes the webhook; a secret or a format alone changes the one
    // configured (its URL kept), and is refused when there is none.
    let (url, old_secret, old_format) = match (v.get("webhook_url"), &st.webhook) {
        (None, Some(w)) => (Some(w.url.clone()), w.secret.clone(), Some(w.format)),
        (None, None) => {
            if v.get("webhook_secret").is_some() || v.get("webhook_format").is_some() {
                return bad(
                    "no webhook is configured: give webhook_url with webhook_secret or webhook_format",
                );
            }
            (None, None, None)
        }
        (Some(Value::Null), _) => (None, None, None),
        (Some(Value::String(url)), w) => (
            Some(url.clone()),
            w.as_ref().and_then(|w| w.secret.clone()),
            None,
        ),
        (Some(_), _) => return bad("webhook_url must be a string or null"),
    };
    let webhook = match url {
        None => None,
        Some(url) => {
            let secret = match v.get("webhook_secret") {
                Some(Value::String(s)) => Some(s.clone()),
                None | Some(Value::Null) => old_secret,
                Some(_) => return bad("webhook_secret must be a string"),
            };
            // Not given: the configured webhook's (a new secret does not change it), or for
            // a new URL v2 with a secret, legacy without.
            let format = match v.get("webhook_format") {
                None | Some(Value::Null) => match old_format {
                    Some(f) => f,
                    None if secret.is_some() => WebhookFormat::V2,
                    None => WebhookFormat::Legacy,
                },
                Some(f) => match serde_json::from_value(f.clone()) {
                    Ok(f) => f,
                    Err(_) => return bad("webhook_format must be \"legacy\", \"v2\" or \"both\""),
                },
            };
            let cfg = WebhookConfig {
                url,
                secret,
                format,
            };
            if let Err(e) = cfg.validate() {
                return bad(&e.to_string());
            }
            Some(cfg)
        }
    };
    let offset = match v.get("clock_offset_secs") {
        None => st.clock_offset_secs,
        Some(o) => match o.as_i64() {
            // Bounded so that wall clock + offset stays a representable time in ms.
            Some(o) if o.unsigned_abs() <= MAX_CLOCK_OFFSET_SECS => o,
            Some(_) => {
                return bad("clock_offset_secs must be within 100 years (±3155760000) of now");
            }
            None => return bad("clock_offset_secs must be an integer"),
        },
    };
    // apply_faults changes nothing when it fails, so a refused patch leaves the config whole.
    if let Some(f) = v.get("faults")
        && let Err(r) = apply_faults(&mut st, f)
    {
        return respond(r);
    }
    st.webhook = webhook;
    st.clock_offset_secs = offset;
    respond(Reply::ok(config_view(&st)))
}

async fn stats(AxState(app): AxState<App>) -> Response {
    let st = app.lock();
    respond(Reply::ok(
        serde_json::to_value(&st.stats).unwrap_or_else(|_| json!({})),
    ))
}
