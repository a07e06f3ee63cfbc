//! HTTP routing: each handler checks what it must (size, signature, token), hands the work to
//! the inbox queue or the Ledger, and answers fast. Nothing here sends a message.

use futures_util::StreamExt;
use ordersms_core::{Platform, Webhook, WebhookInput};
use worker::{Env, Method, Request, Response, Result};

use crate::api::{Api, now_unix};
use crate::delivery::{self, State};
use crate::logline::{emit, fields};
use crate::protocol::{
    Backlog, EraseRequest, EraseResponse, InboxJob, IngestRequest, IngestResponse, MessageRow,
    MessagesRequest, RetryRequest, RetryResponse,
};
use crate::settings::Settings;

pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let path = req.path();
    let method = req.method();
    match (method, path.as_str()) {
        // HEAD too: uptime monitors often probe with it, and a 405 reads as "down".
        (Method::Get | Method::Head, "/healthz") => healthz(&env).await,
        (Method::Post, "/webhooks/shopify") => order_webhook(req, &env, Platform::Shopify).await,
        (Method::Post, "/webhooks/woocommerce") => {
            order_webhook(req, &env, Platform::WooCommerce).await
        }
        (Method::Post, p) if is_reply_route(p) => crate::replies::handle(req, &env).await,
        (Method::Get, "/admin/messages") => admin_messages(req, &env).await,
        (Method::Post, p) if admin_retry_key(p).is_some() => admin_retry(req, &env).await,
        (Method::Post, ADMIN_ERASE) => admin_erase(req, &env).await,
        (_, p) => match allowed_methods(p) {
            Some(allow) => {
                let reason = if is_reply_route(p) {
                    "method not allowed: SMSMobileAPI webhooks are POST"
                } else {
                    "method not allowed"
                };
                let mut resp = Response::error(reason, 405)?;
                resp.headers_mut().set("Allow", allow)?;
                Ok(resp)
            }
            None => Response::error("not found", 404),
        },
    }
}

/// The methods a route answers, for a 405's `Allow` header (HTTP requires it); `None` for
/// a path that is no route.
fn allowed_methods(path: &str) -> Option<&'static str> {
    match path {
        "/healthz" => Some("GET, HEAD"),
        "/admin/messages" => Some("GET"),
        p if admin_retry_key(p).is_some() => Some("POST"),
        ADMIN_ERASE => Some("POST"),
        "/webhooks/shopify" | "/webhooks/woocommerce" => Some("POST"),
        p if is_reply_route(p) => Some("POST"),
        _ => None,
    }
}

/// The SMSMobileAPI reply webhook: signed at the bare path, legacy with the secret after it.
fn is_reply_route(path: &str) -> bool {
    path == "/webhooks/smsmobileapi" || path.starts_with("/webhooks/smsmobileapi/")
}

pub(crate) fn settings(env: &Env) -> std::result::Result<Settings, String> {
    Settings::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
        .map_err(|e| e.to_string())
}

pub(crate) fn secret(env: &Env, name: &str) -> Option<String> {
    usable_secret(
        env.secret(name)
            .map(|s| s.to_string())
            .or_else(|_| env.var(name).map(|v| v.to_string()))
            .ok(),
    )
}

/// A secret that is unset, empty or blank (a space or line break pasted as the value, which
/// anyone could sign with) authenticates nobody, and `/healthz` names it as not set.
fn usable_secret(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

/// Reads the body, refusing more than `max` bytes (413). A declared Content-Length is
/// checked before reading; a body sent without one (chunked) is read chunk by chunk and
/// refused as soon as it passes `max`, so an endless upload is never held in memory whole.
/// The error is the status and reason to answer with.
pub(crate) async fn capped_body(
    req: &mut Request,
    max: usize,
) -> std::result::Result<Vec<u8>, (u16, String)> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || (413, format!("body larger than {max} bytes"));
    let unreadable = || (400, "could not read the body".to_owned());
    match declared {
        Some(n) if n > max as u64 => Err(too_large()),
        Some(_) => match req.bytes().await {
            Ok(bytes) if bytes.len() > max => Err(too_large()),
            Ok(bytes) => Ok(bytes),
            Err(_) => Err(unreadable()),
        },
        None => {
            // No body at all is an empty one, as `bytes()` would say.
            let Ok(mut chunks) = req.stream() else {
                return Ok(Vec::new());
            };
            let mut body = Vec::new();
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|_| unreadable())?;
                if body.len() + chunk.len() > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        }
    }
}

async fn healthz(env: &Env) -> Result<Response> {
    let config = crate::shop::load(env);
    let settings = settings(env);
    let api = Api::from_env(env, 1).err().map(|e| e.to_string());
    let mut problems = Vec::new();
    if let Err(e) = config.as_ref() {
        problems.push(e.clone());
    }
    if let Err(e) = &settings {
        problems.push(e.clone());
    }
    if let Some(e) = &api {
        problems.push(e.clone());
    }
    let (missing, secrets_ok) = missing_secrets(|name| secret(env, name).is_some());
    problems.extend(missing);
    problems.extend(rotation_leftovers(|name| secret(env, name).is_some()));
    let (config_source, var_hides_file) = crate::shop::source(env);
    problems.extend(var_hides_file);
    // Messages stuck on their way out: the sending phone is likely offline, and the merchant's
    // SMS alerts would go through it (see `delivery::stall_problem`).
    let mut delivering = true;
    if let Ok(settings) = &settings {
        let now = now_unix();
        match crate::ledger_call::<_, Backlog>(env, "/backlog", &now).await {
            Ok(backlog) => {
                let stall = delivery::stall_problem(
                    backlog.stalled,
                    backlog.oldest,
                    now,
                    settings.stalled_after_secs,
                );
                delivering = stall.is_none();
                problems.extend(stall);
            }
            Err(e) => {
                delivering = false;
                problems.push(format!("the Ledger (Durable Object) did not answer: {e}"));
            }
        }
    }
    // Unhealthy when orders cannot come in (no platform secret) or texts cannot go out (no
    // usable SMSMobileAPI credential or URL, a broken configuration, messages stuck).
    let ok = config.is_ok() && settings.is_ok() && api.is_none() && secrets_ok && delivering;
    // Anyone may ask: a number quoted by an error (the merchant's phone, a digit missing)
    // is shown by its last two digits only. Signed webhooks get the whole reason.
    let problems: Vec<String> = problems
        .iter()
        .map(|p| ordersms_core::error::mask_numbers(p))
        .collect();
    let config_label = config_source.label();
    let body = fields! {
        "ok": ok,
        "service": "ordersms",
        "version": env!("CARGO_PKG_VERSION"),
        "config": config_label,
        "problems": problems,
    };
    Ok(crate::json_answer(body)?.with_status(if ok { 200 } else { 503 }))
}

/// The order platforms' signing secrets.
const PLATFORM_SECRETS: [&str; 2] = ["SHOPIFY_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET"];

/// The secrets `/healthz` reports when unset (by name only: it is public), and whether the
/// Worker can still do its job. A shop usually sells on one platform, so one platform's
/// secret missing is a warning; with neither, every order webhook gets 401 and nothing is
/// ever sent: unhealthy. Without `ADMIN_TOKEN` only the admin list is shut, and without
/// `SMSMOBILEAPI_WEBHOOK_SECRET` customers' replies are refused, STOP included: both
/// warnings, but an operator should hear of them here, not from a refused request.
fn missing_secrets(is_set: impl Fn(&str) -> bool) -> (Vec<String>, bool) {
    let mut problems = Vec::new();
    let platforms_ok = PLATFORM_SECRETS.iter().any(|name| is_set(name));
    if platforms_ok {
        for name in PLATFORM_SECRETS.into_iter().filter(|name| !is_set(name)) {
            problems.push(format!(
                "secret {name} is not set: webhooks from that platform are refused"
            ));
        }
    } else {
        problems.push(format!(
            "secrets {} and {} are not set: every order webhook is refused (401), nothing can be sent",
            PLATFORM_SECRETS[0], PLATFORM_SECRETS[1]
        ));
    }
    if !is_set("SMSMOBILEAPI_WEBHOOK_SECRET") {
        problems.push(
            "secret SMSMOBILEAPI_WEBHOOK_SECRET is not set: customer replies (STOP included) are refused".to_owned(),
        );
    }
    if !is_set("ADMIN_TOKEN") {
        problems.push(
            "secret ADMIN_TOKEN is not set: the admin routes (/admin/messages, its retry, /admin/customers/erase) refuse every request".to_owned(),
        );
    }
    (problems, platforms_ok)
}

/// The old signing secrets still accepted (`<NAME>_PREVIOUS`, see `signed_with`): a rotation
/// done for a leak is not done while the old one opens the door, and nothing else reminds the
/// operator to delete it. A reminder, not a failure: it stays healthy.
fn rotation_leftovers(is_set: impl Fn(&str) -> bool) -> Vec<String> {
    PLATFORM_SECRETS
        .into_iter()
        .map(|name| format!("{name}_PREVIOUS"))
        .filter(|previous| is_set(previous))
        .map(|previous| {
            format!(
                "secret {previous} is set: webhooks signed with the old secret are still accepted; delete it once the shop signs with the new one"
            )
        })
        .collect()
}

async fn order_webhook(mut req: Request, env: &Env, platform: Platform) -> Result<Response> {
    let settings = match settings(env) {
        Ok(s) => s,
        Err(e) => return Response::error(e, 500),
    };
    let body = match capped_body(&mut req, settings.max_body_bytes).await {
        Ok(b) => b,
        Err((status, reason)) => return Response::error(reason, status),
    };
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let secret_name = match platform {
        Platform::Shopify => "SHOPIFY_WEBHOOK_SECRET",
        Platform::WooCommerce => "WOOCOMMERCE_WEBHOOK_SECRET",
    };
    // No secret configured = nobody can be authenticated: refuse rather than trust.
    let Some(secret) = secret(env, secret_name) else {
        emit(
            "error",
            "webhook.no_secret",
            fields! {"platform": platform.as_str(), "secret": secret_name},
        );
        return Response::error("unauthorized", 401);
    };
    // A signed request is checked by WebCrypto; an unsigned one goes to the core's own check,
    // which knows the WooCommerce ping and names the missing header.
    let mut input = WebhookInput::new(platform, &pairs, &body);
    let signature_header = ordersms_core::signature::signature_header(platform);
    match ordersms_core::signature::header(&pairs, signature_header) {
        Some(sent) => match signed_with(env, secret_name, &secret, &body, sent).await {
            Ok(Some(Signer::Current)) => {}
            Ok(Some(Signer::Previous)) => emit(
                "warn",
                "webhook.previous_secret",
                fields! {
                    "platform": platform.as_str(), "secret": format!("{secret_name}_PREVIOUS"),
                    "hint": "signed with the previous secret: delete it once the platform signs with the new one",
                },
            ),
            Ok(None) => {
                let reason = ordersms_core::WebhookError::BadSignature {
                    platform,
                    header: signature_header,
                };
                emit(
                    "warn",
                    "webhook.unauthorized",
                    fields! {"platform": platform.as_str(), "reason": reason.to_string()},
                );
                return Response::error("unauthorized", 401);
            }
            Err(e) => {
                emit(
                    "error",
                    "webhook.crypto_failed",
                    fields! {"platform": platform.as_str(), "error": e.to_string()},
                );
                return Response::error("temporarily unavailable", 503);
            }
        },
        None => input = input.with_secret(secret.as_bytes()),
    }
    let webhook = match Webhook::parse(&input) {
        Ok(w) => w,
        Err(e) if e.is_authentication() => {
            emit(
                "warn",
                "webhook.unauthorized",
                fields! {"platform": platform.as_str(), "reason": e.to_string()},
            );
            return Response::error("unauthorized", 401);
        }
        Err(e @ ordersms_core::WebhookError::UnknownTopic { .. }) => {
            // Answer 200: a 4xx would make the platform retry and finally disable the webhook.
            emit(
                "warn",
                "webhook.ignored",
                fields! {"platform": platform.as_str(), "reason": e.to_string()},
            );
            return crate::json_answer(fields! {"ok": true, "ignored": e.to_string()});
        }
        Err(e) => {
            emit(
                "warn",
                "webhook.rejected",
                fields! {"platform": platform.as_str(), "reason": e.to_string()},
            );
            return Response::error(e.to_string(), 400);
        }
    };
    match webhook {
        Webhook::Ping { .. } => return Response::ok("ok"),
        Webhook::Ignored { reason, .. } => {
            return crate::json_answer(fields! {"ok": true, "ignored": reason});
        }
        Webhook::Event(_) => {}
    }
    // A broken SHOP_CONFIG is the merchant's to fix: say why, to signed requests only.
    // Shopify gets a 500 and retries, so no order is lost once it is fixed. WooCommerce
    // never re-sends a failed delivery and disables the webhook after 5 failures in a row:
    // its order waits in the inbox queue instead, which retries the Ledger until the fix.
    // `shop::load` logged the reason when it was first read.
    let mut warning = None;
    if let Err(reason) = crate::shop::load(env).as_ref() {
        if platform != Platform::WooCommerce {
            return Response::error(reason.clone(), 500);
        }
        warning = Some(reason.clone());
    }
    // The core read the order from these bytes: serde_json accepts invalid UTF-8 in values it
    // skips, so any stray byte is in a field nothing reads. Replacing it (U+FFFD) for the
    // queue's text leaves the Ledger's parse the same; refusing would lose a signed order.
    let body = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            emit(
                "warn",
                "webhook.not_utf8",
                fields! {
                    "platform": platform.as_str(), "at_byte": e.utf8_error().valid_up_to(),
                    "action": "invalid bytes replaced in fields ordersms does not read",
                },
            );
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let job = InboxJob {
        platform: platform.as_str().to_owned(),
        headers: platform_headers(headers),
        body,
    };
    if job.body.len() <= QUEUED_BODY_MAX {
        match queue_inbox(env, &job).await {
            Ok(()) => {
                let mut answer = fields! {"ok": true, "queued": true}.to_vec();
                if let Some(reason) = &warning {
                    answer.push(("warning", crate::logline::ToField::to_field(reason)));
                }
                return crate::json_answer(&answer);
            }
            // The Ledger can still take it directly; a queue copy that did arrive after all
            // is deduplicated there like any redelivery.
            Err(e) => emit(
                "warn",
                "webhook.inbox_failed",
                fields! {"platform": platform.as_str(), "error": e.to_string()},
            ),
        }
    }
    match ingest_now(env, job).await {
        Ok(r) => crate::json_answer(
            fields! {"ok": true, "duplicate": r.duplicate, "planned": r.planned, "enqueued": r.enqueued},
        ),
        Err(e) => {
            // 5xx: the platform retries; the Ledger's dedupe makes the retry safe.
            emit(
                "error",
                "webhook.ingest_failed",
                fields! {"platform": platform.as_str(), "error": e.to_string()},
            );
            // A WooCommerce order the queue could not take while SHOP_CONFIG is broken: the
            // Ledger refused it for that, so say so, as to Shopify.
            match warning {
                Some(reason) => Response::error(reason, 500),
                None => Response::error("temporarily unavailable", 503),
            }
        }
    }
}

/// Bodies up to this many bytes go through the inbox queue; larger ones straight to the
/// Ledger. A queue message holds at most 128 KB, and V8 may store a string with non-Latin-1
/// characters at two bytes per character.
const QUEUED_BODY_MAX: usize = 60 * 1024;

/// The headers the Ledger's parse reads (topic, shop, event id); the rest are dropped so the
/// queue does not carry request metadata it has no use for.
fn platform_headers(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name.starts_with("x-shopify-") || name.starts_with("x-wc-")
        })
        .collect()
}

/// Hands a verified webhook to the inbox queue. Once `send` resolves the queue has stored it,
/// so the shop can be answered 200 without waiting for the Ledger.
async fn queue_inbox(env: &Env, job: &InboxJob) -> Result<()> {
    env.queue("INBOX")?.send(job).await
}

/// Plans and stores the webhook in the Ledger now: the inbox consumer's job, and the route's
/// path for bodies too large for a queue message.
pub(crate) async fn ingest_now(env: &Env, job: InboxJob) -> Result<IngestResponse> {
    let request = IngestRequest {
        platform: job.platform,
        headers: job.headers,
        body: job.body,
        now: now_unix(),
    };
    crate::ledger_call(env, "/ingest", &request).await
}

/// Compares secrets in time independent of where they differ and of their lengths: the
/// SHA-256 digests are compared, so a wrong guess's timing does not tell the secret's length
/// either. An empty configured secret authorizes nobody.
pub(crate) fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    if expected.is_empty() {
        return false;
    }
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Which of a platform's secrets signed a webhook.
enum Signer {
    Current,
    /// `<NAME>_PREVIOUS`, kept during a rotation.
    Previous,
}

/// Checks the signature under the platform's secret, then under `<NAME>_PREVIOUS` when one is
/// set. Why: a secret is changed in two places, the shop and the Worker, one after the other,
/// and WooCommerce never re-sends a delivery refused in between (it counts it toward disabling
/// the webhook). With the old secret kept as `_PREVIOUS` for the change, nothing is refused.
async fn signed_with(
    env: &Env,
    name: &str,
    current: &str,
    body: &[u8],
    sent: &str,
) -> Result<Option<Signer>> {
    if crate::webcrypto::verify_hmac_sha256(current, body, sent).await? {
        return Ok(Some(Signer::Current));
    }
    match secret(env, &format!("{name}_PREVIOUS")) {
        Some(previous) if crate::webcrypto::verify_hmac_sha256(&previous, body, sent).await? => {
            Ok(Some(Signer::Previous))
        }
        _ => Ok(None),
    }
}

/// Whether the request carries `Authorization: Bearer <ADMIN_TOKEN>` (none is set: no).
fn admin_authorized(req: &Request, env: &Env) -> bool {
    let given = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|v| bearer_token(&v).map(str::to_owned));
    let expected = secret(env, "ADMIN_TOKEN");
    matches!((&given, &expected), (Some(g), Some(e)) if same_secret(g, e))
}

async fn admin_messages(req: Request, env: &Env) -> Result<Response> {
    if !admin_authorized(&req, env) {
        return Response::error("unauthorized", 401);
    }
    let url = req.inner().url();
    let param = |name: &str| query_param(query_of(&url), name);
    let query = admin_limit(param("limit")).and_then(|limit| {
        Ok(MessagesRequest {
            limit,
            state: admin_state(param("state"))?,
        })
    });
    let query = match query {
        Ok(query) => query,
        Err(reason) => return Response::error(reason, 400),
    };
    let rows: Vec<MessageRow> = crate::ledger_call(env, "/messages", &query).await?;
    /// `{"messages": [...]}`.
    #[derive(serde::Serialize)]
    struct Listed {
        messages: Vec<MessageRow>,
    }
    Response::from_json(&Listed { messages: rows })
}

/// The query of a request's URL as the runtime serialized it (`web_sys::Request::url`), without
/// `?` and fragment; `None` without one. Read from the text instead of through `url::Url`
/// (`req.url()`), which was its only use, so the `url` crate and its IDNA code are not in the
/// Worker (≈ 10 KB gzipped): a serialized WHATWG URL percent-encodes `#` before its fragment
/// and `?` everywhere before its query, so the first of each is where they start.
pub(crate) fn query_of(url: &str) -> Option<&str> {
    let before_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    before_fragment.split_once('?').map(|(_, query)| query)
}

/// The first value of `name` in a query, form-decoded (`+` is a space), as
/// `url::Url::query_pairs` gives it.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The message key of `/admin/messages/<key>/retry`, as the admin list shows it, written
/// as is or percent-encoded (`encodeURIComponent` writes `alert:…` as `alert%3A…`).
fn admin_retry_key(path: &str) -> Option<std::borrow::Cow<'_, str>> {
    let key = path
        .strip_prefix("/admin/messages/")?
        .strip_suffix("/retry")
        .filter(|key| !key.is_empty() && !key.contains('/'))?;
    percent_encoding::percent_decode_str(key).decode_utf8().ok()
}

/// `POST /admin/messages/<key>/retry`: sends a failed, dead or suppressed message again
/// (after the merchant fixed the key, charged the phone...). 404 for no such message, 409 for
/// one in another state: a sent message is never sent twice from here.
async fn admin_retry(req: Request, env: &Env) -> Result<Response> {
    if !admin_authorized(&req, env) {
        return Response::error("unauthorized", 401);
    }
    let path = req.path();
    let Some(key) = admin_retry_key(&path) else {
        return Response::error("not found", 404);
    };
    let ask = RetryRequest {
        key: key.clone().into_owned(),
        now: now_unix(),
    };
    let answer: RetryResponse = crate::ledger_call(env, "/retry", &ask).await?;
    match answer.state {
        None => Response::error("no message has this key", 404),
        Some(state) if !answer.requeued => Response::error(
            format!(
                "the message is {}: only failed, dead or suppressed messages are sent again",
                state.as_str()
            ),
            409,
        ),
        Some(state) => crate::json_answer(fields! {"key": &*key, "state": state.as_str()}),
    }
}

/// Where an operator asks ordersms to forget a customer.
const ADMIN_ERASE: &str = "/admin/customers/erase";

/// `POST /admin/customers/erase` with `{"phone": "+33612345678", "opt_out": false}`: forgets
/// a customer, e.g. when they ask the shop to erase their data (see the Ledger's `erase`).
/// The number goes in the body, not the path, so it stays out of request logs. It is read
/// like the shop's customers' numbers: a national one in the shop's `default_country`.
async fn admin_erase(mut req: Request, env: &Env) -> Result<Response> {
    if !admin_authorized(&req, env) {
        return Response::error("unauthorized", 401);
    }
    let ask = match erase_ask(&req.text().await?) {
        Ok(ask) => ask,
        Err(reason) => return Response::error(reason, 400),
    };
    let config = crate::shop::load(env);
    let country = config
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|c| c.default_country());
    let phone = match ordersms_core::Phone::parse(&ask.phone, country) {
        Ok(phone) => phone,
        Err(e) => return Response::error(format!("phone: {e}"), 400),
    };
    let erase = EraseRequest {
        phone: phone.as_str().to_owned(),
        opt_out: ask.opt_out,
        now: now_unix(),
    };
    let erased: EraseResponse = crate::ledger_call(env, "/erase", &erase).await?;
    /// `{"phone": "+3361****78", "erased": {"messages": 3, "orders": 1}, "opted_out": true}`.
    #[derive(serde::Serialize)]
    struct Answer {
        phone: String,
        erased: Counts,
        opted_out: bool,
    }
    #[derive(serde::Serialize)]
    struct Counts {
        messages: u32,
        orders: u32,
    }
    Response::from_json(&Answer {
        phone: phone.masked(),
        erased: Counts {
            messages: erased.messages,
            orders: erased.orders,
        },
        opted_out: erased.opted_out,
    })
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseAsk {
    phone: String,
    #[serde(default)]
    opt_out: bool,
}

/// Reads an erasure request's body. serde quotes the value it could not read (a number sent
/// as a JSON number: ``invalid type: integer `33612345678` ``): masked, as in every answer.
fn erase_ask(body: &str) -> std::result::Result<EraseAsk, String> {
    serde_json::from_slice(body.as_bytes()).map_err(|e| {
        let detail = ordersms_core::error::mask_numbers(&e.to_string());
        format!(
            r#"the body must be JSON like {{"phone": "+33612345678", "opt_out": false}}: {detail}"#
        )
    })
}

/// The token of an `Authorization: Bearer <token>` header. The scheme name is
/// case-insensitive (RFC 9110 §11.1), so `bearer` and `BEARER` are the same scheme.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Rows `/admin/messages` lists: 100 unless `limit` says, at most the Ledger's 500. A limit
/// that is not such a number is refused rather than read as the default.
fn admin_limit(given: Option<impl AsRef<str>>) -> std::result::Result<u32, &'static str> {
    match given {
        None => Ok(100),
        Some(text) => match text.as_ref().trim().parse::<u32>() {
            Ok(n @ 1..=500) => Ok(n),
            _ => Err("limit must be a whole number from 1 to 500"),
        },
    }
}

/// The `state` filter of `/admin/messages`: one of the states a message can be in.
fn admin_state(given: Option<impl AsRef<str>>) -> std::result::Result<Option<State>, &'static str> {
    match given {
        None => Ok(None),
        Some(text) => State::parse(text.as_ref().trim()).map(Some).ok_or(
            "state must be one of queued, sending, retrying, sent, failed, dead, suppressed",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{
        State, admin_limit, admin_retry_key, admin_state, allowed_methods, bearer_token, erase_ask,
        missing_secrets, platform_headers, query_of, query_param, rotation_leftovers, same_secret,
        usable_secret,
    };

    #[test]
    fn query_parameters_read_from_the_text_are_those_url_parses() {
        // As the runtime serializes request URLs; `url::Url` (what `req.url()` parsed with)
        // is the reference.
        for url in [
            "https://o.example.workers.dev/admin/messages?limit=5&state=dead",
            "https://o.example.workers.dev/admin/messages?state=dead&limit=5&limit=9",
            "https://o.example.workers.dev/admin/messages",
            "https://o.example.workers.dev/admin/messages?",
            "https://o.example.workers.dev/admin/messages?limit",
            "https://o.example.workers.dev/admin/messages#limit=5",
            "https://o.example.workers.dev/admin/messages?limit=5#state=dead?limit=6",
            "https://o.example.workers.dev/admin/messages?state=de%61d&limit=%35+",
            "https://o.example.workers.dev/a%3Fb/messages?limit=1%232&state=%E2%9C%93",
            "https://user:p%3Fw@o.example.workers.dev:8787/x?state=a+b&state=c",
            "http://127.0.0.1:8787/webhooks/smsmobileapi?token=q7Lk+9xZ%2F0b&x=%zz",
        ] {
            let parsed = worker::Url::parse(url).unwrap();
            assert_eq!(query_of(url), parsed.query(), "{url}");
            for name in ["limit", "state", "token", "x", "missing"] {
                let expected = parsed
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned());
                assert_eq!(query_param(query_of(url), name), expected, "{url} {name}");
            }
        }
    }

    #[test]
    fn an_unreadable_erasure_request_is_refused_without_quoting_the_number() {
        for body in [
            r#"{"phone": 32470123456}"#,
            r#"{"phone": "+32470123456", "opt_out": "+32470123456"}"#,
        ] {
            let Err(reason) = erase_ask(body) else {
                panic!("{body} was read");
            };
            assert!(!reason.contains("470123456"), "{reason}");
            assert!(reason.contains("the body must be JSON like"), "{reason}");
        }
        let ask = erase_ask(r#"{"phone": "06 12 34 56 78", "opt_out": true}"#).unwrap();
        assert_eq!((ask.phone.as_str(), ask.opt_out), ("06 12 34 56 78", true));
    }

    #[test]
    fn the_retry_route_names_one_message_key() {
        let key = "9f2c4be0a1d35e7f8c6b2a4d1e0f3c5a";
        assert_eq!(
            admin_retry_key(&format!("/admin/messages/{key}/retry")).as_deref(),
            Some(key)
        );
        assert_eq!(
            admin_retry_key(&format!("/admin/messages/alert:{key}/retry")).as_deref(),
            Some(format!("alert:{key}").as_str())
        );
        // As `encodeURIComponent` writes it.
        assert_eq!(
            admin_retry_key(&format!("/admin/messages/alert%3A{key}/retry")).as_deref(),
            Some(format!("alert:{key}").as_str())
        );
        for path in [
            "/admin/messages//retry",
            "/admin/messages/retry",
            "/admin/messages/a/b/retry",
            "/admin/messages/abc",
            "/admin/messages/abc/retry/",
        ] {
            assert_eq!(admin_retry_key(path), None, "{path}");
        }
        assert_eq!(
            allowed_methods(&format!("/admin/messages/{key}/retry")),
            Some("POST")
        );
    }

    #[test]
    fn the_admin_list_filters_by_a_state_it_knows() {
        assert_eq!(admin_state(None::<&str>), Ok(None));
        assert_eq!(admin_state(Some("dead")), Ok(Some(State::Dead)));
        assert_eq!(admin_state(Some(" retrying ")), Ok(Some(State::Retrying)));
        for bad in ["", "DEAD", "lost", "sent,dead"] {
            assert!(admin_state(Some(bad)).is_err(), "{bad:?}");
        }
    }

    const ALL: [&str; 4] = [
        "SHOPIFY_WEBHOOK_SECRET",
        "WOOCOMMERCE_WEBHOOK_SECRET",
        "SMSMOBILEAPI_WEBHOOK_SECRET",
        "ADMIN_TOKEN",
    ];

    fn missing_of(unset: &[&str]) -> (Vec<String>, bool) {
        missing_secrets(|name| !unset.contains(&name))
    }

    #[test]
    fn healthz_reminds_of_an_old_signing_secret_left_after_a_rotation() {
        assert!(rotation_leftovers(|name| !name.ends_with("_PREVIOUS")).is_empty());
        let left = rotation_leftovers(|name| name != "SHOPIFY_WEBHOOK_SECRET_PREVIOUS");
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].starts_with("secret WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS is set"));
        assert!(left[0].contains("delete it"));
    }

    #[test]
    fn healthz_is_quiet_and_healthy_with_every_secret_set() {
        assert_eq!(missing_of(&[]), (vec![], true));
    }

    #[test]
    fn healthz_names_a_missing_admin_token_or_reply_secret_and_stays_healthy() {
        let (problems, ok) = missing_of(&["ADMIN_TOKEN"]);
        assert!(ok);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("ADMIN_TOKEN"), "{problems:?}");
        assert!(problems[0].contains("/admin/messages"), "{problems:?}");
        let (problems, ok) = missing_of(&["SMSMOBILEAPI_WEBHOOK_SECRET"]);
        assert!(ok);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("SMSMOBILEAPI_WEBHOOK_SECRET"),
            "{problems:?}"
        );
        assert!(problems[0].contains("STOP"), "{problems:?}");
    }

    #[test]
    fn healthz_stays_healthy_for_a_shop_on_one_platform() {
        for unset in ["SHOPIFY_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET"] {
            let (problems, ok) = missing_of(&[unset]);
            assert!(ok, "{unset}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains(unset), "{problems:?}");
        }
    }

    #[test]
    fn healthz_is_unhealthy_with_no_platform_secret_and_names_every_missing_one() {
        let (problems, ok) = missing_of(&ALL);
        assert!(!ok, "no order webhook can be accepted");
        let text = problems.join(" | ");
        for name in ALL {
            assert!(text.contains(name), "{name} not named: {text}");
        }
        assert!(text.contains("every order webhook"), "{text}");
    }

    #[test]
    fn the_admin_token_is_read_whatever_the_case_of_the_scheme() {
        for header in [
            "Bearer e2e-admin-token",
            "bearer e2e-admin-token",
            "BEARER e2e-admin-token",
            "Bearer  e2e-admin-token ",
        ] {
            assert_eq!(bearer_token(header), Some("e2e-admin-token"), "{header:?}");
        }
        for header in [
            "Basic e2e-admin-token",
            "Bearer",
            "Bearer ",
            "e2e-admin-token",
        ] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn admin_limit_defaults_to_100_and_refuses_what_is_not_1_to_500() {
        assert_eq!(admin_limit(None::<&str>), Ok(100));
        assert_eq!(admin_limit(Some("25")), Ok(25));
        assert_eq!(admin_limit(Some("500")), Ok(500));
        for bad in ["abc", "", "0", "501", "-1", "2.5"] {
            assert!(admin_limit(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_wrong_method_is_told_what_the_route_allows() {
        assert_eq!(allowed_methods("/healthz"), Some("GET, HEAD"));
        assert_eq!(allowed_methods("/admin/messages"), Some("GET"));
        assert_eq!(allowed_methods("/webhooks/woocommerce"), Some("POST"));
        assert_eq!(
            allowed_methods("/webhooks/smsmobileapi/s3cret"),
            Some("POST")
        );
        assert_eq!(allowed_methods("/webhooks/nope"), None);
    }

    #[test]
    fn the_inbox_keeps_only_the_platform_headers() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let kept = platform_headers(pairs(&[
            ("content-type", "application/json"),
            ("X-Shopify-Topic", "orders/create"),
            ("x-shopify-event-id", "e1"),
            ("cf-connecting-ip", "203.0.113.7"),
            ("X-WC-Webhook-Topic", "order.created"),
            ("cookie", "session=1"),
        ]));
        assert_eq!(
            kept,
            pairs(&[
                ("X-Shopify-Topic", "orders/create"),
                ("x-shopify-event-id", "e1"),
                ("X-WC-Webhook-Topic", "order.created"),
            ])
        );
    }

    #[test]
    fn a_blank_secret_is_no_secret() {
        // A secret pasted as a space or a line break in the dashboard or .dev.vars: "set",
        // but anyone can sign with it. It must refuse everyone and be named by /healthz.
        for blank in ["", " ", "\n", "\r\n", " \t "] {
            assert_eq!(usable_secret(Some(blank.to_owned())), None, "{blank:?}");
        }
        assert_eq!(usable_secret(None), None);
        assert_eq!(
            usable_secret(Some("e2e-admin-token".to_owned())).as_deref(),
            Some("e2e-admin-token")
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("abcd", "abc"));
        assert!(!same_secret("", "abc"));
        assert!(
            !same_secret("", ""),
            "an empty configured secret authorizes nobody"
        );
    }
}
