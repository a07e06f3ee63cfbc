//! Typed, sans-I/O client of the whole SMSMobileAPI, the REST API that turns a merchant's own
//! Android phone into an SMS/WhatsApp gateway.
//!
//! **What it is for.** Each endpoint is a value ([`SendMessage`], [`Resend`],
//! [`SentLogQuery`], [`ReceivedQuery`], [`MarkRead`], [`DeleteSms`], [`ListDevices`],
//! [`UpdateDeviceLabel`], [`DeleteDevice`], [`RequestToken`]) implementing [`Call`]: it
//! builds an [`HttpRequest`] (method, full URL with the trailing slash the API needs, query
//! or form parameters, credential) and parses an [`HttpResponse`] into a typed output or an
//! [`ApiError`] a caller can act on. The API's loose JSON (numbers as strings, several error
//! shapes) is read once here. [`webhook`] verifies and parses what the API posts back.
//!
//! **What it must not do.** The default build does no I/O: no sockets, no clock, no sleep,
//! no randomness (it compiles for `wasm32-unknown-unknown`, where the Worker brings `fetch`).
//! Time comes in as `now` arguments. The blocking [`Client`] only drives injected
//! [`Transport`] and [`Environment`] values; the feature `native` adds a ureq transport and
//! the system clock for the CLI. Secrets and phone numbers never appear in `Debug` output.
//!
//! ```
//! use smsmobileapi::{ApiKey, Auth, BaseUrl, Call, HttpResponse, SendMessage};
//!
//! let call = SendMessage::new("+32470000000", "Your order #1001 has shipped");
//! let auth = Auth::ApiKey(ApiKey::new("my-key").unwrap());
//! let request = call.request(&auth, &BaseUrl::default());
//! assert_eq!(request.url, "https://api.smsmobileapi.com/sendsms/");
//! // ... the caller sends it, then:
//! let response = HttpResponse::new(200, r#"{"result":{"error":0,"sent":"1","id":"abc"}}"#);
//! assert_eq!(call.parse(&response).unwrap().guid.as_deref(), Some("abc"));
//! ```

mod calls;
mod client;
mod error;
mod http;
#[cfg(feature = "native")]
pub mod native;
mod token;
pub mod webhook;
mod wire;

pub use calls::{
    Ack, Call, DeleteDevice, DeleteSms, Device, DeviceList, InvalidRecipients, ListDevices,
    MarkRead, ReceivedQuery, ReceivedSms, Resend, SendMessage, SendResult, SentLogQuery, SentSms,
    SimPort, TimeReceived, TrialAccount, UpdateDeviceLabel,
};
pub use client::{Client, Credentials, Environment, RetryPolicy, Transport};
pub use error::{ApiError, TransportError, TransportErrorKind};
pub use http::{
    ApiKey, Auth, BaseUrl, DEFAULT_BASE_URL, EmptyCredential, FORM_CONTENT_TYPE, HttpRequest,
    HttpResponse, InvalidBaseUrl, Method,
};
pub use token::{AccessToken, ClientCredentials, REFRESH_MARGIN_SECS, RequestToken, TokenCache};
pub use wire::{RawJson, mask_phone, without_message_text};
