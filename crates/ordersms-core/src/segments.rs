//! What an SMS text costs: its encoding (GSM-7 or UCS-2), its length in encoding units and the
//! number of segments the network bills, plus an optional transliteration that folds
//! typographic characters (smart quotes, dashes, `…`, accents outside GSM-7) into GSM-7 so a
//! message is not silently sent as UCS-2 at less than half the characters per segment.
//!
//! This module only counts and rewrites text; whether to transliterate is the shop's choice
//! (`transliterate` in the configuration) and the planner applies it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The alphabet a text can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// 3GPP TS 23.038 default alphabet: 7 bits per character, 160 per single SMS.
    Gsm7,
    /// UTF-16: 16 bits per unit, 70 units per single SMS.
    Ucs2,
}

/// The cost of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentFacts {
    pub encoding: Encoding,
    /// Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2.
    pub units: u32,
    /// SMS segments billed; 0 for an empty text (nothing to send).
    pub segments: u32,
}

const GSM7_SINGLE: u32 = 160;
const GSM7_MULTI: u32 = 153;
const UCS2_SINGLE: u32 = 70;
const UCS2_MULTI: u32 = 67;

/// The GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table: escape + character, two septets each.
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets of each ASCII character (0 = not in GSM-7), built at compile time from the two
/// tables above. SMS texts are mostly ASCII, and scanning the tables for every character was
/// a tenth of a whole webhook's planning time (see BENCHMARKS.md).
const ASCII_UNITS: [u8; 128] = {
    let mut units = [0_u8; 128];
    // A byte below 128 in UTF-8 is always a whole ASCII character.
    let basic = GSM7_BASIC.as_bytes();
    let mut i = 0;
    while i < basic.len() {
        if basic[i] < 128 {
            units[basic[i] as usize] = 1;
        }
        i += 1;
    }
    let extension = GSM7_EXTENSION.as_bytes();
    let mut i = 0;
    while i < extension.len() {
        if extension[i] < 128 {
            units[extension[i] as usize] = 2;
        }
        i += 1;
    }
    units
};

/// Septets a character takes in GSM-7, or `None` when it forces UCS-2.
fn gsm7_units(c: char) -> Option<u32> {
    if c.is_ascii() {
        return match ASCII_UNITS[c as usize] {
            0 => None,
            units => Some(u32::from(units)),
        };
    }
    // The non-ASCII characters of the two tables, spelled out (checked against them by a
    // test): a `match` is a few comparisons, a search of the table string a scan of ~150
    // bytes for every accented letter.
    match c {
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        '€' => Some(2),
        _ => None,
    }
}

/// Whether every character of `text` exists in GSM-7 (basic or extension table).
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_units(c).is_some())
}

/// Encoding, units and segment count of `text` as a phone would send it.
///
/// Multipart segments lose 7 septets (GSM-7) or 3 units (UCS-2) to the concatenation header,
/// and a character is never split across two segments: an extension character (escape +
/// char) or a surrogate pair that does not fit at the end of a segment starts the next one.
pub fn analyze(text: &str) -> SegmentFacts {
    // One pass sums the septets and finds out whether the text is GSM-7 at all; a second
    // one runs only for a multipart message.
    let mut septets = 0;
    for c in text.chars() {
        match gsm7_units(c) {
            Some(units) => septets += units,
            None => {
                let sizes = text.chars().map(|c| c.len_utf16() as u32);
                let units = sizes.clone().sum();
                return count(Encoding::Ucs2, units, sizes, UCS2_SINGLE, UCS2_MULTI);
            }
        }
    }
    let sizes = text.chars().map(|c| gsm7_units(c).unwrap_or(1));
    count(Encoding::Gsm7, septets, sizes, GSM7_SINGLE, GSM7_MULTI)
}

fn count(
    encoding: Encoding,
    units: u32,
    sizes: impl Iterator<Item = u32>,
    single: u32,
    multi: u32,
) -> SegmentFacts {
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        let mut segments = 1;
        let mut used = 0;
        for size in sizes {
            if used + size > multi {
                segments += 1;
                used = 0;
            }
            used += size;
        }
        segments
    };
    SegmentFacts {
        encoding,
        units,
        segments,
    }
}

/// The nearest GSM-7 spelling of a character outside GSM-7, when there is an obvious one.
///
/// Characters already in GSM-7 (é, ñ, ü, Ç, €...) are never touched. `ç` becomes `c`, not the
/// `Ç` some gateways use: "recu" reads better than "reÇu". Emoji and scripts without a Latin
/// spelling are left alone, so such a message stays UCS-2: a wrong character is worse than a
/// dearer message.
fn to_gsm7(c: char) -> Option<&'static str> {
    Some(match c {
        // Quotes and apostrophes.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' | '`'
        | '\u{2039}' | '\u{203A}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        // Dashes, hyphens, minus.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => "-",
        '\u{2026}' => "...",
        // Spaces: no-break, narrow, thin, figure, ideographic...; tab.
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\t' => " ",
        // Invisible characters that only cost units. (Not ZWJ: it holds emoji together.)
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => "",
        '\u{2022}' | '\u{2023}' | '\u{2043}' | '\u{00B7}' => "-",
        '\u{00A9}' => "(c)",
        '\u{00AE}' => "(R)",
        '\u{2122}' => "TM",
        '\u{00D7}' => "x",
        '\u{00B0}' => "o",
        '\u{2116}' => "No",
        // Latin letters with accents outside GSM-7.
        'á' | 'â' | 'ã' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ā' | 'Ă' | 'Ą' => "A",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' | 'ĝ' | 'ġ' | 'ģ' => "g",
        'Ğ' | 'Ĝ' | 'Ġ' | 'Ģ' => "G",
        'í' | 'î' | 'ï' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ķ' => "k",
        'Ķ' => "K",
        'ĺ' | 'ļ' | 'ľ' | 'ł' => "l",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ł' => "L",
        'ń' | 'ņ' | 'ň' => "n",
        'Ń' | 'Ņ' | 'Ň' => "N",
        'ó' | 'ô' | 'õ' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ř' => "r",
        'Ŕ' | 'Ř' => "R",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ţ' | 'ť' | 'ț' => "t",
        'Ţ' | 'Ť' | 'Ț' => "T",
        'ú' | 'û' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'þ' => "th",
        'Þ' => "Th",
        _ => return None,
    })
}

/// `text` with typographic characters and accents outside GSM-7 replaced by their nearest
/// GSM-7 spelling. Borrowed when nothing changes. Characters without a spelling (emoji,
/// non-Latin scripts) are kept, so such a text stays UCS-2.
pub fn transliterate_to_gsm7(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| to_gsm7(c).is_none()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match to_gsm7(c) {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_table_has_128_characters_and_extension_ten() {
        // 127 printable entries + ESC (not representable as text) = 128 code points.
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
    }

    #[test]
    fn the_fast_paths_agree_with_the_tables() {
        for c in (0..0x11000_u32).filter_map(char::from_u32) {
            let by_table = if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            };
            assert_eq!(gsm7_units(c), by_table, "{c:?}");
        }
    }

    #[test]
    fn nothing_in_the_transliteration_table_is_already_gsm7() {
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            if to_gsm7(c).is_some() {
                assert!(gsm7_units(c).is_none(), "{c:?} is GSM-7 and must be kept");
            }
        }
    }

    #[test]
    fn every_replacement_is_gsm7() {
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            if let Some(r) = to_gsm7(c) {
                assert!(is_gsm7(r), "{c:?} -> {r:?}");
            }
        }
    }

    proptest::proptest! {
        /// The one-pass `analyze` against its definition: GSM-7 when every character is,
        /// units summed per character, segments counted by `count`.
        #[test]
        fn analyze_counts_as_defined(text in "[a-z €{é😀ç\n]{0,200}") {
            let expected = if is_gsm7(&text) {
                let sizes = text.chars().map(|c| gsm7_units(c).unwrap_or(1));
                count(Encoding::Gsm7, sizes.clone().sum(), sizes, GSM7_SINGLE, GSM7_MULTI)
            } else {
                let sizes = text.chars().map(|c| c.len_utf16() as u32);
                count(Encoding::Ucs2, sizes.clone().sum(), sizes, UCS2_SINGLE, UCS2_MULTI)
            };
            proptest::prop_assert_eq!(analyze(&text), expected);
        }
    }
}
