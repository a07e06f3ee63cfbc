//! Plain descriptions of an HTTP exchange: what to send ([`HttpRequest`]) and what came back
//! ([`HttpResponse`]). They are data, not connections: the caller's transport (ureq, a Worker's
//! `fetch`, a test) turns one into the other. No `http` crate types, so a wasm caller pays
//! nothing for them.

use std::fmt;

/// HTTP methods SMSMobileAPI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Content type of every POST body: the API takes forms, never JSON bodies.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// One request to make. `url` is complete (scheme, host, path with its trailing slash, query);
/// `body` is empty for GET.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

// Requests carry the API key or a bearer token: never print them.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redact_query(&self.url))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// One response as received. Header names may be in any case.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

// Bodies carry bearer tokens (`/oauth2/token`) and customers' numbers (`/getsms/`), headers
// may carry cookies: like requests, a response prints its shape only.
impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl HttpResponse {
    /// A response with no headers, handy in tests and adapters.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Replaces the value of every query parameter with `***`, so a URL can be logged.
pub(crate) fn redact_query(url: &str) -> String {
    match url.split_once('?') {
        None => url.to_owned(),
        Some((path, query)) => {
            let keys: Vec<String> = query
                .split('&')
                .map(|pair| format!("{}=***", pair.split('=').next().unwrap_or("")))
                .collect();
            format!("{path}?{}", keys.join("&"))
        }
    }
}

/// Where the API lives: `https://api.smsmobileapi.com` or a sandbox. Parsed once, so every
/// request URL is built the same way (no doubled or missing slashes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.smsmobileapi.com";

impl BaseUrl {
    /// Accepts `https://` URLs, and `http://` ones to this machine (a sandbox), with a host
    /// and an optional path prefix; a trailing slash is dropped. Every request carries the
    /// apikey or token, so plain HTTP to another host is refused. Queries and fragments are
    /// refused: they would end up in the middle of every request URL.
    pub fn parse(raw: &str) -> Result<BaseUrl, InvalidBaseUrl> {
        let raw = raw.trim();
        // What an error quotes: a URL pasted from the API's examples carries the apikey in
        // its query, and the reason is logged (and shown by the Worker's public /healthz).
        let shown = redact_query(raw);
        let (rest, plain) = match (raw.strip_prefix("https://"), raw.strip_prefix("http://")) {
            (Some(rest), _) => (rest, false),
            (None, Some(rest)) => (rest, true),
            (None, None) => {
                return Err(InvalidBaseUrl(format!(
                    "{shown:?} must start with https:// (or http:// to this machine)"
                )));
            }
        };
        if rest.is_empty() || rest.starts_with('/') {
            return Err(InvalidBaseUrl(format!("{shown:?} has no host")));
        }
        if plain && !is_loopback_authority(rest.split('/').next().unwrap_or_default()) {
            return Err(InvalidBaseUrl(format!(
                "{shown:?} would send the API key unencrypted: use https:// (plain http:// only \
                 to this machine: localhost, 127.0.0.1, [::1])"
            )));
        }
        if rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
            return Err(InvalidBaseUrl(format!(
                "{shown:?} must not contain a query, fragment or spaces"
            )));
        }
        Ok(BaseUrl(raw.trim_end_matches('/').to_owned()))
    }

    /// The URL as given, without trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `path` must start with `/`.
    pub(crate) fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// `host[:port]` naming this machine: `localhost`, `127.x.x.x` or `[::1]`.
fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => return v6.split(']').next() == Some("::1"),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Default for BaseUrl {
    fn default() -> Self {
        BaseUrl(DEFAULT_BASE_URL.to_owned())
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = InvalidBaseUrl;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(s)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A base URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SMSMobileAPI base URL: {0}")]
pub struct InvalidBaseUrl(String);

/// An SMSMobileAPI key. Its `Debug` is masked so it never lands in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Refuses an empty or blank key: the API would answer 403 and the reason would be lost.
    pub fn new(key: impl Into<String>) -> Result<ApiKey, EmptyCredential> {
        let key = key.into().trim().to_owned();
        if key.is_empty() {
            return Err(EmptyCredential("API key"));
        }
        Ok(ApiKey(key))
    }

    /// The key itself, to put on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// A required credential was empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the SMSMobileAPI {0} is empty")]
pub struct EmptyCredential(pub &'static str);

/// How a request proves who it is.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `apikey` query parameter (GET) or form field (POST).
    ApiKey(ApiKey),
    /// `Authorization: Bearer <token>` from `/oauth2/token`.
    Bearer(String),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey(_) => f.write_str("Auth::ApiKey(***)"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer(***)"),
        }
    }
}

/// Builds a request from the endpoint's parameters: query string for GET, form body for POST,
/// with the credential placed where the API looks for it.
pub(crate) fn build_request(
    method: Method,
    base: &BaseUrl,
    path: &str,
    auth: Option<&Auth>,
    params: &[(&str, &str)],
) -> HttpRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    let mut headers = Vec::new();
    match auth {
        Some(Auth::ApiKey(key)) => {
            form.append_pair("apikey", key.expose());
        }
        Some(Auth::Bearer(token)) => {
            headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
        }
        None => {}
    }
    for (k, v) in params {
        form.append_pair(k, v);
    }
    let encoded = form.finish();
    headers.push(("Accept".to_owned(), "application/json".to_owned()));
    match method {
        Method::Get => {
            let mut url = base.join(path);
            if !encoded.is_empty() {
                url.push('?');
                url.push_str(&encoded);
            }
            HttpRequest {
                method,
                url,
                headers,
                body: Vec::new(),
            }
        }
        Method::Post => {
            headers.push(("Content-Type".to_owned(), FORM_CONTENT_TYPE.to_owned()));
            HttpRequest {
                method,
                url: base.join(path),
                headers,
                body: encoded.into_bytes(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_drops_trailing_slash_and_refuses_junk() {
        assert_eq!(
            BaseUrl::parse("https://api.smsmobileapi.com/")
                .unwrap()
                .as_str(),
            "https://api.smsmobileapi.com"
        );
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:8080/prefix/")
                .unwrap()
                .join("/sendsms/"),
            "http://127.0.0.1:8080/prefix/sendsms/"
        );
        assert!(BaseUrl::parse("api.smsmobileapi.com").is_err());
        assert!(BaseUrl::parse("https://").is_err());
        assert!(BaseUrl::parse("https://x.com/?a=1").is_err());
    }

    #[test]
    fn a_refused_base_url_is_quoted_without_its_query() {
        // The API's own examples are full request URLs with the key in the query; one pasted
        // as the base URL is refused, and the reason is logged and shown by the Worker's
        // public /healthz: it must name the problem, not the key.
        let key = "9d4f1c2b7a8e6d5f0c3b2a19e8d7c6b5a4f3e2d1";
        for pasted in [
            format!(
                "https://api.smsmobileapi.com/sendsms/?recipients=%2B32470123456&message=test&apikey={key}"
            ),
            format!("api.smsmobileapi.com/sendsms/?apikey={key}"),
            format!("http://api.smsmobileapi.com/sendsms/?apikey={key}"),
        ] {
            let err = BaseUrl::parse(&pasted).unwrap_err().to_string();
            assert!(!err.contains(key), "{err}");
            assert!(!err.contains("470123456"), "{err}");
            assert!(err.contains("api.smsmobileapi.com/sendsms/"), "{err}");
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        // Every request carries the apikey or token: in clear text only over loopback.
        for local in [
            "http://127.0.0.1:8080",
            "http://127.0.0.2",
            "http://localhost:9000/api",
            "http://[::1]:8080",
        ] {
            assert!(BaseUrl::parse(local).is_ok(), "{local}");
        }
        for remote in [
            "http://api.smsmobileapi.com",
            "http://127.0.0.1.example.com",
            "http://localhost.example.com",
            "http://10.0.0.5:8080",
            "HTTP://api.smsmobileapi.com",
        ] {
            let err = BaseUrl::parse(remote).unwrap_err().to_string();
            assert!(err.contains("https://"), "{remote}: {err}");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let key = ApiKey::new("sekret-key").unwrap();
        let req = build_request(
            Method::Get,
            &BaseUrl::default(),
            "/getsms/",
            Some(&Auth::ApiKey(key.clone())),
            &[],
        );
        assert!(!format!("{key:?}{req:?}").contains("sekret"));
        let bearer = build_request(
            Method::Get,
            &BaseUrl::default(),
            "/getsms/",
            Some(&Auth::Bearer("tok-123".into())),
            &[],
        );
        assert!(!format!("{bearer:?}").contains("tok-123"));
        assert!(ApiKey::new("  ").is_err());
    }
}
