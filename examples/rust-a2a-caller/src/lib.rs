//! Answers a `request` by asking an A2A agent, then replying to the requester with its answer:
//! the Rust twin of examples/js-a2a-caller.
//!
//!   config a2a-url=https://agent.example/a2a/jsonrpc   (required: the agent's JSON-RPC endpoint;
//!                                                       its host must be allowed: --allow-http)
//!   config a2a-token=<bearer token>                    (optional: sent as Authorization: Bearer)
//!   config a2a-version=1.0|0.3                         (default 1.0)
//!   request "<text>" -> inform "<the A2A task's text>"          (task completed, or a Message)
//!                    -> failure "a2a task <state>: <text>"     (failed, rejected, canceled…)
//!                    -> failure "a2a call failed: <error>"     (no response, HTTP or JSON-RPC error, malformed)
//!                    -> failure "a2a call refused: <error>"    (the call could not leave)
//!
//! The call does not block: whom to answer travels in the call's context and comes back with the
//! answer, so nothing is kept in memory in between.
use caxton_sdk::a2a::{self, A2aResponse, A2aResultKind, A2aSend, A2aVersion};
use caxton_sdk::*;

struct Caller {
    url: String,
    token: Option<String>,
    version: A2aVersion,
}

/// Whom to answer (sender, reply-with, conversation, protocol), as text: it travels with the call
/// and comes back with its answer. Each field is `-` when absent, else `<bytes>:<value>`, so any
/// value (newlines, colons) reads back as it was.
fn answer_context(msg: &AclMessage) -> String {
    let fields = [msg.sender.as_ref().map(|s| s.name.as_str()), msg.reply_with.as_deref(), msg.conversation_id.as_deref(), msg.protocol.as_deref()];
    fields.iter().map(|f| f.map_or_else(|| "-".to_string(), |v| format!("{}:{}", v.len(), v))).collect()
}

/// The four fields of an answer context, or None when it is not one.
fn read_context(mut s: &str) -> Option<[Option<String>; 4]> {
    let mut out: [Option<String>; 4] = Default::default();
    for f in out.iter_mut() {
        if let Some(rest) = s.strip_prefix('-') {
            s = rest;
            continue;
        }
        let (len, rest) = s.split_once(':')?;
        let len: usize = len.parse().ok()?;
        *f = Some(rest.get(..len)?.to_string());
        s = &rest[len..];
    }
    if s.is_empty() { Some(out) } else { None }
}

fn answer(ctx: [Option<String>; 4], performative: Performative, content: String) -> Result<(), String> {
    let [to, reply_with, conversation_id, protocol] = ctx;
    let mut m = AclMessage::new(performative);
    m.receivers = vec![AgentId::new(to.ok_or("the answer context names nobody")?)];
    m.content = Some(content);
    m.in_reply_to = reply_with;
    m.conversation_id = conversation_id;
    m.protocol = protocol;
    send(&m)
}

fn on_a2a_response(r: A2aResponse) -> Result<(), String> {
    let ctx = match read_context(&r.context) {
        Some(c) => c,
        None => {
            warn(&format!("a2a answer {} carries no answer context; dropped", r.request_id));
            return Ok(());
        }
    };
    match r.result {
        Err(e) => answer(ctx, Performative::Failure, format!("a2a call failed: {}", e)),
        Ok(res) if res.kind == A2aResultKind::Message || res.state.as_deref() == Some("completed") => answer(ctx, Performative::Inform, res.text),
        Ok(res) => answer(ctx, Performative::Failure, format!("a2a task {}: {}", res.state.unwrap_or_default(), res.text)),
    }
}

impl Agent for Caller {
    fn init(ctx: &InitContext) -> Result<Self, String> {
        let url = ctx.get("a2a-url").unwrap_or("").to_string();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("config a2a-url must be an http:// or https:// URL".into());
        }
        let version = ctx.get("a2a-version").unwrap_or("1.0");
        let version = A2aVersion::parse(version).ok_or_else(|| format!("config a2a-version must be 1.0 or 0.3, got {:?}", version))?;
        Ok(Caller { url, token: ctx.get("a2a-token").map(String::from), version })
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        if let Some(r) = A2aResponse::from_message(msg) {
            return on_a2a_response(r);
        }
        if msg.performative != Performative::Request {
            if msg.performative != Performative::NotUnderstood && msg.performative != Performative::Failure {
                return not_understood(msg, "send a request");
            }
            return Ok(());
        }
        let mut call = A2aSend::new(&self.url, msg.content_str()).version(self.version).context(&answer_context(msg));
        if let Some(t) = &self.token {
            call = call.token(t);
        }
        match a2a::send(&call) {
            Ok(_) => Ok(()),
            Err(e) => failure(msg, &format!("a2a call refused: {}", e)),
        }
    }
}

export_agent!(Caller);
