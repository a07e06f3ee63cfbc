//! A differential harness: a template engine under test against handlebars-rust.
//!
//! ordersms is replacing handlebars-rust in its production build with its own engine for a
//! documented subset of Handlebars. That engine must render byte for byte what handlebars-rust
//! renders (as production configures it: strict mode, no escaping, ordersms's helpers) for
//! every source it accepts, and refuse at load whatever it does not support. Refusing is always
//! allowed; rendering differently, or accepting what handlebars-rust refuses, never is.
//!
//! This module generates sources within the subset ([`template`]), near misses of it
//! ([`garbage`]) and contexts ([`contexts`]), and checks that property ([`assert_agrees`]).
//! [`ours_engine`] is the one place to plug the new engine in; until then it is the reference
//! itself, so the tests exercise the generators and show what handlebars-rust does.
//!
//! Whitespace is where engines differ (standalone lines, `~`, `\r\n`), so the generators
//! spend most of their variety there. Test code only: it must never become the production path.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext as HbsRenderContext,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
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
    let nodes = super::syntax::parse(source).ok()?;
    Some(Box::new(move |ctx| {
        super::render::render(&nodes, &ctx.vars()).map_err(|e| format!("{e:?}"))
    }))
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
// Sources
// ---------------------------------------------------------------------------------------

/// Every variable path of [`RenderContext`].
const VARIABLES: &[&str] = &[
    "locale",
    "shop.name",
    "customer.first_name",
    "customer.last_name",
    "customer.name",
    "order.name",
    "order.total",
    "order.total.amount",
    "order.total.currency",
    "order.items",
    "order.item_count",
    "order.status_url",
    "order.created_at",
    "tracking.company",
    "tracking.number",
    "tracking.url",
    "refund.amount",
    "refund.full",
    "refund.total",
    "reply.from",
    "reply.text",
    "failure.to",
    "failure.event",
    "failure.reason",
];

/// The other spellings of paths the subset supports, at the root.
const ROOT_SPELLINGS: &[&str] = &[
    "this",
    "this.shop.name",
    "this.order.name",
    "./locale",
    "./customer.first_name",
    "@root.locale",
    "@root.order.name",
    "[order].name",
    "[customer].[first_name]",
    "order/name",
    "order/total/amount",
    "order.items.0.name",
    "order.items.1.quantity",
    "order.items.[1].quantity",
    "order.items.[0].name",
    "order",
    "shop",
    "customer",
];

/// Where a fragment of template sits: which names resolve there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Root,
    /// In `{{#each order.items}}`: one item.
    Item,
    /// In `{{#each <object>}}`: one value of an object, `@key` its key.
    Entry,
    /// In `{{#with order.total}}` and the like.
    Money,
    /// In `{{#with customer}}`.
    Customer,
    /// In `{{#with order}}`.
    Order,
}

impl Scope {
    fn paths(self) -> Vec<&'static str> {
        match self {
            Scope::Root => VARIABLES.iter().chain(ROOT_SPELLINGS).copied().collect(),
            Scope::Item => vec![
                "name",
                "quantity",
                "this.name",
                "./quantity",
                "this/name",
                "[name]",
                "this",
                "@index",
                "@first",
                "@last",
                "../shop.name",
                "../order.name",
                "@root.locale",
                "@root.order.item_count",
            ],
            Scope::Entry => vec![
                "this",
                "@key",
                "@index",
                "@first",
                "@last",
                "../shop.name",
                "@root.locale",
                "@root.customer.name",
            ],
            Scope::Money => vec![
                "amount",
                "currency",
                "this.amount",
                "./currency",
                "this",
                "../order.name",
                "@root.shop.name",
            ],
            // Not `first_name`: that is the helper's name, so `{{first_name}}` is a call of
            // the helper without parameters (outside the subset), not the variable.
            Scope::Customer => vec![
                "./first_name",
                "last_name",
                "name",
                "this.first_name",
                "../shop.name",
                "@root.locale",
            ],
            Scope::Order => vec![
                "name",
                "total",
                "total.amount",
                "items",
                "item_count",
                "status_url",
                "created_at",
                "items.0.name",
                "../shop.name",
                "@root.customer.name",
            ],
        }
    }

    /// How to name a root variable from here.
    fn root(self, path: &'static str) -> String {
        match self {
            Scope::Root => path.to_owned(),
            _ => format!("@root.{path}"),
        }
    }
}

/// The strategy `build` makes for (`kind`, `scope`, `depth`), built once per thread: the
/// grammar refers to the same rules from many places, and building each anew made a tree of
/// strategies that took a second to build in a debug build.
fn memo(
    kind: &'static str,
    scope: Scope,
    depth: u32,
    build: impl FnOnce() -> BoxedStrategy<String>,
) -> BoxedStrategy<String> {
    type Key = (&'static str, Scope, u32);
    thread_local! {
        static BUILT: RefCell<HashMap<Key, BoxedStrategy<String>>> = RefCell::default();
    }
    let key = (kind, scope, depth);
    if let Some(built) = BUILT.with_borrow(|built| built.get(&key).cloned()) {
        return built;
    }
    let strategy = build();
    BUILT.with_borrow_mut(|built| built.insert(key, strategy.clone()));
    strategy
}

/// A path that resolves in `scope`, and now and then one that does not (a missing variable
/// is a render error in strict mode: both engines must fail alike).
fn path(scope: Scope) -> BoxedStrategy<String> {
    let wrong: Vec<&str> = match scope {
        Scope::Root => vec![
            "name",
            "@index",
            "../shop.name",
            "order.items.2.name",
            "nope",
        ],
        _ => vec!["shop.name", "order.total.amount", "nope"],
    };
    prop_oneof![
        12 => select(scope.paths()).prop_map(str::to_owned),
        1 => select(wrong).prop_map(str::to_owned),
    ]
    .boxed()
}

/// Number, string, boolean and null literals, escapes included. `1e2` is no number in
/// handlebars-rust's grammar (only `1E2` is): it is a path, missing in strict mode.
fn literal() -> BoxedStrategy<String> {
    select(vec![
        "0",
        "1",
        "2",
        "3",
        "-1",
        "1.5",
        "1.0",
        "1E2",
        "1e2",
        "\"x\"",
        "\"\"",
        "'y'",
        "\"0\"",
        "'1'",
        "\"EUR\"",
        "\"en\"",
        "\"a \\\"q\\\" b\"",
        "'it\\'s'",
        "\"tab\\tnew\\nline\"",
        "\"\\u00e9t\\u00E9\"",
        "'}}'",
        "\"{{order.name}}\"",
        "true",
        "false",
        "null",
    ])
    .prop_map(str::to_owned)
    .boxed()
}

/// Spaces between the parts of a `{{...}}`: mostly one, sometimes more or a line break.
fn gap() -> BoxedStrategy<&'static str> {
    prop_oneof![
        12 => Just(" "),
        1 => Just("  "),
        1 => Just("\n"),
        1 => Just("\t"),
        1 => Just(" \r\n "),
    ]
    .boxed()
}

/// Optional padding inside `{{` and `}}`.
fn pad() -> BoxedStrategy<&'static str> {
    prop_oneof![
        20 => Just(""),
        3 => Just(" "),
        1 => Just("  "),
        1 => Just("\n"),
        1 => Just("\t"),
    ]
    .boxed()
}

/// How a `{{...}}` is written around its content: `~` and padding on either side.
#[derive(Clone, Copy, Debug)]
struct Style {
    left_tilde: bool,
    left_pad: &'static str,
    right_pad: &'static str,
    right_tilde: bool,
}

impl Style {
    fn wrap(self, inner: &str) -> String {
        let lt = if self.left_tilde { "~" } else { "" };
        let rt = if self.right_tilde { "~" } else { "" };
        ["{{", lt, self.left_pad, inner, self.right_pad, rt, "}}"].concat()
    }
}

fn style() -> BoxedStrategy<Style> {
    (
        proptest::bool::weighted(0.2),
        pad(),
        pad(),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(left_tilde, left_pad, right_pad, right_tilde)| Style {
            left_tilde,
            left_pad,
            right_pad,
            right_tilde,
        })
        .boxed()
}

/// An argument of a helper: a path, a literal or (when `depth` allows) a subexpression.
fn operand(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    memo("operand", scope, depth, || operand_uncached(scope, depth))
}

fn operand_uncached(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        prop_oneof![3 => path(scope), 2 => literal()].boxed()
    } else {
        prop_oneof![
            3 => path(scope),
            2 => literal(),
            1 => subexpression(scope, depth - 1),
        ]
        .boxed()
    }
}

/// `name` followed by `args`, each after a gap.
fn call(name: &str, args: &[(&str, String)]) -> String {
    let mut out = name.to_owned();
    for (gap, arg) in args {
        out.push_str(gap);
        out.push_str(arg);
    }
    out
}

/// `name arg...` of a helper call, each helper with an arity the subset accepts.
fn helper_call(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    memo("helper_call", scope, depth, || {
        helper_call_uncached(scope, depth)
    })
}

fn helper_call_uncached(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    let args = move |n: std::ops::RangeInclusive<usize>| {
        proptest::collection::vec((gap(), operand(scope, depth)), n)
    };
    // A parameter of the kind the helper expects, most of the time.
    let typed = move |pool: &[&'static str]| {
        let pool: Vec<String> = pool.iter().map(|p| scope.root(p)).collect();
        (
            gap(),
            prop_oneof![3 => select(pool), 1 => operand(scope, depth)],
        )
    };
    prop_oneof![
        4 => (select(vec!["eq", "ne", "gt", "gte", "lt", "lte"]), args(2..=2))
            .prop_map(|(name, args)| call(name, &args)),
        2 => (select(vec!["and", "or"]), args(1..=3)).prop_map(|(name, args)| call(name, &args)),
        1 => args(1..=1).prop_map(|args| call("not", &args)),
        1 => typed(&["order.items", "shop.name", "customer", "order.total"])
            .prop_map(|arg| call("len", &[arg])),
        2 => (
            typed(&["order.items", "order.items", "order.total", "shop", "order"]),
            gap(),
            select(vec!["0", "1", "2", "-1", "\"0\"", "\"name\"", "'amount'", "\"nope\""]),
        )
            .prop_map(|(list, gap, key)| call("lookup", &[list, (gap, key.to_owned())])),
        2 => typed(&["order.total", "refund.amount", "refund.total", "order"])
            .prop_map(|arg| call("money", &[arg])),
        1 => typed(&["order.created_at"]).prop_map(|arg| call("date", &[arg])),
        1 => typed(&["customer.name", "customer.first_name", "shop.name", "reply.text"])
            .prop_map(|arg| call("first_name", &[arg])),
    ]
    .boxed()
}

/// The arguments of a helper, without its name: `a b`.
fn helper_args(scope: Scope, n: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
    proptest::collection::vec((gap(), operand(scope, 1)), n)
        .prop_map(|args| call("", &args).trim_start().to_owned())
        .boxed()
}

/// `(helper args)`, sometimes padded inside the parentheses.
fn subexpression(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    (pad(), helper_call(scope, depth), pad())
        .prop_map(|(l, call, r)| format!("({l}{call}{r})"))
        .boxed()
}

/// An expression that prints: `{{x}}`, `{{{x}}}` (both spellings), `{{&x}}`, helper calls.
fn expression(scope: Scope) -> BoxedStrategy<String> {
    memo("expression", scope, 0, || expression_uncached(scope))
}

fn expression_uncached(scope: Scope) -> BoxedStrategy<String> {
    let triple = (style(), path(scope), any::<bool>()).prop_map(|(style, path, legacy)| {
        if legacy {
            // `{{{~ x ~}}}`
            let inner = style.wrap(&path);
            format!("{{{inner}}}")
        } else {
            // `{{~{ x }~}}`
            Style {
                left_pad: "",
                right_pad: "",
                ..style
            }
            .wrap(&format!("{{{}{path}{}}}", style.left_pad, style.right_pad))
        }
    });
    let amp = (style(), path(scope)).prop_map(|(style, path)| {
        let inner = format!("&{}{path}", style.left_pad);
        Style {
            left_pad: "",
            ..style
        }
        .wrap(&inner)
    });
    let triple_helper = (style(), helper_call(scope, 1))
        .prop_map(|(style, call)| format!("{{{}}}", style.wrap(&call)));
    prop_oneof![
        8 => (style(), path(scope)).prop_map(|(style, path)| style.wrap(&path)),
        2 => triple,
        1 => amp,
        1 => triple_helper,
        5 => (style(), helper_call(scope, 2)).prop_map(|(style, call)| style.wrap(&call)),
    ]
    .boxed()
}

/// Plain text: words, punctuation, unicode, escaped mustaches, whitespace inside.
fn text() -> BoxedStrategy<String> {
    select(vec![
        "Hi",
        "Hello ",
        " order ",
        "x",
        ".",
        ", ",
        "!",
        "é",
        "Zoë 😀",
        "a & b",
        "<b>",
        "}",
        "} }",
        "a}}b",
        "{ x }",
        "\\{{order.name}}",
        "\\{{#if x}}",
        "\\\\{{order.name}}",
        "\\{{{shop.name}}}",
        "a\\b",
        "line\nnext",
        "tab\there",
        "cr\r\nlf",
        "   ",
        "\t",
        "\u{a0}nbsp\u{a0}",
    ])
    .prop_map(str::to_owned)
    .boxed()
}

fn comment() -> BoxedStrategy<String> {
    select(vec![
        "{{! note }}",
        "{{!note}}",
        "{{!}}",
        "{{!-- note --}}",
        "{{!-- has }} inside --}}",
        "{{!-- {{order.name}} --}}",
        "{{!----}}",
        "{{! two\nlines }}",
        "{{!~ tilde ~}}",
        "{{!--~ tilde ~--}}",
    ])
    .prop_map(str::to_owned)
    .boxed()
}

/// Whitespace between elements, weighted towards line breaks so that block tags, `{{else}}`
/// and comments often stand alone on their line.
fn ws() -> BoxedStrategy<&'static str> {
    prop_oneof![
        8 => Just(""),
        3 => Just(" "),
        1 => Just("\t"),
        5 => Just("\n"),
        3 => Just("\r\n"),
        2 => Just("  \n"),
        2 => Just("\n  "),
        2 => Just(" \t\r\n\t "),
        1 => Just("\n\n"),
        1 => Just("\r\n\r\n  "),
        1 => Just(" \n \n "),
        1 => Just("\u{a0}"),
    ]
    .boxed()
}

/// What `if`, `unless` and `else if` test.
fn condition(scope: Scope) -> BoxedStrategy<String> {
    prop_oneof![
        6 => path(scope),
        3 => subexpression(scope, 1),
        1 => literal(),
    ]
    .boxed()
}

/// `{{#name args}}`, sometimes with a space after `#` (before it: the style's padding).
fn open_tag(style: Style, space_after_hash: bool, name: &str, gap: &str, args: &str) -> String {
    let hash = if space_after_hash { "# " } else { "#" };
    style.wrap(&[hash, name, gap, args].concat())
}

/// `{{/name}}`, sometimes with a space after `/`.
fn close_tag(style: Style, space_after_slash: bool, name: &str) -> String {
    let slash = if space_after_slash { "/ " } else { "/" };
    style.wrap(&[slash, name].concat())
}

/// The tags of a block between its opening and closing tag: `{{else if c}}` links (only for
/// blocks whose bodies stay in the scope) and the final `{{else}}` / `{{^}}`, each with the
/// whitespace before it and the body after it.
type Links = Vec<(&'static str, String, &'static str, String)>;

/// `{{else if cond}}` links, rarely `{{else unless cond}}`.
fn chain(scope: Scope, inner: BoxedStrategy<String>) -> BoxedStrategy<Links> {
    let link = (
        ws(),
        style(),
        (select(vec!["if", "if", "if", "unless"]), gap(), gap()),
        condition(scope),
        ws(),
        inner,
    )
        .prop_map(|(w1, style, (helper, g1, g2), cond, w2, body)| {
            let tag = style.wrap(&["else", g1, helper, g2, &cond].concat());
            (w1, tag, w2, body)
        });
    prop_oneof![
        3 => Just(Vec::new()),
        1 => proptest::collection::vec(link, 1..=2),
    ]
    .boxed()
}

/// The block's last `{{else}}` (or `{{^}}`), when it has one.
fn else_link(inner: BoxedStrategy<String>) -> BoxedStrategy<Links> {
    let link = (
        ws(),
        style(),
        select(vec!["else", "else", "^"]),
        ws(),
        inner,
    )
        .prop_map(|(w1, style, word, w2, body)| (w1, style.wrap(word), w2, body));
    proptest::collection::vec(link, 0..=1).boxed()
}

/// A block: its opening tag (`name`, `args`) with its body, the links, and its closing tag.
fn block(
    head: BoxedStrategy<(&'static str, String)>,
    body: BoxedStrategy<String>,
    links: BoxedStrategy<Links>,
) -> BoxedStrategy<String> {
    (
        (head, style(), proptest::bool::weighted(0.1), gap()),
        (ws(), body),
        links,
        (ws(), style(), proptest::bool::weighted(0.1)),
    )
        .prop_map(
            |((head, open, hash_space, gap), (w1, body), links, (w2, close, slash_space))| {
                let (name, args) = head;
                let mut out = open_tag(open, hash_space, name, gap, &args);
                out.push_str(w1);
                out.push_str(&body);
                for (w1, tag, w2, body) in links {
                    out.push_str(w1);
                    out.push_str(&tag);
                    out.push_str(w2);
                    out.push_str(&body);
                }
                out.push_str(w2);
                out.push_str(&close_tag(close, slash_space, name));
                out
            },
        )
        .boxed()
}

/// A sequence of text, expressions, comments and (while `depth` allows) blocks in `scope`.
fn body(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    memo("body", scope, depth, || body_uncached(scope, depth))
}

fn body_uncached(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    // The top level holds a few pieces; nested bodies fewer, so that sources stay short.
    let pieces = if depth == TEMPLATE_DEPTH {
        1..=5
    } else {
        0..=3
    };
    (
        proptest::collection::vec((ws(), element(scope, depth)), pieces),
        ws(),
    )
        .prop_map(|(pieces, end)| {
            let mut out: String = pieces
                .into_iter()
                .flat_map(|(w, e)| [w.to_owned(), e])
                .collect();
            out.push_str(end);
            out
        })
        .boxed()
}

fn element(scope: Scope, depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => text(),
        5 => expression(scope),
        1 => comment(),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let here = body(scope, depth - 1);
    let inner = |scope: Scope| body(scope, depth - 1);
    let conditional = prop_oneof![
        4 => condition(scope).prop_map(|c| ("if", c)),
        1 => condition(scope).prop_map(|c| ("unless", c)),
        2 => (select(vec!["eq", "ne", "gt", "gte", "lt", "lte"]), helper_args(scope, 2..=2)),
        1 => (select(vec!["and", "or"]), helper_args(scope, 1..=3)),
        1 => helper_args(scope, 1..=1).prop_map(|args| ("not", args)),
    ];
    let same_scope_links = (chain(scope, here.clone()), else_link(here.clone()))
        .prop_map(|(mut links, tail)| {
            links.extend(tail);
            links
        })
        .boxed();
    let root = move |paths: &[&'static str]| -> Vec<String> {
        paths.iter().map(|p| scope.root(p)).collect()
    };
    let each_list = select(root(&["order.items"])).prop_map(|p| ("each", p));
    let each_object = select(root(&[
        "shop",
        "customer",
        "order.total",
        "tracking",
        "refund",
        "order",
    ]))
    .prop_map(|p| ("each", p));
    let with_money =
        select(root(&["order.total", "refund.amount", "refund.total"])).prop_map(|p| ("with", p));
    let with_customer = select(root(&["customer"])).prop_map(|p| ("with", p));
    let with_order = select(root(&["order"])).prop_map(|p| ("with", p));
    let with_item =
        select(root(&["order.items"])).prop_map(|p| ("with", format!("(lookup {p} 0)")));
    prop_oneof![
        24 => leaf,
        5 => block(conditional.boxed(), here.clone(), same_scope_links),
        2 => block(each_list.boxed(), inner(Scope::Item), else_link(here.clone())),
        1 => block(each_object.boxed(), inner(Scope::Entry), else_link(here.clone())),
        1 => block(with_money.boxed(), inner(Scope::Money), else_link(here.clone())),
        1 => block(with_customer.boxed(), inner(Scope::Customer), else_link(here.clone())),
        1 => block(with_order.boxed(), inner(Scope::Order), else_link(here.clone())),
        1 => block(with_item.boxed(), inner(Scope::Item), else_link(here)),
    ]
    .boxed()
}

/// Template sources within the subset: text, comments, expressions and blocks nested up to
/// three deep, with varied whitespace, `~` and standalone lines. Nearly all of them compile
/// in handlebars-rust (a test checks it); some fail to render in strict mode (a path missing
/// where it is used), and both engines must then fail alike.
pub(super) fn template() -> BoxedStrategy<String> {
    body(Scope::Root, TEMPLATE_DEPTH)
}

/// How deep [`template`]'s blocks nest.
const TEMPLATE_DEPTH: u32 = 3;

/// Pieces that break or bend the syntax, inserted by [`garbage`]: unbalanced braces, stray
/// tags, what the subset refuses (partials, decorators, raw blocks, hash arguments, block
/// parameters, `log`, unknown helpers, helpers without parameters, array and object
/// literals) and spellings handlebars-rust reads in its own way.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{{",
    "}}}",
    "{",
    "}",
    "~",
    "\\",
    "\\\\",
    "\"",
    "'",
    "(",
    ")",
    "\r",
    "\n",
    "{{!",
    "--}}",
    "{{/if}}",
    "{{/each}}",
    "{{else}}",
    "{{^}}",
    "{{#if order.name}}",
    "{{#each order.items}}",
    "{{> partial}}",
    "{{#> layout}}x{{/layout}}",
    "{{*inline}}",
    "{{#*inline \"p\"}}x{{/inline}}",
    "{{{{raw}}}}{{x}}{{{{/raw}}}}",
    "{{#each order.items as |item i|}}{{item.name}}{{/each}}",
    "{{#if order.total includeZero=true}}t{{/if}}",
    "{{lookup order.items}}",
    "{{log shop.name}}",
    "{{unknown shop.name}}",
    "{{money}}",
    "{{eq}}",
    "{{len}}",
    "{{eq [1, 2] order.items}}",
    "{{eq {\"a\": 1} shop}}",
    "{{eq \"{{\" shop.name}}",
    "{{eq '}}' shop.name}}",
    "{{elsewhere}}",
    "{{^if order.name}}",
    "{{else if}}",
    "{{1e2}}",
    "{{1.}}",
    "{{-1}}",
    "{{(order.name)}}",
    "{{.}}",
    "{{..}}",
    "{{this/..}}",
    "{{order..name}}",
    "{{order.}}",
    "{{[order}}",
    "{{@root}}",
    "{{@foo}}",
    "{{as}}",
    "{{else}}x",
    " key=1",
    " as |x|",
    " (",
    "[1,2]",
];

/// A change to a valid template.
#[derive(Clone, Debug)]
enum Mutation {
    DropChar(Index),
    DuplicateChar(Index),
    SwapChars(Index),
    Insert(Index, &'static str),
    DropTag(Index),
    DuplicateTag(Index),
    SwapTags(Index, Index),
    /// `{{/if}}` → `{{/each}}`, say.
    RenameClose(Index, &'static str),
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::DropChar),
        1 => any::<Index>().prop_map(Mutation::DuplicateChar),
        1 => any::<Index>().prop_map(Mutation::SwapChars),
        4 => (any::<Index>(), select(FRAGMENTS.to_vec()))
            .prop_map(|(at, what)| Mutation::Insert(at, what)),
        2 => any::<Index>().prop_map(Mutation::DropTag),
        1 => any::<Index>().prop_map(Mutation::DuplicateTag),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapTags(a, b)),
        1 => (any::<Index>(), select(vec!["if", "each", "with", "unless", "eq", ""]))
            .prop_map(|(at, name)| Mutation::RenameClose(at, name)),
    ]
    .boxed()
}

/// The byte ranges of the `{{...}}` of `source`, naively (from `{{` to the next `}}`).
fn tags(source: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = source[from..].find("{{") {
        let start = from + open;
        let Some(close) = source[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + close + 2;
        out.push(start..end);
        from = end;
    }
    out
}

impl Mutation {
    fn apply(&self, source: &mut String) {
        let chars: Vec<(usize, char)> = source.char_indices().collect();
        let char_at = |at: &Index| (!chars.is_empty()).then(|| chars[at.index(chars.len())]);
        let tags = tags(source);
        let tag_at = |at: &Index| (!tags.is_empty()).then(|| tags[at.index(tags.len())].clone());
        match self {
            Mutation::DropChar(at) => {
                if let Some((i, c)) = char_at(at) {
                    source.replace_range(i..i + c.len_utf8(), "");
                }
            }
            Mutation::DuplicateChar(at) => {
                if let Some((i, c)) = char_at(at) {
                    source.insert(i, c);
                }
            }
            Mutation::SwapChars(at) => {
                if let Some((i, c)) = char_at(at)
                    && let Some(&(j, d)) = chars.iter().find(|(j, _)| *j > i)
                {
                    source.replace_range(i..j + d.len_utf8(), &format!("{d}{c}"));
                }
            }
            Mutation::Insert(at, what) => {
                let i = char_at(at).map_or(0, |(i, _)| i);
                source.insert_str(i, what);
            }
            Mutation::DropTag(at) => {
                if let Some(range) = tag_at(at) {
                    source.replace_range(range, "");
                }
            }
            Mutation::DuplicateTag(at) => {
                if let Some(range) = tag_at(at) {
                    let tag = source[range.clone()].to_owned();
                    source.insert_str(range.end, &tag);
                }
            }
            Mutation::SwapTags(a, b) => {
                if let (Some(a), Some(b)) = (tag_at(a), tag_at(b))
                    && a.end <= b.start
                {
                    let (ta, tb) = (source[a.clone()].to_owned(), source[b.clone()].to_owned());
                    source.replace_range(b, &ta);
                    source.replace_range(a, &tb);
                }
            }
            Mutation::RenameClose(at, name) => {
                let closes: Vec<_> = tags
                    .iter()
                    .filter(|r| {
                        source[r.start + 2..]
                            .trim_start_matches(['~', ' '])
                            .starts_with('/')
                    })
                    .cloned()
                    .collect();
                if !closes.is_empty() {
                    let range = closes[at.index(closes.len())].clone();
                    source.replace_range(range, &format!("{{{{/{name}}}}}"));
                }
            }
        }
    }
}

/// Mostly valid templates with one to three [`Mutation`]s: whatever the engine accepts of
/// them, handlebars-rust must accept and render alike.
pub(super) fn garbage() -> BoxedStrategy<String> {
    (template(), proptest::collection::vec(mutation(), 1..=3))
        .prop_map(|(mut source, mutations)| {
            for m in &mutations {
                m.apply(&mut source);
            }
            source
        })
        .boxed()
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
    use proptest::test_runner::TestCaseError;

    use super::*;

    /// Runs `test` on exactly `cases` values of `strategy`. Not the `proptest!` macro: it
    /// lets PROPTEST_CASES override the configured count, and this file must stay a few
    /// seconds in a debug build whatever the environment says (raise the counts here for a
    /// long soak). Failures are shrunk and saved under proptest-regressions/ as usual.
    fn check<S: Strategy>(
        name: &'static str,
        cases: u32,
        strategy: S,
        test: impl Fn(S::Value) -> Result<(), TestCaseError>,
    ) {
        let mut config = ProptestConfig::with_cases(cases);
        config.source_file = Some(file!());
        config.test_name = Some(name);
        let mut runner = TestRunner::new(config);
        if let Err(e) = runner.run(&strategy, test) {
            panic!("{e}\n{runner}");
        }
    }

    #[test]
    fn templates_of_the_subset_render_as_handlebars_renders_them() {
        check(
            "templates_of_the_subset_render_as_handlebars_renders_them",
            800,
            (template(), contexts()),
            |(source, ctxs)| {
                let accepted =
                    agreement(&source, &ctxs, &ours_engine).map_err(TestCaseError::fail)?;
                // The generator writes only the supported part of Handlebars.
                prop_assert!(accepted, "our engine refuses {source:?}");
                Ok(())
            },
        );
    }

    #[test]
    fn near_misses_are_refused_or_render_as_handlebars_renders_them() {
        check(
            "near_misses_are_refused_or_render_as_handlebars_renders_them",
            600,
            (garbage(), contexts()),
            |(source, ctxs)| {
                agreement(&source, &ctxs, &ours_engine).map_err(TestCaseError::fail)?;
                Ok(())
            },
        );
    }

    /// Every shipped text renders as handlebars-rust renders it (with ordersms's helpers as
    /// they were registered there), on the sample, the empty and generated contexts.
    #[test]
    fn every_shipped_text_renders_as_handlebars_renders_it() {
        let templates = super::super::Templates::defaults().unwrap();
        let mut ctxs = samples(&contexts(), 20).concat();
        ctxs.dedup();
        for (name, source) in super::super::defaults() {
            let reference = Reference::compile(source).unwrap();
            for ctx in &ctxs {
                let production = templates
                    .render_untrimmed(name, &ctx.vars())
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

    /// The generator writes Handlebars: handlebars-rust compiles nearly all of it, most of it
    /// renders on the sample, and it holds each construct the subset supports.
    #[test]
    fn the_template_generator_writes_what_handlebars_compiles() {
        let sources = samples(&template(), 1000);
        let sample = RenderContext::sample();
        let mut compiled = 0;
        let mut rendered = 0;
        let mut refused = Vec::new();
        for source in &sources {
            match Reference::compile(source) {
                Ok(reference) => {
                    compiled += 1;
                    rendered += usize::from(reference.render(&sample).is_ok());
                }
                Err(e) => refused.push((source, e)),
            }
        }
        println!(
            "template(): {compiled}/{} compile, {rendered} render on sample()",
            sources.len()
        );
        for (source, e) in refused.iter().take(5) {
            println!("refused: {source:?}\n  {e}");
        }
        assert!(
            compiled * 10 >= sources.len() * 9,
            "{compiled} of {}",
            sources.len()
        );
        assert!(rendered * 2 >= compiled, "{rendered} of {compiled} render");
        let constructs = [
            "\r\n",
            "~",
            "{{!",
            "{{!--",
            "\\{{",
            "{{{",
            "{{&",
            "#if",
            "#unless",
            "#each",
            "#with",
            "#eq",
            "#not",
            "else if",
            "{{^}}",
            "{{else}}",
            "(",
            "@index",
            "@key",
            "../",
            "@root.",
            "this",
            "lookup",
            "len",
            "money",
            "date",
            "first_name",
            "'",
            "1.5",
            "null",
        ];
        for construct in constructs {
            assert!(
                sources.iter().any(|s| s.contains(construct)),
                "no source holds {construct:?}"
            );
        }
        // Standalone lines: a block tag alone on its line.
        let standalone = sources
            .iter()
            .filter(|s| {
                s.lines().any(|l| {
                    l.trim().starts_with("{{#")
                        && l.trim().ends_with("}}")
                        && l.trim().matches("{{").count() == 1
                })
            })
            .count();
        println!("template(): {standalone} with a block tag alone on a line");
        assert!(
            standalone >= 50,
            "{standalone} sources with a standalone block tag"
        );
    }

    /// Near misses are near: handlebars-rust refuses some and accepts others.
    #[test]
    fn the_garbage_generator_is_neither_all_valid_nor_all_broken() {
        let sources = samples(&garbage(), 500);
        let compiled = sources
            .iter()
            .filter(|s| Reference::compile(s).is_ok())
            .count();
        println!("garbage(): {compiled}/{} compile", sources.len());
        assert!(compiled >= sources.len() / 10, "{compiled}");
        assert!(compiled <= sources.len() * 9 / 10, "{compiled}");
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
        // Objects and the list against each other, against scalars and against null.
        "{{eq order.total refund.total}} {{eq order.total refund.amount}} {{eq order.items order.items}} {{ne order.items order.items}}",
        "{{eq order customer}} {{eq order.items.0 order.items.1}} {{eq order.items.0 order.items.0}} {{eq shop order.items}} {{eq order.items shop}}",
        "{{eq customer null}} {{eq null customer}} {{eq order.items null}} {{eq shop \"[object]\"}} {{eq tracking tracking}} {{eq reply failure}}",
        // Two objects with as many keys, all null in some contexts, differ by their keys.
        "{{eq failure tracking}} {{eq customer tracking}} {{eq reply order.total}}",
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
        // `[, 2]` is an array literal to handlebars-rust (that serde_json then refuses), not
        // a path key named ", 2".
        "{{eq [, 2] order.items}}",
        "{{eq [x] 1}} {{eq [ 1 ] 1}}",
        // A helper's name alone calls it with no value, in `{{&…}}` too: `false` here.
        "{{& or}} {{&order.name}}",
        "{{@root.shop.name}}",
        // Comments.
        "{{!-- a }} b --}}c",
        "a{{!}}b{{!----}}c",
    ];
}
