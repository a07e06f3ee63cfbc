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
    let mut id = itoa::Buffer::new();
    let mut hasher = Sha256::new();
    for part in [
        platform.as_str(),
        shop,
        id.format(order_id),
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
    hex32(&hasher.finalize())
}

/// The first 16 bytes in lower-case hex, by hand: `hex::encode` took ≈ 900 instructions.
fn hex32(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut key = String::with_capacity(32);
    for byte in &digest[..16] {
        key.push(char::from(DIGITS[usize::from(byte >> 4)]));
        key.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    key
}

/// The key of a message's WhatsApp copy when the shop sends both (one `/sendsms/` call
/// cannot: the numbers are written differently). Derived from the SMS key, which stays the
/// key of the fact, so turning "both" on never sends the SMS again.
pub(crate) fn whatsapp_copy(key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(key.as_bytes())
        .chain_update(b"/whatsapp")
        .finalize();
    hex32(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Keys are stored in the Ledger: a redelivery after an upgrade must find the key the
    /// old version stored, so the derivation may never change.
    #[test]
    fn keys_are_the_same_from_one_version_to_the_next() {
        let key = key(
            Platform::WooCommerce,
            "shop.example.com",
            820_982_911_946_154_508,
            EventKind::Shipped,
            "fulfillment:4711",
            Audience::Customer,
            &phone(),
        );
        assert_eq!(key, "fa21c7cf6243297829db15a1c19ec01f");
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
