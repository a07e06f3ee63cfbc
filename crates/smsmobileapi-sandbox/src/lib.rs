//! A local SMSMobileAPI-compatible HTTP server for tests, demos, load and fault runs, and for
//! users without a phone.
//!
//! It speaks the real API's wire format on every endpoint (`/sendsms/`, `/resend/`,
//! `/log/sent/sms/`, `/getsms/`, `/getsms/set-read/`, `/deletesms/`, `/gateway/mobile/*`,
//! `POST /oauth2/token`), remembers what it accepted, injects faults on demand from a seeded
//! RNG, and exposes inspection and control endpoints under `/_sandbox/` (see the README).
//! It is written independently of the `smsmobileapi` client crate, so testing the client
//! against it checks the client against the documented wire format, not against itself.
//!
//! It only ever binds a loopback address, and only POSTs webhooks to loopback URLs.
//!
//! # In-process use (tests)
//!
//! ```
//! use smsmobileapi_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig { seed: Some(7), ..SandboxConfig::default() })?;
//! let base = sandbox.base_url(); // "http://127.0.0.1:<port>", point the client here
//! let key = sandbox.api_key(); // "sandbox-key" unless configured
//! # let _ = (base, key);
//! // ... drive the client ...
//! assert!(sandbox.messages().is_empty());
//! drop(sandbox); // or sandbox.shutdown(): stops the server and joins its thread
//! # Ok::<(), smsmobileapi_sandbox::SandboxError>(())
//! ```
//!
//! The server runs on its own thread and tokio runtime, so it works from plain `#[test]`
//! functions and blocking clients.

mod faults;
mod http;
mod state;
mod webhook;
mod wire;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub use faults::Faults;
pub use state::{DEFAULT_DEVICE, MessageState, SandboxMessage, Stats};
pub use webhook::{WebhookConfig, WebhookFormat, sign as sign_webhook};
pub use wire::mask_phones;

/// The API key a sandbox accepts unless told otherwise.
pub const DEFAULT_API_KEY: &str = "sandbox-key";

/// Why the sandbox could not start or be reconfigured.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("refusing to bind {addr}: the sandbox only listens on loopback (use 127.0.0.1 or ::1)")]
    NonLoopback { addr: SocketAddr },
    #[error(
        "cannot listen on {addr}: {source} (is the port already in use? port 0 picks a free one)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("fault rate {field} = {value} is not a probability: use a number from 0.0 to 1.0")]
    InvalidRate { field: &'static str, value: f64 },
    #[error("invalid webhook {0}")]
    InvalidWebhook(String),
    #[error("the API key is empty: pass a non-empty key (default \"sandbox-key\")")]
    EmptyApiKey,
}

/// How to start a sandbox. `SandboxConfig::default()` listens on a free loopback port with
/// the key `sandbox-key`, no faults and no webhook.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Must be a loopback address; port 0 picks a free port (read it from [`RunningSandbox::addr`]).
    pub addr: SocketAddr,
    /// The `apikey` (and OAuth2 `client_secret`) the sandbox accepts.
    pub api_key: String,
    pub faults: Faults,
    /// Seeds fault draws and GUIDs; `None` takes one from the clock.
    pub seed: Option<u64>,
    pub webhook: Option<WebhookConfig>,
    /// Print one line per API request on stderr (phone numbers masked).
    pub log_requests: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: DEFAULT_API_KEY.to_owned(),
            faults: Faults::default(),
            seed: None,
            webhook: None,
            log_requests: false,
        }
    }
}

impl SandboxConfig {
    fn validate(&self) -> Result<(), SandboxError> {
        if !self.addr.ip().is_loopback() {
            return Err(SandboxError::NonLoopback { addr: self.addr });
        }
        if self.api_key.trim().is_empty() {
            return Err(SandboxError::EmptyApiKey);
        }
        self.faults.validate()?;
        if let Some(w) = &self.webhook {
            w.validate()?;
        }
        Ok(())
    }
}

/// Entry point: see [`Sandbox::start`] and [`serve`].
pub struct Sandbox;

impl Sandbox {
    /// Validates `config`, binds its address and serves on a background thread until the
    /// returned handle is dropped or [`RunningSandbox::shutdown`] is called.
    pub fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
        start(config, false)
    }
}

/// Runs a sandbox in the foreground until Ctrl-C, calling `on_ready` with the bound address
/// once it accepts connections (the CLI prints its start line there).
pub fn serve(config: SandboxConfig, on_ready: impl FnOnce(SocketAddr)) -> Result<(), SandboxError> {
    let running = start(config, true)?;
    on_ready(running.addr());
    running.wait();
    Ok(())
}

fn start(config: SandboxConfig, stop_on_ctrl_c: bool) -> Result<RunningSandbox, SandboxError> {
    config.validate()?;
    let listener = TcpListener::bind(config.addr).map_err(|source| SandboxError::Bind {
        addr: config.addr,
        source,
    })?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: config.addr,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| SandboxError::Bind { addr, source })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("smsmobileapi-sandbox")
        .build()
        .map_err(SandboxError::Runtime)?;

    let seed = config
        .seed
        .unwrap_or_else(|| http::now_ms(0).unsigned_abs());
    let now = http::now_ms(0).div_euclid(1000);
    let state = Arc::new(Mutex::new(state::State::new(
        config.api_key.clone(),
        config.faults,
        seed,
        config.webhook,
        now,
    )));
    let app = http::App {
        state: state.clone(),
        log_requests: config.log_requests,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();

    let thread = std::thread::Builder::new()
        .name("smsmobileapi-sandbox".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("smsmobileapi-sandbox: cannot use the listener: {e}");
                        return;
                    }
                };
                let stop = async move {
                    if stop_on_ctrl_c {
                        tokio::select! {
                            _ = stop_rx => {}
                            _ = tokio::signal::ctrl_c() => {}
                        }
                    } else {
                        let _ = stop_rx.await;
                    }
                };
                if let Err(e) = axum::serve(listener, http::router(app))
                    .with_graceful_shutdown(stop)
                    .await
                {
                    eprintln!("smsmobileapi-sandbox: server error: {e}");
                }
            });
        })
        .map_err(SandboxError::Runtime)?;

    Ok(RunningSandbox {
        addr,
        api_key: config.api_key,
        state,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// A sandbox serving on its own thread. Dropping it stops the server.
pub struct RunningSandbox {
    addr: SocketAddr,
    api_key: String,
    state: Arc<Mutex<state::State>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    /// The bound address (the actual port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash: the client's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The key the sandbox accepts.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Everything `/sendsms/` recorded, oldest first, with states as of now
    /// (same data as `GET /_sandbox/messages`).
    pub fn messages(&self) -> Vec<SandboxMessage> {
        let st = self.lock();
        st.messages(http::now_ms(st.clock_offset_secs).div_euclid(1000))
    }

    /// Request and fault counters (same data as `GET /_sandbox/stats`).
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }

    /// Replaces the fault rates (same as `POST /_sandbox/faults` naming every field).
    pub fn set_faults(&self, faults: Faults) -> Result<(), SandboxError> {
        faults.validate()?;
        self.lock().faults = faults;
        Ok(())
    }

    /// Stops accepting connections, lets in-flight requests finish and joins the thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Blocks until the server stops by itself (Ctrl-C under [`serve`]).
    fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
