//! SMSMobileAPI over the Workers `fetch`: the `smsmobileapi` crate builds each request and
//! reads each response; this module only moves the bytes, with a timeout, and picks the
//! credential (API key, or OAuth client credentials with a token cached per isolate).

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{Either, select};
use smsmobileapi::{
    ApiError, ApiKey, Auth, BaseUrl, Call, ClientCredentials, HttpRequest, HttpResponse, Method,
    RequestToken, TokenCache, TransportErrorKind,
};
use worker::{Delay, Env, Fetch, Headers, web_sys};

/// A configured connection to SMSMobileAPI.
pub struct Api {
    base: BaseUrl,
    cred: Cred,
    timeout: Duration,
}

enum Cred {
    Key(Auth),
    OAuth(ClientCredentials),
}

thread_local! {
    /// One token per isolate: isolates live for many requests, so most calls reuse it.
    static TOKEN: RefCell<TokenCache> = RefCell::new(TokenCache::new());
}

/// Why the Worker cannot talk to SMSMobileAPI at all (configuration).
#[derive(Debug, thiserror::Error)]
pub enum ApiConfigError {
    #[error("SMSMOBILEAPI_URL: {0}")]
    BaseUrl(#[from] smsmobileapi::InvalidBaseUrl),
    #[error(
        "no SMSMobileAPI credential: set the secret SMSMOBILEAPI_KEY (or SMSMOBILEAPI_CLIENT_ID and SMSMOBILEAPI_CLIENT_SECRET)"
    )]
    NoCredential,
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

impl Api {
    pub fn from_env(env: &Env, timeout_secs: u32) -> Result<Api, ApiConfigError> {
        let base = match var(env, "SMSMOBILEAPI_URL") {
            Some(url) => BaseUrl::parse(&url)?,
            None => BaseUrl::default(),
        };
        let cred = if let Some(key) = var(env, "SMSMOBILEAPI_KEY").and_then(|k| ApiKey::new(k).ok())
        {
            Cred::Key(Auth::ApiKey(key))
        } else {
            let id = var(env, "SMSMOBILEAPI_CLIENT_ID").unwrap_or_default();
            let secret = var(env, "SMSMOBILEAPI_CLIENT_SECRET").unwrap_or_default();
            Cred::OAuth(
                ClientCredentials::new(id, secret).map_err(|_| ApiConfigError::NoCredential)?,
            )
        };
        Ok(Api {
            base,
            cred,
            timeout: Duration::from_secs(u64::from(timeout_secs.max(1))),
        })
    }

    /// One call, no retry: retries belong to the queue (see `delivery`).
    pub async fn call<C: Call>(&self, call: &C) -> Result<C::Output, ApiError> {
        let request = |auth: &Auth| call.request(auth, &self.base);
        let result = call.parse(&self.authorized(&request).await?);
        if let (Err(err), Cred::OAuth(_)) = (&result, &self.cred)
            && err.is_auth()
        {
            // An expired token: drop it and try once with a fresh one.
            TOKEN.with(|t| t.borrow_mut().invalidate());
            return call.parse(&self.authorized(&request).await?);
        }
        result
    }

    /// The request `request` builds with the current credential, sent. Not generic over the
    /// call, so that the credential and the fetch exist once in the WASM build, not once per
    /// endpoint the Worker calls.
    async fn authorized(
        &self,
        request: &dyn Fn(&Auth) -> HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let auth = self.auth().await?;
        self.exchange(request(&auth)).await
    }

    async fn auth(&self) -> Result<Auth, ApiError> {
        match &self.cred {
            Cred::Key(auth) => Ok(auth.clone()),
            Cred::OAuth(cc) => {
                let now = now_unix() as u64;
                if let Some(auth) = TOKEN.with(|t| t.borrow().auth(now)) {
                    return Ok(auth);
                }
                let call = RequestToken(cc.clone());
                let response = self
                    .exchange(call.request(&Auth::Bearer(String::new()), &self.base))
                    .await?;
                let token = call.parse(&response)?;
                let auth = token.auth();
                TOKEN.with(|t| t.borrow_mut().store(token, now));
                Ok(auth)
            }
        }
    }

    /// Sends the request with `fetch`, giving up after the timeout.
    async fn exchange(&self, req: HttpRequest) -> Result<HttpResponse, ApiError> {
        let transport = |kind, message: String| ApiError::Transport { kind, message };
        let headers = Headers::new();
        for (name, value) in &req.headers {
            headers
                .set(name, value)
                .map_err(|e| transport(TransportErrorKind::Other, e.to_string()))?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(match req.method {
            Method::Get => "GET",
            Method::Post => "POST",
        });
        init.set_headers(headers.as_ref());
        // Not followed: a redirected POST would be re-sent, apikey and form included,
        // wherever Location points (or become a bodiless GET). The 3xx goes to the parser,
        // which reports where it pointed, as the native transport does.
        init.set_redirect(web_sys::RequestRedirect::Manual);
        if req.method == Method::Post {
            init.set_body(&js_sys::Uint8Array::from(req.body.as_slice()).into());
        }
        let request = crate::request(&req.url, &init)
            .map_err(|e| transport(TransportErrorKind::Other, e.to_string()))?;
        let fetch = Box::pin(async move {
            let mut resp = Fetch::Request(request).send().await?;
            let status = resp.status_code();
            let headers: Vec<(String, String)> = resp.headers().entries().collect();
            let body = resp.bytes().await?;
            Ok::<_, worker::Error>(HttpResponse {
                status,
                headers,
                body,
            })
        });
        let timer = Box::pin(Delay::from(self.timeout));
        match select(fetch, timer).await {
            Either::Left((Ok(resp), _)) => Ok(resp),
            // workerd throws the same kind of error for a refused connection and for one
            // dropped after the request went out: count it as possibly delivered (`Timeout`
            // kind), so a send is looked up in the sent log before it is tried again.
            Either::Left((Err(e), _)) => Err(transport(TransportErrorKind::Timeout, e.to_string())),
            Either::Right(_) => Err(transport(
                TransportErrorKind::Timeout,
                format!("no answer within {} s", self.timeout.as_secs()),
            )),
        }
    }
}

/// Wall-clock UNIX seconds.
pub fn now_unix() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}
