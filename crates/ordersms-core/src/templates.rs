//! The message texts: templates in the Handlebars language, one per event × language (and
//! per audience), the variables they see ([`RenderContext`]) and the helpers that format
//! money, dates and names.
//!
//! The shop's own templates are parsed once per configuration and checked at load: every
//! path a template names must exist in [`RenderContext`] and every template must render in
//! strict mode against a full and an empty sample, so a misspelled variable fails when the
//! shop's configuration is loaded, not on the first order. The shipped texts pass the same
//! checks in the tests, and are parsed when a message first needs them. HTML escaping is
//! off: an SMS must say `Smith & Co` and keep `?a=1&b=2` in a link.
//!
//! The engine is ordersms's own (`syntax` parses, `render` renders), for the part of
//! Handlebars that texts use (docs/configuration.md lists it): it reads and renders that
//! part exactly as handlebars-rust 6 does (`differential.rs` compares them on generated
//! templates), and refuses the rest at load with an error that says what is not supported.
//! handlebars-rust and its pest grammar made the Worker's gzipped bundle ≈ 61 KB larger, and
//! serialized every variable to JSON on each render.
//!
//! The default texts live in `templates/<lang>/<event>.hbs` (customers) and
//! `templates/<lang>/merchant/<name>.hbs` (the merchant) at the repository root, embedded with
//! `include_str!` so the WASM build carries them.
//!
//! Choosing the language is the caller's job; this module only falls back to `en` when the
//! chosen language has no template, and says which template it used.

#[cfg(test)]
mod differential;
mod format;
mod render;
mod syntax;

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::Serialize;
use thiserror::Error;

use crate::config::Table;
use crate::event::Item;
use crate::model::{Audience, EventKind, Language};
use render::RenderError;
use syntax::{Nodes, Path, Start};

pub use format::{format_date, format_money};

/// Why a template could not be used. Each variant names the template.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("template {name:?}: not a template name; expected \"<lang>/<event>\" (e.g. \"fr/shipped\") or \"<lang>/merchant/<event>\" (e.g. \"en/merchant/placed\"), with lang one of en, fr, de, nl, es, it and event one of {events}", events = event_list())]
    BadName { name: String },
    #[error("template {template:?}: syntax error{}: {message}", position(*line, *column))]
    Syntax {
        template: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error(
        "template {template:?}: unknown variable `{variable}`{}; see docs/configuration.md for the variables templates can use", position(*line, *column)
    )]
    UnknownVariable {
        template: String,
        variable: String,
        /// Where it is written, when the source is known.
        line: Option<usize>,
        column: Option<usize>,
    },
    #[error("template {template:?}: {message}")]
    Render { template: String, message: String },
    #[error("no {audience} template for {event} in {language} nor en; add \"{language}/{prefix}{event}\" to [templates]", audience = audience_name(*audience), prefix = if *audience == Audience::Merchant { "merchant/" } else { "" })]
    Missing {
        event: String,
        audience: Audience,
        language: &'static str,
    },
}

fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Customer => "customer",
        Audience::Merchant => "merchant",
    }
}

fn event_list() -> String {
    EventKind::ALL.map(EventKind::as_str).join(", ")
}

/// Messages the Worker sends to the merchant that are not about an order event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MerchantNotice {
    /// A customer replied to one of our texts: forwarded with their last order (`reply.*`).
    Reply,
    /// A message stayed failed after its retries (`failure.*`).
    Alert,
}

impl MerchantNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantNotice::Reply => "reply",
            MerchantNotice::Alert => "alert",
        }
    }
}

/// A rendered message and the template it came from (e.g. `fr/shipped`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub text: String,
    pub template: String,
}

/// What templates see. Every key is always present (null when unknown), so strict mode
/// catches misspelled variables, not missing data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RenderContext {
    /// e.g. `fr-FR` or `fr`: the money and date helpers format for it.
    pub locale: String,
    pub shop: ShopVars,
    pub customer: CustomerVars,
    pub order: OrderVars,
    pub tracking: TrackingVars,
    pub refund: RefundVars,
    pub reply: ReplyVars,
    /// Only for `merchant/alert`; empty otherwise.
    pub failure: FailureVars,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ShopVars {
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CustomerVars {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub name: Option<String>,
}

impl CustomerVars {
    /// From the names a shop gave, `name` after [`full_name`]'s rule.
    pub fn from_names(first_name: Option<String>, last_name: Option<String>) -> CustomerVars {
        let name = full_name(first_name.as_deref(), last_name.as_deref()).map(Cow::into_owned);
        CustomerVars {
            first_name,
            last_name,
            name,
        }
    }
}

/// `customer.name`: first and last name, or the one known (borrowed then: no copy per
/// message on the planner's path).
pub fn full_name<'a>(first: Option<&'a str>, last: Option<&'a str>) -> Option<Cow<'a, str>> {
    match (first, last) {
        (Some(first), Some(last)) => Some(Cow::Owned([first, " ", last].concat())),
        (Some(one), None) | (None, Some(one)) => Some(Cow::Borrowed(one)),
        (None, None) => None,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderVars {
    /// As the shop shows it, e.g. `#1001`.
    pub name: String,
    pub total: Option<MoneyVars>,
    pub items: Vec<ItemVars>,
    pub item_count: u32,
    pub status_url: Option<String>,
    /// RFC 3339.
    pub created_at: Option<String>,
}

/// An amount exactly as the platform sent it (a decimal string, never a float) and its
/// ISO 4217 currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MoneyVars {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ItemVars {
    pub name: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrackingVars {
    pub company: Option<String>,
    pub number: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RefundVars {
    pub amount: Option<MoneyVars>,
    /// The whole order was refunded.
    pub full: bool,
    /// The order's refunds so far, this one included, when earlier ones add to `amount`.
    pub total: Option<MoneyVars>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplyVars {
    /// The customer's number, as the merchant will want to call it back.
    pub from: Option<String>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FailureVars {
    /// Masked recipient, e.g. `+33******78`.
    pub to: Option<String>,
    /// What the failed message was about, in the merchant's language, e.g. `order shipped`
    /// ([`EventKind::label`](crate::EventKind::label)).
    pub event: Option<String>,
    /// Why it failed, as the gateway said it.
    pub reason: Option<String>,
}

impl RenderContext {
    /// A realistic context with every optional value present: templates are checked against
    /// it at load, and the CLI can use it for previews.
    pub fn sample() -> RenderContext {
        let eur = |amount: &str| MoneyVars {
            amount: amount.to_owned(),
            currency: "EUR".to_owned(),
        };
        RenderContext {
            locale: "en".to_owned(),
            shop: ShopVars {
                name: "Maison Lumière".to_owned(),
            },
            customer: CustomerVars {
                first_name: Some("Camille".to_owned()),
                last_name: Some("Durand".to_owned()),
                name: Some("Camille Durand".to_owned()),
            },
            order: OrderVars {
                name: "#1001".to_owned(),
                total: Some(eur("404.95")),
                items: vec![
                    ItemVars {
                        name: "Linen shirt".to_owned(),
                        quantity: 2,
                    },
                    ItemVars {
                        name: "Scarf".to_owned(),
                        quantity: 1,
                    },
                ],
                item_count: 3,
                status_url: Some("https://shop.example/orders/1001?key=abc&ref=sms".to_owned()),
                created_at: Some("2026-01-20T10:15:00+01:00".to_owned()),
            },
            tracking: TrackingVars {
                company: Some("Colissimo".to_owned()),
                number: Some("6A12345678901".to_owned()),
                url: Some("https://track.example/?n=6A12345678901&l=fr".to_owned()),
            },
            refund: RefundVars {
                amount: Some(eur("25.00")),
                full: false,
                total: Some(eur("40.00")),
            },
            reply: ReplyVars {
                from: Some("+33612345678".to_owned()),
                text: Some("Can you deliver after 6pm?".to_owned()),
            },
            failure: FailureVars {
                to: Some("+33******78".to_owned()),
                event: Some(EventKind::Shipped.label(Language::En).to_owned()),
                reason: Some("device offline".to_owned()),
            },
        }
    }
}

/// The variables of a [`RenderContext`], borrowed: what templates are rendered from. The
/// planner builds one straight from the order event, so a message copies none of the
/// event's strings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Vars<'a> {
    pub locale: &'a str,
    pub shop_name: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub name: Option<&'a str>,
    pub order_name: &'a str,
    pub total: Option<Money<'a>>,
    pub items: Items<'a>,
    pub item_count: u32,
    pub status_url: Option<&'a str>,
    pub created_at: Option<&'a str>,
    pub tracking_company: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
    pub tracking_url: Option<&'a str>,
    pub refund_amount: Option<Money<'a>>,
    pub refund_full: bool,
    pub refund_total: Option<Money<'a>>,
    pub reply_from: Option<&'a str>,
    pub reply_text: Option<&'a str>,
    pub failure_to: Option<&'a str>,
    pub failure_event: Option<&'a str>,
    pub failure_reason: Option<&'a str>,
}

/// `order.items`, borrowed from the order event or from a [`RenderContext`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Items<'a> {
    Event(&'a [Item]),
    Context(&'a [ItemVars]),
}

impl Default for Items<'_> {
    fn default() -> Self {
        Items::Context(&[])
    }
}

impl<'a> Items<'a> {
    pub(crate) fn len(self) -> usize {
        match self {
            Items::Event(items) => items.len(),
            Items::Context(items) => items.len(),
        }
    }

    /// The name and quantity of item `i`.
    pub(crate) fn get(self, i: usize) -> Option<(&'a str, u32)> {
        match self {
            Items::Event(items) => items.get(i).map(|item| (item.name.as_str(), item.quantity)),
            Items::Context(items) => items.get(i).map(|item| (item.name.as_str(), item.quantity)),
        }
    }
}

impl PartialEq for Items<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

/// A borrowed [`MoneyVars`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Money<'a> {
    pub amount: &'a str,
    pub currency: &'a str,
}

impl MoneyVars {
    fn view(&self) -> Money<'_> {
        Money {
            amount: &self.amount,
            currency: &self.currency,
        }
    }
}

impl RenderContext {
    pub(crate) fn vars(&self) -> Vars<'_> {
        Vars {
            locale: &self.locale,
            shop_name: &self.shop.name,
            first_name: self.customer.first_name.as_deref(),
            last_name: self.customer.last_name.as_deref(),
            name: self.customer.name.as_deref(),
            order_name: &self.order.name,
            total: self.order.total.as_ref().map(MoneyVars::view),
            items: Items::Context(&self.order.items),
            item_count: self.order.item_count,
            status_url: self.order.status_url.as_deref(),
            created_at: self.order.created_at.as_deref(),
            tracking_company: self.tracking.company.as_deref(),
            tracking_number: self.tracking.number.as_deref(),
            tracking_url: self.tracking.url.as_deref(),
            refund_amount: self.refund.amount.as_ref().map(MoneyVars::view),
            refund_full: self.refund.full,
            refund_total: self.refund.total.as_ref().map(MoneyVars::view),
            reply_from: self.reply.from.as_deref(),
            reply_text: self.reply.text.as_deref(),
            failure_to: self.failure.to.as_deref(),
            failure_event: self.failure.event.as_deref(),
            failure_reason: self.failure.reason.as_deref(),
        }
    }
}

#[cfg(test)]
impl Vars<'_> {
    /// The owned [`RenderContext`] of these variables.
    pub(crate) fn to_context(self) -> RenderContext {
        let owned = |text: Option<&str>| text.map(str::to_owned);
        let money = |money: Option<Money<'_>>| {
            money.map(|m| MoneyVars {
                amount: m.amount.to_owned(),
                currency: m.currency.to_owned(),
            })
        };
        RenderContext {
            locale: self.locale.to_owned(),
            shop: ShopVars {
                name: self.shop_name.to_owned(),
            },
            customer: CustomerVars {
                first_name: owned(self.first_name),
                last_name: owned(self.last_name),
                name: owned(self.name),
            },
            order: OrderVars {
                name: self.order_name.to_owned(),
                total: money(self.total),
                items: (0..self.items.len())
                    .filter_map(|i| self.items.get(i))
                    .map(|(name, quantity)| ItemVars {
                        name: name.to_owned(),
                        quantity,
                    })
                    .collect(),
                item_count: self.item_count,
                status_url: owned(self.status_url),
                created_at: owned(self.created_at),
            },
            tracking: TrackingVars {
                company: owned(self.tracking_company),
                number: owned(self.tracking_number),
                url: owned(self.tracking_url),
            },
            refund: RefundVars {
                amount: money(self.refund_amount),
                full: self.refund_full,
                total: money(self.refund_total),
            },
            reply: ReplyVars {
                from: owned(self.reply_from),
                text: owned(self.reply_text),
            },
            failure: FailureVars {
                to: owned(self.failure_to),
                event: owned(self.failure_event),
                reason: owned(self.failure_reason),
            },
        }
    }
}

macro_rules! language_set {
    ($($lang:literal),*) => {
        concat!($(
            language_set!(@one $lang, "placed"),
            language_set!(@one $lang, "paid"),
            language_set!(@one $lang, "shipped"),
            language_set!(@one $lang, "partially_shipped"),
            language_set!(@one $lang, "in_transit"),
            language_set!(@one $lang, "out_for_delivery"),
            language_set!(@one $lang, "delivered"),
            language_set!(@one $lang, "delivery_failed"),
            language_set!(@one $lang, "cancelled"),
            language_set!(@one $lang, "refunded"),
            language_set!(@one $lang, "partially_refunded"),
            language_set!(@one $lang, "on_hold"),
            language_set!(@one $lang, "payment_failed"),
            language_set!(@one $lang, "merchant/placed"),
            language_set!(@one $lang, "merchant/paid"),
            language_set!(@one $lang, "merchant/cancelled"),
            language_set!(@one $lang, "merchant/refunded"),
            language_set!(@one $lang, "merchant/partially_refunded"),
            language_set!(@one $lang, "merchant/delivery_failed"),
            language_set!(@one $lang, "merchant/payment_failed"),
            language_set!(@one $lang, "merchant/on_hold"),
            language_set!(@one $lang, "merchant/reply"),
            language_set!(@one $lang, "merchant/alert"),
        )*)
    };
    (@one $lang:literal, $name:literal) => {
        concat!(
            $lang, "/", $name, "\0",
            include_str!(concat!("../../../templates/", $lang, "/", $name, ".hbs")),
            "\0",
        )
    };
}

/// The default texts shipped with ordersms, each as its name, a NUL, its source and a NUL
/// (read by [`defaults`]): one text, where a table of `(&str, &str)` pairs cost the Worker
/// more in pointers than the names themselves.
const DEFAULTS: &str = language_set!("en", "fr", "de", "nl", "es", "it");

/// The default texts shipped with ordersms, `(name, source)`.
fn defaults() -> impl Iterator<Item = (&'static str, &'static str)> {
    let mut parts = DEFAULTS.split_terminator('\0');
    std::iter::from_fn(move || Some((parts.next()?, parts.next()?)))
}

/// The source of the default template `name` (e.g. `fr/shipped`,
/// `en/merchant/reply`), for editors and previews; `None` when ordersms ships no such text.
pub fn default_source(name: &str) -> Option<&'static str> {
    defaults()
        .find(|(default, _)| *default == name)
        .map(|(_, source)| source)
}

/// The parsed templates of one configuration.
#[derive(Debug, Clone)]
pub struct Templates {
    /// The shop's own templates (overrides), parsed and checked at load, sorted by name: a
    /// binary search needs no hash table code in the WASM build.
    overrides: Vec<(String, Nodes)>,
    /// The shipped texts the shop did not override, sorted by name, each parsed the first
    /// time a message needs it: parsing all of them (six languages × 23) on every
    /// configuration load would be paid by the first webhook of each Worker isolate, for the
    /// one or two texts it sends. They are checked by the tests instead of at every load.
    shipped: Vec<Shipped>,
}

/// One shipped text, parsed on first use.
#[derive(Debug, Clone)]
struct Shipped {
    name: &'static str,
    source: &'static str,
    parsed: OnceLock<Result<Nodes, TemplateError>>,
}

impl Shipped {
    fn parsed(&self) -> Result<&Nodes, TemplateError> {
        let parsed = self.parsed.get_or_init(|| parse(self.name, self.source));
        parsed.as_ref().map_err(Clone::clone)
    }
}

impl Templates {
    /// The default templates.
    pub fn defaults() -> Result<Templates, TemplateError> {
        Templates::with_overrides(&[])
    }

    /// The defaults with `overrides` (template name, source) replacing or adding templates.
    /// Names are `<lang>/<event>` and `<lang>/merchant/<event|reply|alert>`;
    /// `merchant/<lang>/<event>` is accepted too. Every override is checked before this
    /// returns; the shipped texts are checked by the tests and parsed when first used.
    pub fn with_overrides(overrides: &[(String, String)]) -> Result<Templates, TemplateError> {
        // Sorted by name, a later one of the same name replacing it (two spellings of one
        // name): neither a sort nor a map adds its code to the WASM build.
        let mut parsed = Table::<(&str, Nodes)>::default();
        for (name, source) in overrides {
            let canonical = canonical_name(name)
                .ok_or_else(|| TemplateError::BadName { name: name.clone() })?;
            let nodes = parse(&canonical, source)?;
            *parsed.entry(canonical) = (source, nodes);
        }
        if !parsed.0.is_empty() {
            let (full, empty) = (RenderContext::sample(), RenderContext::default());
            for (name, (source, nodes)) in &parsed.0 {
                if let Some(unknown) = render::first_unknown(nodes, &full.vars()) {
                    return Err(unknown_variable(name, Some(source), unknown));
                }
                for ctx in [&full, &empty] {
                    render::render(nodes, &ctx.vars())
                        .map_err(|e| render_error(name, Some(source), e))?;
                }
            }
        }
        // Kept sorted by inserting each where a binary search puts it: a sort of these
        // would add its own code to the WASM build.
        let mut shipped: Vec<Shipped> = Vec::new();
        for (name, source) in defaults() {
            if let (false, Err(at)) = (
                parsed
                    .0
                    .binary_search_by(|(known, _)| known.as_str().cmp(name))
                    .is_ok(),
                shipped.binary_search_by(|s| s.name.cmp(name)),
            ) {
                let parsed = OnceLock::new();
                shipped.insert(
                    at,
                    Shipped {
                        name,
                        source,
                        parsed,
                    },
                );
            }
        }
        Ok(Templates {
            overrides: parsed
                .0
                .into_iter()
                .map(|(name, (_, nodes))| (name, nodes))
                .collect(),
            shipped,
        })
    }

    /// Whether a template of this name (e.g. `fr/shipped`) exists.
    pub fn has(&self, name: &str) -> bool {
        self.override_nodes(name).is_some() || self.shipped(name).is_some()
    }

    /// The name of the template [`render`](Self::render) would use: `language`'s when there
    /// is one, else English's.
    pub fn resolve(
        &self,
        event: EventKind,
        audience: Audience,
        language: Language,
    ) -> Option<String> {
        let name = |lang: Language| match audience {
            Audience::Customer => [lang.as_str(), "/", event.as_str()].concat(),
            Audience::Merchant => [lang.as_str(), "/merchant/", event.as_str()].concat(),
        };
        self.first_present(name(language), || name(Language::En))
    }

    /// `preferred` when it exists, else the fallback (built only then), when that exists.
    fn first_present(
        &self,
        preferred: String,
        fallback: impl FnOnce() -> String,
    ) -> Option<String> {
        if self.has(&preferred) {
            return Some(preferred);
        }
        let fallback = fallback();
        self.has(&fallback).then_some(fallback)
    }

    /// Renders the message for `event` to `audience` in `language` (falling back to `en`).
    pub fn render(
        &self,
        event: EventKind,
        audience: Audience,
        language: Language,
        ctx: &RenderContext,
    ) -> Result<Rendered, TemplateError> {
        self.render_vars(event, audience, language, &ctx.vars())
    }

    /// `render` from borrowed variables.
    pub(crate) fn render_vars(
        &self,
        event: EventKind,
        audience: Audience,
        language: Language,
        vars: &Vars<'_>,
    ) -> Result<Rendered, TemplateError> {
        let template =
            self.resolve(event, audience, language)
                .ok_or_else(|| TemplateError::Missing {
                    event: event.as_str().to_owned(),
                    audience,
                    language: language.as_str(),
                })?;
        self.render_named(template, vars)
    }

    /// Renders a merchant notice (`<lang>/merchant/reply` or `<lang>/merchant/alert`).
    pub fn render_notice(
        &self,
        notice: MerchantNotice,
        language: Language,
        ctx: &RenderContext,
    ) -> Result<Rendered, TemplateError> {
        let name = |lang: Language| format!("{}/merchant/{}", lang.as_str(), notice.as_str());
        let template = self
            .first_present(name(language), || name(Language::En))
            .ok_or_else(|| TemplateError::Missing {
                event: notice.as_str().to_owned(),
                audience: Audience::Merchant,
                language: language.as_str(),
            })?;
        self.render_named(template, &ctx.vars())
    }

    fn render_named(&self, template: String, vars: &Vars<'_>) -> Result<Rendered, TemplateError> {
        let mut text = self.render_untrimmed(&template, vars)?;
        // Trimmed in place: the `.hbs` files end with a newline.
        text.truncate(text.trim_end().len());
        let leading = text.len() - text.trim_start().len();
        text.drain(..leading);
        Ok(Rendered { text, template })
    }

    /// Template `name`'s text, as the engine renders it (the shipped texts are parsed here
    /// the first time).
    fn render_untrimmed(&self, name: &str, vars: &Vars<'_>) -> Result<String, TemplateError> {
        // Errors here passed the checks at load: a shipped text's say where.
        let (nodes, source) = match (self.override_nodes(name), self.shipped(name)) {
            (Some(nodes), _) => (nodes, None),
            (None, Some(shipped)) => (shipped.parsed()?, Some(shipped.source)),
            (None, None) => {
                return Err(TemplateError::Render {
                    template: name.to_owned(),
                    message: "no such template".to_owned(),
                });
            }
        };
        render::render(nodes, vars).map_err(|e| render_error(name, source, e))
    }

    fn override_nodes(&self, name: &str) -> Option<&Nodes> {
        let found = self
            .overrides
            .binary_search_by(|(n, _)| n.as_str().cmp(name));
        found.ok().map(|i| &self.overrides[i].1)
    }

    fn shipped(&self, name: &str) -> Option<&Shipped> {
        let found = self.shipped.binary_search_by(|s| s.name.cmp(name));
        found.ok().map(|i| &self.shipped[i])
    }
}

/// `fr/shipped`, `en/merchant/placed`, `merchant/en/placed` → canonical name, when valid.
fn canonical_name(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.trim().split('/').collect();
    let (lang, merchant, event) = match parts.as_slice() {
        [lang, event] => (*lang, false, *event),
        [lang, "merchant", event] | ["merchant", lang, event] => (*lang, true, *event),
        _ => return None,
    };
    let lang = Language::ALL.into_iter().find(|l| l.as_str() == lang)?;
    let known_event = EventKind::parse(event).is_some();
    let notice = merchant && matches!(event, "reply" | "alert");
    if !(known_event || notice) {
        return None;
    }
    Some(if merchant {
        format!("{}/merchant/{event}", lang.as_str())
    } else {
        format!("{}/{event}", lang.as_str())
    })
}

/// Parses template `name`, with the limits that keep a hostile source from holding the
/// Worker (see [`MAX_NESTING`], [`MAX_EXPRESSIONS`]).
fn parse(name: &str, source: &str) -> Result<Nodes, TemplateError> {
    let syntax = |line, column, message| TemplateError::Syntax {
        template: name.to_owned(),
        line,
        column,
        message,
    };
    if let Some(line) = too_deep(source) {
        return Err(syntax(
            Some(line),
            None,
            format!("blocks and subexpressions nest more than {MAX_NESTING} levels deep"),
        ));
    }
    let expressions = source.matches("{{").count();
    if expressions > MAX_EXPRESSIONS {
        return Err(syntax(
            None,
            None,
            format!(
                "{expressions} {{{{...}}}} expressions, more than {MAX_EXPRESSIONS}: a text message needs a few dozen"
            ),
        ));
    }
    syntax::parse(source).map_err(|e| syntax(Some(e.line), Some(e.column), e.message))
}

/// How deep `{{#block}}`s and `(subexpressions)` may nest. Parsing, checking and rendering
/// recurse once per level: thousands of levels overflow the stack, which in WASM (the npm
/// package, the Worker) is a trap that leaves the instance unusable, not an error.
const MAX_NESTING: usize = 64;

/// How many `{{...}}` a template may hold: an SMS template has a few dozen, and each costs
/// checking and rendering time at every load. (handlebars-rust's parse time grew with the
/// square of their number: 8,000 took 4 s natively, 100,000 over 5 minutes in WASM.)
const MAX_EXPRESSIONS: usize = 1000;

/// The line of the first `{{...}}` at which blocks and subexpressions nest deeper than
/// [`MAX_NESTING`], if any. A rough count (comments are skipped, string literals are not
/// parsed), enough to stop sources no SMS template comes near.
fn too_deep(source: &str) -> Option<usize> {
    let mut blocks: usize = 0;
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let start = source.len() - rest.len() + open;
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            break;
        };
        let inner = after[..close].trim_start_matches(['{', '~']).trim_start();
        rest = &after[close + 2..];
        if inner.starts_with('!') {
            continue;
        }
        if inner.starts_with('/') {
            blocks = blocks.saturating_sub(1);
        } else if inner.starts_with('#') || (inner.starts_with('^') && inner.trim_end().len() > 1) {
            blocks += 1;
        }
        let mut parens: usize = 0;
        let mut deepest = 0;
        for c in inner.chars() {
            match c {
                '(' => {
                    parens += 1;
                    deepest = deepest.max(parens);
                }
                ')' => parens = parens.saturating_sub(1),
                _ => {}
            }
        }
        if blocks + deepest > MAX_NESTING {
            return Some(source[..start].matches('\n').count() + 1);
        }
    }
    None
}

/// " (line 2, column 5)": where byte `at` of `source` is, when the source is known.
fn place(source: Option<&str>, at: usize) -> String {
    source.map_or(String::new(), |source| {
        let (line, column) = syntax::line_column(source, at);
        format!(" (line {line}, column {column})")
    })
}

/// `e` as the error of template `template`, placed in `source` when it is known.
fn render_error(template: &str, source: Option<&str>, e: RenderError) -> TemplateError {
    let render = |message: String| TemplateError::Render {
        template: template.to_owned(),
        message,
    };
    let place_of = |path: &Path| place(source, path.at);
    match e {
        RenderError::Missing(Some(path)) => {
            // Strict mode also refuses `{{#with order.total}}` or `{{#each ...}}` over a
            // known variable that is null for this order (the load check renders an empty
            // one): that variable is not unknown, it needs a guard.
            let variable = &path.raw;
            if is_known(&path) {
                return render(format!(
                    "`{variable}`{} is missing (null) for some orders; use it inside \
                     {{{{#if {variable}}}}}...{{{{/if}}}}",
                    place_of(&path)
                ));
            }
            // Not known from the top either (see above), so no hint to give.
            let unknown = render::Unknown {
                path: &path,
                in_block: false,
            };
            unknown_variable(template, source, unknown)
        }
        // A helper's result has no variable name, e.g. `{{lookup order.items 0}}` on an
        // order without items (the load check renders an empty order).
        RenderError::Missing(None) => render(
            "it prints a value that is missing for some orders (e.g. `lookup` on an empty \
             list); print it inside {{#if ...}} that tests it"
                .to_owned(),
        ),
        RenderError::MissingArgument { helper, index, at } => render(format!(
            "`{helper}`'s {} value{} is missing for some orders; test it with {{{{#if ...}}}} \
             first",
            if index == 0 { "first" } else { "second" },
            place(source, at)
        )),
        RenderError::NotAnIndex(path) => render(format!(
            "`{}`{}: a list is read by position (`order.items.0.name`) or with {{{{#each}}}}",
            path.raw,
            place_of(&path)
        )),
    }
}

/// An unknown variable; inside `each` or `with`, one that the top of the template has is
/// named with the way to reach it from there.
fn unknown_variable(
    template: &str,
    source: Option<&str>,
    unknown: render::Unknown<'_>,
) -> TemplateError {
    let path = unknown.path;
    if unknown.in_block && matches!(path.start, Start::Scope { up: 0 }) && is_known(path) {
        let place = place(source, path.at);
        return TemplateError::Render {
            template: template.to_owned(),
            message: format!(
                "`{0}`{place} is read from the value `{{{{#each}}}}` or `{{{{#with}}}}` \
                 makes `this`, which has no `{0}`; write `@root.{0}` (or `../{0}`)",
                path.raw
            ),
        };
    }
    let at = source.map(|source| syntax::line_column(source, path.at));
    TemplateError::UnknownVariable {
        template: template.to_owned(),
        variable: path.raw.to_string(),
        line: at.map(|(line, _)| line),
        column: at.map(|(_, column)| column),
    }
}

/// Whether `path`, read from the top of a template, names a variable of [`RenderContext`].
fn is_known(path: &Path) -> bool {
    let sample = RenderContext::sample();
    render::exists(path, &sample.vars())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_names_are_canonicalized() {
        assert_eq!(canonical_name("fr/shipped").as_deref(), Some("fr/shipped"));
        assert_eq!(
            canonical_name("merchant/en/placed").as_deref(),
            Some("en/merchant/placed")
        );
        assert_eq!(
            canonical_name("de/merchant/reply").as_deref(),
            Some("de/merchant/reply")
        );
        assert_eq!(canonical_name("fr/reply"), None);
        assert_eq!(canonical_name("pt/shipped"), None);
        assert_eq!(canonical_name("fr/shiped"), None);
        assert_eq!(canonical_name("shipped"), None);
    }

    #[test]
    fn sources_nested_thousands_deep_are_syntax_errors_not_stack_overflows() {
        let deep_blocks = format!(
            "Hello\n{}{{{{customer.first_name}}}}{}",
            "{{#if customer.first_name}}".repeat(5000),
            "{{/if}}".repeat(5000)
        );
        let deep_subexpressions = format!(
            "{{{{lookup {}customer \"first_name\"{} \"x\"}}}}",
            "(lookup ".repeat(5000),
            ")".repeat(5000)
        );
        for source in [deep_blocks, deep_subexpressions] {
            let Err(err) = Templates::with_overrides(&[("fr/shipped".to_owned(), source)]) else {
                panic!("refused");
            };
            let TemplateError::Syntax {
                template, message, ..
            } = &err
            else {
                panic!("{err}");
            };
            assert_eq!(template, "fr/shipped");
            assert!(message.contains("nest more than 64"), "{message}");
        }
        // Real templates nest a few levels, `{{^}}` (else) and comments included.
        let nested = format!(
            "{{{{!-- {{{{#if x}}}} --}}}}{}Hi {{{{customer.first_name}}}}{{{{^}}}}Hi{}",
            "{{#if customer.first_name}}".repeat(10),
            "{{/if}}".repeat(10)
        );
        Templates::with_overrides(&[("fr/shipped".to_owned(), nested)]).unwrap();
    }

    #[test]
    fn sources_with_thousands_of_expressions_are_refused_before_parsing() {
        // Handlebars' parse time grows with the square of the expressions: 8,000 took 4 s
        // natively, 100,000 over 5 minutes in WASM. No SMS needs more than a few dozen.
        let source = "{{customer.first_name}} ".repeat(8000);
        let Err(TemplateError::Syntax { message, .. }) =
            Templates::with_overrides(&[("fr/shipped".to_owned(), source)])
        else {
            panic!("refused");
        };
        assert!(message.contains("more than 1000"), "{message}");
        let many = "{{customer.first_name}} ".repeat(1000);
        Templates::with_overrides(&[("fr/shipped".to_owned(), many)]).unwrap();
    }

    /// Two spellings of one name (`merchant/<lang>/<event>` is `<lang>/merchant/<event>`):
    /// the later in the list is the one kept.
    #[test]
    fn of_two_spellings_of_one_template_the_later_wins() {
        let ctx = RenderContext::sample();
        let spellings = ["en/merchant/placed", "merchant/en/placed"];
        for (first, second) in [(spellings[0], spellings[1]), (spellings[1], spellings[0])] {
            let overrides = [
                (first.to_owned(), "first".to_owned()),
                (second.to_owned(), "second".to_owned()),
            ];
            let templates = Templates::with_overrides(&overrides).unwrap();
            let text = templates.render(EventKind::Placed, Audience::Merchant, Language::En, &ctx);
            assert_eq!(text.unwrap().text, "second", "{first} then {second}");
        }
    }

    /// Every shipped text is read back from the one text they are kept in: six languages of
    /// the same names, none holding the NUL that separates them.
    #[test]
    fn the_shipped_texts_read_back_whole() {
        let all: Vec<(&str, &str)> = defaults().collect();
        assert_eq!(DEFAULTS.matches('\0').count(), 2 * all.len());
        assert_eq!(all.len(), 6 * 23);
        for language in ["en", "fr", "de", "nl", "es", "it"] {
            let names: Vec<&str> = all
                .iter()
                .filter_map(|(name, _)| name.strip_prefix(language)?.strip_prefix('/'))
                .collect();
            assert_eq!(names.len(), 23, "{language}");
            assert!(names.contains(&"shipped") && names.contains(&"merchant/alert"));
        }
        let shipped_fr = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../templates/fr/shipped.hbs"
        ))
        .unwrap();
        assert_eq!(default_source("fr/shipped"), Some(shipped_fr.as_str()));
        assert!(all.iter().all(|(_, source)| !source.trim().is_empty()));
    }

    /// The shipped texts are not checked at load (see `Templates::shipped`): here they pass
    /// every check a shop's own template gets, and all render without Handlebars.
    #[test]
    fn every_shipped_text_passes_the_checks_of_a_shop_s_own_template() {
        let all: Vec<(String, String)> = defaults()
            .map(|(name, source)| (name.to_owned(), source.to_owned()))
            .collect();
        let checked = Templates::with_overrides(&all).unwrap();
        assert!(checked.shipped.is_empty());
        assert_eq!(checked.overrides.len(), defaults().count());
    }

    #[test]
    fn shipped_texts_are_compiled_when_first_used_and_render_as_when_checked() {
        let lazy = Templates::defaults().unwrap();
        assert_eq!(lazy.shipped.len(), defaults().count());
        assert!(lazy.shipped.iter().all(|s| s.parsed.get().is_none()));
        let all: Vec<(String, String)> = defaults()
            .map(|(name, source)| (name.to_owned(), source.to_owned()))
            .collect();
        let checked = Templates::with_overrides(&all).unwrap();
        let ctx = RenderContext::sample();
        for language in Language::ALL {
            for event in EventKind::ALL {
                for audience in [Audience::Customer, Audience::Merchant] {
                    // Not every event has a merchant text (shipped...): both say so alike.
                    let rendered = lazy.render(event, audience, language, &ctx);
                    assert_eq!(rendered, checked.render(event, audience, language, &ctx));
                }
            }
        }
        let first = lazy.shipped("fr/shipped").unwrap();
        assert!(first.parsed.get().is_some());
        // An override takes the shipped text's place.
        let custom =
            Templates::with_overrides(&[("fr/shipped".to_owned(), "Parti !".to_owned())]).unwrap();
        assert!(custom.shipped("fr/shipped").is_none());
        assert_eq!(custom.shipped.len(), defaults().count() - 1);
        let text = custom.render(EventKind::Shipped, Audience::Customer, Language::Fr, &ctx);
        assert_eq!(text.unwrap().text, "Parti !");
    }

    #[test]
    fn partials_are_refused_where_they_are_written() {
        let source = "Bonjour !\n  {{> en/placed}}";
        let e =
            Templates::with_overrides(&[("fr/placed".to_owned(), source.to_owned())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "template \"fr/placed\": syntax error at line 2, column 5: partials `{{>…}}` are not supported"
        );
    }

    /// Handlebars beyond what the engine supports is refused when the configuration is
    /// loaded, at its line and column, saying what is not supported.
    #[test]
    fn handlebars_beyond_the_supported_part_is_refused_at_load_where_it_is_written() {
        for (source, expected) in [
            ("Hi {{> footer}}", "at line 1, column 6: partials"),
            (
                "Hi\n{{#*inline \"x\"}}y{{/inline}}",
                "at line 2, column 4: decorators and partial blocks are not supported",
            ),
            (
                "{{{{raw}}}}x{{{{/raw}}}}",
                "at line 1, column 1: raw blocks",
            ),
            (
                "{{#if refund.full includeZero=true}}x{{/if}}",
                "at line 1, column 19: hash arguments (`key=value`) are not supported",
            ),
            (
                "{{#each order.items as |item|}}{{item.name}}{{/each}}",
                "at line 1, column 21: block parameters (`as |x|`) are not supported",
            ),
            (
                "{{log order.name}}",
                "at line 1, column 3: unknown helper `log`",
            ),
            (
                "{{#if (eq order.items [1])}}x{{/if}}",
                "at line 1, column 23: array and object literals are not supported",
            ),
            (
                "{{eq order.item_count 1 2}}",
                "at line 1, column 3: `eq` takes two values, not 3",
            ),
            (
                "{{money}}",
                "at line 1, column 3: `{{money}}` needs a value",
            ),
            (
                "Bonjour\n  {{#if order.name}}x",
                "at line 2, column 3: `{{#if}}` is never closed",
            ),
            (
                "{{#if order.name}}x{{/unless}}",
                "at line 1, column 20: `{{#if}}` is closed by `{{/unless}}`",
            ),
        ] {
            let overrides = [("fr/placed".to_owned(), source.to_owned())];
            let e = Templates::with_overrides(&overrides).unwrap_err();
            assert!(matches!(e, TemplateError::Syntax { .. }), "{source:?}: {e}");
            let message = e.to_string();
            assert!(message.contains(expected), "{source:?}: {message}");
        }
    }

    #[test]
    fn every_default_event_template_exists_in_every_language() {
        let templates = Templates::defaults().unwrap();
        for lang in Language::ALL {
            for event in EventKind::ALL {
                let name = format!("{}/{}", lang.as_str(), event.as_str());
                assert!(templates.has(&name), "{name}");
            }
            for n in [
                "placed",
                "cancelled",
                "refunded",
                "partially_refunded",
                "delivery_failed",
                "reply",
                "alert",
            ] {
                let name = format!("{}/merchant/{n}", lang.as_str());
                assert!(templates.has(&name), "{name}");
            }
        }
    }
}
