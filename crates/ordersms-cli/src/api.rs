//! `ordersms api <call>`: one SMSMobileAPI call from the shell, for setup checks and support.
//!
//! A thin adapter over the `smsmobileapi` crate: flags are the API's parameter names in
//! kebab-case, the blocking native client does auth (API key or OAuth), token refresh and
//! retries, and the parsed response is printed as pretty JSON on stdout. Any failure becomes
//! one line on stderr that says what to fix; the key and secrets are never printed.

use smsmobileapi::native::{SystemEnvironment, UreqTransport};
use smsmobileapi::{
    ApiError, ApiKey, BaseUrl, Call, Client, ClientCredentials, Credentials, DEFAULT_BASE_URL,
    DeleteDevice, DeleteSms, Environment, ListDevices, MarkRead, ReceivedQuery, Resend,
    RetryPolicy, SendMessage, SentLogQuery, SimPort, UpdateDeviceLabel,
};
use std::io::Write;
use std::time::Duration;

use crate::{EXIT_MAYBE_QUEUED, Failure};

/// Flags of `ordersms api`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    conn: Connection,
    #[command(subcommand)]
    call: ApiCall,
}

/// Where and as whom to call. Every flag also works after the call name.
///
/// Which credential is used: a credential given on the command line wins over the
/// environment (`--api-key` over SMSMOBILEAPI_CLIENT_ID/SECRET, `--client-id` or
/// `--client-secret` over SMSMOBILEAPI_KEY); from one source, the API key wins over OAuth, as
/// in the Worker. `api token` always uses the OAuth client.
#[derive(clap::Args)]
#[command(next_help_heading = "Connection")]
struct Connection {
    /// SMSMobileAPI key. Used instead of OAuth client credentials from the environment; with
    /// both from the environment (or both as flags), the key is used, as in the Worker.
    #[arg(long, env = "SMSMOBILEAPI_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    /// OAuth2 client id (with --client-secret). As a flag it is used instead of
    /// SMSMOBILEAPI_KEY; from the environment, only when no API key is set.
    #[arg(long, env = "SMSMOBILEAPI_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// OAuth2 client secret.
    #[arg(
        long,
        env = "SMSMOBILEAPI_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    client_secret: Option<String>,
    /// API base URL: https://, or http:// to this machine (a sandbox: http://127.0.0.1:PORT).
    #[arg(long, env = "SMSMOBILEAPI_URL", default_value = DEFAULT_BASE_URL, global = true)]
    base_url: String,
    /// Seconds before one attempt is abandoned (1 to 86400; each retry gets as long again).
    #[arg(long, default_value_t = 30, value_parser = timeout_secs, global = true)]
    timeout: u64,
    /// Retries of 429, 5xx and timeouts, with backoff. Sends and resends are only retried
    /// when the API cannot have taken them (429, refused connection), never after a 5xx or a
    /// timeout: the message may already be queued. A wait of a second or more (a 429's
    /// Retry-After, up to 30 s) is said on stderr first.
    #[arg(long, default_value_t = 2, global = true)]
    retries: u32,
}

/// Longest `--timeout`: the transport's own limit, a day (far larger values would overflow
/// ureq's deadline); refused rather than quietly cut.
const MAX_TIMEOUT_SECS: u64 = smsmobileapi::native::MAX_TIMEOUT.as_secs();

/// `--timeout`: whole seconds, from 1 to [`MAX_TIMEOUT_SECS`]. Zero is refused rather than
/// quietly run as 1 s (as it was): read as "no timeout", it would let a dead connection hang
/// a script forever, and no other meaning fits.
fn timeout_secs(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("--timeout must be at least 1 second".into()),
        Ok(n) if n > MAX_TIMEOUT_SECS => Err(format!(
            "--timeout must be at most {MAX_TIMEOUT_SECS} seconds (a day)"
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number of seconds")),
    }
}

/// A yes/no flag: bare (`--sendwa`) means yes; also takes 1/0, yes/no, true/false.
fn flag(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "y" | "on" => Ok(true),
        "0" | "no" | "false" | "n" | "off" => Ok(false),
        _ => Err(format!(
            "{s:?} is not yes/no (use 1, 0, yes, no, true or false)"
        )),
    }
}

#[derive(clap::Subcommand)]
enum ApiCall {
    /// POST /sendsms/: queue an SMS and/or WhatsApp message.
    Send(SendArgs),
    /// POST /resend/: resend a message in an error state.
    Resend {
        /// The message's GUID (`guid` of `api send`, or of `api log --error-mobile`).
        #[arg(long)]
        guid: Option<String>,
    },
    /// GET /log/sent/sms/: the sent-message log.
    Log(LogArgs),
    /// GET /getsms/: received SMS.
    Received(ReceivedArgs),
    /// GET /getsms/set-read/: mark a received SMS read.
    MarkRead {
        /// The received SMS's GUID (`guid` of `api received`).
        #[arg(long)]
        guid_message: Option<String>,
    },
    /// GET /deletesms/: delete received SMS from the server log (one, a day, or a range).
    Delete(DeleteArgs),
    /// GET /gateway/mobile/list/: connected phones.
    Devices {
        /// Only the phone with this id (exact).
        #[arg(long)]
        sid: Option<String>,
        /// Phones whose id, label, version, battery or date contains this.
        #[arg(long)]
        search: Option<String>,
    },
    /// GET /gateway/mobile/update/: rename a phone (--label '' clears it).
    DeviceLabel {
        /// The phone's id (`sid` of `api devices`).
        #[arg(long)]
        sid: Option<String>,
        /// Its new label ('' clears it).
        #[arg(long)]
        label: Option<String>,
    },
    /// GET /gateway/mobile/delete/: remove a phone and its history.
    DeviceDelete {
        /// The phone's id (`sid` of `api devices`).
        #[arg(long)]
        sid: Option<String>,
    },
    /// POST /oauth2/token: get an OAuth2 access token (needs --client-id/--client-secret).
    Token,
}

#[derive(clap::Args)]
struct SendArgs {
    /// Recipient number(s), comma-separated.
    #[arg(long)]
    recipients: Option<String>,
    /// Message text (it may start with `-`, as in "-20% today").
    #[arg(long, allow_hyphen_values = true)]
    message: Option<String>,
    /// Turn URLs into short links.
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = flag)]
    shorturl: Option<bool>,
    /// Which connected phone sends (default: first available).
    #[arg(long = "s-identifiant", visible_alias = "sidentifiant")]
    s_identifiant: Option<String>,
    /// Also send by WhatsApp: the SMS still goes unless `--sendsms 0` (or use --waonly).
    /// WhatsApp-only sends drop a leading + or 00, as WhatsApp needs; SMS and WhatsApp in one
    /// call to a number written with + or 00 is refused (WhatsApp would fail it).
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = flag)]
    sendwa: Option<bool>,
    /// Send by SMS (the API's default; `--sendsms 0` for none).
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = flag)]
    sendsms: Option<bool>,
    /// Encrypt the message (the recipient needs a key).
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = flag)]
    encrypt_message: Option<bool>,
    /// Send from this UNIX time (seconds, UTC).
    #[arg(long)]
    schedule_timestamp: Option<u64>,
    /// WhatsApp only, no SMS (a leading + or 00 of the numbers is dropped, as WhatsApp needs).
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = flag)]
    waonly: Option<bool>,
    /// Media URL for WhatsApp.
    #[arg(long)]
    url_media: Option<String>,
    /// SIM slot, 1 or 2.
    #[arg(long)]
    port: Option<u8>,
}

#[derive(clap::Args)]
struct LogArgs {
    /// Only this message (its GUID).
    #[arg(long)]
    guid_message: Option<String>,
    /// Only messages queued before this: a UNIX time (seconds) or a message GUID.
    #[arg(long)]
    before: Option<String>,
    /// Only messages the API failed.
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = flag)]
    error_api: Option<bool>,
    /// Only messages the phone failed.
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_parser = flag)]
    error_mobile: Option<bool>,
    /// Recipient or text to search (it may start with `-`).
    #[arg(long, allow_hyphen_values = true)]
    keyword: Option<String>,
}

#[derive(clap::Args)]
struct ReceivedArgs {
    /// Only SMS received by this phone (`sid` of `api devices`).
    #[arg(long = "s-identifiant-phone", visible_alias = "sidentifiantphone")]
    s_identifiant_phone: Option<String>,
    /// Only SMS received after this UNIX time (seconds).
    #[arg(long)]
    after_timestamp_unix: Option<u64>,
    /// Only unread messages.
    #[arg(long, num_args = 0..=1, default_missing_value = "yes", value_parser = flag)]
    onlyunread: Option<bool>,
}

#[derive(clap::Args)]
struct DeleteArgs {
    /// One message.
    #[arg(long)]
    guid_message: Option<String>,
    /// One day (YYYY-MM-DD), or the first day of a range with --date-end.
    #[arg(long)]
    date_start: Option<String>,
    /// Last day of the range.
    #[arg(long)]
    date_end: Option<String>,
}

fn required(value: Option<String>, call: &str, flag: &str) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("`api {call}` needs --{flag}")),
    }
}

/// Refuses `--recipients` values no phone can dial (see `SendMessage::check_recipients`).
/// The value quoted in the error has its numbers masked: a script's stderr ends up in logs.
fn recipients(raw: String) -> Result<String, String> {
    SendMessage::new(raw.as_str(), "")
        .check_recipients()
        .map_err(|e| {
            let mut line = e.to_string();
            // The error quotes the whole value or one comma-separated part, as `{:?}`.
            for quoted in std::iter::once(raw.as_str()).chain(raw.split(',').map(str::trim)) {
                line = line.replace(
                    &format!("{quoted:?}"),
                    &format!("{:?}", mask_numbers(quoted)),
                );
            }
            format!("--recipients {line}")
        })?;
    Ok(raw)
}

/// `+32470000001;+32470000002` → `+324******01;+324******02`: in each run of a number's
/// characters (digits, `+`, spaces, `-`, `.`, brackets), the digits but the first three and
/// the last two are masked; anything else (`;`, letters) stays, to show what is wrong.
fn mask_numbers(text: &str) -> String {
    let number_char =
        |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')');
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if !number_char(chars[at]) {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        let end = (at..chars.len())
            .find(|&i| !number_char(chars[i]))
            .unwrap_or(chars.len());
        let digits = chars[at..end].iter().filter(|c| c.is_ascii_digit()).count();
        let mut seen = 0;
        for &c in &chars[at..end] {
            if c.is_ascii_digit() {
                seen += 1;
                out.push(if seen > 3 && seen + 2 <= digits {
                    '*'
                } else {
                    c
                });
            } else {
                out.push(c);
            }
        }
        at = end;
    }
    out
}

/// Refuses SMS and WhatsApp in one call to a number written with `+` or `00`: the call
/// writes each number once, WhatsApp fails it in that form (the API documentation says to
/// write WhatsApp numbers without them) and an SMS needs it, so the WhatsApp copy would fail
/// on the phone after a reported success. WhatsApp-only sends are rewritten by the client.
fn sms_and_whatsapp(send: &SendMessage) -> Result<(), String> {
    let both = send.sendwa == Some(true) && !send.waonly && send.sendsms != Some(false);
    let international = send
        .recipients
        .split(',')
        .map(str::trim)
        .any(|one| one.starts_with('+') || one.starts_with("00"));
    if both && international {
        return Err("--sendwa also sends an SMS, and one call writes each number once: WhatsApp fails a number written with + or 00, which the SMS needs. Send twice: with --waonly (WhatsApp; the + is dropped for it), and without --sendwa (SMS)".into());
    }
    Ok(())
}

/// Refuses a UNIX time given in milliseconds (from `Date.now()` and the like): the API reads
/// seconds, so a scheduled message would wait until the year 58000, and a filter would match
/// nothing. From this many seconds on (the year 5138) a value is taken for milliseconds.
fn unix_seconds(value: Option<u64>, flag: &str) -> Result<Option<u64>, String> {
    const MILLIS_FROM: u64 = 100_000_000_000;
    match value {
        Some(t) if t >= MILLIS_FROM => Err(format!(
            "--{flag} {t} looks like milliseconds: the API takes UNIX seconds ({})",
            t / 1000
        )),
        other => Ok(other),
    }
}

/// `matches` are the whole command line's, to tell flags from environment variables.
pub fn run(args: Args, matches: &clap::ArgMatches) -> Result<(), Failure> {
    let secrets: Vec<String> = [args.conn.api_key.clone(), args.conn.client_secret.clone()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    let source = Source {
        api_key: from_command_line(matches, "api_key"),
        client_id: from_command_line(matches, "client_id"),
        client_secret: from_command_line(matches, "client_secret"),
    };
    run_inner(args, source).map_err(|f| Failure {
        line: one_line(&f.line, &secrets),
        status: f.status,
    })
}

/// Which credentials were given as flags (rather than from the environment).
#[derive(Clone, Copy, Default)]
struct Source {
    api_key: bool,
    client_id: bool,
    client_secret: bool,
}

impl Source {
    /// OAuth client credentials were given on the command line (either of them).
    fn oauth(self) -> bool {
        self.client_id || self.client_secret
    }

    /// What to check when the API refuses a credential: the flag or variable it came from.
    fn to_check(self, oauth: bool) -> String {
        let name = |flag: bool, as_flag: &str, as_env: &str| {
            if flag { as_flag } else { as_env }.to_owned()
        };
        if oauth {
            format!(
                "{} and {}",
                name(self.client_id, "--client-id", "SMSMOBILEAPI_CLIENT_ID"),
                name(
                    self.client_secret,
                    "--client-secret",
                    "SMSMOBILEAPI_CLIENT_SECRET"
                )
            )
        } else {
            name(self.api_key, "--api-key", "SMSMOBILEAPI_KEY")
        }
    }
}

/// Whether the global flag `id` was typed on the command line, at any subcommand level.
pub(crate) fn from_command_line(matches: &clap::ArgMatches, id: &str) -> bool {
    let mut level = Some(matches);
    while let Some(m) = level {
        // `try_contains_id` first: `value_source` panics on a level that lacks the flag.
        if m.try_contains_id(id).unwrap_or(false)
            && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
        {
            return true;
        }
        level = m.subcommand().map(|(_, sub)| sub);
    }
    false
}

/// The error line: one line, with any secret the API or a transport echoed blanked out.
fn one_line(line: &str, secrets: &[String]) -> String {
    let mut out: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets {
        out = mask(&out, secret.trim());
    }
    out
}

/// From this many characters a secret is hidden wherever it appears: text that long does not
/// occur by chance in an error line.
const MASK_ANYWHERE_FROM: usize = 8;

/// Replaces `secret` in `text` by `***`. A shorter secret (a mistyped "key" or "test") is
/// also an ordinary word, and blanking every occurrence would garble the line ("the API ***
/// is invalid"): it is hidden only where it stands as an echoed value, right after `=`, `:`
/// or a quote and not followed by a letter or digit (`apikey=key&`, `"key"`).
fn mask(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let anywhere = secret.chars().count() >= MASK_ANYWHERE_FROM;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, end) in occurrences(text, secret) {
        let as_value = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, '=' | ':' | '"' | '\''))
            && !text[end..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric);
        if anywhere || as_value {
            out.push_str(&text[copied..at]);
            out.push_str("***");
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where `secret` occurs in `text`, as it is or percent-encoded, as a URL's query string
/// carries a key's `+`, `/` and `=` (`%2B`, `%2F`, `%3D`, hex in either case; a space as
/// `+`): byte ranges, left to right, not overlapping.
fn occurrences(text: &str, secret: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match encoded_match(text.as_bytes(), at, secret.as_bytes()) {
            Some(end) if text.is_char_boundary(at) => {
                found.push((at, end));
                at = end;
            }
            _ => at += 1,
        }
    }
    found
}

/// The end of `secret` in `text` from `at`, each byte as it is or as `%XX`.
fn encoded_match(text: &[u8], mut at: usize, secret: &[u8]) -> Option<usize> {
    let hex = |c: u8| char::from(c).to_digit(16);
    for &b in secret {
        match text.get(at..)? {
            [c, ..] if *c == b => at += 1,
            [b'+', ..] if b == b' ' => at += 1,
            [b'%', h, l, ..] if hex(*h).zip(hex(*l)).map(|(h, l)| h * 16 + l) == Some(b.into()) => {
                at += 3
            }
            _ => return None,
        }
    }
    Some(at)
}

fn run_inner(args: Args, source: Source) -> Result<(), Failure> {
    let Args { conn, call } = args;
    let base = BaseUrl::parse(&conn.base_url)
        .map_err(|e| format!("{e} (from --base-url or SMSMOBILEAPI_URL)"))?;
    let credentials = credentials(&conn, source, matches!(call, ApiCall::Token))?;
    let oauth = matches!(credentials, Credentials::OAuth(_));
    let mut client = Client::new(
        UreqTransport::new(Duration::from_secs(conn.timeout)),
        Announced(SystemEnvironment::default()),
        base,
        credentials,
    )
    .with_retry(RetryPolicy {
        max_retries: conn.retries,
        ..RetryPolicy::default()
    });
    let to_check = source.to_check(oauth);
    let explain = |e: ApiError| explain(e, oauth, &to_check);

    match call {
        ApiCall::Send(a) => {
            let port = match a.port {
                None => None,
                Some(n) => Some(
                    SimPort::from_number(n)
                        .ok_or_else(|| format!("--port {n} is not a SIM slot: use 1 or 2"))?,
                ),
            };
            let send = SendMessage {
                shorturl: a.shorturl,
                s_identifiant: a.s_identifiant,
                sendwa: a.sendwa,
                sendsms: a.sendsms,
                encrypt_message: a.encrypt_message.unwrap_or(false),
                schedule_timestamp: unix_seconds(a.schedule_timestamp, "schedule-timestamp")?,
                waonly: a.waonly.unwrap_or(false),
                url_media: a.url_media,
                port,
                ..SendMessage::new(
                    recipients(required(a.recipients, "send", "recipients")?)?,
                    required(a.message, "send", "message")?,
                )
            };
            sms_and_whatsapp(&send)?;
            print(&mut client, &send, explain)
        }
        ApiCall::Resend { guid } => {
            let guid = required(guid, "resend", "guid")?;
            print(&mut client, &Resend { guid }, explain)
        }
        ApiCall::Log(a) => {
            // `before` is a time or a GUID; a time is checked as the other time flags are
            // (a GUID is 40 hex digits, too long to read as a number).
            if let Some(t) = a
                .before
                .as_deref()
                .and_then(|b| b.trim().parse::<u64>().ok())
            {
                unix_seconds(Some(t), "before")?;
            }
            let query = SentLogQuery {
                guid_message: a.guid_message,
                before: a.before,
                error_api: a.error_api.unwrap_or(false),
                error_mobile: a.error_mobile.unwrap_or(false),
                keyword: a.keyword,
            };
            print(&mut client, &query, explain)
        }
        ApiCall::Received(a) => {
            let query = ReceivedQuery {
                s_identifiant_phone: a.s_identifiant_phone,
                after_timestamp_unix: unix_seconds(a.after_timestamp_unix, "after-timestamp-unix")?,
                onlyunread: a.onlyunread.unwrap_or(false),
            };
            print(&mut client, &query, explain)
        }
        ApiCall::MarkRead { guid_message } => {
            let guid_message = required(guid_message, "mark-read", "guid-message")?;
            print(&mut client, &MarkRead { guid_message }, explain)
        }
        ApiCall::Delete(a) => print(&mut client, &delete_call(a)?, explain),
        ApiCall::Devices { sid, search } => {
            print(&mut client, &ListDevices { sid, search }, explain)
        }
        ApiCall::DeviceLabel { sid, label } => {
            let sid = required(sid, "device-label", "sid")?;
            let label = label.ok_or("`api device-label` needs --label (--label '' clears it)")?;
            print(&mut client, &UpdateDeviceLabel { sid, label }, explain)
        }
        ApiCall::DeviceDelete { sid } => {
            let sid = required(sid, "device-delete", "sid")?;
            print(&mut client, &DeleteDevice { sid }, explain)
        }
        ApiCall::Token => {
            let token = client.token().map_err(explain)?;
            Ok(print_json(&token)?)
        }
    }
}

/// The three forms of `/deletesms/`; anything else is refused before calling.
fn delete_call(a: DeleteArgs) -> Result<DeleteSms, String> {
    let nonblank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    match (
        nonblank(a.guid_message),
        nonblank(a.date_start),
        nonblank(a.date_end),
    ) {
        (Some(guid), None, None) => Ok(DeleteSms::ByGuid(guid)),
        (None, Some(day), None) => Ok(DeleteSms::OnDay(day)),
        (None, Some(start), Some(end)) => Ok(DeleteSms::Range { start, end }),
        (None, None, Some(_)) => Err("`api delete --date-end` needs --date-start".into()),
        (Some(_), _, _) => {
            Err("`api delete` takes --guid-message or --date-start [--date-end], not both".into())
        }
        (None, None, None) => Err(
            "`api delete` needs --guid-message, --date-start (one day) or --date-start and --date-end"
                .into(),
        ),
    }
}

/// The credential to call with; the rule is on [`Connection`].
fn credentials(conn: &Connection, source: Source, token_call: bool) -> Result<Credentials, String> {
    fn nonblank(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let key = nonblank(&conn.api_key);
    let oauth = (nonblank(&conn.client_id), nonblank(&conn.client_secret));
    // OAuth comes first only when asked for: `api token`, or OAuth flags without --api-key.
    let oauth_first = token_call || (source.oauth() && !source.api_key);
    match (oauth, key) {
        ((Some(id), Some(secret)), _) if oauth_first || key.is_none() => {
            ClientCredentials::new(id, secret)
                .map(Credentials::OAuth)
                .map_err(|e| e.to_string())
        }
        ((Some(_), None) | (None, Some(_)), _) if token_call => Err(
            "`api token` needs both --client-id and --client-secret (or SMSMOBILEAPI_CLIENT_ID/SECRET)"
                .into(),
        ),
        _ if token_call => Err(
            "`api token` needs --client-id and --client-secret (or SMSMOBILEAPI_CLIENT_ID/SECRET)"
                .into(),
        ),
        ((Some(_), None) | (None, Some(_)), _) if oauth_first || key.is_none() => Err(
            "OAuth needs both --client-id and --client-secret (or SMSMOBILEAPI_CLIENT_ID/SECRET)"
                .into(),
        ),
        (_, Some(key)) => ApiKey::new(key)
            .map(Credentials::ApiKey)
            .map_err(|e| e.to_string()),
        (_, None) => Err(
            "no SMSMobileAPI credentials: pass --api-key or set SMSMOBILEAPI_KEY (or --client-id and --client-secret)"
                .into(),
        ),
    }
}

/// Rewrites credential errors to name the setting to fix (`to_check`: the flags or
/// variables the credential came from); other errors say it themselves.
fn explain(e: ApiError, oauth: bool, to_check: &str) -> String {
    match e {
        ApiError::BadKey { status, message } => {
            let said = message.map(|m| format!(" ({m})")).unwrap_or_default();
            let what = if oauth {
                "the OAuth client"
            } else {
                "the API key"
            };
            format!("SMSMobileAPI rejected {what} (HTTP {status}){said}: check {to_check}")
        }
        other => other.to_string(),
    }
}

/// The system's clock and sleep, saying on stderr why the command pauses before a retry of
/// a second or more (a `Retry-After` can hold it for up to 30 s, which would look like a
/// hang). Never stdout: that is the JSON a script reads. Shorter backoffs pass unsaid.
struct Announced(SystemEnvironment);

impl Environment for Announced {
    fn now_unix(&mut self) -> u64 {
        self.0.now_unix()
    }
    fn sleep(&mut self, duration: Duration) {
        self.0.sleep(duration)
    }
    fn jitter(&mut self) -> f64 {
        self.0.jitter()
    }
    fn retrying(&mut self, error: &ApiError, wait: Duration) {
        if let Some(line) = retry_line(error, wait) {
            eprintln!("ordersms: {line}");
        }
    }
}

/// The line said before waiting `wait` to retry after `error`, or none for a wait under a
/// second. Only the error's kind is quoted: a transport message can hold the URL and key.
fn retry_line(error: &ApiError, wait: Duration) -> Option<String> {
    if wait < Duration::from_secs(1) {
        return None;
    }
    // Whole seconds, rounded up: "retrying in 0 s" would not be true.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let why = match error {
        ApiError::RateLimited {
            retry_after: Some(_),
        } => {
            return Some(format!(
                "SMSMobileAPI is rate limiting; retrying in {secs} s (Retry-After)"
            ));
        }
        ApiError::RateLimited { retry_after: None } => "SMSMobileAPI is rate limiting".to_owned(),
        ApiError::Server { status } => format!("SMSMobileAPI failed with HTTP {status}"),
        ApiError::Transport { kind, .. } => format!("no answer from SMSMobileAPI ({kind})"),
        _ => "SMSMobileAPI call failed".to_owned(),
    };
    Some(format!("{why}; retrying in {secs} s"))
}

fn print<C>(
    client: &mut Client<UreqTransport, Announced>,
    call: &C,
    explain: impl Fn(ApiError) -> String,
) -> Result<(), Failure>
where
    C: Call,
    C::Output: serde::Serialize,
{
    let out = client.call(call).map_err(|e| {
        if e.may_have_acted(call) {
            Failure {
                line: explain_ambiguous(e),
                status: EXIT_MAYBE_QUEUED,
            }
        } else {
            Failure::from(explain(e))
        }
    })?;
    Ok(print_json(&out)?)
}

/// A send or resend that failed after it may have reached the API (a 5xx, a timeout): the
/// message may already be in the phone's queue, so "retry later" would be the wrong advice
/// (the client does not retry these either).
fn explain_ambiguous(e: ApiError) -> String {
    let what = match &e {
        ApiError::Server { status } => format!("SMSMobileAPI failed with HTTP {status}"),
        ApiError::Transport { kind, message } => {
            format!("no answer from SMSMobileAPI ({kind}: {message})")
        }
        other => other.to_string(),
    };
    format!(
        "{what}, but it may already have queued the message: look for it with `ordersms api log --keyword ...` before sending it again (a blind retry can deliver it twice)"
    )
}

fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let json = serde_json::to_string_pretty(value)
        .map_err(|e| format!("cannot print the response as JSON: {e}"))?;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{json}") {
        // `ordersms api log ... | head` closing the pipe early is not an error (and the call
        // itself succeeded: a send is in the phone's queue either way).
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the response: {e}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_and_what_is_wrong_stays() {
        assert_eq!(
            mask_numbers("+32470000001;+32470000002"),
            "+324******01;+324******02"
        );
        assert_eq!(mask_numbers("Alice"), "Alice");
        assert_eq!(mask_numbers("+33 6 12 34 56 78,"), "+33 6 ** ** ** 78,");
        assert_eq!(mask_numbers("+32 470 abc"), "+32 470 abc");
    }

    #[test]
    fn a_retry_wait_is_said_from_one_second() {
        let limited = |secs| ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            retry_line(&limited(12), Duration::from_secs(12)).as_deref(),
            Some("SMSMobileAPI is rate limiting; retrying in 12 s (Retry-After)")
        );
        assert_eq!(retry_line(&limited(0), Duration::ZERO), None);
        assert_eq!(
            retry_line(
                &ApiError::Server { status: 503 },
                Duration::from_millis(1_200)
            )
            .as_deref(),
            Some("SMSMobileAPI failed with HTTP 503; retrying in 2 s")
        );
        assert_eq!(
            retry_line(
                &ApiError::Server { status: 503 },
                Duration::from_millis(900)
            ),
            None
        );
    }

    #[test]
    fn timeout_is_whole_seconds_from_one() {
        assert_eq!(timeout_secs("30"), Ok(30));
        assert_eq!(
            timeout_secs("0"),
            Err("--timeout must be at least 1 second".to_owned())
        );
        assert!(timeout_secs("1.5").is_err());
        assert_eq!(timeout_secs("86400"), Ok(86_400));
        assert!(timeout_secs("86401").is_err());
    }

    #[test]
    fn delete_forms() {
        let d = |g: Option<&str>, s: Option<&str>, e: Option<&str>| {
            delete_call(DeleteArgs {
                guid_message: g.map(Into::into),
                date_start: s.map(Into::into),
                date_end: e.map(Into::into),
            })
        };
        assert_eq!(d(Some("g"), None, None), Ok(DeleteSms::ByGuid("g".into())));
        assert_eq!(
            d(None, Some("2026-03-01"), None),
            Ok(DeleteSms::OnDay("2026-03-01".into()))
        );
        assert!(matches!(
            d(None, Some("a"), Some("b")),
            Ok(DeleteSms::Range { .. })
        ));
        assert!(d(None, None, Some("b")).is_err());
        assert!(d(Some("g"), Some("a"), None).is_err());
        assert!(d(None, None, None).is_err());
    }

    #[test]
    fn error_line_is_one_line_without_secrets() {
        let line = one_line("bad\nkey KEY-123-456 here", &["KEY-123-456".into()]);
        assert_eq!(line, "bad key *** here");
    }

    #[test]
    fn a_long_secret_is_masked_anywhere() {
        let key = "0123456789abcdef".to_owned();
        assert_eq!(
            one_line(
                "url /x?apikey=0123456789abcdef&a=1, K0123456789abcdefZ",
                &[key]
            ),
            "url /x?apikey=***&a=1, K***Z"
        );
    }

    #[test]
    fn a_key_is_masked_where_a_url_carries_it_percent_encoded() {
        // A base64-style key: `+`, `/` and `=` are percent-encoded in a query string, by the
        // client's form encoding (upper-case hex) or by another hand (lower-case).
        let key = vec!["mF3k9+Qz/Lr2Wx8vT1pYbN4c=".to_owned()];
        assert_eq!(
            one_line(
                "could not reach SMSMobileAPI (connect): http://127.0.0.1:9/log/sent/sms/?apikey=mF3k9%2BQz%2FLr2Wx8vT1pYbN4c%3D&error_mobile=1: Connection refused",
                &key
            ),
            "could not reach SMSMobileAPI (connect): http://127.0.0.1:9/log/sent/sms/?apikey=***&error_mobile=1: Connection refused"
        );
        assert_eq!(
            one_line(
                "SMSMobileAPI answered HTTP 404 (GET /sendsms?apikey=mF3k9%2bQz%2fLr2Wx8vT1pYbN4c%3d not found): check the base URL",
                &key
            ),
            "SMSMobileAPI answered HTTP 404 (GET /sendsms?apikey=*** not found): check the base URL"
        );
        // As it is, too.
        assert_eq!(
            one_line("apikey=mF3k9+Qz/Lr2Wx8vT1pYbN4c= refused", &key),
            "apikey=*** refused"
        );
    }

    #[test]
    fn a_short_secret_is_masked_only_as_an_echoed_value() {
        let key = vec!["key".to_owned()];
        assert_eq!(
            one_line("the API key is invalid: check SMSMOBILEAPI_KEY", &key),
            "the API key is invalid: check SMSMOBILEAPI_KEY"
        );
        assert_eq!(
            one_line(
                r#"apikey=key&x=1 {"apikey":"key"} key: 'key' keys=keyring"#,
                &key
            ),
            r#"apikey=***&x=1 {"apikey":"***"} key: '***' keys=keyring"#
        );
        // "abc" inside unrelated words stays.
        assert_eq!(
            one_line("fabric=abcdef", &["abc".to_owned()]),
            "fabric=abcdef"
        );
    }
}
