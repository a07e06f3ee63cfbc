//! `POST /webhooks/smsmobileapi`: SMS customers send to the shop's phone. Two formats:
//! the signed V2 webhook (HMAC over `timestamp.body`, 300 s tolerance, event id dedupe) and
//! the legacy unsigned JSON, accepted only with the secret token in the URL
//! (`/webhooks/smsmobileapi/<SMSMOBILEAPI_WEBHOOK_SECRET>` or `?token=`).

use sha2::{Digest, Sha256};
use smsmobileapi::webhook::{self, EventData, LegacyReceivedSms, SignedHeaders};
use worker::{Env, Request, Response, Result};

use crate::api::now_unix;
use crate::logline::{emit, fields};
use crate::protocol::{ReplyRequest, ReplyResponse};
use crate::routes::{capped_body, query_of, query_param, same_secret, secret, settings};

pub async fn handle(mut req: Request, env: &Env) -> Result<Response> {
    let Some(secret) = secret(env, "SMSMOBILEAPI_WEBHOOK_SECRET") else {
        emit(
            "error",
            "reply.no_secret",
            fields! {"secret": "SMSMOBILEAPI_WEBHOOK_SECRET"},
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
            // A body or header that is not the V2 format is the sender's mistake, not a
            // credential problem: 400 with the reason, so a dashboard showing the answer
            // does not send the merchant after the secret.
            Err(e @ webhook::WebhookError::Malformed(_)) => {
                let reason = refusal(&e);
                emit("warn", "reply.rejected", fields! {"reason": reason});
                return Response::error(reason, 400);
            }
            Err(e) => {
                emit(
                    "warn",
                    "reply.unauthorized",
                    fields! {"reason": e.to_string()},
                );
                return Response::error("unauthorized", 401);
            }
        };
        let whatsapp = matches!(event.data, EventData::WhatsappReceived(_));
        match event.data {
            EventData::SmsReceived(m) | EventData::WhatsappReceived(m) => ReplyRequest {
                // Keyed by the SMS's GUID when it has one, like the legacy format: a phone
                // configured to post both formats gets each reply handled once.
                event_key: match &m.guid {
                    Some(guid) => format!("sms:{guid}"),
                    None => format!("smsmobileapi-event:{}", event.id),
                },
                from: if whatsapp {
                    whatsapp_sender(m.from)
                } else {
                    m.from
                },
                text: m.message,
                guid: m.guid,
                now,
            },
            other => {
                emit(
                    "info",
                    "reply.event_ignored",
                    fields! {"type": other.kind()},
                );
                return Response::ok("ok");
            }
        }
    } else {
        if !legacy_token_matches(&req.path(), query_of(&req.inner().url()), &secret) {
            emit(
                "warn",
                "reply.unauthorized",
                fields! {"reason": "legacy webhook without the right token"},
            );
            return Response::error("unauthorized", 401);
        }
        let sms = match LegacyReceivedSms::parse(&body) {
            Ok(sms) => sms,
            Err(e) => {
                let reason = refusal(&e);
                emit("warn", "reply.rejected", fields! {"reason": reason});
                return Response::error(reason, 400);
            }
        };
        ReplyRequest {
            event_key: legacy_event_key(&sms),
            from: sms.number,
            text: sms.message,
            guid: sms.guid,
            now,
        }
    };
    match crate::ledger_call::<_, ReplyResponse>(env, "/reply", &reply).await {
        Ok(r) => crate::json_answer(fields! {"ok": true, "action": r.action}),
        Err(e) => {
            emit("error", "reply.failed", fields! {"error": e.to_string()});
            Response::error("temporarily unavailable", 503)
        }
    }
}

/// Why a reply was refused, for the log and the 400: serde's part quotes the value it could
/// not read, which can be the sender's number, so numbers are masked as everywhere else.
fn refusal(e: &webhook::WebhookError) -> String {
    ordersms_core::error::mask_numbers(&e.to_string())
}

/// A WhatsApp sender as a number: WhatsApp writes every number international, with its
/// country code and without `+` (`33612345678`). Read as it is, the shop's country would
/// claim it: a German shop took `33612345678` for `+4933612345678`, so a French customer's
/// STOP never matched the number they are texted at.
fn whatsapp_sender(from: String) -> String {
    let digits = from.trim();
    if !digits.is_empty() && !digits.starts_with("00") && digits.bytes().all(|b| b.is_ascii_digit())
    {
        format!("+{digits}")
    } else {
        from
    }
}

/// Whether a legacy reply's URL (its path as routed, and its query) carries the secret:
/// after the route (`/webhooks/smsmobileapi/<secret>`) or as `?token=<secret>`.
/// A `+` in `?token=` is taken either way: as form decoding reads it (a space), and as
/// written, since a base64 secret pasted into the URL keeps its `+` unencoded.
fn legacy_token_matches(path: &str, query: Option<&str>, secret: &str) -> bool {
    if let Some(token) = path.strip_prefix("/webhooks/smsmobileapi/") {
        return same_secret(token, secret);
    }
    let as_written = query.map(|q| q.replace('+', "%2B"));
    [
        query_param(query, "token"),
        query_param(as_written.as_deref(), "token"),
    ]
    .into_iter()
    .flatten()
    .any(|t| same_secret(&t, secret))
}

/// The dedupe key of a legacy reply: its GUID, or, for one sent without a GUID, a digest of
/// sender, time and text. The key names the forwarded message in logs and in
/// `/admin/messages`, so it must not carry the customer's number or words in clear.
fn legacy_event_key(sms: &LegacyReceivedSms) -> String {
    match &sms.guid {
        Some(guid) => format!("sms:{guid}"),
        None => {
            let mut hasher = Sha256::new();
            for part in [
                sms.number.as_str(),
                sms.time_received.as_deref().unwrap_or_default(),
                sms.message.as_str(),
            ] {
                // Length-prefixed: ("ab","c") and ("a","bc") must not collide.
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            format!("sms-digest:{}", hex::encode(&hasher.finalize()[..16]))
        }
    }
}

/// How `GET /admin/messages` shows a message key. A forwarded reply without a GUID stored by
/// a version before the digest above is keyed `reply:sms:<number>|<time>|<text>`, the
/// customer's number and words in clear, and such rows stay listed for 180 days after an
/// upgrade: they are shown as a digest of that part instead. Other keys are shown as stored.
pub(crate) fn listed_key(key: &str) -> String {
    match key.strip_prefix("reply:sms:") {
        Some(old) if old.contains('|') => format!(
            "reply:sms-digest:{}",
            hex::encode(&Sha256::digest(old.as_bytes())[..16])
        ),
        _ => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_reply_key_stored_by_an_older_version_is_listed_without_the_number_or_the_text() {
        let old =
            "reply:sms:+33612345678|2026-01-20 10:14:50|Where is my parcel? I paid with card 4970";
        let listed = listed_key(old);
        assert!(!listed.contains("612345678"), "{listed}");
        assert!(!listed.contains("parcel"), "{listed}");
        assert!(listed.starts_with("reply:sms-digest:"), "{listed}");
        assert_eq!(listed, listed_key(old), "the same row keeps one name");
        for current in [
            "reply:sms:abc123",
            "reply:sms-digest:0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "alert:5d41402abc4b2a76b9719d911017c592",
            "5d41402abc4b2a76b9719d911017c592",
        ] {
            assert_eq!(listed_key(current), current);
        }
    }

    #[test]
    fn a_whatsapp_sender_is_read_as_international() {
        let read = |from: &str| whatsapp_sender(from.to_owned());
        assert_eq!(read("33612345678"), "+33612345678");
        assert_eq!(read(" 4915123456789 "), "+4915123456789");
        // Already international, or not a bare number: as it came.
        for kept in ["+33612345678", "0033612345678", "", "33 6 12 34 56 78"] {
            assert_eq!(read(kept), kept);
        }
        // What the Ledger then reads it as, in a German shop.
        let phone = ordersms_core::Phone::parse(&read("33612345678"), Some("DE")).unwrap();
        assert_eq!(phone.as_str(), "+33612345678");
        let misread = ordersms_core::Phone::parse("33612345678", Some("DE")).unwrap();
        assert_ne!(
            misread.as_str(),
            "+33612345678",
            "the bare digits alone are misread"
        );
    }

    #[test]
    fn a_legacy_token_with_a_plus_is_taken_as_written_in_the_query() {
        // `openssl rand -base64 24` gives such a secret about half of the time; pasted as is
        // into `?token=`, its `+` must not be read as a space (form decoding) and refused.
        let secret = "q7Lk+9xZ/0bWmR2+TfYc8sVn";
        // As the route gives them: the path, and the query of the URL's text.
        let route = "/webhooks/smsmobileapi";
        let matches = |path: &str, url: &str, secret: &str| {
            legacy_token_matches(
                path,
                query_of(&format!("https://o.example.workers.dev{url}")),
                secret,
            )
        };
        assert!(matches(route, &format!("{route}?token={secret}"), secret));
        assert!(matches(
            route,
            &format!("{route}?token=q7Lk%2B9xZ%2F0bWmR2%2BTfYc8sVn"),
            secret
        ));
        let in_path = format!("{route}/{secret}");
        assert!(matches(&in_path, &in_path, secret));
        for (path, url) in [
            (route, route.to_owned()),
            (route, format!("{route}?token=")),
            (route, format!("{route}?token=q7Lk 9xZ/0bWmR2 TfYc8sVn")),
            (
                "/webhooks/smsmobileapi/q7Lk+9xZ",
                "/webhooks/smsmobileapi/q7Lk+9xZ".to_owned(),
            ),
        ] {
            assert!(!matches(path, &url, secret), "{url}");
        }
        // A secret with a space, sent form-encoded, is still taken.
        let spaced = format!("{route}?token=two+words");
        assert!(matches(route, &spaced, "two words"));
        assert!(!matches(route, &spaced, ""));
        // The fragment is not the query; a token in the path is the path's.
        assert!(!matches(route, &format!("{route}#token={secret}"), secret));
        assert!(matches(&in_path, &format!("{in_path}?token=x"), secret));
    }

    fn legacy(body: serde_json::Value) -> LegacyReceivedSms {
        LegacyReceivedSms::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn a_legacy_reply_without_guid_is_keyed_without_the_number_or_the_text() {
        let body = json!({
            "date": "2026-01-20", "hour": "10:15:00", "time_received": "2026-01-20 10:14:50",
            "message": "Where is my parcel? I paid with card 4970", "number": "+33612345678",
        });
        let key = legacy_event_key(&legacy(body.clone()));
        assert!(!key.contains("612345678"), "the customer's number in {key}");
        assert!(!key.contains("parcel"), "the customer's text in {key}");
        // The same SMS posted twice is one reply; another text from the same number is not.
        assert_eq!(key, legacy_event_key(&legacy(body.clone())));
        let mut other = body;
        other["message"] = json!("STOP");
        assert_ne!(key, legacy_event_key(&legacy(other)));
    }

    /// serde quotes the value it could not read: a body that is a bare number or string
    /// (the sender's number) is quoted in the 400 and in the `reply.rejected` log line.
    #[test]
    fn a_malformed_reply_is_refused_without_quoting_a_number() {
        for body in [r#""+33612345678""#, "33612345678"] {
            let e = LegacyReceivedSms::parse(body.as_bytes()).unwrap_err();
            let reason = refusal(&e);
            assert!(!reason.contains("612345678"), "{reason}");
            assert!(reason.contains("not the legacy JSON"), "{reason}");
        }
    }

    #[test]
    fn a_legacy_reply_with_guid_is_keyed_by_it_like_a_signed_one() {
        let sms = legacy(json!({"message": "STOP", "number": "+33612345678", "guid": "abc123"}));
        assert_eq!(legacy_event_key(&sms), "sms:abc123");
    }
}
