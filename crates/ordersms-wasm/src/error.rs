//! How Rust errors reach JavaScript: one `Error` (so stacks, `instanceof Error` and logging
//! work) named `OrderSmsError`, with a `kind` string a caller can `switch` on (a discriminated
//! union in the TypeScript types) and, for some kinds, extra fields (`retryAfterSeconds`,
//! `status`...). Kinds use the Rust error variants' names in snake_case, so the Rust docs
//! explain the JavaScript ones.

use js_sys::{Error, Reflect};
use wasm_bindgen::prelude::*;

/// A failure on its way to JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
    /// Extra fields for this kind; only numbers, strings and booleans.
    pub fields: Vec<(&'static str, Field)>,
}

/// A value of an extra error field.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

impl Failure {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: Field) -> Failure {
        self.fields.push((name, value));
        self
    }

    /// Arguments JavaScript passed that do not have the documented shape.
    pub fn invalid_argument(message: impl Into<String>) -> Failure {
        Failure::new("invalid_argument", message)
    }
}

impl From<Failure> for JsValue {
    fn from(failure: Failure) -> JsValue {
        let error = Error::new(&failure.message);
        error.set_name("OrderSmsError");
        let object: &JsValue = error.as_ref();
        // Reflect::set only fails on frozen or proxied objects; a fresh Error is neither.
        let _ = Reflect::set(object, &"kind".into(), &failure.kind.into());
        for (name, value) in failure.fields {
            let value = match value {
                Field::Str(s) => JsValue::from_str(&s),
                Field::Num(n) => JsValue::from_f64(n),
                Field::Bool(b) => JsValue::from_bool(b),
                Field::Null => JsValue::NULL,
            };
            let _ = Reflect::set(object, &name.into(), &value);
        }
        error.into()
    }
}

/// Every function exported to JavaScript returns this: `Err` becomes a thrown `OrderSmsError`.
pub type JsResult<T> = Result<T, Failure>;

/// `true` when `value` is an error thrown by this package (a type guard in TypeScript).
#[wasm_bindgen(js_name = isOrderSmsError, unchecked_return_type = "value is OrderSmsError")]
pub fn is_order_sms_error(
    #[wasm_bindgen(unchecked_param_type = "unknown")] value: &JsValue,
) -> bool {
    value.is_instance_of::<Error>()
        && Reflect::get(value, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .is_some_and(|name| name == "OrderSmsError")
        && Reflect::get(value, &"kind".into())
            .ok()
            .is_some_and(|kind| kind.is_string())
}
