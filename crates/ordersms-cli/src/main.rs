//! `ordersms`: the native command line. A thin adapter: each subcommand lives in its own
//! module, parses flags, calls a library crate and prints JSON. Errors end the process with a
//! non-zero status and one line on stderr: 1, or [`EXIT_MAYBE_QUEUED`] for a send that may
//! have gone out (2 is clap's, for a wrong command line).

mod api;
mod config;
mod plan;
mod sandbox;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ordersms",
    version,
    about = "Order notifications by SMS/WhatsApp through SMSMobileAPI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Call one SMSMobileAPI endpoint and print the parsed response as JSON.
    #[command(
        after_help = "Exit status: 0 done (the JSON on stdout); 1 failed (one line on stderr); 2 wrong command line; 3 a send or resend failed after SMSMobileAPI may have queued it (a 5xx, a timeout): look for it with `ordersms api log` before sending it again."
    )]
    Api(api::Args),
    /// Convert a shop configuration: `config json FILE` prints a TOML one as JSON.
    Config(config::Args),
    /// Plan the messages a shop webhook should produce, as JSON.
    Plan(plan::Args),
    /// Run a local SMSMobileAPI-compatible server on 127.0.0.1.
    Sandbox(sandbox::Args),
}

/// Exit status of `api send`/`resend` failing after the API may have queued the message (a
/// 5xx, a timeout, an unreadable answer): a script must look in the log, not send again.
pub(crate) const EXIT_MAYBE_QUEUED: i32 = 3;

/// Why a subcommand failed: the line for stderr and the exit status.
pub(crate) struct Failure {
    pub(crate) line: String,
    pub(crate) status: i32,
}

impl From<String> for Failure {
    fn from(line: String) -> Self {
        Failure { line, status: 1 }
    }
}

impl From<&str> for Failure {
    fn from(line: &str) -> Self {
        line.to_owned().into()
    }
}

fn main() {
    // The matches are kept: `api` and `sandbox` need to know which secrets came from the
    // command line (rather than the environment).
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Api(args) => api::run(args, &matches),
        Command::Config(args) => config::run(args).map_err(Failure::from),
        Command::Plan(args) => plan::run(args).map_err(Failure::from),
        Command::Sandbox(args) => sandbox::run(args, &matches).map_err(Failure::from),
    };
    if let Err(failure) = result {
        eprintln!("ordersms: {}", failure.line);
        std::process::exit(failure.status);
    }
}
