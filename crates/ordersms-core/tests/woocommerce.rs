//! WooCommerce webhooks, from the REST API v3 order examples (fixtures/woocommerce, see
//! SOURCE.md) to plans. WooCommerce sends the whole order on every change and never the
//! previous status, so most tests walk an order through its life with the stored context.

mod common;

use common::*;
use ordersms_core::signature::sign;
use ordersms_core::{
    OrderContext, Platform, ShopConfig, SkipCode, Webhook, WebhookError, WebhookInput,
};
use serde_json::{Value, json};

fn order(status: &str) -> Value {
    let mut order = fixture("woocommerce/order_create_response_v3.json");
    order["status"] = json!(status);
    order["billing"]["phone"] = json!("06 12 34 56 78");
    order["billing"]["country"] = json!("FR");
    order["shipping"]["country"] = json!("FR");
    order["currency"] = json!("EUR");
    order
}

fn context_after(status: &str) -> OrderContext {
    woo("order.created", &order(status), None)
        .store
        .expect("a new order is stored")
}

#[test]
fn the_published_examples_plan_as_placed_and_shipped() {
    let created = woo(
        "order.created",
        &fixture("woocommerce/order_create_response_v3.json"),
        None,
    );
    // processing with nothing before: placed and paid (paid is off by default).
    let event = created.event.as_ref().unwrap();
    let kinds: Vec<_> = event.transitions.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["placed", "paid"]);
    assert_eq!(events(&created), ["placed"]);
    // "(555) 555-5555" with country US.
    assert_eq!(created.messages[0].to.as_str(), "+15555555555");
    assert_eq!(created.messages[0].locale, "en-US");
    // HTML entities in item names are decoded once, never re-escaped.
    assert_eq!(
        event.items[1].name,
        "Ship Your Idea \u{2013} Color: Black, Size: M Test"
    );
    insta::assert_json_snapshot!("woocommerce_order_created", created);

    let context = created.store.expect("stored");
    let updated = woo(
        "order.updated",
        &fixture("woocommerce/order_update_response_v3.json"),
        Some(&context),
    );
    assert_eq!(events(&updated), ["shipped"]);
    // No X-WC-Webhook-Source header: the shop is read from the order's own link.
    assert_eq!(updated.event.as_ref().unwrap().shop, "example.com");
    assert!(
        updated.messages[0].text.contains("#727"),
        "{}",
        updated.messages[0].text
    );
}

#[test]
fn statuses_are_judged_against_the_last_stored_status() {
    let pending = woo("order.created", &order("pending"), None);
    assert!(pending.messages.is_empty());
    assert_eq!(skips(&pending), vec![SkipCode::NothingNew]);
    let ctx = pending.store.unwrap();
    assert_eq!(ctx.last_status.as_deref(), Some("pending"));

    let paid = woo("order.updated", &order("processing"), Some(&ctx));
    assert_eq!(events(&paid), ["placed"]);
    assert_eq!(paid.messages[0].template, "fr/placed");
    let ctx = paid.store.unwrap();

    // The same status again (an address edit, a note): nothing new.
    let again = woo("order.updated", &order("processing"), Some(&ctx));
    assert!(again.messages.is_empty());
    assert_eq!(skips(&again), vec![SkipCode::NothingNew]);
    assert!(again.skipped[0].reason.contains("still processing"));
    assert_eq!(again.store, None, "nothing to save");

    let shipped = woo("order.updated", &order("completed"), Some(&ctx));
    assert_eq!(events(&shipped), ["shipped"]);
}

#[test]
fn each_status_maps_to_its_event() {
    let config = config(
        r#"
        [events.on_hold]
        customer = true
        [events.payment_failed]
        customer = true
        [events.paid]
        customer = true
        "#,
    );
    let plan_status = |status: &str, previous: Option<&OrderContext>| {
        plan(
            Platform::WooCommerce,
            "order.updated",
            &order(status),
            &config,
            previous,
        )
    };
    assert_eq!(events(&plan_status("on-hold", None)), ["on_hold"]);
    assert_eq!(events(&plan_status("failed", None)), ["payment_failed"]);
    assert_eq!(events(&plan_status("cancelled", None)), ["cancelled"]);
    assert_eq!(events(&plan_status("completed", None)), ["shipped"]);
    assert_eq!(events(&plan_status("refunded", None)), ["refunded"]);
    // A bank transfer arriving: on-hold → processing confirms the order and its payment.
    let on_hold = context_after("on-hold");
    assert_eq!(
        events(&plan_status("processing", Some(&on_hold))),
        ["placed", "paid"]
    );
    // Back to processing from completed is not news.
    let completed = context_after("completed");
    assert!(
        plan_status("processing", Some(&completed))
            .messages
            .is_empty()
    );
    // A custom status is known to be unknown.
    let custom = plan_status("wc-awaiting-pickup", None);
    assert!(custom.messages.is_empty());
    assert!(custom.skipped[0].reason.contains("wc-awaiting-pickup"));
}

/// A download or a service paid by card goes from `pending` straight to `completed`
/// (WooCommerce completes an order with nothing to ship once it is paid), and an order whose
/// payment cleared before the async `order.created` was built arrives `completed` already:
/// neither customer nor merchant was ever told the order exists.
#[test]
fn an_order_completed_without_being_confirmed_is_confirmed_too() {
    let pending = context_after("pending");
    let straight = woo("order.updated", &order("completed"), Some(&pending));
    assert_eq!(events(&straight), ["placed", "shipped"]);
    let kinds: Vec<_> = straight
        .event
        .as_ref()
        .unwrap()
        .transitions
        .iter()
        .map(|t| t.kind.as_str())
        .collect();
    assert_eq!(kinds, ["placed", "paid", "shipped"]);

    let created = woo("order.created", &order("completed"), None);
    assert_eq!(events(&created), ["placed", "shipped"]);
    // Later deliveries of the same order change nothing: same dedupe keys, same status.
    let again = woo("order.updated", &order("completed"), created.store.as_ref());
    assert!(again.messages.is_empty(), "{:?}", again.messages);

    let held = context_after("on-hold");
    assert_eq!(
        events(&woo("order.updated", &order("completed"), Some(&held))),
        ["placed", "shipped"]
    );

    // An order confirmed earlier is only shipped; one seen for the first time by an update
    // (placed before ordersms was installed) is not confirmed days late.
    let processing = context_after("processing");
    assert_eq!(
        events(&woo(
            "order.updated",
            &order("completed"),
            Some(&processing)
        )),
        ["shipped"]
    );
    assert_eq!(
        events(&woo("order.updated", &order("completed"), None)),
        ["shipped"]
    );
}

/// WooCommerce cancels an unpaid order by itself when its hold-stock time runs out (an
/// abandoned card payment): the customer never had a confirmation, so a "your order has been
/// cancelled" text would be news about an order they do not know they made.
#[test]
fn an_unpaid_order_cancelled_by_woocommerce_is_not_announced() {
    let pending = context_after("pending");
    let expired = woo("order.updated", &order("cancelled"), Some(&pending));
    assert!(expired.messages.is_empty(), "{:?}", expired.messages);
    assert_eq!(skips(&expired), vec![SkipCode::NothingNew]);
    assert!(
        expired.skipped[0]
            .reason
            .contains("never sent a confirmation"),
        "{}",
        expired.skipped[0].reason
    );
    assert_eq!(
        expired
            .store
            .as_ref()
            .and_then(|c| c.last_status.as_deref()),
        Some("cancelled"),
        "the status is still recorded"
    );

    // An order the customer was told about is announced when cancelled.
    for known in ["processing", "on-hold"] {
        let cancelled = woo(
            "order.updated",
            &order("cancelled"),
            Some(&context_after(known)),
        );
        assert_eq!(events(&cancelled), ["cancelled"], "after {known}");
    }
}

/// Items restocked with a refund of 0.00 are not money returned to the customer.
/// WooCommerce sends `order.updated` on every save of an order (an address edit, a note, a
/// refund). Right after ordersms is installed, an edit of an order it never saw must not
/// thank its customer for an order placed weeks ago, nor say again that it shipped; what is
/// happening now (a completion today, a refund) is still announced.
#[test]
fn an_order_from_before_ordersms_edited_later_is_not_announced_again() {
    // NOW is 2026-06-01T10:00:00Z.
    let weeks_ago = "2026-05-04T09:12:40";
    let mut processing = order("processing");
    processing["date_created_gmt"] = json!(weeks_ago);
    processing["date_paid_gmt"] = json!(weeks_ago);
    let plan = woo("order.updated", &processing, None);
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
    let reason = &plan.skipped[0].reason;
    assert!(reason.contains("paid on 2026-05-04"), "{reason}");
    // Stored, so its next change is judged against it.
    let ctx = plan.store.expect("the order is stored");
    assert_eq!(ctx.last_status.as_deref(), Some("processing"));
    let shipped = woo("order.updated", &order("completed"), Some(&ctx));
    assert_eq!(events(&shipped), ["shipped"]);

    // Cash on delivery: processing and unpaid, placed weeks ago.
    processing["date_paid_gmt"] = Value::Null;
    let plan = woo("order.updated", &processing, None);
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert!(plan.skipped[0].reason.contains("placed on 2026-05-04"));

    // Completed weeks ago, then partly refunded today: the refund, not "shipped".
    let mut completed = order("completed");
    completed["date_created_gmt"] = json!(weeks_ago);
    completed["date_completed_gmt"] = json!("2026-05-06T14:00:00");
    let plan = woo("order.updated", &completed, None);
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert!(plan.skipped[0].reason.contains("completed on 2026-05-06"));
    completed["refunds"] = json!([{"id": 730, "reason": "damaged", "total": "-10.00"}]);
    assert_eq!(
        events(&woo("order.updated", &completed, None)),
        ["partially_refunded"]
    );

    // An old order completed an hour ago: that is news.
    completed["refunds"] = json!([]);
    completed["date_completed_gmt"] = json!("2026-06-01T09:00:00");
    assert_eq!(events(&woo("order.updated", &completed, None)), ["shipped"]);
    // A bank transfer that cleared this morning for an order placed weeks ago.
    processing["date_paid_gmt"] = json!("2026-06-01T08:30:00");
    assert_eq!(events(&woo("order.updated", &processing, None)), ["placed"]);
    // The first word of an order is news however late it comes.
    processing["date_paid_gmt"] = json!(weeks_ago);
    assert_eq!(events(&woo("order.created", &processing, None)), ["placed"]);
}

#[test]
fn a_refund_of_no_money_is_not_announced() {
    let ctx = context_after("processing");
    let mut restocked = order("processing");
    restocked["refunds"] = json!([{"id": 731, "reason": "restock", "total": "-0.00"}]);
    let plan = woo("order.updated", &restocked, Some(&ctx));
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    assert_eq!(skips(&plan), vec![SkipCode::NothingNew]);
    assert!(
        plan.skipped[0].reason.contains("no money"),
        "{}",
        plan.skipped[0].reason
    );

    // It is counted, so the next real refund is the one announced.
    let ctx = plan.store.expect("the refund count is stored");
    assert_eq!(ctx.refund_count, 1);
    restocked["refunds"] = json!([
        {"id": 732, "reason": "damaged", "total": "-12.00"},
        {"id": 731, "reason": "restock", "total": "-0.00"}
    ]);
    let next = woo("order.updated", &restocked, Some(&ctx));
    assert_eq!(events(&next), ["partially_refunded"]);
    assert!(
        next.messages[0].text.contains("12,00"),
        "{}",
        next.messages[0].text
    );
}

#[test]
fn a_new_refund_entry_is_a_partial_refund_and_status_refunded_the_full_one() {
    let ctx = context_after("processing");
    let mut partial = order("processing");
    partial["refunds"] = json!([{"id": 730, "reason": "damaged", "total": "-10.00"}]);
    let plan = woo("order.updated", &partial, Some(&ctx));
    assert_eq!(events(&plan), ["partially_refunded"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("10,00"), "{text}");
    let ctx = plan.store.unwrap();
    assert_eq!(ctx.refund_count, 1);
    assert_eq!(ctx.refunded_total.as_deref(), Some("10.00"));

    // Re-sent with no new refund: nothing.
    let again = woo("order.updated", &partial, Some(&ctx));
    assert!(again.messages.is_empty());

    let mut full = order("refunded");
    full["refunds"] = json!([
        {"id": 731, "reason": "", "total": "-19.35"},
        {"id": 730, "reason": "damaged", "total": "-10.00"}
    ]);
    let plan = woo("order.updated", &full, Some(&ctx));
    assert_eq!(events(&plan), ["refunded"]);
    assert_eq!(
        plan.event.as_ref().unwrap().transitions[0].fact,
        "refund:731"
    );
    assert_eq!(plan.store.unwrap().refunded_total.as_deref(), Some("29.35"));
}

#[test]
fn the_merchant_reads_a_later_refund_with_the_refunds_so_far() {
    let config = merchant_told_of_refunds();
    let woo_with = |body: &Value, context: &OrderContext| {
        common::plan(
            Platform::WooCommerce,
            "order.updated",
            body,
            &config,
            Some(context),
        )
    };
    let mut partial = order("processing");
    partial["refunds"] = json!([{"id": 730, "reason": "damaged", "total": "-10.00"}]);
    let first = woo_with(&partial, &context_after("processing"));
    let text = merchant_text(&first);
    assert!(text.contains("€10.00"), "{text}");
    assert!(!text.contains("in all"), "{text}");

    let mut full = order("refunded");
    full["refunds"] = json!([
        {"id": 731, "reason": "", "total": "-19.35"},
        {"id": 730, "reason": "damaged", "total": "-10.00"}
    ]);
    let last = woo_with(&full, first.store.as_ref().unwrap());
    let text = merchant_text(&last);
    assert!(text.contains("€19.35, €29.35 in all"), "{text}");
    // The customer's text is about this refund.
    assert!(
        !last.messages[0].text.contains("29"),
        "{}",
        last.messages[0].text
    );
}

/// WooCommerce builds an async webhook's body when it delivers it, and queues one delivery
/// per order at a time: two refunds made a minute apart can reach ordersms in one
/// `order.updated`. The customer must hear what they got back, not only the newest refund.
#[test]
fn refunds_arriving_together_are_announced_with_their_sum() {
    let ctx = context_after("processing");
    let mut two = order("processing");
    two["refunds"] = json!([
        {"id": 731, "reason": "late", "total": "-5.00"},
        {"id": 730, "reason": "damaged", "total": "-10.00"}
    ]);
    let plan = woo("order.updated", &two, Some(&ctx));
    assert_eq!(events(&plan), ["partially_refunded"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("15,00"), "{text}");
    let ctx = plan.store.unwrap();
    assert_eq!(ctx.refund_count, 2);

    // Then the rest in one go, and the order is refunded: this refund alone is announced.
    let mut full = order("refunded");
    full["refunds"] = json!([
        {"id": 732, "reason": "", "total": "-14.35"},
        {"id": 731, "reason": "late", "total": "-5.00"},
        {"id": 730, "reason": "damaged", "total": "-10.00"}
    ]);
    let plan = woo("order.updated", &full, Some(&ctx));
    assert_eq!(events(&plan), ["refunded"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("14,35"), "{text}");
}

#[test]
fn tracking_comes_from_the_shipment_tracking_extension_meta() {
    let mut completed = order("completed");
    completed["meta_data"] = json!([
        {"id": 1, "key": "_order_stock_reduced", "value": "yes"},
        {"id": 2, "key": "_wc_shipment_tracking_items", "value": [{
            "tracking_provider": "",
            "custom_tracking_provider": "Colissimo",
            "custom_tracking_link": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
            "tracking_number": "6A12345678901",
            "date_shipped": "1711929600",
            "tracking_id": "b1c2d3"
        }]},
        {"id": 3, "key": "wpml_language", "value": "fr"}
    ]);
    let plan = woo(
        "order.updated",
        &completed,
        Some(&context_after("processing")),
    );
    let message = &plan.messages[0];
    assert_eq!(message.template, "fr/shipped");
    assert!(message.text.contains("Colissimo"), "{}", message.text);
    assert!(
        message.text.contains("code=6A12345678901"),
        "{}",
        message.text
    );
    insta::assert_json_snapshot!("woocommerce_completed_with_tracking", plan.messages);
}

/// `order` with one Shipment Tracking entry of a custom carrier (Colissimo) for `number`.
fn with_colissimo_tracking(mut order: Value, number: &str) -> Value {
    order["meta_data"] = json!([
        {"id": 1, "key": "_order_stock_reduced", "value": "yes"},
        {"id": 2, "key": "_wc_shipment_tracking_items", "value": [{
            "tracking_provider": "",
            "custom_tracking_provider": "Colissimo",
            "custom_tracking_link": format!("https://www.laposte.fr/outils/suivre-vos-envois?code={number}"),
            "tracking_number": number,
            "date_shipped": "1711929600",
            "tracking_id": "b1c2d3"
        }]}
    ]);
    order
}

#[test]
fn a_tracking_number_added_to_a_completed_order_is_announced_once() {
    // Completed first (the customer is told it shipped, without tracking)...
    let completed = woo(
        "order.updated",
        &order("completed"),
        Some(&context_after("processing")),
    );
    assert_eq!(events(&completed), ["shipped"]);
    assert!(!completed.messages[0].text.contains("laposte"));
    let ctx = completed.store.unwrap();
    assert_eq!(ctx.tracking_numbers, Some(vec![]));

    // ...then the merchant adds the number in Shipment Tracking: WooCommerce sends the order
    // again, still completed. The number is the news.
    let tracked = with_colissimo_tracking(order("completed"), "6A12345678901");
    let plan = woo("order.updated", &tracked, Some(&ctx));
    assert_eq!(events(&plan), ["shipped"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("Colissimo"), "{text}");
    assert!(text.contains("code=6A12345678901"), "{text}");
    assert_ne!(
        plan.messages[0].dedupe_key, completed.messages[0].dedupe_key,
        "the Worker would drop it as the first shipped text"
    );
    let ctx = plan.store.unwrap();

    // Any later edit of the order (a note, an address) carries the same number: nothing.
    let again = woo("order.updated", &tracked, Some(&ctx));
    assert!(again.messages.is_empty(), "{:?}", again.messages);
    assert_eq!(skips(&again), vec![SkipCode::NothingNew]);
    let ctx = again.store.unwrap_or(ctx);

    // A second parcel's number is news again.
    let second = with_colissimo_tracking(order("completed"), "6A98765432109");
    let plan = woo("order.updated", &second, Some(&ctx));
    assert_eq!(events(&plan), ["shipped"]);
    assert!(plan.messages[0].text.contains("code=6A98765432109"));
    assert_eq!(
        plan.store.unwrap().tracking_numbers,
        Some(vec!["6A12345678901".to_owned(), "6A98765432109".to_owned()])
    );
}

#[test]
fn a_tracking_number_known_when_the_order_was_completed_is_not_announced_again() {
    // Tracked while processing, then completed: one shipped text, with the number.
    let tracked = woo(
        "order.updated",
        &with_colissimo_tracking(order("processing"), "6A12345678901"),
        Some(&context_after("processing")),
    );
    assert!(tracked.messages.is_empty(), "{:?}", tracked.messages);
    let completed = with_colissimo_tracking(order("completed"), "6A12345678901");
    let shipped = woo("order.updated", &completed, tracked.store.as_ref());
    assert_eq!(events(&shipped), ["shipped"]);
    assert!(shipped.messages[0].text.contains("code=6A12345678901"));
    let again = woo("order.updated", &completed, shipped.store.as_ref());
    assert!(again.messages.is_empty(), "{:?}", again.messages);
}

#[test]
fn a_context_stored_before_tracking_numbers_were_kept_announces_none() {
    // Stored by an earlier version: the number may have been in its shipped text already.
    let mut ctx = context_after("completed");
    ctx.tracking_numbers = None;
    let stored = serde_json::to_string(&ctx).unwrap();
    assert!(!stored.contains("tracking_numbers"), "{stored}");
    let ctx: OrderContext = serde_json::from_str(&stored).unwrap();
    let tracked = with_colissimo_tracking(order("completed"), "6A12345678901");
    let plan = woo("order.updated", &tracked, Some(&ctx));
    assert!(plan.messages.is_empty(), "{:?}", plan.messages);
    // From now on the numbers are kept.
    assert_eq!(
        plan.store.unwrap().tracking_numbers,
        Some(vec!["6A12345678901".to_owned()])
    );
}

/// The extension's `_wc_shipment_tracking_items` entry for a provider picked from its list:
/// `tracking_provider` holds the provider's slug (`sanitize_title` of its name; newer versions
/// of the admin form store the name itself), the custom fields are empty, and the extension
/// builds the link from its URL pattern for that provider.
fn predefined_tracking(provider: &str, number: &str) -> Value {
    json!([
        {"id": 13106, "key": "_download_permissions_granted", "value": "yes"},
        {"id": 13110, "key": "_wc_shipment_tracking_items", "value": [{
            "tracking_provider": provider,
            "custom_tracking_provider": "",
            "custom_tracking_link": "",
            "tracking_number": number,
            "date_shipped": "1490210400",
            "tracking_id": "6c1d1b9e1f3c4b2d8a7e5f0a9b8c7d6e"
        }]}
    ])
}

#[test]
fn a_predefined_tracking_provider_gets_its_name_and_tracking_link() {
    // The published example walked from created to completed, shipped with USPS.
    let context = woo(
        "order.created",
        &fixture("woocommerce/order_create_response_v3.json"),
        None,
    )
    .store
    .expect("stored");
    let mut completed = fixture("woocommerce/order_update_response_v3.json");
    completed["meta_data"] = predefined_tracking("usps", "9400111899223857264027");
    let plan = woo("order.updated", &completed, Some(&context));
    assert_eq!(events(&plan), ["shipped"]);
    let text = &plan.messages[0].text;
    assert!(text.contains("has shipped with USPS."), "{text}");
    assert!(
        text.contains(
            "Track it: https://tools.usps.com/go/TrackConfirmAction_input?qtc_tLabels1=9400111899223857264027"
        ),
        "{text}"
    );

    // Newer versions of the extension store the provider's name; the number is URL-encoded
    // into the link (Royal Mail prints its numbers in groups).
    let mut completed = order("completed");
    completed["billing"]["country"] = json!("GB");
    completed["shipping"]["country"] = json!("GB");
    completed["billing"]["phone"] = json!("07700 900123");
    completed["meta_data"] = predefined_tracking("Royal Mail", "AB 1234 5678 9GB");
    let plan = woo(
        "order.updated",
        &completed,
        Some(&context_after("processing")),
    );
    let text = &plan.messages[0].text;
    assert!(text.contains("with Royal Mail."), "{text}");
    assert!(
        text.contains(
            "https://www3.royalmail.com/track-your-item#/tracking-results/AB%201234%205678%209GB"
        ),
        "{text}"
    );
}

#[test]
fn a_tracking_link_that_needs_the_postcode_has_it_or_is_left_out() {
    // PostNL's link names the parcel by number, postcode and country.
    let mut completed = order("completed");
    for address in ["billing", "shipping"] {
        completed[address]["country"] = json!("NL");
        completed[address]["postcode"] = json!("1012 ab");
    }
    completed["billing"]["phone"] = json!("06 12345678");
    completed["meta_data"] = predefined_tracking("postnl", "3SABCD1234567");
    let previous = context_after("processing");
    let plan = woo("order.updated", &completed, Some(&previous));
    let text = &plan.messages[0].text;
    assert!(text.contains("PostNL"), "{text}");
    assert!(
        text.contains("https://postnl.nl/tracktrace/?B=3SABCD1234567&P=1012AB&D=NL&T=C"),
        "{text}"
    );

    // Without a postcode there is no link to give: the number is.
    for address in ["billing", "shipping"] {
        completed[address]["postcode"] = json!("");
    }
    let plan = woo("order.updated", &completed, Some(&previous));
    let text = &plan.messages[0].text;
    assert!(text.contains("PostNL"), "{text}");
    assert!(!text.contains("http"), "{text}");
    assert!(text.contains("3SABCD1234567"), "{text}");
}

#[test]
fn an_unknown_tracking_provider_is_named_as_stored_without_a_link() {
    // A provider a shop added to the extension's list itself: ordersms knows no pattern.
    let mut completed = order("completed");
    completed["meta_data"] = predefined_tracking("Shree Tirupati Courier", "STC0042137");
    let plan = woo(
        "order.updated",
        &completed,
        Some(&context_after("processing")),
    );
    let text = &plan.messages[0].text;
    assert!(text.contains("avec Shree Tirupati Courier."), "{text}");
    assert!(!text.contains("http"), "{text}");
    assert!(text.contains("STC0042137"), "{text}");
}

#[test]
fn the_order_language_comes_from_wpml_meta() {
    let mut processing = order("processing");
    processing["billing"]["country"] = json!("US");
    processing["shipping"]["country"] = json!("US");
    processing["billing"]["phone"] = json!("+49 151 23456789");
    processing["meta_data"] = json!([{"id": 9, "key": "wpml_language", "value": "de"}]);
    let plan = woo("order.created", &processing, None);
    assert_eq!(plan.messages[0].template, "de/placed");
    assert_eq!(plan.messages[0].locale, "de-US");
}

#[test]
fn a_customer_of_a_country_of_several_languages_gets_the_shop_s_when_it_is_one_of_them() {
    // WooCommerce orders carry no locale. A French shop's Swiss customer bought on a French
    // site: texting them in German because most of Switzerland speaks it is the wrong
    // language; a German shop's Luxembourg customer likewise reads German, not French.
    let swiss = |country: &str, phone: &str| {
        let mut order = order("processing");
        order["billing"]["country"] = json!(country);
        order["shipping"]["country"] = json!(country);
        order["billing"]["phone"] = json!(phone);
        order["currency"] = json!("CHF");
        order["total"] = json!("1249.90");
        order
    };
    let shop = |language: &str| config(&format!("default_language = \"{language}\""));
    let first = |body: &Value, language: &str| {
        let plan = plan(
            Platform::WooCommerce,
            "order.created",
            body,
            &shop(language),
            None,
        );
        let m = plan.messages[0].clone();
        (m.template, m.locale, m.text)
    };
    let (template, locale, text) = first(&swiss("CH", "079 123 45 67"), "fr");
    assert_eq!((template.as_str(), locale.as_str()), ("fr/placed", "fr-CH"));
    assert!(text.contains("1 249.90 CHF"), "{text}");
    let (template, _, _) = first(&swiss("CH", "079 123 45 67"), "it");
    assert_eq!(template, "it/placed");
    let (template, locale, _) = first(&swiss("LU", "621 123 456"), "de");
    assert_eq!((template.as_str(), locale.as_str()), ("de/placed", "de-LU"));
    // A shop whose language is not one of the country's still writes the country's main one.
    let (template, _, _) = first(&swiss("CH", "079 123 45 67"), "en");
    assert_eq!(template, "de/placed");
    let (template, _, _) = first(&swiss("LU", "621 123 456"), "nl");
    assert_eq!(template, "fr/placed");
}

#[test]
fn the_order_date_is_the_shop_s_day_not_utc_s() {
    // Placed at 00:30 on 15 January in Paris: 23:30 on the 14th in UTC. WooCommerce gives
    // both (`date_created` in the site's time, `date_created_gmt`); the customer's date is
    // the one on their order, the 15th.
    let mut placed = order("processing");
    placed["date_created"] = json!("2026-01-15T00:30:00");
    placed["date_created_gmt"] = json!("2026-01-14T23:30:00");
    let shop = config(
        r#"
        default_language = "fr"
        [templates]
        "fr/placed" = "Commande {{order.name}} du {{date order.created_at}}."
        "#,
    );
    let text = |body: &Value| {
        plan(Platform::WooCommerce, "order.created", body, &shop, None).messages[0]
            .text
            .clone()
    };
    assert_eq!(text(&placed), "Commande #727 du 15/01/2026.");
    // A site west of UTC (the fixture's: UTC-3), and one without the local date.
    let mut west = order("processing");
    west["date_created"] = json!("2017-03-22T22:28:02");
    west["date_created_gmt"] = json!("2017-03-23T01:28:02");
    assert_eq!(text(&west), "Commande #727 du 22/03/2017.");
    west.as_object_mut().unwrap().remove("date_created");
    assert_eq!(text(&west), "Commande #727 du 23/03/2017.");
}

#[test]
fn a_re_sent_order_without_context_keeps_its_dedupe_key() {
    let first = woo("order.updated", &order("completed"), None);
    let second = woo("order.updated", &order("completed"), None);
    assert_eq!(first.messages[0].dedupe_key, second.messages[0].dedupe_key);
}

#[test]
fn the_creation_ping_is_acknowledged_and_plans_nothing() {
    let input = WebhookInput::new(Platform::WooCommerce, &[], b"webhook_id=42").with_secret(b"s");
    assert_eq!(Webhook::parse(&input), Ok(Webhook::Ping { webhook_id: 42 }));
    let plan = ordersms_core::plan(&input, &ShopConfig::default(), None, NOW).unwrap();
    assert!(plan.messages.is_empty());
    assert_eq!(skips(&plan), vec![SkipCode::Ping]);
    assert_eq!(plan.store, None);
}

#[test]
fn deleted_and_restored_orders_send_nothing() {
    for topic in ["order.deleted", "order.restored"] {
        let plan = woo(topic, &json!({"id": 727}), None);
        assert!(plan.messages.is_empty());
        assert_eq!(skips(&plan), vec![SkipCode::IgnoredTopic], "{topic}");
    }
}

#[test]
fn signatures_and_topics_come_from_woocommerce_headers() {
    let body = serde_json::to_vec(&order("processing")).unwrap();
    let signature = sign(&body, b"wc-secret");
    let headers = [
        ("x-wc-webhook-topic", "order.created"),
        ("x-wc-webhook-signature", signature.as_str()),
        ("x-wc-webhook-source", "https://boutique.example.fr/"),
    ];
    let input = WebhookInput::new(Platform::WooCommerce, &headers, &body).with_secret(b"wc-secret");
    let plan = ordersms_core::plan(&input, &ShopConfig::default(), None, NOW).unwrap();
    assert_eq!(plan.event.unwrap().shop, "boutique.example.fr");

    let input = WebhookInput::new(Platform::WooCommerce, &headers, &body).with_secret(b"other");
    assert!(matches!(
        ordersms_core::plan(&input, &ShopConfig::default(), None, NOW),
        Err(WebhookError::BadSignature { .. })
    ));
    let input = WebhookInput::new(Platform::WooCommerce, &headers, &body)
        .with_secret(b"wc-secret")
        .with_topic("product.created");
    assert!(matches!(
        Webhook::parse(&input),
        Err(WebhookError::UnknownTopic { .. })
    ));
}

/// `plan` skips judging a freshly parsed order against no context a second time; planning
/// the parsed event the general way (`plan_webhook`, which always judges it) must give the
/// same plan, whatever the status and refunds.
#[test]
fn planning_a_parsed_order_without_context_matches_the_general_path() {
    let config = config(
        r#"
        [merchant]
        phone = "+33612345678"
        [events.paid]
        merchant = true
        [events.on_hold]
        customer = true
        merchant = true
        [events.refunded]
        merchant = true
        [events.partially_refunded]
        merchant = true
        "#,
    );
    let statuses = [
        "pending",
        "processing",
        "on-hold",
        "completed",
        "cancelled",
        "failed",
        "refunded",
        "draft",
        "",
    ];
    for status in statuses {
        for refunds in [
            json!([]),
            json!([{"id": 9, "total": "-5.00"}, {"id": 12, "total": "-1.5"}]),
        ] {
            let mut body = order(status);
            body["refunds"] = refunds;
            let bytes = serde_json::to_vec(&body).unwrap();
            let input =
                WebhookInput::new(Platform::WooCommerce, &[], &bytes).with_topic("order.updated");
            let planned = ordersms_core::plan(&input, &config, None, NOW).unwrap();
            let webhook = Webhook::parse(&input).unwrap();
            let general = ordersms_core::plan_webhook(
                &webhook,
                &config,
                None,
                NOW,
                &ordersms_core::NoOptOuts,
            );
            assert_eq!(planned, general, "{status}");
        }
    }
}
