//! Shop configuration: defaults, the example file, and one test per way to get it wrong —
//! each error must name the key path and the fix.

use ordersms_core::{Audience, Channel, ConfigError, EventKind, Language, ShopConfig};

fn err(toml: &str) -> String {
    match ShopConfig::from_toml(toml) {
        Ok(_) => panic!("accepted:\n{toml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_text_customers_about_the_main_events_and_never_the_merchant() {
    let config = ShopConfig::default();
    let on: Vec<_> = EventKind::ALL
        .into_iter()
        .filter(|e| config.rule(*e, Audience::Customer).is_some())
        .map(EventKind::as_str)
        .collect();
    assert_eq!(
        on,
        [
            "placed",
            "shipped",
            "out_for_delivery",
            "delivered",
            "cancelled",
            "refunded",
            "partially_refunded"
        ]
    );
    assert!(
        EventKind::ALL
            .iter()
            .all(|e| config.rule(*e, Audience::Merchant).is_none())
    );
    assert_eq!(config.default_language(), Language::En);
    assert_eq!(config.schedule().time_zone(), "UTC");
    assert!(config.schedule().quiet_hours().is_none());
    assert!(config.skip_test_orders());
    assert!(!config.transliterate());
    assert_eq!(config.merchant_phone(), None);
    // An empty file is the defaults.
    let empty = ShopConfig::from_toml("").unwrap();
    assert_eq!(
        empty.rule(EventKind::Shipped, Audience::Customer),
        config.rule(EventKind::Shipped, Audience::Customer)
    );
}

#[test]
fn the_example_configuration_loads_with_every_setting() {
    let text = include_str!("../../../examples/shop.toml");
    let config = ShopConfig::from_toml(text).unwrap();
    assert_eq!(config.shop_name(), Some("Maison Lumière"));
    assert_eq!(config.default_country(), Some("FR"));
    assert_eq!(config.default_language(), Language::Fr);
    assert_eq!(config.merchant_phone(), Some("+33612345678"));
    assert_eq!(config.merchant_language(), Language::Fr);
    assert_eq!(config.device_sid(), Some("a1b2c3d4"));
    assert!(config.transliterate());
    assert_eq!(config.schedule().time_zone(), "Europe/Paris");
    let shipped = config.rule(EventKind::Shipped, Audience::Customer).unwrap();
    assert_eq!(
        (shipped.channel, shipped.shorturl, shipped.delay_minutes),
        (Channel::Both, true, 0)
    );
    assert_eq!(
        config
            .rule(EventKind::Delivered, Audience::Customer)
            .unwrap()
            .delay_minutes,
        30
    );
    assert_eq!(
        config
            .rule(EventKind::PartiallyRefunded, Audience::Merchant)
            .unwrap()
            .channel,
        Channel::Whatsapp
    );
    assert!(config.rule(EventKind::Paid, Audience::Customer).is_none());
    assert!(config.rule(EventKind::Placed, Audience::Merchant).is_some());
    assert!(config.templates().has("fr/shipped"));
}

#[test]
fn json_uses_the_same_schema() {
    let config = ShopConfig::from_json(
        r#"{"timezone":"America/New_York","merchant":{"phone":"+12125551234"},
            "events":{"placed":{"merchant":true,"customer":false}}}"#,
    )
    .unwrap();
    assert!(config.rule(EventKind::Placed, Audience::Customer).is_none());
    assert!(config.rule(EventKind::Placed, Audience::Merchant).is_some());
    let e = ShopConfig::from_json(r#"{"events":{"shipped":{"chanel":"sms"}}}"#).unwrap_err();
    assert_eq!(e.path(), "events.shipped.chanel");
    assert!(e.to_string().contains("unknown field `chanel`"), "{e}");
    // Malformed JSON has no key to name: it is said to be JSON, like TOML's "(toml)".
    for (text, line) in [
        ("{bad", 1),
        ("{\n  \"shop_name\": \"Maison\",\n}", 3),
        ("", 1),
    ] {
        let e = ShopConfig::from_json(text).unwrap_err();
        assert_eq!(e.path(), "(json)", "{text:?}: {e}");
        assert!(e.to_string().ends_with(&format!("(line {line})")), "{e}");
    }
}

#[test]
fn json_reads_as_the_toml_it_stands_for() {
    // Every character JSON escapes survives, and a key set to null is a key left out.
    let config = ShopConfig::from_json(
        r#"{"shop_name": "Chez \"Léa\" \\ Co\t✓", "default_country": null,
            "merchant": {"phone": "+33612345678", "language": null},
            "events": {"placed": {"merchant": true}},
            "templates": {"fr/placed": "Ligne 1\nLigne 2 {{order.name}}"}}"#,
    )
    .unwrap();
    assert_eq!(config.shop_name(), Some("Chez \"Léa\" \\ Co\t✓"));
    assert_eq!(config.default_country(), None);
    assert_eq!(config.merchant_phone(), Some("+33612345678"));
    assert!(config.templates().has("fr/placed"));
    assert!(config.rule(EventKind::Placed, Audience::Merchant).is_some());

    // The same mistakes name the same key, whichever format they are written in.
    for (json, toml) in [
        (
            r#"{"events": {"shipped": {"customer": {"delay_minutes": "x"}}}}"#,
            "[events.shipped.customer]\ndelay_minutes = \"x\"\n",
        ),
        (
            r#"{"quiet_hours": {"start": "25:00", "end": "08:00"}}"#,
            "[quiet_hours]\nstart = \"25:00\"\nend = \"08:00\"\n",
        ),
        (
            r#"{"merchant": {"phone": 33612345678}}"#,
            "[merchant]\nphone = 33612345678\n",
        ),
        (r#"{"shop_name": ["a", null]}"#, "shop_name = [\"a\", {}]\n"),
        (r#"{"nope": 1.5}"#, "nope = 1.5\n"),
        (
            r#"{"events": {"shiped": {"customer": true}}}"#,
            "[events.shiped]\ncustomer = true\n",
        ),
    ] {
        let from_json = ShopConfig::from_json(json).unwrap_err();
        let from_toml = ShopConfig::from_toml(toml).unwrap_err();
        assert_eq!(from_json.path(), from_toml.path(), "{json}");
        let without_line = |e: &dyn std::fmt::Display| {
            let text = e.to_string();
            text.split(" (line ").next().unwrap().to_owned()
        };
        assert_eq!(without_line(&from_json), without_line(&from_toml), "{json}");
        assert!(!from_json.to_string().contains("(line"), "{from_json}");
    }
    let e = ShopConfig::from_json(r#"["shop_name"]"#).unwrap_err();
    assert_eq!(e.path(), "(json)");
    assert!(e.to_string().contains("expected a JSON object"), "{e}");
}

#[test]
fn an_event_table_keeps_the_defaults_it_does_not_mention() {
    let config = ShopConfig::from_toml("[events.shipped]\nchannel = \"whatsapp\"\n").unwrap();
    assert_eq!(
        config
            .rule(EventKind::Shipped, Audience::Customer)
            .unwrap()
            .channel,
        Channel::Whatsapp
    );
    assert!(config.rule(EventKind::Placed, Audience::Customer).is_some());
}

/// Each event's table reaches that event and no other: the rules are built from one place per
/// event, found by the event's name.
#[test]
fn an_event_table_reaches_its_event_only() {
    let defaults = ShopConfig::default();
    for event in EventKind::ALL {
        let name = event.as_str();
        let config = ShopConfig::from_toml(&format!(
            "[events.{name}]\ncustomer = {{ channel = \"whatsapp\", delay_minutes = 7 }}\n"
        ))
        .unwrap();
        for other in EventKind::ALL {
            let rule = config.rule(other, Audience::Customer);
            if other == event {
                let rule = rule.unwrap_or_else(|| panic!("{name}: no customer rule"));
                assert_eq!((rule.channel, rule.delay_minutes), (Channel::Whatsapp, 7));
            } else {
                assert_eq!(
                    rule,
                    defaults.rule(other, Audience::Customer),
                    "{name} changed {}",
                    other.as_str()
                );
            }
        }
    }
}

/// Two keys naming one event once trimmed: the later in key order wins, as before.
#[test]
fn two_names_of_one_event_keep_the_later() {
    let config = ShopConfig::from_json(
        r#"{"events": {"shipped": {"channel": "whatsapp"}, " shipped": {"channel": "both"}}}"#,
    )
    .unwrap();
    let rule = config.rule(EventKind::Shipped, Audience::Customer).unwrap();
    // " shipped" sorts before "shipped", so "shipped" is the later.
    assert_eq!(rule.channel, Channel::Whatsapp);
}

#[test]
fn a_misspelled_event_names_the_events() {
    assert_eq!(
        err("[events.shiped]\ncustomer = true\n"),
        "events.shiped: unknown event; expected one of placed, paid, shipped, partially_shipped, \
         in_transit, out_for_delivery, delivered, delivery_failed, cancelled, refunded, \
         partially_refunded, on_hold, payment_failed"
    );
}

#[test]
fn a_misspelled_time_zone_shows_an_example() {
    assert_eq!(
        err("timezone = \"Europe/Pariss\"\n"),
        "timezone: \"Europe/Pariss\" is not an IANA time zone (e.g. \"Europe/Paris\")"
    );
}

#[test]
fn quiet_hours_must_be_times_of_day() {
    assert_eq!(
        err("[quiet_hours]\nstart = \"25:00\"\nend = \"08:00\"\n"),
        "quiet_hours.start: \"25:00\" is not a time of day HH:MM (e.g. \"21:00\")"
    );
    assert!(
        err("[quiet_hours]\nstart = \"21:00\"\nend = \"8h\"\n")
            .starts_with("quiet_hours.end: \"8h\"")
    );
    assert!(
        err("[quiet_hours]\nstart = \"21:00\"\nend = \"21:00\"\n")
            .starts_with("quiet_hours: start and end")
    );
}

/// `start = 21:00` without quotes is a TOML time, which serde reports as "invalid type:
/// map": the error must say to quote it, as the documentation writes it.
#[test]
fn an_unquoted_time_of_day_is_explained() {
    for text in [
        "[quiet_hours]\nstart = 21:00\nend = \"08:00\"\n",
        "[quiet_hours]\nstart = 21:00:00\nend = \"08:00\"\n",
    ] {
        let message = err(text);
        assert!(message.starts_with("quiet_hours.start: "), "{message}");
        assert!(!message.contains("map"), "{message}");
        assert!(message.contains("\"21:00\""), "{message}");
    }
    let message = err("[quiet_hours]\nstart = \"21:00\"\nend = 08:00\n");
    assert!(message.starts_with("quiet_hours.end: "), "{message}");
    assert!(message.contains("quotes"), "{message}");
}

#[test]
fn merchant_messages_need_a_merchant_phone() {
    assert_eq!(
        err("[events.placed]\nmerchant = true\n"),
        "merchant.phone: required when any event has merchant = true (here: placed); add [merchant] \
         phone = \"+33612345678\""
    );
    assert!(
        err("[merchant]\nphone = \"06 12 34 56 78\"\n")
            .starts_with("merchant.phone: \"06 12 34 56 78\" is not an E.164 number")
    );
}

/// A digit missing from the merchant's number (a French mobile has 9 after +33) must fail at
/// load, not skip every merchant message as "no merchant phone" at the first order.
#[test]
fn a_merchant_phone_with_a_digit_missing_is_refused_at_load() {
    let text = "[merchant]\nphone = \"+3361234567\"\n[events.placed]\nmerchant = true\n";
    let Err(e) = ShopConfig::from_toml(text) else {
        panic!("a French number with 8 digits after +33 is accepted");
    };
    assert_eq!(e.path(), "merchant.phone");
    let message = e.to_string();
    assert!(
        message.starts_with("merchant.phone: \"+3361234567\"") && message.contains("FR"),
        "{message}"
    );
    // Numbers of countries outside ordersms' table are still accepted on their length alone.
    assert!(ShopConfig::from_toml("[merchant]\nphone = \"+998901234567\"\n").is_ok());
}

#[test]
fn merchant_messages_need_a_merchant_template() {
    let e = ShopConfig::from_toml(
        "[merchant]\nphone = \"+33612345678\"\n[events.in_transit]\nmerchant = true\n",
    )
    .unwrap_err();
    assert_eq!(e.path(), "events.in_transit.merchant");
    assert!(
        e.to_string()
            .contains("add [templates] \"en/merchant/in_transit\""),
        "{e}"
    );
    // ...and an override provides one.
    ShopConfig::from_toml(
        "[merchant]\nphone = \"+33612345678\"\n[events.in_transit]\nmerchant = true\n\
         [templates]\n\"en/merchant/in_transit\" = \"Order {{order.name}} is in transit.\"\n",
    )
    .unwrap();
}

#[test]
fn unknown_keys_are_errors_with_their_path() {
    let e = ShopConfig::from_toml("shop_nam = \"x\"\n").unwrap_err();
    assert!(
        matches!(e, ConfigError::Invalid { line: Some(1), .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("unknown field `shop_nam`"), "{e}");
    let e = ShopConfig::from_toml("[events.shipped]\ncustomer = { delay = 5 }\n").unwrap_err();
    assert!(e.path().starts_with("events.shipped.customer"), "{e}");
    assert!(e.to_string().contains("unknown field `delay`"), "{e}");
}

#[test]
fn wrong_types_and_values_name_the_key() {
    let e = ShopConfig::from_toml("[events.shipped]\ndelay_minutes = -5\n").unwrap_err();
    assert_eq!(e.path(), "events.shipped.delay_minutes", "{e}");
    assert_eq!(
        err("[events.shipped]\nchannel = \"telegram\"\n"),
        "events.shipped.channel: \"telegram\" is not a channel; expected one of sms, whatsapp, both"
    );
    assert_eq!(
        err("default_language = \"pt\"\n"),
        "default_language: \"pt\" is not a supported language; expected one of en, fr, de, nl, es, it"
    );
    assert!(err("default_country = \"France\"\n").starts_with("default_country: \"France\""));
    // Two letters, but not a country whose national numbers ordersms can read: "UK" (the
    // United Kingdom is GB) would leave every number written without + unusable.
    let uk = err("default_country = \"UK\"\n");
    assert!(uk.starts_with("default_country: \"UK\""), "{uk}");
    assert!(uk.contains("\"GB\""), "{uk}");
    assert!(ShopConfig::from_toml("default_country = \"gb\"\n").is_ok());
    assert!(err("transliterate = \"yes\"\n").starts_with("transliterate: "));
    assert!(err("this is not toml").contains("(toml)"));
}

#[test]
fn template_errors_name_the_template_and_the_variable() {
    let e = ShopConfig::from_toml("[templates]\n\"fr/shipped\" = \"Suivi : {{tracking.link}}\"\n")
        .unwrap_err();
    assert_eq!(e.path(), "templates.\"fr/shipped\"");
    assert!(
        e.to_string().contains("unknown variable `tracking.link`"),
        "{e}"
    );
    let e = ShopConfig::from_toml("[templates]\n\"fr/shipped\" = \"{{#if order.name}}oops\"\n")
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("template \"fr/shipped\": syntax error"),
        "{e}"
    );
    let e = ShopConfig::from_toml("[templates]\n\"pt/shipped\" = \"x\"\n").unwrap_err();
    assert_eq!(e.path(), "templates.\"pt/shipped\"");
}

/// `{{lookup order.items 0}}` has nothing to print for an order without items, which strict
/// mode refuses; no variable is named then, and the error must still say what to do
/// rather than "unknown variable ``".
#[test]
fn a_template_reading_a_value_that_may_be_absent_says_to_guard_it() {
    let message = err("[templates]\n\"en/placed\" = \"First: {{lookup order.items 0}}\"\n");
    assert!(
        message.starts_with("templates: template \"en/placed\""),
        "{message}"
    );
    assert!(!message.contains("``"), "{message}");
    assert!(message.contains("{{#if"), "{message}");
}

/// `{{#with order.total}}` names a documented variable that is null for some orders (strict
/// mode refuses `with`/`each` on null): the error must say to guard it, not call it unknown.
#[test]
fn a_block_over_a_value_some_orders_lack_says_to_guard_it_not_that_it_is_unknown() {
    for (template, variable) in [
        (
            "Total: {{#with order.total}}{{amount}} {{currency}}{{/with}}",
            "order.total",
        ),
        (
            "{{#with tracking.url}}Suivi : {{this}}{{/with}}",
            "tracking.url",
        ),
    ] {
        let message = err(&format!(
            "[templates]\n\"fr/shipped\" = \"{}\"\n",
            template.replace('"', "\\\"")
        ));
        assert!(!message.contains("unknown variable"), "{message}");
        assert!(message.contains(&format!("`{variable}`")), "{message}");
        assert!(
            message.contains(&format!("{{{{#if {variable}}}}}")),
            "{message}"
        );
    }
    // Guarded, the same block loads.
    ShopConfig::from_toml(
        "[templates]\n\"fr/shipped\" = \"{{#if order.total}}{{#with order.total}}{{amount}}{{/with}}{{/if}}\"\n",
    )
    .unwrap();
}

/// The fenced `toml` and `json` blocks of `code_block_lang` in a Markdown text.
fn code_blocks<'a>(markdown: &'a str, code_block_lang: &str) -> Vec<&'a str> {
    let fence = format!("```{code_block_lang}\n");
    markdown
        .split(fence.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .collect()
}

#[test]
fn every_example_in_the_configuration_doc_loads_as_written() {
    // Shop owners copy these into their file: each must load on its own, as shown.
    let doc = include_str!("../../../docs/configuration.md");
    let toml = code_blocks(doc, "toml");
    let json = code_blocks(doc, "json");
    assert!(toml.len() >= 2 && json.len() == 1, "{toml:?} {json:?}");
    for block in toml {
        if let Err(e) = ShopConfig::from_toml(block) {
            panic!("docs/configuration.md example does not load: {e}\n{block}");
        }
    }
    for block in json {
        if let Err(e) = ShopConfig::from_json(block) {
            panic!("docs/configuration.md example does not load: {e}\n{block}");
        }
    }
}
