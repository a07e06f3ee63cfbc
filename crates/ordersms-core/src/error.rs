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
