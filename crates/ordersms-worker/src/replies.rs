//! `POST /webhooks/smsmobileapi`: SMS customers send to the shop's phone. Two formats:
//! the signed V2 webhook (HMAC over `timestamp.body`, 300 s tolerance, event id dedupe) and
//! the legacy unsigned JSON, accepted only with the secret token in the URL
//! (`/webhooks/smsmobileapi/<SMSMOBILEAPI_WEBHOOK_SECRET>` or `?token=`).

use serde_json::json;
use smsmobileapi::webhook::{self, EventData, LegacyReceivedSms, SignedHeaders};
use worker::{Env, Request, Response, Result};

use crate::api::now_unix;
use crate::logline::emit;
use crate::protocol::{ReplyRequest, ReplyResponse};
use crate::routes::{capped_body, same_secret, secret, settings};

pub async fn handle(mut req: Request, env: &Env) -> Result<Response> {
    let Some(secret) = secret(env, "SMSMOBILEAPI_WEBHOOK_SECRET") else {
        emit(
            "error",
            "reply.no_secret",
            json!({"secret": "SMSMOBILEAPI_WEBHOOK_SECRET"}),
        );
        return Response::error("unauthorized", 401);
    };
    let max = settings(env)
        .map(|s| s.max_body_bytes)
        .unwrap_or(1024 * 1024);
    let body = match capped_body(&mut req, max).await {
        Ok(b) => b,
        Err((status, reason)) => return Response::error(reason, status),
    };
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    let lookup = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let now = now_unix();
    let reply = if lookup("X-SMSMobileAPI-Signature").is_some() {
        let verified = SignedHeaders::from_lookup(lookup)
            .and_then(|h| webhook::verify(secret.as_bytes(), &h, &body, now.max(0) as u64));
        let event = match verified {
            Ok(event) => event,
            Err(e) => {
                emit(
                    "warn",
                    "reply.unauthorized",
                    json!({"reason": e.to_string()}),
                );
                return Response::error("unauthorized", 401);
            }
        };
        match event.data {
            EventData::SmsReceived(m) | EventData::WhatsappReceived(m) => ReplyRequest {
                // Keyed by the SMS's GUID when it has one, like the legacy format: a phone
                // configured to post both formats gets each reply handled once.
                event_key: match &m.guid {
                    Some(guid) => format!("sms:{guid}"),
                    None => format!("smsmobileapi-event:{}", event.id),
                },
                from: m.from,
                text: m.message,
                guid: m.guid,
                now,
            },
            other => {
                let kind = serde_json::to_value(&other)
                    .ok()
                    .and_then(|v| v.get("type").cloned());
                emit("info", "reply.event_ignored", json!({"type": kind}));
                return Response::ok("ok");
            }
        }
    } else {
        let url = req.url()?;
        let token = url
            .path()
            .strip_prefix("/webhooks/smsmobileapi/")
            .map(str::to_owned)
            .or_else(|| {
                url.query_pairs()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.into_owned())
            });
        if !token.is_some_and(|t| same_secret(&t, &secret)) {
            emit(
                "warn",
                "reply.unauthorized",
                json!({"reason": "legacy webhook without the right token"}),
            );
            return Response::error("unauthorized", 401);
        }
        let sms = match LegacyReceivedSms::parse(&body) {
            Ok(sms) => sms,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        let id = sms.guid.clone().unwrap_or_else(|| {
            format!(
                "{}|{}|{}",
                sms.number,
                sms.time_received.clone().unwrap_or_default(),
                sms.message
            )
        });
        ReplyRequest {
            event_key: format!("sms:{id}"),
            from: sms.number,
            text: sms.message,
            guid: sms.guid,
            now,
        }
    };
    match crate::ledger_call::<_, ReplyResponse>(env, "/reply", &reply).await {
        Ok(r) => Response::from_json(&json!({"ok": true, "action": r.action})),
        Err(e) => {
            emit("error", "reply.failed", json!({"error": e.to_string()}));
            Response::error("temporarily unavailable", 503)
        }
    }
}
