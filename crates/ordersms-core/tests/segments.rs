//! SMS cost facts: GSM-7 vs UCS-2, units and segments at every boundary, transliteration.

use ordersms_core::segments::{Encoding, SegmentFacts, analyze, is_gsm7, transliterate_to_gsm7};

fn facts(encoding: Encoding, units: u32, segments: u32) -> SegmentFacts {
    SegmentFacts {
        encoding,
        units,
        segments,
    }
}

#[test]
fn gsm7_single_and_multipart_boundaries() {
    assert_eq!(analyze(""), facts(Encoding::Gsm7, 0, 0));
    assert_eq!(analyze(&"a".repeat(160)), facts(Encoding::Gsm7, 160, 1));
    assert_eq!(analyze(&"a".repeat(161)), facts(Encoding::Gsm7, 161, 2));
    assert_eq!(analyze(&"a".repeat(306)), facts(Encoding::Gsm7, 306, 2));
    assert_eq!(analyze(&"a".repeat(307)), facts(Encoding::Gsm7, 307, 3));
}

#[test]
fn extension_characters_count_two_and_are_never_split() {
    assert_eq!(analyze("€"), facts(Encoding::Gsm7, 2, 1));
    assert_eq!(
        analyze(&format!("{}€", "a".repeat(158))),
        facts(Encoding::Gsm7, 160, 1)
    );
    assert_eq!(
        analyze(&format!("{}€", "a".repeat(159))),
        facts(Encoding::Gsm7, 161, 2)
    );
    // 152 septets then `€`: the escape fits in segment 1 but its character would not, so
    // both move to segment 2 — 306 units that take 3 segments instead of 2.
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(analyze(&text), facts(Encoding::Gsm7, 306, 3));
    for c in ['^', '{', '}', '\\', '[', ']', '~', '|', '€', '\u{c}'] {
        assert_eq!(analyze(&c.to_string()).units, 2, "{c:?}");
    }
}

#[test]
fn gsm7_covers_the_accents_it_has_and_not_the_others() {
    assert!(is_gsm7("àéèùìòÇØøÅåÄÖÑÜäöñüß¿¡£¥§@_"));
    for c in [
        'ç', 'á', 'í', 'ó', 'ú', 'â', 'ê', 'î', 'ô', 'û', 'ë', 'ï', '’', '€',
    ] {
        assert_eq!(is_gsm7(&c.to_string()), c == '€', "{c:?}");
    }
}

#[test]
fn ucs2_boundaries_and_surrogate_pairs() {
    assert_eq!(analyze(&"ç".repeat(70)), facts(Encoding::Ucs2, 70, 1));
    assert_eq!(analyze(&"ç".repeat(71)), facts(Encoding::Ucs2, 71, 2));
    assert_eq!(analyze(&"ç".repeat(134)), facts(Encoding::Ucs2, 134, 2));
    assert_eq!(analyze(&"ç".repeat(135)), facts(Encoding::Ucs2, 135, 3));
    assert_eq!(analyze("📦"), facts(Encoding::Ucs2, 2, 1));
    assert_eq!(
        analyze(&format!("{}📦", "a".repeat(68))),
        facts(Encoding::Ucs2, 70, 1)
    );
    // 66 units then an emoji: the pair does not fit in 67 and moves to segment 2.
    let text = format!("{}📦{}", "a".repeat(66), "a".repeat(66));
    assert_eq!(analyze(&text), facts(Encoding::Ucs2, 134, 3));
}

#[test]
fn transliteration_folds_typography_and_accents_into_gsm7() {
    let text = "Merci ! Votre commande « #1001 » a été expédiée — l’équipe vous remercie… Reçu : 12\u{a0}€ • Où ? Château";
    let out = transliterate_to_gsm7(text);
    assert_eq!(
        out,
        "Merci ! Votre commande \" #1001 \" a été expédiée - l'équipe vous remercie... Recu : 12 € - Où ? Chateau"
    );
    assert_eq!(analyze(&out).encoding, Encoding::Gsm7);
    assert_eq!(
        transliterate_to_gsm7("¿Está en camino? Sí, llegará mañana"),
        "¿Esta en camino? Si, llegara mañana"
    );
    assert_eq!(
        transliterate_to_gsm7("“Smart” ‘quotes’ – dash"),
        "\"Smart\" 'quotes' - dash"
    );
}

#[test]
fn transliteration_borrows_when_nothing_changes_and_leaves_emoji() {
    assert!(matches!(
        transliterate_to_gsm7("Déjà là: €5"),
        std::borrow::Cow::Borrowed(_)
    ));
    let out = transliterate_to_gsm7("Merci 🎉 ça arrive");
    assert_eq!(out, "Merci 🎉 ca arrive");
    assert_eq!(analyze(&out).encoding, Encoding::Ucs2);
}

#[test]
fn encoding_serializes_as_the_plan_spells_it() {
    assert_eq!(serde_json::to_string(&Encoding::Gsm7).unwrap(), "\"gsm7\"");
    assert_eq!(serde_json::to_string(&Encoding::Ucs2).unwrap(), "\"ucs2\"");
}
