//! Why a webhook could not be turned into a plan at all.
//!
//! Only failures that make the whole request unusable are errors: a bad signature, a topic
//! ordersms does not know, a body that is not the JSON the topic promises. Everything that
//! concerns one message (no phone, an invalid phone, an opted-out customer, a test order) is a
//! `skipped` entry in the plan instead, so one bad fact never loses the other messages.

use crate::model::Platform;

/// A webhook that must be rejected. The variants tell the caller what to answer: signature
/// problems are the sender's (answer 401, do not retry), topic and payload problems mean the
/// shop sends something ordersms does not handle (answer 2xx or 4xx, but never crash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The signature header is absent although a secret is configured.
    #[error(
        "the {header} header is missing: the request was not signed by {platform}; check that the webhook was created with the shop's secret"
    )]
    MissingSignature {
        platform: Platform,
        header: &'static str,
    },
    /// The signature does not match the body under the configured secret.
    #[error(
        "the {header} signature does not match the body: the secret configured in ordersms differs from the webhook secret in {platform} (or the body was altered in transit)"
    )]
    BadSignature {
        platform: Platform,
        header: &'static str,
    },
    /// Neither an explicit topic nor the topic header was given.
    #[error("no webhook topic: pass the {header} header (or an explicit topic)")]
    MissingTopic {
        platform: Platform,
        header: &'static str,
    },
    /// A topic ordersms does not handle; subscribe only to the supported ones.
    #[error("unknown {platform} webhook topic `{topic}`: ordersms handles {supported}")]
    UnknownTopic {
        platform: Platform,
        topic: String,
        supported: &'static str,
    },
    /// The body is not the JSON document the topic promises.
    #[error("the {platform} `{topic}` body is not a valid order payload: {detail}")]
    MalformedPayload {
        platform: Platform,
        topic: &'static str,
        detail: String,
    },
}

impl WebhookError {
    /// True when the request itself is not trustworthy (answer 401): signature problems.
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            WebhookError::MissingSignature { .. } | WebhookError::BadSignature { .. }
        )
    }
}

/// serde's messages quote the offending value (``invalid type: integer `33612345678` ``):
/// in an order that can be the customer's phone, and the message is logged and answered. So
/// every run of six digits or more (spaces, `+`, `-`, `.` and parentheses between them) is
/// masked but its last two digits, as phones are everywhere; the position serde appends
/// (" at line 1 column 30") is kept as it is. The Worker masks what its public health check
/// shows with it too.
pub fn mask_numbers(detail: &str) -> String {
    let (message, position) = detail
        .rfind(" at line ")
        .map_or((detail, ""), |at| detail.split_at(at));
    let in_number = |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')');
    let mut out = String::with_capacity(detail.len());
    let mut rest = message;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit() || c == '+') {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let end = run.find(|c: char| !in_number(c)).unwrap_or(run.len());
        let (run, after) = run.split_at(end);
        let digits = run.bytes().filter(u8::is_ascii_digit).count();
        let mut seen = 0;
        for c in run.chars() {
            if c.is_ascii_digit() && digits >= 6 {
                seen += 1;
                out.push(if seen > digits - 2 { c } else { '*' });
            } else {
                out.push(c);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out.push_str(position);
    out
}
