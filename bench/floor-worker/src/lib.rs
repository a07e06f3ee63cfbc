//! The floor of the Worker bundle's size (`FLOOR=1 bench/bundle-size`): what workers-rs,
//! wasm-bindgen and the allocator cost before any of ordersms's code. It has the Worker's
//! bindings and does the least with each, the way the Worker does it: a fetch handler that
//! reads the body and queues it, a queue consumer that hands each message to the Durable
//! Object through a web_sys request, a cron, and a Durable Object that stores it with SQL. No
//! JSON of its own: serde_json and the rest are what ordersms's code brings. It is a
//! benchmark, never deployed.

use worker::{
    Context, DurableObject, Env, MessageBatch, MessageExt, Request, Response, Result,
    ScheduleContext, ScheduledEvent, SqlStorage, State, durable_object, event, web_sys,
};

// The Worker's allocator (crates/ordersms-worker/src/lib.rs says why).
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let body = req.text().await?;
    env.queue("INBOX")?.send(body).await?;
    Response::ok("ok")
}

#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    let stub = env
        .durable_object("LEDGER")?
        .id_from_name("ledger")?
        .get_stub()?;
    for message in batch.raw_iter() {
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&message.body());
        let req = web_sys::Request::new_with_str_and_init("https://ledger/ingest", &init)?;
        stub.fetch_with_request(req.into()).await?;
        message.ack();
    }
    Ok(())
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let _ = env.var("RETENTION_DAYS");
}

#[durable_object]
pub struct Ledger {
    sql: SqlStorage,
}

impl DurableObject for Ledger {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS inbox (body TEXT)", None);
        Ledger { sql }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = req.text().await?;
        self.sql.exec(
            "INSERT INTO inbox (body) VALUES (?)",
            Some(vec![text.into()]),
        )?;
        Response::ok("stored")
    }
}
