//! Fault injection, the `/_sandbox/` control endpoints, webhooks and start-up checks.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{KEY, PHONE, start, start_with};
use serde_json::{Value, json};
use smsmobileapi_sandbox::{
    Faults, Sandbox, SandboxConfig, SandboxError, WebhookConfig, WebhookFormat, sign_webhook,
};

#[test]
fn fail_rate_one_answers_500_to_everything_and_records_nothing() {
    let api = start_with(SandboxConfig {
        seed: Some(3),
        faults: Faults {
            fail_rate_500: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    for _ in 0..5 {
        let a = api.send(PHONE, "hi", &[]);
        assert_eq!(a.status, 500);
        assert_eq!(a.body["error"], "internal_error");
    }
    assert_eq!(api.api_get("/getsms/", &[]).status, 500);
    assert!(api.messages().is_empty());
    let stats = api.get("/_sandbox/stats", &[]).body;
    assert_eq!(stats["faults"]["500"], 6);
    assert_eq!(stats["requests"]["/sendsms/"], 5);
    assert_eq!(stats["messages_accepted"], 0);
}

#[test]
fn injected_429s_carry_retry_after() {
    let api = start();
    api.faults(json!({"fail_rate_429": 1.0, "retry_after_secs": 3}));
    let a = api.send(PHONE, "hi", &[]);
    assert_eq!(a.status, 429);
    assert_eq!(a.retry_after.as_deref(), Some("3"));
    assert_eq!(a.body["error"], "rate_limited");
    assert!(api.messages().is_empty());
}

#[test]
fn slow_answers_are_delayed_then_succeed() {
    let api = start();
    api.faults(json!({"slow_rate": 1.0, "slow_ms": 300}));
    let t = Instant::now();
    let guid = api.send_ok(PHONE, "hi", &[]);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(api.messages()[0]["guid"], guid.as_str());
    assert_eq!(api.get("/_sandbox/stats", &[]).body["faults"]["slow"], 1);
}

#[test]
fn an_ambiguous_failure_records_the_message_but_answers_500() {
    let api = start();
    api.faults(json!({"ambiguous_rate": 1.0}));
    let a = api.send(PHONE, "Order #42 shipped", &[]);
    assert_eq!(a.status, 500);
    let stored = api.messages();
    assert_eq!(
        stored.len(),
        1,
        "the phone queue has it although the client saw a 500"
    );
    assert_eq!(stored[0]["ambiguous"], true);
    assert_eq!(stored[0]["state"], "sent");
    // The client's way to find out: the log, by keyword.
    let rows = api.log(&[("keyword", "Order #42")]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["send_from_mobile"], "1");
    let stats = api.get("/_sandbox/stats", &[]).body;
    assert_eq!(stats["faults"]["ambiguous"], 1);
    assert_eq!(stats["messages_accepted"], 1);
}

#[test]
fn a_resend_failure_answers_500_to_resend_only_and_leaves_the_message_in_error() {
    let api = start();
    api.faults(json!({"phone_failure_rate": 1.0}));
    let guid = api.send_ok(PHONE, "Order #42 shipped", &[]);
    api.faults(json!({"phone_failure_rate": 0.0, "resend_failure_rate": 1.0}));
    // The sent log still answers: a client can find the failure, then fail to resend it.
    assert_eq!(api.log(&[("error_mobile", "1")]).len(), 1);
    let failed = api.api_get("/resend/", &[("guid", &guid)]);
    assert_eq!(failed.status, 500);
    assert_eq!(api.messages()[0]["resend_count"], 0);
    assert_eq!(api.log(&[("error_mobile", "1")]).len(), 1, "still in error");
    assert_eq!(
        api.get("/_sandbox/stats", &[]).body["faults"]["resend_500"],
        1
    );
    api.faults(json!({"resend_failure_rate": 0.0}));
    assert_eq!(api.api_get("/resend/", &[("guid", &guid)]).status, 200);
    assert_eq!(api.messages()[0]["resend_count"], 1);
}

#[test]
fn phone_offline_is_an_application_error_on_http_200() {
    let api = start();
    api.faults(json!({"offline_rate": 1.0}));
    let a = api.send(PHONE, "hi", &[]);
    assert_eq!(a.status, 200);
    assert_eq!(a.body["result"]["error"], 2);
    assert_eq!(a.body["result"]["sent"], "no");
    assert_eq!(api.messages()[0]["state"], "error_api");
    assert_eq!(api.get("/_sandbox/stats", &[]).body["messages_accepted"], 0);
}

/// The status of each of `n` sends against a fresh sandbox seeded with `seed`.
fn statuses(seed: u64, n: usize) -> Vec<u16> {
    let api = start_with(SandboxConfig {
        seed: Some(seed),
        faults: Faults {
            fail_rate_500: 0.3,
            fail_rate_429: 0.2,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    (0..n)
        .map(|i| api.send(PHONE, &format!("m{i}"), &[]).status)
        .collect()
}

#[test]
fn a_fixed_seed_replays_the_same_faults_at_about_the_configured_rates() {
    let a = statuses(42, 200);
    assert_eq!(a, statuses(42, 200));
    assert_ne!(a, statuses(43, 200));
    let count = |s: u16| a.iter().filter(|x| **x == s).count();
    // 429 is drawn first (20 %), then 500 (30 % of the rest): about 40, 48 and 112 of 200.
    assert!((20..=62).contains(&count(429)), "{}", count(429));
    assert!((28..=72).contains(&count(500)), "{}", count(500));
    assert_eq!(count(200) + count(429) + count(500), 200);
}

#[test]
fn faults_can_be_read_and_changed_at_run_time_and_bad_rates_are_refused() {
    let api = start();
    let f = api.get("/_sandbox/faults", &[]).body;
    assert_eq!(f["fail_rate_500"], 0.0);
    assert_eq!(f["seed"], 1);
    let changed = api.post_json("/_sandbox/faults", json!({"fail_rate_500": 0.5, "seed": 9}));
    assert_eq!(changed.body["fail_rate_500"], 0.5);
    assert_eq!(changed.body["seed"], 9);
    assert_eq!(
        changed.body["retry_after_secs"], 1,
        "unnamed fields keep their value"
    );
    let bad = api.post_json("/_sandbox/faults", json!({"fail_rate_500": 2.0}));
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .contains("fail_rate_500")
    );
    let unknown = api.post_json("/_sandbox/faults", json!({"fail_rate_501": 0.1}));
    assert_eq!(unknown.status, 400);
    assert_eq!(
        api.get("/_sandbox/faults", &[]).body["fail_rate_500"],
        0.5,
        "refused patches change nothing"
    );

    let via_config = api.post_json(
        "/_sandbox/config",
        json!({"faults": {"fail_rate_500": 0.0}}),
    );
    assert_eq!(via_config.body["faults"]["fail_rate_500"], 0.0);
    api.sandbox
        .set_faults(Faults {
            fail_rate_429: 1.0,
            ..Faults::default()
        })
        .unwrap();
    assert_eq!(api.send(PHONE, "hi", &[]).status, 429);
}

#[test]
fn deleting_messages_resets_sent_received_and_counters() {
    let api = start();
    api.send_ok(PHONE, "hi", &[]);
    api.post_json(
        "/_sandbox/received",
        json!({"number": PHONE, "message": "yes"}),
    );
    assert_eq!(api.sandbox.messages().len(), 1);
    assert_eq!(api.delete("/_sandbox/messages").status, 200);
    assert!(api.messages().is_empty());
    assert!(
        api.get("/_sandbox/received", &[]).body["received"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(api.sandbox.stats().messages_accepted, 0);
    assert_eq!(
        api.api_get("/gateway/mobile/list/", &[]).body["connected_now"],
        1,
        "devices stay"
    );
}

#[test]
fn inject_needs_a_number_and_a_message() {
    let api = start();
    let a = api.post_json("/_sandbox/received", json!({"number": PHONE}));
    assert_eq!(a.status, 400);
    let a = api.post_json("/_sandbox/received", json!("not an object"));
    assert_eq!(a.status, 400);
}

struct Hit {
    headers: Vec<(String, String)>,
    body: String,
}

impl Hit {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A one-purpose webhook receiver on loopback: answers 200 to `n` POSTs and hands them over.
fn receiver(n: usize) -> (SocketAddr, mpsc::Receiver<Hit>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap(); // request line
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
            tx.send(Hit {
                headers,
                body: String::from_utf8(body).unwrap(),
            })
            .unwrap();
        }
    });
    (addr, rx)
}

#[test]
fn an_injected_reply_is_posted_to_the_webhook_as_legacy_and_signed_v2() {
    let (addr, hits) = receiver(2);
    let api = start();
    let cfg = api.post_json(
        "/_sandbox/config",
        json!({"webhook_url": format!("http://{addr}/hooks/sms"), "webhook_secret": "whsec_test", "webhook_format": "both"}),
    );
    assert_eq!(cfg.status, 200, "{}", cfg.body);
    assert_eq!(
        cfg.body["webhook_secret"], "********",
        "the secret is never echoed"
    );

    let a = api.post_json(
        "/_sandbox/received",
        json!({"number": PHONE, "message": "STOP"}),
    );
    assert_eq!(a.status, 200);
    assert_eq!(
        a.body["webhooks"],
        json!([{"format": "legacy", "status": 200}, {"format": "v2", "status": 200}])
    );
    let guid = a.body["received"]["guid"].as_str().unwrap().to_owned();

    let legacy = hits.recv_timeout(Duration::from_secs(5)).unwrap();
    let body: Value = serde_json::from_str(&legacy.body).unwrap();
    assert_eq!(body["number"], PHONE);
    assert_eq!(body["message"], "STOP");
    assert_eq!(body["guid"], guid.as_str());
    for field in ["date", "hour", "time_received"] {
        assert!(body[field].is_string(), "{field}");
    }
    assert!(legacy.header("X-SMSMobileAPI-Signature").is_none());

    let v2 = hits.recv_timeout(Duration::from_secs(5)).unwrap();
    let ts = v2.header("X-SMSMobileAPI-Timestamp").unwrap();
    let expected = format!("v1={}", sign_webhook("whsec_test", ts, &v2.body));
    assert_eq!(
        v2.header("X-SMSMobileAPI-Signature"),
        Some(expected.as_str())
    );
    assert_eq!(v2.header("X-SMSMobileAPI-Event"), Some("sms.received"));
    let id = v2.header("X-SMSMobileAPI-Event-ID").unwrap();
    assert_eq!(v2.header("Idempotency-Key"), Some(id));
    let body: Value = serde_json::from_str(&v2.body).unwrap();
    assert_eq!(body["id"], id);
    assert_eq!(body["type"], "sms.received");
    assert_eq!(body["data"]["from"], PHONE);
    assert_eq!(body["data"]["guid"], guid.as_str());
    assert_eq!(body["data"]["device_id"], "sandbox-phone-1");
    for field in ["api_version", "created_at", "occurred_at"] {
        assert!(body[field].is_string(), "{field}");
    }
}

#[test]
fn deliver_twice_repeats_the_same_event_id_for_dedupe_tests() {
    let (addr, hits) = receiver(2);
    let api = start_with(SandboxConfig {
        webhook: Some(WebhookConfig {
            url: format!("http://{addr}/h"),
            secret: Some("s".into()),
            format: WebhookFormat::V2,
        }),
        ..SandboxConfig::default()
    });
    let a = api.post_json(
        "/_sandbox/received",
        json!({"number": PHONE, "message": "yes", "deliver_twice": true}),
    );
    assert_eq!(a.body["webhooks"].as_array().unwrap().len(), 2);
    let first = hits.recv_timeout(Duration::from_secs(5)).unwrap();
    let second = hits.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        first.header("X-SMSMobileAPI-Event-ID"),
        second.header("X-SMSMobileAPI-Event-ID")
    );
}

#[test]
fn a_clock_offset_beyond_a_century_is_refused_and_the_sandbox_keeps_answering() {
    let api = start();
    for offset in [i64::MAX, i64::MIN, 3_200_000_000] {
        let a = api.post_json("/_sandbox/config", json!({ "clock_offset_secs": offset }));
        assert_eq!(a.status, 400, "{offset}: {:?}", a.body);
        assert!(
            a.body["message"].as_str().unwrap().contains("100 years"),
            "{:?}",
            a.body
        );
        api.send_ok(PHONE, "Order #1 confirmed", &[]);
    }
    assert_eq!(
        api.get("/_sandbox/config", &[]).body["clock_offset_secs"],
        0
    );
    let a = api.post_json("/_sandbox/config", json!({"clock_offset_secs": -86_400}));
    assert_eq!(a.status, 200, "a day back is fine: {:?}", a.body);
}

#[test]
fn the_secret_and_format_of_a_running_webhook_can_be_changed_alone() {
    // Started with a legacy webhook (`ordersms sandbox --webhook-url ...`), then switched to
    // signed V2 deliveries without repeating the URL.
    let (addr, hits) = receiver(1);
    let api = start_with(SandboxConfig {
        webhook: Some(WebhookConfig {
            url: format!("http://{addr}/hooks/sms"),
            secret: None,
            format: WebhookFormat::Legacy,
        }),
        ..SandboxConfig::default()
    });
    let a = api.post_json(
        "/_sandbox/config",
        json!({"webhook_secret": "whsec_rotated", "webhook_format": "v2"}),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["webhook_format"], "v2");
    assert_eq!(a.body["webhook_secret"], "********");
    assert_eq!(a.body["webhook_url"], format!("http://{addr}/hooks/sms"));

    let r = api.post_json(
        "/_sandbox/received",
        json!({"number": PHONE, "message": "STOP"}),
    );
    assert_eq!(r.body["webhooks"], json!([{"format": "v2", "status": 200}]));
    let v2 = hits.recv_timeout(Duration::from_secs(5)).unwrap();
    let ts = v2.header("X-SMSMobileAPI-Timestamp").unwrap();
    let expected = format!("v1={}", sign_webhook("whsec_rotated", ts, &v2.body));
    assert_eq!(
        v2.header("X-SMSMobileAPI-Signature"),
        Some(expected.as_str())
    );

    // A bad format is refused, not ignored; nothing changes.
    let a = api.post_json("/_sandbox/config", json!({"webhook_format": "json"}));
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        api.get("/_sandbox/config", &[]).body["webhook_format"],
        "v2"
    );

    // Without a webhook there is nothing to change: say so.
    let bare = start();
    let a = bare.post_json("/_sandbox/config", json!({"webhook_secret": "s"}));
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["message"].as_str().unwrap().contains("webhook_url"),
        "{}",
        a.body
    );
}

#[test]
fn a_misspelt_config_field_is_refused_not_ignored() {
    // `clock_offset` for `clock_offset_secs`: a test that moves time forward must not go on
    // believing it did.
    let api = start();
    let a = api.post_json(
        "/_sandbox/config",
        json!({"clock_offset": 7200, "faults": {"fail_rate_500": 1.0}}),
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body["message"].as_str().unwrap().contains("clock_offset"),
        "{}",
        a.body
    );
    let cfg = api.get("/_sandbox/config", &[]).body;
    assert_eq!(cfg["faults"]["fail_rate_500"], 0.0, "all or nothing");
    api.send_ok(PHONE, "Order #1 confirmed", &[]);
}

#[test]
fn webhooks_only_go_to_loopback() {
    let api = start();
    let a = api.post_json(
        "/_sandbox/config",
        json!({"webhook_url": "http://example.com/hook"}),
    );
    assert_eq!(a.status, 400);
    assert!(a.body["message"].as_str().unwrap().contains("loopback"));
    let a = api.post_json(
        "/_sandbox/config",
        json!({"webhook_url": "http://127.0.0.1:1/hook", "webhook_format": "v2"}),
    );
    assert_eq!(a.status, 400, "v2 needs a secret");
    assert_eq!(
        api.get("/_sandbox/config", &[]).body["webhook_url"],
        Value::Null
    );
}

#[test]
fn start_refuses_non_loopback_addresses_and_bad_rates() {
    let public = SandboxConfig {
        addr: "0.0.0.0:0".parse().unwrap(),
        ..SandboxConfig::default()
    };
    let err = Sandbox::start(public).err().unwrap();
    assert!(matches!(err, SandboxError::NonLoopback { .. }), "{err}");
    assert!(err.to_string().contains("loopback"));
    let bad = SandboxConfig {
        faults: Faults {
            slow_rate: -0.1,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    assert!(matches!(
        Sandbox::start(bad).err().unwrap(),
        SandboxError::InvalidRate {
            field: "slow_rate",
            ..
        }
    ));
    let empty = SandboxConfig {
        api_key: " ".into(),
        ..SandboxConfig::default()
    };
    assert!(matches!(
        Sandbox::start(empty).err().unwrap(),
        SandboxError::EmptyApiKey
    ));
}

#[test]
fn a_custom_key_is_the_only_one_accepted_and_shutdown_closes_the_port() {
    let sandbox = Sandbox::start(SandboxConfig {
        api_key: "k-123".into(),
        ..SandboxConfig::default()
    })
    .unwrap();
    let addr = sandbox.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let status = |key: &str| {
        agent
            .get(format!("http://{addr}/getsms/"))
            .query("apikey", key)
            .call()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status("k-123"), 200);
    assert_eq!(status(KEY), 403);
    sandbox.shutdown();
    assert!(
        agent.get(format!("http://{addr}/getsms/")).call().is_err(),
        "nothing listens after shutdown"
    );
}
