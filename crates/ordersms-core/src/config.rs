//! A shop's configuration: which events notify whom, on which channel, when, in which
//! language and with which texts.
//!
//! It is data, read from TOML or JSON (same schema, documented in `docs/configuration.md`)
//! and checked completely at load: unknown keys, unknown events, time zones, times of day,
//! languages, channels, the merchant phone and every template are verified here, so a typo
//! fails when the shop starts with the key's path and the fix, never on the first order.
//! The built-in defaults live in one place: [`ShopConfig::default`] and [`DEFAULT_CUSTOMER_EVENTS`].

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use thiserror::Error;

use crate::model::{Audience, Channel, EventKind, Language};
use crate::phone::{Phone, PhoneError};
use crate::record::record;
use crate::schedule::{QuietHours, Schedule, ScheduleError, TimeOfDay};
use crate::templates::{TemplateError, Templates};

/// Events that text the customer when the configuration says nothing about them.
pub const DEFAULT_CUSTOMER_EVENTS: [EventKind; 7] = [
    EventKind::Placed,
    EventKind::Shipped,
    EventKind::OutForDelivery,
    EventKind::Delivered,
    EventKind::Cancelled,
    EventKind::Refunded,
    EventKind::PartiallyRefunded,
];

/// How one event reaches one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub channel: Channel,
    /// Ask SMSMobileAPI to shorten links.
    pub shorturl: bool,
    /// Wait this long after the event before sending (then quiet hours apply).
    pub delay_minutes: u32,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule {
            channel: Channel::Sms,
            shorturl: false,
            delay_minutes: 0,
        }
    }
}

/// Why a configuration was refused. Every message starts with the key path and says what
/// to write instead; [`ConfigError::path`] gives the path alone.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Not TOML/JSON, an unknown key, or a value of the wrong type.
    #[error("{path}: {message}{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
    #[error("events.{name}: unknown event; expected one of {}", event_list())]
    UnknownEvent { name: String },
    #[error("{path}: {source}")]
    Schedule {
        path: &'static str,
        source: ScheduleError,
    },
    #[error(
        "{path}: {value:?} is not a supported language; expected one of en, fr, de, nl, es, it"
    )]
    UnknownLanguage { path: String, value: String },
    #[error("{path}: {value:?} is not a channel; expected one of sms, whatsapp, both")]
    UnknownChannel { path: String, value: String },
    #[error("default_country: {value:?} is not an ISO 3166 alpha-2 country code (e.g. \"FR\")")]
    BadCountry { value: String },
    /// A two-letter code ordersms has no numbering plan for: national numbers cannot be read.
    #[error(
        "default_country: {value:?} is not a country ordersms can read national phone numbers for{}; use its ISO 3166 code (e.g. \"FR\", \"GB\") or remove the key",
        if value.eq_ignore_ascii_case("UK") { " (the United Kingdom is \"GB\")" } else { "" }
    )]
    UnknownCountry { value: String },
    #[error(
        "merchant.phone: required when any event has merchant = true (here: {events}); add [merchant] phone = \"+33612345678\""
    )]
    MerchantPhoneMissing { events: String },
    #[error(
        "merchant.phone: {value:?} is not an E.164 number: write + then country code and number, digits only (e.g. \"+33612345678\")"
    )]
    BadMerchantPhone { value: String },
    /// E.164 in form, but not a number of its country (a digit missing or too many).
    #[error("merchant.phone: {value:?} is not a usable number: {reason}; check the digits")]
    UnusableMerchantPhone { value: String, reason: PhoneError },
    #[error(
        "device: must not be empty; give the sIdentifiant of the phone in SMSMobileAPI, or remove the key"
    )]
    EmptyDevice,
    #[error("templates: {0}")]
    Template(TemplateError),
    #[error(
        "events.{event}.merchant: ordersms has no merchant template for {event}; add [templates] \"{language}/merchant/{event}\" = \"...\" or set merchant = false"
    )]
    MissingMerchantTemplate {
        event: &'static str,
        language: &'static str,
    },
}

impl ConfigError {
    /// The configuration key the error is about, e.g. `events.shipped.channel`; `(toml)` or
    /// `(json)` when the text does not parse at all.
    pub fn path(&self) -> String {
        match self {
            ConfigError::Invalid { path, .. } => path.clone(),
            ConfigError::UnknownEvent { name } => format!("events.{name}"),
            ConfigError::Schedule { path, .. } => (*path).to_owned(),
            ConfigError::UnknownLanguage { path, .. }
            | ConfigError::UnknownChannel { path, .. } => path.clone(),
            ConfigError::BadCountry { .. } | ConfigError::UnknownCountry { .. } => {
                "default_country".to_owned()
            }
            ConfigError::MerchantPhoneMissing { .. }
            | ConfigError::BadMerchantPhone { .. }
            | ConfigError::UnusableMerchantPhone { .. } => "merchant.phone".to_owned(),
            ConfigError::EmptyDevice => "device".to_owned(),
            ConfigError::Template(e) => match e {
                TemplateError::BadName { name } => format!("templates.\"{name}\""),
                TemplateError::Syntax { template, .. }
                | TemplateError::UnknownVariable { template, .. }
                | TemplateError::Render { template, .. } => format!("templates.\"{template}\""),
                TemplateError::Missing { .. } => "templates".to_owned(),
            },
            ConfigError::MissingMerchantTemplate { event, .. } => {
                format!("events.{event}.merchant")
            }
        }
    }
}

fn event_list() -> String {
    EventKind::ALL.map(EventKind::as_str).join(", ")
}

/// A shop's checked configuration.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    shop_name: Option<String>,
    default_country: Option<String>,
    default_language: Language,
    merchant_phone: Option<String>,
    merchant_language: Option<Language>,
    device_sid: Option<String>,
    transliterate: bool,
    skip_test_orders: bool,
    rules: Vec<(EventKind, Audience, Rule)>,
    templates: Templates,
    schedule: Schedule,
}

impl Default for ShopConfig {
    /// Customer SMS for [`DEFAULT_CUSTOMER_EVENTS`], nothing for the merchant, English, UTC,
    /// no quiet hours, test orders skipped, no transliteration.
    fn default() -> ShopConfig {
        ShopConfig::build(RawConfig::default()).unwrap_or_else(|e| {
            // The defaults are constants checked by tests; reaching this is a build defect.
            unreachable!("built-in configuration is invalid: {e}")
        })
    }
}

impl ShopConfig {
    /// Reads and checks a TOML configuration.
    pub fn from_toml(text: &str) -> Result<ShopConfig, ConfigError> {
        let line_of = |offset: usize| text.get(..offset).map(|s| s.matches('\n').count() + 1);
        let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::Invalid {
            path: "(toml)".to_owned(),
            line: e.span().and_then(|s| line_of(s.start)),
            message: e.message().trim().to_owned(),
        })?;
        // No path tracking while deserializing (it costs ~25 KB of the Worker's WASM,
        // monomorphised for every type here): toml gives each error the span of the key or
        // value it is about, and `toml_path` finds that span's key path afterwards.
        let raw = RawConfig::deserialize(deserializer).map_err(|e| ConfigError::Invalid {
            path: e
                .span()
                .and_then(|span| toml_path(text, span, e.message()))
                .unwrap_or_else(|| TOP_LEVEL.to_owned()),
            line: e.span().and_then(|s| line_of(s.start)),
            message: unquoted_datetime(text, e.span(), e.message())
                .unwrap_or_else(|| e.message().trim().to_owned()),
        })?;
        ShopConfig::build(raw)
    }

    /// Reads and checks a JSON configuration (same schema as TOML). Natively and in the npm
    /// package it is read as the TOML document it stands for, so both formats share one
    /// reader and its errors (the key path). The Worker's build (`one-json-reader` on
    /// wasm32) has no TOML reader (≈ 44 KB gzipped, BENCHMARKS.md §3): it reads the same
    /// text directly ([`ShopConfig::from_json_text`]), and its errors name no key path.
    pub fn from_json(text: &str) -> Result<ShopConfig, ConfigError> {
        if cfg!(all(feature = "one-json-reader", target_arch = "wasm32")) {
            return ShopConfig::from_json_text(text.as_bytes());
        }
        let value: serde_json::Value =
            serde_json::from_slice(text.as_bytes()).map_err(json_error)?;
        let serde_json::Value::Object(root) = value else {
            return Err(not_an_object());
        };
        // The TOML's line numbers are not the file's: errors name the key path alone.
        ShopConfig::from_toml(&json_as_toml(&root)).map_err(|e| match e {
            ConfigError::Invalid { path, message, .. } if path == "(toml)" => {
                json_invalid(None, message)
            }
            ConfigError::Invalid { path, message, .. } => ConfigError::Invalid {
                path,
                line: None,
                message,
            },
            other => other,
        })
    }

    /// A TOML configuration, checked, as the JSON the Worker reads: `build.rs` builds
    /// `cloudflare/shop/config.toml` into the Worker this way, checked natively with the
    /// key paths of TOML errors, so the Worker needs no TOML reader. The JSON reads back to
    /// the same configuration (a test compares them); empty text is `{}`, the defaults.
    pub fn toml_to_json(text: &str) -> Result<String, ConfigError> {
        ShopConfig::from_toml(text)?;
        // Checked, so it holds no TOML date or time (refused wherever it is written): every
        // value has its JSON form.
        let tree: serde_json::Value = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: "(toml)".to_owned(),
            line: None,
            message: e.message().trim().to_owned(),
        })?;
        Ok(tree.to_string())
    }

    /// A JSON configuration read with `null` meaning what it means on the TOML way
    /// ([`json_as_toml`]): a key set to `null` is absent, a `null` in a list is a table. The
    /// text is written again without its nulls, as a `serde_json::Value` of it would be
    /// written (a key given twice keeps its last value, keys in order: [`without_nulls`]),
    /// and read by the webhook bodies' reader (`serde_json::from_slice` with
    /// [`crate::record`]'s one visitor, not serde's derive), so the Worker's build has no
    /// `Value` reader for it. Same configurations accepted and refused as the TOML way, with
    /// the same messages (a test compares them); errors name no key path.
    fn from_json_text(text: &[u8]) -> Result<ShopConfig, ConfigError> {
        let root: &RawValue = serde_json::from_slice(text).map_err(json_error)?;
        if !root.get().starts_with('{') {
            return Err(not_an_object());
        }
        let mut cleaned = Vec::with_capacity(text.len());
        without_nulls(root, &mut cleaned).map_err(|e| json_invalid(None, without_position(&e)))?;
        // serde's message, without the position in a text the user did not write.
        let raw = crate::record::from_slice::<RawConfig>(&cleaned)
            .map_err(|e| json_invalid(None, without_position(&e)))?;
        ShopConfig::build(raw)
    }

    pub fn shop_name(&self) -> Option<&str> {
        self.shop_name.as_deref()
    }

    /// ISO 3166 alpha-2, upper case: the country of numbers written without `+`.
    pub fn default_country(&self) -> Option<&str> {
        self.default_country.as_deref()
    }

    pub fn default_language(&self) -> Language {
        self.default_language
    }

    /// E.164, as configured.
    pub fn merchant_phone(&self) -> Option<&str> {
        self.merchant_phone.as_deref()
    }

    /// The language of merchant messages; the shop's default language unless set.
    pub fn merchant_language(&self) -> Language {
        self.merchant_language.unwrap_or(self.default_language)
    }

    /// SMSMobileAPI `sIdentifiant` of the phone that sends, when the account has several.
    pub fn device_sid(&self) -> Option<&str> {
        self.device_sid.as_deref()
    }

    /// Fold smart quotes, dashes and accents outside GSM-7 into GSM-7 before sending.
    pub fn transliterate(&self) -> bool {
        self.transliterate
    }

    pub fn skip_test_orders(&self) -> bool {
        self.skip_test_orders
    }

    /// How `event` reaches `audience`; `None` means it does not.
    pub fn rule(&self, event: EventKind, audience: Audience) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|(e, a, _)| *e == event && *a == audience)
            .map(|(_, _, rule)| rule)
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    fn build(raw: RawConfig) -> Result<ShopConfig, ConfigError> {
        let language =
            |path: &str, value: Option<String>| -> Result<Option<Language>, ConfigError> {
                value
                    .map(|v| {
                        Language::ALL
                            .into_iter()
                            .find(|l| l.as_str() == v.trim().to_ascii_lowercase())
                            .ok_or(ConfigError::UnknownLanguage {
                                path: path.to_owned(),
                                value: v,
                            })
                    })
                    .transpose()
            };
        let default_language =
            language("default_language", raw.default_language)?.unwrap_or(Language::En);

        let default_country = match raw.default_country {
            None => None,
            // Its only use is reading numbers written without +: a code with no numbering
            // plan in `phone` would make every such number unusable, order after order.
            Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                if !crate::phone::reads_national_numbers_of(&c) {
                    return Err(ConfigError::UnknownCountry { value: c });
                }
                Some(c.to_ascii_uppercase())
            }
            Some(value) => return Err(ConfigError::BadCountry { value }),
        };

        let schedule_err =
            |path: &'static str| move |source| ConfigError::Schedule { path, source };
        let quiet_hours = match raw.quiet_hours {
            None => None,
            Some(q) => {
                let start =
                    TimeOfDay::parse(&q.start).map_err(schedule_err("quiet_hours.start"))?;
                let end = TimeOfDay::parse(&q.end).map_err(schedule_err("quiet_hours.end"))?;
                Some(QuietHours::new(start, end).map_err(schedule_err("quiet_hours"))?)
            }
        };
        let schedule = Schedule::new(raw.timezone.as_deref().unwrap_or("UTC"), quiet_hours)
            .map_err(schedule_err("timezone"))?;

        let device_sid = match raw.device {
            Some(d) if d.trim().is_empty() => return Err(ConfigError::EmptyDevice),
            d => d.map(|d| d.trim().to_owned()),
        };

        let merchant = raw.merchant.unwrap_or_default();
        let merchant_language = language("merchant.language", merchant.language)?;
        let merchant_phone = merchant
            .phone
            .map(|p| {
                let p = p.trim().to_owned();
                let digits = p.strip_prefix('+').unwrap_or("");
                let ok = (8..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0');
                if !ok {
                    return Err(ConfigError::BadMerchantPhone { value: p });
                }
                // The planner dials it with `Phone::parse`, which also checks the length
                // for the countries it knows: a number it refuses would skip every merchant
                // message as "no merchant phone", so it is refused here, at load.
                match Phone::parse(&p, None) {
                    Ok(_) => Ok(p),
                    Err(reason) => Err(ConfigError::UnusableMerchantPhone { value: p, reason }),
                }
            })
            .transpose()?;

        let rules = build_rules(raw.events)?;

        let templates =
            Templates::with_overrides(&raw.templates.0).map_err(ConfigError::Template)?;

        let merchant_events: Vec<EventKind> = rules
            .iter()
            .filter(|(_, a, _)| *a == Audience::Merchant)
            .map(|(e, _, _)| *e)
            .collect();
        if !merchant_events.is_empty() && merchant_phone.is_none() {
            return Err(ConfigError::MerchantPhoneMissing {
                events: merchant_events
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let merchant_lang = merchant_language.unwrap_or(default_language);
        for event in merchant_events {
            if templates
                .resolve(event, Audience::Merchant, merchant_lang)
                .is_none()
            {
                return Err(ConfigError::MissingMerchantTemplate {
                    event: event.as_str(),
                    language: merchant_lang.as_str(),
                });
            }
        }

        Ok(ShopConfig {
            shop_name: raw
                .shop_name
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            default_country,
            default_language,
            merchant_phone,
            merchant_language,
            device_sid,
            transliterate: raw.transliterate.unwrap_or(false),
            skip_test_orders: raw.skip_test_orders.unwrap_or(true),
            rules,
            templates,
            schedule,
        })
    }
}

fn build_rules(events: Table<RawEvent>) -> Result<Vec<(EventKind, Audience, Rule)>, ConfigError> {
    // One place per event, in `EventKind::ALL`'s order: a map keyed by event built the Worker
    // ≈ 9 KB of B-tree code (3.5 KB gzipped) for 13 keys. Two names of one event (" paid" and "paid"): the
    // later in `events`' order wins, as a map's insert had it.
    let mut configured = [const { None }; EventKind::ALL.len()];
    for (name, raw) in events.0 {
        let event = EventKind::parse(name.trim())
            .ok_or(ConfigError::UnknownEvent { name: name.clone() })?;
        configured[event as usize] = Some(raw);
    }
    let channel = |path: String, value: Option<String>| -> Result<Option<Channel>, ConfigError> {
        value
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "sms" => Ok(Channel::Sms),
                "whatsapp" => Ok(Channel::Whatsapp),
                "both" => Ok(Channel::Both),
                _ => Err(ConfigError::UnknownChannel { path, value: v }),
            })
            .transpose()
    };
    let mut rules = Vec::new();
    for (event, raw) in EventKind::ALL.into_iter().zip(configured) {
        let raw: RawEvent = raw.unwrap_or_default();
        let name = event.as_str();
        let base = Rule {
            channel: channel(format!("events.{name}.channel"), raw.channel)?.unwrap_or_default(),
            shorturl: raw.shorturl.unwrap_or(false),
            delay_minutes: raw.delay_minutes.unwrap_or(0),
        };
        for (audience, key, setting, default_on) in [
            (
                Audience::Customer,
                "customer",
                raw.customer,
                DEFAULT_CUSTOMER_EVENTS.contains(&event),
            ),
            (Audience::Merchant, "merchant", raw.merchant, false),
        ] {
            let rule = match setting {
                None if default_on => Some(base),
                None | Some(RawAudience::Enabled(false)) => None,
                Some(RawAudience::Enabled(true)) => Some(base),
                Some(RawAudience::Custom(custom)) => Some(Rule {
                    channel: channel(format!("events.{name}.{key}.channel"), custom.channel)?
                        .unwrap_or(base.channel),
                    shorturl: custom.shorturl.unwrap_or(base.shorturl),
                    delay_minutes: custom.delay_minutes.unwrap_or(base.delay_minutes),
                }),
            };
            if let Some(rule) = rule {
                rules.push((event, audience, rule));
            }
        }
    }
    Ok(rules)
}

/// serde sees a TOML date or time (`start = 21:00`, quotes forgotten) as a map, and says
/// "invalid type: map, expected a string": name what was written and the fix instead. A
/// value refused as a map that starts with a digit can only be a date or time.
fn unquoted_datetime(
    text: &str,
    span: Option<std::ops::Range<usize>>,
    message: &str,
) -> Option<String> {
    let raw = text.get(span?)?.trim();
    let datetime = raw.starts_with(|c: char| c.is_ascii_digit());
    (datetime && message.starts_with("invalid type: map")).then(|| {
        format!(
            "{raw} is a TOML date or time, not a string: write it in quotes (a time of day as \"HH:MM\", e.g. \"21:00\")"
        )
    })
}

/// serde_json's message without the " at line L column C" it appends (the line is given
/// apart, or is that of a text the user did not write).
fn without_position(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    match message.strip_suffix(&at) {
        Some(bare) => bare.to_owned(),
        None => message,
    }
}

/// A JSON configuration that is not JSON, with the line where reading stopped.
fn json_error(e: serde_json::Error) -> ConfigError {
    json_invalid((e.line() > 0).then_some(e.line()), without_position(&e))
}

fn not_an_object() -> ConfigError {
    json_invalid(None, "expected a JSON object".to_owned())
}

/// Writes `value` to `out` as `serde_json::to_vec` writes the `serde_json::Value` of it with
/// its nulls dropped ([`ShopConfig::from_json_text`]): an object's keys in order, each once
/// with its last value, those set to `null` left out; a `null` in a list an empty object;
/// numbers and strings checked as a `Value` checks them (a number out of range, a lone
/// surrogate), then written as they are. A value that a later duplicate key replaces is
/// checked as JSON syntax only.
fn without_nulls(value: &RawValue, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'{') => {
            // Keys in order, the last value of a key given twice, as a `Value`'s map has them.
            let mut entries = Table::<String>::default();
            serde_json::Deserializer::from_slice(text.as_bytes())
                .deserialize_map(RawEntries(&mut entries))?;
            out.push(b'{');
            let mut first = true;
            for (key, value) in &entries.0 {
                if value == "null" {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                without_nulls(serde_json::from_slice(value.as_bytes())?, out)?;
            }
            out.push(b'}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_slice(text.as_bytes())?;
            out.push(b'[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if item.get() == "null" {
                    out.extend_from_slice(b"{}");
                } else {
                    without_nulls(item, out)?;
                }
            }
            out.push(b']');
        }
        Some(b'"') => {
            serde_json::from_slice::<String>(text.as_bytes())?;
            out.extend_from_slice(text.as_bytes());
        }
        Some(b'-' | b'0'..=b'9') => {
            serde_json::from_slice::<f64>(text.as_bytes())?;
            out.extend_from_slice(text.as_bytes());
        }
        _ => out.extend_from_slice(text.as_bytes()),
    }
    Ok(())
}

/// An object's entries as key and JSON text, into a map (see [`without_nulls`]).
struct RawEntries<'a>(&'a mut Table<String>);

impl<'de> Visitor<'de> for RawEntries<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<String>()? {
            let value: &RawValue = m.next_value()?;
            *self.0.entry(key) = value.get().to_owned();
        }
        Ok(())
    }
}

/// A JSON configuration that does not read, at `line` when known.
fn json_invalid(line: Option<usize>, message: String) -> ConfigError {
    ConfigError::Invalid {
        path: "(json)".to_owned(),
        line,
        message,
    }
}

/// The path of an error about the configuration as a whole.
const TOP_LEVEL: &str = "(top level)";

/// A JSON configuration's object as a TOML document, one top-level key a line, nested
/// objects as inline tables. JSON's `null` has no TOML form: a key set to `null` is left
/// out, which for the configuration (every key optional) is what `null` means; a `null` in
/// an array has nothing to be, and is written as an empty table for the reader to refuse.
fn json_as_toml(root: &serde_json::Map<String, serde_json::Value>) -> String {
    use serde_json::Value;
    fn string(out: &mut String, text: &str) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    fn value(out: &mut String, v: &Value) {
        match v {
            Value::Null => out.push_str("{}"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    value(out, item);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                entries(out, map, ", ");
                out.push('}');
            }
        }
    }
    fn entries(out: &mut String, map: &serde_json::Map<String, Value>, separator: &str) {
        let mut first = true;
        for (key, v) in map.iter().filter(|(_, v)| !v.is_null()) {
            if !first {
                out.push_str(separator);
            }
            first = false;
            string(out, key);
            out.push_str(" = ");
            value(out, v);
        }
    }
    let mut out = String::new();
    entries(&mut out, root, "\n");
    out
}

/// The key path (`events.shipped.channel`, `quiet_hours[0]`) of the key or value of a TOML
/// document at `span`, written as `serde_path_to_error` writes paths; `None` for the root.
/// Only called on the error path, on a document that parsed already. The paths are the ones
/// path tracking gave (a test compares them on every kind of value in every place).
fn toml_path(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<String> {
    use std::ops::Range;
    use toml::Spanned;
    use toml::de::{DeTable, DeValue};

    /// What has the span: a key, or a value (is it a datetime?).
    enum Found {
        Key,
        Value { datetime: bool },
    }

    fn in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut String) -> Option<Found> {
        for (key, value) in table {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key.get_ref());
            if key.span() == *span {
                return Some(Found::Key);
            }
            if let Some(found) = in_value(value, span, path) {
                return Some(found);
            }
            path.truncate(len);
        }
        None
    }

    // The innermost match wins: an error about a table is about the table only when none of
    // its keys or values has that span.
    fn in_value(
        value: &Spanned<DeValue<'_>>,
        span: &Range<usize>,
        path: &mut String,
    ) -> Option<Found> {
        match value.get_ref() {
            DeValue::Table(table) => {
                if let Some(found) = in_table(table, span, path) {
                    return Some(found);
                }
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                    if let Some(found) = in_value(item, span, path) {
                        return Some(found);
                    }
                    path.truncate(len);
                }
            }
            _ => {}
        }
        (value.span() == *span).then_some(Found::Value {
            datetime: matches!(value.get_ref(), DeValue::Datetime(_)),
        })
    }

    let root = DeTable::parse(text).ok()?;
    let mut path = String::new();
    let found = in_table(root.get_ref(), &span, &mut path)?;
    // serde sees a TOML datetime as a table with one private key: unless the error refused
    // that table as a whole, it is about the key or its value, and path tracking named it.
    if let Found::Value { datetime: true } = found
        && !message.starts_with("invalid type: map")
    {
        path.push_str(".$__toml_private_datetime");
    }
    Some(path)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    shop_name: Option<String>,
    timezone: Option<String>,
    default_country: Option<String>,
    default_language: Option<String>,
    device: Option<String>,
    transliterate: Option<bool>,
    skip_test_orders: Option<bool>,
    quiet_hours: Option<RawQuietHours>,
    merchant: Option<RawMerchant>,
    #[serde(default)]
    events: Table<RawEvent>,
    #[serde(default)]
    templates: Table<String>,
}

/// Entries by name in key order, each key once with its last value (the configuration's
/// `[events]` and `[templates]`, the parsed templates): what a `BTreeMap<String, V>` holds,
/// kept as a sorted list because the Worker would build a B-tree's code for each value type
/// (≈ 2 KB gzipped each).
#[derive(Debug, PartialEq)]
pub(crate) struct Table<V>(pub(crate) Vec<(String, V)>);

impl<V: Default> Table<V> {
    /// `key`'s value, a default one put in its place when the key is new.
    pub(crate) fn entry(&mut self, key: String) -> &mut V {
        let at = match self.0.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (key, V::default()));
                at
            }
        };
        &mut self.0[at].1
    }
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table(Vec::new())
    }
}

/// Read as a map is (`BTreeMap`'s `Deserialize`: a key given twice keeps its last value).
impl<'de, V: Deserialize<'de> + Default> Deserialize<'de> for Table<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TableVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de> + Default> Visitor<'de> for TableVisitor<V> {
            type Value = Table<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Table<V>, A::Error> {
                let mut table = Table::default();
                while let Some((key, value)) = m.next_entry()? {
                    *table.entry(key) = value;
                }
                Ok(table)
            }
        }

        d.deserialize_map(TableVisitor(std::marker::PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQuietHours {
    start: String,
    end: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMerchant {
    phone: Option<String>,
    language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvent {
    customer: Option<RawAudience>,
    merchant: Option<RawAudience>,
    channel: Option<String>,
    shorturl: Option<bool>,
    delay_minutes: Option<u32>,
}

/// `customer = true` or `customer = { delay_minutes = 30, channel = "whatsapp" }`.
#[derive(Debug)]
pub(crate) enum RawAudience {
    Enabled(bool),
    Custom(RawAudienceRule),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudienceRule {
    channel: Option<String>,
    shorturl: Option<bool>,
    delay_minutes: Option<u32>,
}

impl RawAudience {
    /// What its visitors expect, in their "invalid type" messages.
    pub(crate) const EXPECTING: &str =
        "true, false, or a table { channel, shorturl, delay_minutes }";
}

// The Worker's reader of the structs above (crate::record), field for field as the derive.
record!(RawConfig as "RawConfig" deny_unknown_fields extra_elements_skipped, [
    shop_name: OptString Opt,
    timezone: OptString Opt,
    default_country: OptString Opt,
    default_language: OptString Opt,
    device: OptString Opt,
    transliterate: OptBool Opt,
    skip_test_orders: OptBool Opt,
    quiet_hours: QuietHours Opt,
    merchant: Merchant Opt,
    events: Events Default,
    templates: Templates Default,
]);
record!(RawQuietHours as "RawQuietHours" deny_unknown_fields extra_elements_skipped, [
    start: Str Req,
    end: Str Req,
]);
record!(RawMerchant as "RawMerchant" deny_unknown_fields extra_elements_skipped, [
    phone: OptString Opt,
    language: OptString Opt,
]);
record!(RawEvent as "RawEvent" deny_unknown_fields extra_elements_skipped, [
    customer: Audience Opt,
    merchant: Audience Opt,
    channel: OptString Opt,
    shorturl: OptBool Opt,
    delay_minutes: OptU32 Opt,
]);
// Only read from a table (an audience is `true`, `false` or a table), never from an array.
record!(RawAudienceRule as "RawAudienceRule" deny_unknown_fields, [
    channel: OptString Opt,
    shorturl: OptBool Opt,
    delay_minutes: OptU32 Opt,
]);

impl<'de> Deserialize<'de> for RawAudience {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;
        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = RawAudience;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(RawAudience::EXPECTING)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawAudience, E> {
                Ok(RawAudience::Enabled(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawAudience, A::Error> {
                RawAudienceRule::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawAudience::Custom)
            }
        }
        deserializer.deserialize_any(AudienceVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A `Table` holds what a `BTreeMap` holds after the same inserts: keys in order,
        /// each once with its last value, whether filled by `entry` or read from a map.
        #[test]
        fn a_table_holds_what_a_btreemap_holds(
            entries in proptest::collection::vec(("[ a-c]{0,3}", 0u8..4), 0..24)
        ) {
            let mut table = Table::<u8>::default();
            let mut map = std::collections::BTreeMap::new();
            for (key, value) in &entries {
                *table.entry(key.clone()) = *value;
                map.insert(key.clone(), *value);
            }
            let expected: Vec<(String, u8)> = map.into_iter().collect();
            proptest::prop_assert_eq!(&table.0, &expected);

            let text = format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k:?}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let read: Table<u8> = serde_json::from_str(&text).unwrap();
            proptest::prop_assert_eq!(read.0, expected);
        }
    }

    /// The path `serde_path_to_error` gives for a TOML document that parses but does not
    /// deserialize (what `from_toml` reported before `toml_path`).
    fn tracked_path(text: &str) -> Option<String> {
        let deserializer = toml::Deserializer::parse(text).ok()?;
        serde_path_to_error::deserialize::<_, RawConfig>(deserializer)
            .err()
            .map(|e| display_path(e.path()))
    }

    /// `serde_path_to_error` writes the root as `.`.
    fn display_path(path: &serde_path_to_error::Path) -> String {
        let path = path.to_string();
        if path == "." || path.is_empty() {
            TOP_LEVEL.to_owned()
        } else {
            path
        }
    }

    fn untracked_path(text: &str) -> Option<String> {
        match ShopConfig::from_toml(text) {
            Err(ConfigError::Invalid { path, .. }) if path != "(toml)" => Some(path),
            _ => None,
        }
    }

    /// Values of every type, in every place a value can go.
    const VALUES: [&str; 14] = [
        "\"x\"",
        "5",
        "-5",
        "1.5",
        "true",
        "1979-05-27",
        "07:32:00",
        "1979-05-27T07:32:00Z",
        "[]",
        "[1, \"a\"]",
        "[\"21:00\"]",
        "{}",
        "{ delay = 5 }",
        "{ channel = 5, delay_minutes = \"x\" }",
    ];

    const PLACES: [&str; 26] = [
        "shop_name = V\n",
        "[nope]\nx = V\n",
        "[[quiet_hours]]\nstart = V\n",
        "quiet_hours = { start = V, end = \"08:00\", x = 1 }\n",
        "events.shipped.customer = V\n",
        "[events.shipped.customer]\nchannel = V\nx = 2\n",
        "[templates.en]\nshipped = V\n",
        "[merchant]\nphone = \"+33612345678\"\nlanguage = V\n",
        "shop_name = \"a\"\n[events.placed]\ncustomer = true\n[events.paid.merchant]\ndelay_minutes = V\n",
        "transliterate = V\n",
        "nope = V\n",
        "quiet_hours = V\n",
        "[quiet_hours]\nstart = V\nend = \"08:00\"\n",
        "[quiet_hours]\nstart = \"21:00\"\nend = V\n",
        "[quiet_hours]\nstart = \"21:00\"\n",
        "[merchant]\nphone = V\n",
        "merchant = V\n",
        "events = V\n",
        "[events]\nshipped = V\n",
        "[events.shipped]\ncustomer = V\n",
        "[events.shipped]\nmerchant = { channel = V }\n",
        "[events.shipped]\ncustomer = { delay_minutes = V }\n",
        "[events.shipped]\ndelay_minutes = V\nchanel = 1\n",
        "[[events.shipped]]\ncustomer = V\n",
        "templates = V\n",
        "[templates]\n\"en/shipped\" = V\n",
    ];

    #[test]
    fn toml_paths_are_the_ones_path_tracking_gives() {
        let mut checked = 0;
        let mut mismatches = Vec::new();
        for place in PLACES {
            for value in VALUES {
                let text = place.replace('V', value);
                let Some(expected) = tracked_path(&text) else {
                    continue;
                };
                let got = untracked_path(&text);
                if got.as_ref() != Some(&expected) {
                    mismatches.push(format!("{text:?}: {got:?} != {expected:?}"));
                }
                checked += 1;
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        assert!(checked > 250, "{checked}");
    }

    /// What a configuration reads to, or its error without the key path and line (the
    /// Worker's reader names neither).
    fn outcome(read: Result<ShopConfig, ConfigError>) -> Result<String, String> {
        match read {
            Ok(config) => Ok(format!("{config:?}")),
            Err(ConfigError::Invalid { message, .. }) => Err(message),
            Err(other) => Err(other.to_string()),
        }
    }

    fn tree_of(json: &str) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(json).unwrap() {
            serde_json::Value::Object(root) => root,
            other => panic!("not an object: {other}"),
        }
    }

    /// JSON values of every kind, those TOML has not (`null`, numbers out of range) too.
    const JSON_VALUES: [&str; 19] = [
        "\"x\"",
        // Tables written as arrays, with more elements than fields.
        "[\"21:00\", \"08:00\", \"x\"]",
        "[true, {\"delay_minutes\": 5}, \"sms\", true, 5, [1]]",
        "[null, null, null, null, null, null]",
        "5",
        "-5",
        "1.5",
        "1e3",
        "4294967296",
        "18446744073709551615",
        "true",
        "null",
        "[]",
        "[1, null]",
        "[\"21:00\", \"08:00\"]",
        "{}",
        "{\"delay_minutes\": 5, \"channel\": null}",
        "{\"channel\": 5, \"delay_minutes\": \"x\"}",
        "{\"start\": \"21:00\", \"end\": \"08:00\"}",
    ];

    /// JSON configurations with `V` in every place a value can go.
    const JSON_PLACES: [&str; 18] = [
        "{\"shop_name\": V}",
        "{\"nope\": V}",
        "{\"quiet_hours\": V}",
        "{\"quiet_hours\": {\"start\": V, \"end\": \"08:00\"}}",
        "{\"quiet_hours\": {\"start\": \"21:00\", \"end\": V}}",
        "{\"merchant\": V}",
        "{\"merchant\": {\"phone\": \"+33612345678\", \"language\": V}}",
        "{\"merchant\": {\"phone\": V}, \"events\": {\"placed\": {\"merchant\": true}}}",
        "{\"events\": V}",
        "{\"events\": {\"shipped\": V}}",
        "{\"events\": {\"shipped\": {\"customer\": V}}}",
        "{\"events\": {\"shipped\": {\"customer\": {\"delay_minutes\": V}}}}",
        "{\"events\": {\"shipped\": {\"channel\": V, \"shorturl\": V}}}",
        "{\"events\": {\"shiped\": V}}",
        "{\"templates\": V}",
        "{\"templates\": {\"en/shipped\": V}}",
        "{\"transliterate\": V, \"skip_test_orders\": V}",
        "{\"timezone\": V, \"default_language\": V, \"default_country\": V, \"device\": V}",
    ];

    #[test]
    fn the_workers_json_reader_accepts_and_refuses_what_the_toml_way_does() {
        let mut accepted = 0;
        let mut mismatches = Vec::new();
        for place in JSON_PLACES {
            for value in JSON_VALUES {
                let json = place.replace('V', value);
                let through_toml = outcome(ShopConfig::from_toml(&json_as_toml(&tree_of(&json))));
                let direct = outcome(ShopConfig::from_json_text(json.as_bytes()));
                if direct != through_toml {
                    // A configuration's Debug is long: its start says enough.
                    let short = |o: &Result<String, String>| -> String {
                        format!("{o:?}").chars().take(200).collect()
                    };
                    mismatches.push(format!(
                        "{json}: {} != {}",
                        short(&direct),
                        short(&through_toml)
                    ));
                }
                accepted += usize::from(direct.is_ok());
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        // Both outcomes are exercised, not only refusals.
        assert!(accepted > 20, "{accepted}");
    }

    /// What a `serde_json::Value` of the text decided before the Worker's reader sees it: a
    /// key given twice (the last value kept), a `null` after a value, the order of the keys
    /// (which error is met first), values a `Value` refuses.
    #[test]
    fn the_workers_json_reader_reads_the_text_as_its_value_would() {
        let texts = [
            r#"{"shop_name": "a", "shop_name": "b"}"#,
            r#"{"shop_name": "a", "shop_name": null}"#,
            r#"{"shop_name": null, "shop_name": "b"}"#,
            r#"{"shop_name": 5, "shop_name": "b"}"#,
            r#"{"shop_name": 5, "nope": 1}"#,
            r#"{"transliterate": "x", "device": 5, "default_language": []}"#,
            r#"{"nope": null, "quiet_hours": null}"#,
            r#"{"events": {"shipped": {"customer": null}, "shipped": {"merchant": true}}}"#,
            r#"{"templates": {"en/shipped": "A", "en/shipped": "B {{order.name}}"}}"#,
            r#"{"templates": {"en/shipped": null}}"#,
            r#"{"quiet_hours": {"start": "21:00", "end": "08:00", "start": "22:00"}}"#,
            r#"{"quiet_hours": [null, "08:00"]}"#,
            r#"{"events": {"shipped": [null, null, "sms"]}}"#,
            r#"{"shop_name": "Zo\u00eb \"A\"", "s\u0068op_name": "B"}"#,
            r#"{"nope": 1e400}"#,
            r#"{"shop_name": "\ud800"}"#,
            r#"{"events": {"shipped": {"delay_minutes": 1e3}}}"#,
            r#"{"events": {"shipped": {"delay_minutes": -0}}}"#,
            r#"{"events": {"shipped": {"delay_minutes": 18446744073709551616}}}"#,
            r#"{"shop_name": "a",}"#,
            "[]",
            "null",
            "{}",
        ];
        /// The Worker's reader before: the text read into a `Value`, its nulls dropped in
        /// place, written out and read by the same record reader.
        fn through_value(text: &str) -> Result<ShopConfig, ConfigError> {
            use serde_json::Value;
            fn drop_nulls(value: &mut Value) {
                match value {
                    Value::Object(map) => {
                        map.retain(|_, v| !v.is_null());
                        map.values_mut().for_each(drop_nulls);
                    }
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Null => *item = Value::Object(serde_json::Map::new()),
                                item => drop_nulls(item),
                            }
                        }
                    }
                    _ => {}
                }
            }
            let mut tree: Value = serde_json::from_slice(text.as_bytes()).map_err(json_error)?;
            if !tree.is_object() {
                return Err(not_an_object());
            }
            drop_nulls(&mut tree);
            let text = serde_json::to_vec(&tree).unwrap();
            let raw = serde_json::from_slice::<crate::record::Via<RawConfig>>(&text)
                .map_err(|e| json_invalid(None, without_position(&e)))?;
            ShopConfig::build(raw.0)
        }
        let mut all: Vec<String> = texts.map(str::to_owned).to_vec();
        for place in JSON_PLACES {
            all.extend(JSON_VALUES.iter().map(|value| place.replace('V', value)));
        }
        let mut accepted = 0;
        for text in all.iter().map(String::as_str) {
            let direct = outcome(ShopConfig::from_json_text(text.as_bytes()));
            if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
                // Not JSON, or not a `Value` (a number out of range, a lone surrogate): refused
                // too, a syntax error maybe worded otherwise ("key must be a string" for a
                // trailing comma), as serde_json's reader that skips values words it.
                let message = without_position(&e);
                if serde_json::from_str::<de::IgnoredAny>(text).is_ok() {
                    // Valid syntax: the value checks of `without_nulls` say what `Value` says.
                    assert_eq!(direct, Err(message), "{text}");
                } else {
                    assert!(direct.is_err(), "{text}: {direct:?}, not {message}");
                }
                continue;
            }
            assert_eq!(direct, outcome(through_value(text)), "{text}");
            accepted += usize::from(direct.is_ok());
        }
        assert!(accepted > 25, "{accepted}");
    }

    #[test]
    fn a_toml_configuration_as_json_reads_to_the_same_configuration() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut texts: Vec<String> = ["examples/shop.toml", "cloudflare/test/shop.toml"]
            .iter()
            .map(|path| std::fs::read_to_string(format!("{root}/../../{path}")).unwrap())
            .collect();
        texts.push(String::new());
        for place in PLACES {
            for value in VALUES {
                texts.push(place.replace('V', value));
            }
        }
        let mut accepted = 0;
        for text in &texts {
            let Ok(expected) = ShopConfig::from_toml(text) else {
                assert!(ShopConfig::toml_to_json(text).is_err(), "{text}");
                continue;
            };
            let json = ShopConfig::toml_to_json(text).unwrap();
            let read = ShopConfig::from_json_text(json.as_bytes()).unwrap();
            assert_eq!(format!("{read:?}"), format!("{expected:?}"), "{text}");
            accepted += 1;
        }
        assert!(accepted > 10, "{accepted}");
        assert_eq!(ShopConfig::toml_to_json("").unwrap(), "{}");
    }
}
