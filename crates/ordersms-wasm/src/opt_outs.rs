//! `OptOutList`: a shop's STOP list read once (`shop.optOutList(numbers)`) and then passed to
//! every `Shop.plan` as `options.optedOut`, instead of an array that each plan reads again
//! (20,000 numbers: milliseconds per plan, for a list that rarely changes).
//!
//! A list and an array must stop exactly the same messages, so both go through
//! [`read_numbers`]: the same conversion, the same normalization (E.164 in the shop's
//! `default_country`, an unreadable number kept as written) and the same errors. A list
//! remembers the country it was read in, and a shop of another country refuses it rather than
//! compare its national numbers read for the wrong country.
//!
//! What this module must not do: copy the numbers per plan, or cache an array by identity
//! (arrays are mutable: an array edited between plans would go on being read as it was).

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use ordersms_core::Phone;
use ordersms_core::plan::OptOuts;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::error::{Failure, JsResult};
use crate::js;

/// Numbers that answered STOP, read once for one shop's country: pass it to `Shop.plan` as
/// `options.optedOut`, plan after plan. Build it with `shop.optOutList(numbers)`. Its numbers
/// live in WebAssembly memory until it is garbage collected, or at once with `free()`; a
/// freed list passed to `plan` throws `invalid_argument`.
#[wasm_bindgen]
pub struct OptOutList {
    numbers: Rc<OptOutNumbers>,
}

/// The numbers of a list, shared with the plans that use it (a plan holds them while it runs,
/// whatever JavaScript does with the list meanwhile).
#[derive(Debug, Default)]
pub(crate) struct OptOutNumbers {
    /// The shop's `default_country` the numbers were read in.
    country: Option<String>,
    /// E.164 where the number reads as one, else as written (it stops nobody, as in an array).
    set: HashSet<String>,
}

impl OptOuts for OptOutNumbers {
    fn is_opted_out(&self, phone: &Phone) -> bool {
        self.set.contains(phone.as_str())
    }
}

impl OptOutList {
    pub(crate) fn new(numbers: OptOutNumbers) -> OptOutList {
        OptOutList {
            numbers: Rc::new(numbers),
        }
    }
}

#[wasm_bindgen]
impl OptOutList {
    /// How many different numbers the list holds, after normalization (`+32 470 12 34 56` and
    /// `0470123456` in a Belgian shop are one).
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.numbers.set.len()).unwrap_or(u32::MAX)
    }

    /// Whether a plan with this list stops messages to `number` (E.164, or national to the
    /// shop's `default_country`), as `Shop.plan` compares it.
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] number: JsValue,
    ) -> JsResult<bool> {
        let number = js::string(&number, "list.has(number): the number")?;
        Ok(self
            .numbers
            .set
            .contains(&normalized(number, self.numbers.country.as_deref())))
    }

    /// Not API: how `Shop.plan` reaches the numbers of a list it finds in its options.
    /// wasm-bindgen can borrow an exported object from a typed argument only, and its
    /// `JsValue` conversion takes the object away from JavaScript; so the plan calls this
    /// method, which leaves a reference to the numbers in [`LENT`].
    #[wasm_bindgen(js_name = __ordersmsLend, skip_typescript)]
    pub fn lend(&self) {
        LENT.with(|lent| *lent.borrow_mut() = Some(Rc::clone(&self.numbers)));
    }
}

thread_local! {
    /// The numbers [`OptOutList::lend`] hands to the plan that called it; taken at once.
    static LENT: RefCell<Option<Rc<OptOutNumbers>>> = const { RefCell::new(None) };
}

#[wasm_bindgen]
extern "C" {
    /// An object that has `OptOutList`'s lending method (a list, or a freed one).
    type Lender;
    #[wasm_bindgen(method, catch, js_name = __ordersmsLend)]
    fn lend(this: &Lender) -> Result<(), JsValue>;
}

/// A number as the plan compares it: E.164 when it reads as a phone in `country`, else as
/// written (it then matches no planned recipient, which are all E.164).
fn normalized(number: String, country: Option<&str>) -> String {
    match Phone::parse(&number, country) {
        Ok(phone) => phone.as_str().to_owned(),
        Err(_) => number,
    }
}

/// An array of numbers (`options.optedOut`, `shop.optOutList(numbers)`) read for a shop of
/// `country`. `what` names the argument in errors.
pub(crate) fn read_numbers(
    value: &JsValue,
    what: &str,
    country: Option<&str>,
) -> JsResult<OptOutNumbers> {
    if !js_sys::Array::is_array(value) {
        // JSON.stringify writes a Set as `{}`: serde's "invalid type: map" says nothing to a
        // JavaScript caller.
        return Err(Failure::invalid_argument(format!(
            "{what} must be an array of phone numbers (for a Set: [...set])"
        )));
    }
    // Compared with the plan's E.164 numbers: a list written `+32 470 12 34 56` or `0470...`
    // (a national number of the shop's country) must still stop them.
    let raw: Vec<String> = js::from_js(value, what)?;
    Ok(OptOutNumbers {
        country: country.map(str::to_owned),
        set: raw
            .into_iter()
            .map(|number| normalized(number, country))
            .collect(),
    })
}

/// `options.optedOut` of a plan for a shop of `country`: nothing (`None`), an array (read
/// now) or an `OptOutList` (shared, not copied).
pub(crate) fn plan_option(
    value: &JsValue,
    country: Option<&str>,
) -> JsResult<Option<Rc<OptOutNumbers>>> {
    const WHAT: &str = "options.optedOut";
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if js_sys::Array::is_array(value) {
        return read_numbers(value, WHAT, country).map(|numbers| Some(Rc::new(numbers)));
    }
    let lends = value.is_object()
        && js_sys::Reflect::get(value, &"__ordersmsLend".into())
            .is_ok_and(|method| method.is_function());
    if !lends {
        return Err(Failure::invalid_argument(format!(
            "{WHAT} must be an array of phone numbers or an OptOutList (for a Set: [...set])"
        )));
    }
    LENT.with(|lent| *lent.borrow_mut() = None);
    // A freed list still has the method, which then throws (its WASM object is gone).
    let _ = value.unchecked_ref::<Lender>().lend();
    let numbers = LENT.with(|lent| lent.borrow_mut().take()).ok_or_else(|| {
        Failure::invalid_argument(format!(
            "{WHAT} is an OptOutList that was freed (list.free(), or `using`): build another with shop.optOutList(numbers)"
        ))
    })?;
    if numbers.country.as_deref() != country {
        let name = |country: Option<&str>| match country {
            Some(c) => format!("default_country {c}"),
            None => "no default_country".to_owned(),
        };
        return Err(Failure::invalid_argument(format!(
            "{WHAT} is an OptOutList read for a shop with {}, and this shop has {}: its national numbers would be other phones; build it with this shop's optOutList(numbers)",
            name(numbers.country.as_deref()),
            name(country)
        )));
    }
    Ok(Some(numbers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compared_as_the_plan_writes_them() {
        let numbers = OptOutNumbers {
            country: Some("BE".to_owned()),
            set: ["0470 12 34 56", "+33 6 12 34 56 78", "STOP", ""]
                .into_iter()
                .map(|n| normalized(n.to_owned(), Some("BE")))
                .collect(),
        };
        let phone = |raw: &str| Phone::parse(raw, None).unwrap();
        assert!(numbers.is_opted_out(&phone("+32470123456")));
        assert!(numbers.is_opted_out(&phone("+33612345678")));
        assert!(!numbers.is_opted_out(&phone("+32470123457")));
        // Unreadable entries are kept as written, and stop nobody.
        assert!(numbers.set.contains("STOP"));
        assert_eq!(numbers.set.len(), 4);
    }
}
