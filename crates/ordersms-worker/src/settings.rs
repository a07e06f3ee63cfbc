//! The Worker's knobs, read once per request from `wrangler.toml` vars and secrets. Each has
//! its default here, in one place; a value that does not parse is an error naming the var.

use thiserror::Error;

/// A var that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("var {name} = {value:?} is not {expected}: fix it in wrangler.toml [vars] or .dev.vars")]
pub struct SettingsError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Operational limits (not secrets, not the shop configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Bodies above this get 413 (`MAX_BODY_BYTES`, default 1 MiB).
    pub max_body_bytes: usize,
    /// Customer messages per phone per hour (`RATE_LIMIT_PER_HOUR`, default 5, 0 = off).
    pub rate_limit_per_hour: u32,
    /// Phone-side failures resent per cron run (`RESEND_PER_RUN`, default 10).
    pub resend_per_run: u32,
    /// Resends of one message before the merchant is alerted (`RESEND_MAX`, default 2).
    pub resend_max: u32,
    /// How long one call to SMSMobileAPI may take (`SEND_TIMEOUT_SECONDS`, default 15).
    pub send_timeout_secs: u32,
    /// First retry delay in seconds, doubled each time (`RETRY_BASE_SECONDS`, default 10).
    pub retry_base_secs: u32,
    /// Longest retry delay in seconds (`RETRY_MAX_SECONDS`, default 900).
    pub retry_max_secs: u32,
    /// A message not final and untouched this many seconds is handed to the queue again by
    /// the cron sweep (`REQUEUE_AFTER_SECONDS`, default 1800: twice the longest retry delay,
    /// so a message waiting for its next try is never taken for lost).
    pub requeue_after_secs: u32,
    /// A message not sent this many seconds after it was due is given up on: dead, and the
    /// merchant alerted (`GIVE_UP_AFTER_SECONDS`, default 86400). Until then it is retried,
    /// however long the phone stays unreachable (see `delivery::too_late`).
    pub give_up_after_secs: u32,
    /// `/healthz` answers 503 while a message has waited this long to go out
    /// (`STALLED_AFTER_SECONDS`, default 1800): see `delivery::stall_problem`.
    pub stalled_after_secs: u32,
    /// Days what ordersms knows of a customer is kept after it last changed: messages done
    /// with, order contexts, reply routing (`RETENTION_DAYS`, default 180). Opt-outs stay.
    pub retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_body_bytes: 1024 * 1024,
            rate_limit_per_hour: 5,
            resend_per_run: 10,
            resend_max: 2,
            send_timeout_secs: 15,
            retry_base_secs: 10,
            retry_max_secs: 900,
            requeue_after_secs: 1800,
            give_up_after_secs: 86_400,
            stalled_after_secs: 1800,
            retention_days: 180,
        }
    }
}

impl Settings {
    /// Reads every var through `lookup` (None or empty = default).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let d = Settings::default();
        let num = |name: &'static str, default: u64| -> Result<u64, SettingsError> {
            match lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
            {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| SettingsError {
                    name,
                    value: v,
                    expected: "a whole number",
                }),
            }
        };
        let small = |name: &'static str, default: u32| -> Result<u32, SettingsError> {
            let n = num(name, u64::from(default))?;
            u32::try_from(n).map_err(|_| SettingsError {
                name,
                value: n.to_string(),
                expected: "a number below 4294967296",
            })
        };
        Ok(Settings {
            max_body_bytes: num("MAX_BODY_BYTES", d.max_body_bytes as u64)? as usize,
            rate_limit_per_hour: small("RATE_LIMIT_PER_HOUR", d.rate_limit_per_hour)?,
            resend_per_run: small("RESEND_PER_RUN", d.resend_per_run)?,
            resend_max: small("RESEND_MAX", d.resend_max)?,
            send_timeout_secs: small("SEND_TIMEOUT_SECONDS", d.send_timeout_secs)?.max(1),
            retry_base_secs: small("RETRY_BASE_SECONDS", d.retry_base_secs)?.max(1),
            retry_max_secs: small("RETRY_MAX_SECONDS", d.retry_max_secs)?.max(1),
            requeue_after_secs: small("REQUEUE_AFTER_SECONDS", d.requeue_after_secs)?.max(1),
            give_up_after_secs: small("GIVE_UP_AFTER_SECONDS", d.give_up_after_secs)?.max(1),
            stalled_after_secs: small("STALLED_AFTER_SECONDS", d.stalled_after_secs)?.max(1),
            retention_days: small("RETENTION_DAYS", d.retention_days)?.max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_and_empty_vars_take_the_defaults() {
        let s = Settings::from_lookup(|name| (name == "RESEND_MAX").then(String::new)).unwrap();
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn set_vars_override_and_junk_names_the_var() {
        let s = Settings::from_lookup(|name| match name {
            "RATE_LIMIT_PER_HOUR" => Some("0".into()),
            "MAX_BODY_BYTES" => Some(" 2048 ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((s.rate_limit_per_hour, s.max_body_bytes), (0, 2048));

        let err = Settings::from_lookup(|name| (name == "MAX_BODY_BYTES").then(|| "1MB".into()))
            .unwrap_err();
        assert_eq!(err.name, "MAX_BODY_BYTES");
        assert!(err.to_string().contains("wrangler.toml"));
    }
}
