//! ordersms for JavaScript: the npm package `ordersms-wasm` (built by `scripts/wasm-build` with
//! wasm-pack for Node and for the web).
//!
//! A thin adapter, readable in one sitting: every decision (signatures, normalization, the
//! plan, templates, segments, SMSMobileAPI requests and error kinds) is made by
//! `ordersms-core` and `smsmobileapi`, so JavaScript gets the same answers as the CLI and the
//! Worker. This crate only converts values at the boundary and brings the platform's I/O:
//! WebCrypto for the HMAC, `fetch` for the API, `setTimeout` for backoff.
//!
//! Values cross as JSON (serde in Rust, the engine's `JSON.parse`/`JSON.stringify` in
//! JavaScript): one crossing per call, and exactly the JSON `ordersms plan` prints. The
//! TypeScript types below are written by hand so the public API names no `any`.

mod ascii_json;
mod client;
mod error;
mod errors_map;
mod js;
mod opt_outs;
mod shop;
mod text;
mod webhook;

pub use client::SmsMobileApiClient;
pub use error::{Failure, Field, JsResult, is_order_sms_error};
pub use opt_outs::OptOutList;
pub use shop::Shop;
pub use webhook::{VerifiedWebhook, WebhookVerifier, verify_webhook_digest, verify_webhook_sync};

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("types.d.ts");

/// Talc instead of Rust's default WASM allocator (dlmalloc): a webhook's plan makes about 70
/// allocations, and dlmalloc's malloc and free were ≈ 7 % of a WooCommerce webhook's time in
/// Node. Single-threaded WASM only (no `atomics`), which is what this package is built for.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
