//! A small blocking HTTP client over a sandbox started in-process, for the integration tests.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;
use smsmobileapi_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

pub const KEY: &str = "sandbox-key";
/// A Belgian mobile number in the format a shop would store.
pub const PHONE: &str = "+32470123489";

pub struct Api {
    pub sandbox: RunningSandbox,
    agent: ureq::Agent,
}

pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    pub body: Value,
}

pub fn start() -> Api {
    start_with(SandboxConfig {
        seed: Some(1),
        ..SandboxConfig::default()
    })
}

pub fn start_with(config: SandboxConfig) -> Api {
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    Api { sandbox, agent }
}

fn answer(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut res = res.expect("request reaches the sandbox");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after");
    let location = header("location");
    let text = res.body_mut().read_to_string().expect("body reads");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("body is JSON")
    };
    Answer {
        status: res.status().as_u16(),
        retry_after,
        location,
        body,
    }
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        answer(req.call())
    }

    /// GET with `apikey` added.
    pub fn api_get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        let mut q = vec![("apikey", KEY)];
        q.extend_from_slice(query);
        self.get(path, &q)
    }

    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.agent
                .post(self.url(path))
                .send_form(form.iter().copied()),
        )
    }

    pub fn get_bearer(&self, path: &str, token: &str) -> Answer {
        answer(
            self.agent
                .get(self.url(path))
                .header("Authorization", format!("Bearer {token}"))
                .call(),
        )
    }

    pub fn post_json(&self, path: &str, body: Value) -> Answer {
        answer(
            self.agent
                .post(self.url(path))
                .content_type("application/json")
                .send(body.to_string()),
        )
    }

    pub fn delete(&self, path: &str) -> Answer {
        answer(self.agent.delete(self.url(path)).call())
    }

    /// Sends `text` to `to` by POST form and returns the answer.
    pub fn send(&self, to: &str, text: &str, extra: &[(&str, &str)]) -> Answer {
        let mut form = vec![("apikey", KEY), ("recipients", to), ("message", text)];
        form.extend_from_slice(extra);
        self.post_form("/sendsms/", &form)
    }

    /// The guid of a successful send.
    pub fn send_ok(&self, to: &str, text: &str, extra: &[(&str, &str)]) -> String {
        let a = self.send(to, text, extra);
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["result"]["id"]
            .as_str()
            .expect("result.id")
            .to_owned()
    }

    pub fn messages(&self) -> Vec<Value> {
        self.get("/_sandbox/messages", &[]).body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn log(&self, query: &[(&str, &str)]) -> Vec<Value> {
        let a = self.api_get("/log/sent/sms/", query);
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["result"]["sms"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn faults(&self, patch: Value) {
        let a = self.post_json("/_sandbox/faults", patch);
        assert_eq!(a.status, 200, "{}", a.body);
    }
}

pub fn is_guid(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}
