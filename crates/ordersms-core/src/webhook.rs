//! The entry point for a raw webhook: headers and body as received, checked and parsed once
//! into a `Webhook` (parse, don't validate). The Worker calls `Webhook::parse` first (it needs
//! the order id to load the stored context), then `plan::plan_event`; `plan::plan` does both.

use crate::error::{WebhookError, mask_numbers};
use crate::event::OrderEvent;
use crate::model::Platform;
use crate::signature::{self, header};
use crate::{shopify, woocommerce};

/// A webhook as received. Headers are `(name, value)` pairs, matched case-insensitively, so
/// any HTTP library's headers can be passed without copying bodies.
#[derive(Debug, Clone, Copy)]
pub struct WebhookInput<'a> {
    pub platform: Platform,
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body: signatures are computed over these exact bytes.
    pub body: &'a [u8],
    /// The topic when it is not in the headers (`X-Shopify-Topic`, `X-WC-Webhook-Topic`).
    pub topic: Option<&'a str>,
    /// The shop's domain when it is not in the headers (`X-Shopify-Shop-Domain`,
    /// `X-WC-Webhook-Source`).
    pub shop: Option<&'a str>,
    /// The webhook secret. `None` skips the signature check: only for replaying a payload by
    /// hand (the CLI without `--secret`); a server must always pass it.
    pub secret: Option<&'a [u8]>,
}

impl<'a> WebhookInput<'a> {
    pub fn new(
        platform: Platform,
        headers: &'a [(&'a str, &'a str)],
        body: &'a [u8],
    ) -> WebhookInput<'a> {
        WebhookInput {
            platform,
            headers,
            body,
            topic: None,
            shop: None,
            secret: None,
        }
    }

    pub fn with_secret(mut self, secret: &'a [u8]) -> Self {
        self.secret = Some(secret);
        self
    }

    pub fn with_topic(mut self, topic: &'a str) -> Self {
        self.topic = Some(topic);
        self
    }

    pub fn with_shop(mut self, shop: &'a str) -> Self {
        self.shop = Some(shop);
        self
    }
}

/// What a checked webhook is.
#[derive(Debug, Clone, PartialEq)]
pub enum Webhook {
    /// WooCommerce's test delivery when a webhook is created (form body `webhook_id=N`, no
    /// signature). Answer 200 so WooCommerce activates the webhook; nothing to send.
    Ping { webhook_id: u64 },
    /// A known topic that never produces a message (WooCommerce `order.deleted`,
    /// `order.restored`).
    Ignored {
        platform: Platform,
        topic: &'static str,
        order_id: Option<u64>,
        reason: &'static str,
    },
    /// An order event to plan messages for.
    Event(Box<OrderEvent>),
}

fn topic_header(platform: Platform) -> &'static str {
    match platform {
        Platform::Shopify => "X-Shopify-Topic",
        Platform::WooCommerce => "X-WC-Webhook-Topic",
    }
}

/// `webhook_id=N` and nothing else: WooCommerce's creation ping.
fn woo_ping(body: &[u8]) -> Option<u64> {
    // Every order body starts with `{`: say no before UTF-8-checking the whole body (a
    // non-ASCII first byte may be Unicode white space, which `trim` below skips).
    match body.trim_ascii_start().first() {
        Some(first) if first.is_ascii() && *first != b'w' => return None,
        _ => {}
    }
    let text = std::str::from_utf8(body).ok()?.trim();
    let id = text.strip_prefix("webhook_id=")?;
    (!id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse().ok())
        .flatten()
}

impl Webhook {
    /// The order the webhook is about: the key under which the caller keeps its context.
    pub fn order_id(&self) -> Option<u64> {
        match self {
            Webhook::Ping { .. } => None,
            Webhook::Ignored { order_id, .. } => *order_id,
            Webhook::Event(event) => Some(event.order_id),
        }
    }

    /// Verifies the signature (when a secret is given), reads the topic and normalizes the
    /// body. Never panics, whatever the bytes.
    pub fn parse(input: &WebhookInput<'_>) -> Result<Webhook, WebhookError> {
        let platform = input.platform;
        let signed = header(input.headers, signature::signature_header(platform)).is_some();
        // The ping is unsigned by design; it is acknowledged without trusting anything in it.
        if platform == Platform::WooCommerce
            && !signed
            && let Some(webhook_id) = woo_ping(input.body)
        {
            return Ok(Webhook::Ping { webhook_id });
        }
        if let Some(secret) = input.secret {
            signature::verify(platform, input.headers, input.body, secret)?;
        }
        if platform == Platform::WooCommerce
            && let Some(webhook_id) = woo_ping(input.body)
        {
            return Ok(Webhook::Ping { webhook_id });
        }

        let name = topic_header(platform);
        let topic = input.topic.or_else(|| header(input.headers, name));
        // An empty header is no topic (400), not an unknown one (acknowledged and ignored).
        let Some(topic) = topic.filter(|t| !t.trim().is_empty()) else {
            return Err(WebhookError::MissingTopic {
                platform,
                header: name,
            });
        };
        let malformed =
            |topic: &'static str, error: serde_json::Error| WebhookError::MalformedPayload {
                platform,
                topic,
                detail: mask_numbers(&error.to_string()),
            };
        match platform {
            Platform::Shopify => {
                let Some(topic) = shopify::Topic::parse(topic) else {
                    return Err(WebhookError::UnknownTopic {
                        platform,
                        topic: topic.to_owned(),
                        supported: shopify::SUPPORTED,
                    });
                };
                let shop = input
                    .shop
                    .or_else(|| header(input.headers, "X-Shopify-Shop-Domain"))
                    .filter(|s| !s.is_empty());
                shopify::normalize(topic, input.body, shop)
                    .map(|event| Webhook::Event(Box::new(event)))
                    .map_err(|e| malformed(topic.as_str(), e))
            }
            Platform::WooCommerce => {
                let Some(topic) = woocommerce::Topic::parse(topic) else {
                    return Err(WebhookError::UnknownTopic {
                        platform,
                        topic: topic.to_owned(),
                        supported: woocommerce::SUPPORTED,
                    });
                };
                let shop = input
                    .shop
                    .map(str::to_owned)
                    .or_else(|| {
                        header(input.headers, "X-WC-Webhook-Source")
                            .and_then(woocommerce::shop_from_source)
                    })
                    .filter(|s| !s.is_empty());
                match topic {
                    woocommerce::Topic::OrderDeleted | woocommerce::Topic::OrderRestored => {
                        let order_id = woocommerce::order_id(input.body)
                            .map_err(|e| malformed(topic.as_str(), e))?;
                        Ok(Webhook::Ignored {
                            platform,
                            topic: topic.as_str(),
                            order_id: Some(order_id),
                            reason: "deleting or restoring an order sends no message",
                        })
                    }
                    _ => woocommerce::normalize(topic, input.body, shop)
                        .map(|event| Webhook::Event(Box::new(event)))
                        .map_err(|e| malformed(topic.as_str(), e)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_woocommerce_ping_is_recognised_without_a_signature() {
        let input =
            WebhookInput::new(Platform::WooCommerce, &[], b"webhook_id=17").with_secret(b"k");
        assert_eq!(Webhook::parse(&input), Ok(Webhook::Ping { webhook_id: 17 }));
        // Shopify has no such thing: the same body there is a missing signature.
        let input = WebhookInput::new(Platform::Shopify, &[], b"webhook_id=17").with_secret(b"k");
        assert!(matches!(
            Webhook::parse(&input),
            Err(WebhookError::MissingSignature { .. })
        ));
    }

    #[test]
    fn unknown_topics_and_malformed_bodies_are_typed_errors() {
        let headers = [("x-shopify-topic", "products/create")];
        let input = WebhookInput::new(Platform::Shopify, &headers, b"{}");
        assert!(matches!(
            Webhook::parse(&input),
            Err(WebhookError::UnknownTopic { .. })
        ));
        let headers = [("X-Shopify-Topic", "orders/create")];
        let input = WebhookInput::new(Platform::Shopify, &headers, b"{\"id\": ");
        assert!(matches!(
            Webhook::parse(&input),
            Err(WebhookError::MalformedPayload { .. })
        ));
        let input = WebhookInput::new(Platform::Shopify, &[], b"{}");
        assert!(matches!(
            Webhook::parse(&input),
            Err(WebhookError::MissingTopic { .. })
        ));
        // An empty topic header is no topic, not an unknown one (which is answered 200).
        for empty in ["", "  "] {
            let headers = [("X-Shopify-Topic", empty)];
            let input = WebhookInput::new(Platform::Shopify, &headers, b"{}");
            assert!(
                matches!(
                    Webhook::parse(&input),
                    Err(WebhookError::MissingTopic { .. })
                ),
                "{empty:?}"
            );
        }
    }

    /// The error of a malformed body is logged and answered: a phone number the body holds
    /// in the wrong type must not be quoted in it.
    #[test]
    fn a_malformed_body_error_does_not_quote_a_phone_number() {
        let bodies: [(Platform, &str, &[u8]); 4] = [
            (
                Platform::Shopify,
                "orders/create",
                br#"{"id": 5, "phone": 33612345678}"#,
            ),
            (
                Platform::Shopify,
                "orders/create",
                br#"{"id": 5, "customer": "+33 6 12 34 56 78"}"#,
            ),
            (
                Platform::WooCommerce,
                "order.created",
                br#"{"id": 5, "billing": "+33612345678"}"#,
            ),
            (
                Platform::WooCommerce,
                "order.created",
                br#"{"id": 5, "billing": {"phone": 612345678}}"#,
            ),
        ];
        for (platform, topic, body) in bodies {
            let input = WebhookInput::new(platform, &[], body).with_topic(topic);
            let error = Webhook::parse(&input).unwrap_err();
            assert!(
                matches!(error, WebhookError::MalformedPayload { .. }),
                "{error}"
            );
            let text = error.to_string();
            for digits in ["612345678", "12 34 56"] {
                assert!(!text.contains(digits), "{text}");
            }
            // Still says what was wrong, and where.
            assert!(
                text.contains("invalid type") && text.contains("line 1"),
                "{text}"
            );
        }
    }

    #[test]
    fn long_numbers_are_masked_in_error_details_but_not_their_position() {
        assert_eq!(
            mask_numbers(
                "invalid type: integer `33612345678`, expected a string at line 1 column 1234567"
            ),
            "invalid type: integer `*********78`, expected a string at line 1 column 1234567"
        );
        assert_eq!(
            mask_numbers(r#"invalid type: string "+33 6 12 34 56 78", expected a map"#),
            r#"invalid type: string "+** * ** ** ** 78", expected a map"#
        );
        assert_eq!(mask_numbers("missing field `id`"), "missing field `id`");
        assert_eq!(
            mask_numbers("invalid value: integer `12345`"),
            "invalid value: integer `12345`"
        );
    }
}
