//! Renders a parsed template (`syntax`) from the borrowed variables ([`Vars`]), giving the
//! text handlebars-rust 6 gives for the same template on the same variables serialized to
//! JSON, in strict mode and without escaping.
//!
//! The variables are never serialized: a value is a view into [`Vars`] ([`Val`]), and an
//! object's keys are read by name. Each rule mirrors a line of handlebars-rust
//! (`render.rs`, `context.rs`, `json/value.rs`, `helpers/*.rs`), cited where it is not
//! obvious, and `differential.rs` compares both on generated templates.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Number;

use super::syntax::{Block, BlockKind, Expr, Helper, Literal, Node, Path, Start};
use super::{Money, Vars, format_date, format_money};

/// Why a render failed: strict mode's refusals, as handlebars-rust reports them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RenderError {
    /// A printed, iterated or looked-up value is missing: the variable, when the value came
    /// from one.
    Missing(Option<Path>),
    /// A helper's argument is missing (`eq`, `not`, `len`…); `at` is where the call is
    /// written.
    MissingArgument {
        helper: &'static str,
        index: usize,
        at: usize,
    },
    /// A list followed by a key that is not a number (`order.items.name`).
    NotAnIndex(Path),
}

/// An object of the variables, by where it sits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Obj<'v> {
    Root,
    Shop,
    Customer,
    Order,
    Tracking,
    Refund,
    Reply,
    Failure,
    Money(Money<'v>),
    /// An entry of `order.items`: its name and quantity.
    Item(&'v str, u32),
}

/// A value as handlebars-rust sees it in the serialized variables.
#[derive(Debug, Clone, PartialEq)]
enum Val<'v> {
    /// Not there at all (strict mode refuses to print it), unlike `Null`.
    Missing,
    Null,
    Bool(bool),
    Num(Number),
    Str(Cow<'v, str>),
    Obj(Obj<'v>),
    /// `order.items`, the one list.
    Items,
}

impl<'v> Obj<'v> {
    /// The keys, in the order serde_json's (sorted) map iterates them.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Obj::Root => &[
                "customer", "failure", "locale", "order", "refund", "reply", "shop", "tracking",
            ],
            Obj::Shop => &["name"],
            Obj::Customer => &["first_name", "last_name", "name"],
            Obj::Order => &[
                "created_at",
                "item_count",
                "items",
                "name",
                "status_url",
                "total",
            ],
            Obj::Money(_) => &["amount", "currency"],
            Obj::Item(..) => &["name", "quantity"],
            Obj::Tracking => &["company", "number", "url"],
            Obj::Refund => &["amount", "full", "total"],
            Obj::Reply => &["from", "text"],
            Obj::Failure => &["event", "reason", "to"],
        }
    }

    fn field(self, key: &str, vars: &Vars<'v>) -> Val<'v> {
        let text = |t: Option<&'v str>| t.map_or(Val::Null, |t| Val::Str(Cow::Borrowed(t)));
        let money = |m: Option<Money<'v>>| m.map_or(Val::Null, |m| Val::Obj(Obj::Money(m)));
        match (self, key) {
            (Obj::Root, "locale") => Val::Str(Cow::Borrowed(vars.locale)),
            (Obj::Root, "shop") => Val::Obj(Obj::Shop),
            (Obj::Root, "customer") => Val::Obj(Obj::Customer),
            (Obj::Root, "order") => Val::Obj(Obj::Order),
            (Obj::Root, "tracking") => Val::Obj(Obj::Tracking),
            (Obj::Root, "refund") => Val::Obj(Obj::Refund),
            (Obj::Root, "reply") => Val::Obj(Obj::Reply),
            (Obj::Root, "failure") => Val::Obj(Obj::Failure),
            (Obj::Shop, "name") => Val::Str(Cow::Borrowed(vars.shop_name)),
            (Obj::Customer, "first_name") => text(vars.first_name),
            (Obj::Customer, "last_name") => text(vars.last_name),
            (Obj::Customer, "name") => text(vars.name),
            (Obj::Order, "name") => Val::Str(Cow::Borrowed(vars.order_name)),
            (Obj::Order, "total") => money(vars.total),
            (Obj::Order, "items") => Val::Items,
            (Obj::Order, "item_count") => Val::Num(vars.item_count.into()),
            (Obj::Order, "status_url") => text(vars.status_url),
            (Obj::Order, "created_at") => text(vars.created_at),
            (Obj::Money(m), "amount") => Val::Str(Cow::Borrowed(m.amount)),
            (Obj::Money(m), "currency") => Val::Str(Cow::Borrowed(m.currency)),
            (Obj::Item(name, _), "name") => Val::Str(Cow::Borrowed(name)),
            (Obj::Item(_, quantity), "quantity") => Val::Num(quantity.into()),
            (Obj::Tracking, "company") => text(vars.tracking_company),
            (Obj::Tracking, "number") => text(vars.tracking_number),
            (Obj::Tracking, "url") => text(vars.tracking_url),
            (Obj::Refund, "amount") => money(vars.refund_amount),
            (Obj::Refund, "full") => Val::Bool(vars.refund_full),
            (Obj::Refund, "total") => money(vars.refund_total),
            (Obj::Reply, "from") => text(vars.reply_from),
            (Obj::Reply, "text") => text(vars.reply_text),
            (Obj::Failure, "to") => text(vars.failure_to),
            (Obj::Failure, "event") => text(vars.failure_event),
            (Obj::Failure, "reason") => text(vars.failure_reason),
            _ => Val::Missing,
        }
    }
}

impl<'v> Val<'v> {
    fn literal(value: &'v Literal) -> Val<'v> {
        match value {
            Literal::Null => Val::Null,
            Literal::Bool(b) => Val::Bool(*b),
            Literal::Num(n) => Val::Num(n.clone()),
            Literal::Str(s) => Val::Str(Cow::Borrowed(s)),
        }
    }

    /// `JsonTruthy::is_truthy(false)`: zero, "", null and empty lists are false.
    fn is_truthy(&self, vars: &Vars<'_>) -> bool {
        match self {
            Val::Missing | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => n.as_f64().is_some_and(f64::is_normal),
            Val::Str(s) => !s.is_empty(),
            // Every object of the variables has keys.
            Val::Obj(_) => true,
            Val::Items => vars.items.len() > 0,
        }
    }

    /// The next key of a path (`get_data` in handlebars-rust's `context.rs`).
    fn get(&self, key: &str, vars: &Vars<'v>, path: &Path) -> Result<Val<'v>, RenderError> {
        Ok(match self {
            Val::Obj(obj) => obj.field(key, vars),
            // A list is indexed by a number; any other key is an error, not a missing value.
            Val::Items => match key.parse::<usize>() {
                Ok(i) => vars.items.get(i).map_or(Val::Missing, |(name, quantity)| {
                    Val::Obj(Obj::Item(name, quantity))
                }),
                Err(_) => return Err(RenderError::NotAnIndex(path.clone())),
            },
            _ => Val::Missing,
        })
    }

    /// `JsonRender::render`.
    fn write(&self, vars: &Vars<'_>, out: &mut String) {
        match self {
            Val::Missing | Val::Null => {}
            Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Val::Num(n) => out.push_str(&n.to_string()),
            Val::Str(s) => out.push_str(s),
            Val::Obj(_) => out.push_str("[object]"),
            Val::Items => {
                out.push('[');
                for i in 0..vars.items.len() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str("[object]");
                }
                out.push(']');
            }
        }
    }

    /// handlebars-rust's equality of the JSON it holds (`serde_json::Value`'s `==`), without
    /// building that JSON: objects are equal when their keys (kept sorted, as a `Value`'s map
    /// keeps them) and the values under them are; the one list is equal to itself; a missing
    /// value is `null`.
    fn equals(&self, other: &Val<'v>, vars: &Vars<'v>) -> bool {
        match (self, other) {
            (Val::Obj(a), Val::Obj(b)) => {
                a.keys() == b.keys()
                    && a.keys()
                        .iter()
                        .all(|key| a.field(key, vars).equals(&b.field(key, vars), vars))
            }
            (Val::Items, Val::Items) => true,
            (Val::Obj(_) | Val::Items, _) | (_, Val::Obj(_) | Val::Items) => false,
            (Val::Missing | Val::Null, Val::Missing | Val::Null) => true,
            (Val::Bool(a), Val::Bool(b)) => a == b,
            // serde_json's `Number` equality: `1` and `1.0` differ.
            (Val::Num(a), Val::Num(b)) => a == b,
            (Val::Str(a), Val::Str(b)) => a == b,
            _ => false,
        }
    }

    /// `compare_json` of `helper_extras.rs`.
    fn compare(&self, other: &Val<'v>) -> Option<Ordering> {
        match (self, other) {
            (Val::Num(a), Val::Num(b)) => compare_numbers(a, b),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            (Val::Num(a), Val::Str(b)) => compare_numbers(a, &b.parse().ok()?),
            (Val::Str(a), Val::Num(b)) => {
                compare_numbers(b, &a.parse().ok()?).map(Ordering::reverse)
            }
            _ => None,
        }
    }
}

/// Two JSON numbers compared exactly, whatever their kinds (as `num_order` does).
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    enum Kind {
        Int(i128),
        Float(f64),
    }
    let kind = |n: &Number| match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => Some(Kind::Int(i128::from(u))),
        (None, Some(i)) => Some(Kind::Int(i128::from(i))),
        _ => n.as_f64().map(Kind::Float),
    };
    /// A float against an integer, without rounding the integer.
    fn float_int(f: f64, i: i128) -> Option<Ordering> {
        if f.is_nan() {
            return None;
        }
        if f >= 1e20 {
            return Some(Ordering::Greater);
        }
        if f <= -1e20 {
            return Some(Ordering::Less);
        }
        let whole = f.trunc();
        // In range: |whole| < 1e20 < i128::MAX.
        #[allow(clippy::cast_possible_truncation)]
        match (whole as i128).cmp(&i) {
            Ordering::Equal => f.partial_cmp(&whole),
            unequal => Some(unequal),
        }
    }
    match (kind(a)?, kind(b)?) {
        (Kind::Int(x), Kind::Int(y)) => Some(x.cmp(&y)),
        (Kind::Float(x), Kind::Float(y)) => x.partial_cmp(&y),
        (Kind::Float(x), Kind::Int(y)) => float_int(x, y),
        (Kind::Int(x), Kind::Float(y)) => float_int(y, x).map(Ordering::reverse),
    }
}

/// Whether `path`, read at the top of a template (where `this` is the root), names a
/// variable of `vars`; a key after `order.items` is left to rendering.
pub(crate) fn exists(path: &Path, vars: &Vars<'_>) -> bool {
    let top = Checker {
        vars,
        scopes: vec![Some(Val::Obj(Obj::Root))],
    };
    !matches!(path.start, Start::Local { .. }) && top.resolve(path).is_ok()
}

/// The scope `up` blocks out of the innermost one (`../`), as an index into a stack whose
/// innermost scope is at `innermost`: past the root it is the innermost again, as
/// handlebars-rust's `block_contexts.get(depth).or_else(front)` makes it.
fn enclosing(innermost: usize, up: usize) -> usize {
    innermost.checked_sub(up).unwrap_or(innermost)
}

/// A variable of a template that names nothing: where it was found.
pub(crate) struct Unknown<'n> {
    pub path: &'n Path,
    /// Inside an `each` or `with`, which made `this` another value.
    pub in_block: bool,
}

/// The first variable of `nodes` that names nothing in `vars` (the sample, where every value
/// is present), following `each` over `order.items` and `with` into the value they make
/// `this`: a misspelled variable is refused at load even where it is only tested
/// (`{{#if nmae}}` is simply false when rendered). Where `this` cannot be known (`each`
/// over an object's values, a helper's result), paths are left to the render check.
pub(crate) fn first_unknown<'n>(nodes: &'n [Node], vars: &Vars<'_>) -> Option<Unknown<'n>> {
    let mut checker = Checker {
        vars,
        scopes: vec![Some(Val::Obj(Obj::Root))],
    };
    checker.nodes(nodes)
}

struct Checker<'a, 'v> {
    vars: &'a Vars<'v>,
    /// What `this` is in each enclosing block, when known; the root's first.
    scopes: Vec<Option<Val<'v>>>,
}

impl<'v> Checker<'_, 'v> {
    fn nodes<'n>(&mut self, nodes: &'n [Node]) -> Option<Unknown<'n>> {
        nodes.iter().find_map(|node| match node {
            Node::Text(_) => None,
            Node::Print(expr) => self.expr(expr),
            Node::Block(block) => self.block(block),
        })
    }

    fn block<'n>(&mut self, block: &'n Block) -> Option<Unknown<'n>> {
        if let Some(unknown) = block.args.iter().find_map(|arg| self.expr(arg)) {
            return Some(unknown);
        }
        let this = match block.kind {
            BlockKind::Each => match block.args.first().and_then(|arg| self.value(arg)) {
                Some(Val::Items) => Some(Some(Val::Obj(Obj::Item("", 0)))),
                // An object's values differ from key to key.
                _ => Some(None),
            },
            BlockKind::With => Some(block.args.first().and_then(|arg| self.value(arg))),
            _ => None,
        };
        let then = match this {
            Some(this) => {
                self.scopes.push(this);
                let found = self.nodes(&block.then);
                self.scopes.pop();
                found
            }
            None => self.nodes(&block.then),
        };
        then.or_else(|| {
            block
                .otherwise
                .as_deref()
                .and_then(|nodes| self.nodes(nodes))
        })
    }

    fn expr<'n>(&mut self, expr: &'n Expr) -> Option<Unknown<'n>> {
        match expr {
            Expr::Literal(_) => None,
            Expr::Call(_, args, _) => args.iter().find_map(|arg| self.expr(arg)),
            Expr::Path(path) => self.resolve(path).is_err().then_some(Unknown {
                path,
                in_block: self.scopes.len() > 1,
            }),
        }
    }

    /// The sample's value of a variable argument, when it can be known.
    fn value(&self, expr: &Expr) -> Option<Val<'v>> {
        match expr {
            Expr::Path(path) => self.resolve(path).ok().flatten(),
            _ => None,
        }
    }

    /// `Err` when `path` names nothing; `Ok(None)` when what it starts from, or a list's
    /// entry, is left to the render check.
    fn resolve(&self, path: &Path) -> Result<Option<Val<'v>>, ()> {
        let innermost = self.scopes.len() - 1;
        let start = match path.start {
            Start::Local { .. } => return Ok(None),
            Start::Root => Some(Val::Obj(Obj::Root)),
            Start::Scope { up } => self.scopes[enclosing(innermost, up)].clone(),
        };
        let Some(mut value) = start else {
            return Ok(None);
        };
        for key in &path.keys {
            value = match value {
                Val::Obj(obj) => obj.field(key, self.vars),
                Val::Items => return Ok(None),
                _ => return Err(()),
            };
            if value == Val::Missing {
                return Err(());
            }
        }
        Ok(Some(value))
    }
}

/// `@index`, `@first`, `@last`, `@key` of a block.
#[derive(Debug, Clone, Copy, Default)]
struct Locals {
    index: Option<usize>,
    last: Option<bool>,
    key: Option<&'static str>,
}

impl Locals {
    fn get<'v>(&self, name: &str) -> Val<'v> {
        let value = match name {
            "index" => self.index.map(|i| Val::Num(Number::from(i))),
            "first" => self.index.map(|i| Val::Bool(i == 0)),
            "last" => self.last.map(Val::Bool),
            "key" => self.key.map(|key| Val::Str(Cow::Borrowed(key))),
            _ => None,
        };
        value.unwrap_or(Val::Missing)
    }
}

/// A block's context: what `this` is in it, and its `@` variables.
struct Scope<'v> {
    this: Val<'v>,
    locals: Locals,
}

struct Renderer<'a, 'v> {
    vars: &'a Vars<'v>,
    /// The root's scope first, the innermost block's last.
    scopes: Vec<Scope<'v>>,
    out: String,
}

/// Renders `nodes` (untrimmed).
pub(crate) fn render(nodes: &[Node], vars: &Vars<'_>) -> Result<String, RenderError> {
    let mut renderer = Renderer {
        vars,
        scopes: vec![Scope {
            this: Val::Obj(Obj::Root),
            locals: Locals::default(),
        }],
        out: String::with_capacity(160),
    };
    renderer.nodes(nodes)?;
    Ok(renderer.out)
}

impl<'v> Renderer<'_, 'v> {
    fn nodes(&mut self, nodes: &'v [Node]) -> Result<(), RenderError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Print(Expr::Call(helper, args, at)) => {
                    let value = self.call(*helper, args, *at)?;
                    value.write(self.vars, &mut self.out);
                }
                Node::Print(Expr::Path(path)) => match self.path(path)? {
                    Val::Missing => return Err(RenderError::Missing(Some(path.clone()))),
                    value => value.write(self.vars, &mut self.out),
                },
                Node::Print(Expr::Literal(value)) => {
                    Val::literal(value).write(self.vars, &mut self.out)
                }
                Node::Block(block) => self.block(block)?,
            }
        }
        Ok(())
    }

    fn branch(&mut self, nodes: Option<&'v [Node]>) -> Result<(), RenderError> {
        nodes.map_or(Ok(()), |nodes| self.nodes(nodes))
    }

    fn block(&mut self, block: &'v Block) -> Result<(), RenderError> {
        let otherwise = block.otherwise.as_deref();
        let arg = block.args.first();
        match block.kind {
            BlockKind::If | BlockKind::Unless | BlockKind::Test(_) => {
                let holds = match block.kind {
                    BlockKind::Test(helper) => {
                        self.call(helper, &block.args, block.at)? == Val::Bool(true)
                    }
                    _ => self.arg(arg)?.is_truthy(self.vars),
                };
                let holds = holds != (block.kind == BlockKind::Unless);
                self.branch(if holds { Some(&block.then) } else { otherwise })
            }
            BlockKind::Each => {
                let value = self.arg(arg)?;
                match value {
                    Val::Items if self.vars.items.len() > 0 || otherwise.is_none() => {
                        let len = self.vars.items.len();
                        for i in 0..len {
                            let Some((name, quantity)) = self.vars.items.get(i) else {
                                break;
                            };
                            let locals = Locals {
                                index: Some(i),
                                last: Some(i + 1 == len),
                                key: None,
                            };
                            self.within(Val::Obj(Obj::Item(name, quantity)), locals, &block.then)?;
                        }
                        Ok(())
                    }
                    Val::Obj(obj) => {
                        let keys = obj.keys();
                        for (i, key) in keys.iter().enumerate() {
                            let locals = Locals {
                                index: Some(i),
                                last: Some(i + 1 == keys.len()),
                                key: Some(key),
                            };
                            self.within(obj.field(key, self.vars), locals, &block.then)?;
                        }
                        Ok(())
                    }
                    _ => match otherwise {
                        Some(nodes) => self.nodes(nodes),
                        None => Err(RenderError::Missing(arg_path(arg))),
                    },
                }
            }
            BlockKind::With => {
                let value = self.arg(arg)?;
                if value.is_truthy(self.vars) {
                    // `with` keeps the enclosing block's `@index` & co. (handlebars-rust #592).
                    let locals = self.scopes.last().map(|s| s.locals).unwrap_or_default();
                    self.within(value, locals, &block.then)
                } else {
                    match otherwise {
                        Some(nodes) => self.nodes(nodes),
                        None => Err(RenderError::Missing(arg_path(arg))),
                    }
                }
            }
        }
    }

    fn within(
        &mut self,
        this: Val<'v>,
        locals: Locals,
        nodes: &'v [Node],
    ) -> Result<(), RenderError> {
        self.scopes.push(Scope { this, locals });
        let result = self.nodes(nodes);
        self.scopes.pop();
        result
    }

    fn arg(&self, arg: Option<&'v Expr>) -> Result<Val<'v>, RenderError> {
        match arg {
            Some(expr) => self.eval(expr),
            None => Ok(Val::Missing),
        }
    }

    fn eval(&self, expr: &'v Expr) -> Result<Val<'v>, RenderError> {
        match expr {
            Expr::Path(path) => self.path(path),
            Expr::Literal(value) => Ok(Val::literal(value)),
            Expr::Call(helper, args, at) => self.call(*helper, args, *at),
        }
    }

    /// A variable's value (`Context::navigate`, `RenderContext::get_local_var`).
    fn path(&self, path: &Path) -> Result<Val<'v>, RenderError> {
        let innermost = self.scopes.len() - 1;
        let mut value = match path.start {
            Start::Local { up } => {
                let name = path.keys.first().map_or("", |k| k);
                return Ok(innermost
                    .checked_sub(up)
                    .map_or(Val::Missing, |i| self.scopes[i].locals.get(name)));
            }
            Start::Root => Val::Obj(Obj::Root),
            Start::Scope { up } => self.scopes[enclosing(innermost, up)].this.clone(),
        };
        for key in &path.keys {
            value = value.get(key, self.vars, path)?;
        }
        Ok(value)
    }

    fn call(&self, helper: Helper, args: &'v [Expr], at: usize) -> Result<Val<'v>, RenderError> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(arg)?);
        }
        // Strict mode refuses a missing argument to these (`ParamNotFoundForIndex`).
        let present = |index: usize| match values.get(index) {
            Some(Val::Missing) | None => Err(RenderError::MissingArgument {
                helper: helper.name(),
                index,
                at,
            }),
            Some(value) => Ok(value),
        };
        let vars = self.vars;
        let locale = vars.locale;
        Ok(match helper {
            Helper::Eq => Val::Bool(present(0)?.equals(present(1)?, vars)),
            Helper::Ne => Val::Bool(!present(0)?.equals(present(1)?, vars)),
            Helper::Gt | Helper::Gte | Helper::Lt | Helper::Lte => {
                let order = present(0)?.compare(present(1)?);
                Val::Bool(order.is_some_and(|o| match helper {
                    Helper::Gt => o.is_gt(),
                    Helper::Gte => o.is_ge(),
                    Helper::Lt => o.is_lt(),
                    _ => o.is_le(),
                }))
            }
            Helper::And => Val::Bool(values.iter().all(|v| v.is_truthy(vars))),
            Helper::Or => Val::Bool(values.iter().any(|v| v.is_truthy(vars))),
            Helper::Not => Val::Bool(!present(0)?.is_truthy(vars)),
            Helper::Len => Val::Num(Number::from(match present(0)? {
                Val::Items => vars.items.len(),
                Val::Obj(obj) => obj.keys().len(),
                Val::Str(s) => s.len(),
                _ => 0,
            })),
            Helper::Lookup => {
                let found = match (values.first(), values.get(1)) {
                    (Some(Val::Items), Some(Val::Num(n))) => n
                        .as_u64()
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| vars.items.get(i))
                        .map(|(name, quantity)| Val::Obj(Obj::Item(name, quantity))),
                    (Some(Val::Obj(obj)), Some(Val::Str(key))) => {
                        Some(obj.field(key, vars)).filter(|v| *v != Val::Missing)
                    }
                    _ => None,
                };
                found.ok_or(RenderError::Missing(None))?
            }
            // ordersms's helpers: a missing or null value prints nothing.
            Helper::Money => Val::Str(Cow::Owned(match values.first() {
                Some(Val::Obj(Obj::Money(m))) => format_money(m.amount, m.currency, locale),
                _ => String::new(),
            })),
            Helper::Date => Val::Str(Cow::Owned(match values.first() {
                Some(Val::Str(s)) => format_date(s, locale).unwrap_or_default(),
                _ => String::new(),
            })),
            Helper::FirstName => match values.into_iter().next() {
                Some(Val::Str(Cow::Borrowed(s))) => {
                    Val::Str(Cow::Borrowed(s.split_whitespace().next().unwrap_or("")))
                }
                Some(Val::Str(Cow::Owned(s))) => Val::Str(Cow::Owned(
                    s.split_whitespace().next().unwrap_or("").to_owned(),
                )),
                _ => Val::Str(Cow::Borrowed("")),
            },
        })
    }
}

/// The variable an argument names, for strict mode's message.
fn arg_path(arg: Option<&Expr>) -> Option<Path> {
    match arg {
        Some(Expr::Path(path)) => Some(path.clone()),
        _ => None,
    }
}
