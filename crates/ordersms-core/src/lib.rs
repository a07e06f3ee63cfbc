//! Pure core of ordersms: from a shop webhook (headers, raw body), a shop configuration, the
//! stored order context and `now`, to the plan of messages that must go out and the reasons
//! others were skipped.
//!
//! It does no I/O, reads no clock and draws no random numbers: everything comes in as
//! arguments, so the Worker, the CLI and the npm package get the same answers and tests need
//! no server and no sleep.

pub mod model;

pub use model::{Audience, Channel, EventKind, Language, Platform};
