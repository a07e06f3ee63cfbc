//! Fault injection: the rates a run is configured with and the per-request draws made from a
//! seeded RNG, so a run with a fixed seed and a fixed request order replays exactly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SandboxError;

/// How often each kind of failure is injected, as probabilities in `0.0..=1.0`.
///
/// Every API request draws the first six rates in a fixed order (whatever the endpoint), so the
/// sequence of outcomes depends only on the seed and the order of requests. The seventh,
/// `resend_failure_rate`, is drawn only when it is not zero, so runs that leave it at zero
/// replay exactly as they did before it existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Answer 500 before doing anything (nothing is recorded).
    pub fail_rate_500: f64,
    /// Answer 429 with `Retry-After: retry_after_secs` before doing anything.
    pub fail_rate_429: f64,
    /// The `Retry-After` value of injected 429s, in seconds.
    pub retry_after_secs: u64,
    /// Delay the answer by `slow_ms` (the request then proceeds normally).
    pub slow_rate: f64,
    /// The injected delay, in milliseconds.
    pub slow_ms: u64,
    /// `/sendsms/`: HTTP 200 with an application error "phone offline" (logged with `error_api`).
    pub offline_rate: f64,
    /// `/sendsms/`: accepted, then the phone fails to send (`send_from_mobile_erreur` in the log).
    pub phone_failure_rate: f64,
    /// `/sendsms/`: accepted and recorded, but the answer is a 500 — the ambiguous failure
    /// an exactly-once client must survive without sending twice.
    pub ambiguous_rate: f64,
    /// `/resend/`: answer 500 before doing anything (the message stays in its error state).
    /// Other endpoints are unaffected, so a client can read the sent log and fail only the
    /// resend.
    pub resend_failure_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            fail_rate_500: 0.0,
            fail_rate_429: 0.0,
            retry_after_secs: 1,
            slow_rate: 0.0,
            slow_ms: 500,
            offline_rate: 0.0,
            phone_failure_rate: 0.0,
            ambiguous_rate: 0.0,
            resend_failure_rate: 0.0,
        }
    }
}

impl Faults {
    /// Checks every rate is a probability; the error names the field to fix.
    pub fn validate(&self) -> Result<(), SandboxError> {
        for (field, value) in self.rates() {
            if !(0.0..=1.0).contains(&value) {
                return Err(SandboxError::InvalidRate { field, value });
            }
        }
        Ok(())
    }

    fn rates(&self) -> [(&'static str, f64); 7] {
        [
            ("fail_rate_500", self.fail_rate_500),
            ("fail_rate_429", self.fail_rate_429),
            ("slow_rate", self.slow_rate),
            ("offline_rate", self.offline_rate),
            ("phone_failure_rate", self.phone_failure_rate),
            ("ambiguous_rate", self.ambiguous_rate),
            ("resend_failure_rate", self.resend_failure_rate),
        ]
    }

    /// Applies a partial JSON object (`{"fail_rate_500": 1.0}`) over these faults, keeping the
    /// fields it does not name. Unknown fields and out-of-range rates are refused.
    pub(crate) fn patched(&self, patch: &Value) -> Result<Faults, String> {
        let Value::Object(patch) = patch else {
            return Err("faults must be a JSON object".to_owned());
        };
        let mut merged = serde_json::to_value(self).map_err(|e| e.to_string())?;
        if let Value::Object(fields) = &mut merged {
            for (k, v) in patch {
                fields.insert(k.clone(), v.clone());
            }
        }
        let faults: Faults =
            serde_json::from_value(merged).map_err(|e| format!("invalid faults: {e}"))?;
        faults.validate().map_err(|e| e.to_string())?;
        Ok(faults)
    }

    /// Draws the outcome of one request.
    pub(crate) fn draw(&self, rng: &mut fastrand::Rng) -> Draw {
        Draw {
            slow: rng.f64() < self.slow_rate,
            too_many: rng.f64() < self.fail_rate_429,
            internal: rng.f64() < self.fail_rate_500,
            offline: rng.f64() < self.offline_rate,
            phone_failure: rng.f64() < self.phone_failure_rate,
            ambiguous: rng.f64() < self.ambiguous_rate,
            resend_failure: self.resend_failure_rate > 0.0 && rng.f64() < self.resend_failure_rate,
        }
    }
}

/// The faults drawn for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Draw {
    pub(crate) slow: bool,
    pub(crate) too_many: bool,
    pub(crate) internal: bool,
    pub(crate) offline: bool,
    pub(crate) phone_failure: bool,
    pub(crate) ambiguous: bool,
    pub(crate) resend_failure: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rate_one_always_fires_and_zero_never() {
        let faults = Faults {
            fail_rate_500: 1.0,
            ..Faults::default()
        };
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..100 {
            let d = faults.draw(&mut rng);
            assert!(d.internal && !d.too_many && !d.slow && !d.offline);
        }
    }

    #[test]
    fn same_seed_same_draws() {
        let faults = Faults {
            fail_rate_429: 0.5,
            ..Faults::default()
        };
        let run = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..50)
                .map(|_| faults.draw(&mut rng).too_many)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        let hits = run(42).iter().filter(|x| **x).count();
        assert!((10..=40).contains(&hits), "{hits} of 50 at rate 0.5");
    }

    #[test]
    fn a_zero_resend_failure_rate_draws_nothing_so_seeded_runs_replay_as_before() {
        let faults = Faults::default();
        let mut drawn = fastrand::Rng::with_seed(7);
        assert!(!faults.draw(&mut drawn).resend_failure);
        let mut six = fastrand::Rng::with_seed(7);
        for _ in 0..6 {
            six.f64();
        }
        assert_eq!(drawn.u64(..), six.u64(..), "a draw still takes six values");
        let always = Faults {
            resend_failure_rate: 1.0,
            ..Faults::default()
        };
        let d = always.draw(&mut drawn);
        assert!(d.resend_failure && !d.internal && !d.too_many);
    }

    #[test]
    fn patch_keeps_unnamed_fields_and_refuses_bad_rates() {
        let base = Faults {
            slow_ms: 900,
            ..Faults::default()
        };
        let patched = base.patched(&json!({"fail_rate_500": 0.25})).unwrap();
        assert_eq!(patched.fail_rate_500, 0.25);
        assert_eq!(patched.slow_ms, 900);
        assert!(
            base.patched(&json!({"fail_rate_500": 1.5}))
                .unwrap_err()
                .contains("fail_rate_500")
        );
        assert!(base.patched(&json!({"fail_rate": 0.5})).is_err());
    }
}
