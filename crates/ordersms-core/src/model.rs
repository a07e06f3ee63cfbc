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

    /// What a message about this event tells, in a few words of `language`: the merchant's
    /// alert names the text that did not go out this way ("(order shipped)"), not by the
    /// English id. GSM-7 only, like the default texts, so an alert stays one cheap SMS.
    pub fn label(self, language: Language) -> &'static str {
        use EventKind as E;
        use Language as L;
        match (language, self) {
            (L::En, E::Placed) => "order received",
            (L::En, E::Paid) => "payment confirmed",
            (L::En, E::Shipped) => "order shipped",
            (L::En, E::PartiallyShipped) => "order partly shipped",
            (L::En, E::InTransit) => "order in transit",
            (L::En, E::OutForDelivery) => "out for delivery",
            (L::En, E::Delivered) => "order delivered",
            (L::En, E::DeliveryFailed) => "delivery failed",
            (L::En, E::Cancelled) => "order cancelled",
            (L::En, E::Refunded) => "refund",
            (L::En, E::PartiallyRefunded) => "partial refund",
            (L::En, E::OnHold) => "payment pending",
            (L::En, E::PaymentFailed) => "payment failed",
            (L::Fr, E::Placed) => "commande enregistrée",
            (L::Fr, E::Paid) => "paiement confirmé",
            (L::Fr, E::Shipped) => "commande expédiée",
            (L::Fr, E::PartiallyShipped) => "expédition partielle",
            (L::Fr, E::InTransit) => "commande en route",
            (L::Fr, E::OutForDelivery) => "en cours de livraison",
            (L::Fr, E::Delivered) => "commande livrée",
            (L::Fr, E::DeliveryFailed) => "échec de livraison",
            (L::Fr, E::Cancelled) => "commande annulée",
            (L::Fr, E::Refunded) => "remboursement",
            (L::Fr, E::PartiallyRefunded) => "remboursement partiel",
            (L::Fr, E::OnHold) => "paiement en attente",
            (L::Fr, E::PaymentFailed) => "échec du paiement",
            (L::De, E::Placed) => "Bestellung eingegangen",
            (L::De, E::Paid) => "Zahlung bestätigt",
            (L::De, E::Shipped) => "Bestellung versandt",
            (L::De, E::PartiallyShipped) => "Teilversand",
            (L::De, E::InTransit) => "Sendung unterwegs",
            (L::De, E::OutForDelivery) => "in Zustellung",
            (L::De, E::Delivered) => "Bestellung zugestellt",
            (L::De, E::DeliveryFailed) => "Zustellung fehlgeschlagen",
            (L::De, E::Cancelled) => "Bestellung storniert",
            (L::De, E::Refunded) => "Erstattung",
            (L::De, E::PartiallyRefunded) => "Teilerstattung",
            (L::De, E::OnHold) => "Zahlung ausstehend",
            (L::De, E::PaymentFailed) => "Zahlung fehlgeschlagen",
            (L::Nl, E::Placed) => "bestelling ontvangen",
            (L::Nl, E::Paid) => "betaling bevestigd",
            (L::Nl, E::Shipped) => "bestelling verzonden",
            (L::Nl, E::PartiallyShipped) => "bestelling deels verzonden",
            (L::Nl, E::InTransit) => "bestelling onderweg",
            (L::Nl, E::OutForDelivery) => "wordt vandaag bezorgd",
            (L::Nl, E::Delivered) => "bestelling bezorgd",
            (L::Nl, E::DeliveryFailed) => "bezorging mislukt",
            (L::Nl, E::Cancelled) => "bestelling geannuleerd",
            (L::Nl, E::Refunded) => "terugbetaling",
            (L::Nl, E::PartiallyRefunded) => "gedeeltelijke terugbetaling",
            (L::Nl, E::OnHold) => "betaling in behandeling",
            (L::Nl, E::PaymentFailed) => "betaling mislukt",
            (L::Es, E::Placed) => "pedido recibido",
            (L::Es, E::Paid) => "pago confirmado",
            (L::Es, E::Shipped) => "pedido enviado",
            (L::Es, E::PartiallyShipped) => "pedido enviado en parte",
            (L::Es, E::InTransit) => "pedido en camino",
            (L::Es, E::OutForDelivery) => "pedido en reparto",
            (L::Es, E::Delivered) => "pedido entregado",
            (L::Es, E::DeliveryFailed) => "entrega fallida",
            (L::Es, E::Cancelled) => "pedido cancelado",
            (L::Es, E::Refunded) => "reembolso",
            (L::Es, E::PartiallyRefunded) => "reembolso parcial",
            (L::Es, E::OnHold) => "pago pendiente",
            (L::Es, E::PaymentFailed) => "pago fallido",
            (L::It, E::Placed) => "ordine ricevuto",
            (L::It, E::Paid) => "pagamento confermato",
            (L::It, E::Shipped) => "ordine spedito",
            (L::It, E::PartiallyShipped) => "spedizione parziale",
            (L::It, E::InTransit) => "ordine in viaggio",
            (L::It, E::OutForDelivery) => "ordine in consegna",
            (L::It, E::Delivered) => "ordine consegnato",
            (L::It, E::DeliveryFailed) => "consegna non riuscita",
            (L::It, E::Cancelled) => "ordine annullato",
            (L::It, E::Refunded) => "rimborso",
            (L::It, E::PartiallyRefunded) => "rimborso parziale",
            (L::It, E::OnHold) => "pagamento in sospeso",
            (L::It, E::PaymentFailed) => "pagamento non riuscito",
        }
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

    /// The merchant's alert names the failed text by these: each is GSM-7 (an alert must not
    /// turn UCS-2 for a word), and no two events of a language share one.
    #[test]
    fn every_event_has_a_distinct_gsm7_label_in_every_language() {
        for language in Language::ALL {
            let labels: Vec<&str> = EventKind::ALL
                .into_iter()
                .map(|kind| kind.label(language))
                .collect();
            for (kind, label) in EventKind::ALL.into_iter().zip(&labels) {
                assert!(!label.trim().is_empty(), "{language:?} {kind:?}");
                assert!(
                    crate::segments::is_gsm7(label),
                    "{language:?} {kind:?}: {label}"
                );
                if language != Language::En {
                    assert_ne!(*label, kind.label(Language::En), "{language:?} {kind:?}");
                }
            }
            let mut unique = labels.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{language:?}: {labels:?}");
        }
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
