//! `ordersms api <call>` as a user runs it, for every call, against the sandbox started
//! in-process on a free loopback port; plus the failure lines (bad key, 429, 500, garbage
//! body, timeout) against the sandbox's faults or a one-shot raw listener.

use serde_json::Value;
use smsmobileapi_sandbox::{Faults, RunningSandbox, Sandbox, SandboxConfig};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

struct Outcome {
    ok: bool,
    /// The exit status: 1 for a failure, 3 for a send that may have been queued.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        assert!(self.ok, "command failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
    /// The single error line, checked to be the only output.
    fn error_line(&self) -> &str {
        assert!(!self.ok, "expected a failure, got {}", self.stdout);
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {}", self.stderr);
        assert!(!self.stderr.contains("panicked"));
        self.stderr.trim_end()
    }
}

fn ordersms(base: &str, args: &[&str]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .arg("api")
        .args(args)
        .args(["--base-url", base])
        .env_remove("SMSMOBILEAPI_KEY")
        .env_remove("SMSMOBILEAPI_URL")
        .env_remove("SMSMOBILEAPI_CLIENT_ID")
        .env_remove("SMSMOBILEAPI_CLIENT_SECRET")
        .output()
        .expect("ordersms runs");
    Outcome {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        seed: Some(7),
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

/// `ordersms api` with the sandbox's key.
fn api(sb: &RunningSandbox, args: &[&str]) -> Outcome {
    let mut all = vec!["--api-key", sb.api_key()];
    all.extend_from_slice(args);
    ordersms(&sb.base_url(), &all)
}

#[test]
fn send_then_log_then_resend_refused_for_a_sent_message() {
    let sb = sandbox();
    let text = "Order #1001 & co + 🎉 100%";
    let sent = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            text,
            "--shorturl",
            "--sidentifiant",
            "sandbox-phone-1",
            "--port",
            "2",
        ],
    )
    .json();
    let guid = sent["guid"].as_str().unwrap().to_owned();
    assert_eq!(guid.len(), 40);
    assert_eq!(sent["whatsapp"], false);

    let recorded = sb.messages();
    assert_eq!(recorded.len(), 1);
    let json = serde_json::to_value(&recorded[0]).unwrap();
    assert_eq!(json["message"], text);
    assert_eq!(json["recipients"], "+32470000001");
    assert_eq!(json["shorturl"], true);
    assert_eq!(json["port"], 2);

    let log = api(&sb, &["log", "--guid-message", &guid]).json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["guid"], guid.as_str());
    assert_eq!(log[0]["recipient"], "+32470000001");
    assert_eq!(log[0]["message"], text);
    assert_eq!(log[0]["sent_by_mobile"], true);
    assert_eq!(log[0]["mobile_error"], Value::Null);

    let keyword = api(&sb, &["log", "--keyword", "& co +"]).json();
    assert_eq!(keyword.as_array().unwrap().len(), 1);

    let line = api(&sb, &["resend", "--guid", &guid]);
    assert!(
        line.error_line()
            .starts_with("ordersms: SMSMobileAPI reported error"),
        "{}",
        line.stderr
    );
}

#[test]
fn a_message_starting_with_a_hyphen_is_sent_as_written() {
    // A promotion ("-20% ...") or a list ("- item") is a message, not an option.
    let sb = sandbox();
    let text = "-20% on everything until Sunday";
    let sent = api(
        &sb,
        &["send", "--recipients", "+32470000001", "--message", text],
    );
    assert!(sent.stderr.is_empty(), "{}", sent.stderr);
    let recorded = sb.messages();
    assert_eq!(recorded.len(), 1);
    assert_eq!(serde_json::to_value(&recorded[0]).unwrap()["message"], text);
    let found = api(&sb, &["log", "--keyword", "-20%"]).json();
    assert_eq!(found.as_array().unwrap().len(), 1);
}

#[test]
fn whatsapp_failure_shows_in_the_log_and_resend_accepts_it() {
    let sb = sandbox();
    // The phone fails the WhatsApp message (WhatsApp not set up on it, say).
    sb.set_faults(Faults {
        phone_failure_rate: 1.0,
        ..Faults::default()
    })
    .unwrap();
    let sent = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000002",
            "--message",
            "hi",
            "--sendwa",
            "--sendsms",
            "0",
        ],
    )
    .json();
    let guid = sent["guid"].as_str().unwrap();
    assert_eq!(sent["whatsapp"], true);
    // Written for WhatsApp, without the `+` it was given with.
    let json = serde_json::to_value(&sb.messages()[0]).unwrap();
    assert_eq!(json["recipients"], "32470000002");
    let failed = api(&sb, &["log", "--error-mobile"]).json();
    assert_eq!(failed[0]["guid"], guid);
    assert_eq!(failed[0]["sent_by_mobile"], false);
    assert!(failed[0]["mobile_error"].is_string());
    assert_eq!(
        api(&sb, &["log", "--error-api"]).json(),
        serde_json::json!([])
    );

    sb.set_faults(Faults::default()).unwrap();
    let ack = api(&sb, &["resend", "--guid", guid]).json();
    assert_eq!(ack["details"]["result"]["id"], guid);
}

#[test]
fn sms_and_whatsapp_in_one_call_to_an_international_number_is_refused_before_sending() {
    // One call writes the number once; WhatsApp fails it with a `+` or `00`, which the SMS
    // needs. The WhatsApp copy would fail on the phone after a reported success.
    let sb = sandbox();
    for to in ["+32470000002", "0032470000002", "0470000001,+32470000002"] {
        let out = api(
            &sb,
            &["send", "--recipients", to, "--message", "hi", "--sendwa"],
        );
        let line = out.error_line();
        assert!(line.starts_with("ordersms: --sendwa "), "{to}: {line}");
        assert!(line.contains("--waonly"), "{to}: {line}");
        assert!(!line.contains("470000002"), "{to}: {line}");
    }
    assert!(sb.messages().is_empty(), "nothing reached the API");

    // WhatsApp only, or SMS and WhatsApp to a number the phone reads as written, go out.
    for args in [
        ["--recipients", "+32470000002", "--waonly", "yes"],
        ["--recipients", "+32470000002", "--sendsms", "0"],
        ["--recipients", "0470000001", "--shorturl", "0"],
    ] {
        let mut all = vec!["send", "--message", "hi", "--sendwa"];
        all.extend_from_slice(&args);
        assert_eq!(api(&sb, &all).json()["whatsapp"], true, "{args:?}");
    }
    assert!(
        sb.messages().iter().all(|m| m.phone_error.is_none()),
        "{:?}",
        sb.messages()
    );
}

fn inject_reply(sb: &RunningSandbox, number: &str, message: &str) -> Value {
    let body = serde_json::json!({"number": number, "message": message, "alias": "Alice"});
    let mut resp = ureq::post(format!("{}/_sandbox/received", sb.base_url()))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn received_mark_read_and_delete() {
    let sb = sandbox();
    assert_eq!(api(&sb, &["received"]).json(), serde_json::json!([]));
    let injected = inject_reply(&sb, "+32470000003", "Can I change the address?");
    let guid = injected["received"]["guid"].as_str().unwrap().to_owned();

    let rows = api(
        &sb,
        &[
            "received",
            "--onlyunread",
            "--s-identifiant-phone",
            "sandbox-phone-1",
        ],
    )
    .json();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(row["guid"], guid.as_str());
    assert_eq!(row["number"], "+32470000003");
    assert_eq!(row["message"], "Can I change the address?");
    assert_eq!(row["alias"], "Alice");
    assert_eq!(row["sIdentifiantPhone"], "sandbox-phone-1");
    // The sandbox sends time_received in milliseconds: printed as seconds.
    let ts = row["timestamp_unix"].as_u64().unwrap();
    assert!(row["time_received"].as_u64().unwrap().abs_diff(ts) <= 1);
    let after = (ts + 10).to_string();
    assert_eq!(
        api(&sb, &["received", "--after-timestamp-unix", &after]).json(),
        serde_json::json!([])
    );

    api(&sb, &["mark-read", "--guid-message", &guid]).json();
    assert_eq!(
        api(&sb, &["received", "--onlyunread", "yes"]).json(),
        serde_json::json!([])
    );
    assert_eq!(api(&sb, &["received"]).json().as_array().unwrap().len(), 1);

    let ack = api(&sb, &["delete", "--guid-message", &guid]).json();
    assert_eq!(ack["details"]["result"]["deleted"], "1");
    assert_eq!(api(&sb, &["received"]).json(), serde_json::json!([]));

    // One day and a range both reach the API.
    inject_reply(&sb, "+32470000004", "x");
    let day = api(&sb, &["delete", "--date-start", "2000-01-01"]).json();
    assert_eq!(day["details"]["result"]["deleted"], "0");
    let range = api(
        &sb,
        &[
            "delete",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2999-12-31",
        ],
    )
    .json();
    assert_eq!(range["details"]["result"]["deleted"], "1");

    let bad = api(&sb, &["delete", "--date-end", "2026-01-01"]);
    assert_eq!(
        bad.error_line(),
        "ordersms: `api delete --date-end` needs --date-start"
    );
}

#[test]
fn devices_label_and_delete() {
    let sb = sandbox();
    let list = api(&sb, &["devices"]).json();
    assert_eq!(list["items"][0]["sid"], "sandbox-phone-1");
    assert!(list["connected_now"].is_u64());
    assert!(list["items"][0]["battery"].is_u64());

    api(
        &sb,
        &[
            "device-label",
            "--sid",
            "sandbox-phone-1",
            "--label",
            "Counter & till",
        ],
    )
    .json();
    let found = api(&sb, &["devices", "--search", "Counter"]).json();
    assert_eq!(found["items"][0]["label"], "Counter & till");
    api(
        &sb,
        &["device-label", "--sid", "sandbox-phone-1", "--label", ""],
    )
    .json();
    let list = api(&sb, &["devices", "--sid", "sandbox-phone-1"]).json();
    assert_eq!(list["items"][0]["label"], Value::Null);

    api(&sb, &["device-delete", "--sid", "sandbox-phone-1"]).json();
    assert_eq!(
        api(&sb, &["devices"]).json()["items"],
        serde_json::json!([])
    );
    let offline = api(
        &sb,
        &["send", "--recipients", "+32470000001", "--message", "hi"],
    );
    assert!(
        offline
            .error_line()
            .starts_with("ordersms: the sending phone is not reachable"),
        "{}",
        offline.stderr
    );
}

#[test]
fn oauth_token_and_bearer_calls() {
    let sb = sandbox();
    let base = sb.base_url();
    let token = ordersms(
        &base,
        &[
            "token",
            "--client-id",
            "shop-1",
            "--client-secret",
            sb.api_key(),
        ],
    )
    .json();
    assert!(!token["access_token"].as_str().unwrap().is_empty());
    assert_eq!(token["expires_in"], 3600);

    let sent = ordersms(
        &base,
        &[
            "send",
            "--client-id",
            "shop-1",
            "--client-secret",
            sb.api_key(),
            "--recipients",
            "+32470000001",
            "--message",
            "via OAuth",
        ],
    )
    .json();
    assert!(sent["guid"].is_string());

    let bad = ordersms(
        &base,
        &[
            "devices",
            "--client-id",
            "shop-1",
            "--client-secret",
            "wrong-secret",
        ],
    );
    let line = bad.error_line();
    assert!(
        line.starts_with("ordersms: SMSMobileAPI rejected the OAuth client (HTTP 401)"),
        "{line}"
    );
    assert!(!line.contains("wrong-secret"));

    let missing = ordersms(&base, &["token"]);
    assert!(missing.error_line().contains("--client-id"));
}

#[test]
fn wrong_key_gives_one_line_without_the_key() {
    let sb = sandbox();
    let out = ordersms(&sb.base_url(), &["--api-key", "wrong-key-123", "received"]);
    let line = out.error_line();
    assert!(
        line.starts_with("ordersms: SMSMobileAPI rejected the API key (HTTP 403)"),
        "{line}"
    );
    // The key came from --api-key: that is what to check, not a variable that is not set.
    assert!(line.ends_with(": check --api-key"), "{line}");
    assert!(!line.contains("wrong-key-123"));
    let from_env = devices_with(&sb, &[("SMSMOBILEAPI_KEY", "wrong-key-123")], &[]);
    let line = from_env.error_line();
    assert!(line.ends_with(": check SMSMOBILEAPI_KEY"), "{line}");
    assert!(!line.contains("wrong-key-123"));

    let none = ordersms(&sb.base_url(), &["received"]);
    assert!(none.error_line().contains("SMSMOBILEAPI_KEY"));
    let no_recipients = api(&sb, &["send", "--message", "hi"]);
    assert_eq!(
        no_recipients.error_line(),
        "ordersms: `api send` needs --recipients"
    );
}

#[test]
fn a_short_wrong_key_is_masked_without_garbling_the_error_line() {
    // A mistyped three-letter key: the words around it must stay readable, and the key
    // itself, where the API echoes it as a value, must still be hidden.
    let sb = sandbox();
    let out = ordersms(&sb.base_url(), &["--api-key", "key", "received"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI rejected the API key (HTTP 403) (the API key is invalid or has expired): check --api-key"
    );

    let echo = one_shot(
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{\"error\":\"bad_request\",\"message\":\"apikey=key&message=hi: the parameter message is invalid\"}",
        Duration::ZERO,
    );
    let line = ordersms(&echo, &["--api-key", "key", "received"]);
    let line = line.error_line();
    assert!(line.contains("apikey=***&message"), "{line}");
    assert!(!line.contains("=key"), "{line}");
}

#[test]
fn rate_limit_and_server_errors_from_sandbox_faults() {
    let sb = sandbox();
    sb.set_faults(Faults {
        fail_rate_429: 1.0,
        retry_after_secs: 9,
        ..Faults::default()
    })
    .unwrap();
    let out = api(&sb, &["--retries", "0", "received"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI is rate limiting requests (HTTP 429), retry after 9s: slow down and retry later"
    );

    sb.set_faults(Faults {
        fail_rate_500: 1.0,
        ..Faults::default()
    })
    .unwrap();
    let out = api(&sb, &["--retries", "1", "devices"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI failed with HTTP 500: retry later"
    );
    // One retry: two requests reached the sandbox.
    assert_eq!(sb.stats().faults.get("500").copied(), Some(2));
}

/// Serves one canned HTTP response on a free loopback port, then closes.
fn one_shot(response: &'static [u8], delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            std::thread::sleep(delay);
            let _ = stream.write_all(response);
        }
    });
    format!("http://{addr}")
}

#[test]
fn garbage_body_and_raw_statuses_from_a_bare_listener() {
    let base = one_shot(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 22\r\nConnection: close\r\n\r\n<html>maintenance</html",
        Duration::ZERO,
    );
    let out = ordersms(&base, &["--api-key", "k-1", "received"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI answered HTTP 200 with an unexpected body: <html>maintenance</htm"
    );

    let base = one_shot(
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        Duration::ZERO,
    );
    let out = ordersms(&base, &["--api-key", "k-1", "received"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI rejected the API key (HTTP 403): check --api-key"
    );

    let base = one_shot(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        Duration::ZERO,
    );
    let out = ordersms(&base, &["--api-key", "k-1", "--retries", "0", "devices"]);
    assert!(
        out.error_line().contains("retry after 120s"),
        "{}",
        out.stderr
    );

    let base = one_shot(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad",
        Duration::ZERO,
    );
    let out = ordersms(&base, &["--api-key", "k-1", "--retries", "0", "devices"]);
    assert_eq!(
        out.error_line(),
        "ordersms: SMSMobileAPI failed with HTTP 502: retry later"
    );
}

#[test]
fn timeout_is_a_transport_error() {
    let base = one_shot(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        Duration::from_secs(4),
    );
    let out = ordersms(
        &base,
        &[
            "--api-key",
            "k-1",
            "--timeout",
            "1",
            "--retries",
            "0",
            "received",
        ],
    );
    assert!(
        out.error_line()
            .starts_with("ordersms: could not reach SMSMobileAPI (timeout)"),
        "{}",
        out.stderr
    );
    // Says how long it waited, in words: not ureq's "timeout: global".
    assert!(
        out.error_line()
            .ends_with("(timeout): no complete answer within 1 s"),
        "{}",
        out.stderr
    );
}

#[test]
fn sandbox_and_client_sign_webhooks_alike() {
    let body = r#"{"id":"evt_1","type":"sms.received","data":{}}"#;
    assert_eq!(
        // The sandbox returns the bare hex; the header value is `v1=<hex>`.
        format!(
            "v1={}",
            smsmobileapi_sandbox::sign_webhook("whsec", "1774040864", body)
        ),
        smsmobileapi::webhook::sign(b"whsec", "1774040864", body.as_bytes())
    );
}

#[test]
fn key_and_base_url_from_the_environment() {
    let sb = sandbox();
    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["api", "devices"])
        .env("SMSMOBILEAPI_KEY", sb.api_key())
        .env("SMSMOBILEAPI_URL", sb.base_url())
        .env_remove("SMSMOBILEAPI_CLIENT_ID")
        .env_remove("SMSMOBILEAPI_CLIENT_SECRET")
        .output()
        .expect("ordersms runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["items"][0]["sid"], "sandbox-phone-1");
}

/// `ordersms api devices` against the sandbox with these environment variables and flags.
fn devices_with(sb: &RunningSandbox, env: &[(&str, &str)], flags: &[&str]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ordersms"));
    cmd.args(["api", "devices", "--base-url", &sb.base_url()])
        .args(flags)
        .env_remove("SMSMOBILEAPI_KEY")
        .env_remove("SMSMOBILEAPI_URL")
        .env_remove("SMSMOBILEAPI_CLIENT_ID")
        .env_remove("SMSMOBILEAPI_CLIENT_SECRET");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().expect("ordersms runs");
    Outcome {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_credential_on_the_command_line_wins_then_the_api_key_as_in_the_worker() {
    let sb = sandbox();
    let key = sb.api_key();
    let stale_oauth = [
        ("SMSMOBILEAPI_CLIENT_ID", "shop-1"),
        ("SMSMOBILEAPI_CLIENT_SECRET", "old-rotated-secret"),
    ];
    // An explicit --api-key beats OAuth client credentials left in the environment.
    let out = devices_with(&sb, &stale_oauth, &["--api-key", key]);
    assert_eq!(out.json()["items"][0]["sid"], "sandbox-phone-1");

    // Both in the environment: the API key, as the Worker does with the same variables.
    let both = [stale_oauth[0], stale_oauth[1], ("SMSMOBILEAPI_KEY", key)];
    let out = devices_with(&sb, &both, &[]);
    assert_eq!(out.json()["items"][0]["sid"], "sandbox-phone-1");

    // Explicit OAuth flags beat a key in the environment.
    let out = devices_with(
        &sb,
        &[("SMSMOBILEAPI_KEY", "old-rotated-key")],
        &["--client-id", "shop-1", "--client-secret", key],
    );
    assert_eq!(out.json()["items"][0]["sid"], "sandbox-phone-1");
    let out = devices_with(
        &sb,
        &[
            ("SMSMOBILEAPI_KEY", key),
            ("SMSMOBILEAPI_CLIENT_ID", "shop-1"),
        ],
        &["--client-secret", "wrong-secret"],
    );
    assert!(
        out.error_line()
            .starts_with("ordersms: SMSMobileAPI rejected the OAuth client"),
        "{}",
        out.stderr
    );
    // Each setting named where it came from: the id from the environment, the secret typed.
    assert!(
        out.error_line()
            .ends_with(": check SMSMOBILEAPI_CLIENT_ID and --client-secret"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    // `ordersms api log | head -1`: the reader goes away before the JSON is written.
    let sb = sandbox();
    for i in 0..3 {
        let text = format!("Order #10{i} has shipped");
        api(
            &sb,
            &["send", "--recipients", "+32470000001", "--message", &text],
        )
        .json();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["api", "log", "--api-key", sb.api_key(), "--base-url"])
        .arg(sb.base_url())
        .env_remove("SMSMOBILEAPI_CLIENT_ID")
        .env_remove("SMSMOBILEAPI_CLIENT_SECRET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ordersms runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}

#[test]
fn a_send_that_may_have_been_queued_is_not_told_to_retry() {
    // The sandbox records the message, then answers 500: the customer will get it. Telling
    // the user to "retry later" would text them twice.
    let sb = sandbox();
    sb.set_faults(Faults {
        ambiguous_rate: 1.0,
        ..Faults::default()
    })
    .unwrap();
    let out = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "Order #1001 has shipped",
        ],
    );
    let line = out.error_line();
    assert_eq!(sb.messages().len(), 1, "the sandbox queued it");
    assert!(!line.contains("retry later"), "{line}");
    assert!(line.contains("HTTP 500"), "{line}");
    assert!(line.contains("ordersms api log"), "{line}");
    // A script tells it from a plain failure by the exit status, not by parsing the line.
    assert_eq!(out.code, Some(3), "{line}");

    // No answer in time: the send may have reached the API as well.
    let base = one_shot(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        Duration::from_secs(4),
    );
    let out = ordersms(
        &base,
        &[
            "--api-key",
            "k-1",
            "--timeout",
            "1",
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "hi",
        ],
    );
    let line = out.error_line();
    assert!(line.contains("timeout"), "{line}");
    assert!(line.contains("ordersms api log"), "{line}");
    assert_eq!(out.code, Some(3), "{line}");

    // A 200 whose body is not the JSON (a PHP notice before it): the API ran the send.
    let base = one_shot(
        b"HTTP/1.1 200 OK\r\nContent-Length: 36\r\nConnection: close\r\n\r\n<b>Warning</b>: {\"result\":{\"error\":0",
        Duration::ZERO,
    );
    let out = ordersms(
        &base,
        &[
            "--api-key",
            "k-1",
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "hi",
        ],
    );
    let line = out.error_line();
    assert!(line.contains("unexpected body"), "{line}");
    assert!(line.contains("ordersms api log"), "{line}");
    assert_eq!(out.code, Some(3), "{line}");

    // A refused connection proves nothing was sent: the plain message stays.
    let out = ordersms(
        "http://127.0.0.1:1",
        &[
            "--api-key",
            "k-1",
            "--retries",
            "0",
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "hi",
        ],
    );
    let line = out.error_line();
    assert!(
        line.starts_with("ordersms: could not reach SMSMobileAPI (connection failed)"),
        "{line}"
    );
    assert!(!line.contains("api log"), "{line}");
    assert_eq!(out.code, Some(1), "{line}");
}

#[test]
fn a_recipient_that_is_not_a_phone_number_is_refused_before_sending() {
    let sb = sandbox();
    for bad in [
        "Alice",
        "+32470000001;+32470000002",
        "+32470000001,",
        "+32 470 abc",
    ] {
        let out = api(&sb, &["send", "--recipients", bad, "--message", "hi"]);
        let line = out.error_line();
        assert!(line.starts_with("ordersms: --recipients "), "{bad}: {line}");
        assert!(line.contains("comma"), "{bad}: {line}");
        // A script's stderr goes to logs: the numbers are masked there, as everywhere else,
        // and what is wrong with the value (`;`, a trailing comma, letters) still shows.
        assert!(!line.contains("0000"), "{bad}: {line}");
    }
    let out = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000001;+32470000002",
            "--message",
            "hi",
        ],
    );
    assert!(out.error_line().contains("01;+"), "{}", out.stderr);
    assert!(sb.messages().is_empty(), "nothing reached the API");

    // National, spaced and several numbers are the API's to read.
    let ok = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32 470 00 00 01, 0470-00.00.02, (0470) 000003",
            "--message",
            "hi",
        ],
    );
    ok.json();
    assert_eq!(sb.messages().len(), 1);
}

#[test]
fn a_schedule_in_milliseconds_is_refused_not_queued_for_the_year_58000() {
    // `Date.now()` and many shells' tools give milliseconds; the API takes UNIX seconds and
    // would hold the message until the phone's clock reaches that "second".
    let sb = sandbox();
    let out = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "Your parcel arrives tomorrow",
            "--schedule-timestamp",
            "1774040864000",
        ],
    );
    let line = out.error_line();
    assert!(
        line.starts_with("ordersms: --schedule-timestamp 1774040864000"),
        "{line}"
    );
    assert!(line.contains("milliseconds"), "{line}");
    assert!(sb.messages().is_empty());

    let ok = api(
        &sb,
        &[
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "Your parcel arrives tomorrow",
            "--schedule-timestamp",
            "1774040864",
        ],
    );
    ok.json();
    assert_eq!(sb.messages()[0].schedule_timestamp, Some(1_774_040_864));

    let out = api(
        &sb,
        &["received", "--after-timestamp-unix", "1774040864000"],
    );
    assert!(out.error_line().contains("milliseconds"), "{}", out.stderr);

    // The log's `before` takes a time or a GUID: a time in milliseconds is after every
    // message, so the filter silently matched the whole log.
    let out = api(&sb, &["log", "--before", "1774040864000"]);
    let line = out.error_line();
    assert!(
        line.starts_with("ordersms: --before 1774040864000"),
        "{line}"
    );
    assert!(line.contains("milliseconds"), "{line}");
    assert_eq!(
        api(&sb, &["log", "--before", "1774040864"]).json(),
        serde_json::json!([]),
        "before the only message: none"
    );
    let guid = sb.messages()[0].guid.clone();
    assert_eq!(
        api(&sb, &["log", "--before", &guid]).json(),
        serde_json::json!([])
    );
}

#[test]
fn a_redirecting_base_url_is_reported_not_followed() {
    // `http://` in front of an HTTPS-only host: the server answers 301. Following it turned
    // the POST /sendsms/ into a bodiless GET ("missing apikey" for a key that was given)
    // and sent GET calls' apikey on to wherever Location pointed.
    let sb = sandbox();
    let location = format!("{}/sendsms/?apikey=sandbox-key", sb.base_url());
    let response: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let base = one_shot(response, Duration::ZERO);
    let out = ordersms(
        &base,
        &[
            "--api-key",
            sb.api_key(),
            "send",
            "--recipients",
            "+32470000001",
            "--message",
            "hi",
        ],
    );
    let line = out.error_line();
    assert!(line.contains("HTTP 301"), "{line}");
    assert!(line.contains("check the base URL"), "{line}");
    assert!(
        line.contains(&format!("{}/sendsms/", sb.base_url())),
        "{line}"
    );
    assert!(!line.contains("sandbox-key"), "{line}");
    assert_eq!(sb.stats().requests.values().sum::<u64>(), 0, "not followed");
}

#[test]
fn a_call_s_help_lists_its_own_flags_then_the_connection_flags() {
    // `ordersms api send --help` mixed --api-key, --base-url, --timeout... in between the
    // send's own flags.
    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["api", "send", "--help"])
        .env_remove("SMSMOBILEAPI_KEY")
        .output()
        .expect("ordersms runs");
    let help = String::from_utf8_lossy(&out.stdout);
    let at = |flag: &str| {
        help.find(&format!("      {flag} "))
            .unwrap_or_else(|| panic!("{flag} missing from {help}"))
    };
    let connection = help.find("Connection:").expect("a Connection heading");
    for own in ["--recipients", "--message", "--sendwa", "--port"] {
        assert!(
            at(own) < connection,
            "{own} after the connection flags: {help}"
        );
    }
    for shared in [
        "--api-key",
        "--client-id",
        "--base-url",
        "--timeout",
        "--retries",
    ] {
        assert!(
            at(shared) > connection,
            "{shared} among the send's flags: {help}"
        );
    }
}

#[test]
fn timeout_zero_is_refused_on_the_command_line() {
    // `--timeout 0` was quietly run as 1 s; a ureq timeout of zero would abandon every call.
    let out = ordersms(
        "http://127.0.0.1:9",
        &["--api-key", "k-1", "--timeout", "0", "devices"],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("--timeout must be at least 1 second"),
        "{}",
        out.stderr
    );
    // A huge one overflowed ureq's deadline: a panic, not a line.
    let out = ordersms(
        "http://127.0.0.1:9",
        &[
            "--api-key",
            "k-1",
            "--timeout",
            "18446744073709551615",
            "devices",
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--timeout must be at most 86400 seconds"),
        "{}",
        out.stderr
    );
}

/// Serves `responses` in turn, one connection each, on a free loopback port.
fn in_turn(responses: Vec<&'static [u8]>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for response in responses {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(response);
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_retry_after_wait_is_announced_on_stderr_only() {
    // A 429 with `Retry-After` made the CLI wait silently before its retry (up to 30 s): a
    // hung command to the user. The wait is said on stderr; stdout stays the JSON alone.
    let devices = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../smsmobileapi/tests/fixtures/gateway_list.json"),
    )
    .unwrap();
    let ok: &'static [u8] = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{devices}",
        devices.len()
    )
    .into_bytes()
    .leak();
    let base = in_turn(vec![
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ok,
    ]);
    let out = ordersms(&base, &["--api-key", "k-1", "--retries", "1", "devices"]);
    let list = out.json();
    assert!(list["items"].is_array(), "{list}");
    assert_eq!(
        out.stderr,
        "ordersms: SMSMobileAPI is rate limiting; retrying in 1 s (Retry-After)\n"
    );
}

#[test]
fn each_retry_after_wait_is_announced_before_the_final_error() {
    let sb = sandbox();
    sb.set_faults(Faults {
        fail_rate_429: 1.0,
        retry_after_secs: 1,
        ..Faults::default()
    })
    .unwrap();
    let out = api(&sb, &["--retries", "1", "received"]);
    assert!(!out.ok);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "ordersms: SMSMobileAPI is rate limiting; retrying in 1 s (Retry-After)",
            "ordersms: SMSMobileAPI is rate limiting requests (HTTP 429), retry after 1s: slow down and retry later",
        ]
    );
}
