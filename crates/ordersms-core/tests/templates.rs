//! Message texts: snapshots per language, the helpers, strict variables and no escaping.

use ordersms_core::segments::analyze;
use ordersms_core::templates::{
    MerchantNotice, MoneyVars, RenderContext, TemplateError, Templates, format_date, format_money,
};
use ordersms_core::{Audience, EventKind, Language};

fn context(locale: &str) -> RenderContext {
    let mut ctx = RenderContext::sample();
    ctx.locale = locale.to_owned();
    ctx
}

/// A customer we know nothing about beyond the order.
fn sparse(locale: &str) -> RenderContext {
    let mut ctx = RenderContext {
        locale: locale.to_owned(),
        ..RenderContext::default()
    };
    ctx.order.name = "#1002".to_owned();
    ctx
}

#[test]
fn snapshots_of_customer_messages_in_every_language() {
    let templates = Templates::defaults().unwrap();
    let events = [
        EventKind::Placed,
        EventKind::Shipped,
        EventKind::OutForDelivery,
        EventKind::DeliveryFailed,
        EventKind::Refunded,
        EventKind::PartiallyRefunded,
    ];
    for lang in Language::ALL {
        let mut out = String::new();
        for event in events {
            for (label, ctx) in [
                ("full", context(lang.as_str())),
                ("sparse", sparse(lang.as_str())),
            ] {
                let r = templates
                    .render(event, Audience::Customer, lang, &ctx)
                    .unwrap();
                let f = analyze(&r.text);
                out.push_str(&format!(
                    "[{} {label}] {:?} {} units, {} segment(s)\n{}\n\n",
                    r.template, f.encoding, f.units, f.segments, r.text
                ));
            }
        }
        insta::assert_snapshot!(format!("customer_{}", lang.as_str()), out);
    }
}

#[test]
fn snapshots_of_merchant_messages_in_every_language() {
    let templates = Templates::defaults().unwrap();
    for lang in Language::ALL {
        let mut ctx = context(lang.as_str());
        // As the Worker fills it: the failed text named in the merchant's language.
        ctx.failure.event = Some(EventKind::Shipped.label(lang).to_owned());
        let mut out = String::new();
        for event in [
            EventKind::Placed,
            EventKind::Cancelled,
            EventKind::PartiallyRefunded,
            EventKind::DeliveryFailed,
        ] {
            let r = templates
                .render(event, Audience::Merchant, lang, &ctx)
                .unwrap();
            out.push_str(&format!("[{}]\n{}\n\n", r.template, r.text));
        }
        for notice in [MerchantNotice::Reply, MerchantNotice::Alert] {
            let r = templates.render_notice(notice, lang, &ctx).unwrap();
            out.push_str(&format!("[{}]\n{}\n\n", r.template, r.text));
        }
        insta::assert_snapshot!(format!("merchant_{}", lang.as_str()), out);
    }
}

#[test]
fn default_customer_texts_fit_one_or_two_segments() {
    let templates = Templates::defaults().unwrap();
    for lang in Language::ALL {
        for event in EventKind::ALL {
            let r = templates
                .render(event, Audience::Customer, lang, &context(lang.as_str()))
                .unwrap();
            let f = analyze(&r.text);
            assert!(
                f.segments <= 2,
                "{}: {} segments: {}",
                r.template,
                f.segments,
                r.text
            );
            assert!(
                !r.text.contains("  ") && !r.text.contains(" ."),
                "{}: {:?}",
                r.template,
                r.text
            );
        }
    }
}

#[test]
fn nothing_is_html_escaped() {
    let templates = Templates::with_overrides(&[(
        "en/shipped".to_owned(),
        "{{shop.name}} <{{tracking.url}}>".to_owned(),
    )])
    .unwrap();
    let mut ctx = context("en");
    ctx.shop.name = "Smith & Co".to_owned();
    ctx.tracking.url = Some("https://t.example/?a=1&b=2".to_owned());
    let r = templates
        .render(EventKind::Shipped, Audience::Customer, Language::En, &ctx)
        .unwrap();
    assert_eq!(r.text, "Smith & Co <https://t.example/?a=1&b=2>");
}

#[test]
fn an_unknown_variable_is_refused_at_load_naming_template_and_variable() {
    let e = Templates::with_overrides(&[("de/shipped".to_owned(), "{{order.nmae}}".to_owned())])
        .unwrap_err();
    assert_eq!(
        e,
        TemplateError::UnknownVariable {
            template: "de/shipped".into(),
            variable: "order.nmae".into(),
            line: Some(1),
            column: Some(3),
        }
    );
    // Even when it is only tested, never printed.
    let e = Templates::with_overrides(&[(
        "merchant/en/placed".to_owned(),
        "Order {{order.name}}\n{{#if tracking.urll}}x{{/if}}".to_owned(),
    )])
    .unwrap_err();
    assert_eq!(
        e,
        TemplateError::UnknownVariable {
            template: "en/merchant/placed".into(),
            variable: "tracking.urll".into(),
            line: Some(2),
            column: Some(7),
        }
    );
    assert!(e.to_string().starts_with(
        "template \"en/merchant/placed\": unknown variable `tracking.urll` at line 2, column 7;"
    ));
}

/// Inside `{{#each order.items}}` and `{{#with}}`, variables are read from the item or value
/// they make `this`, and checked there at load too: a misspelled one that is only tested
/// would be simply false at every order.
#[test]
fn variables_inside_each_and_with_are_checked_against_what_this_is_there() {
    let load = |source: &str| {
        Templates::with_overrides(&[("en/placed".to_owned(), source.to_owned())]).map(|_| ())
    };
    assert_eq!(
        load("{{#each order.items}}{{name}}{{#if qantity}} x{{quantity}}{{/if}}{{/each}}"),
        Err(TemplateError::UnknownVariable {
            template: "en/placed".into(),
            variable: "qantity".into(),
            line: Some(1),
            column: Some(36),
        })
    );
    // A variable of the top, read where `this` is an item: the way to reach it.
    let e = load("{{#each order.items}}{{#if order.name}}{{name}}{{/if}}{{/each}}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "template \"en/placed\": `order.name` (line 1, column 28) is read from the value \
         `{{#each}}` or `{{#with}}` makes `this`, which has no `order.name`; write \
         `@root.order.name` (or `../order.name`)"
    );
    let e = load("{{#with order.total}}{{#if amout}}{{amount}}{{/if}}{{/with}}").unwrap_err();
    assert!(
        matches!(e, TemplateError::UnknownVariable { ref variable, .. } if variable == "amout"),
        "{e}"
    );
    // What `this`, `../`, `@root` and `@index` reach there loads.
    load(
        "{{#each order.items}}{{name}} {{this.quantity}} {{../shop.name}} {{@root.locale}} \
         {{@index}}{{#if @last}}.{{/if}}{{/each}}{{#with order.total}}{{amount}}{{else}}-{{/with}}",
    )
    .unwrap();
    // An object's values differ from key to key: left to the render check.
    load("{{#each customer}}{{#if whatever}}{{/if}}{{/each}}").unwrap();
}

/// A helper given a value some orders lack (no first item on an order without items) is
/// refused at load with where the call is written.
#[test]
fn a_helper_given_a_value_some_orders_lack_says_where() {
    let source = "Hi\n{{#if (eq order.items.0.quantity 2)}}a pair{{/if}}";
    let e = Templates::with_overrides(&[("en/placed".to_owned(), source.to_owned())]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template \"en/placed\": `eq`'s first value (line 2, column 7) is missing for some \
         orders; test it with {{#if ...}} first"
    );
}

#[test]
fn a_language_without_the_template_falls_back_to_english_and_says_so() {
    let templates = Templates::with_overrides(&[(
        "en/merchant/in_transit".to_owned(),
        "{{order.name}} in transit".to_owned(),
    )])
    .unwrap();
    let r = templates
        .render(
            EventKind::InTransit,
            Audience::Merchant,
            Language::Fr,
            &context("fr"),
        )
        .unwrap();
    assert_eq!(
        (r.template.as_str(), r.text.as_str()),
        ("en/merchant/in_transit", "#1001 in transit")
    );
    let e = Templates::defaults().unwrap().render(
        EventKind::InTransit,
        Audience::Merchant,
        Language::Fr,
        &context("fr"),
    );
    assert!(matches!(e, Err(TemplateError::Missing { .. })));
}

#[test]
fn money_is_formatted_per_locale_from_exact_decimals() {
    let cases = [
        ("404.95", "EUR", "en", "€404.95"),
        ("404.95", "USD", "en-US", "$404.95"),
        ("404.95", "EUR", "fr-FR", "404,95 €"),
        ("404.95", "EUR", "de", "404,95 €"),
        ("404.95", "EUR", "nl-NL", "€ 404,95"),
        ("404.95", "EUR", "es", "404,95 €"),
        ("404.95", "EUR", "it", "404,95 €"),
        ("404.95", "CHF", "en", "CHF 404.95"),
        // Switzerland writes money its own way in every language, Austria puts the symbol
        // first, and Spanish from Mexico to Peru has a decimal point (CLDR).
        ("1234.5", "CHF", "de-CH", "CHF 1'234.50"),
        ("404.95", "CHF", "it-CH", "CHF 404.95"),
        ("1234.5", "CHF", "fr-CH", "1 234.50 CHF"),
        ("1234.5", "CHF", "en-CH", "CHF 1'234.50"),
        ("1234.5", "EUR", "de-CH", "€ 1'234.50"),
        ("1234.5", "EUR", "de-AT", "€ 1.234,50"),
        ("1234.5", "USD", "es-MX", "$1,234.50"),
        ("1234.5", "MXN", "es-MX", "1,234.50 MXN"),
        ("1234.5", "EUR", "es-AR", "1234,50 €"),
        ("404.95", "XYZ", "en", "404.95 XYZ"),
        ("1234567.5", "EUR", "en", "€1,234,567.50"),
        ("1234567.5", "EUR", "fr", "1 234 567,50 €"),
        ("1234.50", "EUR", "es", "1234,50 €"),
        ("12345.50", "EUR", "es", "12.345,50 €"),
        ("1234.5", "EUR", "de", "1.234,50 €"),
        ("-25.00", "EUR", "nl", "€ -25,00"),
        ("-25.00", "GBP", "en-GB", "-£25.00"),
        ("0.30000000000000004", "EUR", "en", "€0.30000000000000004"),
        ("49.99", "CAD", "en-CA", "$49.99"),
        ("49.99", "CAD", "fr-FR", "49,99 CA$"),
        ("not a number", "EUR", "en", "not a number EUR"),
    ];
    for (amount, currency, locale, want) in cases {
        assert_eq!(
            format_money(amount, currency, locale),
            want,
            "{amount} {currency} {locale}"
        );
    }
}

#[test]
fn money_and_first_name_helpers_in_templates() {
    let templates = Templates::with_overrides(&[(
        "fr/refunded".to_owned(),
        "{{first_name customer.name}}|{{money refund.amount}}|{{money order.total}}|{{date order.created_at}}".to_owned(),
    )])
    .unwrap();
    let mut ctx = context("fr-FR");
    ctx.customer.name = Some("  Ana María López ".to_owned());
    ctx.refund.amount = Some(MoneyVars {
        amount: "1200.5".into(),
        currency: "EUR".into(),
    });
    ctx.order.total = None;
    let r = templates
        .render(EventKind::Refunded, Audience::Customer, Language::Fr, &ctx)
        .unwrap();
    assert_eq!(r.text, "Ana|1 200,50 €||20/01/2026");
    let r = templates
        .render(
            EventKind::Refunded,
            Audience::Customer,
            Language::Fr,
            &sparse("fr"),
        )
        .unwrap();
    assert_eq!(r.text, "|||");
}

#[test]
fn dates_are_short_and_localized() {
    let at = "2026-01-20T23:30:00-05:00";
    let cases = [
        ("en", "Jan 20, 2026"),
        ("en-US", "Jan 20, 2026"),
        ("en-GB", "20 Jan 2026"),
        ("fr", "20/01/2026"),
        ("de-DE", "20.01.2026"),
        ("nl", "20-01-2026"),
        ("es", "20/01/2026"),
        ("it", "20/01/2026"),
    ];
    for (locale, want) in cases {
        assert_eq!(format_date(at, locale).as_deref(), Some(want), "{locale}");
    }
}

#[test]
fn default_sources_are_the_shipped_files_and_nothing_else() {
    for language in Language::ALL {
        for event in EventKind::ALL {
            let name = format!("{}/{}", language.as_str(), event.as_str());
            let path = format!("{}/../../templates/{name}.hbs", env!("CARGO_MANIFEST_DIR"));
            let on_disk = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                ordersms_core::templates::default_source(&name),
                Some(on_disk.as_str()),
                "{name}"
            );
        }
    }
    assert!(ordersms_core::templates::default_source("en/merchant/reply").is_some());
    assert_eq!(
        ordersms_core::templates::default_source("en/merchant/shipped"),
        None
    );
    assert_eq!(ordersms_core::templates::default_source("pt/placed"), None);
}

/// One character outside GSM-7 makes the whole SMS UCS-2: 70 characters a segment instead
/// of 160, so the typical shipped text with its tracking link costs two or three SMS instead
/// of one. The shipped wording must not do that to the shop (names, links and emoji the
/// order brings are another matter: `transliterate` is for them).
#[test]
fn the_default_wording_is_gsm7_in_every_language() {
    let merchant = [
        "placed",
        "paid",
        "cancelled",
        "refunded",
        "partially_refunded",
        "delivery_failed",
        "payment_failed",
        "on_hold",
        "reply",
        "alert",
    ];
    let mut checked = 0;
    for lang in Language::ALL {
        let names = EventKind::ALL
            .iter()
            .map(|e| format!("{}/{}", lang.as_str(), e.as_str()))
            .chain(
                merchant
                    .iter()
                    .map(|n| format!("{}/merchant/{n}", lang.as_str())),
            );
        for name in names {
            let Some(source) = ordersms_core::templates::default_source(&name) else {
                continue;
            };
            checked += 1;
            let outside: String = source
                .chars()
                .filter(|c| !ordersms_core::segments::is_gsm7(&c.to_string()))
                .collect();
            assert!(outside.is_empty(), "{name}: {outside:?} in {source}");
        }
    }
    assert!(checked > 100, "{checked}");
}

/// Without a tracking link (the one long value a text may carry), a default text with
/// typical values must fit one SMS: a shop name of 18 characters, a first name, a five-digit
/// order number, a four-digit total in euros (`€` costs two septets) and a tracking number.
/// A second segment doubles what the shop pays for that text.
#[test]
fn default_customer_texts_without_a_link_fit_one_sms_for_typical_values() {
    let templates = Templates::defaults().unwrap();
    for lang in Language::ALL {
        let mut ctx = context(lang.as_str());
        ctx.shop.name = "Boutique des Lilas".to_owned();
        ctx.customer.first_name = Some("Alexandra".to_owned());
        ctx.order.name = "#10234".to_owned();
        ctx.order.total = Some(MoneyVars {
            amount: "1249.90".into(),
            currency: "EUR".into(),
        });
        ctx.refund.amount = Some(MoneyVars {
            amount: "35.00".into(),
            currency: "EUR".into(),
        });
        ctx.tracking.url = None;
        for event in EventKind::ALL {
            let r = templates
                .render(event, Audience::Customer, lang, &ctx)
                .unwrap();
            let f = analyze(&r.text);
            assert_eq!(
                f.segments, 1,
                "{}: {} units: {}",
                r.template, f.units, r.text
            );
        }
    }
}

/// An amount is part of nearly every text: a symbol outside GSM-7 would make the whole SMS
/// UCS-2 (70 characters a segment instead of 160). Polish złoty are written `PLN`, as CLDR
/// writes them in all six languages (`zł` is Polish only, and `ł` is not GSM-7).
#[test]
fn money_is_gsm7_in_every_currency_with_a_symbol() {
    let currencies = [
        "EUR", "USD", "GBP", "JPY", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN",
    ];
    let locales = [
        "en", "en-GB", "en-PL", "fr", "fr-CH", "de", "de-AT", "de-CH", "nl", "es", "es-MX", "it",
    ];
    for currency in currencies {
        for locale in locales {
            let text = format_money("1234.50", currency, locale);
            assert!(
                ordersms_core::segments::is_gsm7(&text),
                "{currency} {locale}: {text}"
            );
        }
    }
    assert_eq!(format_money("404.95", "PLN", "en"), "PLN 404.95");
    assert_eq!(format_money("404.95", "PLN", "fr-FR"), "404,95 PLN");
    assert_eq!(format_money("404.95", "PLN", "de"), "404,95 PLN");
    assert_eq!(format_money("404.95", "PLN", "nl"), "PLN 404,95");
}

/// French elides "de" before a vowel or a mute h ("d'Alexandra", "d'Hélène"): the merchant
/// texts must not put "de" before the customer's name, which may start with either.
#[test]
fn french_merchant_texts_never_write_de_before_the_customer_name() {
    let templates = Templates::defaults().unwrap();
    let mut ctx = context("fr");
    ctx.order.name = "#10234".to_owned();
    ctx.order.total = Some(MoneyVars {
        amount: "1249.90".into(),
        currency: "EUR".into(),
    });
    let mut texts = Vec::new();
    for name in ["Alexandra Müller", "Hélène Martin"] {
        ctx.customer.name = Some(name.to_owned());
        for event in EventKind::ALL {
            if let Ok(r) = templates.render(event, Audience::Merchant, Language::Fr, &ctx) {
                assert!(!r.text.contains(&format!("de {name}")), "{}", r.text);
                texts.push(r.text);
            }
        }
        let r = templates
            .render_notice(MerchantNotice::Reply, Language::Fr, &ctx)
            .unwrap();
        assert!(!r.text.contains(&format!("de {name}")), "{}", r.text);
        texts.push(r.text);
    }
    assert!(texts.contains(
        &"Nouvelle commande #10234 : 1 249,90 € (Alexandra Müller, 3 articles).".to_owned()
    ));
    assert!(texts.contains(&"Commande #10234 annulée : 1 249,90 € (Hélène Martin).".to_owned()));
    assert!(texts.contains(
        &"Alexandra Müller (+33612345678) a répondu (dernière commande #10234) : Can you deliver after 6pm?"
            .to_owned()
    ));
}

/// A name the text addresses is set off by a comma ("Thank you, Alexandra!", "Merci,
/// Camille !"), as German, Dutch, Spanish and Italian texts already do; "Good news Alexandra,
/// your order" and "Merci Alexandra !" are punctuation errors.
#[test]
fn the_customer_addressed_by_name_is_set_off_by_a_comma() {
    let templates = Templates::defaults().unwrap();
    for lang in Language::ALL {
        let mut ctx = context(lang.as_str());
        ctx.customer.first_name = Some("Alexandra".to_owned());
        for event in EventKind::ALL {
            let r = templates
                .render(event, Audience::Customer, lang, &ctx)
                .unwrap();
            if r.text.contains("Alexandra") {
                assert!(r.text.contains(", Alexandra"), "{}: {}", r.template, r.text);
            }
        }
    }
}

/// French puts a space before `:`, `!` and `?`, and the French texts do so everywhere; the
/// shop's name at the start must follow the same rule ("Maison Lumière : Merci, Camille !"),
/// not sit in the same SMS as "Maison Lumière: ...".
#[test]
fn french_texts_space_every_colon_the_shop_name_s_included() {
    let templates = Templates::defaults().unwrap();
    let ctx = context("fr-FR");
    for event in EventKind::ALL {
        let r = templates
            .render(event, Audience::Customer, Language::Fr, &ctx)
            .unwrap();
        // A link's ":" and "?" are not punctuation.
        let text = r.text.replace(ctx.tracking.url.as_deref().unwrap(), "");
        for (i, c) in text.char_indices() {
            if matches!(c, ':' | '!' | '?') {
                assert!(text[..i].ends_with(' '), "{}: {}", r.template, r.text);
            }
        }
    }
}
