//! WooCommerce webhook bodies (the REST API v3 order object) into `OrderEvent`.
//!
//! A WooCommerce order webhook says what the order *is*, never what changed: there is no
//! previous status. So this module records the facts (status, refunds) and `resolve` judges
//! them against the stored context's last status and refund count:
//!
//! | status       | after                         | event                              |
//! |--------------|-------------------------------|------------------------------------|
//! | `pending`    | anything                      | none (awaiting payment)            |
//! | `processing` | nothing, `pending`, `failed`, `on-hold` | placed + paid (for `on-hold`: the bank transfer arrived; the order is confirmed only now, and `on_hold` is off by default) |
//! | `on-hold`    | anything else                 | on_hold                            |
//! | `completed`  | `pending`, `failed`, `checkout-draft`, `on-hold`; nothing on `order.created` | placed + paid + shipped (paid at once with nothing to ship: never confirmed) |
//! | `completed`  | anything else                 | shipped (Woo "completed" = fulfilled; delivery is not tracked by Woo) |
//! | `cancelled`  | `pending`, `checkout-draft`   | none (an unpaid order expired)     |
//! | `cancelled`  | anything else                 | cancelled                          |
//! | `failed`     | anything else                 | payment_failed                     |
//! | `refunded`   | anything else                 | refunded (full)                    |
//! | any          | more `refunds[]` than before  | partially_refunded (newest refund; amount: the sum of the new ones) |
//!
//! Without a context every status counts as new; the dedupe keys (status or refund id) keep
//! a re-sent order from producing the message twice.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::context::OrderContext;
use crate::event::{
    Item, Micros, OrderEvent, PhoneCandidate, Refund, RefundScope, Tracking, Transition,
};
use crate::json::text;
use crate::model::{EventKind, Platform};
use crate::shopify::{raw_decimal, upper};

/// The WooCommerce topics ordersms handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // named after WooCommerce's topics: order.created, ...
pub(crate) enum Topic {
    OrderCreated,
    OrderUpdated,
    OrderDeleted,
    OrderRestored,
}

pub(crate) const SUPPORTED: &str = "order.created, order.updated, order.deleted, order.restored";

impl Topic {
    pub fn parse(name: &str) -> Option<Topic> {
        Some(match name.trim() {
            "order.created" => Topic::OrderCreated,
            "order.updated" => Topic::OrderUpdated,
            "order.deleted" => Topic::OrderDeleted,
            "order.restored" => Topic::OrderRestored,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrderCreated => "order.created",
            Topic::OrderUpdated => "order.updated",
            Topic::OrderDeleted => "order.deleted",
            Topic::OrderRestored => "order.restored",
        }
    }
}

type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize)]
struct Order<'a> {
    id: u64,
    #[serde(borrow, default)]
    number: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text")]
    status: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    currency: Text<'a>,
    #[serde(borrow, default)]
    total: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_created_gmt: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_paid_gmt: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    date_completed_gmt: Text<'a>,
    #[serde(borrow, default)]
    billing: Option<Address<'a>>,
    #[serde(borrow, default)]
    shipping: Option<Address<'a>>,
    #[serde(borrow, default)]
    line_items: Option<Vec<LineItem<'a>>>,
    #[serde(borrow, default)]
    meta_data: Option<Vec<Meta<'a>>>,
    #[serde(borrow, default)]
    refunds: Option<Vec<RefundEntry<'a>>>,
    /// `_links.self[0].href` names the shop when no `X-WC-Webhook-Source` header does.
    #[serde(borrow, default, rename = "_links")]
    links: Option<Links<'a>>,
}

#[derive(Deserialize)]
struct Links<'a> {
    #[serde(borrow, default, rename = "self")]
    this: Option<Vec<Link<'a>>>,
}

#[derive(Deserialize)]
struct Link<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    href: Text<'a>,
}

#[derive(Deserialize)]
struct Address<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    first_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    last_name: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    phone: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    country: Text<'a>,
}

#[derive(Deserialize)]
struct LineItem<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    name: Text<'a>,
    #[serde(default)]
    quantity: Option<u32>,
}

/// `meta_data[]` values are any JSON: kept raw, parsed only for the keys read below.
#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    key: Text<'a>,
    #[serde(borrow, default)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RefundEntry<'a> {
    id: u64,
    #[serde(borrow, default)]
    total: Option<&'a RawValue>,
}

/// One item of the WooCommerce Shipment Tracking extension's `_wc_shipment_tracking_items`.
#[derive(Deserialize)]
struct TrackingItem<'a> {
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_provider: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    custom_tracking_provider: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    tracking_number: Text<'a>,
    #[serde(borrow, default, deserialize_with = "text")]
    custom_tracking_link: Text<'a>,
}

/// What `resolve` needs from a WooCommerce order: its status and refunds (id, amount), and
/// for an `order.updated` when it was created, paid and completed (UNIX seconds), for
/// `drop_old_news`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facts {
    pub status: String,
    pub refunds: Vec<(u64, Option<Micros>)>,
    pub created_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// A WooCommerce `*_gmt` date ("2017-03-22T19:28:02", UTC without an offset) in UNIX seconds.
fn gmt_seconds(text: Option<&str>) -> Option<i64> {
    let text = text?.trim();
    let b = text.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let two = |at: usize| text.get(at..at + 2)?.parse::<i8>().ok();
    let year = text.get(..4)?.parse::<i16>().ok()?;
    let datetime =
        jiff::civil::DateTime::new(year, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, 0).ok()?;
    let instant = jiff::tz::TimeZone::UTC.to_timestamp(datetime).ok()?;
    Some(instant.as_second())
}

fn own(text: Text<'_>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// WooCommerce stores names HTML-escaped ("Ship Your Idea &ndash; Color: Black"); an SMS is
/// plain text, so entities are decoded once here and never re-escaped. `html-escape` knows
/// every HTML5 named entity; measured on a wasm32 release cdylib it costs about 28 KB
/// gzipped, which buys not guessing which entities WordPress plugins emit.
fn decoded(text: Text<'_>) -> Option<String> {
    let text = text?;
    let text = text.trim();
    (!text.is_empty()).then(|| html_escape::decode_html_entities(text).into_owned())
}

/// The text of a JSON string or number ("727" or 727), trimmed; `None` when empty or null.
/// Borrowed from the body unless the string holds an escape.
fn raw_text(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let raw = raw?;
    let text = raw.get().trim();
    if text.starts_with('"') {
        // serde_json checked the raw value: a string without a backslash is its own text.
        let text = match text.get(1..text.len() - 1) {
            Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner.trim()),
            _ => Cow::Owned(serde_json::from_str::<String>(text).ok()?.trim().to_owned()),
        };
        (!text.is_empty()).then_some(text)
    } else if text == "null" {
        None
    } else {
        Some(Cow::Borrowed(text))
    }
}

/// The order id of any WooCommerce body (`order.deleted` sends only `{"id": N}`).
pub(crate) fn order_id(body: &[u8]) -> Result<u64, serde_json::Error> {
    #[derive(Deserialize)]
    struct Id {
        id: u64,
    }
    crate::json::from_body::<Id>(body).map(|id| id.id)
}

/// The shop host from `X-WC-Webhook-Source` ("https://shop.example.com/").
pub(crate) fn shop_from_source(source: &str) -> Option<String> {
    // Byte searches: `split_once("://")` built a two-way searcher per webhook (≈ 1k
    // instructions with the rest).
    let bytes = source.as_bytes();
    let rest = match bytes.windows(3).position(|w| w == b"://") {
        Some(at) => &source[at + 3..],
        None => source,
    };
    let end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#'));
    let host = rest[..end.unwrap_or(rest.len())].trim();
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

pub(crate) fn normalize(
    topic: Topic,
    body: &[u8],
    shop: Option<String>,
) -> Result<OrderEvent, serde_json::Error> {
    let order: Order = crate::json::from_body(body)?;
    Ok(from_order(topic, order, shop))
}

fn from_order(topic: Topic, order: Order<'_>, shop: Option<String>) -> OrderEvent {
    let shipping_country = order
        .shipping
        .as_ref()
        .and_then(|a| own(a.country.clone()))
        .map(upper);
    let billing_country = order
        .billing
        .as_ref()
        .and_then(|a| own(a.country.clone()))
        .map(upper);

    let mut phones = Vec::new();
    for (source, address, country) in [
        ("billing.phone", &order.billing, &billing_country),
        ("shipping.phone", &order.shipping, &shipping_country),
    ] {
        if let Some(raw) = address.as_ref().and_then(|a| own(a.phone.clone())) {
            phones.push(PhoneCandidate {
                source,
                raw,
                country: country.as_ref().or(billing_country.as_ref()).cloned(),
            });
        }
    }

    let mut locale = None;
    let mut tracking = Tracking::default();
    for meta in order.meta_data.unwrap_or_default() {
        let (Some(key), Some(value)) = (meta.key.as_deref(), meta.value) else {
            continue;
        };
        match key {
            // WPML and plugins that follow it store the order's language; `_locale` is the
            // WordPress locale some multilingual plugins keep per order.
            "wpml_language" | "_wpml_language" | "_locale" | "locale" if locale.is_none() => {
                locale = raw_text(Some(value)).map(Cow::into_owned);
            }
            "_wc_shipment_tracking_items" => {
                if let Ok(items) = serde_json::from_str::<Vec<TrackingItem>>(value.get())
                    && let Some(last) = items.into_iter().last()
                {
                    tracking = Tracking {
                        company: own(last.custom_tracking_provider).or(own(last.tracking_provider)),
                        number: own(last.tracking_number),
                        url: own(last.custom_tracking_link),
                    };
                }
            }
            _ => {}
        }
    }

    let refunds: Vec<(u64, Option<Micros>)> = order
        .refunds
        .unwrap_or_default()
        .into_iter()
        .map(|r| (r.id, r.total.and_then(raw_decimal).map(Micros::abs)))
        .collect();
    let refunded_total = refunds
        .iter()
        .filter_map(|(_, amount)| *amount)
        .fold(None, |sum: Option<Micros>, amount| {
            Some(sum.unwrap_or_default() + amount)
        });
    let status = own(order.status).unwrap_or_default();
    // Only `drop_old_news` reads them, and only for updates: not parsed for the rest.
    let dates = |text: &Text<'_>| match topic {
        Topic::OrderUpdated => gmt_seconds(text.as_deref()),
        _ => None,
    };
    let created_at = dates(&order.date_created_gmt);
    let paid_at = dates(&order.date_paid_gmt);
    let completed_at = dates(&order.date_completed_gmt);
    let (first_name, last_name) = [&order.billing, &order.shipping]
        .into_iter()
        .flatten()
        .map(|a| (decoded(a.first_name.clone()), decoded(a.last_name.clone())))
        .find(|(first, last)| first.is_some() || last.is_some())
        .unwrap_or((None, None));

    let mut event = OrderEvent {
        platform: Platform::WooCommerce,
        topic: topic.as_str(),
        shop: shop
            .or_else(|| {
                let links = order.links?.this?;
                shop_from_source(links.first()?.href.as_deref()?)
            })
            .unwrap_or_else(|| "unknown".to_owned()),
        order_id: order.id,
        // WooCommerce shows orders as "#727" everywhere a customer sees them.
        order_name: Some(match raw_text(order.number) {
            Some(number) => ["#", &number].concat(),
            None => format!("#{}", order.id),
        }),
        transitions: Vec::new(),
        note: None,
        test: false,
        in_store: false,
        first_name,
        last_name,
        locale,
        country: shipping_country.or(billing_country),
        currency: own(order.currency),
        total: order.total.and_then(raw_decimal).map(Micros::to_decimal),
        items: order
            .line_items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| {
                Some(Item {
                    name: decoded(item.name)?,
                    quantity: item.quantity.unwrap_or(1),
                })
            })
            .collect(),
        tracking,
        refund: None,
        status_url: None,
        created_at: order
            .date_created_gmt
            .as_deref()
            .map(str::trim)
            .and_then(|t| {
                // WooCommerce's *_gmt dates carry no offset; they are UTC.
                let zone = if t.len() == 19 { "Z" } else { "" };
                (!t.is_empty()).then(|| [t, zone].concat())
            }),
        status: (!status.is_empty()).then(|| status.clone()),
        refund_count: Some(u32::try_from(refunds.len()).unwrap_or(u32::MAX)),
        refunded_total: refunded_total.map(Micros::to_decimal),
        phones,
        woo: Some(Facts {
            status,
            refunds,
            created_at,
            paid_at,
            completed_at,
        }),
    };
    resolve(&mut event, None);
    event
}

/// How long after a payment or a completion an `order.updated` without stored context may
/// still announce it. WooCommerce delivers webhooks within minutes (hours on a quiet site
/// whose WP-Cron waits for a visitor), and an edit of an older order is not news.
const OLD_NEWS_AFTER_SECONDS: i64 = 24 * 60 * 60;

/// WooCommerce sends `order.updated` on every save of an order (an address edit, a note, a
/// refund), with the whole order and never the previous status. Without a stored context,
/// an update of an order from before ordersms would thank its customer for an order placed
/// weeks ago, or tell them again that it shipped: when the order's payment (processing) or
/// completion (completed) is over a day old, that part is dropped. Refunds stay: each is
/// news when it is made.
pub(crate) fn drop_old_news(event: &mut OrderEvent, now_unix: i64) {
    let Some(facts) = &event.woo else {
        return;
    };
    if event.topic != Topic::OrderUpdated.as_str() {
        return;
    }
    // A cash-on-delivery order is processing unpaid: its creation is the news then.
    let happened = match facts.status.as_str() {
        "processing" => facts
            .paid_at
            .map(|at| (at, "paid"))
            .or(facts.created_at.map(|at| (at, "placed"))),
        "completed" => facts.completed_at.map(|at| (at, "completed")),
        _ => return,
    };
    let Some((happened, what)) =
        happened.filter(|(at, _)| now_unix.saturating_sub(*at) > OLD_NEWS_AFTER_SECONDS)
    else {
        return;
    };
    event.drop_transitions(
        |kind| {
            matches!(
                kind,
                EventKind::Placed | EventKind::Paid | EventKind::Shipped
            )
        },
        || {
            // Formatted by hand: jiff's timestamp printer costs the Worker ≈ 3 KB gzipped.
            let day = jiff::Timestamp::from_second(happened)
                .map(|t| {
                    let date = jiff::tz::TimeZone::UTC.to_datetime(t).date();
                    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
                })
                .unwrap_or_default();
            format!(
                "the order was {what} on {day}, over a day ago, and ordersms has no record of it \
                 (an edit of an order from before ordersms): nothing to announce"
            )
        },
    );
}

/// Statuses before which the customer was not confirmed the order (`on-hold` is announced
/// as such only when the shop turns `on_hold` on, and says nothing of payment).
const UNCONFIRMED: [&str; 4] = ["pending", "failed", "checkout-draft", "on-hold"];

/// Decides what a WooCommerce order webhook announces, given what was stored before.
pub(crate) fn resolve(event: &mut OrderEvent, context: Option<&OrderContext>) {
    // Taken, not cloned, and put back at the end.
    let Some(facts) = event.woo.take() else {
        return;
    };
    let context =
        context.filter(|c| c.platform == Platform::WooCommerce && c.order_id == event.order_id);
    let previous = context.and_then(|c| c.last_status.as_deref());
    let status = facts.status.as_str();
    let fact = ["status:", status].concat();
    let newest_refund = facts.refunds.iter().max_by_key(|(id, _)| *id).copied();
    let mut transitions = Vec::new();
    let mut notes = Vec::new();
    let mut refund_announced = false;

    if previous == Some(status) {
        notes.push(format!("status is still {status}"));
    } else {
        match status {
            "pending" => notes.push("order is pending payment: nothing to announce yet".to_owned()),
            "processing" => match previous {
                Some(other) if !UNCONFIRMED.contains(&other) => {
                    notes.push(format!("order went back from {other} to processing"));
                }
                _ => {
                    transitions.push(Transition::new(EventKind::Placed, fact.clone()));
                    transitions.push(Transition::new(EventKind::Paid, fact));
                }
            },
            "on-hold" => transitions.push(Transition::new(EventKind::OnHold, fact)),
            // Nothing to ship, paid by card: WooCommerce completes the order at payment
            // (`pending` → `completed`), and an async `order.created` built after that
            // arrives completed. Its customer was never confirmed the order: confirm it too.
            // An update without context is an order from before ordersms: only shipped.
            "completed" => {
                let unconfirmed = match previous {
                    None => event.topic == Topic::OrderCreated.as_str(),
                    Some(before) => UNCONFIRMED.contains(&before),
                };
                if unconfirmed {
                    transitions.push(Transition::new(EventKind::Placed, fact.clone()));
                    transitions.push(Transition::new(EventKind::Paid, fact.clone()));
                }
                transitions.push(Transition::new(EventKind::Shipped, fact));
            }
            // WooCommerce cancels an unpaid order itself when its hold-stock time runs out:
            // its customer was never told of it, so a cancellation would be news of an
            // order they do not know they made.
            "cancelled" if matches!(previous, Some("pending" | "checkout-draft")) => notes.push(
                "an unpaid order was cancelled; its customer was never sent a confirmation: nothing to announce"
                    .to_owned(),
            ),
            "cancelled" => transitions.push(Transition::new(EventKind::Cancelled, fact)),
            "failed" => transitions.push(Transition::new(EventKind::PaymentFailed, fact)),
            "refunded" => {
                let fact = newest_refund.map_or(fact, |(id, _)| format!("refund:{id}"));
                transitions.push(Transition::new(EventKind::Refunded, fact));
                refund_announced = true;
            }
            "" => notes.push("the order has no status".to_owned()),
            other => notes.push(format!("status `{other}` has no message")),
        }
    }

    let count = facts.refunds.len();
    let known = context.map_or(0, |c| c.refund_count as usize);
    // The refunds this webhook brings: those beyond the stored count (WooCommerce builds an
    // async webhook's body at delivery and queues one delivery per order, so two refunds
    // made a minute apart can arrive together), else the newest. Their sum is what the
    // customer got back; unknown when one of them has no amount.
    let fresh = if context.is_some() {
        count.saturating_sub(known).max(1)
    } else {
        1
    };
    // The `fresh` highest ids, found by counting (an order has a handful of refunds; a sort
    // here cost the Worker ≈ 2 KB of WASM).
    let newer_than = |id: u64| {
        facts
            .refunds
            .iter()
            .filter(|(other, _)| *other > id)
            .count()
    };
    let fresh_amount = facts
        .refunds
        .iter()
        .filter(|(id, _)| newer_than(*id) < fresh)
        .try_fold(Micros::default(), |sum, (_, amount)| Some(sum + (*amount)?));
    if !refund_announced
        && count > known
        && let Some((id, _)) = newest_refund
    {
        if fresh_amount == Some(Micros::default()) {
            // Items restocked with a 0.00 refund: "We've refunded €0.00" says nothing true.
            notes.push("the new refund returned no money (0.00): nothing to announce".to_owned());
        } else {
            transitions.push(Transition::new(
                EventKind::PartiallyRefunded,
                format!("refund:{id}"),
            ));
            refund_announced = true;
        }
    }
    event.refund = if refund_announced {
        newest_refund.map(|(id, _)| Refund {
            id,
            amount: fresh_amount.map(Micros::to_decimal),
            currency: event.currency.clone(),
            scope: if status == "refunded" {
                RefundScope::Full
            } else {
                RefundScope::Partial
            },
        })
    } else {
        None
    };
    event.note = (transitions.is_empty() && !notes.is_empty()).then(|| notes.join("; "));
    event.transitions = transitions;
    event.woo = Some(facts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tests::{assert_reads_alike, fixture, variants};

    #[test]
    fn bodies_read_as_with_serde_json_alone_malformed_ones_included() {
        for name in [
            "order_create_response_v3",
            "order_retrieve_v3",
            "order_update_response_v3",
        ] {
            for body in variants(&fixture(&format!("woocommerce/{name}.json"))) {
                assert_reads_alike(&body, |order: Order| {
                    from_order(Topic::OrderCreated, order, None)
                });
                assert_reads_alike(&body, |id: IdOnly| id.id);
            }
        }
    }

    #[derive(Deserialize)]
    struct IdOnly {
        id: u64,
    }

    #[test]
    fn raw_texts_read_as_serde_json_reads_them() {
        /// `raw_text` as it was written, with serde_json for every string.
        fn with_serde(raw: &RawValue) -> Option<String> {
            let text = raw.get().trim();
            if text.starts_with('"') {
                serde_json::from_str::<Cow<'_, str>>(text)
                    .ok()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
            } else if text == "null" {
                None
            } else {
                Some(text.to_owned())
            }
        }
        for json in [
            r#""727""#,
            r#"" 727 ""#,
            r#""""#,
            r#""  ""#,
            r#""fr\u005fFR""#,
            r#""\u0020fr ""#,
            r#""a\"b""#,
            r#""\ud800""#,
            "\"Zo\u{eb}\"",
            "727",
            "-1.5e3",
            "null",
            "true",
            "[1, 2]",
            r#"{"a": "b"}"#,
        ] {
            let raw: &RawValue = serde_json::from_str(json).unwrap();
            assert_eq!(
                raw_text(Some(raw)).map(Cow::into_owned),
                with_serde(raw),
                "{json}"
            );
        }
    }

    /// `shop_from_source` as it was written with `str` searches.
    fn shop_from_source_with_str_searches(source: &str) -> Option<String> {
        let rest = source.split_once("://").map_or(source, |(_, rest)| rest);
        let host = rest.split(['/', '?', '#']).next()?.trim();
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    proptest::proptest! {
        #[test]
        fn shop_hosts_are_found_as_with_str_searches(
            source in "[ :/?#a-zA-Z.é\u{a0}]{0,24}",
        ) {
            proptest::prop_assert_eq!(
                shop_from_source(&source),
                shop_from_source_with_str_searches(&source)
            );
        }
    }

    #[test]
    fn edge_shop_sources_are_read_as_with_str_searches() {
        for source in [
            "https://Shop.Example.com/",
            "https://shop.example.com:8443/wp?x=1",
            "shop.example.com",
            " https:// a.b #x",
            "://",
            "a://b://c",
            "",
            "https://",
            "http://exämple.com/ünïcode",
        ] {
            assert_eq!(
                shop_from_source(source),
                shop_from_source_with_str_searches(source),
                "{source}"
            );
        }
    }
}
