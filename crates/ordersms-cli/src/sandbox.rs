//! `ordersms sandbox`: runs the local SMSMobileAPI-compatible server (crate
//! `smsmobileapi-sandbox`) in the foreground until Ctrl-C. Flags map one-to-one onto
//! `SandboxConfig`; the library refuses non-loopback addresses and bad rates.
//!
//! Output: one start line on stdout (`... listening on http://127.0.0.1:PORT ...`, with the
//! real port when `--port 0`), then one line per API request on stderr, phones masked.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use smsmobileapi_sandbox::{DEFAULT_API_KEY, Faults, SandboxConfig, WebhookConfig, WebhookFormat};

/// An IP address, or `localhost` (127.0.0.1), as webhook URLs and the client accept it.
fn parse_host(text: &str) -> Result<IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    text.parse()
        .map_err(|_| format!("`{text}` is not an IP address (use 127.0.0.1, ::1 or localhost)"))
}

/// Flags of `ordersms sandbox`.
#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on; 0 picks a free one (printed in the start line).
    #[arg(long, default_value_t = 8077)]
    port: u16,
    /// Address to listen on: 127.0.0.1, ::1 or localhost (= 127.0.0.1); only loopback
    /// addresses are accepted.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), value_parser = parse_host)]
    host: IpAddr,
    /// The API key the sandbox accepts (as `apikey` and as OAuth2 `client_secret`).
    #[arg(long, env = "SMSMOBILEAPI_KEY", default_value = DEFAULT_API_KEY, hide_env_values = true)]
    api_key: String,
    /// Seed of fault draws and GUIDs (default: from the clock; printed at start).
    #[arg(long)]
    seed: Option<u64>,
    /// Share of API requests answered 500 before anything is recorded.
    #[arg(long, default_value_t = 0.0)]
    fail_rate_500: f64,
    /// Share of API requests answered 429 with `Retry-After`.
    #[arg(long, default_value_t = 0.0)]
    fail_rate_429: f64,
    /// `Retry-After` seconds of injected 429s.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// Share of API requests delayed by `--slow-ms`.
    #[arg(long, default_value_t = 0.0)]
    slow_rate: f64,
    /// Delay of slow answers, in milliseconds.
    #[arg(long, default_value_t = 500)]
    slow_ms: u64,
    /// Share of sends refused with "phone offline" (HTTP 200, application error).
    #[arg(long, default_value_t = 0.0)]
    offline_rate: f64,
    /// Share of sends accepted, then failed by the phone (`send_from_mobile_erreur`).
    #[arg(long, default_value_t = 0.0)]
    phone_failure_rate: f64,
    /// Share of sends recorded but answered 500 (the ambiguous failure).
    #[arg(long, default_value_t = 0.0)]
    ambiguous_rate: f64,
    /// Loopback URL that injected customer replies are POSTed to.
    #[arg(long)]
    webhook_url: Option<String>,
    /// Secret signing V2 webhook deliveries (needs --webhook-url; from the environment
    /// without it, it is unused).
    #[arg(long, env = "SMSMOBILEAPI_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Webhook body: legacy, v2 or both (default: v2 with a secret, legacy without).
    #[arg(long, value_parser = parse_format, requires = "webhook_url")]
    webhook_format: Option<WebhookFormat>,
    /// Do not log one line per request.
    #[arg(long)]
    quiet: bool,
}

fn parse_format(s: &str) -> Result<WebhookFormat, String> {
    match s {
        "legacy" => Ok(WebhookFormat::Legacy),
        "v2" => Ok(WebhookFormat::V2),
        "both" => Ok(WebhookFormat::Both),
        _ => Err("expected legacy, v2 or both".to_owned()),
    }
}

/// Shows the default key in full (it is public) and any other key masked: a real key may
/// come from `SMSMOBILEAPI_KEY`, and secrets are never printed. The first three characters
/// help tell keys apart, but only of a key long enough that they give little of it away
/// (of a short key they would be most or all of it).
fn shown_key(key: &str) -> String {
    const HEAD_FROM: usize = 12;
    let chars = key.chars().count();
    if key == DEFAULT_API_KEY {
        key.to_owned()
    } else if chars >= HEAD_FROM {
        let head: String = key.chars().take(3).collect();
        format!("{head}*** ({chars} chars)")
    } else {
        format!("*** ({chars} chars)")
    }
}

pub fn run(args: Args, matches: &clap::ArgMatches) -> Result<(), String> {
    // Not clap's `requires`: that would also refuse a SMSMOBILEAPI_WEBHOOK_SECRET merely
    // exported (it is the Worker's secret too). A typed one without a URL is a mistake: the
    // sandbox would start, sign nothing and never say why no webhook arrives.
    if args.webhook_url.is_none() && crate::api::from_command_line(matches, "webhook_secret") {
        return Err(
            "--webhook-secret needs --webhook-url: the sandbox signs the reply webhooks it posts there, and posts none without it"
                .to_owned(),
        );
    }
    // From the clock, kept below 2^53: the seed is read back (start line, GET
    // /_sandbox/faults) to replay a run, and JavaScript or jq would round a larger JSON number.
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 & ((1 << 53) - 1))
            .unwrap_or(0)
    });
    let webhook = args.webhook_url.map(|url| WebhookConfig {
        url,
        format: args
            .webhook_format
            .unwrap_or(if args.webhook_secret.is_some() {
                WebhookFormat::V2
            } else {
                WebhookFormat::Legacy
            }),
        secret: args.webhook_secret,
    });
    let config = SandboxConfig {
        addr: SocketAddr::new(args.host, args.port),
        api_key: args.api_key,
        faults: Faults {
            fail_rate_500: args.fail_rate_500,
            fail_rate_429: args.fail_rate_429,
            retry_after_secs: args.retry_after,
            slow_rate: args.slow_rate,
            slow_ms: args.slow_ms,
            offline_rate: args.offline_rate,
            phone_failure_rate: args.phone_failure_rate,
            ambiguous_rate: args.ambiguous_rate,
            // Set at run time through `/_sandbox/faults`, as tests of the cron need it.
            resend_failure_rate: 0.0,
        },
        seed: Some(seed),
        webhook,
        log_requests: !args.quiet,
    };
    let key = shown_key(&config.api_key);
    smsmobileapi_sandbox::serve(config, |addr| {
        let mut out = std::io::stdout().lock();
        // If stdout is gone there is no one to tell; the server still runs.
        let _ = writeln!(
            out,
            "ordersms sandbox: listening on http://{addr} (apikey: {key}, seed: {seed}; control: http://{addr}/_sandbox/; Ctrl-C stops)"
        );
        let _ = out.flush();
    })
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::shown_key;

    #[test]
    fn the_start_line_never_shows_most_of_a_short_key() {
        assert_eq!(shown_key("sandbox-key"), "sandbox-key");
        assert_eq!(shown_key("real-secret-key"), "rea*** (15 chars)");
        assert_eq!(shown_key("abc"), "*** (3 chars)");
        assert_eq!(shown_key("k3y9"), "*** (4 chars)");
    }
}
