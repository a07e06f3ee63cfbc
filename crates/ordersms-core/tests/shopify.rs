//! Shopify webhooks, from the published example bodies (fixtures/shopify, see SOURCE.md) to
//! plans. The examples are a test order whose only phone is "555-555-SHIP", so most tests
//! first turn them into what a real Belgian customer's order looks like (`shopify_order`).

mod common;

use common::*;
use ordersms_core::signature::sign;
use ordersms_core::{
    Channel, OrderContext, Plan, Platform, ShopConfig, SkipCode, Webhook, WebhookError,
    WebhookInput,
};
use serde_json::{Value, json};

#[test]
fn every_published_example_plans_without_error_and_skips_the_test_order() {
    for (topic, file) in [
        ("orders/create", "orders_create"),
        ("orders/paid", "orders_paid"),
        ("orders/fulfilled", "orders_fulfilled"),
        ("orders/partially_fulfilled", "orders_partially_fulfilled"),
        ("orders/cancelled", "orders_cancelled"),
    ] {
        let plan = shopify(topic, &fixture(&format!("shopify/{file}.json")));
        assert!(plan.messages.is_empty(), "{topic}");
        assert_eq!(skips(&plan), vec![SkipCode::TestOrder], "{topic}");
    }
    // fulfillments and refunds carry no test flag. The fulfillment example is `pending` (a
    // fulfillment service has not shipped it yet), and its only phone is not a number; a
    // refund has no phone at all.
    let plan = shopify(
        "fulfillments/create",
        &fixture("shopify/fulfillments_create.json"),
    );
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
    let mut shipped = fixture("shopify/fulfillments_create.json");
    shipped["status"] = json!("success");
    let plan = shopify("fulfillments/create", &shipped);
    assert_eq!(skips(&plan), vec![SkipCode::InvalidPhone]);
    let plan = shopify("refunds/create", &fixture("shopify/refunds_create.json"));
    assert_eq!(skips(&plan), vec![SkipCode::NoPhone]);
    // The update example is the create example again (shipment status null, tracking number
    // set): shipped once it is `success`, under the create's fact.
    let mut update = fixture("shopify/fulfillments_update.json");
    update["status"] = json!("success");
    let plan = shopify("fulfillments/update", &update);
    assert_eq!(skips(&plan), vec![SkipCode::InvalidPhone]);
}

#[test]
fn a_real_order_is_confirmed_in_the_customers_language_to_their_e164_number() {
    let plan = shopify("orders/create", &shopify_order("orders_create"));
    assert_eq!(events(&plan), ["placed"]);
    let message = &plan.messages[0];
    assert_eq!(message.to.as_str(), "+32470123456");
    assert_eq!(message.template, "fr/placed");
    assert_eq!(message.locale, "fr-BE");
    assert!(message.text.contains("Merci, Camille"), "{}", message.text);
    assert!(message.text.contains("#9999"), "{}", message.text);
    assert_eq!(message.schedule_timestamp, None);
    insta::assert_json_snapshot!("shopify_orders_create_fr_be", plan);
}

#[test]
fn ids_beyond_2_pow_53_survive_exactly() {
    for id in [5_630_084_661_349_u64, 820_982_911_946_154_508] {
        let mut order = shopify_order("orders_create");
        order["id"] = json!(id);
        let plan = shopify("orders/create", &order);
        let event = plan.event.as_ref().expect("an event");
        assert_eq!(event.order_id, id);
        let store = plan.store.as_ref().expect("a context to store");
        assert_eq!(store.order_id, id);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(&format!("\"order_id\":\"{id}\"")), "{json}");
        let back: OrderContext =
            serde_json::from_str(&serde_json::to_string(store).unwrap()).unwrap();
        assert_eq!(back.order_id, id);
    }
}

#[test]
fn the_phone_priority_is_contact_phone_then_customer_then_addresses() {
    let mut order = shopify_order("orders_create");
    order["phone"] = json!(null);
    order["customer"]["phone"] = json!("+33 6 12 34 56 78");
    let plan = shopify("orders/create", &order);
    assert_eq!(plan.messages[0].to.as_str(), "+33612345678");

    // National numbers are read in their address's country.
    order["customer"]["phone"] = json!(null);
    let plan = shopify("orders/create", &order);
    assert_eq!(plan.messages[0].to.as_str(), "+32470123456");
}

/// A gift: the buyer (billing) pays and ships to someone else (shipping), who never agreed
/// to be texted; without a contact or account phone, the buyer's billing phone is texted.
#[test]
fn a_gift_order_texts_the_buyers_billing_phone_not_the_recipients() {
    let mut order = shopify_order("orders_create");
    order["phone"] = json!(null);
    order["customer"]["phone"] = json!(null);
    let billing = &mut order["billing_address"];
    billing["first_name"] = json!("Camille");
    billing["last_name"] = json!("Durand");
    billing["name"] = json!("Camille Durand");
    billing["phone"] = json!("0470 12 34 56");
    let shipping = &mut order["shipping_address"];
    shipping["first_name"] = json!("Lucas");
    shipping["last_name"] = json!("Martin");
    shipping["name"] = json!("Lucas Martin");
    shipping["address1"] = json!("12 rue des Lilas");
    shipping["city"] = json!("Lyon");
    shipping["zip"] = json!("69003");
    shipping["country"] = json!("France");
    shipping["country_code"] = json!("FR");
    shipping["phone"] = json!("06 98 76 54 32");
    let plan = shopify("orders/create", &order);
    assert_eq!(events(&plan), ["placed"]);
    assert_eq!(plan.messages[0].to.as_str(), "+32470123456");
    assert!(
        plan.messages[0].text.contains("Camille"),
        "{}",
        plan.messages[0].text
    );

    // A shop that asks a phone on the shipping address only: that one is texted.
    order["billing_address"]["phone"] = json!(null);
    let plan = shopify("orders/create", &order);
    assert_eq!(plan.messages[0].to.as_str(), "+33698765432");
}

#[test]
fn an_invalid_phone_skips_the_message_with_a_reason_that_does_not_leak_the_number() {
    let mut order = shopify_order("orders_create");
    order["phone"] = json!(null);
    order["shipping_address"]["phone"] = json!("555-555-SHIP");
    order["billing_address"]["phone"] = json!("555-555-SHIP");
    let plan = shopify("orders/create", &order);
    assert!(plan.messages.is_empty());
    assert_eq!(skips(&plan), vec![SkipCode::InvalidPhone]);
    let reason = &plan.skipped[0].reason;
    assert!(reason.contains("shipping_address.phone"), "{reason}");
    assert!(!reason.contains("555"), "{reason}");
}

#[test]
fn no_phone_anywhere_is_a_skip_not_an_error() {
    let mut order = shopify_order("orders_create");
    for path in ["shipping_address", "billing_address"] {
        order[path]["phone"] = json!(null);
    }
    order["phone"] = json!(null);
    let plan = shopify("orders/create", &order);
    assert_eq!(skips(&plan), vec![SkipCode::NoPhone]);
    assert!(plan.store.is_some(), "the order is still remembered");
}

#[test]
fn emoji_accents_ampersands_and_angle_brackets_stay_raw_in_the_sms() {
    let mut order = shopify_order("orders_create");
    order["customer"]["first_name"] = json!("Zoë & <Léa> 🎉");
    let plan = shopify("orders/create", &order);
    let message = &plan.messages[0];
    assert!(
        message.text.contains("Merci, Zoë & <Léa> 🎉"),
        "{}",
        message.text
    );
    assert_eq!(message.encoding, ordersms_core::Encoding::Ucs2);
    assert!(!message.text.contains("&amp;") && !message.text.contains("&lt;"));
}

#[test]
fn test_orders_are_sent_only_when_the_shop_asks() {
    let mut order = shopify_order("orders_create");
    order["test"] = json!(true);
    let plan = shopify("orders/create", &order);
    assert_eq!(skips(&plan), vec![SkipCode::TestOrder]);
    let sending = config("skip_test_orders = false");
    let plan = plan_for(&order, &sending);
    assert_eq!(events(&plan), ["placed"]);
}

fn plan_for(order: &serde_json::Value, config: &ShopConfig) -> ordersms_core::Plan {
    plan(Platform::Shopify, "orders/create", order, config, None)
}

#[test]
fn a_missing_locale_falls_back_to_the_country_then_the_shop_default() {
    let mut order = shopify_order("orders_create");
    order["customer_locale"] = json!(null);
    order["shipping_address"]["country_code"] = json!("DE");
    order["phone"] = json!("+49 151 23456789");
    let plan = shopify("orders/create", &order);
    assert_eq!(plan.messages[0].template, "de/placed");
    assert_eq!(plan.messages[0].locale, "de-DE");

    // Belgium has no single language: the shop's default decides.
    order["shipping_address"]["country_code"] = json!("BE");
    let plan = plan_for(&order, &config("default_language = \"nl\""));
    assert_eq!(plan.messages[0].template, "nl/placed");
    assert_eq!(plan.messages[0].locale, "nl-BE");
    let plan = shopify("orders/create", &order);
    assert_eq!(plan.messages[0].template, "en/placed");
}

#[test]
fn merchant_messages_go_to_the_configured_merchant_phone_in_the_merchant_language() {
    let config = config(
        r#"
        [merchant]
        phone = "+3221234567"
        language = "en"
        [events.placed]
        customer = true
        merchant = true
        "#,
    );
    let plan = plan_for(&shopify_order("orders_create"), &config);
    assert_eq!(events(&plan), ["placed", "placed"]);
    let merchant = &plan.messages[1];
    assert_eq!(merchant.to.as_str(), "+3221234567");
    assert_eq!(merchant.template, "en/merchant/placed");
    assert!(
        merchant.text.contains("Camille Durand"),
        "{}",
        merchant.text
    );
    assert_ne!(plan.messages[0].dedupe_key, merchant.dedupe_key);
}

/// A Swiss shop's merchant reads Swiss money, as its Swiss customers do: the merchant's
/// language alone ("de") would write it the German way.
#[test]
fn merchant_money_is_written_for_the_shop_s_country() {
    let mut order = shopify_order("orders_create");
    order["currency"] = json!("CHF");
    order["presentment_currency"] = json!("CHF");
    order["total_price"] = json!("1249.90");
    for set in ["total_price_set", "current_total_price_set"] {
        if let Some(set) = order.get_mut(set) {
            for side in ["shop_money", "presentment_money"] {
                set[side] = json!({"amount": "1249.90", "currency_code": "CHF"});
            }
        }
    }
    order["customer_locale"] = json!("de");
    order["shipping_address"]["country_code"] = json!("CH");
    order["billing_address"]["country_code"] = json!("CH");
    order["phone"] = json!("+41 79 123 45 67");
    order["shipping_address"]["phone"] = json!("079 123 45 67");
    let swiss = config(
        r#"
        default_country = "CH"
        [merchant]
        phone = "+41441234567"
        language = "de"
        [events.placed]
        customer = true
        merchant = true
        "#,
    );
    let plan = plan_for(&order, &swiss);
    let (customer, merchant) = (&plan.messages[0], &plan.messages[1]);
    assert!(customer.text.contains("CHF 1'249.90"), "{}", customer.text);
    assert_eq!(merchant.template, "de/merchant/placed");
    assert_eq!(merchant.locale, "de-CH");
    assert!(merchant.text.contains("CHF 1'249.90"), "{}", merchant.text);
}

#[test]
fn opted_out_customers_are_skipped_but_the_merchant_still_hears() {
    let config = config(
        r#"
        [merchant]
        phone = "+3221234567"
        [events.placed]
        customer = true
        merchant = true
        "#,
    );
    let stop = |phone: &ordersms_core::Phone| phone.as_str() == "+32470123456";
    let plan = plan_opting_out(
        Platform::Shopify,
        "orders/create",
        &shopify_order("orders_create"),
        &config,
        &stop,
    );
    assert_eq!(events(&plan), ["placed"]);
    assert_eq!(
        plan.messages[0].recipient,
        ordersms_core::Audience::Merchant
    );
    let skipped = plan
        .skipped
        .iter()
        .find(|s| s.code == SkipCode::OptedOut)
        .expect("an opted-out skip");
    assert!(
        skipped.reason.starts_with("opted out"),
        "{}",
        skipped.reason
    );
    assert!(!skipped.reason.contains("470123456"), "{}", skipped.reason);
}

#[test]
fn orders_fulfilled_and_fulfillments_create_for_one_shipment_share_a_dedupe_key() {
    let mut order = shopify_order("orders_fulfilled");
    let mut fulfillment = shipped_fulfillment();
    fulfillment["destination"]["phone"] = json!("+32 470 12 34 56");
    fulfillment["destination"]["country_code"] = json!("BE");
    order["fulfillments"] = json!([fulfillment.clone()]);

    let from_order = shopify("orders/fulfilled", &order);
    let from_fulfillment = shopify("fulfillments/create", &fulfillment);
    assert_eq!(events(&from_order), ["shipped"]);
    assert_eq!(events(&from_fulfillment), ["shipped"]);
    assert_eq!(
        from_order.messages[0].dedupe_key,
        from_fulfillment.messages[0].dedupe_key
    );
    // The tracking link is in the text either way.
    for plan in [&from_order, &from_fulfillment] {
        assert!(
            plan.messages[0].text.contains("1z827wk74630"),
            "{}",
            plan.messages[0].text
        );
    }
    // A retry is the same fact.
    let again = shopify("fulfillments/create", &fulfillment);
    assert_eq!(
        again.messages[0].dedupe_key,
        from_fulfillment.messages[0].dedupe_key
    );
}

#[test]
fn fulfillment_updates_follow_the_shipment_status() {
    let mut fulfillment = fixture("shopify/fulfillments_update.json");
    fulfillment["status"] = json!("success"); // shipped by the merchant
    fulfillment["destination"]["phone"] = json!("+32470123456");
    let config = config(
        r#"
        [events.in_transit]
        customer = true
        "#,
    );
    for (status, expected) in [
        ("in_transit", "in_transit"),
        ("out_for_delivery", "out_for_delivery"),
        ("delivered", "delivered"),
        ("failure", "delivery_failed"),
        ("attempted_delivery", "delivery_failed"),
    ] {
        fulfillment["shipment_status"] = json!(status);
        let plan = plan(
            Platform::Shopify,
            "fulfillments/update",
            &fulfillment,
            &config,
            None,
        );
        let event = plan.event.as_ref().unwrap();
        assert_eq!(event.transitions[0].kind.as_str(), expected, "{status}");
    }
    fulfillment["shipment_status"] = json!("delivered");
    let plan = shopify("fulfillments/update", &fulfillment);
    assert_eq!(events(&plan), ["delivered"]);
    // "confirmed" on an update of a shipped fulfillment repeats the shipment under the
    // create's fact, so it is never sent twice.
    fulfillment["shipment_status"] = json!("confirmed");
    let update = shopify("fulfillments/update", &fulfillment);
    let create = shopify("fulfillments/create", &fulfillment);
    assert_eq!(update.messages[0].dedupe_key, create.messages[0].dedupe_key);
    // Without a status, an update says nothing new unless it brings a tracking number.
    fulfillment["status"] = json!(null);
    let update = shopify("fulfillments/update", &fulfillment);
    assert_eq!(update.messages[0].dedupe_key, create.messages[0].dedupe_key);
    fulfillment["tracking_number"] = json!(null);
    let plan = shopify("fulfillments/update", &fulfillment);
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
}

#[test]
fn fulfillments_take_the_customer_from_the_stored_context() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("orders/create stores a context");
    let mut fulfillment = shipped_fulfillment();
    fulfillment["destination"]["phone"] = json!(null);
    let plan = plan(
        Platform::Shopify,
        "fulfillments/create",
        &fulfillment,
        &ShopConfig::default(),
        Some(&context),
    );
    assert_eq!(events(&plan), ["shipped"]);
    assert_eq!(plan.messages[0].to.as_str(), "+32470123456");
    assert_eq!(plan.messages[0].template, "fr/shipped");
    assert!(
        plan.messages[0].text.contains("Camille"),
        "{}",
        plan.messages[0].text
    );

    // A parcel sent to someone else: the buyer who ordered is still the one texted, and the
    // recipient's number does not replace theirs in the context.
    fulfillment["destination"]["phone"] = json!("+33 6 98 76 54 32");
    let gift = common::plan(
        Platform::Shopify,
        "fulfillments/create",
        &fulfillment,
        &ShopConfig::default(),
        Some(&context),
    );
    assert_eq!(gift.messages[0].to.as_str(), "+32470123456");
    assert!(gift.store.is_none_or(|c| c.phones == context.phones));
}

#[test]
fn refunds_are_partial_or_full_against_the_stored_order_total() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("a context");
    assert_eq!(context.total.as_deref(), Some("404.95"));
    let mut refund = fixture("shopify/refunds_create.json");
    refund["order_id"] = json!(820_982_911_946_154_508_u64);

    // 75.00 + 10.00 of 404.95.
    let first = plan_refund(&refund, &context);
    assert_eq!(events(&first), ["partially_refunded"]);
    assert!(
        first.messages[0].text.contains("85"),
        "{}",
        first.messages[0].text
    );
    let after_first = first.store.expect("the refund is remembered");
    assert_eq!(after_first.refunded_total.as_deref(), Some("85.00"));

    // A retry of the same refund neither counts twice nor changes the key.
    let retry = plan(
        Platform::Shopify,
        "refunds/create",
        &refund,
        &ShopConfig::default(),
        Some(&after_first),
    );
    assert_eq!(retry.messages[0].dedupe_key, first.messages[0].dedupe_key);
    assert_eq!(retry.store, None);

    // The rest of the order: now fully refunded.
    refund["id"] = json!(890_088_186_047_892_401_u64);
    refund["transactions"] = json!([{"kind": "refund", "status": "success", "amount": "319.95"}]);
    let last = plan(
        Platform::Shopify,
        "refunds/create",
        &refund,
        &ShopConfig::default(),
        Some(&after_first),
    );
    assert_eq!(events(&last), ["refunded"]);
    assert_eq!(
        last.store.unwrap().refunded_total.as_deref(),
        Some("404.95")
    );
}

/// The merchant told of a second refund reads what the order has given back in all: the
/// refund's own amount alone read as if the order had been refunded that much.
#[test]
fn the_merchant_reads_a_later_refund_with_the_refunds_so_far() {
    let config = merchant_told_of_refunds();
    let created = plan(
        Platform::Shopify,
        "orders/create",
        &shopify_order("orders_create"),
        &config,
        None,
    );
    let context = created.store.expect("a context");
    let mut refund = fixture("shopify/refunds_create.json");
    refund["order_id"] = json!(820_982_911_946_154_508_u64);
    // No lines (their money sets would name the fixture's USD): the currency is the
    // context's, the EUR of the order above.
    refund["refund_line_items"] = json!([]);
    // The first refund: 85.00, nothing before it.
    let first = plan(
        Platform::Shopify,
        "refunds/create",
        &refund,
        &config,
        Some(&context),
    );
    let text = merchant_text(&first);
    assert!(text.contains("€85.00"), "{text}");
    assert!(!text.contains("in all"), "{text}");
    assert_eq!(
        first.event.as_ref().unwrap().refund.as_ref().unwrap().total,
        None
    );

    // The rest: 319.95 now, 404.95 in all.
    refund["id"] = json!(890_088_186_047_892_401_u64);
    refund["transactions"] = json!([{"kind": "refund", "status": "success", "amount": "319.95"}]);
    let last = plan(
        Platform::Shopify,
        "refunds/create",
        &refund,
        &config,
        first.store.as_ref(),
    );
    assert_eq!(events(&last), ["refunded", "refunded"]);
    let text = merchant_text(&last);
    assert!(text.contains("319.95, "), "{text}");
    assert!(text.contains("404.95 in all"), "{text}");
}

#[test]
fn a_refund_without_context_has_unknown_scope_and_no_recipient() {
    let plan = shopify("refunds/create", &fixture("shopify/refunds_create.json"));
    let event = plan.event.as_ref().unwrap();
    assert_eq!(event.transitions[0].kind.as_str(), "refunded");
    let refund = event.refund.as_ref().unwrap();
    assert_eq!(refund.amount.as_deref(), Some("85.00"));
    assert_eq!(refund.scope, ordersms_core::event::RefundScope::Unknown);
    assert_eq!(skips(&plan), vec![SkipCode::NoPhone]);
}

/// Shopify's published refund has no currency on its transactions (`"currency": null`), only
/// on its lines' money sets. Without a stored context (an order placed before ordersms was
/// set up) the merchant's text still names the amount in that currency, not a bare
/// "refunded", which reads as the whole order.
#[test]
fn a_refund_without_context_or_transaction_currency_takes_its_lines_currency() {
    let refund = fixture("shopify/refunds_create.json");
    assert!(refund["transactions"][0]["currency"].is_null(), "the trap");
    let plan = plan(
        Platform::Shopify,
        "refunds/create",
        &refund,
        &merchant_told_of_refunds(),
        None,
    );
    let event = plan.event.as_ref().unwrap();
    assert_eq!(
        event.refund.as_ref().unwrap().currency.as_deref(),
        Some("USD")
    );
    let text = merchant_text(&plan);
    assert!(text.contains("$85.00"), "{text}");

    // A transaction that names its currency keeps it.
    let mut named = refund.clone();
    named["transactions"][0]["currency"] = json!("CAD");
    named["transactions"][1]["currency"] = json!("CAD");
    let plan = shopify("refunds/create", &named);
    let refund = plan.event.as_ref().unwrap().refund.as_ref().unwrap();
    assert_eq!(refund.currency.as_deref(), Some("CAD"));
}

#[test]
fn quiet_hours_hold_messages_until_morning_across_midnight_and_dst() {
    let config = config(
        r#"
        timezone = "Europe/Brussels"
        [quiet_hours]
        start = "21:00"
        end = "08:00"
        "#,
    );
    let order = shopify_order("orders_create");
    let at = |now| {
        try_plan(
            Platform::Shopify,
            "orders/create",
            &order,
            &config,
            None,
            now,
        )
        .unwrap()
        .messages[0]
            .schedule_timestamp
    };
    // 23:30 on the night clocks go forward: held to 08:00 CEST = 06:00 UTC.
    assert_eq!(at(1_774_737_000), Some(1_774_764_000));
    // 22:30 on the night clocks go back: held to 08:00 CET = 07:00 UTC.
    assert_eq!(at(1_792_873_800), Some(1_792_911_600));
    // Midday: now.
    assert_eq!(at(NOW), None);
}

#[test]
fn signatures_are_checked_on_the_raw_body() {
    let body = serde_json::to_vec(&shopify_order("orders_create")).unwrap();
    let good = sign(&body, b"shpss_secret");
    let headers = [
        ("X-Shopify-Topic", "orders/create"),
        ("X-Shopify-Hmac-Sha256", good.as_str()),
        ("X-Shopify-Shop-Domain", "maison.myshopify.com"),
    ];
    let input = WebhookInput::new(Platform::Shopify, &headers, &body).with_secret(b"shpss_secret");
    let plan = ordersms_core::plan(&input, &ShopConfig::default(), None, NOW).unwrap();
    assert_eq!(plan.event.unwrap().shop, "maison.myshopify.com");

    let input = WebhookInput::new(Platform::Shopify, &headers, &body).with_secret(b"wrong");
    let error = ordersms_core::plan(&input, &ShopConfig::default(), None, NOW).unwrap_err();
    assert!(matches!(error, WebhookError::BadSignature { .. }));
    assert!(error.is_authentication());
    let unsigned = [("X-Shopify-Topic", "orders/create")];
    let input = WebhookInput::new(Platform::Shopify, &unsigned, &body).with_secret(b"k");
    assert!(matches!(
        Webhook::parse(&input),
        Err(WebhookError::MissingSignature { .. })
    ));
}

#[test]
fn unknown_topics_and_malformed_json_are_typed_errors() {
    let config = ShopConfig::default();
    let order = shopify_order("orders_create");
    let error = try_plan(
        Platform::Shopify,
        "products/create",
        &order,
        &config,
        None,
        NOW,
    )
    .unwrap_err();
    assert!(matches!(error, WebhookError::UnknownTopic { .. }));
    assert!(error.to_string().contains("orders/create"), "{error}");

    for body in [
        &b"{"[..],
        b"[]",
        b"null",
        b"{\"id\": 1.5}",
        b"{\"id\": -1}",
        b"\xff",
    ] {
        let headers = [("X-Shopify-Topic", "orders/create")];
        let input = WebhookInput::new(Platform::Shopify, &headers, body);
        assert!(
            matches!(
                ordersms_core::plan(&input, &config, None, NOW),
                Err(WebhookError::MalformedPayload { .. })
            ),
            "{body:?}"
        );
    }
}

/// A shop's template listing the order's items (`{{#each}}`, `@last`) reads them from the
/// order event.
#[test]
fn a_template_listing_the_items_is_rendered_from_the_order() {
    let config = config(
        "shop_name = \"Maison\"\n[templates]\n\"fr/placed\" = \"{{shop.name}} : {{#each order.items}}{{quantity}}× {{name}}{{#unless @last}}, {{/unless}}{{/each}} pour {{customer.name}} ({{money order.total}})\"\n",
    );
    let plan = plan(
        Platform::Shopify,
        "orders/create",
        &shopify_order("orders_create"),
        &config,
        None,
    );
    assert_eq!(plan.messages.len(), 1, "{plan:?}");
    assert_eq!(
        plan.messages[0].text,
        "Maison : 1× Aviator sunglasses, 1× Lens Protection Plan (2 Year), 1× Premium Leather Case, \
         1× Mid-century lounger, 1× Coffee table pour Camille Durand (404,95 €)"
    );
}

#[test]
fn a_gift_recipients_name_does_not_replace_the_buyers_for_later_messages() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("orders/create stores a context");
    // The parcel goes to "Steve Shipper" (the fixture's destination), not to the buyer.
    let mut fulfillment = fixture("shopify/fulfillments_create.json");
    fulfillment["order_id"] = json!(820_982_911_946_154_508_u64);
    fulfillment["tracking_number"] = json!("1Z999AA10123456784");
    fulfillment["status"] = json!("success");
    let shipped = plan(
        Platform::Shopify,
        "fulfillments/create",
        &fulfillment,
        &ShopConfig::default(),
        Some(&context),
    );
    assert!(shipped.messages[0].text.contains("Camille"));
    let after_shipping = shipped.store.unwrap_or(context);
    assert_eq!(after_shipping.first_name.as_deref(), Some("Camille"));
    assert_eq!(after_shipping.last_name.as_deref(), Some("Durand"));

    // Delivered: still the buyer's first name in the text.
    fulfillment["shipment_status"] = json!("delivered");
    let delivered = plan(
        Platform::Shopify,
        "fulfillments/update",
        &fulfillment,
        &ShopConfig::default(),
        Some(&after_shipping),
    );
    assert_eq!(events(&delivered), ["delivered"]);
    let text = &delivered.messages[0].text;
    assert!(
        text.contains("Camille") && !text.contains("Steve"),
        "{text}"
    );
}

/// A euro shop selling to Japan through Shopify Markets: the order's `currency` and
/// `total_price` are the shop's (EUR), what the customer paid is `presentment_currency` and
/// `total_price_set.presentment_money` (JPY), and refund transactions are in JPY too.
fn order_paid_in_yen() -> serde_json::Value {
    let mut order = shopify_order("orders_create");
    order["customer_locale"] = json!("en");
    order["total_price"] = json!("120.50");
    order["presentment_currency"] = json!("JPY");
    order["total_price_set"] = json!({
        "shop_money": {"amount": "120.50", "currency_code": "EUR"},
        "presentment_money": {"amount": "19800", "currency_code": "JPY"}
    });
    order
}

#[test]
fn a_customer_paying_in_another_currency_is_told_the_amount_they_paid() {
    let created = shopify("orders/create", &order_paid_in_yen());
    let text = &created.messages[0].text;
    assert!(text.contains("¥19,800"), "{text}");
    assert!(!text.contains("120"), "{text}");
}

#[test]
fn a_partial_refund_in_the_customers_currency_is_not_a_full_one() {
    let created = shopify("orders/create", &order_paid_in_yen());
    let context = created.store.expect("a context");
    let refund = refund_of_the_order(json!([
        {"kind": "refund", "status": "success", "amount": "5000", "currency": "JPY"}
    ]));
    // 5,000 of 19,800 yen: a partial refund, not "your order has been refunded".
    let plan = plan_refund(&refund, &context);
    assert_eq!(events(&plan), ["partially_refunded"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("¥5,000"), "{text}");
}

/// The payment gateway refused the refund (card expired, account closed): Shopify still
/// sends `refunds/create`, with the refund transaction in status `failure`. No money went
/// back, so the customer must not be told "We've refunded 89,99 €".
#[test]
fn a_refund_the_gateway_refused_is_not_announced_as_money_returned() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("a context");
    let mut refund = refund_of_the_order(json!([
        {"kind": "refund", "status": "failure", "amount": "89.99", "currency": "EUR",
         "error_code": "card_declined"}
    ]));
    let plan = plan_refund(&refund, &context);
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
    // Nothing was refunded: the order's refunded total is not raised.
    assert!(plan.store.is_none_or(|c| c.refunded_total.is_none()));

    // A refund still being processed by the gateway is money on its way: announced.
    refund["transactions"][0]["status"] = json!("pending");
    let pending = plan_refund(&refund, &context);
    assert_eq!(events(&pending), ["partially_refunded"]);
    assert!(pending.messages[0].text.contains("89,99"));
}

/// A refund that returns no money (a restock or a return recorded with a 0.00 refund
/// transaction) must not text "We've refunded €0.00".
#[test]
fn a_refund_of_no_money_is_not_announced() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("a context");
    let refund = refund_of_the_order(json!([
        {"kind": "refund", "status": "success", "amount": "0.00", "currency": "EUR"}
    ]));
    let plan = plan_refund(&refund, &context);
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
    assert!(
        plan.skipped[0].reason.contains("no money"),
        "{}",
        plan.skipped[0].reason
    );
}

/// A fulfillment service (a warehouse, a 3PL) gets the fulfillment first (`pending`, then
/// `open`) and ships it later (`success`, with the tracking number). Announcing the create
/// would text "shipped" before anything left, without tracking, and the real shipment would
/// then share its dedupe key and never be told.
#[test]
fn a_fulfillment_service_shipment_is_announced_when_it_ships_with_its_tracking() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let context = created.store.expect("a context");
    let mut fulfillment = fixture("shopify/fulfillments_create.json");
    fulfillment["order_id"] = json!(820_982_911_946_154_508_u64);
    fulfillment["destination"]["phone"] = json!(null);
    fulfillment["tracking_number"] = json!(null);
    fulfillment["tracking_numbers"] = json!([]);
    fulfillment["tracking_url"] = json!(null);
    fulfillment["tracking_urls"] = json!([]);
    let plan_it = |topic: &str, fulfillment: &Value| {
        plan(
            Platform::Shopify,
            topic,
            fulfillment,
            &ShopConfig::default(),
            Some(&context),
        )
    };
    for (topic, status) in [
        ("fulfillments/create", "pending"),
        ("fulfillments/update", "open"),
    ] {
        fulfillment["status"] = json!(status);
        let waiting = plan_it(topic, &fulfillment);
        assert!(
            waiting.messages.is_empty(),
            "{status}: {:?}",
            waiting.messages
        );
        assert_eq!(skips(&waiting), vec![SkipCode::NothingNew], "{status}");
        assert!(waiting.skipped[0].reason.contains("not shipped it yet"));
    }

    fulfillment["status"] = json!("success");
    fulfillment["tracking_company"] = json!("UPS");
    fulfillment["tracking_number"] = json!("1Z999AA10123456784");
    fulfillment["tracking_url"] = json!("https://www.ups.com/track?tracknum=1Z999AA10123456784");
    let shipped = plan_it("fulfillments/update", &fulfillment);
    assert_eq!(events(&shipped), ["shipped"]);
    assert!(
        shipped.messages[0].text.contains("1Z999AA10123456784"),
        "{}",
        shipped.messages[0].text
    );
    // The same shipment from its create (a redelivery) is the same fact: told once.
    let again = plan_it("fulfillments/create", &fulfillment);
    assert_eq!(again.messages[0].dedupe_key, shipped.messages[0].dedupe_key);
}

/// A merchant marks an order fulfilled without tracking (the customer is told it shipped),
/// then adds the number to the fulfillment: Shopify sends `fulfillments/update` with it. It
/// repeats the shipment's fact, so it was dropped as a duplicate and the customer never got
/// the number; the context now knows the shipment went out untracked.
#[test]
fn a_tracking_number_added_to_a_shipped_fulfillment_is_announced_once() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let mut fulfillment = shipped_fulfillment();
    fulfillment["destination"]["phone"] = json!(null);
    for field in ["tracking_company", "tracking_number", "tracking_url"] {
        fulfillment[field] = json!(null);
    }
    fulfillment["tracking_numbers"] = json!([]);
    fulfillment["tracking_urls"] = json!([]);
    let plan_it = |topic: &str, fulfillment: &Value, context: &OrderContext| {
        plan_fulfillment(topic, fulfillment, Some(context))
    };

    let shipped = plan_it(
        "fulfillments/create",
        &fulfillment,
        created.store.as_ref().unwrap(),
    );
    assert_eq!(events(&shipped), ["shipped"]);
    assert!(!shipped.messages[0].text.contains("ups.com"));
    let context = shipped.store.expect("the untracked shipment is kept");
    assert_eq!(context.untracked_shipments, ["123456"]);

    fulfillment["tracking_company"] = json!("UPS");
    fulfillment["tracking_number"] = json!("1Z999AA10123456784");
    fulfillment["tracking_url"] = json!("https://www.ups.com/track?tracknum=1Z999AA10123456784");
    let tracked = plan_it("fulfillments/update", &fulfillment, &context);
    assert_eq!(events(&tracked), ["shipped"]);
    let text = &tracked.messages[0].text;
    assert!(text.contains("UPS"), "{text}");
    assert!(text.contains("tracknum=1Z999AA10123456784"), "{text}");
    assert_ne!(
        tracked.messages[0].dedupe_key, shipped.messages[0].dedupe_key,
        "the Worker would drop it as the first shipped text"
    );
    // The same update again (a retry) is the same fact.
    let retried = plan_it("fulfillments/update", &fulfillment, &context);
    assert_eq!(
        retried.messages[0].dedupe_key,
        tracked.messages[0].dedupe_key
    );

    // Told: any later update of the shipment (the carrier, an edit) repeats the shipment's
    // fact and is dropped as the duplicate it is.
    let context = tracked.store.expect("the shipment is no longer untracked");
    assert!(context.untracked_shipments.is_empty());
    let later = plan_it("fulfillments/update", &fulfillment, &context);
    assert_eq!(later.messages[0].dedupe_key, shipped.messages[0].dedupe_key);
}

#[test]
fn a_shipment_announced_with_its_tracking_is_not_announced_again_by_its_update() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let fulfillment = shipped_fulfillment();
    let shipped = plan_fulfillment("fulfillments/create", &fulfillment, created.store.as_ref());
    assert_eq!(events(&shipped), ["shipped"]);
    let context = shipped.store.expect("a context");
    assert!(context.untracked_shipments.is_empty());
    let update = plan_fulfillment("fulfillments/update", &fulfillment, Some(&context));
    assert_eq!(
        update.messages[0].dedupe_key,
        shipped.messages[0].dedupe_key
    );
}

/// A merchant ships with a mistyped tracking number, then corrects it on the fulfillment:
/// Shopify sends `fulfillments/update` with the new number. It repeated the shipment's fact
/// and was dropped, so the customer kept a link to someone else's parcel (or to none). The
/// corrected number is announced once; the updates that follow it are the shipment again.
#[test]
fn a_corrected_tracking_number_is_announced_once() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let fulfillment = shipped_fulfillment();
    let shipped = plan_fulfillment("fulfillments/create", &fulfillment, created.store.as_ref());
    assert_eq!(events(&shipped), ["shipped"]);
    let after_create = shipped.store.expect("a context");
    assert_eq!(after_create.shipment_numbers, ["123456:1z827wk74630"]);

    let corrected_number = "1Z999AA10123456784";
    let mut corrected = fulfillment.clone();
    corrected["tracking_number"] = json!(corrected_number);
    corrected["tracking_numbers"] = json!([corrected_number]);
    corrected["tracking_url"] = json!(format!(
        "https://www.ups.com/track?tracknum={corrected_number}"
    ));
    corrected["tracking_urls"] = json!([corrected["tracking_url"]]);
    let told = plan_fulfillment("fulfillments/update", &corrected, Some(&after_create));
    assert_eq!(events(&told), ["shipped"]);
    let text = &told.messages[0].text;
    assert!(text.contains(corrected_number), "{text}");
    assert_ne!(
        told.messages[0].dedupe_key, shipped.messages[0].dedupe_key,
        "the Worker would drop it as the first shipped text"
    );
    // A retry of that update with the same context is the same message.
    let retried = plan_fulfillment("fulfillments/update", &corrected, Some(&after_create));
    assert_eq!(retried.messages[0].dedupe_key, told.messages[0].dedupe_key);

    // Told: later updates carrying it (the carrier's progress, an edit) are the shipment.
    let context = told.store.expect("a context");
    assert_eq!(
        context.shipment_numbers,
        [format!("123456:{corrected_number}")]
    );
    let later = plan_fulfillment("fulfillments/update", &corrected, Some(&context));
    assert_eq!(later.messages[0].dedupe_key, shipped.messages[0].dedupe_key);

    // A context stored before shipments kept their numbers announces no change (its number
    // may have been told already).
    let mut old = after_create;
    old.shipment_numbers.clear();
    let from_old = plan_fulfillment("fulfillments/update", &corrected, Some(&old));
    assert_eq!(
        from_old.messages[0].dedupe_key,
        shipped.messages[0].dedupe_key
    );
}

/// The update of a shipment may come before its create: whichever comes first tells it, and
/// the other is the same message, not a "corrected" number.
#[test]
fn a_shipment_told_by_its_update_first_is_not_told_again_by_its_create() {
    let created = shopify("orders/create", &shopify_order("orders_create"));
    let fulfillment = shipped_fulfillment();
    let update = plan_fulfillment("fulfillments/update", &fulfillment, created.store.as_ref());
    assert_eq!(events(&update), ["shipped"]);
    let create = plan_fulfillment("fulfillments/create", &fulfillment, update.store.as_ref());
    assert_eq!(create.messages[0].dedupe_key, update.messages[0].dedupe_key);
}

/// Shopify's published fulfillment of the order `shopify_order` plans, shipped by the
/// merchant (`success`; the fixture's is `pending`, held by a fulfillment service).
fn shipped_fulfillment() -> Value {
    let mut fulfillment = fixture("shopify/fulfillments_create.json");
    fulfillment["status"] = json!("success");
    fulfillment["order_id"] = json!(820_982_911_946_154_508_u64);
    fulfillment
}

/// A Shopify fulfillment webhook planned for the default shop.
fn plan_fulfillment(topic: &str, fulfillment: &Value, context: Option<&OrderContext>) -> Plan {
    plan(
        Platform::Shopify,
        topic,
        fulfillment,
        &ShopConfig::default(),
        context,
    )
}

/// Shopify's published refund, of the order `shopify_order` plans, with these transactions.
fn refund_of_the_order(transactions: Value) -> Value {
    let mut refund = fixture("shopify/refunds_create.json");
    refund["order_id"] = json!(820_982_911_946_154_508_u64);
    refund["transactions"] = transactions;
    refund
}

fn plan_refund(refund: &Value, context: &OrderContext) -> Plan {
    plan(
        Platform::Shopify,
        "refunds/create",
        refund,
        &ShopConfig::default(),
        Some(context),
    )
}

/// A sale at the shop's counter (Shopify POS, `source_name: "pos"`): the order arrives
/// fulfilled, with a fulfillment that has no tracking. "We'll text you when it ships" and
/// "your order has shipped" would both be wrong to someone who walked out with the goods.
fn pos_sale() -> (serde_json::Value, serde_json::Value) {
    let mut fulfillment = shipped_fulfillment();
    fulfillment["destination"] = json!(null);
    for field in ["tracking_company", "tracking_number", "tracking_url"] {
        fulfillment[field] = json!(null);
    }
    fulfillment["tracking_numbers"] = json!([]);
    fulfillment["tracking_urls"] = json!([]);
    let mut order = shopify_order("orders_create");
    order["source_name"] = json!("pos");
    order["fulfillment_status"] = json!("fulfilled");
    order["fulfillments"] = json!([fulfillment.clone()]);
    (order, fulfillment)
}

#[test]
fn a_sale_at_the_counter_is_neither_confirmed_nor_shipped() {
    let (order, fulfillment) = pos_sale();
    let created = shopify("orders/create", &order);
    assert!(created.messages.is_empty(), "{:?}", created.messages);
    assert_eq!(skips(&created), vec![SkipCode::NothingNew]);
    assert!(
        created.skipped[0].reason.contains("point of sale"),
        "{}",
        created.skipped[0].reason
    );
    let context = created.store.expect("the order is still remembered");

    // Its fulfillment does not say it was a counter sale; the stored order does.
    let handed_over = plan(
        Platform::Shopify,
        "fulfillments/create",
        &fulfillment,
        &ShopConfig::default(),
        Some(&context),
    );
    assert!(
        handed_over.messages.is_empty(),
        "{:?}",
        handed_over.messages
    );
    assert!(handed_over.skipped[0].reason.contains("point of sale"));
    let fulfilled = shopify("orders/fulfilled", &order);
    assert!(fulfilled.messages.is_empty(), "{:?}", fulfilled.messages);

    // A POS order shipped to the customer has a tracking number: that is announced, and a
    // refund of a counter sale is money returned like any other.
    let mut shipped = fulfillment.clone();
    shipped["tracking_number"] = json!("1z827wk74630");
    let plan_shipped = plan(
        Platform::Shopify,
        "fulfillments/create",
        &shipped,
        &ShopConfig::default(),
        Some(&context),
    );
    assert_eq!(events(&plan_shipped), ["shipped"]);
    let mut ship_to_customer = shopify_order("orders_create");
    ship_to_customer["source_name"] = json!("pos");
    assert_eq!(
        events(&shopify("orders/create", &ship_to_customer)),
        ["placed"]
    );

    // An online order fulfilled without tracking (a local delivery) still says shipped.
    let mut online = fulfillment.clone();
    online["destination"] = fixture("shopify/fulfillments_create.json")["destination"].clone();
    let web_context = shopify("orders/create", &shopify_order("orders_create"))
        .store
        .unwrap();
    let web = plan(
        Platform::Shopify,
        "fulfillments/create",
        &online,
        &ShopConfig::default(),
        Some(&web_context),
    );
    assert_eq!(events(&web), ["shipped"]);
}

/// SMSMobileAPI takes an SMS number with its `+` and a WhatsApp number without it (the
/// phone fails the message otherwise), so one `/sendsms/` call cannot reach both: `"both"`
/// plans one message per channel. The SMS keeps the key it has with `channel = "sms"`, so
/// switching a shop to "both" never sends an SMS twice; the WhatsApp one has its own.
#[test]
fn both_channels_are_two_messages_one_per_channel() {
    let order = shopify_order("orders_create");
    let both = plan(
        Platform::Shopify,
        "orders/create",
        &order,
        &config("[events.placed]\nchannel = \"both\"\n"),
        None,
    );
    let channels: Vec<_> = both.messages.iter().map(|m| m.channel).collect();
    assert_eq!(channels, [Channel::Sms, Channel::Whatsapp]);
    assert_eq!(both.messages[0].text, both.messages[1].text);
    assert_ne!(both.messages[0].dedupe_key, both.messages[1].dedupe_key);
    let sms_only = shopify("orders/create", &order);
    assert_eq!(both.messages[0].dedupe_key, sms_only.messages[0].dedupe_key);
    assert_eq!(both.messages[1].dedupe_key.len(), 32);
    // Planned again (a retried webhook), both keys are the same.
    let again = plan(
        Platform::Shopify,
        "orders/create",
        &order,
        &config("[events.placed]\nchannel = \"both\"\n"),
        None,
    );
    assert_eq!(again.messages, both.messages);
}

/// `device` picks the phone that sends: it must travel with each planned message, or a caller
/// that sends the plan's messages as they are (the npm package's `sendMessage(message)`) sends
/// from whichever phone SMSMobileAPI picks.
#[test]
fn the_shops_device_is_on_every_planned_message() {
    let body: Value = serde_json::from_str(include_str!(
        "../../../examples/webhooks/shopify_orders_create.json"
    ))
    .unwrap();
    let shop = config(include_str!("../../../examples/shop.toml"));
    let plan = plan(Platform::Shopify, "orders/create", &body, &shop, None);
    assert_eq!(plan.messages.len(), 2, "{plan:?}");
    for message in &plan.messages {
        assert_eq!(message.device_sid.as_deref(), Some("a1b2c3d4"));
    }
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(json["messages"][0]["device_sid"], "a1b2c3d4");

    // Without `device`, the plan's JSON is as before: no such key.
    let plan = plan_default(&body);
    assert!(plan.messages.iter().all(|m| m.device_sid.is_none()));
    let json = serde_json::to_value(&plan).unwrap();
    assert!(json["messages"][0].get("device_sid").is_none(), "{json}");
}

fn plan_default(body: &Value) -> Plan {
    plan(
        Platform::Shopify,
        "orders/create",
        body,
        &ShopConfig::default(),
        None,
    )
}
