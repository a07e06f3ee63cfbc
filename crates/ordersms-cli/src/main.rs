//! `ordersms`: the native command line. A thin adapter: each subcommand lives in its own
//! module, parses flags, calls a library crate and prints JSON. Errors end the process with a
//! non-zero status and one line on stderr.

mod api;
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
    Api(api::Args),
    /// Plan the messages a shop webhook should produce, as JSON.
    Plan(plan::Args),
    /// Run a local SMSMobileAPI-compatible server on 127.0.0.1.
    Sandbox(sandbox::Args),
}

fn main() {
    // The matches are kept: `api` and `sandbox` need to know which secrets came from the
    // command line (rather than the environment).
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Api(args) => api::run(args, &matches),
        Command::Plan(args) => plan::run(args),
        Command::Sandbox(args) => sandbox::run(args, &matches),
    };
    if let Err(reason) = result {
        eprintln!("ordersms: {reason}");
        std::process::exit(1);
    }
}
