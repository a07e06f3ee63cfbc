//! Message text facts for JavaScript: what an SMS costs (encoding, units, segments), the GSM-7
//! folding, and template previews with the core's sample order.

use ordersms_core::segments::{self, SegmentFacts};
use ordersms_core::{Audience, EventKind, Language, RenderContext, TemplateError, Templates};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::{Failure, JsResult};
use crate::errors_map::template_failure;
use crate::js;

/// Encoding, length in encoding units and billed segments of `text`.
#[wasm_bindgen(js_name = segmentFacts, unchecked_return_type = "SegmentFacts")]
pub fn segment_facts(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsResult<JsValue> {
    js::to_js(&segments::analyze(&js::string(
        &text,
        "segmentFacts's text",
    )?))
}

/// `text` with typographic characters (smart quotes, dashes, `…`, accents outside GSM-7)
/// folded into GSM-7, as the planner does when the shop sets `transliterate = true`.
#[wasm_bindgen(js_name = transliterateToGsm7)]
pub fn transliterate_to_gsm7(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> JsResult<String> {
    let text = js::string(&text, "transliterateToGsm7's text")?;
    Ok(segments::transliterate_to_gsm7(&text).into_owned())
}

/// Every event name, in the order the configuration documents them.
#[wasm_bindgen(js_name = eventKinds, unchecked_return_type = "EventKind[]")]
pub fn event_kinds() -> Vec<String> {
    EventKind::ALL.map(|e| e.as_str().to_owned()).to_vec()
}

/// Every language ordersms ships templates for.
#[wasm_bindgen(unchecked_return_type = "Language[]")]
pub fn languages() -> Vec<String> {
    Language::ALL.map(|l| l.as_str().to_owned()).to_vec()
}

/// The default template's Handlebars source for this event, language and audience (with the
/// same English fallback as rendering), or `undefined` when ordersms has none (e.g. a merchant
/// message for `shipped`).
#[wasm_bindgen(js_name = templateSource)]
pub fn template_source(
    #[wasm_bindgen(unchecked_param_type = "TemplateSelection")] selection: JsValue,
) -> JsResult<Option<String>> {
    let (event, language, audience) = selection_of(&selection)?;
    Ok(DEFAULTS.with(|d| {
        let defaults = d.as_ref().ok()?;
        let name = defaults.resolve(event, audience, language)?;
        ordersms_core::templates::default_source(&name).map(str::to_owned)
    }))
}

/// Renders a template with the sample order (customer Camille Durand, order #1001, €404.95,
/// Colissimo tracking...) in the language's locale: the default template, or `source` in its
/// place. Throws `OrderSmsError` kind `template` (syntax error, unknown variable...) with the
/// template name and, where known, the line or variable.
#[wasm_bindgen(js_name = renderTemplate, unchecked_return_type = "RenderedTemplate")]
pub fn render_template(
    #[wasm_bindgen(unchecked_param_type = "RenderRequest")] request: JsValue,
) -> JsResult<JsValue> {
    let (event, language, audience) = selection_of(&request)?;
    let mut context = RenderContext::sample();
    // A blank locale is an empty form field (the preview page's), not a request for English.
    context.locale = js::opt_string(&request, "locale")?
        .map(|locale| locale.trim().to_owned())
        .filter(|locale| !locale.is_empty())
        .unwrap_or_else(|| language.as_str().to_owned());
    let rendered = match js::opt_string(&request, "source")? {
        Some(source) => {
            let name = match audience {
                Audience::Customer => format!("{}/{}", language.as_str(), event.as_str()),
                Audience::Merchant => format!("{}/merchant/{}", language.as_str(), event.as_str()),
            };
            // Checked like a configuration override: every variable must exist.
            Templates::with_overrides(&[(name, source)])
                .and_then(|t| t.render(event, audience, language, &context))
        }
        None => DEFAULTS.with(|d| match d {
            Ok(defaults) => defaults.render(event, audience, language, &context),
            Err(e) => Err(e.clone()),
        }),
    }
    .map_err(|e| template_failure(&e))?;
    let facts = segments::analyze(&rendered.text);
    js::to_js(&RenderedTemplate {
        text: &rendered.text,
        template: &rendered.template,
        facts,
    })
}

#[derive(Serialize)]
struct RenderedTemplate<'a> {
    text: &'a str,
    template: &'a str,
    #[serde(flatten)]
    facts: SegmentFacts,
}

thread_local! {
    // Once per instance: each shipped text is compiled the first time it is rendered.
    static DEFAULTS: Result<Templates, TemplateError> = Templates::defaults();
}

fn selection_of(value: &JsValue) -> JsResult<(EventKind, Language, Audience)> {
    let event = js::opt_string(value, "event")?.unwrap_or_default();
    let event = EventKind::parse(&event).ok_or_else(|| {
        Failure::invalid_argument(format!(
            "event: {event:?} is not an ordersms event (see eventKinds())"
        ))
    })?;
    let language = js::opt_string(value, "language")?.unwrap_or_default();
    let language = Language::ALL
        .into_iter()
        .find(|l| l.as_str() == language)
        .ok_or_else(|| {
            Failure::invalid_argument(format!(
                "language: {language:?} is not one of en, fr, de, nl, es, it"
            ))
        })?;
    let audience = match js::opt_string(value, "audience")?.as_deref() {
        None | Some("customer") => Audience::Customer,
        Some("merchant") => Audience::Merchant,
        Some(other) => {
            return Err(Failure::invalid_argument(format!(
                "audience: {other:?} is not \"customer\" or \"merchant\""
            )));
        }
    };
    Ok((event, language, audience))
}
