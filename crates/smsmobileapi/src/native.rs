//! The blocking native transport (feature `native`): ureq with rustls, timeouts set, every
//! status returned as a response (the parser decides what a 403 means), and failures mapped
//! to [`TransportErrorKind`]s so timeouts and refused connections are retried.

use crate::client::{Environment, Transport};
use crate::error::{TransportError, TransportErrorKind};
use crate::http::{HttpRequest, HttpResponse, Method};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Bodies larger than this are refused: no SMSMobileAPI answer comes near it.
const MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;

/// ureq-backed [`Transport`].
pub struct UreqTransport {
    agent: ureq::Agent,
    /// The limits set on `agent`, for error messages.
    timeout: Duration,
    connect_timeout: Duration,
}

/// The longest `timeout` a transport keeps: a day. ureq adds it to the clock for each call's
/// deadline, which panics when that overflows (`Duration::MAX`, `u64::MAX` seconds).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

impl UreqTransport {
    /// `timeout` bounds the whole exchange (connect, send, read); at most [`MAX_TIMEOUT`].
    pub fn new(timeout: Duration) -> Self {
        let timeout = timeout.min(MAX_TIMEOUT);
        let connect_timeout = timeout.min(Duration::from_secs(10));
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(connect_timeout))
            .http_status_as_error(false)
            // A redirected POST comes back as a GET without its form (the API then reports a
            // missing parameter that was sent), and a GET's apikey would follow Location
            // anywhere: a 3xx goes to the parser, which reports it with its target.
            .max_redirects(0)
            .user_agent(concat!("ordersms-smsmobileapi/", env!("CARGO_PKG_VERSION")))
            .build();
        UreqTransport {
            agent: ureq::Agent::new_with_config(config),
            timeout,
            connect_timeout,
        }
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        UreqTransport::new(Duration::from_secs(30))
    }
}

fn kind_of(e: &ureq::Error) -> TransportErrorKind {
    match e {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportErrorKind::Timeout
            }
            _ => TransportErrorKind::Connect,
        },
        _ => TransportErrorKind::Other,
    }
}

impl UreqTransport {
    /// The failure in words: a timeout says how long was waited for what (ureq's own text
    /// is "timeout: global").
    fn error(&self, e: ureq::Error) -> TransportError {
        let secs = |d: Duration| {
            let s = d.as_secs_f64();
            if s.fract() == 0.0 {
                format!("{s:.0} s")
            } else {
                format!("{s} s")
            }
        };
        let message = match &e {
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
                format!("no connection within {}", secs(self.connect_timeout))
            }
            ureq::Error::Timeout(_) => {
                format!("no complete answer within {}", secs(self.timeout))
            }
            other => other.to_string(),
        };
        TransportError::new(kind_of(&e), message)
    }
}

impl Transport for UreqTransport {
    fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = match req.method {
            Method::Get => ureq::http::Method::GET,
            Method::Post => ureq::http::Method::POST,
        };
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(req.body.clone()).map_err(|e| {
            TransportError::new(TransportErrorKind::Other, format!("bad request: {e}"))
        })?;
        let mut response = self.agent.run(request).map_err(|e| self.error(e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| self.error(e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The real clock, `std::thread::sleep`, and a jitter seeded from the clock (good enough to
/// spread retries; not for anything secret).
#[derive(Debug, Default)]
pub struct SystemEnvironment {
    state: u64,
}

impl Environment for SystemEnvironment {
    fn now_unix(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn jitter(&mut self) -> f64 {
        if self.state == 0 {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9E37_79B9_7F4A_7C15);
            self.state = nanos | 1;
        }
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let x = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HttpRequest, Method, Transport};
    use std::io::{Read, Write};

    /// A caller's "no limit" (`Duration::MAX`) made ureq's deadline overflow: a panic on the
    /// first call. It is kept to a day, and the call goes through.
    #[test]
    fn a_timeout_too_long_for_the_clock_is_kept_to_a_day_not_a_panic() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/sendsms/", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request).unwrap();
            let body = r#"{"result":{"error":0,"sent":"1","id":"g1"}}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(answer.as_bytes()).unwrap();
        });
        let mut transport = UreqTransport::new(Duration::MAX);
        let request = HttpRequest {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: Vec::new(),
        };
        let response = transport.send(&request).expect("an answer");
        assert_eq!(response.status, 200);
        assert_eq!(transport.timeout, MAX_TIMEOUT);
        server.join().unwrap();
    }
}
