//! `ordersms config json`: a TOML shop configuration, checked, as the one-line JSON the
//! Worker's `SHOP_CONFIG` var takes (the Worker reads no TOML at run time; its built-in
//! `cloudflare/shop/config.toml` is converted the same way when it is built).

use std::path::PathBuf;

use ordersms_core::ShopConfig;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print a TOML shop configuration as JSON on one line, after checking it (an error
    /// names the key that is wrong).
    Json {
        /// The TOML file ("-" reads stdin).
        file: PathBuf,
    },
}

pub fn run(args: Args) -> Result<(), String> {
    let Action::Json { file } = args.action;
    let bytes = crate::plan::read(&file, "configuration")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("the configuration {} is not UTF-8", file.display()))?;
    let json = ShopConfig::toml_to_json(&text)
        .map_err(|e| format!("configuration {}: {e}", file.display()))?;
    println!("{json}");
    Ok(())
}
