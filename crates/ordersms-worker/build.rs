//! Builds the merchant's shop configuration into the Worker: `cloudflare/shop/config.toml`
//! (or the file `ORDERSMS_SHOP_FILE` names, for tests) is checked and written to `OUT_DIR` as
//! JSON for `shop.rs` to `include_str!`; `{}` (built-in defaults) when there is none. The
//! file is not tracked by git and not a Cloudflare var, so `git pull` leaves it alone and its
//! size is not capped at a var's 5 KB.
//!
//! The file is checked here natively, with the key paths of TOML errors, and handed over as
//! JSON, so the Worker carries no TOML reader (≈ 44 KB gzipped). A wrong key or a template the
//! Worker would refuse fails `wrangler deploy` (and `wrangler dev`) with the reason, and the
//! Worker already deployed keeps running, instead of a new one answering every webhook 500.
//!
//! The `SHOP_CONFIG` var that `cloudflare/wrangler.toml` (or `ORDERSMS_WRANGLER_FILE`) gives
//! the Worker is checked too: JSON like the file; TOML, which the Worker no longer reads, and a
//! table, which the Worker would not see, refused with the way to move it, before a deploy
//! would make every webhook fail or run on the wrong configuration.

use std::path::{Path, PathBuf};
use std::{env, fs};

use ordersms_core::ShopConfig;

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let json = built_in_file(&root).unwrap_or_default();
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out.join("shop-config.json"), json).expect("OUT_DIR is writable");
    check_wrangler_vars(&root);
}

/// The shop file as JSON; `None` after reporting why it cannot be built in.
fn built_in_file(root: &Path) -> Option<String> {
    println!("cargo::rerun-if-env-changed=ORDERSMS_SHOP_FILE");
    let (text, shown) = match env::var_os("ORDERSMS_SHOP_FILE").filter(|v| !v.is_empty()) {
        Some(named) => {
            let path = root.join(&named);
            println!("cargo::rerun-if-changed={}", path.display());
            (read(&path)?, named.to_string_lossy().into_owned())
        }
        None => {
            // The directory, not the file: cargo reruns a build script on every build while
            // a path it watches is missing, and most checkouts have no configuration file.
            let dir = root.join("cloudflare/shop");
            println!("cargo::rerun-if-changed={}", dir.display());
            let text = read_if_present(&dir.join("config.toml"))?;
            (text, "cloudflare/shop/config.toml".to_owned())
        }
    };
    match ShopConfig::toml_to_json(&text) {
        Ok(json) => Some(json),
        Err(e) => {
            error(
                &format!("{shown} is invalid, so it is not built into the Worker:"),
                &e,
            );
            None
        }
    }
}

/// Refuses a `SHOP_CONFIG` var the Worker would refuse, in `[vars]` and every `[env.*.vars]`.
fn check_wrangler_vars(root: &Path) {
    println!("cargo::rerun-if-env-changed=ORDERSMS_WRANGLER_FILE");
    let named = env::var_os("ORDERSMS_WRANGLER_FILE").filter(|v| !v.is_empty());
    let shown = named.as_ref().map_or_else(
        || "cloudflare/wrangler.toml".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let path = root.join(&shown);
    println!("cargo::rerun-if-changed={}", path.display());
    let Some(text) = read(&path) else { return };
    let wrangler: toml::Table = match toml::from_str(&text) {
        Ok(table) => table,
        Err(e) => {
            println!("cargo::error={shown} is not TOML: {}", e.message().trim());
            return;
        }
    };
    let envs = wrangler.get("env").and_then(toml::Value::as_table);
    let all_vars = std::iter::once(("vars".to_owned(), wrangler.get("vars"))).chain(
        envs.into_iter()
            .flatten()
            .map(|(name, env)| (format!("env.{name}.vars"), env.get("vars"))),
    );
    for (table, vars) in all_vars {
        let Some(value) = vars.and_then(|v| v.get("SHOP_CONFIG")) else {
            continue;
        };
        let place = format!("SHOP_CONFIG in {shown} [{table}]");
        let Some(var) = value.as_str().map(str::trim) else {
            // A table reaches the Worker as an object, which `env.var` does not read: the
            // Worker would run on the built-in file or the defaults, silently.
            println!(
                "cargo::error={place} is a {}, not text: the Worker reads the var as a string of JSON (SHOP_CONFIG = '{{\"shop_name\": \"…\"}}'); better, move the configuration to cloudflare/shop/config.toml and set SHOP_CONFIG = \"\"",
                value.type_str()
            );
            continue;
        };
        if var.is_empty() {
            continue;
        } else if !var.starts_with('{') {
            println!(
                "cargo::error={place} is TOML, which the Worker no longer reads at run time: move the text to cloudflare/shop/config.toml (built into the Worker, checked at deploy, no 5 KB limit) and set SHOP_CONFIG = \"\", or write the var as JSON (`cargo run -p ordersms-cli -- config json FILE` converts a TOML file)"
            );
        } else if let Err(e) = ShopConfig::from_json(var) {
            error(&format!("{place} is invalid:"), &e);
        }
    }
}

/// The file's text; `None` after reporting why it cannot be read.
fn read(path: &Path) -> Option<String> {
    reported(path, fs::read_to_string(path))
}

/// As [`read`], with a missing file read as empty (no configuration: the defaults).
fn read_if_present(path: &Path) -> Option<String> {
    match fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(String::new()),
        result => reported(path, result),
    }
}

fn reported(path: &Path, result: std::io::Result<String>) -> Option<String> {
    result
        .map_err(|e| println!("cargo::error={}: {e}", path.display()))
        .ok()
}

/// One `cargo::error=` per line: cargo shows each, and the deploy stops.
fn error(headline: &str, e: &ordersms_core::ConfigError) {
    println!("cargo::error={headline}");
    for line in e.to_string().lines() {
        println!("cargo::error=  {line}");
    }
}
