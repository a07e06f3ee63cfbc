//! Whatever reaches the webhook endpoint, the core answers with a plan or a typed error and
//! never panics: arbitrary bytes, topics and headers, and published payloads with fields
//! replaced by arbitrary JSON (the shapes real shops and plugins do send: nulls, numbers as
//! strings, strings as numbers, huge ids).

mod common;

use std::sync::LazyLock;

use common::fixture;
use ordersms_core::plan::{NoOptOuts, plan_webhook};
use ordersms_core::{Phone, Platform, ShopConfig, Webhook, WebhookInput};
use proptest::prelude::*;
use serde_json::{Value, json};

static CONFIG: LazyLock<ShopConfig> = LazyLock::new(|| {
    ShopConfig::from_toml(
        r#"
        timezone = "Europe/Brussels"
        default_country = "BE"
        skip_test_orders = false
        [quiet_hours]
        start = "21:00"
        end = "08:00"
        [merchant]
        phone = "+3221234567"
        [events.placed]
        customer = true
        merchant = true
        [events.refunded]
        customer = true
        merchant = { delay_minutes = 5 }
        "#,
    )
    .expect("valid test configuration")
});

const TOPICS: &[&str] = &[
    "orders/create",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
    "orders/cancelled",
    "fulfillments/create",
    "fulfillments/update",
    "refunds/create",
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
];

fn platform() -> impl Strategy<Value = Platform> {
    prop_oneof![Just(Platform::Shopify), Just(Platform::WooCommerce)]
}

fn topic() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(TOPICS).prop_map(str::to_owned),
        1 => ".{0,24}",
    ]
}

/// Runs every public entry point on one input; only panics matter here.
fn exercise(platform: Platform, topic: &str, headers: &[(&str, &str)], body: &[u8], now: i64) {
    let input = WebhookInput::new(platform, headers, body).with_topic(topic);
    let _ = ordersms_core::plan(&input, &CONFIG, None, now);
    let _ = ordersms_core::plan(&input.with_secret(b"secret"), &CONFIG, None, now);
    if let Ok(webhook) = Webhook::parse(&input) {
        let first = plan_webhook(&webhook, &CONFIG, None, now, &NoOptOuts);
        // And again with the context the first plan stored, as the Worker would.
        let _ = plan_webhook(&webhook, &CONFIG, first.store.as_ref(), now, &NoOptOuts);
        let _ = serde_json::to_string(&first);
    }
}

/// Arbitrary JSON, biased toward the values that break naive parsers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[+0-9 ()./A-Z-]{0,20}".prop_map(Value::from),
        ".{0,16}".prop_map(Value::from),
        Just(json!("-10.00")),
        Just(json!("&ndash; <b>&amp;</b>")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..3)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Keys the normalizers read, at any depth.
const KEYS: &[&str] = &[
    "id",
    "order_id",
    "name",
    "number",
    "test",
    "status",
    "shipment_status",
    "phone",
    "country_code",
    "country",
    "customer_locale",
    "currency",
    "total_price",
    "total",
    "customer",
    "billing_address",
    "shipping_address",
    "billing",
    "shipping",
    "line_items",
    "quantity",
    "fulfillments",
    "transactions",
    "amount",
    "refunds",
    "refund_line_items",
    "meta_data",
    "value",
    "key",
    "destination",
    "tracking_number",
];

/// Replaces every occurrence of `key` (at any depth) with `value`.
fn replace(target: &mut Value, key: &str, value: &Value) {
    match target {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == key {
                    *v = value.clone();
                } else {
                    replace(v, key, value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, key, value)),
        _ => {}
    }
}

const FIXTURES: &[(&str, Platform, &str)] = &[
    (
        "shopify/orders_create.json",
        Platform::Shopify,
        "orders/create",
    ),
    (
        "shopify/orders_fulfilled.json",
        Platform::Shopify,
        "orders/fulfilled",
    ),
    (
        "shopify/fulfillments_update.json",
        Platform::Shopify,
        "fulfillments/update",
    ),
    (
        "shopify/refunds_create.json",
        Platform::Shopify,
        "refunds/create",
    ),
    (
        "woocommerce/order_update_response_v3.json",
        Platform::WooCommerce,
        "order.updated",
    ),
    (
        "woocommerce/order_create_response_v3.json",
        Platform::WooCommerce,
        "order.created",
    ),
];

static LOADED: LazyLock<Vec<Value>> =
    LazyLock::new(|| FIXTURES.iter().map(|(path, _, _)| fixture(path)).collect());

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_topics_and_headers_never_panic(
        platform in platform(),
        topic in topic(),
        body in prop::collection::vec(any::<u8>(), 0..300),
        signature in proptest::option::of(".{0,48}"),
        header_name in prop_oneof![
            Just("X-Shopify-Hmac-Sha256".to_owned()),
            Just("x-wc-webhook-signature".to_owned()),
            "[A-Za-z-]{0,24}",
        ],
        now in any::<i64>(),
    ) {
        let signature = signature.unwrap_or_default();
        let headers = [
            (header_name.as_str(), signature.as_str()),
            ("X-WC-Webhook-Source", "https://shop.example/"),
        ];
        exercise(platform, &topic, &headers, &body, now);
        // Printable junk, form bodies and truncated JSON reach different paths.
        let text = String::from_utf8_lossy(&body);
        for candidate in [format!("webhook_id={text}"), format!("{{\"id\":{text}")] {
            exercise(platform, &topic, &headers, candidate.as_bytes(), now);
        }
    }

    #[test]
    fn published_payloads_with_arbitrary_fields_never_panic(
        which in 0..FIXTURES.len(),
        edits in prop::collection::vec((proptest::sample::select(KEYS), json_value()), 1..5),
        now in -4_000_000_000_i64..8_000_000_000,
    ) {
        let (_, platform, topic) = FIXTURES[which];
        let mut body = LOADED[which].clone();
        for (key, value) in &edits {
            replace(&mut body, key, value);
        }
        let bytes = serde_json::to_vec(&body).expect("a Value serializes");
        exercise(platform, topic, &[], &bytes, now);
    }

    /// A shop's template is untrusted text too: whatever it holds, loading it gives the
    /// templates or a typed error, and rendering what loaded gives a text or an error.
    #[test]
    fn any_template_source_loads_or_is_refused_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("{{".to_owned()), Just("}}".to_owned()), Just("{{{".to_owned()),
                Just("}}}".to_owned()), Just("~".to_owned()), Just("#".to_owned()),
                Just("/".to_owned()), Just("\\".to_owned()), Just("\n".to_owned()),
                Just("{{!--".to_owned()), Just("--}}".to_owned()), Just("(".to_owned()),
                Just(")".to_owned()), Just("[".to_owned()), Just("]".to_owned()),
                Just("@".to_owned()), Just("../".to_owned()), Just("this".to_owned()),
                Just("if ".to_owned()), Just("each ".to_owned()), Just("else".to_owned()),
                Just("eq ".to_owned()), Just("lookup ".to_owned()), Just("order.items".to_owned()),
                Just("\"é\\\"".to_owned()), Just("'x'".to_owned()), Just("1.5E".to_owned()),
                ".{0,6}",
            ],
            0..24,
        ),
    ) {
        let source: String = parts.concat();
        let overrides = [("fr/placed".to_owned(), source)];
        if let Ok(templates) = ordersms_core::Templates::with_overrides(&overrides) {
            let ctx = ordersms_core::RenderContext::sample();
            let _ = templates.render(
                ordersms_core::EventKind::Placed,
                ordersms_core::Audience::Customer,
                ordersms_core::Language::Fr,
                &ctx,
            );
        }
    }

    #[test]
    fn phone_parsing_never_panics(raw in ".{0,40}", country in "[A-Za-z]{0,3}") {
        if let Ok(phone) = Phone::parse(&raw, Some(&country)) {
            prop_assert!(phone.as_str().starts_with('+'));
            prop_assert!(phone.as_str()[1..].bytes().all(|b| b.is_ascii_digit()));
            let _ = phone.masked();
        }
    }
}
