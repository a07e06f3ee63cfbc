//! Dedupe keys: one per planned message, derived only from what the message is about, so the
//! same fact reaching ordersms twice (a Shopify retry, a WooCommerce order re-sent on every
//! edit, `orders/fulfilled` and `fulfillments/create` both announcing one shipment) yields
//! the same key and the Worker sends it once. Nothing time- or delivery-specific goes in.

use sha2::{Digest, Sha256};

use crate::model::{Audience, EventKind, Platform};
use crate::phone::Phone;

/// Events that announce the same fact under two names share a class: a shipment announced as
/// `shipped` by one topic and `partially_shipped` by another is one shipment; a refund is
/// one refund whether it turned out partial or full.
fn class(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Shipped | EventKind::PartiallyShipped => "shipped",
        EventKind::Refunded | EventKind::PartiallyRefunded => "refunded",
        other => other.as_str(),
    }
}

/// 32 hex characters (128 bits of SHA-256): collisions are not a practical concern and the
/// key stays short in KV.
#[allow(clippy::too_many_arguments)]
pub(crate) fn key(
    platform: Platform,
    shop: &str,
    order_id: u64,
    kind: EventKind,
    fact: &str,
    audience: Audience,
    to: &Phone,
) -> String {
    let mut id = [0; 20];
    let mut hasher = Sha256::new();
    for part in [
        platform.as_str(),
        shop,
        decimal(order_id, &mut id),
        class(kind),
        fact,
        match audience {
            Audience::Customer => "customer",
            Audience::Merchant => "merchant",
        },
        to.as_str(),
    ] {
        // Length-prefixed parts: ("ab","c") and ("a","bc") must not collide.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    // Lower-case hex by hand: `hex::encode` took ≈ 900 instructions for these 16 bytes.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(32);
    for byte in &digest[..16] {
        key.push(char::from(DIGITS[usize::from(byte >> 4)]));
        key.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    key
}

/// `n.to_string()`, written into `buf`: no allocation and no formatter per message.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn ids_are_written_as_to_string_writes_them(n in any::<u64>()) {
            let mut buf = [0; 20];
            prop_assert_eq!(decimal(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn edge_ids_are_written_as_to_string_writes_them() {
        for n in [0, 9, 10, 99, 100, 820_982_911_946_154_508, u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }

    fn phone() -> Phone {
        Phone::parse("+32470123456", None).unwrap()
    }

    #[test]
    fn the_same_shipment_under_two_names_has_one_key() {
        let a = key(
            Platform::Shopify,
            "s.myshopify.com",
            1,
            EventKind::Shipped,
            "fulfillment:9",
            Audience::Customer,
            &phone(),
        );
        let b = key(
            Platform::Shopify,
            "s.myshopify.com",
            1,
            EventKind::PartiallyShipped,
            "fulfillment:9",
            Audience::Customer,
            &phone(),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn any_difference_in_what_the_message_is_about_changes_the_key() {
        let base = key(
            Platform::Shopify,
            "s",
            1,
            EventKind::Placed,
            "order",
            Audience::Customer,
            &phone(),
        );
        let others = [
            key(
                Platform::WooCommerce,
                "s",
                1,
                EventKind::Placed,
                "order",
                Audience::Customer,
                &phone(),
            ),
            key(
                Platform::Shopify,
                "t",
                1,
                EventKind::Placed,
                "order",
                Audience::Customer,
                &phone(),
            ),
            key(
                Platform::Shopify,
                "s",
                2,
                EventKind::Placed,
                "order",
                Audience::Customer,
                &phone(),
            ),
            key(
                Platform::Shopify,
                "s",
                1,
                EventKind::Paid,
                "order",
                Audience::Customer,
                &phone(),
            ),
            key(
                Platform::Shopify,
                "s",
                1,
                EventKind::Placed,
                "order2",
                Audience::Customer,
                &phone(),
            ),
            key(
                Platform::Shopify,
                "s",
                1,
                EventKind::Placed,
                "order",
                Audience::Merchant,
                &phone(),
            ),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }
}
