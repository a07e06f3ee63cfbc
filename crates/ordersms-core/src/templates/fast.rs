//! Renders the templates straight from the variables of a `RenderContext`, without Handlebars.
//!
//! handlebars-rust serializes the whole context into a `serde_json::Value` on every render
//! and then walks it; for a one-line SMS that costs more than planning the message. At load,
//! each registered template whose parsed tree only uses the small subset the shipped texts
//! use (text, `{{path}}`, `{{#if}}` / `{{#unless}}` with `{{else}}`, the comparison helpers
//! with a number, and the `money` / `date` / `first_name` helpers) becomes a [`Program`]
//! that reads the variables directly, borrowed as [`Vars`] (from a `RenderContext`, or by
//! the planner from the order event without copying a string). Everything else, and every
//! render that could go wrong (a variable missing in strict mode, a value Handlebars would
//! print as a list), is left to Handlebars, so texts and errors stay exactly those of
//! Handlebars.
//!
//! It must not guess: each rule below mirrors a line of handlebars-rust 6 (`render.rs`,
//! `helpers/helper_if.rs`, `helpers/helper_extras.rs`, `json/value.rs`) or of the helpers in
//! `templates.rs`, and the tests compare both renderers on every shipped template.

use std::cmp::Ordering;
use std::fmt::Write;

use handlebars::template::{HelperTemplate, Parameter, Template, TemplateElement};
use handlebars::{Path, PathSeg};

use super::{Money, Vars, format_date, format_money};

/// A template compiled for [`RenderContext`](super::RenderContext).
#[derive(Debug, Clone)]
pub(crate) struct Program(Vec<Op>);

#[derive(Debug, Clone)]
enum Op {
    Text(Box<str>),
    /// `{{path}}`.
    Value(Get),
    /// `{{money path}}`, `{{date path}}`, `{{first_name path}}`.
    Helper(OwnHelper, Get),
    /// `{{#if}}` (`{{#unless}}` swaps the branches).
    If(Test, Vec<Op>, Vec<Op>),
}

#[derive(Debug, Clone, Copy)]
enum OwnHelper {
    Money,
    Date,
    FirstName,
}

#[derive(Debug, Clone)]
enum Test {
    Truthy(Get),
    /// `(eq path 1)` and the like: a path against a non-negative integer literal.
    Compare(Get, fn(Ordering) -> bool, u64),
}

/// A context value as Handlebars would see it in the serialized context.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val<'a> {
    /// Not in the JSON (a field of an absent `Option<MoneyVars>`).
    Missing,
    Null,
    Str(&'a str),
    Bool(bool),
    Num(u32),
    Money(Money<'a>),
    /// Any other struct: every one has fields, so it is truthy.
    Object,
    /// A list, with its length.
    List(usize),
}

type Get = for<'a> fn(&Vars<'a>) -> Val<'a>;

fn text(value: Option<&str>) -> Val<'_> {
    value.map_or(Val::Null, Val::Str)
}

fn money(value: Option<Money<'_>>) -> Val<'_> {
    value.map_or(Val::Null, Val::Money)
}

fn money_field<'a>(value: Option<Money<'a>>, field: fn(Money<'a>) -> &'a str) -> Val<'a> {
    value.map_or(Val::Missing, |m| Val::Str(field(m)))
}

/// Every path of the serialized [`RenderContext`](super::RenderContext) (field names as serde
/// writes them). A path not here (a list index, `@root`, `..`) keeps its template on
/// Handlebars.
pub(crate) const PATHS: &[(&str, Get)] = &[
    ("locale", |v| Val::Str(v.locale)),
    ("shop", |_| Val::Object),
    ("shop.name", |v| Val::Str(v.shop_name)),
    ("customer", |_| Val::Object),
    ("customer.first_name", |v| text(v.first_name)),
    ("customer.last_name", |v| text(v.last_name)),
    ("customer.name", |v| text(v.name)),
    ("order", |_| Val::Object),
    ("order.name", |v| Val::Str(v.order_name)),
    ("order.total", |v| money(v.total)),
    ("order.total.amount", |v| money_field(v.total, |m| m.amount)),
    ("order.total.currency", |v| {
        money_field(v.total, |m| m.currency)
    }),
    ("order.items", |v| Val::List(v.items)),
    ("order.item_count", |v| Val::Num(v.item_count)),
    ("order.status_url", |v| text(v.status_url)),
    ("order.created_at", |v| text(v.created_at)),
    ("tracking", |_| Val::Object),
    ("tracking.company", |v| text(v.tracking_company)),
    ("tracking.number", |v| text(v.tracking_number)),
    ("tracking.url", |v| text(v.tracking_url)),
    ("refund", |_| Val::Object),
    ("refund.amount", |v| money(v.refund_amount)),
    ("refund.amount.amount", |v| {
        money_field(v.refund_amount, |m| m.amount)
    }),
    ("refund.amount.currency", |v| {
        money_field(v.refund_amount, |m| m.currency)
    }),
    ("refund.full", |v| Val::Bool(v.refund_full)),
    ("refund.total", |v| money(v.refund_total)),
    ("refund.total.amount", |v| {
        money_field(v.refund_total, |m| m.amount)
    }),
    ("refund.total.currency", |v| {
        money_field(v.refund_total, |m| m.currency)
    }),
    ("reply", |_| Val::Object),
    ("reply.from", |v| text(v.reply_from)),
    ("reply.text", |v| text(v.reply_text)),
    ("failure", |_| Val::Object),
    ("failure.to", |v| text(v.failure_to)),
    ("failure.event", |v| text(v.failure_event)),
    ("failure.reason", |v| text(v.failure_reason)),
];

impl Program {
    /// The program of `template`, or `None` when it uses anything outside the subset.
    pub(crate) fn compile(template: &Template) -> Option<Program> {
        compile_all(template).map(Program)
    }

    /// The text Handlebars would render, or `None` where only Handlebars can say (then it
    /// renders, or fails, itself).
    pub(crate) fn render(&self, vars: &Vars<'_>) -> Option<String> {
        let mut out = String::with_capacity(160);
        run(&self.0, vars, &mut out)?;
        Some(out)
    }
}

fn compile_all(template: &Template) -> Option<Vec<Op>> {
    let mut ops = Vec::with_capacity(template.elements.len());
    for element in &template.elements {
        match element {
            TemplateElement::RawString(text) => ops.push(Op::Text(text.as_str().into())),
            TemplateElement::Comment(_) => {}
            // The escape function is `no_escape`: `{{{x}}}` renders as `{{x}}`.
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                ops.push(expression(ht)?);
            }
            TemplateElement::HelperBlock(ht) => ops.push(block(ht)?),
            _ => return None,
        }
    }
    Some(ops)
}

fn plain(ht: &HelperTemplate) -> bool {
    ht.hash.is_empty() && ht.block_param.is_none()
}

fn expression(ht: &HelperTemplate) -> Option<Op> {
    if !plain(ht) {
        return None;
    }
    match (&ht.name, ht.params.as_slice()) {
        // A name-only path: no entry of `PATHS` is also a helper's name (tested).
        (Parameter::Path(path), []) => Some(Op::Value(lookup(path)?)),
        (Parameter::Name(name), [Parameter::Path(path)]) => {
            let helper = match name.as_str() {
                "money" => OwnHelper::Money,
                "date" => OwnHelper::Date,
                "first_name" => OwnHelper::FirstName,
                _ => return None,
            };
            Some(Op::Helper(helper, lookup(path)?))
        }
        _ => None,
    }
}

fn block(ht: &HelperTemplate) -> Option<Op> {
    let positive = match ht.name.as_name()? {
        "if" => true,
        "unless" => false,
        _ => return None,
    };
    if !plain(ht) || !matches!(ht.name, Parameter::Name(_)) {
        return None;
    }
    let test = match ht.params.as_slice() {
        [Parameter::Path(path)] => Test::Truthy(lookup(path)?),
        [Parameter::Subexpression(sub)] => comparison(sub.as_element())?,
        _ => return None,
    };
    let branch = |t: &Option<Template>| t.as_ref().map_or(Some(Vec::new()), compile_all);
    let (then, otherwise) = (branch(&ht.template)?, branch(&ht.inverse)?);
    Some(if positive {
        Op::If(test, then, otherwise)
    } else {
        Op::If(test, otherwise, then)
    })
}

/// `(eq path 1)`, `(lte path 1)`, …: handlebars' comparison helpers on a number.
fn comparison(element: &TemplateElement) -> Option<Test> {
    let TemplateElement::Expression(ht) = element else {
        return None;
    };
    let Parameter::Name(name) = &ht.name else {
        return None;
    };
    let holds: fn(Ordering) -> bool = match name.as_str() {
        "eq" => Ordering::is_eq,
        "ne" => Ordering::is_ne,
        "lt" => Ordering::is_lt,
        "lte" => Ordering::is_le,
        "gt" => Ordering::is_gt,
        "gte" => Ordering::is_ge,
        _ => return None,
    };
    match ht.params.as_slice() {
        // `as_u64` is `None` for `1.0` and `-1`, which `eq` would not find equal to a count.
        [Parameter::Path(path), Parameter::Literal(literal)] if plain(ht) => {
            Some(Test::Compare(lookup(path)?, holds, literal.as_u64()?))
        }
        _ => None,
    }
}

/// The accessor of a plain path (`order.total`, `this.order.total`, `[order].total`).
fn lookup(path: &Path) -> Option<Get> {
    let Path::Relative((segments, _)) = path else {
        return None;
    };
    let mut key = String::new();
    for segment in segments {
        // `[a.b]` is one key named "a.b", not the path `a.b`.
        let PathSeg::Named(name) = segment else {
            return None;
        };
        if name.contains(['.', '/']) {
            return None;
        }
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(name);
    }
    PATHS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, get)| *get)
}

fn run(ops: &[Op], ctx: &Vars<'_>, out: &mut String) -> Option<()> {
    for op in ops {
        match op {
            Op::Text(text) => out.push_str(text),
            Op::Value(get) => match get(ctx) {
                // Strict mode fails on a missing variable; Handlebars says how.
                Val::Missing | Val::List(_) => return None,
                Val::Null => {}
                Val::Str(s) => out.push_str(s),
                Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
                Val::Num(n) => write!(out, "{n}").ok()?,
                Val::Money(_) | Val::Object => out.push_str("[object]"),
            },
            Op::Helper(helper, get) => helper.write(get(ctx), ctx.locale, out),
            Op::If(test, then, otherwise) => {
                let branch = if test.holds(ctx)? { then } else { otherwise };
                run(branch, ctx, out)?;
            }
        }
    }
    Some(())
}

impl OwnHelper {
    /// As `money_helper`, `date_helper` and `first_name_helper` in `templates.rs`.
    fn write(self, value: Val<'_>, locale: &str, out: &mut String) {
        match (self, value) {
            (OwnHelper::Money, Val::Money(m)) => {
                out.push_str(&format_money(m.amount, m.currency, locale));
            }
            (OwnHelper::Date, Val::Str(s)) => {
                out.push_str(&format_date(s, locale).unwrap_or_default());
            }
            (OwnHelper::FirstName, Val::Str(s)) => {
                out.push_str(s.split_whitespace().next().unwrap_or(""));
            }
            _ => {}
        }
    }
}

impl Test {
    /// Handlebars' truthiness (`JsonTruthy`, without `includeZero`); `None` when a comparison
    /// would fail in strict mode or compare other than two integers.
    fn holds(&self, ctx: &Vars<'_>) -> Option<bool> {
        match self {
            Test::Truthy(get) => Some(match get(ctx) {
                Val::Missing | Val::Null => false,
                Val::Str(s) => !s.is_empty(),
                Val::Bool(b) => b,
                Val::Num(n) => n != 0,
                Val::Money(_) | Val::Object => true,
                Val::List(len) => len > 0,
            }),
            Test::Compare(get, holds, literal) => match get(ctx) {
                Val::Num(n) => Some(holds(u64::from(n).cmp(literal))),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::super::{
        BUILTIN_HELPERS, DEFAULTS, MoneyVars, OWN_HELPERS, RenderContext, Templates,
    };
    use super::*;
    use crate::model::{Audience, EventKind, Language};

    /// The JSON Handlebars would see at `path`, `None` when absent.
    fn json_at<'a>(json: &'a Value, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(json, |here, key| here.get(key))
    }

    fn same_as_json(val: Val<'_>, json: Option<&Value>) -> bool {
        match (val, json) {
            (Val::Missing, None) | (Val::Null, Some(Value::Null)) => true,
            (Val::Str(s), Some(Value::String(j))) => s == j,
            (Val::Bool(b), Some(Value::Bool(j))) => b == *j,
            (Val::Num(n), Some(Value::Number(j))) => j.as_u64() == Some(u64::from(n)),
            (Val::Money(m), Some(j)) => {
                *j == serde_json::json!({"amount": m.amount, "currency": m.currency})
            }
            (Val::Object, Some(Value::Object(j))) => !j.is_empty(),
            (Val::List(n), Some(Value::Array(j))) => n == j.len(),
            _ => false,
        }
    }

    /// Values a shop or a customer really sends, and the edges: empty, blank, unicode,
    /// Handlebars syntax as data, text that is not a date or an amount.
    fn varied() -> Vec<RenderContext> {
        let mut out = Vec::new();
        for locale in ["fr-BE", "de-CH", "es", "it-IT", "nl", "en-GB", "pt", ""] {
            let mut ctx = RenderContext::sample();
            ctx.locale = locale.to_owned();
            out.push(ctx);
        }
        let mut ctx = RenderContext::sample();
        ctx.shop.name = String::new();
        ctx.customer.first_name = Some(String::new());
        ctx.customer.name = Some("  Zoë   Ångström-Łukasz ".to_owned());
        ctx.order.total = None;
        ctx.order.item_count = 1;
        ctx.tracking.url = None;
        ctx.refund.full = true;
        ctx.order.created_at = Some("yesterday".to_owned());
        out.push(ctx);
        let mut ctx = RenderContext {
            locale: "ja".to_owned(),
            ..RenderContext::default()
        };
        ctx.order.name = "{{order.name}} & <b>".to_owned();
        ctx.customer.name = Some(" ".to_owned());
        ctx.tracking.number = Some("0".to_owned());
        ctx.refund.amount = Some(MoneyVars {
            amount: "1234567.5".to_owned(),
            currency: "JPY".to_owned(),
        });
        ctx.reply.text = Some("😀 ok?\nmerci".to_owned());
        out.push(ctx);
        out
    }

    fn contexts() -> Vec<RenderContext> {
        let mut all = vec![RenderContext::sample(), RenderContext::default()];
        all.extend(varied());
        all
    }

    /// The fast text of `name`, which must exist and equal Handlebars' (both untrimmed).
    fn assert_same(templates: &Templates, name: &str, ctx: &RenderContext) {
        let program = templates.program(name).expect(name).expect(name);
        let fast = program.render(&ctx.vars());
        let slow = templates.render_handlebars(name, ctx);
        assert_eq!(fast.as_ref(), slow.as_ref().ok(), "{name}: {ctx:?}");
    }

    #[test]
    fn paths_read_what_handlebars_reads_in_the_serialized_context() {
        for ctx in contexts() {
            let json = serde_json::to_value(&ctx).unwrap();
            let vars = ctx.vars();
            for (path, get) in PATHS {
                let (val, json) = (get(&vars), json_at(&json, path));
                assert!(same_as_json(val, json), "{path}: {val:?} vs {json:?}");
            }
        }
    }

    #[test]
    fn every_variable_of_the_context_has_a_path() {
        fn leaves(prefix: &str, json: &Value, out: &mut Vec<String>) {
            if let Value::Object(map) = json {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    leaves(&path, value, out);
                    out.push(path);
                }
            }
        }
        let mut all = Vec::new();
        leaves(
            "",
            &serde_json::to_value(RenderContext::sample()).unwrap(),
            &mut all,
        );
        for path in all {
            assert!(PATHS.iter().any(|(p, _)| *p == path), "{path}");
        }
    }

    #[test]
    fn no_path_is_a_helper_name() {
        for (path, _) in PATHS {
            let helpers = OWN_HELPERS.iter().chain(&BUILTIN_HELPERS);
            assert!(!helpers.chain(&["len"]).any(|h| h == path), "{path}");
        }
    }

    #[test]
    fn every_shipped_template_renders_without_handlebars_as_handlebars_does() {
        let templates = Templates::defaults().unwrap();
        for (name, _) in DEFAULTS {
            for ctx in contexts() {
                assert_same(&templates, name, &ctx);
            }
        }
    }

    fn text() -> impl Strategy<Value = Option<String>> {
        let pool = [
            "",
            " ",
            "Camille",
            "  Jean  Pierre ",
            "Zoë Łukasz",
            "a & b",
            "{{x}}",
            "😀",
        ];
        proptest::option::of(proptest::sample::select(pool.to_vec()).prop_map(str::to_owned))
    }

    fn money() -> impl Strategy<Value = Option<MoneyVars>> {
        let amounts = ["0", "0.5", "1234.5", "-3.10", "1000000", "abc", ""];
        let currencies = ["EUR", "USD", "JPY", "KWD", "CHF", "XYZ", ""];
        proptest::option::of(
            (
                proptest::sample::select(amounts.to_vec()),
                proptest::sample::select(currencies.to_vec()),
            )
                .prop_map(|(amount, currency)| MoneyVars {
                    amount: amount.to_owned(),
                    currency: currency.to_owned(),
                }),
        )
    }

    prop_compose! {
        fn context()(
            locale in proptest::sample::select(vec!["en", "fr-FR", "fr-CA", "de-AT", "es", "nl", "it", "en_US", "xx"]),
            shop in text(), first in text(), last in text(), name in text(),
            order in text(), total in money(), item_count in 0_u32..4,
            created_at in proptest::option::of(proptest::sample::select(vec!["2026-01-20T10:15:00+01:00", "2026-13-01", ""])),
            tracking in (text(), text(), text()),
            refund in (money(), any::<bool>()),
            reply in (text(), text()),
            failure in (text(), text(), text()),
        ) -> RenderContext {
            let mut ctx = RenderContext::sample();
            ctx.locale = locale.to_owned();
            ctx.shop.name = shop.unwrap_or_default();
            ctx.customer.first_name = first;
            ctx.customer.last_name = last;
            ctx.customer.name = name;
            ctx.order.name = order.unwrap_or_default();
            ctx.order.total = total;
            ctx.order.item_count = item_count;
            ctx.order.created_at = created_at.map(str::to_owned);
            (ctx.tracking.company, ctx.tracking.number, ctx.tracking.url) = tracking;
            (ctx.refund.amount, ctx.refund.full) = refund;
            (ctx.reply.from, ctx.reply.text) = reply;
            (ctx.failure.to, ctx.failure.event, ctx.failure.reason) = failure;
            ctx
        }
    }

    proptest! {
        #[test]
        fn shipped_templates_render_alike_on_any_context(ctx in context()) {
            let templates = defaults();
            for (name, _) in DEFAULTS {
                assert_same(templates, name, &ctx);
            }
        }
    }

    fn defaults() -> &'static Templates {
        static DEFAULTS: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
        DEFAULTS.get_or_init(|| Templates::defaults().unwrap())
    }

    /// Overrides inside and outside the subset: compiled or not as expected, and
    /// `Templates::render` gives Handlebars' text or error either way.
    #[test]
    fn overrides_render_alike_and_fall_back_outside_the_subset() {
        let cases: &[(&str, bool)] = &[
            ("{{{shop.name}}} {{this.order.name}} {{order/name}}", true),
            ("{{~#if shop.name~}}  {{shop.name}}  {{~/if~}} !", true),
            ("{{! a comment }}{{!-- another --}}x", true),
            (
                "{{order}} {{order.total}} {{refund.full}} {{order.item_count}}",
                true,
            ),
            ("{{#unless refund.full}}part{{else}}all{{/unless}}", true),
            (
                "{{#if tracking.url}}u{{else if tracking.number}}n{{else}}-{{/if}}",
                true,
            ),
            (
                "{{#if (gt order.item_count 1)}}many{{/if}}{{#if (ne order.item_count 0)}}+{{/if}}",
                true,
            ),
            (
                "{{first_name customer.name}} {{date order.created_at}} {{money refund.amount}}",
                true,
            ),
            (
                "{{money order}} {{money refund}} {{date order.total}} {{first_name order.total}}",
                true,
            ),
            (
                "{{#if order.items}}items{{/if}}{{#if customer}}c{{/if}}{{#if order.item_count}}n{{/if}}",
                true,
            ),
            ("{{order.items}}", true),
            ("{{#if customer.name}}{{order.total.amount}}{{/if}}", true),
            (
                "{{#each order.items}}{{name}} x{{quantity}} {{/each}}",
                false,
            ),
            ("{{#with order}}{{name}}{{/with}}", false),
            ("{{@root.order.name}}", false),
            ("{{#if order.items}}{{lookup order.items 0}}{{/if}}", false),
            ("{{#if order.items}}{{order.items.0.name}}{{/if}}", false),
            ("{{money}}{{order.name}}", false),
            ("{{#if order.total includeZero=true}}t{{/if}}", false),
            ("{{#if (eq order.item_count 1.0)}}one{{/if}}", false),
            ("{{#if (eq order.item_count \"1\")}}one{{/if}}", false),
            ("{{#if (not refund.full)}}part{{/if}}", false),
            ("{{#money order.total}}x{{/money}}", false),
        ];
        let mut no_total = RenderContext::sample();
        no_total.order.total = None;
        let mut all = contexts();
        all.push(no_total);
        for (source, compiled) in cases {
            let overrides = [("en/placed".to_owned(), (*source).to_owned())];
            let templates = Templates::with_overrides(&overrides).expect(source);
            assert_eq!(
                templates.override_program("en/placed").is_some(),
                *compiled,
                "{source}"
            );
            for ctx in &all {
                let rendered = templates
                    .render(EventKind::Placed, Audience::Customer, Language::En, ctx)
                    .map(|r| r.text);
                let slow = templates
                    .render_handlebars("en/placed", ctx)
                    .map(|t| t.trim().to_owned());
                assert_eq!(rendered, slow, "{source}: {ctx:?}");
            }
        }
    }
}
