//! The cron trigger: re-enqueue messages the queue never took (outbox sweep), then read the
//! sent log for phone-side failures (`send_from_mobile_erreur`), resend a bounded number, and
//! let the Ledger alert the merchant about messages that stay failed.
//!
//! A message gets at most `RESEND_MAX` resends, counted by the Ledger. The count goes up only
//! once SMSMobileAPI took a `/resend/` (or refused that message for good: see
//! [`counts_as_resend`]), by one `/resent` report per call right after its answer; never when
//! the Ledger decides to resend. A call that fails (network, 5xx, 429) must not use up the
//! budget, or a bad hour at the API would give messages up, merchant alerted, "after 2
//! resends" they never had. If the Worker dies between a resend and its report, or a 5xx
//! came after the API did resend, that one goes uncounted (one resend more than `RESEND_MAX`
//! at worst); nothing is ever counted twice or counted without a call.

use serde::de::IgnoredAny;
use smsmobileapi::{Ack, ApiError, Resend, SentLogQuery, SentSms};
use worker::Env;

use crate::api::{Api, now_unix};
use crate::logline::{emit, fields};
use crate::protocol::{FailuresRequest, FailuresResponse, ResentRequest, SweepAnswer};

/// Whether a `/resend/` answer counts against the message's `RESEND_MAX`: yes when the API
/// took it, and when it refused this message for good (an application error such as
/// `not_found`, an invalid request), since asking again every run would get the same answer
/// forever and the merchant would never hear of the message. Not when the call says nothing
/// about the message: no answer, a 5xx, a 429, the key, the subscription, the phone offline,
/// a proxy's page. The next run asks again.
fn counts_as_resend(result: &Result<Ack, ApiError>) -> bool {
    match result {
        Ok(_) => true,
        Err(ApiError::Api { .. } | ApiError::Validation { .. }) => true,
        Err(_) => false,
    }
}

/// The sent log's phone-side failures, as (GUID, the phone's error). The error is stored
/// (`/admin/messages`) and quoted in the merchant's alert: its numbers are masked, since a
/// phone's error may name the recipient.
fn phone_failures(rows: Vec<SentSms>) -> Vec<(String, String)> {
    rows.into_iter()
        .filter_map(|r| {
            let error = r.mobile_error.filter(|e| !e.trim().is_empty())?;
            Some((r.guid?, ordersms_core::error::mask_numbers(&error)))
        })
        .collect()
}

pub async fn run(env: Env) {
    let now = now_unix();
    match crate::ledger_call::<_, SweepAnswer>(&env, "/sweep", &now).await {
        Ok(v) => emit(
            "info",
            "cron.sweep",
            fields! {"enqueued": v.enqueued, "requeued": v.requeued},
        ),
        Err(e) => emit(
            "error",
            "cron.sweep_failed",
            fields! {"error": e.to_string()},
        ),
    }
    let Ok(settings) = crate::routes::settings(&env) else {
        return;
    };
    let api = match Api::from_env(&env, settings.send_timeout_secs) {
        Ok(api) => api,
        Err(e) => {
            emit("error", "cron.no_api", fields! {"error": e.to_string()});
            return;
        }
    };
    let query = SentLogQuery {
        error_mobile: true,
        ..SentLogQuery::default()
    };
    let rows = match api.call(&query).await {
        Ok(rows) => rows,
        Err(e) => {
            emit(
                "warn",
                "cron.log_unreadable",
                fields! {"error": crate::delivery::error_text(&e)},
            );
            return;
        }
    };
    let failures = phone_failures(rows);
    if failures.is_empty() {
        return;
    }
    let req = FailuresRequest { failures, now };
    let decided: FailuresResponse = match crate::ledger_call(&env, "/failures", &req).await {
        Ok(d) => d,
        Err(e) => {
            emit(
                "error",
                "cron.failures_failed",
                fields! {"error": e.to_string()},
            );
            return;
        }
    };
    let mut resent = 0;
    for guid in &decided.resend {
        let result = api.call(&Resend { guid: guid.clone() }).await;
        match &result {
            Ok(_) => resent += 1,
            Err(e) => emit(
                "warn",
                "cron.resend_failed",
                fields! {"guid": guid, "error": crate::delivery::error_text(e)},
            ),
        }
        if counts_as_resend(&result) {
            let report = ResentRequest {
                guid: guid.clone(),
                now,
            };
            if let Err(e) = crate::ledger_call::<_, IgnoredAny>(&env, "/resent", &report).await {
                emit(
                    "error",
                    "cron.resent_failed",
                    fields! {"guid": guid, "error": e.to_string()},
                );
            }
        }
    }
    emit(
        "info",
        "cron.failures",
        fields! {"resent": resent, "given_up": decided.given_up},
    );
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use smsmobileapi::TransportErrorKind;

    use super::*;

    fn refused(err: ApiError) -> Result<Ack, ApiError> {
        Err(err)
    }

    #[test]
    fn a_phone_error_naming_the_recipient_is_kept_masked() {
        let log = r#"{"result":{"error":0,"sms":[
 {"guid":"g1","recipients":"+33612345678","message":"Your order has shipped","send_from_mobile":"0","send_from_mobile_erreur":"SMS to +33 6 12 34 56 78 failed: RESULT_ERROR_GENERIC_FAILURE","error_api":"0"},
 {"guid":"g2","recipients":"+33612345679","message":"Your order has shipped","send_from_mobile":"1","send_from_mobile_erreur":"","error_api":"0"}]}}"#;
        let rows = smsmobileapi::Call::parse(
            &SentLogQuery::default(),
            &smsmobileapi::HttpResponse::new(200, log),
        )
        .unwrap();
        let failures = phone_failures(rows);
        assert_eq!(failures.len(), 1, "{failures:?}");
        let (guid, error) = &failures[0];
        assert_eq!(guid, "g1");
        assert!(!error.contains("34 56"), "{error}");
        assert!(error.contains("RESULT_ERROR_GENERIC_FAILURE"), "{error}");
    }

    #[test]
    fn a_resend_the_api_took_counts() {
        let ack = Ack {
            note: Some("queued again for the phone".into()),
            details: serde_json::from_str(r#"{"result": {"error": 0, "resent": "1"}}"#).unwrap(),
        };
        assert!(counts_as_resend(&Ok(ack)));
    }

    #[test]
    fn a_resend_that_never_reached_the_api_does_not_count() {
        for err in [
            ApiError::Server { status: 500 },
            ApiError::Server { status: 503 },
            ApiError::RateLimited {
                retry_after: Some(Duration::from_secs(30)),
            },
            ApiError::Transport {
                kind: TransportErrorKind::Timeout,
                message: "no answer in 10s".into(),
            },
            ApiError::Transport {
                kind: TransportErrorKind::Connect,
                message: "connection refused".into(),
            },
            ApiError::Unparseable {
                status: 403,
                snippet: "<html>Attention Required! | Cloudflare</html>".into(),
            },
            ApiError::PhoneOffline { message: None },
            ApiError::BadKey {
                status: 401,
                message: None,
            },
            ApiError::SubscriptionExpired { message: None },
        ] {
            assert!(!counts_as_resend(&refused(err.clone())), "{err:?}");
        }
    }

    #[test]
    fn a_resend_refused_for_this_message_counts_so_it_is_not_asked_forever() {
        assert!(counts_as_resend(&refused(ApiError::Api {
            code: "not_found".into(),
            message: Some("no message with this guid".into()),
        })));
        assert!(counts_as_resend(&refused(ApiError::Validation {
            message: "guid is required".into(),
        })));
    }
}
