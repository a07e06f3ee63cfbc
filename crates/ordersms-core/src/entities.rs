//! HTML character references in WooCommerce texts (product and customer names), decoded for an
//! SMS, which is plain text.
//!
//! WordPress keeps only HTML 4's named references in what it sanitizes (kses'
//! `$allowedentitynames`: HTML 4.01's 252 names and `apos`) and escapes any other name to
//! `&amp;name;`; its own filters write numeric references (`&#8217;`). So those are what is
//! decoded here, with the values HTML5 gives them, exactly as `html-escape` decodes them (tests
//! compare the two): `html-escape`'s table of all 2,231 HTML5 names cost the Worker ≈ 23 KB
//! gzipped, for names WordPress does not keep. Any other name is left as written.

use std::borrow::Cow;

/// `&name;value` for HTML 4's named references but the five below (whose values include `&`),
/// sorted by name (byte order), generated from Python's `html.entities` (`name2codepoint`'s
/// names, `html5`'s values).
const NAMED: &str = "\
    &AElig;Æ&Aacute;Á&Acirc;Â&Agrave;À&Alpha;Α&Aring;Å&Atilde;Ã&Auml;Ä&Beta;Β&Ccedil;Ç&Chi;Χ\
    &Dagger;‡&Delta;Δ&ETH;Ð&Eacute;É&Ecirc;Ê&Egrave;È&Epsilon;Ε&Eta;Η&Euml;Ë&Gamma;Γ\
    &Iacute;Í&Icirc;Î&Igrave;Ì&Iota;Ι&Iuml;Ï&Kappa;Κ&Lambda;Λ&Mu;Μ&Ntilde;Ñ&Nu;Ν&OElig;Œ\
    &Oacute;Ó&Ocirc;Ô&Ograve;Ò&Omega;Ω&Omicron;Ο&Oslash;Ø&Otilde;Õ&Ouml;Ö&Phi;Φ&Pi;Π&Prime;″\
    &Psi;Ψ&Rho;Ρ&Scaron;Š&Sigma;Σ&THORN;Þ&Tau;Τ&Theta;Θ&Uacute;Ú&Ucirc;Û&Ugrave;Ù&Upsilon;Υ\
    &Uuml;Ü&Xi;Ξ&Yacute;Ý&Yuml;Ÿ&Zeta;Ζ&aacute;á&acirc;â&acute;´&aelig;æ&agrave;à&alefsym;ℵ\
    &alpha;α&and;∧&ang;∠&aring;å&asymp;≈&atilde;ã&auml;ä&bdquo;„&beta;β&brvbar;¦&bull;•\
    &cap;∩&ccedil;ç&cedil;¸&cent;¢&chi;χ&circ;ˆ&clubs;♣&cong;≅&copy;©&crarr;↵&cup;∪&curren;¤\
    &dArr;⇓&dagger;†&darr;↓&deg;°&delta;δ&diams;♦&divide;÷&eacute;é&ecirc;ê&egrave;è&empty;∅\
    &emsp;\u{2003}&ensp;\u{2002}&epsilon;ε&equiv;≡&eta;η&eth;ð&euml;ë&euro;€&exist;∃&fnof;ƒ\
    &forall;∀&frac12;½&frac14;¼&frac34;¾&frasl;⁄&gamma;γ&ge;≥&hArr;⇔&harr;↔&hearts;♥\
    &hellip;…&iacute;í&icirc;î&iexcl;¡&igrave;ì&image;ℑ&infin;∞&int;∫&iota;ι&iquest;¿&isin;∈\
    &iuml;ï&kappa;κ&lArr;⇐&lambda;λ&lang;⟨&laquo;«&larr;←&lceil;⌈&ldquo;“&le;≤&lfloor;⌊\
    &lowast;∗&loz;◊&lrm;\u{200e}&lsaquo;‹&lsquo;‘&macr;¯&mdash;—&micro;µ&middot;·&minus;−\
    &mu;μ&nabla;∇&nbsp;\u{a0}&ndash;–&ne;≠&ni;∋&not;¬&notin;∉&nsub;⊄&ntilde;ñ&nu;ν&oacute;ó\
    &ocirc;ô&oelig;œ&ograve;ò&oline;‾&omega;ω&omicron;ο&oplus;⊕&or;∨&ordf;ª&ordm;º&oslash;ø\
    &otilde;õ&otimes;⊗&ouml;ö&para;¶&part;∂&permil;‰&perp;⊥&phi;φ&pi;π&piv;ϖ&plusmn;±\
    &pound;£&prime;′&prod;∏&prop;∝&psi;ψ&rArr;⇒&radic;√&rang;⟩&raquo;»&rarr;→&rceil;⌉\
    &rdquo;”&real;ℜ&reg;®&rfloor;⌋&rho;ρ&rlm;\u{200f}&rsaquo;›&rsquo;’&sbquo;‚&scaron;š\
    &sdot;⋅&sect;§&shy;\u{ad}&sigma;σ&sigmaf;ς&sim;∼&spades;♠&sub;⊂&sube;⊆&sum;∑&sup;⊃\
    &sup1;¹&sup2;²&sup3;³&supe;⊇&szlig;ß&tau;τ&there4;∴&theta;θ&thetasym;ϑ&thinsp;\u{2009}\
    &thorn;þ&tilde;˜&times;×&trade;™&uArr;⇑&uacute;ú&uarr;↑&ucirc;û&ugrave;ù&uml;¨&upsih;ϒ\
    &upsilon;υ&uuml;ü&weierp;℘&xi;ξ&yacute;ý&yen;¥&yuml;ÿ&zeta;ζ&zwj;\u{200d}&zwnj;\u{200c}";

/// Where the entries of each first letter start in `NAMED`, from `A` (slot 0) to `z`: a
/// lookup reads the few entries of one letter (a scan of all of them cost ≈ 25k instructions
/// per reference).
const STARTS: [usize; 59] = starts();

const fn starts() -> [usize; 59] {
    let bytes = NAMED.as_bytes();
    let mut starts = [bytes.len(); 59];
    let mut at = bytes.len();
    // Backwards, each entry is the first so far of its letter and of every earlier slot.
    while at > 0 {
        at -= 1;
        if bytes[at] == b'&' {
            let mut slot = 0;
            while slot <= (bytes[at + 1] - b'A') as usize {
                starts[slot] = at;
                slot += 1;
            }
        }
    }
    starts
}

/// The value of a named reference in `NAMED`.
fn named(name: &str) -> Option<&'static str> {
    let slot = usize::from(name.as_bytes().first()?.checked_sub(b'A')?);
    let entries = NAMED.get(*STARTS.get(slot)?..*STARTS.get(slot + 1)?)?;
    entries
        .split('&')
        .find_map(|entry| entry.strip_prefix(name)?.strip_prefix(';'))
}

/// `text` with its character references decoded; borrowed when it has none.
pub(crate) fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        // A reference runs to the next `;`, unless another `&` starts first.
        let end = rest
            .find([';', '&'])
            .filter(|&end| rest.as_bytes()[end] == b';');
        match end.and_then(|end| Some((end, reference(&rest[..end])?))) {
            Some((end, decoded)) => {
                match decoded {
                    Decoded::Char(c) => out.push(c),
                    Decoded::Text(t) => out.push_str(t),
                }
                rest = &rest[end + 1..];
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

enum Decoded {
    Char(char),
    Text(&'static str),
}

/// What `&{reference};` stands for, if it is a reference WordPress keeps.
fn reference(reference: &str) -> Option<Decoded> {
    if let Some(number) = reference.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        // `from_str_radix` takes a leading sign; a reference is digits only.
        if !digits.bytes().all(|b| (b as char).is_digit(radix)) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
        // HTML keeps only ASCII whitespace of the C0 controls.
        return match c {
            '\t' | '\n' | '\u{c}' | '\r' => Some(Decoded::Char(c)),
            '\0'..='\u{1f}' => None,
            c => Some(Decoded::Char(c)),
        };
    }
    let common = match reference {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "" => return None,
        name => return named(name).map(Decoded::Text),
    };
    Some(Decoded::Text(common))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// HTML 4.01's named references (Python's `html.entities.name2codepoint`) and `apos`:
    /// WordPress kses' `$allowedentitynames`.
    fn kept_names() -> Vec<&'static str> {
        let mut names: Vec<&str> = NAMED
            .split('&')
            .filter_map(|entry| entry.split_once(';').map(|(name, _)| name))
            .filter(|name| !name.is_empty())
            .collect();
        names.extend(["amp", "lt", "gt", "quot", "apos"]);
        names
    }

    #[test]
    fn every_name_wordpress_keeps_is_decoded_as_html5_decodes_it() {
        let names = kept_names();
        assert_eq!(names.len(), 253);
        for name in names {
            let reference = format!("&{name};");
            let ours = decode(&reference);
            assert_ne!(ours, reference, "{name} is not decoded");
            assert_eq!(
                ours,
                html_escape::decode_html_entities(&reference),
                "{name}"
            );
        }
    }

    #[test]
    fn names_wordpress_does_not_keep_are_left_as_written() {
        for text in [
            "&bigstar;",
            "&NewLine;",
            "&Amp;",
            "&nbsp",
            "&;",
            "&#;",
            "&#x;",
            "&unknown;",
        ] {
            assert_eq!(decode(text), text);
        }
        assert_eq!(
            decode(
                "Ship Your Idea &ndash; Color: Black &amp; white &#8217;n&#x2019; &#0; &bigstar;"
            ),
            "Ship Your Idea \u{2013} Color: Black & white \u{2019}n\u{2019} &#0; &bigstar;"
        );
        assert!(matches!(decode("no reference"), Cow::Borrowed(_)));
    }

    fn fragment() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "&",
            ";",
            "#",
            "x",
            "X",
            "amp",
            "lt",
            "eacute",
            "Eacute",
            "ndash",
            "nbsp",
            "euro",
            "lang",
            "rang",
            "apos",
            "0",
            "9",
            "12",
            "8217",
            "x2019",
            "X1F600",
            "110000",
            "1f",
            "00",
            "-1",
            "+1",
            "a",
            " ",
            "é",
            "🙂",
            "&amp;",
            "&#",
            "&#x",
            "Ship Your Idea",
        ])
    }

    proptest! {
        /// On any text of references WordPress keeps, broken ones and plain text, the result is
        /// html-escape's.
        #[test]
        fn decodes_as_html_escape_does(parts in proptest::collection::vec(fragment(), 0..24)) {
            let text = parts.concat();
            prop_assert_eq!(decode(&text), html_escape::decode_html_entities(&text));
        }
    }
}
