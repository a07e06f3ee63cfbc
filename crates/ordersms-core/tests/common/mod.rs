//! Helpers shared by the webhook tests: load a published fixture, edit it like a real shop
//! would have filled it, and plan it.
#![allow(dead_code)]

use ordersms_core::plan::{OptOuts, plan_with_opt_outs};
use ordersms_core::{
    OrderContext, Plan, Platform, ShopConfig, SkipCode, WebhookError, WebhookInput,
};
use serde_json::{Value, json};

/// 2026-06-01T10:00:00Z: a Monday morning, outside any quiet hours.
pub const NOW: i64 = 1_780_308_000;

pub fn fixture(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A Shopify order body as a real (non-test) Belgian customer would produce it.
pub fn shopify_order(topic_file: &str) -> Value {
    let mut order = fixture(&format!("shopify/{topic_file}.json"));
    order["test"] = json!(false);
    order["id"] = json!(820_982_911_946_154_508_u64);
    order["phone"] = json!("+32 470 12 34 56");
    order["customer_locale"] = json!("fr");
    order["currency"] = json!("EUR");
    // A euro shop selling in euros: the customer's (presentment) side is EUR too.
    order["presentment_currency"] = json!("EUR");
    for set in [
        "total_price_set",
        "subtotal_price_set",
        "current_total_price_set",
    ] {
        if let Some(set) = order.get_mut(set) {
            set["shop_money"]["currency_code"] = json!("EUR");
            set["presentment_money"]["currency_code"] = json!("EUR");
        }
    }
    order["customer"]["first_name"] = json!("Camille");
    order["customer"]["last_name"] = json!("Durand");
    order["shipping_address"]["country_code"] = json!("BE");
    order["shipping_address"]["phone"] = json!("0470 12 34 56");
    order["billing_address"]["country_code"] = json!("BE");
    order
}

pub fn config(toml: &str) -> ShopConfig {
    ShopConfig::from_toml(toml).unwrap_or_else(|e| panic!("test config: {e}"))
}

/// A shop whose merchant (in English) is told of every refund.
pub fn merchant_told_of_refunds() -> ShopConfig {
    config(
        r#"
        [merchant]
        phone = "+3221234567"
        language = "en"
        [events.partially_refunded]
        merchant = true
        [events.refunded]
        merchant = true
        "#,
    )
}

/// The text of the plan's message to the merchant.
pub fn merchant_text(plan: &Plan) -> &str {
    &plan
        .messages
        .iter()
        .find(|m| m.template.contains("merchant"))
        .expect("a merchant message")
        .text
}

pub fn try_plan(
    platform: Platform,
    topic: &str,
    body: &Value,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now: i64,
) -> Result<Plan, WebhookError> {
    let bytes = serde_json::to_vec(body).expect("a Value serializes");
    let headers = [("X-Shopify-Shop-Domain", "maison.myshopify.com")];
    let input = WebhookInput::new(platform, &headers, &bytes).with_topic(topic);
    ordersms_core::plan(&input, config, context, now)
}

pub fn plan(
    platform: Platform,
    topic: &str,
    body: &Value,
    config: &ShopConfig,
    context: Option<&OrderContext>,
) -> Plan {
    try_plan(platform, topic, body, config, context, NOW).unwrap_or_else(|e| panic!("{topic}: {e}"))
}

pub fn plan_opting_out(
    platform: Platform,
    topic: &str,
    body: &Value,
    config: &ShopConfig,
    opt_outs: &dyn OptOuts,
) -> Plan {
    let bytes = serde_json::to_vec(body).expect("a Value serializes");
    let input = WebhookInput::new(platform, &[], &bytes).with_topic(topic);
    plan_with_opt_outs(&input, config, None, NOW, opt_outs).unwrap_or_else(|e| panic!("{e}"))
}

pub fn shopify(topic: &str, body: &Value) -> Plan {
    plan(Platform::Shopify, topic, body, &ShopConfig::default(), None)
}

pub fn woo(topic: &str, body: &Value, context: Option<&OrderContext>) -> Plan {
    plan(
        Platform::WooCommerce,
        topic,
        body,
        &ShopConfig::default(),
        context,
    )
}

/// The events of the messages, in order.
pub fn events(plan: &Plan) -> Vec<&'static str> {
    plan.messages.iter().map(|m| m.event.as_str()).collect()
}

/// The codes of the skipped entries that are not "event not enabled" (those are noise here).
pub fn skips(plan: &Plan) -> Vec<SkipCode> {
    plan.skipped
        .iter()
        .filter(|s| s.code != SkipCode::NotEnabled)
        .map(|s| s.code)
        .collect()
}
