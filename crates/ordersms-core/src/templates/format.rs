//! Money and date formatting for the six template languages.
//!
//! Deliberately small and deterministic rather than full CLDR: amounts stay exact decimal
//! strings (never floats), separators and symbol placement follow each language's usual
//! writing (and the few regions that write money their own way), and every character used
//! is GSM-7 where the language allows it (a plain space where CLDR would put a narrow
//! no-break space, which would turn the SMS into UCS-2).

use std::borrow::Cow;

use jiff::civil::Date;

use crate::model::Language;

struct Style {
    group: &'static str,
    decimal: &'static str,
    /// Smallest integer-part length that gets grouped (Spanish writes 1234 but 12.345).
    min_grouping: usize,
}

fn style(lang: Language) -> Style {
    match lang {
        Language::En => Style {
            group: ",",
            decimal: ".",
            min_grouping: 4,
        },
        Language::Fr => Style {
            group: " ",
            decimal: ",",
            min_grouping: 4,
        },
        Language::Es => Style {
            group: ".",
            decimal: ",",
            min_grouping: 5,
        },
        Language::De | Language::Nl | Language::It => Style {
            group: ".",
            decimal: ",",
            min_grouping: 4,
        },
    }
}

/// Where a region writes money its own way rather than its language's (CLDR): Switzerland
/// and Liechtenstein write `CHF 1'234.50` (French there `1 234.50 CHF`), Austria puts the
/// symbol first (`€ 1.234,50`), and Spanish from Mexico to Peru writes `$1,234.50`.
#[derive(Clone, Copy, PartialEq)]
enum RegionStyle {
    /// The language's own writing.
    Language,
    Swiss,
    Austrian,
    /// Spanish with a decimal point, written like English.
    SpanishDecimalPoint,
}

fn region_style(lang: Language, region: Option<&Region>) -> RegionStyle {
    match (lang, region.map(Region::as_str)) {
        (_, Some("CH" | "LI")) => RegionStyle::Swiss,
        (Language::De, Some("AT")) => RegionStyle::Austrian,
        (
            Language::Es,
            Some("MX" | "US" | "PR" | "DO" | "GT" | "HN" | "NI" | "PA" | "SV" | "PE"),
        ) => RegionStyle::SpanishDecimalPoint,
        _ => RegionStyle::Language,
    }
}

/// The separators for a language as written in a region.
fn style_in(lang: Language, region: RegionStyle) -> Style {
    match region {
        RegionStyle::Swiss => Style {
            // An ASCII apostrophe, as CLDR now writes it: `’` is not GSM-7.
            group: if lang == Language::Fr { " " } else { "'" },
            decimal: ".",
            min_grouping: 4,
        },
        RegionStyle::SpanishDecimalPoint => style(Language::En),
        RegionStyle::Language | RegionStyle::Austrian => style(lang),
    }
}

/// Digits after the decimal point an amount in this currency is written with (ISO 4217).
fn minor_units(currency: &str) -> usize {
    match currency {
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "XOF" | "XAF" | "PYG" | "RWF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// The symbol of a currency for a locale's region, when ordersms knows one.
fn symbol(currency: &str, region: Option<&str>) -> Option<&'static str> {
    Some(match (currency, region) {
        ("EUR", _) => "€",
        ("USD", Some("CA" | "AU" | "NZ")) => "US$",
        ("USD", _) => "$",
        ("GBP", _) => "£",
        ("JPY", _) => "¥",
        ("CAD", Some("CA")) => "$",
        ("CAD", _) => "CA$",
        ("AUD", Some("AU")) => "$",
        ("AUD", _) => "A$",
        ("NZD", Some("NZ")) => "$",
        ("NZD", _) => "NZ$",
        ("CHF", _) => "CHF",
        ("SEK" | "NOK" | "DKK", _) => "kr",
        // CLDR's symbol in all six languages; `zł` is Polish only, and `ł` is not GSM-7.
        ("PLN", _) => "PLN",
        _ => return None,
    })
}

/// An upper-case two-letter region, in place (no string per formatted amount).
struct Region([u8; 2]);

impl Region {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Splits a locale tag (`fr-CA`, `en_GB`, `de`) into language (default `en`) and upper-case
/// region.
fn parse_locale(locale: &str) -> (Language, Option<Region>) {
    let lang = Language::from_locale(locale).unwrap_or(Language::En);
    let region = locale
        .split(['-', '_'])
        .skip(1)
        .find_map(|s| match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Region([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        });
    (lang, region)
}

/// `amount` (a decimal string such as `"404.95"`) in `currency` (ISO 4217), for `locale`:
/// en `€404.95`, fr `404,95 €`, nl `€ 404,95`, en `CHF 404.95`; an unknown currency is
/// written after the number (`404.95 XYZ`). A string that is not a decimal is returned as
/// `amount currency`, unchanged.
pub fn format_money(amount: &str, currency: &str, locale: &str) -> String {
    // Copied only when it is not upper case already (it nearly always is).
    let currency = currency.trim();
    let currency = if currency.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(currency.to_ascii_uppercase())
    } else {
        Cow::Borrowed(currency)
    };
    let (lang, region) = parse_locale(locale);
    let writing = region_style(lang, region.as_ref());
    let Some(number) = format_decimal(
        amount.trim(),
        minor_units(&currency),
        style_in(lang, writing),
    ) else {
        return format!("{} {currency}", amount.trim()).trim().to_owned();
    };
    let (negative, digits) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.as_str()),
    };
    let sign = if negative { "-" } else { "" };
    let Some(symbol) = symbol(&currency, region.as_ref().map(Region::as_str)) else {
        return format!("{number} {currency}").trim().to_owned();
    };
    // A word ("CHF", "kr", "PLN") is spaced from the number in English. Named, not found by
    // `char::is_alphabetic`, which looked "€" up in Unicode's tables for every amount.
    let alphabetic = matches!(symbol, "CHF" | "kr" | "PLN");
    let lang = match writing {
        RegionStyle::SpanishDecimalPoint => Language::En,
        _ => lang,
    };
    match (lang, writing) {
        (Language::Fr, _) => [sign, digits, " ", symbol].concat(),
        (_, RegionStyle::Swiss | RegionStyle::Austrian) | (Language::Nl, _) => {
            [symbol, " ", sign, digits].concat()
        }
        (Language::En, _) if alphabetic => [sign, symbol, " ", digits].concat(),
        (Language::En, _) => [sign, symbol, digits].concat(),
        (Language::De | Language::Es | Language::It, _) => [sign, digits, " ", symbol].concat(),
    }
}

/// Groups and re-punctuates a decimal string without converting it to a number. Pads the
/// fraction to `minor` digits, drops trailing zeros beyond it, keeps any other digits.
fn format_decimal(amount: &str, minor: usize, style: Style) -> Option<String> {
    let (negative, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.strip_prefix('+').unwrap_or(amount)),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !is_digits(int) || !is_digits(frac) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    // Borrowed, not rebuilt: a message formats one or two amounts, each in one allocation.
    let mut frac = frac;
    while frac.len() > minor && frac.ends_with('0') {
        frac = &frac[..frac.len() - 1];
    }
    let padding = minor.saturating_sub(frac.len());
    let zero = int == "0" && frac.bytes().all(|b| b == b'0');
    let mut out = String::with_capacity(int.len() * 2 + frac.len() + padding + 2);
    if negative && !zero {
        out.push('-');
    }
    if int.len() >= style.min_grouping {
        for (i, digit) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push_str(style.group);
            }
            out.push(digit);
        }
    } else {
        out.push_str(int);
    }
    if frac.len() + padding > 0 {
        out.push_str(style.decimal);
        out.push_str(frac);
        for _ in 0..padding {
            out.push('0');
        }
    }
    Some(out)
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The short date of an RFC 3339 timestamp (or a bare `YYYY-MM-DD`), as written in its own
/// offset, for `locale`: en `Jan 20, 2026` (en-GB and others outside North America:
/// `20 Jan 2026`), fr/es/it `20/01/2026`, de `20.01.2026`, nl `20-01-2026`. `None` when the
/// text does not start with a valid date.
pub fn format_date(text: &str, locale: &str) -> Option<String> {
    let text = text.trim();
    let head = text.get(..10)?;
    let b = head.as_bytes();
    let rest = &text[10..];
    if b[4] != b'-' || b[7] != b'-' || !(rest.is_empty() || rest.starts_with(['T', 't', ' '])) {
        return None;
    }
    let year: i16 = head[..4].parse().ok()?;
    let month: i8 = head[5..7].parse().ok()?;
    let day: i8 = head[8..10].parse().ok()?;
    let date = Date::new(year, month, day).ok()?;
    let (lang, region) = parse_locale(locale);
    let (y, m, d) = (date.year(), date.month(), date.day());
    Some(match lang {
        Language::En => {
            let month = MONTHS_EN[(m - 1) as usize];
            match region.as_ref().map(Region::as_str) {
                None | Some("US" | "CA" | "PH") => format!("{month} {d}, {y}"),
                Some(_) => format!("{d} {month} {y}"),
            }
        }
        Language::Fr | Language::Es | Language::It => format!("{d:02}/{m:02}/{y}"),
        Language::De => format!("{d:02}.{m:02}.{y}"),
        Language::Nl => format!("{d:02}-{m:02}-{y}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_symbols_named_words_are_the_alphabetic_ones() {
        // Every three-letter code in every kind of region: a symbol added to `symbol` is
        // checked here without being listed.
        let letters = b'A'..=b'Z';
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    let currency = [a, b, c];
                    let currency = std::str::from_utf8(&currency).unwrap();
                    for region in [None, Some("CA"), Some("AU"), Some("NZ"), Some("FR")] {
                        if let Some(symbol) = symbol(currency, region) {
                            let named = matches!(symbol, "CHF" | "kr" | "PLN");
                            assert_eq!(named, symbol.chars().all(char::is_alphabetic), "{symbol}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn decimals_are_kept_exact() {
        assert_eq!(format_money("0.1", "EUR", "en").as_str(), "€0.10");
        assert_eq!(format_money("19.999", "EUR", "en").as_str(), "€19.999");
        assert_eq!(format_money("1500.00", "JPY", "en").as_str(), "¥1,500");
        assert_eq!(format_money("12.5", "KWD", "en").as_str(), "12.500 KWD");
        assert_eq!(format_money("007", "USD", "en").as_str(), "$7.00");
        assert_eq!(format_money("-0.00", "USD", "en").as_str(), "$0.00");
    }

    #[test]
    fn dates_refuse_what_is_not_a_date() {
        assert_eq!(format_date("2026-02-30T00:00:00Z", "en"), None);
        assert_eq!(format_date("20/01/2026", "en"), None);
        assert_eq!(format_date("2026-01-2", "en"), None);
        assert_eq!(format_date("2026-01-20garbage", "en"), None);
        assert_eq!(format_date("", "en"), None);
        assert_eq!(
            format_date("2026-01-20", "en-GB").as_deref(),
            Some("20 Jan 2026")
        );
    }

    /// `format_decimal` as it was before it stopped building the fraction and the grouped
    /// digits in strings of their own: the rewrite must not change a single amount.
    fn format_decimal_before(amount: &str, minor: usize, lang: Language) -> Option<String> {
        let (negative, unsigned) = match amount.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, amount.strip_prefix('+').unwrap_or(amount)),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !is_digits(int) || !is_digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let mut frac = frac.to_owned();
        while frac.len() > minor && frac.ends_with('0') {
            frac.pop();
        }
        while frac.len() < minor {
            frac.push('0');
        }
        let style = style(lang);
        let mut grouped = String::new();
        if int.len() >= style.min_grouping {
            for (i, digit) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    grouped.push_str(style.group);
                }
                grouped.push(digit);
            }
        } else {
            grouped.push_str(int);
        }
        let zero = int == "0" && frac.bytes().all(|b| b == b'0');
        let mut out = String::new();
        if negative && !zero {
            out.push('-');
        }
        out.push_str(&grouped);
        if !frac.is_empty() {
            out.push_str(style.decimal);
            out.push_str(&frac);
        }
        Some(out)
    }

    proptest::proptest! {
        #[test]
        fn decimals_format_as_before(
            amount in "[-+]?0{0,3}[0-9]{0,9}(\\.[0-9]{0,5}0{0,3})?|[-+.0-9a ]{0,6}",
            minor in 0_usize..4,
            lang in proptest::sample::select(Language::ALL.to_vec()),
        ) {
            proptest::prop_assert_eq!(
                format_decimal(&amount, minor, style(lang)),
                format_decimal_before(&amount, minor, lang)
            );
        }
    }
}
