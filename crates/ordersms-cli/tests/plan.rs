//! `ordersms plan` as a user runs it: a payload file in, pretty JSON out; a bad payload or
//! topic ends with status 1 and one line on stderr.

use std::path::PathBuf;
use std::process::{Command, Output};
use tempfile::TempDir;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ordersms-core/fixtures")
        .join(path)
}

fn ordersms(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(args)
        .env_remove("ORDERSMS_WEBHOOK_SECRET")
        .output()
        .expect("the binary runs")
}

/// The plan a successful run printed (a failed run fails the test with its stderr).
fn plan_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A directory for a test's files, removed when it is dropped (at the test's end, passed or
/// failed): the files were left in the system's temp directory, hundreds after a few runs.
fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("ordersms-plan-")
        .tempdir()
        .expect("temp dir")
}

fn temp_file(dir: &TempDir, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("temp file");
    path
}

#[test]
fn a_woocommerce_order_prints_its_plan() {
    let payload = fixture("woocommerce/order_create_response_v3.json");
    let out = ordersms(&[
        "plan",
        "--platform",
        "woocommerce",
        "--topic",
        "order.created",
        "--now",
        "2026-06-01T12:00:00+02:00",
        payload.to_str().unwrap(),
    ]);
    let plan = plan_json(&out);
    assert_eq!(plan["messages"][0]["to"], "+15555555555");
    assert_eq!(plan["messages"][0]["template"], "en/placed");
    assert_eq!(
        plan["messages"][0]["schedule_timestamp"],
        serde_json::Value::Null
    );
    assert_eq!(plan["store"]["last_status"], "processing");
}

#[test]
fn the_stored_context_and_a_config_file_are_used() {
    let dir = temp_dir();
    let context = temp_file(
        &dir,
        "context.json",
        br#"{"platform":"woocommerce","order_id":"727","last_status":"processing","phones":["+32470123456"],"locale":"nl"}"#,
    );
    let config = temp_file(&dir, "config.toml", b"shop_name = \"Winkel\"\n");
    let payload = fixture("woocommerce/order_update_response_v3.json");
    let out = ordersms(&[
        "plan",
        "--platform",
        "woocommerce",
        "--topic",
        "order.updated",
        "--now",
        "2026-06-01T10:00:00Z",
        "--context",
        context.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        payload.to_str().unwrap(),
    ]);
    let plan = plan_json(&out);
    assert_eq!(plan["messages"][0]["event"], "shipped");
    assert_eq!(plan["messages"][0]["template"], "nl/shipped");
    assert!(
        plan["messages"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Winkel")
    );
}

#[test]
fn a_previous_plan_s_output_is_a_context_as_it_is() {
    let dir = temp_dir();
    // `ordersms plan ... > created.json`, then `--context created.json` for the next webhook:
    // the plan's "store" is the context.
    let created = ordersms(&[
        "plan",
        "--platform",
        "woocommerce",
        "--topic",
        "order.created",
        "--now",
        "2026-06-01T10:00:00Z",
        fixture("woocommerce/order_create_response_v3.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(plan_json(&created)["store"]["last_status"], "processing");
    let context = temp_file(&dir, "whole-plan.json", &created.stdout);
    let out = ordersms(&[
        "plan",
        "--platform",
        "woocommerce",
        "--topic",
        "order.updated",
        "--now",
        "2026-06-01T11:00:00Z",
        "--context",
        context.to_str().unwrap(),
        fixture("woocommerce/order_update_response_v3.json")
            .to_str()
            .unwrap(),
    ]);
    let plan = plan_json(&out);
    assert_eq!(plan["messages"][0]["event"], "shipped", "{plan}");

    // A plan that changed nothing has no store: say so rather than "missing field".
    let unchanged = temp_file(
        &dir,
        "unchanged-plan.json",
        br#"{"messages":[],"skipped":[],"store":null,"event":null}"#,
    );
    let out = ordersms(&[
        "plan",
        "--platform",
        "woocommerce",
        "--topic",
        "order.updated",
        "--context",
        unchanged.to_str().unwrap(),
        fixture("woocommerce/order_update_response_v3.json")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no \"store\""), "{err}");
}

#[test]
fn stdin_is_read_for_one_file_only() {
    // `--config -` reads stdin too; with the payload also `-`, the payload was read as the
    // configuration ("invalid key-value pair") and the real cause never said.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args([
            "plan",
            "--platform",
            "shopify",
            "--topic",
            "orders/create",
            "--config",
            "-",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let body = std::fs::read(fixture("shopify/orders_create.json")).unwrap();
    // The refusal comes before stdin is read, so the CLI may have exited (closing the pipe)
    // before the body is written: a broken pipe is that, any other write error is not.
    if let Err(e) = std::io::Write::write_all(&mut child.stdin.take().unwrap(), &body) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdin"), "{err}");
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn failures_end_with_status_1_and_one_line() {
    let dir = temp_dir();
    let bad_json = temp_file(&dir, "bad.json", b"{\"id\": 5630084661349, ");
    let order = fixture("shopify/orders_create.json");
    let cases: [&[&str]; 3] = [
        &[
            "plan",
            "--platform",
            "shopify",
            "--topic",
            "orders/create",
            bad_json.to_str().unwrap(),
        ],
        &[
            "plan",
            "--platform",
            "shopify",
            "--topic",
            "carts/create",
            order.to_str().unwrap(),
        ],
        &[
            "plan",
            "--platform",
            "shopify",
            "--topic",
            "orders/create",
            "--secret",
            "s",
            "--signature",
            "AAAA",
            order.to_str().unwrap(),
        ],
    ];
    for args in cases {
        let out = ordersms(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("ordersms: "), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_documented_examples_produce_messages() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = root.join("examples/shop.toml");
    for (platform, topic, file) in [
        ("shopify", "orders/create", "shopify_orders_create.json"),
        (
            "woocommerce",
            "order.updated",
            "woocommerce_order_completed.json",
        ),
    ] {
        let payload = root.join("examples/webhooks").join(file);
        let out = ordersms(&[
            "plan",
            "--platform",
            platform,
            "--topic",
            topic,
            "--config",
            config.to_str().unwrap(),
            "--now",
            "2026-06-01T22:30:00+02:00",
            payload.to_str().unwrap(),
        ]);
        let plan = plan_json(&out);
        let first = &plan["messages"][0];
        assert_eq!(first["to"], "+33698765432", "{file}");
        // 22:30 in Paris is inside the example's quiet hours: held to 08:00 (06:00 UTC).
        assert_eq!(first["schedule_timestamp"], 1_780_380_000, "{file}");
    }
}

#[test]
fn the_secret_from_the_environment_checks_signatures_only_when_one_is_given() {
    // ORDERSMS_WEBHOOK_SECRET is set once in a shell; plain replays must still plan.
    let order = fixture("shopify/orders_create.json");
    let body = std::fs::read(&order).unwrap();
    let secret = "hush-shopify-secret";
    let signature = ordersms_core::signature::sign(&body, secret.as_bytes());
    let run = |extra: &[&str]| {
        let mut args = vec!["plan", "--platform", "shopify", "--topic", "orders/create"];
        args.extend_from_slice(extra);
        args.push(order.to_str().unwrap());
        Command::new(env!("CARGO_BIN_EXE_ordersms"))
            .args(&args)
            .env("ORDERSMS_WEBHOOK_SECRET", secret)
            .output()
            .expect("the binary runs")
    };

    let plain = run(&[]);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let signed = run(&["--signature", &signature]);
    assert_eq!(
        signed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert_eq!(signed.stdout, plain.stdout);
    let forged = run(&["--signature", "AAAA"]);
    assert_eq!(forged.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&forged.stderr).contains("does not match"),
        "{}",
        String::from_utf8_lossy(&forged.stderr)
    );
}

#[test]
fn help_does_not_print_the_webhook_secret_from_the_environment() {
    // `ordersms plan --help` in a shell where the shop's secret is exported.
    let secret = "shpss_5f0c8e9a7d6b4c3a2e1f";
    let out = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["plan", "--help"])
        .env("ORDERSMS_WEBHOOK_SECRET", secret)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("ORDERSMS_WEBHOOK_SECRET"), "{help}");
    assert!(!help.contains(secret), "{help}");
}

#[test]
fn a_json_configuration_is_read_as_json_whatever_the_case_of_its_extension() {
    let dir = temp_dir();
    // Saved from a Windows tool as SHOP.JSON.
    let config = temp_file(
        &dir,
        "SHOP.JSON",
        br#"{"shop_name": "Maison Lumiere", "default_country": "FR"}"#,
    );
    let payload = fixture("shopify/orders_create.json");
    let out = ordersms(&[
        "plan",
        "--platform",
        "shopify",
        "--topic",
        "orders/create",
        "--now",
        "2026-06-01T10:00:00Z",
        "--config",
        config.to_str().unwrap(),
        payload.to_str().unwrap(),
    ]);
    let plan = plan_json(&out);
    assert_eq!(plan["store"]["platform"], "shopify");
}
