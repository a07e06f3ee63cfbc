//! The parser of ordersms's templates: the part of Handlebars that SMS texts use, read the
//! way handlebars-rust 6 reads it, and a clear refusal of the rest.
//!
//! It replaces handlebars-rust and its pest grammar (with them, the Worker's gzipped bundle
//! was ≈ 61 KB larger; BENCHMARKS.md §3) with one pass over the source. What it accepts it must read exactly as handlebars-rust does,
//! whitespace included: the `~` markers, the lines that hold only a block tag or a comment
//! (standalone lines, removed with their newline), `\{{` escapes. The rules below follow
//! `template.rs` (`compile2`, `process_standalone_statement`, `raw_string`) and `grammar.pest`
//! of handlebars-rust 6.4, and `differential.rs` checks them against it on generated
//! templates. What it does not support (partials, decorators, raw blocks, hash arguments,
//! block parameters, array and object literals, helpers other than ordersms's) is an error
//! at load that says so, never a different text.

use serde_json::Number;

/// A parsed template: what to print, in order.
pub(crate) type Nodes = Vec<Node>;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Text(Box<str>),
    /// `{{expr}}` (and `{{{expr}}}`, `{{&expr}}`: nothing is HTML-escaped anyway).
    Print(Expr),
    Block(Box<Block>),
}

/// `{{#helper args}}then{{else}}otherwise{{/helper}}`; an `{{else if …}}` chain is a block
/// alone in `otherwise`, as handlebars-rust nests it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    pub kind: BlockKind,
    pub args: Vec<Expr>,
    pub then: Nodes,
    pub otherwise: Option<Nodes>,
    /// Where its tag is written (a byte offset), for errors.
    pub at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BlockKind {
    If,
    Unless,
    Each,
    With,
    /// `{{#eq a b}}` and the other helpers of a true/false value used as a block.
    Test(Helper),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Path(Path),
    Literal(Literal),
    /// A helper with its arguments, and where the call is written (a byte offset).
    Call(Helper, Vec<Expr>, usize),
}

/// A value written in a template: what serde_json parses a string, number, `true`, `false`
/// or `null` into (the parser reads no list or object).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
}

/// The helpers a template can call: Handlebars' that make sense in a text, and ordersms's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Helper {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    And,
    Or,
    Not,
    Len,
    Lookup,
    Money,
    Date,
    FirstName,
}

impl Helper {
    const ALL: [(&'static str, Helper); 14] = [
        ("eq", Helper::Eq),
        ("ne", Helper::Ne),
        ("gt", Helper::Gt),
        ("gte", Helper::Gte),
        ("lt", Helper::Lt),
        ("lte", Helper::Lte),
        ("and", Helper::And),
        ("or", Helper::Or),
        ("not", Helper::Not),
        ("len", Helper::Len),
        ("lookup", Helper::Lookup),
        ("money", Helper::Money),
        ("date", Helper::Date),
        ("first_name", Helper::FirstName),
    ];

    fn named(name: &str) -> Option<Helper> {
        Helper::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, h)| *h)
    }

    pub(crate) fn name(self) -> &'static str {
        Helper::ALL
            .iter()
            .find(|(_, h)| *h == self)
            .map_or("", |(n, _)| n)
    }

    /// How many arguments it takes: handlebars-rust ignores extra ones, which here are
    /// refused as the mistake they are.
    fn arity(self) -> (usize, usize) {
        match self {
            Helper::Eq | Helper::Ne | Helper::Gt | Helper::Gte | Helper::Lt | Helper::Lte => (2, 2),
            Helper::Lookup => (2, 2),
            Helper::And | Helper::Or => (1, usize::MAX),
            _ => (1, 1),
        }
    }

    /// Whether its value is true or false, so that it can open a block.
    fn is_test(self) -> bool {
        !matches!(
            self,
            Helper::Len | Helper::Lookup | Helper::Money | Helper::Date | Helper::FirstName
        )
    }
}

/// A variable as written: `order.total`, `this`, `../shop.name`, `@root.locale`, `@index`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    /// As written, for error messages (and for strict mode's, which name it).
    pub raw: Box<str>,
    pub start: Start,
    /// The keys to follow; `this` segments are dropped, as handlebars-rust drops them.
    pub keys: Vec<Box<str>>,
    /// Where it is written in the source (a byte offset), for errors.
    pub at: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Start {
    /// The current block's value, or the one `up` blocks out (`../`).
    Scope { up: usize },
    /// `@root.`
    Root,
    /// `@index`, `@first`, `@last`, `@key` of the block `up` levels out (`@../index`).
    Local { up: usize },
}

/// Where a template is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The line and column (both from 1, the column in characters) of byte `at` of `source`.
pub(crate) fn line_column(source: &str, at: usize) -> (usize, usize) {
    let before = source.get(..at).unwrap_or(source);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Parses `source`.
pub(crate) fn parse(source: &str) -> Result<Nodes, SyntaxError> {
    Parser::new(source).run()
}

/// pest's implicit whitespace in handlebars-rust's grammar, skipped between the parts of a
/// tag: as a pattern for `trim_start_matches` and `contains`.
const SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// `symbol_char`: what identifiers and path keys are made of.
fn is_symbol(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | ':') || !c.is_ascii()
}

/// An `{{else if …}}`'s chained block: its helper, arguments and where it is written.
type Chain = (BlockKind, Vec<Expr>, usize);

/// One open block while its branches are read.
struct Open {
    kind: BlockKind,
    name: &'static str,
    args: Vec<Expr>,
    /// The branches read so far: `then`, then one per `{{else …}}`.
    branches: Vec<(Option<Chain>, Nodes)>,
    /// Where its tag starts, for the error when it is never closed.
    at: usize,
}

/// What a `{{…}}` tag is.
enum Tag {
    Print(Expr),
    Open(BlockKind, &'static str, Vec<Expr>),
    /// `{{else}}` / `{{^}}` (None) or `{{else if x}}` (the chained block's helper).
    Else(Option<Chain>),
    Close(String),
}

struct Parser<'s> {
    source: &'s str,
    /// Read position in `source`.
    at: usize,
    /// The nodes of the template being read, innermost last.
    stack: Vec<Nodes>,
    open: Vec<Open>,
    /// The previous tag ended with `~`: the next text loses its leading whitespace.
    omit_leading: bool,
    /// The previous tag stood alone on its line: the next text loses its leading spaces and
    /// first newline.
    trim_line: bool,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Self {
        Parser {
            source,
            at: 0,
            stack: vec![Vec::new()],
            open: Vec::new(),
            omit_leading: false,
            trim_line: false,
        }
    }

    fn error(&self, at: usize, message: impl Into<String>) -> SyntaxError {
        let (line, column) = line_column(self.source, at);
        SyntaxError {
            line,
            column,
            message: message.into(),
        }
    }

    fn nodes(&mut self) -> &mut Nodes {
        // The stack always holds the root template.
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    fn run(mut self) -> Result<Nodes, SyntaxError> {
        loop {
            let (text, tag_at) = self.text();
            let Some(tag_at) = tag_at else {
                if !text.is_empty() {
                    self.push_text(text);
                }
                break;
            };
            if !text.is_empty() {
                self.push_text(text);
            }
            self.tag(tag_at)?;
        }
        if let Some(open) = self.open.last() {
            return Err(self.error(
                open.at,
                format!(
                    "`{{{{#{}}}}}` is never closed with `{{{{/{}}}}}`",
                    open.name, open.name
                ),
            ));
        }
        Ok(self.stack.pop().unwrap_or_default())
    }

    /// The text from here to the next tag, its `\{{` escapes applied, and where that tag
    /// starts (`None` at the end of the source).
    fn text(&mut self) -> (String, Option<usize>) {
        let bytes = self.source.as_bytes();
        let mut text = String::new();
        let mut from = self.at;
        let mut i = self.at;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                let run = bytes[i..].iter().take_while(|&&b| b == b'\\').count();
                if bytes[i + run..].starts_with(b"{{") {
                    text.push_str(&self.source[from..i]);
                    if run == 1 {
                        // `\{{` (or `\{{{{`) is text.
                        let braces = if bytes[i + 1..].starts_with(b"{{{{") {
                            4
                        } else {
                            2
                        };
                        text.push_str(&self.source[i + 1..i + 1 + braces]);
                        i += 1 + braces;
                    } else {
                        // `\\{{`: one backslash is dropped, and the tag is a tag.
                        text.push_str(&self.source[i + 1..i + run]);
                        i += run;
                        self.at = i;
                        return (text, Some(i));
                    }
                    from = i;
                    continue;
                }
                i += run;
                continue;
            }
            if bytes[i..].starts_with(b"{{") {
                text.push_str(&self.source[from..i]);
                self.at = i;
                return (text, Some(i));
            }
            i += 1;
        }
        text.push_str(&self.source[from..]);
        self.at = bytes.len();
        (text, None)
    }

    /// Text before a tag, as handlebars-rust's `raw_string` trims it.
    fn push_text(&mut self, text: String) {
        if self.omit_leading {
            // pest skipped whitespace-only text after a `~}}` without a pair: nothing is
            // pushed, and a standalone tag's pending line trim survives it.
            if text.chars().all(|c| SPACE.contains(&c)) {
                return;
            }
            self.trim_line = false;
            self.nodes().push(Node::Text(text.trim_start().into()));
            return;
        }
        let text = if std::mem::take(&mut self.trim_line) {
            let rest = text.trim_start_matches([' ', '\t']);
            let rest = rest
                .strip_prefix("\r\n")
                .or_else(|| rest.strip_prefix('\n'))
                .unwrap_or(rest);
            rest.into()
        } else {
            text.into()
        };
        self.nodes().push(Node::Text(text));
    }

    /// `{{~`: the text before loses its trailing whitespace.
    fn trim_previous(&mut self) {
        if let Some(Node::Text(text)) = self.nodes().last_mut() {
            *text = text.trim_end().into();
        }
    }

    /// A block tag or comment alone on its line (spaces and tabs around it): the spaces
    /// before it go, and the line's end after it (see `push_text`).
    fn standalone(&mut self, start: usize, end: usize) {
        let after = &self.source[end..];
        let newline_after = after.is_empty()
            || after
                .trim_start_matches([' ', '\t'])
                .starts_with(['\n', '\r']);
        if !newline_after {
            self.trim_line = false;
            return;
        }
        let before = self.source[..start].trim_end_matches([' ', '\t']);
        let newline_before = before.is_empty() || before.ends_with(['\n', '\r']);
        if newline_before && let Some(Node::Text(text)) = self.nodes().last_mut() {
            *text = text.trim_end_matches([' ', '\t']).into();
        }
        self.trim_line = start == 0 || newline_before;
    }

    fn tag(&mut self, start: usize) -> Result<(), SyntaxError> {
        let cursor = Cursor {
            source: self.source,
            at: start + 2,
            braced: false,
        };
        // Comments: `{{!-- … --}}` (may hold `}}`) or `{{! … }}`.
        if cursor.rest().starts_with('!') {
            let body = start + 3;
            let after_bang = &self.source[body..];
            let trimmed = after_bang.trim_start_matches(SPACE);
            let dashes = body + after_bang.len() - trimmed.len();
            let long_end = trimmed
                .strip_prefix("--")
                .and_then(|inner| inner.find("--}}"))
                .map(|i| dashes + 2 + i + 4);
            let end = match long_end {
                Some(end) => end,
                None => match after_bang.find("}}") {
                    Some(i) => body + i + 2,
                    None => return Err(self.error(start, "a comment `{{!` is never closed")),
                },
            };
            self.at = end;
            self.standalone(start, end);
            // handlebars-rust keeps the comment as an element: the text before it is no
            // longer the last one, so a later `{{~` or standalone tag does not trim it. An
            // empty text does the same here.
            self.nodes().push(Node::Text("".into()));
            return Ok(());
        }
        if cursor.rest().starts_with("{{") {
            return Err(self.error(start, "raw blocks `{{{{…}}}}` are not supported"));
        }
        // `{{{x}}}` (a `~` inside the braces) or `{{~{x}~}}` (outside): `{{x}}` here, since
        // nothing is escaped. handlebars-rust tries them in this order.
        let shapes = if cursor.rest().starts_with('{') {
            [Shape::Triple, Shape::Braced]
        } else {
            [Shape::Plain, Shape::Braced]
        };
        let (cursor, tag, omit_before, omit_after) = match cursor.whole_tag(shapes[0]) {
            Ok(read) => read,
            Err(first) => Cursor {
                source: self.source,
                at: start + 2,
                braced: false,
            }
            .whole_tag(shapes[1])
            .map_err(|_| self.error(first.0, first.1))?,
        };
        let end = cursor.at;
        self.at = end;
        if omit_before {
            self.trim_previous();
        }
        self.omit_leading = omit_after;
        match tag {
            Tag::Print(expr) => self.nodes().push(Node::Print(expr)),
            Tag::Open(kind, name, args) => {
                self.standalone(start, end);
                if self.open.len() >= super::MAX_NESTING {
                    return Err(self.error(start, "blocks nest too deep"));
                }
                self.open.push(Open {
                    kind,
                    name,
                    args,
                    branches: Vec::new(),
                    at: start,
                });
                self.stack.push(Vec::new());
            }
            Tag::Else(chain) => {
                self.standalone(start, end);
                let Some(open) = self.open.last_mut() else {
                    return Err(self.error(start, "`{{else}}` outside a block"));
                };
                if open
                    .branches
                    .last()
                    .is_some_and(|(chain, _)| chain.is_none())
                {
                    return Err(self.error(start, "a second `{{else}}` in one block"));
                }
                let branch = self.stack.pop().unwrap_or_default();
                // Each branch is kept with the `else` that ends it.
                open.branches.push((chain, branch));
                self.stack.push(Vec::new());
            }
            Tag::Close(name) => {
                self.standalone(start, end);
                let Some(open) = self.open.pop() else {
                    return Err(self.error(start, format!("`{{{{/{name}}}}}` closes no block")));
                };
                if open.name != name {
                    return Err(self.error(
                        start,
                        format!("`{{{{#{}}}}}` is closed by `{{{{/{name}}}}}`", open.name),
                    ));
                }
                let last = self.stack.pop().unwrap_or_default();
                let block = close_block(open, last);
                self.nodes().push(Node::Block(Box::new(block)));
            }
        }
        Ok(())
    }
}

/// The block of `open` once its last branch (`last`) is read. An `{{else if …}}` chain
/// becomes blocks nested in each other's `otherwise`, as in handlebars-rust.
fn close_block(open: Open, last: Nodes) -> Block {
    let mut heads = vec![(open.kind, open.args, open.at)];
    let mut bodies = Vec::with_capacity(open.branches.len() + 1);
    let mut otherwise = None;
    for (ended_by, body) in open.branches {
        bodies.push(body);
        match ended_by {
            Some(head) => heads.push(head),
            // A plain `{{else}}` ends the chain (a second one is refused when read).
            None => otherwise = Some(Vec::new()),
        }
    }
    if otherwise.is_some() {
        otherwise = Some(last);
    } else {
        bodies.push(last);
    }
    loop {
        let (kind, args, at) = heads.pop().unwrap_or((BlockKind::If, Vec::new(), open.at));
        let block = Block {
            kind,
            args,
            then: bodies.pop().unwrap_or_default(),
            otherwise,
            at,
        };
        if heads.is_empty() {
            return block;
        }
        otherwise = Some(vec![Node::Block(Box::new(block))]);
    }
}

/// How a tag is written around what it holds.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// `{{~ … ~}}`
    Plain,
    /// `{{{~ … ~}}}`
    Triple,
    /// `{{~{ … }~}}`
    Braced,
}

/// Reads inside one `{{…}}`.
#[derive(Clone)]
struct Cursor<'s> {
    source: &'s str,
    at: usize,
    /// Inside `{{{ … }}}`'s other shape, `{{~{ … }~}}`: what it holds ends at `}`.
    braced: bool,
}

type Failed = (usize, String);

impl<'s> Cursor<'s> {
    fn rest(&self) -> &'s str {
        &self.source[self.at..]
    }

    fn eat(&mut self, token: &str) -> bool {
        let found = self.rest().starts_with(token);
        if found {
            self.at += token.len();
        }
        found
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.at += rest.len() - rest.trim_start_matches(SPACE).len();
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, Failed> {
        Err((self.at, message.into()))
    }

    /// An identifier (`symbol_char+`), or "".
    fn identifier(&mut self) -> &'s str {
        let rest = self.rest();
        let len = rest.len() - rest.trim_start_matches(is_symbol).len();
        self.at += len;
        &rest[..len]
    }

    /// Whether the tag's end (`}}`, maybe after `~` and spaces) is next.
    fn at_end(&self) -> bool {
        let rest = self.rest().trim_start_matches(SPACE);
        if self.braced {
            return rest.starts_with('}');
        }
        let rest = rest.strip_prefix('~').unwrap_or(rest);
        let rest = rest.trim_start_matches(SPACE);
        rest.starts_with("}}")
    }

    /// From after `{{` to after the closing `}}`: the tag, whether it starts with `~` and
    /// whether it ends with one.
    fn whole_tag(mut self, shape: Shape) -> Result<(Self, Tag, bool, bool), Failed> {
        if shape == Shape::Triple {
            self.at += 1;
        }
        self.skip_space();
        let omit_before = self.eat("~");
        self.skip_space();
        if shape == Shape::Braced {
            if !self.eat("{") {
                return self.fail("expected `{`");
            }
            self.braced = true;
            self.skip_space();
        }
        let tag = if shape == Shape::Plain {
            self.tag()?
        } else {
            self.print()?
        };
        self.skip_space();
        if shape == Shape::Braced {
            if !self.eat("}") {
                return self.fail("expected `}`");
            }
            self.skip_space();
        }
        let omit_after = self.eat("~");
        self.skip_space();
        let close = if shape == Shape::Triple { "}}}" } else { "}}" };
        if !self.eat(close) {
            return self.fail(format!("expected `{close}` to close the tag"));
        }
        Ok((self, tag, omit_before, omit_after))
    }

    fn tag(&mut self) -> Result<Tag, Failed> {
        match self.peek() {
            Some('#') => {
                self.at += 1;
                self.skip_space();
                if matches!(self.peek(), Some('*' | '>')) {
                    return self.fail("decorators and partial blocks are not supported");
                }
                let (kind, name, args) = self.block_line()?;
                Ok(Tag::Open(kind, name, args))
            }
            Some('/') => {
                self.at += 1;
                self.skip_space();
                Ok(Tag::Close(self.identifier().to_owned()))
            }
            Some('^') => {
                self.at += 1;
                self.else_rest()
            }
            Some('>') => self.fail("partials `{{>…}}` are not supported"),
            Some('*') => self.fail("decorators `{{*…}}` are not supported"),
            Some('&') => {
                self.at += 1;
                self.skip_space();
                self.value_of_path()
            }
            _ if self.rest().starts_with("else") => {
                let after = self.rest()[4..].chars().next();
                if after.is_some_and(is_symbol) {
                    return self.fail(
                        "a name that starts with `else` cannot be read apart from `{{else}}`",
                    );
                }
                self.at += 4;
                self.else_rest()
            }
            _ => self.print(),
        }
    }

    /// After `{{else` or `{{^`: a plain else, or the chained block's helper.
    fn else_rest(&mut self) -> Result<Tag, Failed> {
        if self.at_end() {
            return Ok(Tag::Else(None));
        }
        self.skip_space();
        let at = self.at;
        let (kind, _, args) = self.block_line()?;
        Ok(Tag::Else(Some((kind, args, at))))
    }

    /// `helper args…` after `{{#` or `{{else `.
    fn block_line(&mut self) -> Result<(BlockKind, &'static str, Vec<Expr>), Failed> {
        let at = self.at;
        let name = self.identifier();
        let (kind, static_name) = match name {
            "if" => (BlockKind::If, "if"),
            "unless" => (BlockKind::Unless, "unless"),
            "each" => (BlockKind::Each, "each"),
            "with" => (BlockKind::With, "with"),
            _ => match Helper::named(name) {
                Some(helper) if helper.is_test() => (BlockKind::Test(helper), helper.name()),
                Some(_) => {
                    return Err((at, format!("`{name}` cannot open a block")));
                }
                None if name.is_empty() => return Err((at, "expected a helper name".into())),
                None => return Err((at, unknown_helper(name))),
            },
        };
        let args = self.args()?;
        let wanted = match kind {
            BlockKind::Test(helper) => helper.arity(),
            _ => (1, 1),
        };
        check_arity(static_name, &args, wanted).map_err(|m| (at, m))?;
        Ok((kind, static_name, args))
    }

    /// `{{path}}` or `{{helper args…}}`.
    fn print(&mut self) -> Result<Tag, Failed> {
        let at = self.at;
        if self.peek() == Some('(') {
            return self
                .fail("a `{{(subexpression)}}` alone is not supported; write `{{helper …}}`");
        }
        let save = self.at;
        let name = self.identifier();
        let is_call = !name.is_empty()
            && !self.at_end()
            && self
                .rest()
                .starts_with(|c: char| SPACE.contains(&c) || matches!(c, '(' | '"' | '\''));
        if is_call {
            let Some(helper) = Helper::named(name) else {
                return Err((at, unknown_helper(name)));
            };
            let args = self.args()?;
            check_arity(helper.name(), &args, helper.arity()).map_err(|m| (at, m))?;
            return Ok(Tag::Print(Expr::Call(helper, args, at)));
        }
        self.at = save;
        self.value_of_path()
    }

    /// `{{path}}` alone. A path named like a helper calls the helper with no value in
    /// handlebars-rust (`{{or}}` prints `false`): refused as the mistake it is.
    fn value_of_path(&mut self) -> Result<Tag, Failed> {
        let at = self.at;
        let path = self.path()?;
        if let Some(helper) = Helper::named(&path.raw) {
            return Err((
                at,
                format!(
                    "`{{{{{}}}}}` needs a value to work on, e.g. `{{{{{} order.total}}}}`",
                    helper.name(),
                    helper.name()
                ),
            ));
        }
        if matches!(
            &*path.raw,
            "if" | "unless" | "each" | "with" | "lookup" | "log" | "raw"
        ) {
            return Err((
                at,
                format!(
                    "`{}` is a block helper: write `{{{{#{} …}}}}…{{{{/{}}}}}`",
                    path.raw, path.raw, path.raw
                ),
            ));
        }
        Ok(Tag::Print(Expr::Path(path)))
    }

    /// Arguments up to the tag's or subexpression's end.
    fn args(&mut self) -> Result<Vec<Expr>, Failed> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if self.at_end() || matches!(self.peek(), Some(')') | None) {
                return Ok(args);
            }
            args.push(self.arg()?);
        }
    }

    fn arg(&mut self) -> Result<Expr, Failed> {
        let at = self.at;
        let rest = self.rest();
        if rest.starts_with('(') {
            self.at += 1;
            self.skip_space();
            let name_at = self.at;
            let name = self.identifier();
            let Some(helper) = Helper::named(name) else {
                return Err((
                    name_at,
                    if name.is_empty() {
                        "expected a helper name after `(`".into()
                    } else {
                        unknown_helper(name)
                    },
                ));
            };
            let args = self.args()?;
            self.skip_space();
            if !self.eat(")") {
                return self.fail("expected `)`");
            }
            check_arity(helper.name(), &args, helper.arity()).map_err(|m| (at, m))?;
            return Ok(Expr::Call(helper, args, at));
        }
        if let Some(literal) = self.literal()? {
            return Ok(Expr::Literal(literal));
        }
        if rest.starts_with(['[', '{']) && self.literal_like_bracket() {
            return self.fail("array and object literals are not supported");
        }
        let path = self.path()?;
        if &*path.raw == "as" {
            return Err((at, "block parameters (`as |x|`) are not supported".into()));
        }
        if &*path.raw == "else" {
            return Err((at, "`else` cannot be an argument".into()));
        }
        if !path.raw.is_empty() && self.rest().starts_with('=') {
            return Err((at, "hash arguments (`key=value`) are not supported".into()));
        }
        if path.raw.contains('|') || self.rest().starts_with('|') {
            return Err((at, "block parameters (`as |x|`) are not supported".into()));
        }
        Ok(Expr::Path(path))
    }

    /// `[…]` that handlebars-rust may read as an array literal (what can start one, a
    /// separating `,` included: `[, 2]` is one), or `{…}`. A path key starting so is refused
    /// with them.
    fn literal_like_bracket(&self) -> bool {
        let rest = self.rest();
        if rest.starts_with('{') {
            return true;
        }
        let inner = rest[1..].trim_start_matches(SPACE);
        inner.starts_with([']', ',', '"', '\'', '[', '{', '-'])
            || inner.starts_with(|c: char| c.is_ascii_digit())
            || ["true", "false", "null"]
                .iter()
                .any(|w| inner.starts_with(w))
    }

    /// A string, number, `true`, `false` or `null` literal, as `grammar.pest` reads one and
    /// serde_json parses it.
    fn literal(&mut self) -> Result<Option<Literal>, Failed> {
        let at = self.at;
        let rest = self.rest();
        for (word, value) in [
            ("true", Literal::Bool(true)),
            ("false", Literal::Bool(false)),
            ("null", Literal::Null),
        ] {
            if let Some(after) = rest.strip_prefix(word)
                && !after.starts_with(is_symbol)
            {
                self.at += word.len();
                return Ok(Some(value));
            }
        }
        if let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) {
            let Some(len) = string_literal_len(rest, quote) else {
                return Err((at, "a string is never closed".into()));
            };
            let inner = &rest[1..len - 1];
            let json = if quote == '"' {
                rest[..len].to_owned()
            } else {
                format!("\"{}\"", inner.replace("\\'", "'").replace('"', "\\\""))
            };
            self.at += len;
            return match serde_json::from_slice::<String>(json.as_bytes()) {
                Ok(s) => Ok(Some(Literal::Str(s))),
                Err(_) => Err((at, format!("{} is not a valid string", &rest[..len]))),
            };
        }
        let Some(len) = number_literal_len(rest) else {
            return Ok(None);
        };
        self.at += len;
        match rest[..len].parse::<Number>() {
            Ok(n) => Ok(Some(Literal::Num(n))),
            Err(_) => Err((at, format!("{} is not a valid number", &rest[..len]))),
        }
    }

    /// A variable path (`reference` in `grammar.pest`).
    fn path(&mut self) -> Result<Path, Failed> {
        let start = self.at;
        let rest = self.rest();
        let mut i = 0;
        let mut path_start = Start::Scope { up: 0 };
        let is_sep = |c: u8| c == b'.' || c == b'/';
        let b = rest.as_bytes();
        // path_current: `this/`, `this.`, `./`
        if rest.starts_with("this") && b.get(4).copied().is_some_and(is_sep) {
            i = 5;
        } else if rest.starts_with("./") {
            i = 2;
        }
        if rest[i..].starts_with("@root") && b.get(i + 5).copied().is_some_and(is_sep) {
            path_start = Start::Root;
            i += 6;
        }
        let local = rest[i..].starts_with('@');
        if local {
            i += 1;
        }
        let mut up = 0;
        while rest[i..].starts_with("..") && b.get(i + 2).copied().is_some_and(is_sep) {
            up += 1;
            i += 3;
        }
        let mut keys: Vec<Box<str>> = Vec::new();
        loop {
            let key = if rest[i..].starts_with('[') {
                let Some(close) = rest[i + 1..].find(']') else {
                    return Err((start + i, "a `[` is never closed".into()));
                };
                let key = &rest[i + 1..i + 1 + close];
                i += close + 2;
                key
            } else {
                let len = rest[i..].len() - rest[i..].trim_start_matches(is_symbol).len();
                if len == 0 {
                    return Err((
                        start + i,
                        if i == 0 {
                            "expected a variable".to_owned()
                        } else {
                            format!("`{}` does not end a variable", &rest[..i])
                        },
                    ));
                }
                let key = &rest[i..i + len];
                i += len;
                key
            };
            if key != "this" {
                keys.push(key.into());
            }
            if b.get(i).copied().is_some_and(is_sep)
                && rest[i + 1..].starts_with(|c: char| is_symbol(c) || c == '[')
            {
                i += 1;
                continue;
            }
            break;
        }
        self.at += i;
        let raw: Box<str> = rest[..i].into();
        if keys.iter().any(|k| k.is_empty()) {
            return Err((start, format!("`{raw}`: an empty `[]` key")));
        }
        let path_start = if local {
            if matches!(path_start, Start::Root) || keys.len() != 1 {
                return Err((
                    start,
                    format!("`{raw}`: write `@index`, `@first`, `@last` or `@key` alone"),
                ));
            }
            Start::Local { up }
        } else if matches!(path_start, Start::Root) {
            Start::Root
        } else {
            Start::Scope { up }
        };
        Ok(Path {
            raw,
            start: path_start,
            keys,
            at: start,
        })
    }
}

fn unknown_helper(name: &str) -> String {
    format!(
        "unknown helper `{name}`; templates can use if, unless, each, with, eq, ne, gt, gte, lt, lte, and, or, not, len, lookup, money, date and first_name"
    )
}

fn check_arity(name: &str, args: &[Expr], (min, max): (usize, usize)) -> Result<(), String> {
    let n = args.len();
    if n >= min && n <= max {
        return Ok(());
    }
    Err(match (min, max) {
        (1, 1) => format!("`{name}` takes one value, not {n}"),
        (2, 2) => format!("`{name}` takes two values, not {n}"),
        _ => format!("`{name}` takes at least one value"),
    })
}

/// The length of the quoted string at the start of `s` (quotes included).
fn string_literal_len(s: &str, quote: char) -> Option<usize> {
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            c if c == quote => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// `number_literal` of `grammar.pest`: `-? digit+ .? digit* (E -? digit+)?` not followed by a
/// symbol character; `None` when it does not match (then it is read as a path, as there).
fn number_literal_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(i);
    if int == 0 {
        return None;
    }
    i += int;
    if b.get(i) == Some(&b'.') {
        i += 1;
        i += digits(i);
    }
    if b.get(i) == Some(&b'E') {
        let mut j = i + 1;
        if b.get(j) == Some(&b'-') {
            j += 1;
        }
        let exp = digits(j);
        if exp > 0 {
            i = j + exp;
        }
    }
    if s[i..].starts_with(is_symbol) {
        return None;
    }
    Some(i)
}
