//! Outbound HTTP through the deployment's allow-list (`caxton:agent/http@0.1.0`, decision 1601).
//! `fetch` never blocks: it checks the request and returns its id; the request leaves only if the
//! handling completes, and the answer arrives later as a message from `http@<platform>`, which
//! [`HttpResponse::from_message`] recognises.
//!
//! ```ignore
//! let id = http::fetch(&http::Request::get("https://api.example.com/v1/rates").context(&asker))?;
//! // later, in handle():
//! if let Some(r) = http::HttpResponse::from_message(msg) { … r.status, r.body, r.context … }
//! ```
use crate::performative::Performative;
use crate::types::AclMessage;
use std::fmt;

/// An HTTP request (the WIT `request` record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// GET, POST, PUT, PATCH, DELETE or HEAD.
    pub method: String,
    /// An absolute http:// or https:// URL the deployment allows.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Shorter than the deployment's timeout, if given.
    pub timeout_ms: Option<u32>,
    /// Echoed back on the answer as `X-caxton-http-context`.
    pub context: Option<String>,
}

impl Request {
    pub fn new(method: &str, url: &str) -> Request {
        Request { method: method.to_string(), url: url.to_string(), headers: Vec::new(), body: None, timeout_ms: None, context: None }
    }
    pub fn get(url: &str) -> Request {
        Request::new("GET", url)
    }
    pub fn post(url: &str, body: &str) -> Request {
        Request::new("POST", url).body(body)
    }
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
    pub fn body(mut self, body: &str) -> Request {
        self.body = Some(body.to_string());
        self
    }
    pub fn timeout_ms(mut self, ms: u32) -> Request {
        self.timeout_ms = Some(ms);
        self
    }
    pub fn context(mut self, context: &str) -> Request {
        self.context = Some(context.to_string());
        self
    }
}

/// Why `fetch` refused a request at once (the WIT `http-error-kind`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpErrorKind {
    /// The host, method or path is not on the deployment's allow-list.
    Denied = 0,
    /// Not a valid request (URL, method, header).
    InvalidRequest = 1,
    /// Too many calls in flight or in this handling, or the request is too large.
    QuotaExceeded = 2,
}

impl HttpErrorKind {
    pub fn from_u8(v: u8) -> Option<HttpErrorKind> {
        match v {
            0 => Some(HttpErrorKind::Denied),
            1 => Some(HttpErrorKind::InvalidRequest),
            2 => Some(HttpErrorKind::QuotaExceeded),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HttpErrorKind::Denied => "denied",
            HttpErrorKind::InvalidRequest => "invalid-request",
            HttpErrorKind::QuotaExceeded => "quota-exceeded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    pub kind: HttpErrorKind,
    pub message: String,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for String {
    fn from(e: HttpError) -> String {
        e.to_string()
    }
}

pub const STATUS_PARAM: &str = "X-caxton-http-status";
pub const CONTEXT_PARAM: &str = "X-caxton-http-context";
pub const FAILURE_PARAM: &str = "X-caxton-failure";
pub const HEADER_PARAM_PREFIX: &str = "X-caxton-http-header-";

/// The answer to a `fetch`, read from the message `http@<platform>` sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// The id `fetch` returned (the message's in-reply-to).
    pub request_id: String,
    /// The request's context, when it had one.
    pub context: Option<String>,
    /// The conversation of the handling that called `fetch`.
    pub conversation_id: Option<String>,
    /// The HTTP status; None when there was no response (see `failure`).
    pub status: Option<u16>,
    /// Why there is no response (`timeout`, `too-large`, `address-denied`, `interrupted`, …).
    pub failure: Option<String>,
    /// The body (base64 when `body_is_base64`: the response was not UTF-8), or the failure reason.
    pub body: String,
    pub body_is_base64: bool,
    /// Response headers the runtime passed on, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl HttpResponse {
    /// True for a message from this agent's platform's HTTP gateway, `http@<platform>` (exactly
    /// `http@` while the agent's own name has no platform): never another platform's, whose
    /// messages can arrive through a transport (A2A answers are read with it too).
    pub fn is_http_message(msg: &AclMessage) -> bool {
        let me = crate::guest::self_id().name;
        let platform = me.rfind('@').map_or("", |at| &me[at + 1..]);
        msg.sender.as_ref().map_or(false, |s| s.name.strip_prefix("http@") == Some(platform))
    }

    /// The answer carried by `msg`, or None when `msg` is not one (another sender, no
    /// `in-reply-to`, or neither `inform` nor `failure`).
    pub fn from_message(msg: &AclMessage) -> Option<HttpResponse> {
        // An answer replies to its call (as in the JS and AssemblyScript SDKs).
        if !Self::is_http_message(msg) || msg.in_reply_to.is_none() {
            return None;
        }
        let param = |name: &str| msg.user_params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let (status, failure) = match msg.performative {
            Performative::Inform => (param(STATUS_PARAM).and_then(|s| s.parse().ok()), None),
            Performative::Failure => (None, Some(param(FAILURE_PARAM).unwrap_or_else(|| "unknown".to_string()))),
            _ => return None,
        };
        Some(HttpResponse {
            request_id: msg.in_reply_to.clone().unwrap_or_default(),
            context: param(CONTEXT_PARAM),
            conversation_id: msg.conversation_id.clone(),
            status,
            failure,
            body: msg.content.clone().unwrap_or_default(),
            body_is_base64: msg.encoding.as_deref() == Some("base64"),
            headers: msg
                .user_params
                .iter()
                .filter(|(k, _)| k.starts_with(HEADER_PARAM_PREFIX))
                .map(|(k, v)| (k[HEADER_PARAM_PREFIX.len()..].to_string(), v.clone()))
                .collect(),
        })
    }

    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.map_or(false, |s| (200..300).contains(&s))
    }

    /// A response header by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) mod imp {
    use super::{HttpError, HttpErrorKind, Request};
    use crate::bindings::caxton::agent::http as wit;

    pub fn http_error_in(e: wit::HttpError) -> HttpError {
        HttpError { kind: HttpErrorKind::from_u8(e.kind as u8).expect("an http-error-kind of the world"), message: e.message }
    }

    pub fn fetch(r: &Request) -> Result<String, HttpError> {
        let request = wit::Request {
            method: &r.method,
            url: &r.url,
            headers: &crate::wit_types::pairs(&r.headers),
            body: r.body.as_deref(),
            timeout_ms: r.timeout_ms,
            context: r.context.as_deref(),
        };
        wit::fetch(request).map_err(http_error_in)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use super::test_http::fetch;
}

/// A stand-in for native tests: records requests (their ids are `http-1`, `http-2`, …) and
/// refuses URLs that are not http(s) as the runtime would (`invalid-request`).
#[cfg(not(target_arch = "wasm32"))]
pub mod test_http {
    use super::{HttpError, HttpErrorKind, Request};
    use std::cell::RefCell;

    thread_local! {
        static CALLS: RefCell<Vec<(String, Request)>> = RefCell::new(Vec::new());
    }

    /// The requests made so far with their ids; clears them.
    pub fn take() -> Vec<(String, Request)> {
        CALLS.with(|c| std::mem::take(&mut *c.borrow_mut()))
    }

    pub fn fetch(r: &Request) -> Result<String, HttpError> {
        if !(r.url.starts_with("http://") || r.url.starts_with("https://")) {
            return Err(HttpError { kind: HttpErrorKind::InvalidRequest, message: format!("not an http(s) URL: {}", r.url) });
        }
        CALLS.with(|c| {
            let mut c = c.borrow_mut();
            let id = format!("http-{}", c.len() + 1);
            c.push((id.clone(), r.clone()));
            Ok(id)
        })
    }
}

/// Starts a request; the id it returns is the answer's in-reply-to. `Err` is an immediate
/// refusal (not allowed, invalid, over quota): nothing is sent.
pub fn fetch(request: &Request) -> Result<String, HttpError> {
    imp::fetch(request)
}
