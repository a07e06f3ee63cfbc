//! `ordersms config json` as a user runs it: the example configuration in, one line of JSON
//! out that reads to the same configuration; a wrong key ends with status 1 and its path.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use ordersms_core::{Audience, EventKind, ShopConfig};

fn ordersms_config_json(file: &str, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordersms"))
        .args(["config", "json", file])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("it ends")
}

#[test]
fn the_example_configuration_as_json_is_the_same_configuration() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop.toml");
    let out = ordersms_config_json(example.to_str().unwrap(), "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed.lines().count(), 1, "{printed}");
    let from_json = ShopConfig::from_json(&printed).expect("the printed JSON reads");
    let from_toml = ShopConfig::from_toml(&std::fs::read_to_string(example).unwrap()).unwrap();
    assert_eq!(format!("{from_json:?}"), format!("{from_toml:?}"));
    // Not the defaults: the example sets things the JSON must carry.
    assert_ne!(
        format!("{from_json:?}"),
        format!("{:?}", ShopConfig::default())
    );
    assert!(
        from_json
            .rule(EventKind::Placed, Audience::Merchant)
            .is_some()
    );
}

#[test]
fn a_wrong_key_is_named_and_nothing_is_printed() {
    let out = ordersms_config_json("-", "[events.shipped]\nchanel = \"sms\"\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("ordersms: configuration -: events.shipped.chanel: unknown field"),
        "{stderr}"
    );
}
