//! A differential harness: a template engine under test against handlebars-rust.
//!
//! ordersms is replacing handlebars-rust in its production build with its own engine for a
//! documented subset of Handlebars. That engine must render byte for byte what handlebars-rust
//! renders (as production configures it: strict mode, no escaping, ordersms's helpers) for
//! every source it accepts, and refuse at load whatever it does not support. Refusing is always
//! allowed; rendering differently, or accepting what handlebars-rust refuses, never is.
//!
//! This module renders with handlebars-rust as production does ([`reference_render`]),
//! generates contexts ([`contexts`]) and checks that property ([`assert_agrees`]) on
//! hand-picked sources around handlebars-rust's quirks. [`ours_engine`] is the one place to
//! plug the new engine in; until then it is the reference itself, so the tests show what
//! handlebars-rust does. Test code only: it must never become the production path.

use std::panic::{AssertUnwindSafe, catch_unwind};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext as HbsRenderContext,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;

use super::{ItemVars, MoneyVars, RenderContext, format_date, format_money};

/// A compiled template's renderer: the text, or why it could not render.
pub(super) type Renderer<'s> = Box<dyn Fn(&RenderContext) -> Result<String, String> + 's>;

/// An engine under test: `None` when it refuses `source` at parse (load), else its renderer.
pub(super) type Engine = dyn Fn(&str) -> Option<Renderer<'_>>;

/// A source compiled by handlebars-rust the way production compiles a shop's template.
pub(super) struct Reference {
    registry: Handlebars<'static>,
}

impl Reference {
    /// Compiles `source` in a registry configured as `Templates::with_overrides` configures
    /// its own. Production's own limits on nesting and on the number of `{{...}}` are not
    /// applied: generated sources stay far below them.
    pub(super) fn compile(source: &str) -> Result<Reference, String> {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        registry.set_strict_mode(true);
        registry.register_helper("money", Box::new(money_helper));
        registry.register_helper("date", Box::new(date_helper));
        registry.register_helper("first_name", Box::new(first_name_helper));
        // A panic of the reference on a near miss is reported as a refusal to compile,
        // not as a failure of the harness.
        let compiled = catch_unwind(AssertUnwindSafe(|| {
            registry.register_template_string("t", source)
        }));
        match compiled {
            Ok(Ok(())) => Ok(Reference { registry }),
            Ok(Err(e)) => Err(format!("compile error: {e}")),
            Err(_) => Err("compile panicked".to_owned()),
        }
    }

    /// The text, untrimmed (production trims it after rendering; the engine must not).
    pub(super) fn render(&self, ctx: &RenderContext) -> Result<String, String> {
        match catch_unwind(AssertUnwindSafe(|| self.registry.render("t", ctx))) {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(e)) => Err(format!("render error: {e}")),
            Err(_) => Err("render panicked".to_owned()),
        }
    }
}

/// `source` rendered with `ctx` by handlebars-rust as production renders it (untrimmed).
pub(super) fn reference_render(source: &str, ctx: &RenderContext) -> Result<String, String> {
    Reference::compile(source)?.render(ctx)
}

/// The engine under test.
fn ours_engine(source: &str) -> Option<Renderer<'_>> {
    // TODO(engine): plug the new engine in here, e.g.
    //     let program = super::engine::Program::parse(source).ok()?;
    //     Some(Box::new(move |ctx| program.render(ctx).map_err(|e| e.to_string())))
    let reference = Reference::compile(source).ok()?;
    Some(Box::new(move |ctx| reference.render(ctx)))
}

/// Checks that `ours` agrees with handlebars-rust on `source` for every context of `ctxs`,
/// and says whether `ours` accepted `source`. When it accepts, handlebars-rust must compile
/// `source` too, and for each context both must render the same text byte for byte, or both
/// fail. Panics with the source, the context and both results otherwise.
pub(super) fn assert_agrees(source: &str, ctxs: &[RenderContext], ours: &Engine) -> bool {
    match agreement(source, ctxs, ours) {
        Ok(accepted) => accepted,
        Err(message) => panic!("{message}"),
    }
}

/// [`assert_agrees`] returning its failure, for proptests (which then shrink the case).
fn agreement(source: &str, ctxs: &[RenderContext], ours: &Engine) -> Result<bool, String> {
    let Some(render) = ours(source) else {
        return Ok(false);
    };
    // Accepting what handlebars-rust refuses would turn today's error at load into an error
    // at the first order (or a text where there was none).
    let reference = Reference::compile(source).map_err(|e| {
        format!(
            "our engine accepts a source handlebars-rust refuses to compile\n  source:    {source:?}\n  reference: {e}"
        )
    })?;
    for ctx in ctxs {
        let (mine, theirs) = (render(ctx), reference.render(ctx));
        let agree = match (&mine, &theirs) {
            (Ok(mine), Ok(theirs)) => mine == theirs,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !agree {
            return Err(format!(
                "our engine renders differently from handlebars-rust\n  source:    {source:?}\n  context:   {}\n  ours:      {mine:?}\n  reference: {theirs:?}",
                describe(ctx)
            ));
        }
    }
    Ok(true)
}

/// `ctx` for a failure message: by name when it is `sample()` or `default()`.
fn describe(ctx: &RenderContext) -> String {
    if *ctx == RenderContext::sample() {
        "RenderContext::sample()".to_owned()
    } else if *ctx == RenderContext::default() {
        "RenderContext::default()".to_owned()
    } else {
        format!("{ctx:?}")
    }
}

// ordersms's helpers as production registers them. Copies of those in templates.rs, which
// move here when handlebars-rust leaves the production build.

fn locale_of(ctx: &Context) -> &str {
    ctx.data()
        .get("locale")
        .and_then(Value::as_str)
        .unwrap_or("en")
}

fn money_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut HbsRenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h.param(0).map(|p| p.value()).unwrap_or(&Value::Null);
    let amount = match value.get("amount") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Ok(()),
    };
    let currency = value.get("currency").and_then(Value::as_str).unwrap_or("");
    out.write(&format_money(&amount, currency, locale_of(ctx)))?;
    Ok(())
}

fn date_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut HbsRenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    if let Some(text) = h.param(0).and_then(|p| p.value().as_str()) {
        out.write(&format_date(text, locale_of(ctx)).unwrap_or_default())?;
    }
    Ok(())
}

fn first_name_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut HbsRenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    if let Some(text) = h.param(0).and_then(|p| p.value().as_str()) {
        out.write(text.split_whitespace().next().unwrap_or(""))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Contexts
// ---------------------------------------------------------------------------------------

/// Values a shop or a customer really sends, and the edges: empty, blank, unicode, numbers
/// and booleans as text, Handlebars syntax as data.
fn words() -> BoxedStrategy<Option<String>> {
    proptest::option::of(
        select(vec![
            "",
            " ",
            "Camille",
            "  Jean  Pierre ",
            "Zoë Łukasz",
            "a & b",
            "{{order.name}}",
            "\\{{x}}",
            "😀",
            "0",
            "1",
            "1.0",
            "true",
            "line\r\nbreak",
        ])
        .prop_map(str::to_owned),
    )
    .boxed()
}

fn money() -> BoxedStrategy<Option<MoneyVars>> {
    let amounts = vec![
        "0", "0.5", "1234.5", "-3.10", "1000000", "404.95", "abc", "",
    ];
    let currencies = vec!["EUR", "USD", "JPY", "KWD", "CHF", "XYZ", ""];
    proptest::option::of(
        (select(amounts), select(currencies)).prop_map(|(amount, currency)| MoneyVars {
            amount: amount.to_owned(),
            currency: currency.to_owned(),
        }),
    )
    .boxed()
}

fn item() -> BoxedStrategy<ItemVars> {
    (words(), 0_u32..3)
        .prop_map(|(name, quantity)| ItemVars {
            name: name.unwrap_or_default(),
            quantity,
        })
        .boxed()
}

prop_compose! {
    fn context()(
        locale in select(vec!["en", "fr-FR", "fr-CA", "de-AT", "es", "nl", "it", "en_US", "xx", ""]),
        shop in words(),
        customer in (words(), words(), words()),
        order in (
            words(),
            money(),
            proptest::collection::vec(item(), 0..=3),
            0_u32..4,
            proptest::option::of(select(vec!["https://shop.example/o?a=1&b=2", ""])),
            proptest::option::of(select(vec!["2026-01-20T10:15:00+01:00", "2026-13-01", ""])),
        ),
        tracking in (words(), words(), words()),
        refund in (money(), any::<bool>(), money()),
        reply in (words(), words()),
        failure in (words(), words(), words()),
    ) -> RenderContext {
        let mut ctx = RenderContext::sample();
        ctx.locale = locale.to_owned();
        ctx.shop.name = shop.unwrap_or_default();
        (ctx.customer.first_name, ctx.customer.last_name, ctx.customer.name) = customer;
        let (name, total, items, item_count, status_url, created_at) = order;
        ctx.order.name = name.unwrap_or_default();
        ctx.order.total = total;
        ctx.order.items = items;
        ctx.order.item_count = item_count;
        ctx.order.status_url = status_url.map(str::to_owned);
        ctx.order.created_at = created_at.map(str::to_owned);
        (ctx.tracking.company, ctx.tracking.number, ctx.tracking.url) = tracking;
        (ctx.refund.amount, ctx.refund.full, ctx.refund.total) = refund;
        (ctx.reply.from, ctx.reply.text) = reply;
        (ctx.failure.to, ctx.failure.event, ctx.failure.reason) = failure;
        ctx
    }
}

/// [`RenderContext::sample`], [`RenderContext::default`] and one to three varied contexts.
pub(super) fn contexts() -> BoxedStrategy<Vec<RenderContext>> {
    proptest::collection::vec(context(), 1..=3)
        .prop_map(|varied| {
            let mut all = vec![RenderContext::sample(), RenderContext::default()];
            all.extend(varied);
            all
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference renders the shipped texts as production does: the helpers copied here
    /// behave as production's.
    #[test]
    fn the_reference_renders_as_production_renders() {
        let templates = super::super::Templates::defaults().unwrap();
        let mut ctxs = samples(&contexts(), 20).concat();
        ctxs.dedup();
        for (name, source) in super::super::DEFAULTS {
            let reference = Reference::compile(source).unwrap();
            for ctx in &ctxs {
                let production = templates
                    .render_handlebars(name, ctx)
                    .map_err(|e| e.to_string());
                assert_eq!(
                    reference.render(ctx).is_ok(),
                    production.is_ok(),
                    "{name}: {ctx:?}"
                );
                if let (Ok(reference), Ok(production)) = (reference.render(ctx), production) {
                    assert_eq!(reference, production, "{name}: {ctx:?}");
                }
            }
        }
    }

    /// `count` values of `strategy`, the same on every run.
    fn samples<S: Strategy>(strategy: &S, count: usize) -> Vec<S::Value> {
        let mut runner = TestRunner::deterministic();
        (0..count)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    /// Hand-picked sources around handlebars-rust's quirks. Run with `--nocapture` to read
    /// what handlebars-rust renders for each on `sample()` and `default()`.
    #[test]
    fn tricky_sources_render_as_handlebars_renders_them() {
        let sample = RenderContext::sample();
        let mut no_items = RenderContext::sample();
        no_items.order.items.clear();
        let mut no_total = RenderContext::sample();
        no_total.order.total = None;
        no_total.refund.full = true;
        let ctxs = [sample.clone(), RenderContext::default(), no_items, no_total];
        for source in TRICKY {
            println!(
                "{source:?}\n    sample  → {:?}\n    default → {:?}",
                reference_render(source, &sample),
                reference_render(source, &ctxs[1]),
            );
            assert_agrees(source, &ctxs, &ours_engine);
        }
    }

    const TRICKY: &[&str] = &[
        // Standalone lines: a block tag, `{{else}}` or comment alone on its line (spaces and
        // tabs around it, then `\n`, `\r\n`, a lone `\r` or the end of the source) takes its
        // indentation and one line break with it; an expression never does. A no-break space
        // is no space here.
        "{{#if shop.name}}\r\nyes\r\n{{else}}\r\nno\r\n{{/if}}\r\nend",
        "a\r\n  {{#if shop.name}}\r\n b\r\n  {{/if}}\r\nc",
        "  {{#if shop.name}}  \n  yes\n  {{/if}}  \nend",
        "a\n\t{{#each order.items}}\t\n- {{name}}\n\t{{/each}}\t\nb",
        "x {{#if shop.name}}\ny\n{{/if}} z",
        "a\n  {{#if shop.name}}b{{/if}}  ",
        "a\n{{#if shop.name}}\nb\n{{/if}}",
        "{{#if shop.name}}  \n{{/if}}",
        "{{#if shop.name}}\n\n{{/if}}",
        "x\n  {{#if shop.name}}\ry{{/if}}",
        "a\n\u{a0}{{#if shop.name}}\u{a0}\nb{{/if}}",
        "a\n  {{shop.name}}  \nb",
        "a\n{{#if shop.name}}{{#if locale}}\nb\n{{/if}}{{/if}}\nc",
        "Hi\n{{! comment }}\nthere",
        "Hi\n  {{!-- long --}}  \r\nthere",
        "a\n  {{!c}}  {{!d}}  \nb",
        "{{#if refund.full}}\nall\n{{^}}\npart\n{{/if}}\n",
        "{{#if refund.full}}\na\n  {{else if shop.name}}  \nb\n{{/if}}",
        "{{#if shop.name}}\n{{#if locale}}\n  in\n{{/if}}\n{{/if}}\n",
        "a\n  {{#each order.items}}\n    {{name}}\n  {{/each}}\n",
        // `~` trims all whitespace (Unicode's: a no-break space, U+3000, U+2028 too) up to the
        // next non-space, line breaks included; and it combines with standalone lines.
        "a \n {{~shop.name~}} \n b",
        "a\n\n{{~#if shop.name~}}\n\n yes \n\n{{~/if~}}\n\nb",
        "{{#if refund.full}} a {{~else~}} b {{/if}}",
        "{{#if refund.full}}a{{else~}}\n  b{{/if}}",
        "a\n  {{~#if shop.name}}  \nb{{/if}}",
        "a\n  {{#if shop.name~}}  \n  b{{/if}}",
        "a\n{{#if shop.name}}\nb\n  {{~else}}  \nc\n{{/if}}",
        "\u{3000}{{~shop.name~}}\u{2028}x",
        "{{shop.name~}}\r\n\r\n  x",
        "{{{shop.name~}}}  x",
        "x  {{~&shop.name}}",
        // ... but `~` only reaches the text next to it in the same block body, a comment
        // stops `{{~`, and `~}}` goes on trimming the text after each following comment.
        "a {{#if shop.name}}{{~shop.name}}{{/if}}",
        "{{#if shop.name}}{{shop.name~}}{{/if}} b",
        "a {{!c}}{{~shop.name}}",
        "{{shop.name~}} {{!c}} b {{!d}} c",
        // In a comment `~` is text; before `!` it is a syntax error.
        "x {{!~ comment ~}} y",
        "x {{~! comment }} y",
        // Escapes: `\{{` prints `{{`; a run of backslashes before `{{` loses one and the
        // expression is live.
        "\\{{escaped}}",
        "\\\\{{shop.name}}",
        "\\\\\\{{shop.name}}",
        "\\{{{shop.name}}}",
        "a\\b \\ {{shop.name}}",
        // The spellings of an expression.
        "{{{shop.name}}} {{&shop.name}} {{{~ shop.name ~}}} {{~{shop.name}~}}",
        "{{ shop.name }} {{\tshop.name\n}}",
        "{{# if shop.name}}y{{/ if}}",
        "{{ #if shop.name }}y{{ /if }}",
        // else-if chains, `{{^}}`, and `else` or `^` glued to a name: an else-if.
        "{{#if tracking.url}}u{{else if tracking.number}}n{{else}}-{{/if}}",
        "{{#if refund.full}}a{{else if (eq order.item_count 3)}}b{{else if locale}}c{{/if}}",
        "{{#unless refund.full}}part{{else unless shop.name}}x{{else}}all{{/unless}}",
        "{{#if refund.full}}a{{^}}b{{/if}}",
        "{{#if refund.full}}a{{elseif shop.name}}b{{/if}}",
        "{{#if refund.full}}a{{^if shop.name}}b{{/if}}",
        "{{#if refund.full}}a{{elsewhere}}b{{/if}}",
        // Truthiness, and paths only tested are no error in strict mode.
        "{{#if 0}}a{{/if}}{{#if \"0\"}}b{{/if}}{{#if customer}}c{{/if}}{{#if order.items}}d{{/if}}{{#if order.item_count}}e{{/if}}{{#if \"\"}}f{{/if}}{{#if 0.0}}g{{/if}}{{#if -1}}h{{/if}}",
        "{{#if nope}}x{{else}}y{{/if}}",
        "{{#if order.items.5}}a{{else}}b{{/if}}",
        "{{#if (lookup order.items 5)}}a{{else}}b{{/if}}",
        // each over a list and over objects (keys in alphabetical order).
        "{{#each order.items}}{{@index}}:{{name}}x{{quantity}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}} {{/each}}",
        "{{#each order.items}}{{this}}|{{this.name}}|{{../shop.name}}|{{@root.locale}}\n{{/each}}",
        "{{#each order.items}}{{name}}{{#unless @last}}, {{/unless}}{{/each}}",
        "{{#each order.items}}{{@key}}{{/each}}",
        "{{#each order.items}}{{../../shop.name}}{{/each}}",
        "{{#each shop}}{{@key}}={{this}}{{/each}}",
        "{{#each shop}}{{@index}}{{@first}}{{@last}}{{/each}}",
        "{{#each order.total}}{{@key}}={{this}};{{/each}}",
        "{{#each order}}{{@key}},{{/each}}",
        "{{#each customer}}{{@index}}{{@key}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}} {{/each}}",
        "{{#each order.items}}x{{else}}none{{/each}}",
        "{{#each order.items}}x{{/each}}",
        "{{#each order.items}}{{#each @root.order.items}}{{@index}}{{/each}};{{/each}}",
        "{{#each refund.full}}x{{else}}not a list{{/each}}",
        "{{#each order.item_count}}x{{else}}not a list{{/each}}",
        // each and with over null: the else, or an error when there is none.
        "{{#each order.total}}x{{/each}}",
        "{{#each order.total}}x{{else}}none{{/each}}",
        "{{#with order.total}}x{{/with}}",
        "{{#with order.total}}{{amount}} {{currency}} {{../shop.name}}{{else}}none{{/with}}",
        "{{#with refund.full}}{{this}}{{else}}no{{/with}}",
        // A helper's name is a helper call, even where a variable of that name exists.
        "{{#with customer}}{{first_name}}|{{./first_name}}|{{this.first_name}}|{{name}} {{@root.order.name}}{{/with}}",
        // lookup: an index into a list, a key into an object; anything else is missing.
        "{{#with (lookup order.items 1)}}{{name}}{{/with}}",
        "{{lookup order.items 0}} {{lookup shop \"name\"}} {{lookup order.total 'amount'}}",
        "{{lookup order.items 5}}",
        "{{lookup order.items \"1\"}}",
        "{{lookup (lookup order.items 1) \"name\"}}",
        // Comparisons: JSON equality (1 is neither 1.0 nor \"1\"), numbers against numeric
        // strings as numbers, two strings as strings.
        "{{eq shop.name \"Maison Lumière\"}} {{eq order.item_count 3}} {{eq order.total order.total}} {{eq refund.amount refund.total}}",
        "{{eq 1 1.0}} {{eq 1 \"1\"}} {{eq null null}} {{eq customer customer}} {{ne 1 2}}",
        "{{eq -1 -1.0}} {{eq 0 -0}} {{eq \"\" null}}",
        "{{gt shop.name 1}} {{gt \"10\" 9}} {{gt 10 \"9\"}} {{gt \"10\" \"9\"}} {{lt 2 \"10\"}} {{lt \"a\" \"b\"}} {{gte order.item_count 3}} {{lte -1 0}}",
        "{{gt 1.5 1}} {{lt true false}} {{gt null 0}} {{gt order.items 1}}",
        "{{eq order.items.0.quantity 2}}",
        "{{len order.items}} {{len shop.name}} {{len customer}} {{len order.item_count}} {{len \"é\"}}",
        "{{and 1 \"x\" true}} {{or null false 0}} {{not (eq 1 2)}} {{and order.items \"\"}} {{or customer.name 0}}",
        "{{not 0}} {{not \"\"}} {{not customer}} {{not order.items}}",
        "{{#if (and (gt order.item_count 1) (not refund.full))}}many{{/if}}",
        "{{#eq order.item_count 3}}three{{else}}other{{/eq}}",
        "{{#not refund.full}}partial{{/not}}",
        "{{#and shop.name locale}}both{{else}}no{{/and}}",
        // Literals: `1E2` is a number (100.0), `1e2` a path.
        "{{eq 'single' \"single\"}} {{eq \"a\\\"b\" 'a\"b'}} {{eq 'it\\'s' \"it's\"}} {{eq \"\\u00e9\" \"é\"}}",
        "{{eq 1E2 100}} {{eq 1E2 100.0}}",
        "{{eq 1e2 100}}",
        "{{eq \"}}\" \"}}\"}}",
        // Printing non-strings, and strict mode: null prints nothing, missing is an error.
        "{{order.items}}|{{order}}|{{order.total}}|{{refund.full}}|{{order.item_count}}|{{this}}",
        "{{order.total.amount}}",
        "{{#if order.total}}{{order.total.amount}}{{/if}}",
        "{{customer.first_name}}|{{tracking.url}}",
        "{{order.items.length}}",
        "{{@index}}",
        "{{shop.name.length}}",
        "{{money order.total}} {{date order.created_at}} {{first_name customer.name}}",
        "{{{money order.total}}} {{money 1}} {{money order}}",
        "{{order.items.0.name}} {{order.items.[1].quantity}} {{[order].name}} {{order/name}} {{this.shop.name}} {{./locale}}",
        "{{@root.shop.name}}",
        // Comments.
        "{{!-- a }} b --}}c",
        "a{{!}}b{{!----}}c",
    ];
}
