//! Calling A2A agents (`caxton:agent/a2a@0.1.0`, decisions 1951, 2040, 2193): the host speaks A2A's
//! JSON-RPC binding (1.0's `SendMessage`, `SendStreamingMessage`, `GetTask`, `CancelTask`, or 0.3's
//! `message/send`, `message/stream`, `tasks/get`, `tasks/cancel`) over the deployment's
//! allow-listed outbound HTTP and reads the answer, so this module builds and parses no JSON: the
//! Rust twin of `@caxton/sdk-js/a2a`.
//!
//! ```ignore
//! use caxton_sdk::a2a::{self, A2aSend};
//! a2a::send(&A2aSend::new("https://agent.example/a2a/jsonrpc", "hello").token(&t).context(&whom))?;
//! // later, in handle():
//! if let Some(r) = a2a::A2aResponse::from_message(msg) {
//!     match r.result { Ok(res) => … res.state, res.text …, Err(e) => … e.kind, e.reason … }
//! }
//! ```
//!
//! Like any HTTP call it never blocks: the request leaves when this handling completes and the
//! answer comes back later as a message from `http@<platform>`; `context` travels with it. The
//! host must be on the deployment's allow-list (`caxton deploy --allow-http`). [`stream`] is read
//! whole: its answer comes once the stream ends, with `states`, each state the task passed through.
use crate::http::{HttpError, CONTEXT_PARAM, FAILURE_PARAM, STATUS_PARAM};
use crate::performative::Performative;
use crate::types::AclMessage;
use std::fmt;

/// Why an A2A call has no usable result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A2aErrorKind {
    /// The call never left: not allow-listed, invalid, quota (`start` refused it).
    Refused,
    /// No response: timeout, connect-failed… (`failure`).
    NoResponse,
    /// A status other than 2xx (`status`).
    HttpStatus,
    /// A JSON-RPC error (`code`).
    RpcError,
    /// Not a JSON-RPC answer with a Task or a Message.
    Malformed,
}

/// Each kind with its name, in order.
const KINDS: [(A2aErrorKind, &str); 5] = [
    (A2aErrorKind::Refused, "refused"),
    (A2aErrorKind::NoResponse, "no-response"),
    (A2aErrorKind::HttpStatus, "http-status"),
    (A2aErrorKind::RpcError, "rpc-error"),
    (A2aErrorKind::Malformed, "malformed"),
];

impl A2aErrorKind {
    pub fn name(self) -> &'static str {
        KINDS[self as usize].1
    }

    /// The kind named `X-caxton-a2a-error` (all but `refused`, which never comes as a message).
    pub fn parse(s: &str) -> Option<A2aErrorKind> {
        KINDS[1..].iter().find(|(_, name)| *name == s).map(|(kind, _)| *kind)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aError {
    pub kind: A2aErrorKind,
    pub reason: String,
    /// The HTTP status (`HttpStatus`).
    pub status: Option<u16>,
    /// The JSON-RPC error code (`RpcError`).
    pub code: Option<i64>,
    /// Why there was no response (`NoResponse`): timeout, connect-failed…
    pub failure: Option<String>,
}

impl A2aError {
    fn new(kind: A2aErrorKind, reason: impl Into<String>) -> A2aError {
        A2aError { kind, reason: reason.into(), status: None, code: None, failure: None }
    }
}

impl fmt::Display for A2aError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a2a: {}: {}", self.kind.name(), self.reason)
    }
}

impl std::error::Error for A2aError {}

impl From<A2aError> for String {
    fn from(e: A2aError) -> String {
        e.to_string()
    }
}

/// `start`'s refusal: kind `Refused`, reason `<http-error kind>: <message>`.
impl From<HttpError> for A2aError {
    fn from(e: HttpError) -> A2aError {
        A2aError::new(A2aErrorKind::Refused, format!("{}: {}", e.kind.name(), e.message))
    }
}

/// Which A2A wire the host speaks (the WIT `protocol-version`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum A2aVersion {
    /// A2A 1.0: `SendMessage` …, header `A2A-Version: 1.0`.
    #[default]
    V1_0 = 0,
    /// A2A 0.3: `message/send` …, still what many servers answer.
    V0_3 = 1,
}

impl A2aVersion {
    /// "1.0" or "0.3"; anything else is None.
    pub fn parse(s: &str) -> Option<A2aVersion> {
        match s {
            "1.0" => Some(A2aVersion::V1_0),
            "0.3" => Some(A2aVersion::V0_3),
            _ => None,
        }
    }
}

/// What the call does (the WIT `operation`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A2aOperation {
    /// Send one message and wait for the task to end.
    Send = 0,
    /// As `Send`, as a stream read whole.
    Stream = 1,
    /// The task's state now.
    GetTask = 2,
    /// Cancel the task; the answer is the task as the cancel left it.
    CancelTask = 3,
}

/// The WIT `call` record, as the host gets it, and its builder: `A2aCall::new(url, text)` for
/// [`send`] and [`stream`], `A2aCall::new(url, task_id)` for [`get`] and [`cancel`] (which set the
/// operation); the setters return `self` so calls chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aCall {
    pub operation: A2aOperation,
    /// The agent's JSON-RPC endpoint (its card's JSONRPC interface); its host must be allow-listed.
    pub url: String,
    pub version: A2aVersion,
    /// `Send`, `Stream`: the message's one text part; `GetTask`, `CancelTask`: the task's id.
    pub subject: String,
    /// `Send`, `Stream`: the A2A context to continue (a task is named by its id alone).
    pub context_id: Option<String>,
    /// Added to the request as they are (e.g. `authorization: Bearer …`), in the order set.
    pub headers: Vec<(String, String)>,
    /// Shorter than the deployment's timeout, if given.
    pub timeout_ms: Option<u32>,
    /// Echoed back with the answer (e.g. whom to answer).
    pub context: Option<String>,
}

/// The builder of a message to send (`send`, `stream`): an [`A2aCall`] (its former own type).
pub type A2aSend = A2aCall;
/// The builder of a call about a task (`get`, `cancel`): an [`A2aCall`] (its former own type).
pub type A2aTaskCall = A2aCall;

impl A2aCall {
    /// A call to `url` about `subject`: the text to send, or the task's id.
    pub fn new(url: &str, subject: &str) -> A2aCall {
        A2aCall {
            operation: A2aOperation::Send,
            url: url.into(),
            version: A2aVersion::V1_0,
            subject: subject.into(),
            context_id: None,
            headers: Vec::new(),
            timeout_ms: None,
            context: None,
        }
    }
    /// Sent as the header `authorization: Bearer <token>`.
    pub fn token(self, token: &str) -> A2aCall {
        self.header("authorization", &format!("Bearer {}", token))
    }
    pub fn version(mut self, version: A2aVersion) -> A2aCall {
        self.version = version;
        self
    }
    pub fn context_id(mut self, id: &str) -> A2aCall {
        self.context_id = Some(id.into());
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> A2aCall {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn timeout_ms(mut self, ms: u32) -> A2aCall {
        self.timeout_ms = Some(ms);
        self
    }
    pub fn context(mut self, context: &str) -> A2aCall {
        self.context = Some(context.into());
        self
    }

    /// This call as `operation`: a task's calls carry no context id.
    fn as_operation(&self, operation: A2aOperation) -> A2aCall {
        let task = matches!(operation, A2aOperation::GetTask | A2aOperation::CancelTask);
        A2aCall { operation, context_id: if task { None } else { self.context_id.clone() }, ..self.clone() }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::A2aCall;
    use crate::bindings::caxton::agent::a2a as wit;
    use crate::http::HttpError;

    pub fn start(c: &A2aCall) -> Result<String, HttpError> {
        // SAFETY: both enums are the WIT's cases in its order (their discriminants are set so).
        let (operation, version) = unsafe { (wit::Operation::_lift(c.operation as u8), wit::ProtocolVersion::_lift(c.version as u8)) };
        let call = wit::Call {
            operation,
            url: &c.url,
            version,
            subject: &c.subject,
            context_id: c.context_id.as_deref(),
            headers: &crate::wit_types::pairs(&c.headers),
            timeout_ms: c.timeout_ms,
            context: c.context.as_deref(),
        };
        wit::start(call).map_err(crate::http::imp::http_error_in)
    }
}

#[cfg(not(target_arch = "wasm32"))]
use test_a2a as imp;

/// A stand-in for native tests: records calls (their ids are `a2a-1`, `a2a-2`, …) and refuses
/// URLs that are not http(s) as the runtime would (`invalid-request`).
#[cfg(not(target_arch = "wasm32"))]
pub mod test_a2a {
    use super::A2aCall;
    use crate::http::{HttpError, HttpErrorKind};
    use std::cell::RefCell;

    thread_local! {
        static CALLS: RefCell<Vec<(String, A2aCall)>> = RefCell::new(Vec::new());
    }

    /// The calls made so far with their ids; clears them.
    pub fn take() -> Vec<(String, A2aCall)> {
        CALLS.with(|c| std::mem::take(&mut *c.borrow_mut()))
    }

    pub fn start(call: &A2aCall) -> Result<String, HttpError> {
        if !(call.url.starts_with("http://") || call.url.starts_with("https://")) {
            return Err(HttpError { kind: HttpErrorKind::InvalidRequest, message: format!("not an http(s) URL: {}", call.url) });
        }
        CALLS.with(|c| {
            let mut c = c.borrow_mut();
            let id = format!("a2a-{}", c.len() + 1);
            c.push((id.clone(), call.clone()));
            Ok(id)
        })
    }
}

/// Starts `call`; returns its id (the answer's in-reply-to). `Err` is `Refused`: the call cannot
/// leave (not allow-listed, invalid, over quota) and nothing is sent.
pub fn start(call: &A2aCall) -> Result<String, A2aError> {
    imp::start(call).map_err(A2aError::from)
}

/// Sends the message; the answer is the task as it ended (or the agent's Message).
pub fn send(call: &A2aCall) -> Result<String, A2aError> {
    start(&call.as_operation(A2aOperation::Send))
}

/// As [`send`], streamed: the answer comes back once the stream ends, as one result whose `states`
/// lists every state the task passed through.
pub fn stream(call: &A2aCall) -> Result<String, A2aError> {
    start(&call.as_operation(A2aOperation::Stream))
}

/// The task's state now (`call`'s subject is the task's id).
pub fn get(call: &A2aCall) -> Result<String, A2aError> {
    start(&call.as_operation(A2aOperation::GetTask))
}

/// Cancels the task; the answer is the task as the cancel left it.
pub fn cancel(call: &A2aCall) -> Result<String, A2aError> {
    start(&call.as_operation(A2aOperation::CancelTask))
}

/// What the A2A agent answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A2aResultKind {
    Task,
    Message,
}

/// A Task or a Message, as the host read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aResult {
    pub kind: A2aResultKind,
    /// The task's id (a Task).
    pub task_id: Option<String>,
    /// The message's id (a Message, when it has one).
    pub message_id: Option<String>,
    pub context_id: Option<String>,
    /// The task's state in lower case with dashes (completed, failed, input-required…); None for a Message.
    pub state: Option<String>,
    /// The task ended (completed, failed, canceled, rejected); true for a Message.
    pub is_final: bool,
    /// The artifacts' text, else the status message's (a Message: its text); parts joined by newlines.
    pub text: String,
    /// A stream only: every state the task passed through, in order.
    pub states: Vec<String>,
}

/// The message parameters the host writes on an A2A answer (wit/agent.wit, interface `a2a`).
pub const RESULT_PARAM: &str = "X-caxton-a2a-result";
pub const STATE_PARAM: &str = "X-caxton-a2a-state";
pub const FINAL_PARAM: &str = "X-caxton-a2a-final";
pub const TASK_ID_PARAM: &str = "X-caxton-a2a-task-id";
pub const CONTEXT_ID_PARAM: &str = "X-caxton-a2a-context-id";
pub const MESSAGE_ID_PARAM: &str = "X-caxton-a2a-message-id";
pub const STATES_PARAM: &str = "X-caxton-a2a-states";
pub const ERROR_PARAM: &str = "X-caxton-a2a-error";
pub const CODE_PARAM: &str = "X-caxton-a2a-code";

/// The answer to an A2A call, read from the answer message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aResponse {
    /// The id `send` (…) returned.
    pub request_id: String,
    /// The caller's own context, handed back ("" when it had none).
    pub context: String,
    pub result: Result<A2aResult, A2aError>,
}

impl A2aResponse {
    /// `msg` read as the answer to an A2A call, or None when it is none: any other message, the
    /// answer to a plain `http::fetch`, or a message not from `http@<this agent's platform>`.
    pub fn from_message(msg: &AclMessage) -> Option<A2aResponse> {
        if !crate::http::HttpResponse::is_http_message(msg) {
            return None;
        }
        let request_id = msg.in_reply_to.clone()?;
        if msg.performative != Performative::Inform && msg.performative != Performative::Failure {
            return None;
        }
        let param = |name: &str| msg.user_params.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let kind = param(RESULT_PARAM);
        let failed = param(ERROR_PARAM);
        if kind.is_none() && failed.is_none() {
            return None;
        }
        let context = param(CONTEXT_PARAM).unwrap_or("").to_string();
        let text = msg.content.clone().unwrap_or_default();
        if let Some(failed) = failed {
            // An unknown kind (a newer host) reads as malformed: still a typed error.
            let mut e = A2aError::new(A2aErrorKind::parse(failed).unwrap_or(A2aErrorKind::Malformed), text);
            if e.kind == A2aErrorKind::HttpStatus {
                e.status = param(STATUS_PARAM).and_then(|s| s.parse().ok());
            }
            e.code = param(CODE_PARAM).and_then(|c| c.parse().ok());
            e.failure = param(FAILURE_PARAM).map(String::from);
            return Some(A2aResponse { request_id, context, result: Err(e) });
        }
        let task = kind == Some("task");
        let result = A2aResult {
            kind: if task { A2aResultKind::Task } else { A2aResultKind::Message },
            task_id: task.then(|| param(TASK_ID_PARAM).unwrap_or("").to_string()),
            message_id: if task { None } else { param(MESSAGE_ID_PARAM).map(String::from) },
            context_id: param(CONTEXT_ID_PARAM).map(String::from),
            state: task.then(|| param(STATE_PARAM).unwrap_or("unknown").to_string()),
            // A Message is final; a Task when it ended.
            is_final: !task || param(FINAL_PARAM) == Some("true"),
            text,
            states: param(STATES_PARAM).map(|s| s.split(',').filter(|x| !x.is_empty()).map(String::from).collect()).unwrap_or_default(),
        };
        Some(A2aResponse { request_id, context, result: Ok(result) })
    }
}
