//! Builds the merchant's shop configuration into the Worker: `cloudflare/shop/config.toml`
//! (or the file `ORDERSMS_SHOP_FILE` names, for tests) is copied to `OUT_DIR` for
//! `shop.rs` to `include_str!`; an empty text (built-in defaults) when there is none.
//! The file is not tracked by git and not a Cloudflare var, so `git pull` leaves it alone
//! and its size is not capped at a var's 5 KB.
//!
//! The file is checked here as the Worker reads it (`ShopConfig::from_toml`): a wrong key or
//! a template the Worker would refuse fails `wrangler deploy` (and `wrangler dev`) with the
//! reason, and the Worker already deployed keeps running, instead of a new one answering
//! every webhook 500.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    println!("cargo::rerun-if-env-changed=ORDERSMS_SHOP_FILE");
    let (text, shown) = match env::var_os("ORDERSMS_SHOP_FILE").filter(|v| !v.is_empty()) {
        Some(named) => {
            let path = root.join(&named);
            println!("cargo::rerun-if-changed={}", path.display());
            match fs::read_to_string(&path) {
                Ok(text) => (text, named.to_string_lossy().into_owned()),
                Err(e) => {
                    println!("cargo::error=ORDERSMS_SHOP_FILE={}: {e}", path.display());
                    return;
                }
            }
        }
        None => {
            // The directory, not the file: cargo reruns a build script on every build while
            // a path it watches is missing, and most checkouts have no configuration file.
            let dir = root.join("cloudflare/shop");
            println!("cargo::rerun-if-changed={}", dir.display());
            let text = read_if_present(&dir.join("config.toml"));
            (text, "cloudflare/shop/config.toml".to_owned())
        }
    };
    if let Err(e) = ordersms_core::ShopConfig::from_toml(&text) {
        // One `cargo::error=` per line: cargo shows each, and the deploy stops.
        println!("cargo::error={shown} is invalid, so it is not built into the Worker:");
        for line in e.to_string().lines() {
            println!("cargo::error=  {line}");
        }
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out.join("shop-config.toml"), text).expect("OUT_DIR is writable");
}

fn read_if_present(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            println!("cargo::error={}: {e}", path.display());
            String::new()
        }
    }
}
