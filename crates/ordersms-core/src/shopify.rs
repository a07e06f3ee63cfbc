//! Shopify webhook bodies (REST Admin API shape) into `OrderEvent`.
//!
//! | topic | event | fact (dedupe) |
//! |---|---|---|
//! | `orders/create` | placed | `order` |
//! | `orders/paid` | paid | `order` |
//! | `orders/fulfilled` | shipped | `fulfillment:<newest live fulfillment id>` |
//! | `orders/partially_fulfilled` | partially_shipped | same as above |
//! | `orders/cancelled` | cancelled | `order` |
//! | `fulfillments/create` | shipped (shipment_status null, confirmed, label_printed, label_purchased); nothing while a fulfillment service holds it (status pending, open) | `fulfillment:<id>` |
//! | `fulfillments/*` | in_transit, out_for_delivery, delivered; failure and attempted_delivery → delivery_failed | `fulfillment:<id>:<event>` |
//! | `fulfillments/update` | not yet moving: shipped again with a tracking number or status success (same fact as the create, so never twice); else nothing. A number added to a shipment the context knows went out untracked, or one that replaces the number it went out with, is announced | (`fulfillment:<id>:tracking:<number>`) |
//! | `refunds/create` | refunded or partially_refunded, judged by the planner against the context's order total; nothing when the gateway refused every refund transaction | `refund:<id>` |
//!
//! A Shopify POS sale (`source_name: "pos"`) handed over at the counter (`orders/create`
//! already `fulfilled`, fulfillments without tracking) announces neither placed nor shipped;
//! the stored context remembers it for `fulfillments/*`, which do not say so. A fulfillment
//! that arrives before its order's `orders/create` cannot know, and is announced.
//!
//! Shipments share one fact whichever topic announces them, and the dedupe key puts shipped
//! and partially_shipped in one class: the first of `orders/fulfilled` and
//! `fulfillments/create` to arrive is sent, the other is a duplicate.
//!
//! Only the fields ordersms reads are declared; serde skips the rest without building values,
//! and strings borrow from the body unless they contain escapes (`Cow`, read by
//! `json::text`: serde alone would copy every one). Every field may be
//! absent or null in the wild, so everything but the ids is optional.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{
    Item, Micros, OrderEvent, PhoneCandidate, Refund, RefundScope, Tracking, Transition,
};
use crate::json::text;
use crate::model::{EventKind, Platform};
use crate::record::record;

/// The Shopify topics ordersms handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Topic {
    OrdersCreate,
    OrdersPaid,
    OrdersFulfilled,
    OrdersPartiallyFulfilled,
    OrdersCancelled,
    FulfillmentsCreate,
    FulfillmentsUpdate,
    RefundsCreate,
}

pub(crate) const SUPPORTED: &str = "orders/create, orders/paid, orders/fulfilled, orders/partially_fulfilled, orders/cancelled, fulfillments/create, fulfillments/update, refunds/create";

impl Topic {
    pub fn parse(name: &str) -> Option<Topic> {
        Some(match name.trim() {
            "orders/create" => Topic::OrdersCreate,
            "orders/paid" => Topic::OrdersPaid,
            "orders/fulfilled" => Topic::OrdersFulfilled,
            "orders/partially_fulfilled" => Topic::OrdersPartiallyFulfilled,
            "orders/cancelled" => Topic::OrdersCancelled,
            "fulfillments/create" => Topic::FulfillmentsCreate,
            "fulfillments/update" => Topic::FulfillmentsUpdate,
            "refunds/create" => Topic::RefundsCreate,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrdersCreate => "orders/create",
            Topic::OrdersPaid => "orders/paid",
            Topic::OrdersFulfilled => "orders/fulfilled",
            Topic::OrdersPartiallyFulfilled => "orders/partially_fulfilled",
            Topic::OrdersCancelled => "orders/cancelled",
            Topic::FulfillmentsCreate => "fulfillments/create",
            Topic::FulfillmentsUpdate => "fulfillments/update",
            Topic::RefundsCreate => "refunds/create",
        }
    }
}

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Order<'a> {
    id: u64,
    #[serde(borrow, default, deserialize_with = "text")]
    name: Text<'a>,
    #[serde(default)]
    test: Option<bool>,
    #[serde(borrow, default, deserialize_with = "text")]
    customer_locale: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    currency: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    total_price: Text<'a>,
    /// The customer's currency when it is not the shop's (Shopify Markets): what they paid
    /// is `total_price_set.presentment_money`, and refund transactions are in it too.
    #[serde(borrow, default, deserialize_with = "text")]
    presentment_currency: Text<'a>,
    #[serde(borrow, default)]
    total_price_set: Option<MoneySet<'a>>,
    #[serde(borrow, default, deserialize_with = "text")]
    phone: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    order_status_url: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    created_at: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    financial_status: Text<'a>,
    /// `pos` for a sale at the shop's counter (else `web`, `shopify_draft_order`, an app).
    #[serde(borrow, default, deserialize_with = "text")]
    source_name: Text<'a>,
    /// `fulfilled` on a counter sale's `orders/create`: the goods were handed over.
    #[serde(borrow, default, deserialize_with = "text")]
    fulfillment_status: Text<'a>,
    #[serde(borrow, default)]
    customer: Option<Customer<'a>>,
    #[serde(borrow, default)]
    billing_address: Option<Address<'a>>,
    #[serde(borrow, default)]
    shipping_address: Option<Address<'a>>,
    #[serde(borrow, default)]
    line_items: Option<Vec<LineItem<'a>>>,
    #[serde(borrow, default)]
    fulfillments: Option<Vec<Fulfillment<'a>>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Customer<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    first_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    last_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    phone: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Address<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    first_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    last_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    phone: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    country_code: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct LineItem<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    title: Text<'a>,
    #[serde(default)]
    quantity: Option<u32>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Fulfillment<'a> {
    id: u64,
    #[serde(default)]
    order_id: Option<u64>,
    #[serde(borrow, default, deserialize_with = "text")]
    name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    status: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    shipment_status: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_company: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_number: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_url: Text<'a>,
    #[serde(borrow, default)]
    destination: Option<Address<'a>>,
    #[serde(borrow, default)]
    line_items: Option<Vec<LineItem<'a>>>,
    #[serde(borrow, default, deserialize_with = "text")]
    created_at: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct RefundBody<'a> {
    id: u64,
    order_id: u64,
    #[serde(borrow, default)]
    transactions: Option<Vec<RefundTransaction<'a>>>,
    #[serde(borrow, default)]
    refund_line_items: Option<Vec<RefundLineItem<'a>>>,
    #[serde(borrow, default, deserialize_with = "text")]
    created_at: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct RefundTransaction<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    kind: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    status: Text<'a>,
    /// Usually a decimal string, but Shopify writes some refund money as JSON numbers: kept
    /// raw so "89.99" is never routed through a float.
    #[serde(borrow, default)]
    amount: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text")]
    currency: Text<'a>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct RefundLineItem<'a> {
    #[serde(borrow, default)]
    subtotal_set: Option<MoneySet<'a>>,
    #[serde(borrow, default)]
    total_tax_set: Option<MoneySet<'a>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct MoneySet<'a> {
    #[serde(borrow)]
    shop_money: Money<'a>,
    #[serde(borrow, default)]
    presentment_money: Option<Money<'a>>,
}

impl<'a> MoneySet<'a> {
    /// The customer's side of the amount when the payload has it, else the shop's.
    fn customer_money(self) -> Money<'a> {
        self.presentment_money.unwrap_or(self.shop_money)
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug))]
pub(crate) struct Money<'a> {
    #[serde(borrow)]
    amount: &'a RawValue,
    #[serde(borrow, default, deserialize_with = "text")]
    currency_code: Text<'a>,
}

impl Default for Money<'_> {
    /// Only the reader's starting point: `amount` is required, so it is always overwritten.
    fn default() -> Self {
        Money {
            amount: RawValue::NULL,
            currency_code: None,
        }
    }
}

// The Worker's reader of the structs above (crate::record), field for field as the derive.
record!(Order<'de> as "Order", [
    id: U64 Req,
    name: Text Default,
    test: OptBool Default,
    customer_locale: Text Default,
    currency: Text Default,
    total_price: Text Default,
    presentment_currency: Text Default,
    total_price_set: ShopifyMoneySet Default,
    phone: Text Default,
    order_status_url: Text Default,
    created_at: Text Default,
    financial_status: Text Default,
    source_name: Text Default,
    fulfillment_status: Text Default,
    customer: ShopifyCustomer Default,
    billing_address: ShopifyAddress Default,
    shipping_address: ShopifyAddress Default,
    line_items: ShopifyLineItems Default,
    fulfillments: ShopifyFulfillments Default,
]);
record!(Customer<'de> as "Customer", [
    first_name: Text Default,
    last_name: Text Default,
    phone: Text Default,
]);
record!(Address<'de> as "Address", [
    first_name: Text Default,
    last_name: Text Default,
    phone: Text Default,
    country_code: Text Default,
]);
record!(LineItem<'de> as "LineItem", [
    name: Text Default,
    title: Text Default,
    quantity: OptU32 Default,
]);
record!(Fulfillment<'de> as "Fulfillment", [
    id: U64 Req,
    order_id: OptU64 Default,
    name: Text Default,
    status: Text Default,
    shipment_status: Text Default,
    tracking_company: Text Default,
    tracking_number: Text Default,
    tracking_url: Text Default,
    destination: ShopifyAddress Default,
    line_items: ShopifyLineItems Default,
    created_at: Text Default,
]);
record!(RefundBody<'de> as "RefundBody", [
    id: U64 Req,
    order_id: U64 Req,
    transactions: ShopifyTransactions Default,
    refund_line_items: ShopifyRefundLineItems Default,
    created_at: Text Default,
]);
record!(RefundTransaction<'de> as "RefundTransaction", [
    kind: Text Default,
    status: Text Default,
    amount: Raw Default,
    currency: Text Default,
]);
record!(RefundLineItem<'de> as "RefundLineItem", [
    subtotal_set: ShopifyMoneySet Default,
    total_tax_set: ShopifyMoneySet Default,
]);
record!(MoneySet<'de> as "MoneySet", [
    shop_money: ShopifyMoney Req,
    presentment_money: ShopifyOptMoney Default,
]);
record!(Money<'de> as "Money", [
    amount: ReqRaw Req,
    currency_code: Text Default,
]);

/// The decimal text of a JSON string or number, exactly as written.
pub(crate) fn raw_decimal(raw: &RawValue) -> Option<Micros> {
    let text = raw.get().trim();
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => Micros::parse(inner),
        None => Micros::parse(text),
    }
}

/// Upper-cased in place (country codes): no second string.
pub(crate) fn upper(mut text: String) -> String {
    text.make_ascii_uppercase();
    text
}

fn own(text: Text<'_>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn candidate(
    source: &'static str,
    raw: &Text<'_>,
    country: &Option<String>,
) -> Option<PhoneCandidate> {
    let raw = raw.as_deref()?.trim();
    (!raw.is_empty()).then(|| PhoneCandidate {
        source,
        raw: raw.to_owned(),
        country: country.clone(),
    })
}

/// The host of the shop's order status page: the shop domain when no header names it.
fn host_of(url: Option<&str>) -> Option<String> {
    let rest = url?.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn items(line_items: Option<Vec<LineItem<'_>>>) -> Vec<Item> {
    line_items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let name = own(item.name.or(item.title))?;
            Some(Item {
                name,
                quantity: item.quantity.unwrap_or(1),
            })
        })
        .collect()
}

fn empty_event(topic: Topic, shop: String, order_id: u64) -> OrderEvent {
    OrderEvent {
        platform: Platform::Shopify,
        topic: topic.as_str(),
        shop,
        order_id,
        order_name: None,
        transitions: Vec::new(),
        note: None,
        test: false,
        in_store: false,
        first_name: None,
        last_name: None,
        locale: None,
        country: None,
        currency: None,
        total: None,
        items: Vec::new(),
        tracking: Tracking::default(),
        refund: None,
        status_url: None,
        created_at: None,
        status: None,
        refund_count: None,
        refunded_total: None,
        phones: Vec::new(),
        woo: None,
    }
}

/// Normalizes a Shopify body. `shop` comes from the `X-Shopify-Shop-Domain` header when the
/// caller has it.
pub(crate) fn normalize(
    topic: Topic,
    body: &[u8],
    shop: Option<&str>,
) -> Result<OrderEvent, serde_json::Error> {
    match topic {
        Topic::FulfillmentsCreate | Topic::FulfillmentsUpdate => {
            let fulfillment: Fulfillment = crate::record::from_body(body)?;
            Ok(from_fulfillment(topic, fulfillment, shop))
        }
        Topic::RefundsCreate => {
            let refund: RefundBody = crate::record::from_body(body)?;
            Ok(from_refund(refund, shop))
        }
        _ => {
            let order: Order = crate::record::from_body(body)?;
            Ok(from_order(topic, order, shop))
        }
    }
}

fn from_order(topic: Topic, order: Order<'_>, shop: Option<&str>) -> OrderEvent {
    let shop = shop
        .map(str::to_owned)
        .or_else(|| host_of(order.order_status_url.as_deref()))
        .unwrap_or_else(|| "unknown".to_owned());
    let mut event = empty_event(topic, shop, order.id);
    let shipping_country = order
        .shipping_address
        .as_ref()
        .and_then(|a| own(a.country_code.clone()))
        .map(upper);
    let billing_country = order
        .billing_address
        .as_ref()
        .and_then(|a| own(a.country_code.clone()))
        .map(upper);
    let country = shipping_country.clone().or(billing_country.clone());

    // Priority: the contact phone typed at checkout, the customer's account phone, then the
    // buyer's billing phone, and last the shipping one: it belongs to whoever receives the
    // parcel (a gift's recipient, who did not agree to be texted about the buyer's order and
    // its price), but is the only phone of shops that ask for one on the shipping address.
    let mut phones = Vec::new();
    phones.extend(candidate("phone", &order.phone, &country));
    if let Some(customer) = &order.customer {
        phones.extend(candidate("customer.phone", &customer.phone, &country));
    }
    if let Some(address) = &order.billing_address {
        phones.extend(candidate(
            "billing_address.phone",
            &address.phone,
            &billing_country,
        ));
    }
    if let Some(address) = &order.shipping_address {
        phones.extend(candidate(
            "shipping_address.phone",
            &address.phone,
            &shipping_country,
        ));
    }
    event.phones = phones;

    let (first, last) = [
        order
            .customer
            .as_ref()
            .map(|c| (c.first_name.clone(), c.last_name.clone())),
        order
            .billing_address
            .as_ref()
            .map(|a| (a.first_name.clone(), a.last_name.clone())),
        order
            .shipping_address
            .as_ref()
            .map(|a| (a.first_name.clone(), a.last_name.clone())),
    ]
    .into_iter()
    .flatten()
    .map(|(first, last)| (own(first), own(last)))
    .find(|(first, last)| first.is_some() || last.is_some())
    .unwrap_or((None, None));
    event.first_name = first;
    event.last_name = last;

    event.order_name = own(order.name);
    event.test = order.test.unwrap_or(false);
    event.locale = own(order.customer_locale);
    event.country = country;
    // What the customer paid, in their currency: the presentment amount when the payload
    // gives one in the presentment currency, else the shop's.
    let presentment_currency = own(order.presentment_currency);
    let presentment_total = order
        .total_price_set
        .and_then(|set| set.presentment_money)
        .filter(|money| {
            presentment_currency.is_some()
                && own(money.currency_code.clone()) == presentment_currency
        })
        .and_then(|money| raw_decimal(money.amount));
    match presentment_total {
        Some(total) => {
            event.currency = presentment_currency;
            event.total = Some(total.to_decimal());
        }
        None => {
            event.currency = own(order.currency);
            event.total = own(order.total_price);
        }
    }
    event.status_url = own(order.order_status_url);
    event.created_at = own(order.created_at);
    event.status = own(order.financial_status);
    event.items = items(order.line_items);

    let kind = match topic {
        Topic::OrdersCreate => EventKind::Placed,
        Topic::OrdersPaid => EventKind::Paid,
        Topic::OrdersFulfilled => EventKind::Shipped,
        Topic::OrdersPartiallyFulfilled => EventKind::PartiallyShipped,
        _ => EventKind::Cancelled,
    };
    let mut fact = "order".to_owned();
    if matches!(kind, EventKind::Shipped | EventKind::PartiallyShipped) {
        // The newest live fulfillment is the shipment this webhook announces. Its id is the
        // fact, so `fulfillments/create` for the same shipment gets the same dedupe key.
        let latest = order
            .fulfillments
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !matches!(f.status.as_deref(), Some("cancelled" | "error" | "failure")))
            .max_by_key(|f| f.id);
        if let Some(fulfillment) = latest {
            fact = format!("fulfillment:{}", fulfillment.id);
            event.tracking = tracking(&fulfillment);
        }
    }
    event.transitions = vec![Transition::new(kind, fact)];
    event.in_store = order.source_name.as_deref() == Some("pos");
    if event.in_store
        && kind == EventKind::Placed
        && order.fulfillment_status.as_deref() == Some("fulfilled")
    {
        event.transitions.clear();
        event.note = Some(
            "a point of sale order, handed over in the shop: no order confirmation to send"
                .to_owned(),
        );
    }
    event.drop_in_store_handover(event.in_store);
    event
}

fn tracking(fulfillment: &Fulfillment<'_>) -> Tracking {
    Tracking {
        company: own(fulfillment.tracking_company.clone()),
        number: own(fulfillment.tracking_number.clone()),
        url: own(fulfillment.tracking_url.clone()),
    }
}

fn from_fulfillment(topic: Topic, fulfillment: Fulfillment<'_>, shop: Option<&str>) -> OrderEvent {
    let shop = shop.unwrap_or("unknown").to_owned();
    let mut event = empty_event(topic, shop, fulfillment.order_id.unwrap_or(0));
    // "#9999.1" is the first fulfillment of order "#9999".
    event.order_name = own(fulfillment.name.clone()).map(|name| match name.rsplit_once('.') {
        Some((order, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            order.to_owned()
        }
        _ => name,
    });
    event.tracking = tracking(&fulfillment);
    event.created_at = own(fulfillment.created_at.clone());
    if let Some(destination) = &fulfillment.destination {
        let country = own(destination.country_code.clone()).map(upper);
        event
            .phones
            .extend(candidate("destination.phone", &destination.phone, &country));
        event.first_name = own(destination.first_name.clone());
        event.last_name = own(destination.last_name.clone());
        event.country = country;
    }
    let id = fulfillment.id;
    let status = fulfillment.status.as_deref().unwrap_or("");
    let shipment = fulfillment.shipment_status.as_deref().unwrap_or("");
    event.items = items(fulfillment.line_items);
    if matches!(status, "cancelled" | "error" | "failure") {
        event.note = Some(format!(
            "fulfillment status is {status}: nothing to announce"
        ));
        return event;
    }
    let transition = match shipment {
        "in_transit" => Some(Transition::new(
            EventKind::InTransit,
            format!("fulfillment:{id}:in_transit"),
        )),
        "out_for_delivery" => Some(Transition::new(
            EventKind::OutForDelivery,
            format!("fulfillment:{id}:out_for_delivery"),
        )),
        "delivered" => Some(Transition::new(
            EventKind::Delivered,
            format!("fulfillment:{id}:delivered"),
        )),
        // A failed attempt is what the customer must act on, like a failure.
        "failure" | "attempted_delivery" => Some(Transition::new(
            EventKind::DeliveryFailed,
            format!("fulfillment:{id}:delivery_failed"),
        )),
        // A fulfillment service (a warehouse, a 3PL) holds it but has not shipped it: the
        // update that makes it `success` announces it, with its tracking.
        "" | "confirmed" | "label_printed" | "label_purchased"
            if matches!(status, "pending" | "open") =>
        {
            event.note = Some(format!(
                "fulfillment status is {status} (the fulfillment service has not shipped it yet): announced when it succeeds"
            ));
            None
        }
        // Not yet moving: the shipment itself is the news, once. An update repeats it when
        // it brings a tracking number (the merchant added it later) or the fulfillment is
        // `success` (a fulfillment service shipped it); the fact is the same as the
        // create's, so a shipment already announced is not announced twice.
        "" | "confirmed" | "label_printed" | "label_purchased"
            if topic == Topic::FulfillmentsCreate
                || event.tracking.number.is_some()
                || status == "success" =>
        {
            Some(Transition::new(
                EventKind::Shipped,
                format!("fulfillment:{id}"),
            ))
        }
        "" | "confirmed" | "label_printed" | "label_purchased" => None,
        other => {
            event.note = Some(format!(
                "shipment status `{other}` has no message (ordersms announces in_transit, out_for_delivery, delivered, failure, attempted_delivery)"
            ));
            None
        }
    };
    match transition {
        Some(t) => event.transitions.push(t),
        None if event.note.is_none() => {
            event.note = Some(
                "fulfillment update without a new shipment status or tracking number".to_owned(),
            );
        }
        None => {}
    }
    event
}

fn from_refund(refund: RefundBody<'_>, shop: Option<&str>) -> OrderEvent {
    let shop = shop.unwrap_or("unknown").to_owned();
    let mut event = empty_event(Topic::RefundsCreate, shop, refund.order_id);
    event.created_at = own(refund.created_at);
    let mut currency = None;
    // The money returned is the successful refund transactions; a refund without any (store
    // credit, restock only) falls back to the refunded lines' subtotal and tax.
    let mut amount = Micros::default();
    let mut counted = false;
    // Refund transactions the gateway refused (`failure`, `error`): no money went back.
    let mut refused = false;
    for transaction in refund.transactions.unwrap_or_default() {
        if transaction.kind.as_deref().is_some_and(|k| k != "refund") {
            continue;
        }
        // A pending refund is money on its way (gateways that settle later).
        let status_ok = transaction
            .status
            .as_deref()
            .is_none_or(|s| s == "success" || s == "pending");
        if !status_ok {
            refused = true;
            continue;
        }
        if let Some(value) = transaction.amount.and_then(raw_decimal) {
            amount = amount + value.abs();
            counted = true;
            currency = currency.or(own(transaction.currency));
        }
    }
    if refused && !counted {
        // Announcing the refunded lines' value here would tell the customer they got money
        // back that the gateway refused to return.
        event.note = Some(
            "the payment gateway refused the refund (transaction failure or error): no money was returned, nothing to announce"
                .to_owned(),
        );
        return event;
    }
    if counted && amount == Micros::default() {
        // A restock or a return recorded with a 0.00 transaction: "We've refunded €0.00"
        // would tell the customer nothing true.
        event.note = Some(
            "the refund transactions returned no money (0.00): nothing to announce".to_owned(),
        );
        return event;
    }
    // The lines' money sets name their currency (the customer's, as the transactions and the
    // order total the planner compares them with) where Shopify's transactions may not
    // (`"currency": null` in its published example).
    let from_lines = !counted;
    for line in refund.refund_line_items.unwrap_or_default() {
        for set in [line.subtotal_set, line.total_tax_set]
            .into_iter()
            .flatten()
        {
            let money = set.customer_money();
            if from_lines && let Some(value) = raw_decimal(money.amount) {
                amount = amount + value.abs();
                counted = true;
            }
            currency = currency.or(own(money.currency_code));
        }
    }
    event.refund = Some(Refund {
        id: refund.id,
        amount: counted.then(|| amount.to_decimal()),
        currency,
        scope: RefundScope::Unknown,
        total: None,
    });
    event.transitions = vec![Transition::new(
        EventKind::Refunded,
        format!("refund:{}", refund.id),
    )];
    event
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::tests::{assert_reads_alike, fixture, variants};

    fn read_all_ways(body: &[u8]) {
        assert_reads_alike(body, |order: Order| {
            from_order(Topic::OrdersPaid, order, None)
        });
        assert_reads_alike(body, |f: Fulfillment| {
            from_fulfillment(Topic::FulfillmentsCreate, f, None)
        });
        assert_reads_alike(body, |refund: RefundBody| from_refund(refund, None));
    }

    #[test]
    fn bodies_read_as_with_serde_json_alone_malformed_ones_included() {
        for name in [
            "orders_create",
            "orders_fulfilled",
            "fulfillments_create",
            "fulfillments_update",
            "refunds_create",
        ] {
            for body in variants(&fixture(&format!("shopify/{name}.json"))) {
                read_all_ways(&body);
            }
        }
    }

    proptest! {
        /// A byte a key must not hold, or that changes how it reads, anywhere in the body.
        #[test]
        fn any_byte_anywhere_reads_as_with_serde_json_alone(
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(vec![0x00_u8, 0x09, 0x0a, 0x1f, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xff, b'u', b'd', b'8']),
        ) {
            let mut body = fixture("shopify/fulfillments_create.json");
            body.insert(at.index(body.len()), byte);
            read_all_ways(&body);
        }
    }
}
