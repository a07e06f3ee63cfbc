//! The ordersms Cloudflare Worker: verified shop webhooks in, exactly-once SMS out.
//!
//! The path of an order (see cloudflare/README.md for the why):
//! 1. `POST /webhooks/{shopify,woocommerce}`: size cap (413), signature on the raw body (401),
//!    parse (400), then the webhook goes to the inbox queue and the shop gets its 200. The
//!    inbox consumer hands it to the [`ledger::Ledger`] Durable Object, which plans the
//!    messages with `ordersms-core`, dedupes the event, stores the order context and message
//!    rows, and enqueues one outbox job per message. Bodies too large for a queue message go
//!    to the Ledger before the answer instead. The request never sends.
//! 2. The queue consumer ([`consumer`]) claims each message in the Ledger, sends it through
//!    the `smsmobileapi` client over `fetch`, and records the outcome; retries with backoff,
//!    sent-log lookups after ambiguous failures, a dead-letter queue at the end.
//! 3. The cron ([`cron`]) resends phone-side failures and alerts the merchant.
//! 4. `POST /webhooks/smsmobileapi`: customer replies (STOP/START, or forwarded).
//!
//! This crate is glue: the rules live in plain modules ([`delivery`], [`keywords`],
//! [`settings`]) tested natively, and in `ordersms-core` and `smsmobileapi`.

use worker::web_sys;

pub mod delivery;
pub mod keywords;
pub mod logline;
pub mod protocol;
mod record;
pub mod settings;

mod api;
mod consumer;
mod cron;
mod ledger;
mod replies;
mod routes;
mod shop;
mod webcrypto;

pub use ledger::Ledger;

use worker::{
    Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

/// Talc instead of Rust's default WASM allocator (dlmalloc): smaller in the bundle, and
/// faster (the npm package measured it, BENCHMARKS.md §2). Workers run one thread per isolate.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    routes::handle(req, env).await
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    consumer::handle(batch, env).await
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    cron::run(env).await
}

/// The Ledger: one Durable Object per shop (see `ledger` for why).
pub(crate) fn ledger_stub(env: &Env) -> Result<worker::Stub> {
    env.durable_object("LEDGER")?
        .id_from_name("shop")?
        .get_stub()
}

/// Calls one Ledger operation with a JSON body and reads its JSON answer.
pub(crate) async fn ledger_call<Req: serde::Serialize, Resp: record::FromJson>(
    env: &Env,
    op: &str,
    body: &Req,
) -> Result<Resp> {
    let answer = ledger_exchange(env, op, serde_json::to_string(body)?).await?;
    Ok(Resp::from_json(answer.as_bytes())?)
}

/// A JSON answer of `fields` (`logline::fields!`), written as log lines are.
pub(crate) fn json_answer(fields: &[(&str, logline::Field)]) -> Result<Response> {
    Ok(worker::ResponseBuilder::new()
        .with_header("content-type", "application/json")?
        .fixed(logline::object(fields).into_bytes()))
}

/// A request from web_sys's options. worker's own `RequestInit` converts its `cf` options
/// (image resizing and more) through serde on every call, code no request here needs.
pub(crate) fn request(url: &str, init: &web_sys::RequestInit) -> Result<Request> {
    web_sys::Request::new_with_str_and_init(url, init)
        .map(Request::from)
        .map_err(|e| {
            worker::Error::JsError(
                e.as_string()
                    .unwrap_or_else(|| "invalid URL or options for Request".to_string()),
            )
        })
}

/// The untyped half of [`ledger_call`]: one copy of the fetch and its future in the WASM
/// build, instead of one per pair of request and answer types.
async fn ledger_exchange(env: &Env, op: &str, body: String) -> Result<String> {
    let stub = ledger_stub(env)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let req = request(&format!("https://ledger{op}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    if resp.status_code() != 200 {
        let text = resp.text().await.unwrap_or_default();
        return Err(worker::Error::RustError(format!(
            "ledger {op}: {} {text}",
            resp.status_code()
        )));
    }
    resp.text().await
}
