//! `Shop`: one shop's configuration, loaded and checked once (templates compiled), then
//! `plan(webhook)` per verified webhook, with the same JSON `ordersms plan` prints.

use js_sys::Object;
use ordersms_core::plan::{self, NoOptOuts, OptOuts, Plan};
use ordersms_core::{OrderContext, ShopConfig};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::{Failure, JsResult};
use crate::errors_map::{config_failure, webhook_failure};
use crate::js;
use crate::opt_outs::{self, OptOutList};
use crate::webhook::VerifiedWebhook;

/// A shop's configuration, checked at load: a wrong key throws `invalid_config` naming it.
#[wasm_bindgen]
#[derive(Default)]
pub struct Shop {
    config: ShopConfig,
}

#[wasm_bindgen]
impl Shop {
    /// The built-in defaults (customer SMS for the main events, no merchant messages). Takes
    /// no configuration: `new Shop(text)` throws `invalid_argument` (JavaScript would
    /// otherwise drop the argument and plan every order with the defaults); load one with
    /// `Shop.fromToml` or `Shop.fromJson`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "undefined")] config: JsValue,
    ) -> JsResult<Shop> {
        if !config.is_undefined() {
            return Err(Failure::invalid_argument(
                "new Shop() takes no configuration: load it with Shop.fromToml(text) or Shop.fromJson(text)",
            ));
        }
        Ok(Shop::default())
    }

    /// From the TOML configuration file the CLI and the Worker read.
    #[wasm_bindgen(js_name = fromToml)]
    pub fn from_toml(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> JsResult<Shop> {
        let text = config_text(&text, "Shop.fromToml")?;
        let config = ShopConfig::from_toml(&text).map_err(|e| config_failure(&e))?;
        Ok(Shop { config })
    }

    /// From the same configuration as JSON text.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> JsResult<Shop> {
        let text = config_text(&text, "Shop.fromJson")?;
        let config = ShopConfig::from_json(&text).map_err(|e| config_failure(&e))?;
        Ok(Shop { config })
    }

    /// The messages to send for a verified webhook, the ones skipped and why, and the order
    /// context to store (pass it back as `options.context` with the order's next webhook).
    #[wasm_bindgen(unchecked_return_type = "Plan")]
    pub fn plan(
        &self,
        webhook: &VerifiedWebhook,
        #[wasm_bindgen(unchecked_optional_param_type = "PlanOptions")] options: Option<Object>,
    ) -> JsResult<JsValue> {
        js::plan_to_js(&self.run(webhook, options)?)
    }

    /// The numbers that answered STOP, read once for this shop (E.164, or national to its
    /// `default_country`, as `plan` reads `options.optedOut`): pass the list to every `plan`
    /// as `options.optedOut` instead of the array, which each plan would read again. Build a
    /// new list when the numbers change; a shop of another `default_country` refuses it.
    #[wasm_bindgen(js_name = optOutList)]
    pub fn opt_out_list(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly string[]")] numbers: JsValue,
    ) -> JsResult<OptOutList> {
        let numbers = opt_outs::read_numbers(
            &numbers,
            "shop.optOutList(numbers)",
            self.config.default_country(),
        )?;
        Ok(OptOutList::new(numbers))
    }

    /// `plan`, as the JSON text `ordersms plan` prints (no object building: for callers that
    /// forward or store the plan as is).
    #[wasm_bindgen(js_name = planJson)]
    pub fn plan_json(
        &self,
        webhook: &VerifiedWebhook,
        #[wasm_bindgen(unchecked_optional_param_type = "PlanOptions")] options: Option<Object>,
    ) -> JsResult<String> {
        serde_json::to_string(&self.run(webhook, options)?)
            .map_err(|e| Failure::new("internal", format!("could not serialize the plan: {e}")))
    }
}

/// The configuration text; a `Buffer` (`readFileSync` without `'utf8'`) or anything else is
/// refused with the fix.
fn config_text(text: &JsValue, function: &str) -> JsResult<String> {
    text.as_string().ok_or_else(|| {
        Failure::invalid_argument(format!(
            "{function} takes the configuration as a string (read the file with readFileSync(path, 'utf8'))"
        ))
    })
}

impl Shop {
    fn run(&self, webhook: &VerifiedWebhook, options: Option<Object>) -> JsResult<Plan> {
        // As with `js::prop`, options that are not an object read as empty.
        let options: Option<&js::PlanOptions> = options
            .as_ref()
            .filter(|o| o.is_object())
            .map(|o| o.unchecked_ref());
        let get = |getter: fn(&js::PlanOptions) -> Result<JsValue, JsValue>| {
            options.map_or(JsValue::UNDEFINED, |o| {
                getter(o).unwrap_or(JsValue::UNDEFINED)
            })
        };
        // A `Date`, a string or `Date.now()` milliseconds is refused, not read as "now" or as
        // the year 58000 (quiet hours and delays would be planned for another time).
        let now_value = get(js::PlanOptions::now);
        let now = match now_value.as_f64() {
            _ if now_value.is_undefined() || now_value.is_null() => {
                (js_sys::Date::now() / 1000.0).floor() as i64
            }
            Some(now) if now.is_finite() && now.abs() < 100_000_000_000.0 => now.floor() as i64,
            Some(now) if now.is_finite() => {
                return Err(Failure::invalid_argument(format!(
                    "options.now {now} looks like milliseconds: give UNIX seconds ({})",
                    (now / 1000.0).floor()
                )));
            }
            _ => {
                return Err(Failure::invalid_argument(
                    "options.now must be UNIX seconds (a number), e.g. Math.floor(date.getTime() / 1000)",
                ));
            }
        };
        let context_value = get(js::PlanOptions::context);
        let context: Option<OrderContext> = if context_value.is_undefined()
            || context_value.is_null()
        {
            None
        } else if let Some(text) = js::string_of(&context_value) {
            // JSON text keeps 64-bit order ids exact (JavaScript numbers stop at 2^53).
            Some(serde_json::from_str(&text).map_err(|e| js::unreadable("options.context", &e))?)
        } else {
            Some(js::from_js(&context_value, "options.context")?)
        };
        let opted_out = opt_outs::plan_option(
            &get(js::PlanOptions::opted_out),
            self.config.default_country(),
        )?;
        let opted_out: &dyn OptOuts = match &opted_out {
            Some(numbers) => &**numbers,
            None => &NoOptOuts,
        };
        // Read once per webhook, whether by `orderId` or by an earlier plan.
        let parsed = webhook.parsed().map_err(webhook_failure)?;
        Ok(plan::plan_webhook(
            parsed,
            &self.config,
            context.as_ref(),
            now,
            opted_out,
        ))
    }
}
