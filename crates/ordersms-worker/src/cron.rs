//! The cron trigger: re-enqueue messages the queue never took (outbox sweep), then read the
//! sent log for phone-side failures (`send_from_mobile_erreur`), resend a bounded number, and
//! let the Ledger alert the merchant about messages that stay failed.

use serde_json::json;
use smsmobileapi::{Resend, SentLogQuery};
use worker::Env;

use crate::api::{Api, now_unix};
use crate::logline::emit;
use crate::protocol::{FailuresRequest, FailuresResponse};

pub async fn run(env: Env) {
    let now = now_unix();
    match crate::ledger_call::<_, serde_json::Value>(&env, "/sweep", &now).await {
        Ok(v) => emit("info", "cron.sweep", v),
        Err(e) => emit(
            "error",
            "cron.sweep_failed",
            json!({"error": e.to_string()}),
        ),
    }
    let Ok(settings) = crate::routes::settings(&env) else {
        return;
    };
    let api = match Api::from_env(&env, settings.send_timeout_secs) {
        Ok(api) => api,
        Err(e) => {
            emit("error", "cron.no_api", json!({"error": e.to_string()}));
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
                json!({"error": crate::delivery::error_text(&e)}),
            );
            return;
        }
    };
    let failures: Vec<(String, String)> = rows
        .into_iter()
        .filter_map(|r| {
            let error = r.mobile_error.filter(|e| !e.trim().is_empty())?;
            Some((r.guid?, error))
        })
        .collect();
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
                json!({"error": e.to_string()}),
            );
            return;
        }
    };
    let mut resent = 0;
    for guid in &decided.resend {
        match api.call(&Resend { guid: guid.clone() }).await {
            Ok(_) => resent += 1,
            Err(e) => emit(
                "warn",
                "cron.resend_failed",
                json!({"guid": guid, "error": crate::delivery::error_text(&e)}),
            ),
        }
    }
    emit(
        "info",
        "cron.failures",
        json!({"resent": resent, "given_up": decided.given_up}),
    );
}
