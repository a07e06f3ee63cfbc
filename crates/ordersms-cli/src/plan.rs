//! `ordersms plan`: replay a webhook body through the core and print the plan as JSON.
//!
//! The CLI owns what the core must not: files, the clock (`--now` defaults to the current
//! time) and turning flags into a `WebhookInput`. Everything else is `ordersms_core::plan`.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

use ordersms_core::plan::plan_with_opt_outs;
use ordersms_core::{OrderContext, Phone, Platform, ShopConfig, WebhookInput};

/// Flags of `ordersms plan` (boxed: they are the largest of the subcommands' flags, and the
/// command enum should not grow to their size).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    flags: Box<Flags>,
}

#[derive(clap::Args)]
struct Flags {
    /// Where the webhook came from: shopify or woocommerce.
    #[arg(long, value_parser = parse_platform)]
    platform: Platform,
    /// The webhook topic, e.g. orders/create (Shopify) or order.updated (WooCommerce).
    #[arg(long)]
    topic: String,
    /// Shop configuration (TOML, or JSON when the file ends in .json, any case; "-" reads
    /// stdin). Default: built-in.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The instant to plan at (RFC 3339, e.g. 2026-03-20T21:07:44+01:00). Default: now.
    #[arg(long)]
    now: Option<String>,
    /// The stored order context (JSON): a previous plan's "store", or that whole plan ("-"
    /// reads stdin).
    #[arg(long)]
    context: Option<PathBuf>,
    /// The webhook secret; with --signature, the signature is checked (without it nothing
    /// is, so ORDERSMS_WEBHOOK_SECRET may stay set for unsigned replays).
    #[arg(long, env = "ORDERSMS_WEBHOOK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// The signature header's value (base64 HMAC-SHA256 of the body).
    #[arg(long, requires = "secret")]
    signature: Option<String>,
    /// The shop's domain. Default: from the payload, else "unknown".
    #[arg(long)]
    shop_domain: Option<String>,
    /// A phone number that answered STOP (repeatable).
    #[arg(long = "opted-out", value_name = "PHONE")]
    opted_out: Vec<String>,
    /// The webhook body (JSON file; "-" reads stdin).
    payload: PathBuf,
}

fn parse_platform(text: &str) -> Result<Platform, String> {
    Platform::parse(text).ok_or_else(|| format!("`{text}` is not shopify or woocommerce"))
}

/// An order context: a plan's "store", or the whole plan that printed it (what `ordersms
/// plan ... > plan.json` leaves).
fn order_context(bytes: &[u8]) -> Result<OrderContext, String> {
    /// A plan as printed: only its "store" is read ("messages" tells a plan from a context).
    #[derive(serde::Deserialize)]
    struct WholePlan {
        #[serde(rename = "messages")]
        _messages: serde::de::IgnoredAny,
        store: Option<OrderContext>,
    }
    let as_context = match serde_json::from_slice::<OrderContext>(bytes) {
        Ok(context) => return Ok(context),
        Err(e) => e,
    };
    match serde_json::from_slice::<WholePlan>(bytes) {
        Ok(WholePlan {
            store: Some(context),
            ..
        }) => Ok(context),
        Ok(WholePlan { store: None, .. }) => Err("this plan has no \"store\" (it changed nothing): use the context that plan was given, or none".into()),
        Err(_) => Err(as_context.to_string()),
    }
}

pub(crate) fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
            .map_err(|e| format!("cannot read the {what} from stdin: {e}"))?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

pub fn run(args: Args) -> Result<(), String> {
    let args = *args.flags;
    let from_stdin: Vec<&str> = [
        ("--config", args.config.as_ref()),
        ("--context", args.context.as_ref()),
        ("the payload", Some(&args.payload)),
    ]
    .into_iter()
    .filter(|(_, path)| path.is_some_and(|p| p.as_os_str() == "-"))
    .map(|(name, _)| name)
    .collect();
    if from_stdin.len() > 1 {
        return Err(format!(
            "{} say \"-\": stdin can be read for one of them only; give the others as files",
            from_stdin.join(" and ")
        ));
    }
    let config = match &args.config {
        None => ShopConfig::default(),
        Some(path) => {
            let text = String::from_utf8(read(path, "configuration")?)
                .map_err(|_| format!("the configuration {} is not UTF-8", path.display()))?;
            let parsed = if path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("json"))
            {
                ShopConfig::from_json(&text)
            } else {
                ShopConfig::from_toml(&text)
            };
            parsed.map_err(|e| format!("configuration {}: {e}", path.display()))?
        }
    };
    let context = match &args.context {
        None => None,
        Some(path) => Some(
            order_context(&read(path, "order context")?)
                .map_err(|e| format!("order context {}: {e}", path.display()))?,
        ),
    };
    let now_unix = match &args.now {
        Some(text) => text
            .parse::<jiff::Timestamp>()
            .map_err(|e| format!("--now `{text}` is not an RFC 3339 time: {e}"))?
            .as_second(),
        None => jiff::Timestamp::now().as_second(),
    };
    let opted_out = args
        .opted_out
        .iter()
        .map(|raw| {
            Phone::parse(raw, config.default_country())
                .map_err(|e| format!("--opted-out: a number is not usable: {e}"))
        })
        .collect::<Result<BTreeSet<Phone>, String>>()?;

    let body = read(&args.payload, "payload")?;
    let signature_header = match args.platform {
        Platform::Shopify => "X-Shopify-Hmac-Sha256",
        Platform::WooCommerce => "X-WC-Webhook-Signature",
    };
    let headers: Vec<(&str, &str)> = args
        .signature
        .as_deref()
        .map(|signature| (signature_header, signature))
        .into_iter()
        .collect();
    let mut input = WebhookInput::new(args.platform, &headers, &body).with_topic(&args.topic);
    // Only a given signature is checked: a secret alone would make the core demand one.
    if let (Some(secret), Some(_)) = (&args.secret, &args.signature) {
        input = input.with_secret(secret.as_bytes());
    }
    if let Some(shop) = &args.shop_domain {
        input = input.with_shop(shop);
    }

    let plan = plan_with_opt_outs(&input, &config, context.as_ref(), now_unix, &opted_out)
        .map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{json}") {
        // `ordersms plan ... | head` closing the pipe early is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the plan: {e}"))
        }
        _ => Ok(()),
    }
}
