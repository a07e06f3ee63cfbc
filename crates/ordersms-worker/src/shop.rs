//! The shop configuration: the `SHOP_CONFIG` var when set, else the file built into the
//! Worker from `cloudflare/shop/config.toml` (see build.rs), else the built-in defaults.
//! Both are JSON: build.rs checks the TOML file and hands it over as JSON, so the Worker
//! carries no TOML reader (≈ 44 KB gzipped); a var in TOML is refused with the way to move
//! it. Parsed once per isolate. A broken configuration is an error value kept and reported
//! (500 with the reason, `/healthz`), never a panic.

use std::cell::RefCell;
use std::rc::Rc;

use ordersms_core::ShopConfig;
use worker::Env;

/// `cloudflare/shop/config.toml` as it was when the Worker was built, checked and as JSON;
/// `{}` without one.
const BUILT_IN: &str = include_str!(concat!(env!("OUT_DIR"), "/shop-config.json"));

/// What `/healthz` and error messages call the built-in file.
const BUILT_IN_NAME: &str = "cloudflare/shop/config.toml (built into the Worker)";

/// A parsed configuration, or why it is unusable.
pub type Loaded = Rc<Result<ShopConfig, String>>;

/// Where the configuration in use comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The `SHOP_CONFIG` var: the older way, and the one an operator set last, so it wins.
    Var,
    /// `cloudflare/shop/config.toml`, built in at deploy.
    BuiltIn,
    /// Neither: the built-in rules and texts, no merchant phone.
    Defaults,
}

impl Source {
    /// How `/healthz` names it.
    pub fn label(self) -> &'static str {
        match self {
            Source::Var => "SHOP_CONFIG var",
            Source::BuiltIn => "cloudflare/shop/config.toml",
            Source::Defaults => "defaults",
        }
    }
}

thread_local! {
    /// The chosen text and what it parsed to: reparsed only when the text changes.
    static CACHE: RefCell<Option<(String, Loaded)>> = const { RefCell::new(None) };
}

/// What build.rs writes when there is no file: the defaults.
const NO_FILE: &str = "{}";

/// The var when it holds anything, else the built-in file.
pub fn choose<'a>(var: &'a str, built_in: &'a str) -> (Source, &'a str) {
    if !var.trim().is_empty() {
        (Source::Var, var)
    } else if !is_empty(built_in) {
        (Source::BuiltIn, built_in)
    } else {
        (Source::Defaults, "")
    }
}

fn is_empty(built_in: &str) -> bool {
    matches!(built_in.trim(), "" | NO_FILE)
}

/// Parses a configuration text: empty = built-in defaults. Errors name where it came from.
pub fn parse(source: Source, text: &str) -> Result<ShopConfig, String> {
    let text = text.trim();
    let name = match source {
        Source::BuiltIn => BUILT_IN_NAME,
        Source::Var | Source::Defaults => "SHOP_CONFIG",
    };
    if let Some(kind) = text.strip_prefix(NOT_TEXT) {
        Err(format!(
            "{name} is invalid: it is a JSON {kind} var, not text, and the Worker reads it as a string of JSON (in wrangler.toml: SHOP_CONFIG = '{{\"shop_name\": \"…\"}}'); better, move the configuration to cloudflare/shop/config.toml and set SHOP_CONFIG = \"\""
        ))
    } else if text.is_empty() {
        Ok(ShopConfig::default())
    } else if text.starts_with('{') {
        ShopConfig::from_json(text).map_err(|e| format!("{name} is invalid: {e}"))
    } else {
        // Only the var can be anything else: build.rs writes the file as JSON.
        Err(format!(
            "{name} is invalid: it is TOML, which the Worker no longer reads at run time; move the text to cloudflare/shop/config.toml (built into the Worker, checked at deploy) and set SHOP_CONFIG = \"\", or write the var as JSON"
        ))
    }
}

/// Set when the var hides a built-in file: edits to the file would seem to do nothing.
pub fn shadowed(var: &str, built_in: &str) -> Option<String> {
    (!var.trim().is_empty() && !is_empty(built_in)).then(|| {
        format!(
            "var SHOP_CONFIG is set, so {BUILT_IN_NAME} is not used; empty SHOP_CONFIG in wrangler.toml to use the file"
        )
    })
}

/// The `SHOP_CONFIG` var's text. One set but not text (a table in wrangler.toml's `[vars]` or
/// a JSON var of the dashboard: an object, which `env.var` does not read) comes back as a
/// [`not_text`] marker that [`parse`] refuses, naming it, instead of as nothing, which ran the
/// Worker on the built-in file or the defaults, silently.
fn var_text(env: &Env) -> String {
    let value = js_sys::Reflect::get(env.as_ref(), &"SHOP_CONFIG".into())
        .unwrap_or(wasm_bindgen::JsValue::UNDEFINED);
    match value.as_string() {
        Some(text) => text,
        None if value.is_undefined() || value.is_null() => String::new(),
        None => not_text(&value.js_typeof().as_string().unwrap_or_default()),
    }
}

/// Starts what [`var_text`] gives for a var that is not text; no text starts with it.
const NOT_TEXT: char = '\u{0}';

/// The marker of a var of JavaScript type `kind` that is not text.
fn not_text(kind: &str) -> String {
    format!("{NOT_TEXT}{kind}")
}

/// Where this Worker's configuration comes from, and a reminder when the var hides the file.
pub fn source(env: &Env) -> (Source, Option<String>) {
    let var = var_text(env);
    (choose(&var, BUILT_IN).0, shadowed(&var, BUILT_IN))
}

/// The configuration for this request, from cache when its text did not change.
pub fn load(env: &Env) -> Loaded {
    let var = var_text(env);
    let (source, text) = choose(&var, BUILT_IN);
    CACHE.with(|cache| {
        if let Some((cached, config)) = cache.borrow().as_ref()
            && cached == text
        {
            return config.clone();
        }
        let config = Rc::new(parse(source, text));
        if let Err(reason) = config.as_ref() {
            crate::logline::emit(
                "error",
                "config.invalid",
                crate::logline::fields! { "reason": reason },
            );
        }
        *cache.borrow_mut() = Some((text.to_owned(), config.clone()));
        config
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_defaults_and_junk_names_its_source() {
        assert!(parse(Source::Defaults, "").is_ok());
        assert!(parse(Source::Var, "  \n").is_ok());
        let err = parse(Source::Var, "{ not json").unwrap_err();
        assert!(err.starts_with("SHOP_CONFIG is invalid"), "{err}");
        let err = parse(Source::BuiltIn, r#"{"merchant": {"phone": 33612345678}}"#).unwrap_err();
        assert!(
            err.starts_with("cloudflare/shop/config.toml (built into the Worker) is invalid"),
            "{err}"
        );
    }

    #[test]
    fn a_var_in_toml_is_refused_with_the_way_to_move_it() {
        // Valid TOML, which this Worker read before: it now says where the text goes.
        let err = parse(Source::Var, "shop_name = \"Maison Lumière\"\n").unwrap_err();
        assert!(
            err.starts_with("SHOP_CONFIG is invalid: it is TOML"),
            "{err}"
        );
        assert!(
            err.contains("move the text to cloudflare/shop/config.toml"),
            "{err}"
        );
        assert!(err.contains("or write the var as JSON"), "{err}");
        let json = parse(Source::Var, r#"{"shop_name": "Maison Lumière"}"#).unwrap();
        assert_eq!(json.shop_name(), Some("Maison Lumière"));
    }

    #[test]
    fn a_var_that_is_not_text_is_refused_not_ignored() {
        // A table in wrangler.toml reaches the Worker as an object: it must not leave the
        // Worker on the file or the defaults without a word.
        let var = not_text("object");
        let (source, text) = choose(&var, r#"{"shop_name":"From the file"}"#);
        assert_eq!(source, Source::Var);
        let err = parse(source, text).unwrap_err();
        assert!(
            err.starts_with("SHOP_CONFIG is invalid: it is a JSON object var, not text"),
            "{err}"
        );
        assert!(err.contains("cloudflare/shop/config.toml"), "{err}");
        assert!(shadowed(&var, r#"{"shop_name":"From the file"}"#).is_some());
    }

    #[test]
    fn the_var_wins_over_the_built_in_file_and_says_so() {
        let file = r#"{"shop_name":"Maison Lumière"}"#;
        let var = r#"{"shop_name": "From the var"}"#;
        assert_eq!(choose("", ""), (Source::Defaults, ""));
        assert_eq!(choose("", NO_FILE), (Source::Defaults, ""));
        assert_eq!(choose(" \n", file), (Source::BuiltIn, file));
        assert_eq!(choose(var, ""), (Source::Var, var));
        assert_eq!(choose(var, NO_FILE), (Source::Var, var));
        assert_eq!(choose(var, file), (Source::Var, var));
        assert_eq!(shadowed("", file), None);
        assert_eq!(shadowed(var, " "), None);
        assert_eq!(shadowed(var, NO_FILE), None);
        let reminder = shadowed(var, file).expect("the var hides the file");
        assert!(reminder.contains("SHOP_CONFIG is set"), "{reminder}");
        assert!(
            reminder.contains("cloudflare/shop/config.toml"),
            "{reminder}"
        );
    }

    #[test]
    fn a_built_in_file_with_texts_over_a_var_limit_parses() {
        // Cloudflare caps a var at 5 KB; a built-in file has no such cap.
        let mut file = String::from("shop_name = \"Maison Lumière\"\n[templates]\n");
        for lang in ["en", "fr", "de", "es", "it", "nl"] {
            for event in ["placed", "paid", "shipped", "delivered"] {
                let text = format!("{{{{shop.name}}}}: {lang} {event} ").repeat(12);
                file.push_str(&format!("\"{lang}/{event}\" = \"{text}\"\n"));
            }
        }
        assert!(file.len() > 5 * 1024, "{}", file.len());
        // As build.rs builds it in.
        let built_in = ShopConfig::toml_to_json(&file).expect("the file is valid");
        let (source, text) = choose("", &built_in);
        assert_eq!(source, Source::BuiltIn);
        let config = parse(source, text).expect("a long file parses");
        assert_eq!(config.shop_name(), Some("Maison Lumière"));
        assert!(config.templates().has("nl/delivered"));
    }
}
