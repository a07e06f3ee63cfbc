//! What can go wrong talking to SMSMobileAPI, as kinds a caller can act on: fix the key, wake
//! the phone, renew, slow down, fix the request, or retry later. The API reports failures in
//! many shapes (HTTP status, `result.error`, `result.sent`, a bare `{"error","message"}`,
//! OAuth's `{"error","error_description"}`); [`classify`] reads them all once.

use crate::http::{HttpResponse, redact_query};
use crate::wire::{Flat, LooseString, snippet};
use std::fmt;
use std::time::Duration;

/// How much of a body an error message quotes.
const SNIPPET_BYTES: usize = 200;

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// HTTP 401/403 (empty or JSON body), application error 1, or an "invalid key/client"
    /// code. Never retried;
    /// with OAuth, the cached token is dropped and fetched again once.
    #[error("SMSMobileAPI rejected the credentials (HTTP {status}){}: check the API key or OAuth client", fmt_msg(.message))]
    BadKey {
        status: u16,
        message: Option<String>,
    },
    /// Application error 2 or an "offline" code: the gateway phone cannot take the message.
    #[error("the sending phone is not reachable{}: open the SMSMobileAPI app on it and check it is online", fmt_msg(.message))]
    PhoneOffline { message: Option<String> },
    /// `subscription_expire`.
    #[error("the SMSMobileAPI subscription has expired{}: renew it in the SMSMobileAPI dashboard", fmt_msg(.message))]
    SubscriptionExpired { message: Option<String> },
    /// HTTP 429. `retry_after` comes from a `Retry-After: <seconds>` header; an HTTP-date form
    /// is read as `None` (the caller's backoff applies).
    #[error("SMSMobileAPI is rate limiting requests (HTTP 429){}: slow down and retry later", fmt_retry(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// HTTP 400 or a "missing/required parameter" code: the request itself is wrong.
    #[error("SMSMobileAPI refused the request as invalid: {message}")]
    Validation { message: String },
    /// HTTP 5xx.
    #[error("SMSMobileAPI failed with HTTP {status}: retry later")]
    Server { status: u16 },
    /// A body that is not the JSON the endpoint answers with (HTML error page, truncation),
    /// including a 401/403 page from a CDN, WAF or proxy in front of the API.
    #[error("SMSMobileAPI answered HTTP {status} with an unexpected body: {snippet}")]
    Unparseable { status: u16, snippet: String },
    /// A status the API does not document (404, 405, 3xx...): usually a wrong base URL or a
    /// proxy in the way.
    #[error("SMSMobileAPI answered HTTP {status} ({snippet}): check the base URL")]
    UnexpectedStatus { status: u16, snippet: String },
    /// Any other application error, with the API's own code and message.
    #[error("SMSMobileAPI reported error {code:?}{}", fmt_msg(.message))]
    Api {
        code: String,
        message: Option<String>,
    },
    /// The request never got an HTTP answer.
    #[error("could not reach SMSMobileAPI ({kind}): {message}")]
    Transport {
        kind: TransportErrorKind,
        message: String,
    },
}

fn fmt_msg(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

fn fmt_retry(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl ApiError {
    /// True for failures where the same request may succeed later: 429, 5xx, timeouts and
    /// connection failures. 400/403 and application errors are never retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Server { .. } => true,
            ApiError::Transport { kind, .. } => kind.is_retryable(),
            _ => false,
        }
    }

    /// True when the request may have been acted on even though it failed: a 5xx, a timeout
    /// or an unreadable 2xx body can come after the API accepted a message. Only idempotent calls may be
    /// retried blindly after such a failure.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            ApiError::Server { .. } => true,
            // The API answered, but not with a body we can read (a PHP notice before the JSON,
            // a body cut short): it ran the request, so a send may be in the queue. A 4xx
            // gets here only as a 401/403 page from in front of the API, which did not run it.
            ApiError::Unparseable { status, .. } => !(400..500).contains(status),
            ApiError::Transport { kind, .. } => *kind != TransportErrorKind::Connect,
            _ => false,
        }
    }

    /// Whether `call` may be retried after this error: retryable, and either harmless to
    /// repeat or known not to have reached the API (a 429, a refused connection).
    pub fn may_retry<C: crate::Call + ?Sized>(&self, call: &C) -> bool {
        self.is_retryable() && !self.may_have_acted(call)
    }

    /// Whether `call` may have taken effect although it failed: a send or resend whose
    /// failure is ambiguous may have queued the message, so look it up before sending again.
    pub fn may_have_acted<C: crate::Call + ?Sized>(&self, _call: &C) -> bool {
        !C::IDEMPOTENT && self.is_ambiguous()
    }

    /// How long the server asked to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// True when the credentials were refused: with OAuth, refresh the token and retry once.
    pub fn is_auth(&self) -> bool {
        matches!(self, ApiError::BadKey { .. })
    }
}

/// Why a transport got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No answer in time. Retryable, but a send may have reached the API.
    Timeout,
    /// DNS, TCP or TLS setup failed: nothing reached the API. Retryable.
    Connect,
    /// Anything else (a malformed request, a body too large). Not retryable.
    Other,
}

impl TransportErrorKind {
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Timeout | TransportErrorKind::Connect
        )
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Other => "transport error",
        })
    }
}

/// What a [`crate::Transport`] returns when it got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub message: String,
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

impl From<TransportError> for ApiError {
    fn from(e: TransportError) -> Self {
        ApiError::Transport {
            kind: e.kind,
            message: e.message,
        }
    }
}

/// The fields any error-bearing body may carry, at the top level or under `result`.
#[derive(Debug, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(default))]
struct ErrorFields {
    error: LooseString,
    sent: LooseString,
    status: LooseString,
    success: LooseString,
    message: LooseString,
    error_message: LooseString,
    error_description: LooseString,
    note: LooseString,
}

crate::wire::loose_fields!(ErrorFields {
    "error" => Loose error,
    "sent" => Loose sent,
    "status" => Loose status,
    "success" => Loose success,
    "message" => Loose message,
    "error_message" => Loose error_message,
    "error_description" => Loose error_description,
    "note" => Loose note,
});

impl ErrorFields {
    fn message(&self) -> Option<String> {
        [
            &self.message,
            &self.error_message,
            &self.error_description,
            &self.note,
        ]
        .into_iter()
        .find_map(|m| m.0.clone())
    }

    /// `(code, message)` when these fields report a failure.
    fn failure(&self) -> Option<(String, Option<String>)> {
        if !self.error.is_zero() {
            let code = self.error.0.clone().unwrap_or_default();
            // `"error": true` carries its meaning in the message.
            return Some((code, self.message()));
        }
        if let Some(sent) = &self.sent.0
            && self.sent.as_flag() != Some(true)
        {
            return Some((sent.clone(), self.message()));
        }
        if let Some(status) = &self.status.0
            && matches!(
                status.to_ascii_lowercase().as_str(),
                "error" | "failed" | "fail" | "failure" | "ko"
            )
        {
            return Some((status.clone(), self.message()));
        }
        if self.success.0.is_some() && self.success.as_flag() == Some(false) {
            return Some(("failed".to_owned(), self.message()));
        }
        None
    }
}

/// Turns an application error code into the kind a caller can act on.
fn error_from_code(code: String, message: Option<String>, status: u16) -> ApiError {
    let text = format!(
        "{} {}",
        code.to_ascii_lowercase(),
        message.as_deref().unwrap_or("").to_ascii_lowercase()
    );
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    if has(&["subscription"]) {
        ApiError::SubscriptionExpired { message }
    } else if code == "1"
        || has(&[
            "apikey",
            "api key",
            "api_key",
            "unauthori",
            "invalid_client",
            "unauthorized_client",
            "invalid_token",
            "forbidden",
        ])
    {
        ApiError::BadKey { status, message }
    } else if code == "2" || has(&["offline", "not connected", "not_connected", "no_device"]) {
        ApiError::PhoneOffline { message }
    } else if has(&[
        "missing",
        "required",
        "invalid_request",
        "invalid parameter",
    ]) {
        ApiError::Validation {
            message: message.unwrap_or(code),
        }
    } else {
        ApiError::Api { code, message }
    }
}

/// Reads `Retry-After` as delta-seconds. The HTTP-date form needs a clock, which this crate
/// does not have: it is read as `None`, and the caller's backoff decides.
fn retry_after(resp: &HttpResponse) -> Option<Duration> {
    resp.header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Checks the status line and the error fields every endpoint shares. `Ok` means "a 2xx whose
/// body reports no failure"; the endpoint's parser then reads its own fields.
pub(crate) fn classify(resp: &HttpResponse) -> Result<(), ApiError> {
    let status = resp.status;
    if status == 429 {
        return Err(ApiError::RateLimited {
            retry_after: retry_after(resp),
        });
    }
    if (500..=599).contains(&status) {
        return Err(ApiError::Server { status });
    }
    // `result` is an object in every documented shape; anything else there is tolerated.
    let envelope: Option<Flat<ErrorFields>> = serde_json::from_slice(&resp.body).ok();
    let failure = envelope.as_ref().and_then(|e| match &e.result {
        Some(r) => r.failure().or_else(|| e.top.failure()),
        None => e.top.failure(),
    });
    let message = envelope.as_ref().and_then(|e| match &e.result {
        Some(r) => r.message().or_else(|| e.top.message()),
        None => e.top.message(),
    });
    match status {
        200..=299 => match (envelope, failure) {
            (None, _) => Err(unparseable(resp)),
            (Some(_), Some((code, message))) => Err(error_from_code(code, message, status)),
            (Some(_), None) => Ok(()),
        },
        // A body that is not JSON (a CDN or WAF block page, a proxy's error page) did not
        // come from the API, which answers its errors in JSON: it says nothing about the key.
        401 | 403 if envelope.is_none() && !resp.body.trim_ascii().is_empty() => {
            Err(unparseable(resp))
        }
        401 | 403 => Err(match failure {
            Some((code, message)) => match error_from_code(code, message, status) {
                e @ ApiError::SubscriptionExpired { .. } => e,
                ApiError::Api { message, .. }
                | ApiError::BadKey { message, .. }
                | ApiError::PhoneOffline { message } => ApiError::BadKey { status, message },
                ApiError::Validation { message } => ApiError::BadKey {
                    status,
                    message: Some(message),
                },
                _ => ApiError::BadKey {
                    status,
                    message: None,
                },
            },
            None => ApiError::BadKey { status, message },
        }),
        400 | 422 => Err(ApiError::Validation {
            message: message
                .or_else(|| failure.map(|(code, _)| code))
                .unwrap_or_else(|| snippet(&resp.body, SNIPPET_BYTES)),
        }),
        // Redirects are not followed (a POST would come back as a bodiless GET): say where
        // it pointed, without its query, which may echo the apikey.
        300..=399 if resp.header("location").is_some() => Err(ApiError::UnexpectedStatus {
            status,
            snippet: format!(
                "redirect to {}",
                redact_query(resp.header("location").unwrap_or_default().trim())
            ),
        }),
        _ => Err(ApiError::UnexpectedStatus {
            status,
            snippet: message.unwrap_or_else(|| snippet(&resp.body, SNIPPET_BYTES)),
        }),
    }
}

pub(crate) fn unparseable(resp: &HttpResponse) -> ApiError {
    ApiError::Unparseable {
        status: resp.status,
        snippet: snippet(&resp.body, SNIPPET_BYTES),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields_read_as_derived() {
        crate::wire::assert_flat_reads_as_derived::<ErrorFields>();
    }
}
