//! `SmsMobileApiClient`: the sans-I/O `smsmobileapi` calls driven by the platform's `fetch`.
//! Requests and response parsing are the Rust client's (same URLs, same error kinds as the
//! CLI and the Worker); this file only moves bytes and waits between retries.

use std::time::Duration;

use js_sys::{Object, Promise, Reflect, Uint8Array};
use serde::Serialize;
use smsmobileapi::{
    ApiError, ApiKey, Auth, BaseUrl, Call, HttpRequest, HttpResponse, Resend, RetryPolicy,
    SendMessage, SentLogQuery, SimPort, TransportError, TransportErrorKind, mask_phone,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Failure, JsResult};
use crate::errors_map::api_failure;
use crate::js;

/// A client of SMSMobileAPI (or of `ordersms sandbox`, through `baseUrl`).
#[wasm_bindgen]
pub struct SmsMobileApiClient {
    auth: Auth,
    base: BaseUrl,
    retry: RetryPolicy,
    timeout_ms: Option<f64>,
}

#[wasm_bindgen]
impl SmsMobileApiClient {
    /// Throws `invalid_config` for an empty key or an unusable base URL.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> JsResult<SmsMobileApiClient> {
        let key = js::opt_string(&options, "apiKey")?.unwrap_or_default();
        let key = ApiKey::new(key).map_err(|e| Failure::new("invalid_config", e.to_string()))?;
        let base = match js::opt_string(&options, "baseUrl")? {
            Some(url) => {
                BaseUrl::parse(&url).map_err(|e| Failure::new("invalid_config", e.to_string()))?
            }
            None => BaseUrl::default(),
        };
        let count = |name: &str| -> JsResult<Option<f64>> {
            let value = js::prop(&options, name);
            if value.is_undefined() || value.is_null() {
                return Ok(None);
            }
            match value.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
                _ => Err(Failure::new(
                    "invalid_config",
                    format!("{name} must be a non-negative number"),
                )),
            }
        };
        let mut retry = RetryPolicy::none();
        if let Some(n) = count("maxRetries")? {
            retry.max_retries = n.min(10.0) as u32;
        }
        // 0 would abort every request before it left.
        let timeout_ms = match count("timeoutMs")? {
            Some(ms) if ms < 1.0 => {
                return Err(Failure::new(
                    "invalid_config",
                    "timeoutMs must be at least 1 (milliseconds); leave it out for no timeout",
                ));
            }
            other => other,
        };
        Ok(SmsMobileApiClient {
            auth: Auth::ApiKey(key),
            base,
            retry,
            timeout_ms,
        })
    }

    /// `POST /sendsms/`. Accepts a planned message from `Shop.plan` as is.
    #[wasm_bindgen(js_name = sendMessage, unchecked_return_type = "Promise<SendResult>")]
    pub fn send_message(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SendMessageRequest")] request: JsValue,
    ) -> Promise {
        let call = send_call(&request);
        self.spawn(move |runner| async move {
            let call = call?;
            runner.run(&call, &call.recipients, &call.message).await
        })
    }

    /// `POST /resend/` of a message in an error state, by its GUID.
    #[wasm_bindgen(unchecked_return_type = "Promise<Ack>")]
    pub fn resend(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] guid: JsValue,
    ) -> Promise {
        let guid = js::string(&guid, "resend's guid");
        self.spawn(move |runner| async move { runner.run(&Resend { guid: guid? }, "", "").await })
    }

    /// `GET /log/sent/sms/`: the messages the phone was asked to send, newest first,
    /// filtered by `guid`, `keyword` (recipient or text), `before` (a UNIX time or a GUID, to
    /// page), `error_api` or `error_mobile`. After a `maybeSent` failure, look the message
    /// up here before sending it again.
    #[wasm_bindgen(js_name = sentLog, unchecked_return_type = "Promise<SentSms[]>")]
    pub fn sent_log(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SentLogQuery")] query: JsValue,
    ) -> Promise {
        let query = sent_log_query(&query);
        self.spawn(move |runner| async move { runner.run(&query?, "", "").await })
    }

    fn spawn<F, Fut, T>(&self, body: F) -> Promise
    where
        F: FnOnce(Runner) -> Fut,
        Fut: std::future::Future<Output = JsResult<T>> + 'static,
        T: Serialize,
    {
        let runner = Runner {
            auth: self.auth.clone(),
            base: self.base.clone(),
            retry: self.retry,
            timeout_ms: self.timeout_ms,
        };
        let future = body(runner);
        wasm_bindgen_futures::future_to_promise(async move {
            let output = future.await?;
            Ok(js::to_js(&output)?)
        })
    }
}

/// What one call needs, owned, so the future outlives the `&self` borrow.
struct Runner {
    auth: Auth,
    base: BaseUrl,
    retry: RetryPolicy,
    timeout_ms: Option<f64>,
}

impl Runner {
    /// `phones`: the call's recipients, masked in its error message like the API key; `text`:
    /// a send's message, cut out of it.
    async fn run<C: Call>(&self, call: &C, phones: &str, text: &str) -> JsResult<C::Output> {
        let mut retries = 0;
        loop {
            let request = call.request(&self.auth, &self.base);
            let result = match fetch(&request, self.timeout_ms).await {
                Ok(response) => call.parse(&response),
                Err(e) => Err(ApiError::from(e)),
            };
            match result {
                Ok(output) => return Ok(output),
                // A send or resend is retried only when the API cannot have queued it (a
                // 429, a refused connection): after a 5xx or a timeout it may have, and a
                // blind retry would text the customer twice.
                Err(e) if e.may_retry(call) && retries < self.retry.max_retries => {
                    let wait = self
                        .retry
                        .delay(retries, e.retry_after(), js_sys::Math::random());
                    sleep(wait).await;
                    retries += 1;
                }
                Err(e) => {
                    let mut failure = api_failure(&e, call);
                    failure.message = self.redact(&failure.message, phones, text);
                    return Err(failure);
                }
            }
        }
    }

    /// `message` without the API key or the recipients' full numbers: an error quotes the
    /// answer's body, and a gateway or proxy may echo the request (`apikey=...&recipients=...`)
    /// into it; the caller logs the message. Nor the text of the message sent (it names the
    /// customer and the order), cut first: it may hold the numbers masked below.
    fn redact(&self, message: &str, phones: &str, text: &str) -> String {
        let mut message = smsmobileapi::without_message_text(message, text);
        // Real keys are long; a short test key (`k`) would blank letters of the message.
        if let Auth::ApiKey(key) = &self.auth
            && key.expose().len() >= 6
        {
            let key = key.expose();
            let encoded = String::from(js_sys::encode_uri_component(key));
            for form in [key, encoded.as_str()] {
                message = message.replace(form, "***");
            }
        }
        for phone in phones.split(',') {
            // Without its `+`, so `+32...`, `%2B32...` and `32...` are all caught.
            let digits = phone.trim().trim_start_matches('+');
            if digits.len() >= 5 {
                message = message.replace(digits, &mask_phone(digits));
            }
        }
        message
    }
}

fn sent_log_query(query: &JsValue) -> JsResult<SentLogQuery> {
    let flag = |name: &str| -> JsResult<bool> {
        let value = js::prop(query, name);
        match value.as_bool() {
            Some(on) => Ok(on),
            None if value.is_undefined() || value.is_null() => Ok(false),
            None => Err(Failure::invalid_argument(format!(
                "{name} must be true or false"
            ))),
        }
    };
    let before = js::prop(query, "before");
    let before = match before.as_f64() {
        Some(t) if t.is_finite() && t >= 0.0 && t.fract() == 0.0 => Some(format!("{t}")),
        Some(_) => {
            return Err(Failure::invalid_argument(
                "before must be whole UNIX seconds or a GUID",
            ));
        }
        None => js::opt_string(query, "before")?,
    };
    Ok(SentLogQuery {
        guid_message: js::opt_string(query, "guid")?,
        before,
        error_api: flag("error_api")?,
        error_mobile: flag("error_mobile")?,
        keyword: js::opt_string(query, "keyword")?,
    })
}

fn send_call(request: &JsValue) -> JsResult<SendMessage> {
    let to = js::opt_string(request, "to")?
        .ok_or_else(|| Failure::invalid_argument("sendMessage needs `to` (the recipient)"))?;
    let text = js::opt_string(request, "text")?
        .ok_or_else(|| Failure::invalid_argument("sendMessage needs `text`"))?;
    let mut call = match js::opt_string(request, "channel")?.as_deref() {
        None | Some("sms") => SendMessage::new(to, text),
        // A planned message's `to` is E.164: the client writes it without the `+`, as
        // WhatsApp needs.
        Some("whatsapp") => SendMessage::whatsapp_only(to, text),
        // SMS numbers keep their `+`, WhatsApp ones go without: one call cannot write both
        // (the phone fails the WhatsApp half). `Shop.plan` plans "both" as two messages.
        Some("both") => {
            return Err(Failure::invalid_argument(
                "channel \"both\" cannot be one call: send it twice, with channel \"sms\" and \"whatsapp\" (as Shop.plan plans it)",
            ));
        }
        Some(other) => {
            return Err(Failure::invalid_argument(format!(
                "channel must be \"sms\" or \"whatsapp\", not {other:?}"
            )));
        }
    };
    call.check_recipients()
        .map_err(|e| Failure::invalid_argument(format!("`to`: {e}")))?;
    // An option of the wrong type is refused, never dropped: a dropped schedule sends at
    // once (in the night), a dropped port from the other SIM.
    let given =
        |name: &str| Some(js::prop(request, name)).filter(|v| !v.is_undefined() && !v.is_null());
    if let Some(shorturl) = given("shorturl") {
        call.shorturl = Some(
            shorturl
                .as_bool()
                .ok_or_else(|| Failure::invalid_argument("shorturl must be true or false"))?,
        );
    }
    call.s_identifiant = js::opt_string(request, "device_sid")?;
    if let Some(schedule) = given("schedule_timestamp") {
        let t = schedule
            .as_f64()
            .filter(|t| t.is_finite() && *t >= 0.0 && t.fract() == 0.0)
            .ok_or_else(|| {
                Failure::invalid_argument(
                    "schedule_timestamp must be whole UNIX seconds (a number), e.g. Math.floor(date.getTime() / 1000)",
                )
            })?;
        // From the year 5138 on a value is taken for milliseconds (`Date.now()`), as the CLI
        // does: the API would hold the message until the year 58000.
        if t >= 100_000_000_000.0 {
            return Err(Failure::invalid_argument(format!(
                "schedule_timestamp {t} looks like milliseconds: the API takes UNIX seconds ({})",
                (t / 1000.0).floor()
            )));
        }
        call.schedule_timestamp = Some(t as u64);
    }
    if let Some(port) = given("port") {
        let port = port.as_f64().unwrap_or(f64::NAN);
        call.port = Some(
            SimPort::from_number(port as u8)
                .filter(|_| port == 1.0 || port == 2.0)
                .ok_or_else(|| Failure::invalid_argument("port must be 1 or 2"))?,
        );
    }
    Ok(call)
}

/// One HTTP exchange through the global `fetch`.
async fn fetch(
    request: &HttpRequest,
    timeout_ms: Option<f64>,
) -> Result<HttpResponse, TransportError> {
    let other = |m: &str| TransportError::new(TransportErrorKind::Other, m);
    let init = Object::new();
    let headers = Object::new();
    for (name, value) in &request.headers {
        let _ = Reflect::set(&headers, &name.into(), &value.into());
    }
    let _ = Reflect::set(&init, &"method".into(), &request.method.as_str().into());
    let _ = Reflect::set(&init, &"headers".into(), &headers);
    if !request.body.is_empty() {
        let _ = Reflect::set(
            &init,
            &"body".into(),
            &Uint8Array::from(request.body.as_slice()),
        );
    }
    if let Some(ms) = timeout_ms
        && let Some(signal) = timeout_signal(ms)
    {
        let _ = Reflect::set(&init, &"signal".into(), &signal);
    }
    let promise = js::fetch(&request.url, &init).map_err(|e| other(&describe(&e)))?;
    let response: js::FetchResponse = JsFuture::from(promise)
        .await
        .map_err(|e| {
            let kind = if error_name(&e).as_deref() == Some("TimeoutError") {
                TransportErrorKind::Timeout
            } else {
                TransportErrorKind::Connect
            };
            TransportError::new(kind, describe(&e))
        })?
        .unchecked_into();
    let mut headers = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&response.headers()) {
        for entry in iter.flatten() {
            let name = Reflect::get_u32(&entry, 0).ok().and_then(|v| v.as_string());
            let value = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
            if let (Some(name), Some(value)) = (name, value) {
                headers.push((name, value));
            }
        }
    }
    let body = response.array_buffer().map_err(|e| other(&describe(&e)))?;
    let body = JsFuture::from(body)
        .await
        .map_err(|e| TransportError::new(TransportErrorKind::Connect, describe(&e)))?;
    Ok(HttpResponse {
        status: response.status(),
        headers,
        body: Uint8Array::new(&body).to_vec(),
    })
}

/// `AbortSignal.timeout(ms)` where the platform has it.
fn timeout_signal(ms: f64) -> Option<JsValue> {
    let abort = Reflect::get(&js_sys::global(), &"AbortSignal".into()).ok()?;
    let timeout: js_sys::Function = Reflect::get(&abort, &"timeout".into())
        .ok()?
        .dyn_into()
        .ok()?;
    timeout.call1(&abort, &ms.into()).ok()
}

fn error_name(error: &JsValue) -> Option<String> {
    Reflect::get(error, &"name".into()).ok()?.as_string()
}

/// An exception's message and cause (Node's fetch puts the socket error in `cause`).
fn describe(error: &JsValue) -> String {
    let message = |e: &JsValue| {
        Reflect::get(e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
    };
    let mut text = message(error).unwrap_or_else(|| "fetch failed".to_owned());
    if let Some(cause) = Reflect::get(error, &"cause".into())
        .ok()
        .as_ref()
        .and_then(message)
    {
        text = format!("{text}: {cause}");
    }
    text
}

async fn sleep(duration: Duration) {
    let promise = Promise::new(&mut |resolve, _| {
        js::set_timeout(&resolve, duration.as_secs_f64() * 1000.0);
    });
    let _ = JsFuture::from(promise).await;
}
