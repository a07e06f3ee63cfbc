//! A small driver over the sans-I/O calls for callers that can block: it picks the
//! credential, fetches and caches OAuth tokens, refreshes once on 401/403, and retries
//! retryable failures with exponential backoff and jitter.
//!
//! Everything that touches the outside (the HTTP round trip, the clock, sleeping, randomness)
//! is injected through [`Transport`] and [`Environment`], so the driver itself is
//! deterministic and tested without a network. An async caller (the Worker) reuses the same
//! pieces ([`Call`], [`TokenCache`], [`RetryPolicy::delay`]) in its own loop.

use crate::calls::Call;
use crate::error::{ApiError, TransportError};
use crate::http::{ApiKey, Auth, BaseUrl, HttpRequest, HttpResponse};
use crate::token::{ClientCredentials, RequestToken, TokenCache};
use std::time::Duration;

/// Moves one request to the API and brings back its response, whatever the status.
pub trait Transport {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

/// The clock, sleep and randomness the driver needs.
pub trait Environment {
    /// UNIX seconds.
    fn now_unix(&mut self) -> u64;
    fn sleep(&mut self, duration: Duration);
    /// A number in `[0, 1)` used to spread retries.
    fn jitter(&mut self) -> f64;
    /// Told before the driver sleeps `wait` to retry after `error` (nothing by default): a
    /// command line says why it pauses, or a wait of up to `max_delay` for a `Retry-After`
    /// looks like a hang.
    fn retrying(&mut self, error: &ApiError, wait: Duration) {
        let _ = (error, wait);
    }
}

impl<E: Environment + ?Sized> Environment for &mut E {
    fn now_unix(&mut self) -> u64 {
        (**self).now_unix()
    }
    fn sleep(&mut self, duration: Duration) {
        (**self).sleep(duration)
    }
    fn jitter(&mut self) -> f64 {
        (**self).jitter()
    }
    fn retrying(&mut self, error: &ApiError, wait: Duration) {
        (**self).retrying(error, wait)
    }
}

/// Who we are to the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    ApiKey(ApiKey),
    OAuth(ClientCredentials),
}

/// How many times to retry a retryable failure, and how long to wait between attempts.
///
/// Non-idempotent calls (sends, resends) are only retried after failures that prove the API
/// did not act (a 429, a refused connection): a send that timed out or got a 5xx may already
/// be in the phone's queue, and the caller must check the sent log before sending again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Wait before retry number `retry` (0-based): the server's `Retry-After` when it gave
    /// one (capped at `max_delay`), otherwise "full jitter" exponential backoff,
    /// `jitter × min(max_delay, base × 2^retry)`, with `jitter` in `[0, 1)`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)))
            .min(self.max_delay);
        exp.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A blocking client: `client.call(&SendMessage::new(..))`.
pub struct Client<T, E> {
    transport: T,
    env: E,
    base: BaseUrl,
    credentials: Credentials,
    tokens: TokenCache,
    retry: RetryPolicy,
}

impl<T: Transport, E: Environment> Client<T, E> {
    pub fn new(transport: T, env: E, base: BaseUrl, credentials: Credentials) -> Self {
        Client {
            transport,
            env,
            base,
            credentials,
            tokens: TokenCache::new(),
            retry: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy (default: [`RetryPolicy::default`]).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Runs one call to completion: at most one token refresh after a 401/403, plus the
    /// policy's retries of retryable failures.
    pub fn call<C: Call>(&mut self, call: &C) -> Result<C::Output, ApiError> {
        let mut retries = 0;
        let mut refreshed = false;
        loop {
            // A token request that fails has already had its retries: no second round.
            let auth = self.auth()?;
            let result = self
                .transport
                .send(&call.request(&auth, &self.base))
                .map_err(ApiError::from)
                .and_then(|response| call.parse(&response));
            match result {
                Ok(out) => return Ok(out),
                Err(e)
                    if e.is_auth()
                        && !refreshed
                        && matches!(self.credentials, Credentials::OAuth(_)) =>
                {
                    // The token may have been revoked or expired early: get a fresh one, once.
                    refreshed = true;
                    self.tokens.invalidate();
                }
                Err(e) if self.wait_to_retry(call, &e, &mut retries) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sleeps before the next attempt and returns true when `error` may be retried for `call`
    /// and the policy has retries left; false when the caller must give up with it.
    fn wait_to_retry<C: Call>(&mut self, call: &C, error: &ApiError, retries: &mut u32) -> bool {
        if !error.may_retry(call) || *retries >= self.retry.max_retries {
            return false;
        }
        let jitter = self.env.jitter();
        let wait = self.retry.delay(*retries, error.retry_after(), jitter);
        self.env.retrying(error, wait);
        self.env.sleep(wait);
        *retries += 1;
        true
    }

    /// Fetches a token (when using OAuth) and returns it, without making any other call.
    pub fn token(&mut self) -> Result<crate::token::AccessToken, ApiError> {
        match &self.credentials {
            Credentials::OAuth(creds) => {
                let call = RequestToken(creds.clone());
                let token = self.call_unauthenticated(&call)?;
                let now = self.env.now_unix();
                self.tokens.store(token.clone(), now);
                Ok(token)
            }
            Credentials::ApiKey(_) => Err(ApiError::Validation {
                message: "a token needs OAuth client credentials, not an API key".into(),
            }),
        }
    }

    fn call_unauthenticated<C: Call>(&mut self, call: &C) -> Result<C::Output, ApiError> {
        let mut retries = 0;
        loop {
            // The token endpoint ignores `auth`; any value will do.
            let auth = Auth::Bearer(String::new());
            let result = self
                .transport
                .send(&call.request(&auth, &self.base))
                .map_err(ApiError::from)
                .and_then(|resp| call.parse(&resp));
            match result {
                Err(e) if self.wait_to_retry(call, &e, &mut retries) => {}
                other => return other,
            }
        }
    }

    fn auth(&mut self) -> Result<Auth, ApiError> {
        match &self.credentials {
            Credentials::ApiKey(key) => Ok(Auth::ApiKey(key.clone())),
            Credentials::OAuth(_) => {
                let now = self.env.now_unix();
                if let Some(auth) = self.tokens.auth(now) {
                    return Ok(auth);
                }
                Ok(self.token()?.auth())
            }
        }
    }
}
