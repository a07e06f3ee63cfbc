//! One model for what a webhook says, whichever platform sent it: `OrderEvent`. The Shopify and
//! WooCommerce modules fill it from their payloads; the planner reads only this.
//!
//! Ids are `u64` and serialize as JSON strings: Shopify order ids exceed 2^53, and a JSON
//! number that large is silently rounded by JavaScript readers of the plan (the npm package,
//! the Worker's KV tools). Money stays the decimal string the shop sent.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{EventKind, Platform};
use crate::phone::Phone;

/// A normalized order webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderEvent {
    pub platform: Platform,
    /// The webhook topic as the platform names it (`orders/fulfilled`, `order.updated`).
    pub topic: &'static str,
    /// The shop's domain (`example.myshopify.com`, `shop.example.com`) or "unknown".
    pub shop: String,
    #[serde(serialize_with = "id_as_string")]
    pub order_id: u64,
    /// What customers call the order: Shopify `name` ("#1001"), WooCommerce `number`.
    pub order_name: Option<String>,
    /// The facts this webhook announces, usually one (WooCommerce `processing` after nothing
    /// is both placed and paid). Empty when the webhook changes nothing worth a message.
    pub transitions: Vec<Transition>,
    /// Why `transitions` is empty, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A test order (Shopify `test: true`).
    pub test: bool,
    /// Sold at the shop's counter (Shopify POS, `source_name: "pos"`): handed over there
    /// unless a shipment with tracking says otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_store: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Locale as the shop stored it (`fr`, `fr-CA`, `de_DE`).
    pub locale: Option<String>,
    /// ISO 3166 alpha-2 country of the shipping (else billing) address.
    pub country: Option<String>,
    pub currency: Option<String>,
    /// Order total, decimal string as sent.
    pub total: Option<String>,
    pub items: Vec<Item>,
    pub tracking: Tracking,
    pub refund: Option<Refund>,
    pub status_url: Option<String>,
    pub created_at: Option<String>,
    /// Platform order status after this event (WooCommerce `status`; Shopify
    /// `financial_status`), kept in the order context.
    pub status: Option<String>,
    /// Number of refunds the order carries (WooCommerce `refunds[]`), kept in the context.
    pub refund_count: Option<u32>,
    /// Sum of every refund on the order when the payload lists them all (WooCommerce).
    pub refunded_total: Option<String>,
    /// Phone numbers found in the payload, best first, with where they came from. Never
    /// serialized: the plan shows the chosen recipient, not every number the shop holds.
    #[serde(skip)]
    pub phones: Vec<PhoneCandidate>,
    /// WooCommerce facts judged against the stored context by the planner.
    #[serde(skip)]
    pub(crate) woo: Option<crate::woocommerce::Facts>,
}

impl OrderEvent {
    /// A fulfillment's destination names whoever receives the parcel (a gift, an office), not
    /// necessarily the buyer: where the stored order knows the buyer, its name and phone win.
    pub(crate) fn names_the_recipient(&self) -> bool {
        self.topic.starts_with("fulfillments/")
    }

    /// A counter sale's hand-over is no shipment: its shipped / partially shipped facts are
    /// dropped, with the reason, unless the fulfillment carries tracking (a POS order sent
    /// to the customer). `in_store` is the event's or the stored order's.
    pub(crate) fn drop_in_store_handover(&mut self, in_store: bool) {
        let tracked = self.tracking.number.is_some() || self.tracking.url.is_some();
        if in_store && !tracked {
            self.drop_transitions(
                |kind| matches!(kind, EventKind::Shipped | EventKind::PartiallyShipped),
                || {
                    "a point of sale order handed over in the shop, without tracking: nothing shipped to announce"
                        .to_owned()
                },
            );
        }
    }

    /// Drops the transitions whose kind `dropped` names; when that leaves none, `why` is the
    /// note the plan gives as the skip reason.
    pub(crate) fn drop_transitions(
        &mut self,
        dropped: impl Fn(EventKind) -> bool,
        why: impl FnOnce() -> String,
    ) {
        let before = self.transitions.len();
        self.transitions.retain(|t| !dropped(t.kind));
        if self.transitions.len() < before && self.transitions.is_empty() {
            self.note = Some(why());
        }
    }
}

/// One fact an event announces, with the id that makes it unique for its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub kind: EventKind,
    /// What the fact is about, so the same fact arriving twice (a retry, a second topic, a
    /// re-sent WooCommerce order) gets the same dedupe key: `order`, `fulfillment:ID`,
    /// `fulfillment:ID:delivered`, `refund:ID`, `status:completed`.
    pub fact: String,
}

impl Transition {
    pub fn new(kind: EventKind, fact: impl Into<String>) -> Transition {
        Transition {
            kind,
            fact: fact.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub name: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tracking {
    pub company: Option<String>,
    pub number: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refund {
    #[serde(serialize_with = "id_as_string")]
    pub id: u64,
    /// Amount refunded by this refund, decimal string.
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub scope: RefundScope,
    /// The order's refunds so far, this one included, decimal string: set only when earlier
    /// refunds add to `amount`, so that a text can say "€30.00 in all" without repeating it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
}

/// Whether a refund returns the whole order. Shopify's `refunds/create` does not say; it is
/// judged against the order total kept in the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundScope {
    Full,
    Partial,
    /// No order total to compare with (no stored context): announced as a plain refund.
    Unknown,
}

/// A raw phone number from the payload, the field it came from and the country of the
/// address next to it (used to read national numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneCandidate {
    pub source: &'static str,
    pub raw: String,
    pub country: Option<String>,
}

impl PhoneCandidate {
    pub fn parse(&self, default_country: Option<&str>) -> Result<Phone, crate::phone::PhoneError> {
        Phone::parse(&self.raw, self.country.as_deref().or(default_country))
    }
}

pub(crate) fn id_as_string<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

/// Reads an id written as a JSON number or a string of digits (how `id_as_string` writes it).
///
/// What serde's `#[serde(untagged)] enum { Number(u64), Text(&str) }` accepted, read by hand:
/// the untagged derive buffers the value into serde's `Content` first, and this was one of
/// the last two users of that machinery in the Worker's build. So: a `u64` or a string of
/// digits, and the same error for everything else, after reading the whole value as the
/// buffering did (a malformed one is refused with its own error). Unlike the derive, a string
/// the deserializer hands over as a copy is read too: an escaped one, and every string of a
/// `serde_json::Value` (a context kept in a JSON column and read back from it).
pub(crate) fn id_from_number_or_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    const NO_MATCH: &str = "data did not match any variant of untagged enum Id";

    /// Reads any value to its end, refusing what the buffering refused.
    struct Skip;
    impl<'de> Deserialize<'de> for Skip {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
            d.deserialize_any(IdVisitor).map(|_| Skip)
        }
    }

    /// `Some` for a number or a string (`Err` when not an id), `None` for any other value.
    struct IdVisitor;
    impl<'de> Visitor<'de> for IdVisitor {
        /// `Some(Err(()))`: a string that is not an id.
        type Value = Option<Result<u64, ()>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Ok(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(u64::try_from(v).ok().map(Ok))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.parse().map_err(|_| ())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            Skip::deserialize(d).map(|_| None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
            while s.next_element::<Skip>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
            while m.next_entry::<Skip, Skip>()?.is_some() {}
            Ok(None)
        }
    }

    match deserializer.deserialize_any(IdVisitor)? {
        Some(Ok(id)) => Ok(id),
        Some(Err(())) => Err(serde::de::Error::custom("an order id must be digits")),
        None => Err(serde::de::Error::custom(NO_MATCH)),
    }
}

/// Money as a fixed-point count of millionths, enough for every currency's minor unit and
/// free of float rounding when totals are compared ("404.95" vs refunds of "400" + "4.95").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Micros(pub i128);

impl Micros {
    pub fn parse(text: &str) -> Option<Micros> {
        let text = text.trim();
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && fraction.is_empty()
            || whole.len() > 20
            || fraction.len() > 6
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut value: i128 = 0;
        for b in whole.bytes() {
            value = value * 10 + i128::from(b - b'0');
        }
        for i in 0..6 {
            let digit = fraction.as_bytes().get(i).map_or(0, |b| b - b'0');
            value = value * 10 + i128::from(digit);
        }
        Some(Micros(if negative { -value } else { value }))
    }

    pub fn abs(self) -> Micros {
        Micros(self.0.abs())
    }

    /// Decimal string with at least two decimals ("75.00", "0.125"). Digits are pushed by
    /// hand: two `format!` calls were ≈ 1.2k instructions per amount (callgrind).
    pub fn to_decimal(self) -> String {
        let mut value = self.0.unsigned_abs();
        // At most 39 digits of u128, the point and the sign.
        let mut digits = [0_u8; 41];
        let mut start = digits.len();
        for place in 0.. {
            if place == 6 {
                start -= 1;
                digits[start] = b'.';
            }
            start -= 1;
            digits[start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 && place >= 6 {
                break;
            }
        }
        if self.0 < 0 {
            start -= 1;
            digits[start] = b'-';
        }
        // Trailing zeros go, down to two decimals.
        let mut end = digits.len();
        while end > digits.len() - 4 && digits[end - 1] == b'0' {
            end -= 1;
        }
        digits[start..end].iter().map(|&b| char::from(b)).collect()
    }
}

impl std::ops::Add for Micros {
    type Output = Micros;
    fn add(self, other: Micros) -> Micros {
        Micros(self.0.saturating_add(other.0))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The order id's reader before it was written by hand: serde's untagged derive.
    fn id_untagged<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Id<'a> {
            Number(u64),
            Text(&'a str),
        }
        match Id::deserialize(deserializer)? {
            Id::Number(id) => Ok(id),
            Id::Text(text) => text
                .parse()
                .map_err(|_| serde::de::Error::custom("an order id must be digits")),
        }
    }

    #[derive(Debug, Deserialize)]
    struct Ours {
        #[serde(deserialize_with = "id_from_number_or_string")]
        id: u64,
    }

    #[derive(Debug, Deserialize)]
    struct Theirs {
        #[serde(deserialize_with = "id_untagged")]
        id: u64,
    }

    #[test]
    fn order_ids_read_as_the_untagged_derive_read_them() {
        let values = [
            "0",
            "5",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "-0",
            "1.5",
            "1e3",
            "1e400",
            "-1e400",
            r#""12""#,
            r#""x""#,
            r#""""#,
            r#""-1""#,
            r#"" 7""#,
            r#""18446744073709551616""#,
            r#""\ud800""#,
            "true",
            "null",
            "[]",
            "[1]",
            "[1e400]",
            r#"["\ud800"]"#,
            "{}",
            r#"{"a":1}"#,
            r#"{"a":[1e400]}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":{"b":[true,null,"c"]}}"#,
            "[1,2",
            r#"{"a""#,
            "[1,]",
            r#"{"a":1,}"#,
            "nul",
            "01",
            "+1",
            "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
        ];
        let mut bodies = Vec::new();
        for v in values {
            bodies.push(format!(r#"{{"id":{v}}}"#));
            bodies.push(format!(r#"{{"id":{v},"x":1}}"#));
            bodies.push(format!("[{v}]"));
            bodies.push(format!("[ {v} ,2]"));
        }
        let message = |e: serde_json::Error| e.to_string();
        for body in &bodies {
            let ours = serde_json::from_str::<Ours>(body).map(|o| o.id);
            let theirs = serde_json::from_str::<Theirs>(body).map(|t| t.id);
            assert_eq!(ours.map_err(message), theirs.map_err(message), "{body}");
            let ours = serde_json::from_slice::<Ours>(body.as_bytes()).map(|o| o.id);
            let theirs = serde_json::from_slice::<Theirs>(body.as_bytes()).map(|t| t.id);
            assert_eq!(ours.map_err(message), theirs.map_err(message), "{body}");
            // Invalid UTF-8 where the lone surrogate was.
            let bytes: Vec<u8> = body
                .replace("\\ud800", "\u{1}")
                .bytes()
                .map(|b| if b == 1 { 0xff } else { b })
                .collect();
            let ours = serde_json::from_slice::<Ours>(&bytes).map(|o| o.id);
            let theirs = serde_json::from_slice::<Theirs>(&bytes).map(|t| t.id);
            assert_eq!(ours.map_err(message), theirs.map_err(message), "{body}");
        }
    }

    /// The one difference from the derive: a string of digits the deserializer hands over as
    /// a copy (escaped in the text, or any string of a `serde_json::Value`) is read too.
    #[test]
    fn an_escaped_or_copied_string_id_is_read() {
        for body in [r#"{"id":"1\u0032"}"#, r#"["1\u0032"]"#] {
            assert_eq!(serde_json::from_str::<Ours>(body).unwrap().id, 12, "{body}");
            assert!(serde_json::from_str::<Theirs>(body).is_err(), "{body}");
        }
        let value = serde_json::json!({"id": "820982911946154508"});
        let ours: Ours = serde_json::from_value(value).unwrap();
        assert_eq!(ours.id, 820_982_911_946_154_508);
        let text = serde_json::json!({"id": "x"});
        let err = serde_json::from_value::<Ours>(text).unwrap_err();
        assert_eq!(err.to_string(), "an order id must be digits");
    }

    /// `to_decimal` as it was written with `format!`.
    fn to_decimal_with_format(micros: Micros) -> String {
        let negative = micros.0 < 0;
        let value = micros.0.unsigned_abs();
        let whole = value / 1_000_000;
        let mut fraction = format!("{:06}", value % 1_000_000);
        while fraction.len() > 2 && fraction.ends_with('0') {
            fraction.pop();
        }
        format!("{}{whole}.{fraction}", if negative { "-" } else { "" })
    }

    proptest! {
        #[test]
        fn decimals_are_written_as_format_wrote_them(
            value in prop_oneof![any::<i128>(), -10_000_000_000_i128..10_000_000_000],
        ) {
            let micros = Micros(value);
            prop_assert_eq!(micros.to_decimal(), to_decimal_with_format(micros));
        }
    }

    #[test]
    fn edge_decimals_are_written_as_format_wrote_them() {
        for value in [
            0, 1, -1, 10, 100_000, 999_999, 1_000_000, -1_000_000, 1_230_000,
        ] {
            assert_eq!(
                Micros(value).to_decimal(),
                to_decimal_with_format(Micros(value))
            );
        }
        for value in [i128::MIN, i128::MAX] {
            assert_eq!(
                Micros(value).to_decimal(),
                to_decimal_with_format(Micros(value))
            );
        }
    }

    #[test]
    fn money_parses_decimal_strings_exactly() {
        assert_eq!(Micros::parse("404.95"), Some(Micros(404_950_000)));
        assert_eq!(
            Micros::parse("-10.00").map(Micros::abs),
            Micros::parse("10")
        );
        assert_eq!(Micros::parse("75.00").unwrap().to_decimal(), "75.00");
        assert_eq!(
            (Micros::parse("400").unwrap() + Micros::parse("4.95").unwrap()).to_decimal(),
            "404.95"
        );
        for bad in ["", ".", "1e5", "12,50", "abc", "1.1234567", "--1"] {
            assert_eq!(Micros::parse(bad), None, "{bad}");
        }
    }
}
