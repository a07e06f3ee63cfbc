//! Opt-out and opt-in keywords in customer replies, in the six languages ordersms writes in.
//!
//! A reply counts as a keyword only when the whole message is one (case, accents, spaces and
//! punctuation ignored): "Stop!" or "arrêt" opt out, "Can you stop the delivery?" is a question
//! for the merchant and is forwarded. This is the carriers' convention (CTIA, Twilio) and it
//! keeps a sentence that merely contains "stop" from silencing a customer.

/// What a reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyIntent {
    /// Stop all messages to this number.
    OptOut,
    /// Resume messages after an opt-out.
    OptIn,
    /// Anything else: forwarded to the merchant.
    Message,
}

/// Normalized (upper case, no accents, no spaces) stop keywords.
const STOP: &[&str] = &[
    // en
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "OPTOUT",
    "REVOKE",
    // fr ("STOP SMS" is how French texts usually spell their opt-out)
    "STOPSMS",
    "ARRET",
    "ARRETER",
    "STOPPER",
    "DESABONNER",
    "DESINSCRIRE",
    "DESINSCRIPTION",
    // de
    "STOPP",
    "ABMELDEN",
    "ABBESTELLEN",
    "BEENDEN",
    "AUFHOREN",
    "AUFHOEREN",
    // nl
    "STOPPEN",
    "AFMELDEN",
    "UITSCHRIJVEN",
    // es
    "BAJA",
    "PARAR",
    "ALTO",
    "CANCELAR",
    "DETENER",
    "DARSEDEBAJA",
    // it
    "FERMA",
    "CANCELLA",
    "BASTA",
    "DISISCRIVI",
    "DISISCRIVIMI",
    "ANNULLA",
];

/// Normalized start keywords.
const START: &[&str] = &[
    // en
    "START",
    "UNSTOP",
    "SUBSCRIBE",
    "RESUME",
    "OPTIN",
    // fr
    "DEMARRER",
    "REPRENDRE",
    "ABONNER",
    // de
    "ANMELDEN",
    "STARTEN",
    // nl
    "AANMELDEN",
    "HERSTARTEN",
    // es
    "ALTA",
    "INICIAR",
    "COMENZAR",
    "REANUDAR",
    // it
    "AVVIA",
    "INIZIA",
    "ISCRIVI",
    "RIPRENDI",
];

/// Stop words that are also the word for cancelling an order: a customer answering "Cancel"
/// (or "Abbestellen", which in German is first of all cancelling an order) to an order text
/// may want the order cancelled, not only the texts.
const ALSO_ABOUT_THE_ORDER: &[&str] = &["CANCEL", "CANCELAR", "CANCELLA", "ANNULLA", "ABBESTELLEN"];

/// Whether an opt-out reply may also be a request about the order, for the merchant to see.
pub fn may_mean_the_order(text: &str) -> bool {
    ALSO_ABOUT_THE_ORDER.contains(&normalize(text).as_str())
}

/// Classifies a reply's text.
pub fn intent(text: &str) -> ReplyIntent {
    let word = normalize(text);
    if word.is_empty() {
        ReplyIntent::Message
    } else if STOP.contains(&word.as_str()) {
        ReplyIntent::OptOut
    } else if START.contains(&word.as_str()) {
        ReplyIntent::OptIn
    } else {
        ReplyIntent::Message
    }
}

/// Upper case ASCII letters only: accents folded ("Arrêt" → "ARRET", "aufhören" → "AUFHOREN"),
/// everything that is not a letter dropped ("Stop!!", "opt-out", " S T O P "). Long texts are
/// never keywords, so they are not folded at all.
fn normalize(text: &str) -> String {
    if text.chars().count() > 40 {
        return String::new();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let folded = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                'A'
            }
            'ç' | 'Ç' => 'C',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
            'ñ' | 'Ñ' => 'N',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'O',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
            c if c.is_ascii_alphabetic() => c.to_ascii_uppercase(),
            _ => continue,
        };
        out.push(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_in_every_language_opt_out() {
        for text in [
            "STOP",
            "stop",
            " Stop! ",
            "S T O P",
            "Unsubscribe",
            "Arrêt",
            "ARRET",
            "arrêter",
            "STOP SMS",
            "stop sms",
            "StopSMS",
            "STOPP",
            "Abmelden",
            "aufhören",
            "Stoppen",
            "afmelden",
            "Baja",
            "PARAR",
            "Alto",
            "ferma",
            "Cancella",
            "opt-out",
        ] {
            assert_eq!(intent(text), ReplyIntent::OptOut, "{text:?}");
        }
    }

    #[test]
    fn cancel_words_opt_out_and_may_be_about_the_order() {
        for text in ["Cancel", "CANCEL!", "cancelar", "Cancella", "annulla"] {
            assert_eq!(intent(text), ReplyIntent::OptOut, "{text:?}");
            assert!(may_mean_the_order(text), "{text:?}");
        }
        for text in ["STOP", "Arrêt", "baja", "Cancel my order please"] {
            assert!(!may_mean_the_order(text), "{text:?}");
        }
    }

    #[test]
    fn abbestellen_is_also_cancelling_the_order() {
        // German "abbestellen" is first of all to cancel an order ("eine Bestellung
        // abbestellen"), then a subscription: a German customer answering it to an order
        // text may want the order cancelled, as one answering "Cancel" may.
        for text in ["Abbestellen", "ABBESTELLEN!", "abbestellen"] {
            assert_eq!(intent(text), ReplyIntent::OptOut, "{text:?}");
            assert!(may_mean_the_order(text), "{text:?}");
        }
    }

    #[test]
    fn start_words_in_every_language_opt_in() {
        for text in [
            "START",
            "unstop",
            "Démarrer",
            "DEMARRER",
            "Anmelden",
            "aanmelden",
            "Alta",
            "INICIAR",
            "avvia",
            "Start.",
        ] {
            assert_eq!(intent(text), ReplyIntent::OptIn, "{text:?}");
        }
    }

    #[test]
    fn sentences_that_mention_stop_are_questions_for_the_merchant() {
        for text in [
            "Can you stop the delivery?",
            "stop by tomorrow",
            "Where is my parcel?",
            "",
            "   ",
            "🛑",
            "STOP STOP STOP STOP STOP STOP STOP STOP STOP STOP",
        ] {
            assert_eq!(intent(text), ReplyIntent::Message, "{text:?}");
        }
    }
}
