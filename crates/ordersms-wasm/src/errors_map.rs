//! Each Rust error enum of the core and the API client, as `OrderSmsError` kinds. The kind is
//! the variant's name in snake_case; fields a caller acts on (which header, which topic, how
//! long to wait) come along as camelCase properties.

use ordersms_core::{ConfigError, TemplateError, WebhookError};
use smsmobileapi::{ApiError, Call};

use crate::error::{Failure, Field};
use crate::webhook::platform_name;

pub(crate) fn webhook_failure(error: &WebhookError) -> Failure {
    let message = error.to_string();
    match error {
        WebhookError::MissingSignature { platform, header } => {
            Failure::new("missing_signature", message)
                .with("platform", Field::Str(platform_name(*platform).into()))
                .with("header", Field::Str((*header).into()))
        }
        WebhookError::BadSignature { platform, header } => Failure::new("bad_signature", message)
            .with("platform", Field::Str(platform_name(*platform).into()))
            .with("header", Field::Str((*header).into())),
        WebhookError::MissingTopic { platform, header } => Failure::new("missing_topic", message)
            .with("platform", Field::Str(platform_name(*platform).into()))
            .with("header", Field::Str((*header).into())),
        WebhookError::UnknownTopic {
            platform, topic, ..
        } => Failure::new("unknown_topic", message)
            .with("platform", Field::Str(platform_name(*platform).into()))
            .with("topic", Field::Str(topic.clone())),
        WebhookError::MalformedPayload {
            platform, topic, ..
        } => Failure::new("malformed_payload", message)
            .with("platform", Field::Str(platform_name(*platform).into()))
            .with("topic", Field::Str((*topic).into())),
    }
}

/// `retryable` says whether repeating `call` is safe (for a send: only when the API cannot
/// have queued it); `maybeSent`, whether a failed send or resend may still have been queued,
/// so the caller looks it up (`sentLog`) before sending again.
pub(crate) fn api_failure<C: Call>(error: &ApiError, call: &C) -> Failure {
    let message = error.to_string();
    let failure = match error {
        ApiError::BadKey { status, .. } => {
            Failure::new("bad_key", message).with("status", Field::Num(f64::from(*status)))
        }
        ApiError::PhoneOffline { .. } => Failure::new("phone_offline", message),
        ApiError::SubscriptionExpired { .. } => Failure::new("subscription_expired", message),
        ApiError::RateLimited { retry_after } => Failure::new("rate_limited", message).with(
            "retryAfterSeconds",
            retry_after.map_or(Field::Null, |d| Field::Num(d.as_secs_f64())),
        ),
        ApiError::Validation { .. } => Failure::new("validation", message),
        ApiError::Server { status } => {
            Failure::new("server", message).with("status", Field::Num(f64::from(*status)))
        }
        ApiError::Unparseable { status, .. } => {
            Failure::new("unparseable", message).with("status", Field::Num(f64::from(*status)))
        }
        ApiError::UnexpectedStatus { status, .. } => Failure::new("unexpected_status", message)
            .with("status", Field::Num(f64::from(*status))),
        ApiError::Api { code, .. } => {
            Failure::new("api", message).with("code", Field::Str(code.clone()))
        }
        ApiError::Transport { .. } => Failure::new("transport", message),
        // ApiError is non_exhaustive: a new variant reaches JS as a generic API error.
        _ => Failure::new("api", message).with("code", Field::Str(String::new())),
    };
    failure
        .with("retryable", Field::Bool(error.may_retry(call)))
        .with("maybeSent", Field::Bool(error.may_have_acted(call)))
}

pub(crate) fn config_failure(error: &ConfigError) -> Failure {
    let failure = match error {
        // A template problem in the configuration is still the configuration's: the path says
        // which `[templates]` key, and `template` says what is wrong with it.
        ConfigError::Template(e) => template_failure(e).with("path", Field::Str(error.path())),
        _ => {
            Failure::new("invalid_config", error.to_string()).with("path", Field::Str(error.path()))
        }
    };
    Failure {
        kind: "invalid_config",
        message: error.to_string(),
        ..failure
    }
}

fn number_or_null(n: Option<usize>) -> Field {
    n.map_or(Field::Null, |n| Field::Num(n as f64))
}

pub(crate) fn template_failure(error: &TemplateError) -> Failure {
    let message = error.to_string();
    match error {
        TemplateError::BadName { name } => Failure::new("template", message)
            .with("reason", Field::Str("bad_name".into()))
            .with("template", Field::Str(name.clone())),
        TemplateError::Syntax {
            template,
            line,
            column,
            ..
        } => Failure::new("template", message)
            .with("reason", Field::Str("syntax".into()))
            .with("template", Field::Str(template.clone()))
            .with("line", number_or_null(*line))
            .with("column", number_or_null(*column)),
        TemplateError::UnknownVariable {
            template,
            variable,
            line,
            column,
        } => Failure::new("template", message)
            .with("reason", Field::Str("unknown_variable".into()))
            .with("template", Field::Str(template.clone()))
            .with("variable", Field::Str(variable.clone()))
            .with("line", number_or_null(*line))
            .with("column", number_or_null(*column)),
        TemplateError::Render { template, .. } => Failure::new("template", message)
            .with("reason", Field::Str("render".into()))
            .with("template", Field::Str(template.clone())),
        TemplateError::Missing { .. } => {
            Failure::new("template", message).with("reason", Field::Str("missing".into()))
        }
    }
}
