//! Phone numbers as shops hand them over ("0470 12 34 56", "+32 (0)470-12.34.56",
//! "(555) 555-5555", "555-555-SHIP") turned once into E.164 (`+32470123456`), the only form
//! SMSMobileAPI and the opt-out list compare.
//!
//! Why not the `phonenumber` crate (libphonenumber's metadata): measured on a tiny wasm32
//! release cdylib (opt-level "s", LTO, stripped) that parses one JSON string, adding
//! `phonenumber` 0.3.10 took the module from 32 KB (14 KB gzipped) to 1.9 MB (514 KB
//! gzipped): it embeds every country's metadata and pulls in `regex`. That is over three
//! times the ~150 KB gzipped this crate may spend, and the Worker must stay small. The
//! decisions ordersms needs are simpler than full validation: which country calling code, drop
//! the national trunk prefix, plausible length. The table below covers the countries the shops
//! using SMSMobileAPI sell to; numbers written in international form (`+`/`00`) work for every
//! country, with a length check only where the country is in the table.

use serde::{Deserialize, Serialize};

/// An E.164 phone number (`+` and 8 to 15 digits), parsed from what a shop sent.
///
/// `Display` and `Debug` print the masked form so a number never lands in a log by accident;
/// `as_str()` is the full number for the API call and the plan.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a string is not a usable phone number. Shown in `skipped` reasons (without the number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("it is empty")]
    Empty,
    #[error("it contains letters or symbols that are not part of a phone number")]
    NotANumber,
    #[error("it is written in national form but the country is unknown (set default_country)")]
    NoCountry,
    #[error(
        "the country `{0}` is not one ordersms knows how to dial: write the number in international form (+...)"
    )]
    UnknownCountry(String),
    #[error("it has the wrong number of digits for {0}")]
    WrongLength(&'static str),
}

struct Country {
    iso: &'static str,
    calling_code: &'static str,
    /// Digits dialled before a national number inside the country and dropped abroad.
    trunk: Option<&'static str>,
    /// National significant number length range (after the trunk prefix).
    min: usize,
    max: usize,
}

const fn c(
    iso: &'static str,
    calling_code: &'static str,
    trunk: Option<&'static str>,
    min: usize,
    max: usize,
) -> Country {
    Country {
        iso,
        calling_code,
        trunk,
        min,
        max,
    }
}

const Z: Option<&str> = Some("0");

/// Country calling codes, trunk prefixes and national number lengths (ITU-T E.164 national
/// numbering plans). Italy, Spain, Portugal, Norway, Denmark and others have no trunk prefix
/// (an Italian landline's leading 0 is part of the number).
static COUNTRIES: &[Country] = &[
    // North American Numbering Plan: trunk prefix 1, 10-digit numbers.
    c("US", "1", Some("1"), 10, 10),
    c("CA", "1", Some("1"), 10, 10),
    c("PR", "1", Some("1"), 10, 10),
    // Europe.
    c("BE", "32", Z, 8, 9),
    c("FR", "33", Z, 9, 9),
    c("DE", "49", Z, 6, 13),
    c("NL", "31", Z, 9, 9),
    c("LU", "352", None, 4, 11),
    c("CH", "41", Z, 9, 9),
    c("AT", "43", Z, 4, 13),
    c("GB", "44", Z, 9, 10),
    c("IE", "353", Z, 7, 9),
    c("ES", "34", None, 9, 9),
    c("PT", "351", None, 9, 9),
    c("IT", "39", None, 6, 11),
    c("DK", "45", None, 8, 8),
    c("SE", "46", Z, 7, 9),
    c("NO", "47", None, 8, 8),
    c("FI", "358", Z, 5, 12),
    c("PL", "48", None, 9, 9),
    c("CZ", "420", None, 9, 9),
    c("SK", "421", Z, 9, 9),
    c("HU", "36", Some("06"), 8, 9),
    c("RO", "40", Z, 9, 9),
    c("BG", "359", Z, 8, 9),
    c("GR", "30", None, 10, 10),
    c("HR", "385", Z, 8, 9),
    c("SI", "386", Z, 8, 8),
    c("EE", "372", None, 7, 8),
    c("LV", "371", None, 8, 8),
    c("LT", "370", Some("8"), 8, 8),
    c("MC", "377", None, 8, 9),
    c("MT", "356", None, 8, 8),
    c("CY", "357", None, 8, 8),
    c("IS", "354", None, 7, 7),
    c("UA", "380", Z, 9, 9),
    c("TR", "90", Z, 10, 10),
    c("RU", "7", Some("8"), 10, 10),
    // Africa and the Middle East.
    c("MA", "212", Z, 9, 9),
    c("DZ", "213", Z, 8, 9),
    c("TN", "216", None, 8, 8),
    c("SN", "221", None, 9, 9),
    c("CI", "225", None, 10, 10),
    c("CM", "237", None, 9, 9),
    c("ZA", "27", Z, 9, 9),
    c("AE", "971", Z, 8, 9),
    c("IL", "972", Z, 8, 9),
    // Americas and Asia-Pacific.
    c("MX", "52", None, 10, 10),
    c("BR", "55", Z, 10, 11),
    c("AR", "54", Z, 10, 10),
    c("CL", "56", None, 9, 9),
    c("CO", "57", None, 10, 10),
    c("AU", "61", Z, 9, 9),
    c("NZ", "64", Z, 8, 10),
    c("IN", "91", Z, 10, 10),
    c("JP", "81", Z, 9, 10),
    c("SG", "65", None, 8, 8),
    c("HK", "852", None, 8, 8),
];

fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|country| country.iso.eq_ignore_ascii_case(iso.trim()))
}

/// Whether numbers written in national form can be read for this ISO 3166 alpha-2 country.
pub(crate) fn reads_national_numbers_of(iso: &str) -> bool {
    country(iso).is_some()
}

/// The table row whose calling code starts `digits` (codes are prefix-free, so at most one
/// code matches; several countries may share it, e.g. +1).
fn by_calling_code(digits: &str) -> Option<&'static Country> {
    COUNTRIES
        .iter()
        .find(|country| digits.starts_with(country.calling_code))
}

impl Phone {
    /// Parses a number as a shop stored it. `country` (ISO 3166 alpha-2) is used only when the
    /// number is written in national form.
    pub fn parse(raw: &str, country_code: Option<&str>) -> Result<Phone, PhoneError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(raw.len());
        let mut plus = false;
        let mut chars = raw.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if digits.is_empty() && !plus => plus = true,
                // "+32 (0)470 ...": the trunk 0 some people keep in brackets after the code.
                '(' if chars.peek() == Some(&'0') && (plus || digits.starts_with("00")) => {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.next() == Some(')') {
                        chars.next();
                        chars.next();
                    }
                }
                ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
                _ => return Err(PhoneError::NotANumber),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::NotANumber);
        }
        let national_country = country_code.filter(|code| !code.trim().is_empty());
        let nanp = national_country
            .and_then(country)
            .is_some_and(|c| c.calling_code == "1");
        let international = if plus {
            Some(digits.as_str())
        } else if let Some(rest) = digits.strip_prefix("00") {
            Some(rest)
        } else {
            // 011 is the international prefix dialled from NANP countries.
            digits.strip_prefix("011").filter(|_| nanp)
        };
        if let Some(number) = international {
            return Phone::from_international(number);
        }
        let Some(iso) = national_country else {
            return Err(PhoneError::NoCountry);
        };
        let Some(country) = country(iso) else {
            return Err(PhoneError::UnknownCountry(iso.trim().to_ascii_uppercase()));
        };
        let mut national = digits.as_str();
        if let Some(trunk) = country.trunk
            && let Some(rest) = national.strip_prefix(trunk)
        {
            // A 0 (or 06) trunk never starts a national number, so it always goes. A 1 or 8
            // trunk may be the first digit of a real number (+7 800...), so it goes only when
            // the number is one digit too long without it.
            let always = trunk.starts_with('0');
            if always || (national.len() > country.max && rest.len() >= country.min) {
                national = rest;
            }
        }
        // People type their own country code without "+" ("32470123456").
        if national.len() > country.max
            && let Some(rest) = national.strip_prefix(country.calling_code)
            && (country.min..=country.max).contains(&rest.len())
        {
            national = rest;
        }
        if !(country.min..=country.max).contains(&national.len()) {
            return Err(PhoneError::WrongLength(country.iso));
        }
        if country.calling_code == "1" && !nanp_plausible(national) {
            return Err(PhoneError::WrongLength(country.iso));
        }
        Ok(Phone(["+", country.calling_code, national].concat()))
    }

    fn from_international(digits: &str) -> Result<Phone, PhoneError> {
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(PhoneError::WrongLength("an international number"));
        }
        if let Some(country) = by_calling_code(digits) {
            let mut national = &digits[country.calling_code.len()..];
            // "+44 0..." is a common mistake: the trunk prefix written after the code.
            if let Some(trunk) = country.trunk.filter(|trunk| *trunk == "0")
                && national.len() > country.min
                && let Some(rest) = national.strip_prefix(trunk)
            {
                national = rest;
            }
            if !(country.min..=country.max).contains(&national.len()) {
                return Err(PhoneError::WrongLength(country.iso));
            }
            if country.calling_code == "1" && !nanp_plausible(national) {
                return Err(PhoneError::WrongLength(country.iso));
            }
            return Ok(Phone(["+", country.calling_code, national].concat()));
        }
        Ok(Phone(["+", digits].concat()))
    }

    /// The full E.164 form, `+` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+32470****56`: enough to recognise a number in logs without exposing it.
    pub fn masked(&self) -> String {
        let digits = &self.0[1..];
        let keep_start = digits.len().min(5).saturating_sub(1).max(2);
        let keep_end = 2;
        if digits.len() <= keep_start + keep_end {
            return "+***".to_owned();
        }
        let hidden = digits.len() - keep_start - keep_end;
        format!(
            "+{}{}{}",
            &digits[..keep_start],
            "*".repeat(hidden),
            &digits[digits.len() - keep_end..]
        )
    }
}

/// NANP area codes and exchanges never start with 0 or 1.
fn nanp_plausible(national: &str) -> bool {
    let bytes = national.as_bytes();
    bytes.len() == 10 && bytes[0] >= b'2' && bytes[3] >= b'2'
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    /// Stored numbers (order context, opt-out lists) are E.164 already.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Phone::parse(&value, None)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str, country: Option<&str>) -> Result<String, PhoneError> {
        Phone::parse(raw, country).map(|p| p.as_str().to_owned())
    }

    #[test]
    fn national_numbers_take_the_country_and_lose_the_trunk_prefix() {
        assert_eq!(e164("0470 12 34 56", Some("BE")).unwrap(), "+32470123456");
        assert_eq!(e164("06 12 34 56 78", Some("fr")).unwrap(), "+33612345678");
        assert_eq!(e164("0151 23456789", Some("DE")).unwrap(), "+4915123456789");
        assert_eq!(e164("07700 900123", Some("GB")).unwrap(), "+447700900123");
        assert_eq!(e164("(555) 555-5555", Some("US")).unwrap(), "+15555555555");
        assert_eq!(e164("1-415-555-0100", Some("US")).unwrap(), "+14155550100");
        assert_eq!(e164("612 34 56 78", Some("ES")).unwrap(), "+34612345678");
        assert_eq!(e164("06 30 123 4567", Some("HU")).unwrap(), "+36301234567");
    }

    #[test]
    fn italian_numbers_keep_their_leading_zero() {
        assert_eq!(e164("06 1234 5678", Some("IT")).unwrap(), "+390612345678");
    }

    #[test]
    fn international_forms_ignore_the_address_country() {
        assert_eq!(
            e164("+32 470 12 34 56", Some("US")).unwrap(),
            "+32470123456"
        );
        assert_eq!(e164("0032470123456", None).unwrap(), "+32470123456");
        assert_eq!(e164("+32 (0)470-12.34.56", None).unwrap(), "+32470123456");
        assert_eq!(
            e164("011 32 470 12 34 56", Some("US")).unwrap(),
            "+32470123456"
        );
        assert_eq!(e164("+44 07700 900123", None).unwrap(), "+447700900123");
        // A calling code outside the table is accepted on length alone.
        assert_eq!(e164("+998 90 123 45 67", None).unwrap(), "+998901234567");
    }

    #[test]
    fn shopifys_example_phone_is_not_a_number() {
        assert_eq!(
            e164("555-555-SHIP", Some("US")),
            Err(PhoneError::NotANumber)
        );
        assert_eq!(e164("123 ext. 4", Some("US")), Err(PhoneError::NotANumber));
        assert_eq!(e164("", Some("US")), Err(PhoneError::Empty));
        assert_eq!(e164("+", None), Err(PhoneError::NotANumber));
    }

    #[test]
    fn wrong_lengths_and_missing_countries_are_rejected() {
        assert_eq!(
            e164("0470 12", Some("BE")),
            Err(PhoneError::WrongLength("BE"))
        );
        assert_eq!(
            e164("+32 470", None),
            Err(PhoneError::WrongLength("an international number"))
        );
        assert_eq!(
            e164("123-123-1234", Some("CA")),
            Err(PhoneError::WrongLength("CA"))
        );
        assert_eq!(e164("0470123456", None), Err(PhoneError::NoCountry));
        assert_eq!(
            e164("0470123456", Some("XX")),
            Err(PhoneError::UnknownCountry("XX".into()))
        );
    }

    #[test]
    fn display_and_debug_mask_the_number() {
        let phone = Phone::parse("+32470123456", None).unwrap();
        assert_eq!(phone.masked(), "+3247*****56");
        assert_eq!(phone.to_string(), "+3247*****56");
        assert_eq!(format!("{phone:?}"), "Phone(+3247*****56)");
        assert!(!format!("{phone:?}").contains("470123456"));
    }

    #[test]
    fn serde_round_trips_the_full_number() {
        let phone = Phone::parse("0470 12 34 56", Some("BE")).unwrap();
        let json = serde_json::to_string(&phone).unwrap();
        assert_eq!(json, "\"+32470123456\"");
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), phone);
        assert!(serde_json::from_str::<Phone>("\"0470\"").is_err());
    }
}
