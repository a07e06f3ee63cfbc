//! The shop configuration from the `SHOP_CONFIG` var (TOML, or JSON when it starts with `{`),
//! parsed and its templates compiled once per isolate. A broken configuration is an error
//! value kept and reported (500 with the reason, `/healthz`), never a panic.

use std::cell::RefCell;
use std::rc::Rc;

use ordersms_core::ShopConfig;
use worker::Env;

/// A parsed configuration, or why it is unusable.
pub type Loaded = Rc<Result<ShopConfig, String>>;

thread_local! {
    /// The var's text and what it parsed to: reparsed only when the text changes.
    static CACHE: RefCell<Option<(String, Loaded)>> = const { RefCell::new(None) };
}

/// Parses a configuration text: empty = built-in defaults.
pub fn parse(text: &str) -> Result<ShopConfig, String> {
    let text = text.trim();
    let parsed = if text.is_empty() {
        Ok(ShopConfig::default())
    } else if text.starts_with('{') {
        ShopConfig::from_json(text)
    } else {
        ShopConfig::from_toml(text)
    };
    parsed.map_err(|e| format!("SHOP_CONFIG is invalid: {e}"))
}

/// The configuration for this request, from cache when the var did not change.
pub fn load(env: &Env) -> Loaded {
    let text = env
        .var("SHOP_CONFIG")
        .map(|v| v.to_string())
        .unwrap_or_default();
    CACHE.with(|cache| {
        if let Some((cached, config)) = cache.borrow().as_ref()
            && *cached == text
        {
            return config.clone();
        }
        let config = Rc::new(parse(&text));
        if let Err(reason) = config.as_ref() {
            crate::logline::emit(
                "error",
                "config.invalid",
                serde_json::json!({ "reason": reason }),
            );
        }
        *cache.borrow_mut() = Some((text, config.clone()));
        config
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_defaults_and_junk_names_the_var() {
        assert!(parse("").is_ok());
        assert!(parse("  \n").is_ok());
        let err = parse("this is = = not toml").unwrap_err();
        assert!(err.starts_with("SHOP_CONFIG is invalid"), "{err}");
        let err = parse("{ not json").unwrap_err();
        assert!(err.starts_with("SHOP_CONFIG is invalid"), "{err}");
    }
}
