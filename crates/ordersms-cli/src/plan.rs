//! `ordersms plan` (being written).

/// Flags of `ordersms plan`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<(), String> {
    Err("not built yet".to_owned())
}
