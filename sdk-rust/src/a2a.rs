//! Calling A2A agents (A2A 1.0 JSON-RPC `SendMessage`, `SendStreamingMessage`, `GetTask`,
//! `CancelTask`, or 0.3's `message/send`, `message/stream`, `tasks/get`, `tasks/cancel`; decisions
//! 1951, 2040) over the deployment's allow-listed outbound HTTP ([`crate::http`], decision 1601):
//! the Rust twin of `@caxton/sdk-js/a2a`.
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
//! answer comes back later as a message; `context` travels with it. The host must be on the
//! deployment's allow-list (`caxton deploy --allow-http`). An agent's HTTP call answers once, with
//! the whole body, so [`stream`] reads the server-sent events whole when the stream ends.
use crate::http::{self, HttpResponse, Request};
use crate::json::{self, Json, JsonError, MAX_DEPTH};
use crate::types::AclMessage;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an A2A call has no usable result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A2aErrorKind {
    /// The call never left: not allow-listed, invalid, quota (`fetch` refused it).
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

impl A2aErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            A2aErrorKind::Refused => "refused",
            A2aErrorKind::NoResponse => "no-response",
            A2aErrorKind::HttpStatus => "http-status",
            A2aErrorKind::RpcError => "rpc-error",
            A2aErrorKind::Malformed => "malformed",
        }
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
    fn malformed(reason: impl Into<String>) -> A2aError {
        A2aError::new(A2aErrorKind::Malformed, reason)
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

/// Which A2A wire to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum A2aVersion {
    /// `SendMessage` …, header `A2A-Version: 1.0`.
    #[default]
    V1_0,
    /// `message/send` …, still what many servers answer.
    V0_3,
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

/// One message to send (`send`, `stream`); the setters return `self` so calls chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aSend {
    /// The agent's JSON-RPC endpoint (its card's JSONRPC interface); its host must be allow-listed.
    pub url: String,
    /// The message's one text part.
    pub text: String,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    pub version: A2aVersion,
    pub context_id: Option<String>,
    /// Made by the host (`new_id`) when None.
    pub message_id: Option<String>,
    pub timeout_ms: Option<u32>,
    /// Echoed back with the answer (e.g. whom to answer).
    pub context: Option<String>,
}

impl A2aSend {
    pub fn new(url: &str, text: &str) -> A2aSend {
        A2aSend { url: url.into(), text: text.into(), token: None, version: A2aVersion::V1_0, context_id: None, message_id: None, timeout_ms: None, context: None }
    }
    pub fn token(mut self, token: &str) -> A2aSend {
        self.token = Some(token.into());
        self
    }
    pub fn version(mut self, version: A2aVersion) -> A2aSend {
        self.version = version;
        self
    }
    pub fn context_id(mut self, id: &str) -> A2aSend {
        self.context_id = Some(id.into());
        self
    }
    pub fn message_id(mut self, id: &str) -> A2aSend {
        self.message_id = Some(id.into());
        self
    }
    pub fn timeout_ms(mut self, ms: u32) -> A2aSend {
        self.timeout_ms = Some(ms);
        self
    }
    pub fn context(mut self, context: &str) -> A2aSend {
        self.context = Some(context.into());
        self
    }
}

/// One call about a task (`get`, `cancel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aTaskCall {
    pub url: String,
    pub task_id: String,
    pub token: Option<String>,
    pub version: A2aVersion,
    /// `get` only: how much of the task's history to return.
    pub history_length: Option<u32>,
    pub timeout_ms: Option<u32>,
    pub context: Option<String>,
}

impl A2aTaskCall {
    pub fn new(url: &str, task_id: &str) -> A2aTaskCall {
        A2aTaskCall { url: url.into(), task_id: task_id.into(), token: None, version: A2aVersion::V1_0, history_length: None, timeout_ms: None, context: None }
    }
    pub fn token(mut self, token: &str) -> A2aTaskCall {
        self.token = Some(token.into());
        self
    }
    pub fn version(mut self, version: A2aVersion) -> A2aTaskCall {
        self.version = version;
        self
    }
    pub fn history_length(mut self, n: u32) -> A2aTaskCall {
        self.history_length = Some(n);
        self
    }
    pub fn timeout_ms(mut self, ms: u32) -> A2aTaskCall {
        self.timeout_ms = Some(ms);
        self
    }
    pub fn context(mut self, context: &str) -> A2aTaskCall {
        self.context = Some(context.into());
        self
    }
}

/// Marks the HTTP context of an A2A call, so its answer is told from the agent's other HTTP answers
/// (the same marks as the JavaScript and AssemblyScript SDKs).
pub const MARK: &str = "caxton-a2a:";
/// …and of a streamed one, whose answer is server-sent events.
pub const STREAM_MARK: &str = "caxton-a2a-sse:";

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

struct Rpc<'a> {
    url: &'a str,
    token: Option<&'a str>,
    version: A2aVersion,
    timeout_ms: Option<u32>,
    context: String,
    accept: &'static str,
}

/// One JSON-RPC call as an HTTP POST; `methods` is (1.0 name, 0.3 name), `params` JSON text.
fn rpc_request(rpc: Rpc, methods: (&str, &str), params: &str) -> Request {
    let id = SEQUENCE.fetch_add(1, Ordering::Relaxed) + 1;
    let v1 = rpc.version == A2aVersion::V1_0;
    let body = format!("{{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":{},\"params\":{}}}", id, json::quote(if v1 { methods.0 } else { methods.1 }), params);
    let mut r = Request::post(rpc.url, &body).header("content-type", "application/json").header("accept", rpc.accept);
    if v1 {
        r = r.header("a2a-version", "1.0");
    }
    if let Some(t) = rpc.token {
        r = r.header("authorization", &format!("Bearer {}", t));
    }
    r.timeout_ms = rpc.timeout_ms;
    r.context(&rpc.context)
}

fn message_request(call: &A2aSend, methods: (&str, &str), accept: &'static str, mark: &str) -> Request {
    let v1 = call.version == A2aVersion::V1_0;
    let id = call.message_id.clone().unwrap_or_else(crate::host::new_id);
    let context_id = call.context_id.as_deref().map(|c| format!(",\"contextId\":{}", json::quote(c))).unwrap_or_default();
    let params = if v1 {
        format!("{{\"message\":{{\"messageId\":{},\"role\":\"ROLE_USER\",\"parts\":[{{\"text\":{}}}]{}}},\"configuration\":{{\"returnImmediately\":false}}}}", json::quote(&id), json::quote(&call.text), context_id)
    } else {
        format!("{{\"message\":{{\"kind\":\"message\",\"messageId\":{},\"role\":\"user\",\"parts\":[{{\"kind\":\"text\",\"text\":{}}}]{}}},\"configuration\":{{\"blocking\":true}}}}", json::quote(&id), json::quote(&call.text), context_id)
    };
    let context = format!("{}{}", mark, call.context.as_deref().unwrap_or(""));
    rpc_request(Rpc { url: &call.url, token: call.token.as_deref(), version: call.version, timeout_ms: call.timeout_ms, context, accept }, methods, &params)
}

fn task_request(call: &A2aTaskCall, methods: (&str, &str), history: bool) -> Request {
    let history = match (history, call.history_length) {
        (true, Some(n)) => format!(",\"historyLength\":{}", n),
        _ => String::new(),
    };
    let params = format!("{{\"id\":{}{}}}", json::quote(&call.task_id), history);
    let context = format!("{}{}", MARK, call.context.as_deref().unwrap_or(""));
    rpc_request(Rpc { url: &call.url, token: call.token.as_deref(), version: call.version, timeout_ms: call.timeout_ms, context, accept: "application/json" }, methods, &params)
}

/// The HTTP request of one `SendMessage` / `message/send` (blocking: the answer is the task as it ended).
pub fn send_request(call: &A2aSend) -> Request {
    message_request(call, ("SendMessage", "message/send"), "application/json", MARK)
}

/// The HTTP request of one `SendStreamingMessage` / `message/stream`: server-sent events, read whole.
pub fn stream_request(call: &A2aSend) -> Request {
    message_request(call, ("SendStreamingMessage", "message/stream"), "text/event-stream", STREAM_MARK)
}

/// The HTTP request of one `GetTask` / `tasks/get`.
pub fn get_task_request(call: &A2aTaskCall) -> Request {
    task_request(call, ("GetTask", "tasks/get"), true)
}

/// The HTTP request of one `CancelTask` / `tasks/cancel`.
pub fn cancel_task_request(call: &A2aTaskCall) -> Request {
    task_request(call, ("CancelTask", "tasks/cancel"), false)
}

fn fetch(r: &Request) -> Result<String, A2aError> {
    http::fetch(r).map_err(|e| A2aError::new(A2aErrorKind::Refused, format!("{}: {}", e.kind.name(), e.message)))
}

/// Sends the message; returns the HTTP request id (the answer's in-reply-to). `Err` is `Refused`:
/// the call cannot leave (not allow-listed, invalid, over quota) and nothing is sent.
pub fn send(call: &A2aSend) -> Result<String, A2aError> {
    fetch(&send_request(call))
}

/// As [`send`], streamed: the answer comes back once the stream ends, as one result whose `states`
/// lists every state the task passed through.
pub fn stream(call: &A2aSend) -> Result<String, A2aError> {
    fetch(&stream_request(call))
}

/// The task's state now.
pub fn get(call: &A2aTaskCall) -> Result<String, A2aError> {
    fetch(&get_task_request(call))
}

/// Cancels the task; the answer is the task as the cancel left it.
pub fn cancel(call: &A2aTaskCall) -> Result<String, A2aError> {
    fetch(&cancel_task_request(call))
}

/// What the A2A agent answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum A2aResultKind {
    Task,
    Message,
}

/// A Task or a Message, in either version's JSON, read into one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aResult {
    pub kind: A2aResultKind,
    /// The task's id (a Task).
    pub task_id: Option<String>,
    /// The message's id (a Message).
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

/// The answer to an A2A call, read from the HTTP answer message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2aResponse {
    /// The id `send` (…) returned.
    pub request_id: String,
    /// The caller's own context, handed back.
    pub context: String,
    pub result: Result<A2aResult, A2aError>,
}

impl A2aResponse {
    /// `msg` read as the answer to an A2A call, or None when it is none (any other message, or the
    /// answer to a plain `http::fetch`).
    pub fn from_message(msg: &AclMessage) -> Option<A2aResponse> {
        let r = HttpResponse::from_message(msg)?;
        let ctx = r.context.as_deref()?;
        let (stream, context) = if let Some(c) = ctx.strip_prefix(STREAM_MARK) {
            (true, c)
        } else if let Some(c) = ctx.strip_prefix(MARK) {
            (false, c)
        } else {
            return None;
        };
        Some(A2aResponse { request_id: r.request_id.clone(), context: context.to_string(), result: result_from_http(&r, stream) })
    }
}

/// An HTTP answer to an A2A call read: the result, or an error for no response, a non-2xx status
/// (a JSON-RPC error in its body is read for the reason), or a body that is no A2A answer. Pure.
pub fn result_from_http(r: &HttpResponse, stream: bool) -> Result<A2aResult, A2aError> {
    let status = match r.status {
        None => {
            let failure = r.failure.clone().unwrap_or_else(|| "unknown".into());
            let mut e = A2aError::new(A2aErrorKind::NoResponse, format!("no response: {}", failure));
            e.failure = Some(failure);
            return Err(e);
        }
        Some(s) => s,
    };
    if r.body_is_base64 {
        return Err(A2aError::malformed("the answer is not text"));
    }
    if !(200..300).contains(&status) {
        let reason = match result_from_body(&r.body) {
            Err(e) if e.kind == A2aErrorKind::RpcError => e.reason,
            _ => prefix(&r.body, 200),
        };
        let mut e = A2aError::new(A2aErrorKind::HttpStatus, format!("HTTP {}: {}", status, reason));
        e.status = Some(status);
        return Err(e);
    }
    if stream {
        result_from_sse(&r.body)
    } else {
        result_from_body(&r.body)
    }
}

/// The first `n` characters of `s`.
fn prefix(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn parse_json(text: &str, what: &str) -> Result<Json, A2aError> {
    match json::parse(text) {
        Ok(v) => Ok(v),
        Err(JsonError::TooDeep) => Err(A2aError::malformed(format!("{} nests deeper than {} levels", what, MAX_DEPTH))),
        Err(JsonError::Invalid { .. }) => Err(A2aError::malformed(format!("{} is not JSON: {}", what, prefix(text, 120)))),
    }
}

fn is_rpc(doc: &Json) -> bool {
    doc.str("jsonrpc") == Some("2.0")
}

fn rpc_error(err: &Json) -> A2aError {
    let message = match err.get("message") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => "error".into(),
    };
    let hint = err.object("data").and_then(|d| d.str("hint")).map(|h| format!(" ({})", h)).unwrap_or_default();
    let mut e = A2aError::new(A2aErrorKind::RpcError, format!("{}{}", message, hint));
    e.code = err.get("code").and_then(Json::as_f64).filter(|c| c.fract() == 0.0 && c.abs() < 9e15).map(|c| c as i64);
    e
}

/// The text parts of a message or artifact joined by newlines (1.0: `{text}`; 0.3: `{kind:'text', text}`).
fn parts_text(parts: Option<&Json>) -> String {
    parts.and_then(Json::as_array).unwrap_or(&[]).iter().filter(|p| p.is_object()).filter_map(|p| p.str("text")).collect::<Vec<_>>().join("\n")
}

/// `TASK_STATE_INPUT_REQUIRED` (1.0) and `input-required` (0.3) alike: `input-required`.
fn state_name(s: Option<&Json>) -> String {
    match s.and_then(Json::as_str) {
        Some(s) => s.strip_prefix("TASK_STATE_").unwrap_or(s).to_lowercase().replace('_', "-"),
        None => "unknown".into(),
    }
}

fn is_final(state: &str) -> bool {
    matches!(state, "completed" | "failed" | "canceled" | "rejected")
}

fn status_message_text(status: Option<&Json>) -> String {
    parts_text(status.and_then(|s| s.object("message")).and_then(|m| m.get("parts")))
}

fn message_result(m: &Json) -> A2aResult {
    A2aResult {
        kind: A2aResultKind::Message,
        task_id: None,
        message_id: m.str("messageId").map(String::from),
        context_id: m.str("contextId").map(String::from),
        state: None,
        is_final: true,
        text: parts_text(m.get("parts")),
        states: Vec::new(),
    }
}

/// Artifacts one task may carry, in an answer or folded from a stream: a task has a few. Bounds
/// the fold's work whatever the server sends (the same limit and reason in every SDK).
pub const MAX_ARTIFACTS: usize = 1000;

fn too_many_artifacts() -> A2aError {
    A2aError::malformed(format!("the task has more than {} artifacts", MAX_ARTIFACTS))
}

/// A task's `artifacts` (none when it is not an array), refused past `MAX_ARTIFACTS`.
fn artifacts_of(task: &Json) -> Result<&[Json], A2aError> {
    let artifacts = task.get("artifacts").and_then(Json::as_array).unwrap_or(&[]);
    if artifacts.len() > MAX_ARTIFACTS {
        return Err(too_many_artifacts());
    }
    Ok(artifacts)
}

fn task_result(task: &Json) -> Result<A2aResult, A2aError> {
    let id = task.str("id").ok_or_else(|| A2aError::malformed("the task has no id"))?;
    let status = task.object("status");
    let state = state_name(status.and_then(|s| s.get("state")));
    let artifacts: Vec<String> = artifacts_of(task)?
        .iter()
        .map(|a| parts_text(a.get("parts")))
        .filter(|t| !t.is_empty())
        .collect();
    let text = if artifacts.is_empty() { status_message_text(status) } else { artifacts.join("\n") };
    Ok(A2aResult {
        kind: A2aResultKind::Task,
        task_id: Some(id.into()),
        message_id: None,
        context_id: task.str("contextId").map(String::from),
        is_final: is_final(&state),
        state: Some(state),
        text,
        states: Vec::new(),
    })
}

/// A JSON-RPC answer's body read: a Task (1.0's `{task}`, GetTask's and CancelTask's Task itself,
/// 0.3's `kind: task`) or a Message. `RpcError` for a JSON-RPC error, `Malformed` for the rest.
pub fn result_from_body(body: &str) -> Result<A2aResult, A2aError> {
    let doc = parse_json(body, "the answer")?;
    if !doc.is_object() || !is_rpc(&doc) {
        return Err(A2aError::malformed("the answer is not a JSON-RPC 2.0 response"));
    }
    if let Some(err) = doc.object("error") {
        return Err(rpc_error(err));
    }
    let r = doc.object("result").ok_or_else(|| A2aError::malformed("the JSON-RPC response has no result"))?;
    let kind = r.str("kind");
    let bare_task = kind.is_none() && r.get("kind").is_none() && r.str("id").is_some() && r.object("status").is_some();
    let task = r.object("task").or(if kind == Some("task") || bare_task { Some(r) } else { None });
    if let Some(task) = task {
        return task_result(task);
    }
    let msg = r.object("message").or(if kind == Some("message") { Some(r) } else { None });
    if let Some(m) = msg {
        return Ok(message_result(m));
    }
    Err(A2aError::malformed("the result is neither a Task nor a Message"))
}

/// Events one stream may carry before it is refused as malformed: a task takes a handful.
pub const MAX_EVENTS: usize = 1000;

/// The `data:` of each server-sent event (lines joined by newlines), empty events left out.
fn sse_events(body: &str) -> Vec<String> {
    let normalised = body.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .map(|block| {
            block
                .split('\n')
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// A streamed answer's body (server-sent events, read whole) folded into one result: the task as
/// its events left it — the last status's state, the artifacts' text, else the last status
/// message's — with `states`, every state passed through; or the Message the agent answered with.
pub fn result_from_sse(body: &str) -> Result<A2aResult, A2aError> {
    let events = sse_events(body);
    if events.len() > MAX_EVENTS {
        return Err(A2aError::malformed(format!("the stream has {} events, more than {}", events.len(), MAX_EVENTS)));
    }
    let mut task: Option<(String, Option<String>)> = None;
    let mut message: Option<A2aResult> = None;
    let mut states: Vec<String> = Vec::new();
    // The artifacts' texts in the order first seen, and where each id's text is in it.
    let mut artifacts: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut status_text = String::new();
    let set_artifact = |artifacts: &mut Vec<String>, index: &mut HashMap<String, usize>, a: &Json, append: bool| {
        let id = match a.get("artifactId") {
            Some(Json::String(s)) => s.clone(),
            _ => artifacts.len().to_string(),
        };
        let text = parts_text(a.get("parts"));
        match index.get(&id) {
            Some(&i) if append => artifacts[i].push_str(&text),
            Some(&i) => artifacts[i] = text,
            None if artifacts.len() >= MAX_ARTIFACTS => return Err(too_many_artifacts()),
            None => {
                index.insert(id, artifacts.len());
                artifacts.push(text);
            }
        }
        Ok(())
    };
    for data in &events {
        let doc = parse_json(data, "an event")?;
        if !doc.is_object() || !is_rpc(&doc) {
            return Err(A2aError::malformed("an event is not a JSON-RPC 2.0 response"));
        }
        if let Some(err) = doc.object("error") {
            return Err(rpc_error(err));
        }
        let r = doc.object("result").ok_or_else(|| A2aError::malformed("an event has no result"))?;
        let kind = r.str("kind");
        let t = r.object("task").or(if kind == Some("task") { Some(r) } else { None });
        let m = r.object("message").or(if kind == Some("message") { Some(r) } else { None });
        let status = r.object("statusUpdate").or(if kind == Some("status-update") { Some(r) } else { None });
        let artifact = r.object("artifactUpdate").or(if kind == Some("artifact-update") { Some(r) } else { None });
        if let Some(t) = t {
            let id = match t.get("id") {
                Some(Json::String(s)) => s.clone(),
                _ => String::new(),
            };
            task = Some((id, t.str("contextId").map(String::from)));
            for a in artifacts_of(t)?.iter().filter(|a| a.is_object()) {
                set_artifact(&mut artifacts, &mut index, a, false)?;
            }
            if let Some(s) = t.object("status") {
                states.push(state_name(s.get("state")));
                status_text = status_message_text(Some(s));
            }
        } else if let Some(m) = m {
            message = Some(message_result(m));
        } else if let Some(s) = status.and_then(|s| s.object("status")) {
            states.push(state_name(s.get("state")));
            let text = status_message_text(Some(s));
            if !text.is_empty() {
                status_text = text;
            }
        } else if let Some(u) = artifact {
            if let Some(a) = u.object("artifact") {
                set_artifact(&mut artifacts, &mut index, a, u.get("append").and_then(Json::as_bool) == Some(true))?;
            }
        }
    }
    if let Some((id, context_id)) = task {
        let state = states.last().cloned().unwrap_or_else(|| "unknown".into());
        let texts: Vec<&str> = artifacts.iter().map(String::as_str).filter(|t| !t.is_empty()).collect();
        let mut passed = states.clone();
        passed.dedup();
        return Ok(A2aResult {
            kind: A2aResultKind::Task,
            task_id: Some(id),
            message_id: None,
            context_id,
            is_final: is_final(&state),
            state: Some(state),
            text: if texts.is_empty() { status_text } else { texts.join("\n") },
            states: passed,
        });
    }
    message.ok_or_else(|| A2aError::malformed("the stream carried neither a Task nor a Message"))
}
