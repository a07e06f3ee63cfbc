//! OAuth2 client credentials: the token request and a cache that knows when the token must be
//! refreshed. The cache never reads a clock: every question takes `now` (UNIX seconds) from
//! the caller, so it behaves the same in a Worker, a CLI and a test.

use crate::calls::Call;
use crate::error::{ApiError, classify, unparseable};
use crate::http::{
    Auth, BaseUrl, EmptyCredential, HttpRequest, HttpResponse, Method, build_request,
};
use crate::wire::{LooseString, deserialize_loose_struct};
use serde::Serialize;
use std::fmt;

/// OAuth2 client id and secret. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    client_id: String,
    client_secret: String,
}

impl ClientCredentials {
    /// Both must be non-blank.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, EmptyCredential> {
        let client_id = client_id.into().trim().to_owned();
        let client_secret = client_secret.into().trim().to_owned();
        if client_id.is_empty() {
            return Err(EmptyCredential("OAuth client id"));
        }
        if client_secret.is_empty() {
            return Err(EmptyCredential("OAuth client secret"));
        }
        Ok(ClientCredentials {
            client_id,
            client_secret,
        })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// `POST /oauth2/token` with `grant_type=client_credentials`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestToken(pub ClientCredentials);

/// A bearer token as issued.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AccessToken {
    pub access_token: String,
    pub token_type: Option<String>,
    /// Lifetime in seconds. Not confirmed to be sent: without it the token is kept until the
    /// API refuses it.
    pub expires_in: Option<u64>,
}

impl AccessToken {
    /// The credential to put on requests.
    pub fn auth(&self) -> Auth {
        Auth::Bearer(self.access_token.clone())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"***")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[derive(Default)]
struct TokenWire {
    access_token: LooseString,
    token_type: LooseString,
    expires_in: LooseString,
}

crate::wire::loose_fields!(TokenWire {
    "access_token" => Loose access_token,
    "token_type" => Loose token_type,
    "expires_in" => Loose expires_in,
});

deserialize_loose_struct!(TokenWire);

impl Call for RequestToken {
    type Output = AccessToken;

    /// `auth` is ignored: the client credentials are the authentication here.
    fn request(&self, _auth: &Auth, base: &BaseUrl) -> HttpRequest {
        build_request(
            Method::Post,
            base,
            "/oauth2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &self.0.client_id),
                ("client_secret", &self.0.client_secret),
            ],
        )
    }

    fn parse(&self, resp: &HttpResponse) -> Result<AccessToken, ApiError> {
        classify(resp)?;
        let wire: TokenWire = serde_json::from_slice(&resp.body).map_err(|_| unparseable(resp))?;
        let access_token = wire.access_token.0.ok_or_else(|| unparseable(resp))?;
        Ok(AccessToken {
            access_token,
            token_type: wire.token_type.0,
            expires_in: wire.expires_in.as_u64(),
        })
    }
}

/// Holds a bearer token until it expires or the API refuses it.
///
/// Use: `if cache.needs_refresh(now) { cache.store(RequestToken(..) result, now) }`, send with
/// `cache.auth(now)`, and on [`ApiError::BadKey`] call [`TokenCache::invalidate`], refresh and
/// retry once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenCache {
    token: Option<AccessToken>,
    /// UNIX second after which the token is treated as expired; `None` = unknown lifetime.
    refresh_at: Option<u64>,
}

/// Refresh this long before the announced expiry, so a request in flight does not carry a
/// token that dies on the way.
pub const REFRESH_MARGIN_SECS: u64 = 60;

impl TokenCache {
    pub fn new() -> Self {
        TokenCache::default()
    }

    /// Keeps `token`, issued at `now`.
    pub fn store(&mut self, token: AccessToken, now: u64) {
        self.refresh_at = token.expires_in.map(|secs| {
            // A very short lifetime still gets used once rather than refreshed forever.
            now.saturating_add(secs.saturating_sub(REFRESH_MARGIN_SECS.min(secs / 2)))
        });
        self.token = Some(token);
    }

    /// True when there is no token or it is about to expire at `now`.
    pub fn needs_refresh(&self, now: u64) -> bool {
        match (&self.token, self.refresh_at) {
            (None, _) => true,
            (Some(_), Some(at)) => now >= at,
            (Some(_), None) => false,
        }
    }

    /// The credential to send at `now`, or `None` when a refresh is needed first.
    pub fn auth(&self, now: u64) -> Option<Auth> {
        if self.needs_refresh(now) {
            return None;
        }
        self.token.as_ref().map(AccessToken::auth)
    }

    /// Drops the token: call it when the API answers 401/403 with it.
    pub fn invalidate(&mut self) {
        self.token = None;
        self.refresh_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Fields;

    /// `TokenWire` as serde derived its reader before `read_loose_struct`.
    mod previous {
        use crate::wire::LooseString;
        use serde::Deserialize;

        #[derive(Default, Deserialize)]
        #[serde(default)]
        pub struct TokenWire {
            pub access_token: LooseString,
            pub token_type: LooseString,
            pub expires_in: LooseString,
        }
    }

    #[test]
    fn the_token_body_reads_as_derived() {
        let compared = crate::wire::assert_loose_struct_reads_as_derived(
            TokenWire::NAMES,
            |w: TokenWire| format!("{:?}", [w.access_token, w.token_type, w.expires_in]),
            |w: previous::TokenWire| format!("{:?}", [w.access_token, w.token_type, w.expires_in]),
        );
        assert!(compared > 300, "{compared}");
    }

    fn token(expires_in: Option<u64>) -> AccessToken {
        AccessToken {
            access_token: "tok".into(),
            token_type: Some("Bearer".into()),
            expires_in,
        }
    }

    #[test]
    fn cache_holds_until_margin_before_expiry() {
        let mut cache = TokenCache::new();
        assert!(cache.needs_refresh(1_000));
        assert_eq!(cache.auth(1_000), None);
        cache.store(token(Some(3600)), 1_000);
        assert!(!cache.needs_refresh(1_000));
        assert_eq!(cache.auth(4_539), Some(Auth::Bearer("tok".into())));
        assert!(cache.needs_refresh(4_540)); // 1000 + 3600 - 60
        assert_eq!(cache.auth(4_540), None);
    }

    #[test]
    fn unknown_lifetime_is_kept_until_invalidated() {
        let mut cache = TokenCache::new();
        cache.store(token(None), 1_000);
        assert!(!cache.needs_refresh(u64::MAX));
        cache.invalidate();
        assert!(cache.needs_refresh(1_001));
    }

    #[test]
    fn short_lifetime_is_used_before_refresh() {
        let mut cache = TokenCache::new();
        cache.store(token(Some(30)), 1_000);
        assert!(!cache.needs_refresh(1_010));
        assert!(cache.needs_refresh(1_015));
    }

    #[test]
    fn secrets_hidden_in_debug() {
        let creds = ClientCredentials::new("id-1", "s3cret").unwrap();
        assert!(!format!("{creds:?}{:?}", token(None)).contains("s3cret"));
        assert!(!format!("{:?}", token(None)).contains("tok\""));
        assert!(ClientCredentials::new("id", " ").is_err());
    }
}
