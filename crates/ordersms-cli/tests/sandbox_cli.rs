//! `ordersms sandbox` as a user runs it: a child process on a free port, its start line,
//! real HTTP requests, masked per-request log lines, flags and refusals.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A running `ordersms sandbox` child, killed (by its own handle) on drop.
struct Cli {
    child: Child,
    base: String,
    stderr: mpsc::Receiver<String>,
    agent: ureq::Agent,
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Cli {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .arg("sandbox")
        .args(["--port", "0"])
        .args(args)
        .env_remove("SMSMOBILEAPI_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ordersms runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in the start line: {line:?}"))
        .to_owned();
    let stderr = lines(child.stderr.take().unwrap());
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    Cli {
        child,
        base,
        stderr,
        agent,
    }
}

fn lines(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Cli {
    fn send(&self, key: &str) -> (u16, Value) {
        let mut res = self
            .agent
            .post(format!("{}/sendsms/", self.base))
            .send_form([
                ("apikey", key),
                ("recipients", "+32470123489"),
                ("message", "Order #1001 shipped"),
            ])
            .expect("the sandbox answers");
        let body = res.body_mut().read_to_string().unwrap();
        (res.status().as_u16(), serde_json::from_str(&body).unwrap())
    }

    fn next_log_line(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_secs(10))
            .expect("a request log line")
    }
}

#[test]
fn sandbox_prints_its_address_serves_the_api_and_logs_masked_numbers() {
    let cli = spawn(&["--seed", "5", "--api-key", "test-key-123"]);
    let (status, body) = cli.send("test-key-123");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["sent"], "1");
    let line = cli.next_log_line();
    assert!(line.starts_with("POST /sendsms/ 200"), "{line}");
    assert!(line.contains("+3247*****89"), "{line}");
    assert!(!line.contains("+32470123489"), "unmasked number in {line}");
    assert!(!line.contains("Order #1001"), "message text in {line}");

    let (status, _) = cli.send("sandbox-key");
    assert_eq!(status, 403, "only the configured key is accepted");

    let mut res = cli
        .agent
        .get(format!("{}/_sandbox/messages", cli.base))
        .call()
        .unwrap();
    let messages: Value = serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(messages["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn the_start_line_masks_a_custom_key_and_shows_the_default_one() {
    let mut custom = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["sandbox", "--port", "0", "--quiet"])
        .env("SMSMOBILEAPI_KEY", "real-secret-key")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(custom.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = custom.kill();
    let _ = custom.wait();
    assert!(line.contains("rea***"), "{line}");
    assert!(!line.contains("real-secret-key"), "{line}");

    let default = spawn(&["--quiet"]);
    let (status, _) = default.send("sandbox-key");
    assert_eq!(status, 200);
}

#[test]
fn fault_flags_apply_from_the_start() {
    let cli = spawn(&[
        "--seed",
        "1",
        "--fail-rate-429",
        "1.0",
        "--retry-after",
        "2",
    ]);
    let res = cli
        .agent
        .post(format!("{}/sendsms/", cli.base))
        .send_form([
            ("apikey", "sandbox-key"),
            ("recipients", "+32470123489"),
            ("message", "hi"),
        ])
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    assert!(cli.next_log_line().contains("[429]"));
}

#[test]
fn a_log_line_names_a_send_fault_only_when_it_applied_and_gives_the_guid_it_recorded() {
    let cli = spawn(&["--seed", "3", "--ambiguous-rate", "1.0"]);
    // Refused for its key: nothing was recorded, so nothing was ambiguous.
    let (status, _) = cli.send("wrong-key");
    assert_eq!(status, 403);
    let line = cli.next_log_line();
    assert!(line.starts_with("POST /sendsms/ 403"), "{line}");
    assert!(!line.contains("[ambiguous]"), "{line}");

    // Recorded, answered 500: the line says so and names the message the sandbox keeps.
    let (status, _) = cli.send("sandbox-key");
    assert_eq!(status, 500);
    let line = cli.next_log_line();
    assert!(line.starts_with("POST /sendsms/ 500 [ambiguous]"), "{line}");
    let mut res = cli
        .agent
        .get(format!("{}/_sandbox/messages", cli.base))
        .call()
        .unwrap();
    let messages: Value = serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap();
    let guid = messages["messages"][0]["guid"].as_str().unwrap();
    assert!(line.contains(&format!(" guid={guid} ")), "{line}");
}

#[test]
fn a_seed_from_the_clock_survives_a_json_number_so_a_run_can_be_replayed() {
    // The seed is read back from the start line or from GET /_sandbox/faults to replay a run;
    // JavaScript and jq read JSON numbers as doubles, exact only up to 2^53.
    let cli = spawn(&["--quiet"]);
    let mut res = cli
        .agent
        .get(format!("{}/_sandbox/faults", cli.base))
        .call()
        .unwrap();
    let text = res.body_mut().read_to_string().unwrap();
    let faults: Value = serde_json::from_str(&text).unwrap();
    let seed = faults["seed"].as_u64().expect("an integer seed");
    assert!(seed < 1 << 53, "seed {seed} is not exact as a double");
    assert_eq!(seed as f64 as u64, seed);
}

#[test]
fn host_localhost_is_the_loopback_address() {
    // The name the webhook URLs and the API client accept for this machine.
    let cli = spawn(&["--host", "localhost", "--quiet"]);
    let (status, _) = cli.send("sandbox-key");
    assert_eq!(status, 200);
}

#[test]
fn a_non_loopback_host_or_a_bad_rate_is_refused_with_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["sandbox", "--host", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("ordersms: refusing to bind 0.0.0.0:0"),
        "{err}"
    );
    assert!(err.contains("loopback"), "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["sandbox", "--port", "0", "--fail-rate-500", "1.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fail_rate_500"));
}

/// Runs `ordersms sandbox` expecting it to refuse to start: its exit status and stderr, or a
/// panic if it is still running (serving) after a few seconds.
fn refused(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ordersms"));
    cmd.arg("sandbox")
        .args(["--port", "0"])
        .args(args)
        .env_remove("SMSMOBILEAPI_KEY")
        .env_remove("SMSMOBILEAPI_WEBHOOK_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("ordersms sandbox {args:?} started instead of refusing");
}

#[test]
fn a_webhook_secret_without_a_webhook_url_is_an_error_not_ignored() {
    // Nothing would ever be signed with it: the sandbox posts replies only to --webhook-url.
    let (code, err) = refused(&["--webhook-secret", "e2e-sms-secret"], &[]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("--webhook-secret"), "{err}");
    assert!(err.contains("--webhook-url"), "{err}");
    assert!(
        !err.contains("e2e-sms-secret"),
        "the secret is not echoed: {err}"
    );
    let (code, err) = refused(&["--webhook-format", "both"], &[]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("--webhook-url"), "{err}");
}

#[test]
fn a_webhook_secret_left_in_the_environment_does_not_stop_a_sandbox_without_webhooks() {
    // SMSMOBILEAPI_WEBHOOK_SECRET is also the Worker's secret: it may well be exported.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["sandbox", "--port", "0", "--quiet"])
        .env_remove("SMSMOBILEAPI_KEY")
        .env("SMSMOBILEAPI_WEBHOOK_SECRET", "e2e-sms-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("http://127.0.0.1:"), "{line:?}");
}
