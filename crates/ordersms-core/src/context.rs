//! What ordersms remembers about an order between webhooks, stored by the caller (the Worker
//! in KV, the CLI in a file) as JSON and handed back to `plan`.
//!
//! Why it exists: later webhooks are thin. Shopify's `refunds/create` carries no customer,
//! phone or order total; `fulfillments/*` carry no locale; WooCommerce payloads carry no
//! previous status, so "completed" cannot be told apart from "still completed" without it.
//! The plan says what to store next (`Plan::store`); the core never reads or writes storage.

use serde::{Deserialize, Serialize};

use crate::event::{Micros, OrderEvent, id_as_string};
use crate::model::{EventKind, Platform};
use crate::phone::Phone;
use crate::record::record;

/// The stored facts about one order. Every field but the ids is optional so contexts written
/// by older versions still load.
///
/// Read by serde's derive, except in the Worker's build (`one-json-reader` on wasm32), where
/// [`Stored`] reads it through the bodies' reader (`crate::record`): the same values and
/// errors, without a visitor of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    not(all(feature = "one-json-reader", target_arch = "wasm32")),
    derive(Deserialize)
)]
pub struct OrderContext {
    pub platform: Platform,
    #[serde(
        serialize_with = "id_as_string",
        deserialize_with = "crate::event::id_from_number_or_string"
    )]
    pub order_id: u64,
    #[serde(default)]
    pub order_name: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// The customer's numbers in E.164, best first.
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    /// The platform status last seen (WooCommerce `status`, Shopify `financial_status`).
    #[serde(default)]
    pub last_status: Option<String>,
    /// How many refunds the order had last time (WooCommerce `refunds[]`, Shopify
    /// `refunds/create` webhooks seen).
    #[serde(default)]
    pub refund_count: u32,
    /// Sum of refunds seen so far, decimal string.
    #[serde(default)]
    pub refunded_total: Option<String>,
    /// Ids of the refunds already counted (Shopify), so a retried `refunds/create` is not
    /// added twice to `refunded_total`.
    #[serde(default)]
    pub seen_refunds: Vec<String>,
    #[serde(default)]
    pub test: bool,
    /// Sold at the shop's counter (Shopify POS): its fulfillments, which do not say so, are
    /// hand-overs unless tracked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_store: bool,
    /// The tracking numbers the order's WooCommerce webhooks carried, oldest first: a number
    /// added to an order already completed is announced once. `None` in a context stored
    /// before they were kept: its numbers may have been announced already, so none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_numbers: Option<Vec<String>>,
    /// Shopify fulfillments announced as shipped without a tracking number (their ids): the
    /// update that brings one announces it, once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untracked_shipments: Vec<String>,
    /// Shopify fulfillments announced with a tracking number, as `<id>:<number>` (the last
    /// number told): an update bringing another number (the merchant corrected it) announces
    /// that one, once. Empty in a context stored before they were kept: no change is told.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipment_numbers: Vec<String>,
}

/// How many tracking numbers a context keeps.
const MAX_TRACKING_NUMBERS: usize = 5;

/// How many untracked Shopify shipments, and tracked ones with their number, a context keeps.
const MAX_UNTRACKED_SHIPMENTS: usize = 10;

/// The fact of a Shopify shipment, before its fulfillment id.
pub(crate) const SHIPMENT: &str = "fulfillment:";

/// Between a shipment's id and the number added to it, in the fact that announces the number.
pub(crate) const TRACKING_ADDED: &str = ":tracking:";

/// An [`OrderContext`] being read by `crate::record`: the two required fields stay `None`
/// until read (the reader refuses a context without them, as the derive does).
#[derive(Default)]
#[cfg_attr(
    not(all(feature = "one-json-reader", target_arch = "wasm32")),
    allow(dead_code)
)]
pub(crate) struct Stored {
    platform: Option<Platform>,
    order_id: Option<u64>,
    order_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phones: Vec<Phone>,
    locale: Option<String>,
    country: Option<String>,
    currency: Option<String>,
    total: Option<String>,
    last_status: Option<String>,
    refund_count: u32,
    refunded_total: Option<String>,
    seen_refunds: Vec<String>,
    test: bool,
    in_store: bool,
    tracking_numbers: Option<Vec<String>>,
    untracked_shipments: Vec<String>,
    shipment_numbers: Vec<String>,
}

record!(Stored as "OrderContext", [
    platform: Platform Req,
    order_id: OrderId Req,
    order_name: OptString Default,
    first_name: OptString Default,
    last_name: OptString Default,
    phones: Phones Default,
    locale: OptString Default,
    country: OptString Default,
    currency: OptString Default,
    total: OptString Default,
    last_status: OptString Default,
    refund_count: U32 Default,
    refunded_total: OptString Default,
    seen_refunds: Strings Default,
    test: Bool Default,
    in_store: Bool Default,
    tracking_numbers: OptStrings Default,
    untracked_shipments: Strings Default,
    shipment_numbers: Strings Default,
]);

impl Stored {
    /// The context read; serde's "missing field" error for a required field not read.
    #[cfg_attr(
        not(all(feature = "one-json-reader", target_arch = "wasm32")),
        allow(dead_code)
    )]
    pub(crate) fn into_context<E: serde::de::Error>(self) -> Result<OrderContext, E> {
        Ok(OrderContext {
            platform: self.platform.ok_or_else(|| E::missing_field("platform"))?,
            order_id: self.order_id.ok_or_else(|| E::missing_field("order_id"))?,
            order_name: self.order_name,
            first_name: self.first_name,
            last_name: self.last_name,
            phones: self.phones,
            locale: self.locale,
            country: self.country,
            currency: self.currency,
            total: self.total,
            last_status: self.last_status,
            refund_count: self.refund_count,
            refunded_total: self.refunded_total,
            seen_refunds: self.seen_refunds,
            test: self.test,
            in_store: self.in_store,
            tracking_numbers: self.tracking_numbers,
            untracked_shipments: self.untracked_shipments,
            shipment_numbers: self.shipment_numbers,
        })
    }
}

#[cfg(all(feature = "one-json-reader", target_arch = "wasm32"))]
impl<'de> Deserialize<'de> for OrderContext {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::record::read::<Stored, D>(d)?.into_context()
    }
}

impl OrderContext {
    /// A fresh context for an order first seen in `event`.
    pub fn new(platform: Platform, order_id: u64) -> OrderContext {
        OrderContext {
            platform,
            order_id,
            order_name: None,
            first_name: None,
            last_name: None,
            phones: Vec::new(),
            locale: None,
            country: None,
            currency: None,
            total: None,
            last_status: None,
            refund_count: 0,
            refunded_total: None,
            seen_refunds: Vec::new(),
            test: false,
            in_store: false,
            tracking_numbers: None,
            untracked_shipments: Vec::new(),
            shipment_numbers: Vec::new(),
        }
    }

    /// The tracking number last told for Shopify fulfillment `id`, when the context kept it.
    pub(crate) fn number_told(&self, id: &str) -> Option<&str> {
        self.shipment_numbers.iter().find_map(|entry| {
            entry
                .strip_prefix(id)
                .and_then(|rest| rest.strip_prefix(':'))
        })
    }

    /// Keeps `number` as the one told for fulfillment `id`, in place of an earlier one.
    fn told_number(&mut self, id: &str, number: &str) {
        let entry = [id, ":", number].concat();
        self.shipment_numbers.retain(|kept| {
            kept.split_once(':')
                .is_none_or(|(kept_id, _)| kept_id != id)
        });
        self.shipment_numbers.push(entry);
        if self.shipment_numbers.len() > MAX_UNTRACKED_SHIPMENTS {
            self.shipment_numbers.remove(0);
        }
    }

    /// The context after `event`: what the event knows replaces what was stored, what it does
    /// not know is kept. `phones` are the event's valid numbers, already normalized.
    pub(crate) fn updated_with(
        previous: Option<&OrderContext>,
        event: &OrderEvent,
        phones: &[Phone],
    ) -> OrderContext {
        let mut next = previous
            .filter(|ctx| ctx.platform == event.platform && ctx.order_id == event.order_id)
            .cloned()
            .unwrap_or_else(|| OrderContext::new(event.platform, event.order_id));
        fn set(slot: &mut Option<String>, value: &Option<String>) {
            if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                *slot = Some(value.clone());
            }
        }
        set(&mut next.order_name, &event.order_name);
        // A fulfillment names whoever receives the parcel (a gift, an office): it only fills
        // in a buyer the context does not know yet, so later texts still greet the buyer.
        let recipient_only =
            event.names_the_recipient() && (next.first_name.is_some() || next.last_name.is_some());
        if !recipient_only {
            set(&mut next.first_name, &event.first_name);
            set(&mut next.last_name, &event.last_name);
        }
        set(&mut next.locale, &event.locale);
        set(&mut next.country, &event.country);
        set(&mut next.currency, &event.currency);
        set(&mut next.total, &event.total);
        set(&mut next.last_status, &event.status);
        if !phones.is_empty() {
            let mut merged: Vec<Phone> = phones.to_vec();
            for old in &next.phones {
                if !merged.contains(old) {
                    merged.push(old.clone());
                }
            }
            merged.truncate(4);
            next.phones = merged;
        }
        next.test |= event.test;
        next.in_store |= event.in_store;
        if event.platform == Platform::Shopify {
            for transition in &event.transitions {
                let Some(shipment) = transition.fact.strip_prefix(SHIPMENT) else {
                    continue;
                };
                // `<id>`, or `<id>:tracking:<number>` when the fact announces a number added
                // or corrected later.
                let (id, number_added) = shipment
                    .split_once(TRACKING_ADDED)
                    .map_or((shipment, false), |(id, _)| (id, true));
                // A delivery event's fact (`<id>:in_transit`) announces no shipment.
                if id.contains(':') {
                    continue;
                }
                let shipped = matches!(
                    transition.kind,
                    EventKind::Shipped | EventKind::PartiallyShipped
                );
                match event.tracking.number.as_deref() {
                    Some(number) if shipped && !number.is_empty() => next.told_number(id, number),
                    None if shipped
                        && !number_added
                        && !next.untracked_shipments.iter().any(|seen| seen == id) =>
                    {
                        next.untracked_shipments.push(id.to_owned());
                        if next.untracked_shipments.len() > MAX_UNTRACKED_SHIPMENTS {
                            next.untracked_shipments.remove(0);
                        }
                    }
                    _ => {}
                }
                if number_added {
                    // Its number was announced: nothing more to add.
                    next.untracked_shipments.retain(|seen| seen != id);
                }
            }
        }
        if event.platform == Platform::WooCommerce {
            let seen = next.tracking_numbers.get_or_insert_with(Vec::new);
            if let Some(number) = event.tracking.number.as_ref().filter(|n| !n.is_empty())
                && !seen.contains(number)
            {
                seen.push(number.clone());
                // Keep the stored context small: an order has a parcel or a few.
                if seen.len() > MAX_TRACKING_NUMBERS {
                    seen.remove(0);
                }
            }
        }
        if let Some(count) = event.refund_count {
            // WooCommerce lists every refund: the payload is the truth.
            next.refund_count = count;
            if let Some(total) = &event.refunded_total {
                next.refunded_total = Some(total.clone());
            }
        } else if let Some(refund) = &event.refund {
            let id = refund.id.to_string();
            if !next.seen_refunds.contains(&id) {
                next.refund_count = next.refund_count.saturating_add(1);
                if let Some(amount) = refund.amount.as_deref().and_then(Micros::parse) {
                    let so_far = next
                        .refunded_total
                        .as_deref()
                        .and_then(Micros::parse)
                        .unwrap_or_default();
                    next.refunded_total = Some((so_far + amount.abs()).to_decimal());
                }
                next.seen_refunds.push(id);
                // Keep the stored context small: the newest ids are the ones retried.
                if next.seen_refunds.len() > 20 {
                    next.seen_refunds.remove(0);
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_round_trip_as_json_with_string_ids() {
        let mut ctx = OrderContext::new(Platform::Shopify, 820_982_911_946_154_508);
        ctx.phones = vec![Phone::parse("+32470123456", None).unwrap()];
        let json = serde_json::to_string(&ctx).unwrap();
        assert!(
            json.contains(r#""order_id":"820982911946154508""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<OrderContext>(&json).unwrap(), ctx);
        // Kept as a JSON value (a database's JSON column) and read back from it: serde_json
        // hands a value's strings over as copies, which the id's reader once refused.
        let value = serde_json::to_value(&ctx).unwrap();
        assert_eq!(serde_json::from_value::<OrderContext>(value).unwrap(), ctx);
    }

    #[test]
    fn old_contexts_with_numeric_ids_and_few_fields_still_load() {
        let ctx: OrderContext =
            serde_json::from_str(r#"{"platform":"woocommerce","order_id":727}"#).unwrap();
        assert_eq!(ctx.order_id, 727);
        assert_eq!(ctx.refund_count, 0);
    }
}
