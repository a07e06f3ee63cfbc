//! Pure core of ordersms: from a shop webhook (headers, raw body), a shop configuration, the
//! stored order context and `now`, to the plan of messages that must go out and the reasons
//! others were skipped.
//!
//! It does no I/O, reads no clock and draws no random numbers: everything comes in as
//! arguments, so the Worker, the CLI and the npm package get the same answers and tests need
//! no server and no sleep.

pub mod model;

// Output side: configuration, message texts, SMS cost and send time.
pub mod config;
pub mod schedule;
pub mod segments;
pub mod templates;

// Input side: from a webhook to an `OrderEvent` and the plan.
pub mod context;
mod dedupe;
mod entities;
pub mod error;
pub mod event;
mod json;
pub mod phone;
pub mod plan;
mod record;
mod shopify;
pub mod signature;
pub mod webhook;
mod woocommerce;

pub use model::{Audience, Channel, EventKind, Language, Platform};

pub use config::{ConfigError, Rule, ShopConfig};
pub use schedule::Schedule;
pub use segments::{Encoding, SegmentFacts};
pub use templates::{RenderContext, Rendered, TemplateError, Templates};

pub use context::OrderContext;
pub use error::WebhookError;
pub use event::OrderEvent;
pub use phone::Phone;
pub use plan::{
    NoOptOuts, OptOuts, Plan, PlannedMessage, SkipCode, Skipped, plan, plan_event, plan_webhook,
    plan_with_opt_outs,
};
pub use webhook::{Webhook, WebhookInput};
