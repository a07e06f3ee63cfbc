//! The planner: a parsed webhook, the shop's configuration, the stored order context and
//! `now` in; the messages to send, the ones skipped (with the reason) and the context to store
//! out. Pure: the caller sends, stores and reads the clock.
//!
//! A problem with one message never loses the others: a missing or invalid phone, an
//! opted-out customer, a disabled event or a template that fails to render each become a
//! `skipped` entry, and the rest of the plan goes on.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

use crate::config::ShopConfig;
use crate::context::OrderContext;
use crate::dedupe;
use crate::error::WebhookError;
use crate::event::{Micros, OrderEvent, RefundScope, Transition};
use crate::model::{Audience, Channel, EventKind, Language, Platform};
use crate::phone::Phone;
use crate::segments::{self, Encoding};
use crate::templates::{Items, Money, Vars, full_name};
use crate::webhook::{Webhook, WebhookInput};
use crate::woocommerce;

/// What should happen for one webhook. Serialized as the `ordersms plan` JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub messages: Vec<PlannedMessage>,
    pub skipped: Vec<Skipped>,
    /// The order context to save (replacing the stored one), or `None` when nothing changed.
    pub store: Option<OrderContext>,
    /// The normalized event (phone numbers left out), `None` for pings and ignored topics.
    pub event: Option<OrderEvent>,
}

/// One message to hand to SMSMobileAPI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedMessage {
    /// E.164 recipient.
    pub to: Phone,
    pub recipient: Audience,
    pub channel: Channel,
    pub text: String,
    /// The template used, e.g. `fr/shipped`.
    pub template: String,
    /// Locale the text was written for (`fr-BE`).
    pub locale: String,
    pub encoding: Encoding,
    pub segments: u32,
    pub shorturl: bool,
    /// UNIX seconds (UTC) to send at; `None` = now.
    pub schedule_timestamp: Option<i64>,
    /// The shop's `device`: the `sIdentifiant` of the phone that sends. Left out of the JSON
    /// when not configured (SMSMobileAPI picks the first available phone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_sid: Option<String>,
    /// Same fact, same recipient, same key: send only the first time it is seen.
    pub dedupe_key: String,
    /// The event the message announces.
    pub event: EventKind,
}

/// A message that will not be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// For people: what happened and, where there is one, what to do.
    pub reason: String,
    /// For programs: a stable name for the reason.
    pub code: SkipCode,
    pub recipient: Option<Audience>,
    pub event: Option<EventKind>,
}

/// Stable names of skip reasons (`snake_case` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipCode {
    /// WooCommerce's webhook creation ping.
    Ping,
    /// A topic that never sends anything (WooCommerce `order.deleted`).
    IgnoredTopic,
    /// The webhook announces nothing new (e.g. a WooCommerce status that did not change).
    NothingNew,
    /// A test order and the configuration skips test orders.
    TestOrder,
    /// The configuration has no rule for this event and audience.
    NotEnabled,
    /// No phone number in the payload nor in the stored context.
    NoPhone,
    /// Phone numbers were found but none is a valid number.
    InvalidPhone,
    /// The configuration has merchant messages but no `merchant_phone` (or an invalid one).
    NoMerchantPhone,
    /// The customer answered STOP.
    OptedOut,
    /// The template failed to render.
    TemplateFailed,
}

/// The Worker's STOP list, asked once per customer message.
pub trait OptOuts {
    fn is_opted_out(&self, phone: &Phone) -> bool;
}

impl<F: Fn(&Phone) -> bool> OptOuts for F {
    fn is_opted_out(&self, phone: &Phone) -> bool {
        self(phone)
    }
}

/// E.164 strings.
impl OptOuts for HashSet<String> {
    fn is_opted_out(&self, phone: &Phone) -> bool {
        self.contains(phone.as_str())
    }
}

impl OptOuts for BTreeSet<Phone> {
    fn is_opted_out(&self, phone: &Phone) -> bool {
        self.contains(phone)
    }
}

/// Nobody has opted out.
pub struct NoOptOuts;

impl OptOuts for NoOptOuts {
    fn is_opted_out(&self, _: &Phone) -> bool {
        false
    }
}

/// Checks, parses and plans one webhook, with no opt-out list.
pub fn plan(
    input: &WebhookInput<'_>,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now_unix: i64,
) -> Result<Plan, WebhookError> {
    plan_with_opt_outs(input, config, context, now_unix, &NoOptOuts)
}

/// `plan`, respecting the customers who opted out.
pub fn plan_with_opt_outs(
    input: &WebhookInput<'_>,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now_unix: i64,
    opt_outs: &dyn OptOuts,
) -> Result<Plan, WebhookError> {
    // The webhook is ours: its event is planned in place, not cloned as `plan_event` must.
    Ok(match Webhook::parse(input)? {
        Webhook::Event(event) => {
            plan_owned_event(*event, true, config, context, now_unix, opt_outs)
        }
        webhook => plan_webhook(&webhook, config, context, now_unix, opt_outs),
    })
}

/// Plans an already parsed webhook (the Worker parses first to learn which context to load).
pub fn plan_webhook(
    webhook: &Webhook,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now_unix: i64,
    opt_outs: &dyn OptOuts,
) -> Plan {
    match webhook {
        Webhook::Ping { webhook_id } => Plan {
            messages: Vec::new(),
            skipped: vec![Skipped {
                reason: format!(
                    "WooCommerce webhook {webhook_id} creation ping: acknowledged, nothing to send"
                ),
                code: SkipCode::Ping,
                recipient: None,
                event: None,
            }],
            store: None,
            event: None,
        },
        Webhook::Ignored { topic, reason, .. } => Plan {
            messages: Vec::new(),
            skipped: vec![Skipped {
                reason: format!("{topic}: {reason}"),
                code: SkipCode::IgnoredTopic,
                recipient: None,
                event: None,
            }],
            store: None,
            event: None,
        },
        Webhook::Event(event) => plan_event(event, config, context, now_unix, opt_outs),
    }
}

/// Plans the messages for one order event.
pub fn plan_event(
    event: &OrderEvent,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now_unix: i64,
    opt_outs: &dyn OptOuts,
) -> Plan {
    plan_owned_event(event.clone(), false, config, context, now_unix, opt_outs)
}

/// `plan_event` on an event the caller gives away (the `Plan` returns it, enriched).
/// `parsed`: the event is exactly as `Webhook::parse` made it, so a WooCommerce event was
/// already judged against no context.
fn plan_owned_event(
    mut event: OrderEvent,
    parsed: bool,
    config: &ShopConfig,
    context: Option<&OrderContext>,
    now_unix: i64,
    opt_outs: &dyn OptOuts,
) -> Plan {
    let context = context.filter(|c| c.platform == event.platform && c.order_id == event.order_id);
    // Judging it against no context again would give the same transitions.
    if !(parsed && context.is_none()) {
        woocommerce::resolve(&mut event, context);
    }
    if context.is_none() {
        woocommerce::drop_old_news(&mut event, now_unix);
    }
    resolve_refund_scope(&mut event, context);
    resolve_added_tracking(&mut event, context);
    if event.names_the_recipient() && context.is_some_and(|c| c.in_store) {
        event.drop_in_store_handover(true);
    }

    let mut skipped = Vec::new();
    let (phones, phone_problem) = customer_phones(&event, config);
    let stored_phone = context.and_then(|c| c.phones.first());
    // A fulfillment's destination phone belongs to whoever receives the parcel (a gift, an
    // office): the buyer's number from the order, when known, stays the one texted and kept.
    let from_fulfillment = event.names_the_recipient();
    let (customer_phone, phones_to_keep) = if from_fulfillment && stored_phone.is_some() {
        (stored_phone, &[][..])
    } else {
        (phones.first().or(stored_phone), &phones[..])
    };
    let next = OrderContext::updated_with(context, &event, phones_to_keep);
    let store = (Some(&next) != context).then_some(next);
    enrich(&mut event, context);

    let mut messages = Vec::new();
    if event.transitions.is_empty() {
        skipped.push(Skipped {
            reason: event
                .note
                .clone()
                .unwrap_or_else(|| format!("{} announces nothing to send", event.topic)),
            code: SkipCode::NothingNew,
            recipient: None,
            event: None,
        });
    }
    let planner = Planner {
        event: &event,
        config,
        now_unix,
    };
    for transition in &event.transitions {
        let kind = transition.kind;
        if event.test && config.skip_test_orders() {
            skipped.push(Skipped {
                reason: "test order: not sent (set skip_test_orders = false to send test orders)"
                    .to_owned(),
                code: SkipCode::TestOrder,
                recipient: None,
                event: Some(kind),
            });
            continue;
        }
        for audience in [Audience::Customer, Audience::Merchant] {
            let outcome = planner.message(
                transition,
                audience,
                customer_phone,
                phone_problem.as_deref(),
                opt_outs,
            );
            match outcome {
                Ok(message) if message.channel == Channel::Both => {
                    messages.extend(one_per_channel(message));
                }
                Ok(message) => messages.push(message),
                Err((code, reason)) => skipped.push(Skipped {
                    reason,
                    code,
                    recipient: Some(audience),
                    event: Some(kind),
                }),
            }
        }
    }
    Plan {
        messages,
        skipped,
        store,
        event: Some(event),
    }
}

/// SMSMobileAPI wants an SMS number with its `+` and a WhatsApp number without it (the phone
/// fails the message otherwise): one `/sendsms/` call cannot do both, so "both" is an SMS
/// under the fact's key and a WhatsApp copy under its own.
fn one_per_channel(message: PlannedMessage) -> [PlannedMessage; 2] {
    let whatsapp = PlannedMessage {
        channel: Channel::Whatsapp,
        dedupe_key: dedupe::whatsapp_copy(&message.dedupe_key),
        ..message.clone()
    };
    [
        PlannedMessage {
            channel: Channel::Sms,
            ..message
        },
        whatsapp,
    ]
}

/// Valid numbers from the payload, best first, and why the payload's numbers were unusable
/// (shown only when no number at all is left).
fn customer_phones(event: &OrderEvent, config: &ShopConfig) -> (Vec<Phone>, Option<String>) {
    let mut phones: Vec<Phone> = Vec::new();
    let mut problems = Vec::new();
    for candidate in &event.phones {
        match candidate.parse(config.default_country()) {
            Ok(phone) if !phones.contains(&phone) => phones.push(phone),
            Ok(_) => {}
            Err(error) => problems.push(format!("{} is not usable: {error}", candidate.source)),
        }
    }
    let problem = (!problems.is_empty()).then(|| problems.join("; "));
    (phones, problem)
}

/// Fills what the webhook does not carry from the stored context.
fn enrich(event: &mut OrderEvent, context: Option<&OrderContext>) {
    let Some(ctx) = context else { return };
    fn fill(slot: &mut Option<String>, stored: &Option<String>) {
        if slot.is_none() {
            slot.clone_from(stored);
        }
    }
    // Context names are the buyer's; a fulfillment's destination may name someone else.
    if event.names_the_recipient() && ctx.first_name.is_some() {
        event.first_name.clone_from(&ctx.first_name);
        event.last_name.clone_from(&ctx.last_name);
    }
    fill(&mut event.order_name, &ctx.order_name);
    fill(&mut event.first_name, &ctx.first_name);
    fill(&mut event.last_name, &ctx.last_name);
    fill(&mut event.locale, &ctx.locale);
    fill(&mut event.country, &ctx.country);
    fill(&mut event.currency, &ctx.currency);
    fill(&mut event.total, &ctx.total);
    event.test |= ctx.test;
}

/// A Shopify `fulfillments/update` repeats its shipment's fact, so that a shipment is never
/// announced twice. When the context says that shipment was announced without a tracking
/// number and the update brings one (the merchant added it later), or with another number
/// (the merchant corrected it), the number is the news: it gets a fact of its own, and the
/// customer their tracking link.
fn resolve_added_tracking(event: &mut OrderEvent, context: Option<&OrderContext>) {
    use crate::context::{SHIPMENT, TRACKING_ADDED};
    if event.platform != Platform::Shopify {
        return;
    }
    let (Some(ctx), Some(number)) = (context, event.tracking.number.as_deref()) else {
        return;
    };
    for transition in &mut event.transitions {
        let Some(id) = transition.fact.strip_prefix(SHIPMENT) else {
            continue;
        };
        let untracked = ctx.untracked_shipments.iter().any(|s| s == id);
        let corrected = ctx.number_told(id).is_some_and(|told| told != number);
        if transition.kind == EventKind::Shipped && (untracked || corrected) {
            transition.fact = [SHIPMENT, id, TRACKING_ADDED, number].concat();
        }
    }
}

/// Shopify's `refunds/create` does not say whether the order is now fully refunded: compare
/// the refunds so far with the order total kept in the context. Without a total the refund
/// stays a plain `refunded` of unknown scope (the templates then announce an amount, not
/// "your whole order"). Nor does it give the refunds so far (`Refund::total`): the context's
/// sum of the earlier ones plus this one.
fn resolve_refund_scope(event: &mut OrderEvent, context: Option<&OrderContext>) {
    if event.platform != Platform::Shopify {
        return;
    }
    let Some(refund) = event.refund.as_mut() else {
        return;
    };
    let Some(ctx) = context else { return };
    let so_far = ctx.refunded_total.as_deref().and_then(Micros::parse);
    let this = refund.amount.as_deref().and_then(Micros::parse);
    let already_counted = ctx.seen_refunds.contains(&refund.id.to_string());
    if let (Some(earlier), Some(this)) = (so_far, this)
        && !already_counted
        && earlier != Micros::default()
    {
        refund.total = Some((earlier + this).to_decimal());
    }
    let Some(total) = ctx.total.as_deref().and_then(Micros::parse) else {
        return;
    };
    let (so_far, this) = (so_far.unwrap_or_default(), this.unwrap_or_default());
    let refunded = if already_counted {
        so_far
    } else {
        so_far + this
    };
    let full = refunded >= total;
    refund.scope = if full {
        RefundScope::Full
    } else {
        RefundScope::Partial
    };
    if refund.currency.is_none() {
        refund.currency.clone_from(&ctx.currency);
    }
    for transition in &mut event.transitions {
        if transition.kind == EventKind::Refunded && !full {
            transition.kind = EventKind::PartiallyRefunded;
        }
    }
}

struct Planner<'a> {
    event: &'a OrderEvent,
    config: &'a ShopConfig,
    now_unix: i64,
}

impl Planner<'_> {
    fn message(
        &self,
        transition: &Transition,
        audience: Audience,
        customer_phone: Option<&Phone>,
        phone_problem: Option<&str>,
        opt_outs: &dyn OptOuts,
    ) -> Result<PlannedMessage, (SkipCode, String)> {
        let kind = transition.kind;
        let who = match audience {
            Audience::Customer => "customer",
            Audience::Merchant => "merchant",
        };
        let Some(rule) = self.config.rule(kind, audience) else {
            return Err((
                SkipCode::NotEnabled,
                [
                    "`",
                    kind.as_str(),
                    "` messages to the ",
                    who,
                    " are not enabled",
                ]
                .concat(),
            ));
        };
        let (to, language, locale) = match audience {
            Audience::Customer => {
                let Some(phone) = customer_phone else {
                    return Err(match phone_problem {
                        Some(problem) => (
                            SkipCode::InvalidPhone,
                            format!("no valid customer phone number: {problem}"),
                        ),
                        None => (
                            SkipCode::NoPhone,
                            "no customer phone number in the webhook nor in the stored order context"
                                .to_owned(),
                        ),
                    });
                };
                if opt_outs.is_opted_out(phone) {
                    return Err((
                        SkipCode::OptedOut,
                        format!("opted out: {} answered STOP", phone.masked()),
                    ));
                }
                let (language, locale) = self.customer_language();
                (phone.clone(), language, locale)
            }
            Audience::Merchant => {
                let phone = self
                    .config
                    .merchant_phone()
                    .map(|raw| Phone::parse(raw, self.config.default_country()));
                let Some(Ok(phone)) = phone else {
                    return Err((
                        SkipCode::NoMerchantPhone,
                        "merchant messages are enabled but merchant_phone is not set to a valid number"
                            .to_owned(),
                    ));
                };
                // The shop's country, as a customer's keeps theirs: a Swiss merchant reads
                // `CHF 1'249.90`, not the German `1.249,90 CHF`.
                let language = self.config.merchant_language();
                let locale = match self.config.default_country() {
                    Some(country) => [language.as_str(), "-", country].concat(),
                    None => language.as_str().to_owned(),
                };
                (phone, language, locale)
            }
        };
        // The event's strings are lent to the template, not copied.
        let (name, order_name) = (customer_name(self.event), order_name(self.event));
        let vars = self.vars(&locale, name.as_deref(), &order_name);
        let rendered = self
            .config
            .templates()
            .render_vars(kind, audience, language, &vars)
            .map_err(|error| (SkipCode::TemplateFailed, error.to_string()))?;
        let text = if self.config.transliterate() {
            segments::transliterate_to_gsm7(&rendered.text).into_owned()
        } else {
            rendered.text
        };
        let facts = segments::analyze(&text);
        Ok(PlannedMessage {
            dedupe_key: dedupe::key(
                self.event.platform,
                &self.event.shop,
                self.event.order_id,
                kind,
                &transition.fact,
                audience,
                &to,
            ),
            to,
            recipient: audience,
            channel: rule.channel,
            text,
            template: rendered.template,
            locale,
            encoding: facts.encoding,
            segments: facts.segments,
            shorturl: rule.shorturl,
            schedule_timestamp: self
                .config
                .schedule()
                .send_at(self.now_unix, rule.delay_minutes),
            device_sid: self.config.device_sid().map(str::to_owned),
            event: kind,
        })
    }

    /// The customer's language: their locale, else their country's language, else the shop's
    /// default. The locale tag keeps the country so money reads right (`fr-BE`, `de-CH`).
    fn customer_language(&self) -> (Language, String) {
        let country = self.event.country.as_deref();
        if let Some(locale) = self.event.locale.as_deref()
            && let Some(language) = Language::from_locale(locale)
        {
            let tag = locale.trim().replace('_', "-");
            let tag = match country {
                Some(country) if !tag.contains('-') => [&tag, "-", country].concat(),
                _ => tag,
            };
            return (language, tag);
        }
        let shop = self.config.default_language();
        let language = country
            .and_then(|country| country_language(country, shop))
            .unwrap_or(shop);
        let tag = match country {
            Some(country) => [language.as_str(), "-", country].concat(),
            None => language.as_str().to_owned(),
        };
        (language, tag)
    }

    /// The template variables of the event, borrowed from it (`name` and `order_name` are
    /// `customer_name` and `order_name`).
    fn vars<'a>(&'a self, locale: &'a str, name: Option<&'a str>, order_name: &'a str) -> Vars<'a> {
        let event = self.event;
        let money = |amount: &'a Option<String>, currency: Option<&'a str>| {
            Some(Money {
                amount: amount.as_deref()?,
                currency: currency?,
            })
        };
        Vars {
            locale,
            // The configured name only: a domain ("x.myshopify.com") reads badly in an SMS,
            // and templates leave the name out when it is empty.
            shop_name: self.config.shop_name().unwrap_or_default(),
            first_name: event.first_name.as_deref(),
            last_name: event.last_name.as_deref(),
            name,
            order_name,
            total: money(&event.total, event.currency.as_deref()),
            items: Items::Event(&event.items),
            item_count: event.items.iter().map(|i| i.quantity).sum(),
            status_url: event.status_url.as_deref(),
            created_at: event.created_at.as_deref(),
            tracking_company: event.tracking.company.as_deref(),
            tracking_number: event.tracking.number.as_deref(),
            tracking_url: event.tracking.url.as_deref(),
            refund_amount: event.refund.as_ref().and_then(|refund| {
                let currency = refund.currency.as_deref().or(event.currency.as_deref());
                money(&refund.amount, currency)
            }),
            refund_full: event
                .refund
                .as_ref()
                .is_some_and(|refund| refund.scope == RefundScope::Full),
            refund_total: event.refund.as_ref().and_then(|refund| {
                let currency = refund.currency.as_deref().or(event.currency.as_deref());
                money(&refund.total, currency)
            }),
            ..Vars::default()
        }
    }
}

/// `customer.name` of the event's buyer.
fn customer_name(event: &OrderEvent) -> Option<Cow<'_, str>> {
    full_name(event.first_name.as_deref(), event.last_name.as_deref())
}

/// `order.name`: as the shop names the order, else `#` and its id.
fn order_name(event: &OrderEvent) -> Cow<'_, str> {
    match &event.order_name {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("#{}", event.order_id)),
    }
}

/// The language most customers in a country read, where one clearly dominates. Belgium,
/// Canada and other bilingual countries are left to the shop's default (`shop`). So are
/// Switzerland and Luxembourg when the shop writes one of their languages: a French shop's
/// Swiss customer bought on a French site, and most likely reads French, not the German of
/// most of the country.
fn country_language(country: &str, shop: Language) -> Option<Language> {
    // Upper-cased on the stack: no string per message.
    let upper = match country.as_bytes() {
        [a, b] => [a.to_ascii_uppercase(), b.to_ascii_uppercase()],
        _ => return None,
    };
    Some(match &upper {
        b"CH" if matches!(shop, Language::De | Language::Fr | Language::It) => shop,
        b"LU" if matches!(shop, Language::Fr | Language::De) => shop,
        b"FR" | b"MC" | b"LU" => Language::Fr,
        b"DE" | b"AT" | b"LI" | b"CH" => Language::De,
        b"NL" => Language::Nl,
        b"ES" | b"MX" | b"AR" | b"CO" | b"CL" | b"PE" => Language::Es,
        b"IT" | b"SM" => Language::It,
        b"US" | b"GB" | b"IE" | b"AU" | b"NZ" => Language::En,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Refund, Tracking};
    use crate::json::tests::fixture;

    fn parsed(platform: Platform, topic: &str, path: &str) -> OrderEvent {
        let headers = [(
            match platform {
                Platform::Shopify => "X-Shopify-Topic",
                Platform::WooCommerce => "X-WC-Webhook-Topic",
            },
            topic,
        )];
        let body = fixture(path);
        match Webhook::parse(&WebhookInput::new(platform, &headers, &body)) {
            Ok(Webhook::Event(event)) => *event,
            other => panic!("{path}: {other:?}"),
        }
    }

    /// What the planner lends the template engine is what a `RenderContext` holds: the owned
    /// context holds every variable (and the event's items), and reads back the same.
    #[test]
    fn borrowed_variables_are_those_of_the_render_context() {
        let mut events = vec![
            parsed(
                Platform::Shopify,
                "orders/create",
                "shopify/orders_create.json",
            ),
            parsed(
                Platform::Shopify,
                "fulfillments/create",
                "shopify/fulfillments_create.json",
            ),
            parsed(
                Platform::Shopify,
                "refunds/create",
                "shopify/refunds_create.json",
            ),
            parsed(
                Platform::WooCommerce,
                "order.created",
                "woocommerce/order_create_response_v3.json",
            ),
        ];
        let mut sparse = events[0].clone();
        (sparse.first_name, sparse.last_name) = (None, Some("Durand".to_owned()));
        (sparse.order_name, sparse.total, sparse.currency) = (None, None, None);
        sparse.items.clear();
        sparse.tracking = Tracking {
            company: Some("Colissimo".to_owned()),
            number: None,
            url: Some(String::new()),
        };
        sparse.refund = Some(Refund {
            id: 1,
            amount: Some("5.00".to_owned()),
            currency: None,
            scope: RefundScope::Full,
            total: None,
        });
        events.push(sparse.clone());
        sparse.currency = Some("EUR".to_owned());
        sparse.first_name = Some("Camille".to_owned());
        events.push(sparse);

        let named = ShopConfig::from_toml("shop_name = \"Maison\"").unwrap();
        for config in [&ShopConfig::default(), &named] {
            for event in &events {
                let planner = Planner {
                    event,
                    config,
                    now_unix: 0,
                };
                let (name, order) = (customer_name(event), order_name(event));
                for locale in ["fr-BE", ""] {
                    let vars = planner.vars(locale, name.as_deref(), &order);
                    let context = vars.to_context();
                    assert_eq!(vars, context.vars(), "{event:?}");
                    assert_eq!(context.locale, locale);
                    assert_eq!(context.order.items.len(), event.items.len());
                    for (item, var) in event.items.iter().zip(&context.order.items) {
                        assert_eq!((&item.name, item.quantity), (&var.name, var.quantity));
                    }
                }
            }
        }
    }
}
