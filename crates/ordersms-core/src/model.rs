//! The small vocabulary every part of the core shares: which platform, which event, who is
//! told, on which channel, in which language. Names here are the names users see in the
//! configuration file, in template file names and in the plan JSON, so they are stable.

use serde::{Deserialize, Serialize};

/// The shop platform a webhook came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Shopify,
    #[serde(rename = "woocommerce")]
    WooCommerce,
}

impl Platform {
    /// The platform's name in the CLI (`--platform`), in dedupe keys and in the plan JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
        }
    }

    /// Accepts `shopify`, `woocommerce` (and the common short form `woo`), any case.
    pub fn parse(name: &str) -> Option<Platform> {
        match name.trim().to_ascii_lowercase().as_str() {
            "shopify" => Some(Platform::Shopify),
            "woocommerce" | "woo" => Some(Platform::WooCommerce),
            _ => None,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to an order: the fact a message is about.
///
/// `as_str()` is the event's name in configuration (`[events.shipped]`), in template file
/// names (`templates/en/shipped.hbs`) and in dedupe keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Placed,
    Paid,
    Shipped,
    PartiallyShipped,
    InTransit,
    OutForDelivery,
    Delivered,
    DeliveryFailed,
    Cancelled,
    Refunded,
    PartiallyRefunded,
    OnHold,
    PaymentFailed,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::Placed,
        EventKind::Paid,
        EventKind::Shipped,
        EventKind::PartiallyShipped,
        EventKind::InTransit,
        EventKind::OutForDelivery,
        EventKind::Delivered,
        EventKind::DeliveryFailed,
        EventKind::Cancelled,
        EventKind::Refunded,
        EventKind::PartiallyRefunded,
        EventKind::OnHold,
        EventKind::PaymentFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Placed => "placed",
            EventKind::Paid => "paid",
            EventKind::Shipped => "shipped",
            EventKind::PartiallyShipped => "partially_shipped",
            EventKind::InTransit => "in_transit",
            EventKind::OutForDelivery => "out_for_delivery",
            EventKind::Delivered => "delivered",
            EventKind::DeliveryFailed => "delivery_failed",
            EventKind::Cancelled => "cancelled",
            EventKind::Refunded => "refunded",
            EventKind::PartiallyRefunded => "partially_refunded",
            EventKind::OnHold => "on_hold",
            EventKind::PaymentFailed => "payment_failed",
        }
    }

    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Customer,
    Merchant,
}

/// How a message travels through SMSMobileAPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Sms,
    Whatsapp,
    Both,
}

/// A language ordersms ships templates for. A shop may add templates for others through
/// overrides, but the defaults exist for exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
    De,
    Nl,
    Es,
    It,
}

impl Language {
    pub const ALL: [Language; 6] = [
        Language::En,
        Language::Fr,
        Language::De,
        Language::Nl,
        Language::Es,
        Language::It,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::De => "de",
            Language::Nl => "nl",
            Language::Es => "es",
            Language::It => "it",
        }
    }

    /// The language of a locale tag such as `fr`, `fr-CA`, `de_DE` or `NL`; `None` when
    /// ordersms has no templates for it.
    pub fn from_locale(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next()?.trim();
        Language::ALL
            .into_iter()
            .find(|lang| lang.as_str().eq_ignore_ascii_case(primary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("teleported"), None);
    }

    #[test]
    fn language_from_locale_takes_the_primary_subtag() {
        assert_eq!(Language::from_locale("fr-CA"), Some(Language::Fr));
        assert_eq!(Language::from_locale("de_DE"), Some(Language::De));
        assert_eq!(Language::from_locale("NL"), Some(Language::Nl));
        assert_eq!(Language::from_locale("pt-BR"), None);
        assert_eq!(Language::from_locale(""), None);
    }
}
