//! Webhook authentication for JavaScript callers, three ways, all ending in a
//! [`VerifiedWebhook`] (the only thing `Shop.plan` accepts, so an unverified body cannot be
//! planned by mistake, and a verified one is never checked twice):
//!
//! - `WebhookVerifier.create(secret)` then `await verifier.verify(headers, body)`: the HMAC runs
//!   in the platform's WebCrypto (native code in Node, browsers, Deno and Workers). The key is
//!   imported once, at `create`. This is the fast, portable path.
//! - `verifyWebhookDigest(headers, body, digest)`: the caller computed HMAC-SHA256(secret, body)
//!   itself (e.g. Node's synchronous `crypto.createHmac`); compared in constant time here.
//! - `verifyWebhookSync(secret, headers, body)`: pure-Rust HMAC inside WASM; no platform crypto
//!   needed, but several times slower than native code on large bodies.

use base64::Engine as _;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use std::cell::OnceCell;

use ordersms_core::signature;
use ordersms_core::{Platform, Webhook, WebhookError, WebhookInput};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Failure, JsResult};
use crate::errors_map::webhook_failure;
use crate::js;

/// A webhook whose signature matched: its platform, headers and exact body bytes.
#[wasm_bindgen]
pub struct VerifiedWebhook {
    pub(crate) platform: Platform,
    pub(crate) headers: js::HeaderList,
    pub(crate) body: Vec<u8>,
    /// The body read as a webhook, once: by `orderId` or by the first `Shop.plan`.
    parsed: OnceCell<Result<Webhook, WebhookError>>,
}

impl VerifiedWebhook {
    fn new(platform: Platform, headers: js::HeaderList, body: Vec<u8>) -> VerifiedWebhook {
        VerifiedWebhook {
            platform,
            headers,
            body,
            parsed: OnceCell::new(),
        }
    }

    /// The normalized webhook (verified already: no secret, no second HMAC).
    pub(crate) fn parsed(&self) -> Result<&Webhook, &WebhookError> {
        self.parsed
            .get_or_init(|| {
                let headers = self.headers.pairs();
                Webhook::parse(&WebhookInput::new(self.platform, &headers, &self.body))
            })
            .as_ref()
    }
}

#[wasm_bindgen]
impl VerifiedWebhook {
    /// `"shopify"` or `"woocommerce"`.
    #[wasm_bindgen(getter, unchecked_return_type = "Platform")]
    pub fn platform(&self) -> String {
        platform_name(self.platform).to_owned()
    }

    /// The topic header as sent (`orders/create`, `order.updated`...), if any.
    #[wasm_bindgen(getter)]
    pub fn topic(&self) -> Option<String> {
        let name = match self.platform {
            Platform::Shopify => "x-shopify-topic",
            Platform::WooCommerce => "x-wc-webhook-topic",
        };
        self.headers
            .pairs()
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    }

    /// The order this webhook is about, as decimal digits (Shopify's ids pass 2^53, where a
    /// JavaScript number rounds them): the key under which to keep the order's context
    /// (`plan.store`) for its next webhook. `undefined` for WooCommerce's creation ping and for
    /// a body `Shop.plan` refuses (it throws why).
    #[wasm_bindgen(getter, js_name = orderId)]
    pub fn order_id(&self) -> Option<String> {
        self.parsed().ok()?.order_id().map(|id| id.to_string())
    }
}

pub(crate) fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Shopify => "shopify",
        Platform::WooCommerce => "woocommerce",
    }
}

/// Which platform sent these headers: each signs and names its topic in its own headers.
pub(crate) fn detect_platform(headers: &[(&str, &str)]) -> JsResult<Platform> {
    let has_prefix = |prefix: &str| {
        headers
            .iter()
            .any(|(k, _)| k.len() >= prefix.len() && k[..prefix.len()].eq_ignore_ascii_case(prefix))
    };
    if has_prefix("x-shopify-") {
        Ok(Platform::Shopify)
    } else if has_prefix("x-wc-webhook-") {
        Ok(Platform::WooCommerce)
    } else {
        Err(Failure::new(
            "unknown_platform",
            "no X-Shopify-* or X-WC-Webhook-* header: pass the request's headers as received",
        ))
    }
}

/// WooCommerce's creation ping (form body `webhook_id=N`) is unsigned by design: it is
/// accepted so the caller can answer 200, and plans to nothing.
fn unsigned_ping(platform: Platform, headers: &[(&str, &str)], body: &[u8]) -> bool {
    platform == Platform::WooCommerce
        && signature::header(headers, signature::signature_header(platform)).is_none()
        && matches!(
            ordersms_core::Webhook::parse(&ordersms_core::WebhookInput::new(
                platform, headers, body
            )),
            Ok(ordersms_core::Webhook::Ping { .. })
        )
}

/// The signature the platform sent, decoded; `Err` = missing (undecodable reads as a mismatch).
fn sent_signature(platform: Platform, headers: &[(&str, &str)]) -> JsResult<Option<Vec<u8>>> {
    let name = signature::signature_header(platform);
    match signature::header(headers, name) {
        None => Err(webhook_failure(
            &ordersms_core::WebhookError::MissingSignature {
                platform,
                header: name,
            },
        )),
        Some(value) => Ok(base64::engine::general_purpose::STANDARD.decode(value).ok()),
    }
}

fn bad_signature(platform: Platform) -> Failure {
    webhook_failure(&ordersms_core::WebhookError::BadSignature {
        platform,
        header: signature::signature_header(platform),
    })
}

/// Checks webhook signatures with WebCrypto; create one per secret and reuse it.
#[wasm_bindgen]
pub struct WebhookVerifier {
    subtle: js::Subtle,
    key: JsValue,
}

#[wasm_bindgen]
impl WebhookVerifier {
    /// Imports `secret` (the shop's webhook secret, as text) as a WebCrypto HMAC-SHA256 key.
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
    ) -> JsResult<WebhookVerifier> {
        let secret = webhook_secret(&secret)?;
        if secret.is_empty() {
            return Err(Failure::new(
                "invalid_config",
                "the webhook secret is empty: use the secret shown by Shopify or WooCommerce",
            ));
        }
        let subtle = js::subtle()?;
        let algorithm = Object::new();
        let _ = Reflect::set(&algorithm, &"name".into(), &"HMAC".into());
        let _ = Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into());
        let usages = Array::of1(&"verify".into());
        let raw = Uint8Array::from(secret.as_bytes());
        let promise = subtle
            .import_key("raw", &raw, &algorithm, false, &usages)
            .map_err(crypto_failure)?;
        let key = JsFuture::from(promise).await.map_err(crypto_failure)?;
        Ok(WebhookVerifier { subtle, key })
    }

    /// Verifies `body` (the raw bytes as received) against the signature header and resolves
    /// to a [`VerifiedWebhook`]; rejects with an `OrderSmsError` of kind `missing_signature`,
    /// `bad_signature`, `unknown_platform` or `invalid_argument`.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifiedWebhook>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "WebhookHeaders")] headers: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] body: JsValue,
    ) -> Promise {
        let subtle: js::Subtle = self.subtle.clone().unchecked_into();
        let key = self.key.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let headers = js::header_list(&headers)?;
            let pairs = headers.pairs();
            let platform = detect_platform(&pairs)?;
            let bytes = js::body_bytes(&body)?;
            if unsigned_ping(platform, &pairs, &bytes) {
                return Ok(VerifiedWebhook::new(platform, headers, bytes).into());
            }
            let Some(sent) = sent_signature(platform, &pairs)? else {
                return Err(bad_signature(platform).into());
            };
            // Hand WebCrypto the caller's own bytes when it gave a Uint8Array (no copy back).
            let data: JsValue = if body.is_instance_of::<Uint8Array>() {
                body
            } else {
                Uint8Array::from(bytes.as_slice()).into()
            };
            let promise = subtle
                .verify("HMAC", &key, &Uint8Array::from(sent.as_slice()), &data)
                .map_err(crypto_failure)?;
            let ok = JsFuture::from(promise).await.map_err(crypto_failure)?;
            if ok.as_bool() != Some(true) {
                return Err(bad_signature(platform).into());
            }
            Ok(VerifiedWebhook::new(platform, headers, bytes).into())
        })
    }
}

/// The webhook secret as text; `undefined` (an unset environment variable) or a non-string
/// is an `invalid_config`, like an empty one.
fn webhook_secret(secret: &JsValue) -> JsResult<String> {
    secret.as_string().ok_or_else(|| {
        Failure::new(
            "invalid_config",
            "the webhook secret must be a string (is its environment variable set?): use the secret shown by Shopify or WooCommerce",
        )
    })
}

fn crypto_failure(error: JsValue) -> Failure {
    let detail = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "unknown error".to_owned());
    Failure::new("crypto", format!("WebCrypto failed: {detail}"))
}

/// Verifies with a pure-Rust HMAC inside WASM: works without platform crypto, but prefer
/// `WebhookVerifier` (native code) where there is one.
#[wasm_bindgen(js_name = verifyWebhookSync)]
pub fn verify_webhook_sync(
    #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
    #[wasm_bindgen(unchecked_param_type = "WebhookHeaders")] headers: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] body: JsValue,
) -> JsResult<VerifiedWebhook> {
    let secret = webhook_secret(&secret)?;
    let headers = js::header_list(&headers)?;
    let pairs = headers.pairs();
    let platform = detect_platform(&pairs)?;
    let body = js::body_bytes(&body)?;
    if unsigned_ping(platform, &pairs, &body) {
        return Ok(VerifiedWebhook::new(platform, headers, body));
    }
    signature::verify(platform, &pairs, &body, secret.as_bytes())
        .map_err(|e| webhook_failure(&e))?;
    Ok(VerifiedWebhook::new(platform, headers, body))
}

/// Verifies against a digest the caller computed, `HMAC-SHA256(secret, body)` as 32 raw bytes
/// (Node: `createHmac('sha256', secret).update(body).digest()`), compared in constant time.
/// The synchronous fast path in Node.
#[wasm_bindgen(js_name = verifyWebhookDigest)]
pub fn verify_webhook_digest(
    #[wasm_bindgen(unchecked_param_type = "WebhookHeaders")] headers: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] digest: JsValue,
) -> JsResult<VerifiedWebhook> {
    // A hex or base64 digest (`digest('hex')`) would otherwise read as a wrong secret.
    let digest = digest
        .dyn_ref::<Uint8Array>()
        .filter(|d| d.length() == 32)
        .map(Uint8Array::to_vec)
        .ok_or_else(|| {
            Failure::invalid_argument(
                "the digest must be the 32 raw bytes of HMAC-SHA256(secret, body): createHmac('sha256', secret).update(body).digest(), with no encoding",
            )
        })?;
    let headers = js::header_list(&headers)?;
    let pairs = headers.pairs();
    let platform = detect_platform(&pairs)?;
    let body = js::body_bytes(&body)?;
    if unsigned_ping(platform, &pairs, &body) {
        return Ok(VerifiedWebhook::new(platform, headers, body));
    }
    match sent_signature(platform, &pairs)? {
        Some(sent) if constant_time_eq(&sent, &digest) => {
            Ok(VerifiedWebhook::new(platform, headers, body))
        }
        _ => Err(bad_signature(platform)),
    }
}

/// Equal slices, in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_is_read_from_its_own_headers() {
        let shopify = [("X-Shopify-Topic", "orders/create")];
        assert_eq!(detect_platform(&shopify), Ok(Platform::Shopify));
        let woo = [("x-wc-webhook-topic", "order.created")];
        assert_eq!(detect_platform(&woo), Ok(Platform::WooCommerce));
        let none = [("content-type", "application/json")];
        assert_eq!(
            detect_platform(&none).map_err(|f| f.kind),
            Err("unknown_platform")
        );
    }

    #[test]
    fn digests_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
