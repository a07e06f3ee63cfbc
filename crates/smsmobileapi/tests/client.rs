//! The blocking driver, with a scripted transport and a fake clock: auth selection, token
//! caching and refresh on 401/403, retries with backoff that honour Retry-After.

use smsmobileapi::{
    ApiError, ApiKey, BaseUrl, Client, ClientCredentials, Credentials, Environment, HttpRequest,
    HttpResponse, ReceivedQuery, RetryPolicy, SendMessage, Transport, TransportError,
    TransportErrorKind,
};
use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

#[derive(Default)]
struct Script {
    replies: VecDeque<Result<HttpResponse, TransportError>>,
    seen: Vec<HttpRequest>,
}

impl Script {
    fn new(replies: Vec<Result<HttpResponse, TransportError>>) -> Self {
        Script {
            replies: replies.into(),
            seen: Vec::new(),
        }
    }
    fn paths(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|r| {
                let path = r.url.trim_start_matches("https://api.test");
                path.split('?').next().unwrap_or(path).to_owned()
            })
            .collect()
    }
}

impl Transport for Script {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.seen.push(request.clone());
        self.replies
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request {request:?}"))
    }
}

#[derive(Default)]
struct FakeEnv {
    now: u64,
    slept: Vec<Duration>,
    /// What the driver said before each sleep: the error's `retry_after` and the wait.
    told: Vec<(Option<Duration>, Duration)>,
}

impl Environment for FakeEnv {
    fn now_unix(&mut self) -> u64 {
        self.now
    }
    fn sleep(&mut self, d: Duration) {
        self.slept.push(d);
        self.now += d.as_secs();
    }
    fn jitter(&mut self) -> f64 {
        0.5
    }
    fn retrying(&mut self, error: &ApiError, wait: Duration) {
        assert_eq!(self.told.len(), self.slept.len(), "told after sleeping");
        self.told.push((error.retry_after(), wait));
    }
}

const SENT: &str = r#"{"result":{"error":0,"sent":"1","id":"guid-1"}}"#;
const TOKEN: &str = r#"{"access_token":"tok-1","expires_in":3600}"#;

fn base() -> BaseUrl {
    BaseUrl::parse("https://api.test").unwrap()
}

fn key() -> Credentials {
    Credentials::ApiKey(ApiKey::new("KEY").unwrap())
}

fn oauth() -> Credentials {
    Credentials::OAuth(ClientCredentials::new("cid", "csecret").unwrap())
}

fn ok(body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse::new(200, body))
}

#[test]
fn retries_429_honouring_retry_after_then_succeeds() {
    let mut t = Script::new(vec![
        Ok(HttpResponse::new(429, "").with_header("Retry-After", "3")),
        Err(TransportError::new(
            TransportErrorKind::Connect,
            "connection refused",
        )),
        ok(SENT),
    ]);
    let mut env = FakeEnv::default();
    let out = Client::new(&mut t, &mut env, base(), key())
        .call(&SendMessage::new("+32470000001", "hi"))
        .unwrap();
    assert_eq!(out.guid.as_deref(), Some("guid-1"));
    assert_eq!(t.seen.len(), 3);
    // Retry-After wins; then full-jitter backoff: 0.5 × 500 ms × 2^1.
    assert_eq!(
        env.slept,
        vec![Duration::from_secs(3), Duration::from_millis(500)]
    );
    // Each wait is announced before it starts, with the error that caused it (a command
    // line prints it: a silent Retry-After wait looks like a hang).
    assert_eq!(
        env.told,
        vec![
            (Some(Duration::from_secs(3)), Duration::from_secs(3)),
            (None, Duration::from_millis(500)),
        ]
    );
}

#[test]
fn never_blindly_retries_a_send_that_may_have_been_accepted() {
    // A 5xx or a timeout can come after the API queued the message: sending again could
    // text the customer twice, so the caller gets the error and checks the sent log.
    for reply in [
        Ok(HttpResponse::new(500, "")),
        Err(TransportError::new(
            TransportErrorKind::Timeout,
            "timed out",
        )),
    ] {
        let mut t = Script::new(vec![reply]);
        let mut env = FakeEnv::default();
        let e = Client::new(&mut t, &mut env, base(), key())
            .call(&SendMessage::new("+32470000001", "hi"))
            .unwrap_err();
        assert!(e.is_retryable() && e.is_ambiguous(), "{e:?}");
        assert_eq!(t.seen.len(), 1);
        assert!(env.slept.is_empty());
    }
}

#[test]
fn gives_up_after_max_retries_with_the_last_error() {
    let mut t = Script::new(vec![
        Ok(HttpResponse::new(500, "")),
        Ok(HttpResponse::new(500, "")),
        Err(TransportError::new(
            TransportErrorKind::Timeout,
            "timed out",
        )),
    ]);
    let mut env = FakeEnv::default();
    let e = Client::new(&mut t, &mut env, base(), key())
        .call(&ReceivedQuery::default())
        .unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(env.slept.len(), 2);
}

#[test]
fn never_retries_bad_key_or_validation() {
    for status in [400, 403] {
        let mut t = Script::new(vec![Ok(HttpResponse::new(status, "{}"))]);
        let mut env = FakeEnv::default();
        let e = Client::new(&mut t, &mut env, base(), key())
            .call(&ReceivedQuery::default())
            .unwrap_err();
        assert!(!e.is_retryable());
        assert_eq!(t.seen.len(), 1);
        assert!(env.slept.is_empty());
    }
}

#[test]
fn no_retries_when_policy_says_none() {
    let mut t = Script::new(vec![Ok(HttpResponse::new(502, ""))]);
    let mut env = FakeEnv::default();
    let e = Client::new(&mut t, &mut env, base(), key())
        .with_retry(RetryPolicy::none())
        .call(&ReceivedQuery::default())
        .unwrap_err();
    assert_eq!(e, ApiError::Server { status: 502 });
}

#[test]
fn oauth_fetches_a_token_once_and_reuses_it() {
    let mut t = Script::new(vec![ok(TOKEN), ok(SENT), ok(SENT)]);
    let mut env = FakeEnv {
        now: 1_000,
        ..FakeEnv::default()
    };
    let mut client = Client::new(&mut t, &mut env, base(), oauth());
    client.call(&SendMessage::new("+32470000001", "a")).unwrap();
    client.call(&SendMessage::new("+32470000001", "b")).unwrap();
    drop(client);
    assert_eq!(t.paths(), vec!["/oauth2/token", "/sendsms/", "/sendsms/"]);
    assert_eq!(t.seen[1].header("Authorization"), Some("Bearer tok-1"));
    assert!(!String::from_utf8_lossy(&t.seen[1].body).contains("apikey"));
}

/// A clock the test moves while the client holds it.
struct SharedClock(Rc<Cell<u64>>);

impl Environment for SharedClock {
    fn now_unix(&mut self) -> u64 {
        self.0.get()
    }
    fn sleep(&mut self, _: Duration) {}
    fn jitter(&mut self) -> f64 {
        0.0
    }
}

#[test]
fn oauth_refreshes_a_token_about_to_expire() {
    let mut t = Script::new(vec![
        ok(TOKEN),
        ok(SENT),
        ok(SENT),
        ok(r#"{"access_token":"tok-2","expires_in":3600}"#),
        ok(SENT),
    ]);
    let now = Rc::new(Cell::new(1_000));
    let mut client = Client::new(&mut t, SharedClock(now.clone()), base(), oauth());
    client.call(&ReceivedQuery::default()).unwrap();
    now.set(1_000 + 3_600 - 61);
    client.call(&ReceivedQuery::default()).unwrap();
    now.set(1_000 + 3_600 - 60);
    client.call(&ReceivedQuery::default()).unwrap();
    drop(client);
    assert_eq!(
        t.paths(),
        vec![
            "/oauth2/token",
            "/getsms/",
            "/getsms/",
            "/oauth2/token",
            "/getsms/"
        ]
    );
    assert_eq!(t.seen[2].header("Authorization"), Some("Bearer tok-1"));
    assert_eq!(t.seen[4].header("Authorization"), Some("Bearer tok-2"));
}

#[test]
fn oauth_refreshes_once_on_403_then_retries() {
    let mut t = Script::new(vec![
        ok(TOKEN),
        Ok(HttpResponse::new(403, r#"{"error":"invalid_token"}"#)),
        ok(r#"{"access_token":"tok-2","expires_in":3600}"#),
        ok(SENT),
    ]);
    let mut env = FakeEnv::default();
    Client::new(&mut t, &mut env, base(), oauth())
        .call(&SendMessage::new("+32470000001", "hi"))
        .unwrap();
    assert_eq!(
        t.paths(),
        vec!["/oauth2/token", "/sendsms/", "/oauth2/token", "/sendsms/"]
    );
    assert_eq!(t.seen[3].header("Authorization"), Some("Bearer tok-2"));
}

#[test]
fn oauth_gives_up_after_the_second_403() {
    let mut t = Script::new(vec![
        ok(TOKEN),
        Ok(HttpResponse::new(403, "")),
        ok(TOKEN),
        Ok(HttpResponse::new(403, "")),
    ]);
    let mut env = FakeEnv::default();
    let e = Client::new(&mut t, &mut env, base(), oauth())
        .call(&ReceivedQuery::default())
        .unwrap_err();
    assert!(e.is_auth());
    assert_eq!(t.seen.len(), 4);
}

#[test]
fn bad_client_credentials_fail_at_the_token_without_looping() {
    let mut t = Script::new(vec![Ok(HttpResponse::new(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
    ))]);
    let mut env = FakeEnv::default();
    let e = Client::new(&mut t, &mut env, base(), oauth())
        .call(&ReceivedQuery::default())
        .unwrap_err();
    assert!(e.is_auth());
    assert_eq!(t.seen.len(), 1);
}

#[test]
fn backoff_grows_and_caps() {
    let p = RetryPolicy {
        max_retries: 10,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(10),
    };
    assert_eq!(p.delay(0, None, 1.0), Duration::from_secs(1));
    assert_eq!(p.delay(2, None, 1.0), Duration::from_secs(4));
    assert_eq!(p.delay(9, None, 1.0), Duration::from_secs(10));
    assert_eq!(p.delay(40, None, 0.5), Duration::from_secs(5));
    assert_eq!(p.delay(3, None, 0.0), Duration::ZERO);
    assert_eq!(
        p.delay(0, Some(Duration::from_secs(120)), 0.5),
        Duration::from_secs(10)
    );
}
