//! Replies and conversation openers with the FIPA bookkeeping filled in.
use crate::host::{new_id, send};
use crate::performative::Performative;
use crate::types::{AclMessage, AgentId};

/// A reply to `to`: receivers are `to`'s reply-to (or its sender), conversation-id and protocol
/// are kept, in-reply-to is `to`'s reply-with, language/ontology/encoding are kept.
pub fn create_reply(to: &AclMessage, performative: Performative, content: Option<String>) -> AclMessage {
    let mut r = AclMessage::new(performative);
    if !to.reply_to.is_empty() {
        r.receivers = to.reply_to.clone();
    } else if let Some(s) = &to.sender {
        r.receivers.push(s.clone());
    }
    r.content = content;
    r.conversation_id = to.conversation_id.clone();
    r.in_reply_to = to.reply_with.clone();
    r.protocol = to.protocol.clone();
    r.language = to.language.clone();
    r.ontology = to.ontology.clone();
    r.encoding = to.encoding.clone();
    r
}

/// Sends a reply built by [`create_reply`].
pub fn reply(to: &AclMessage, performative: Performative, content: Option<String>) -> Result<(), String> {
    send(&create_reply(to, performative, content))
}

/// A new message opening a conversation: fresh conversation-id and reply-with, the given protocol.
pub fn initiate(performative: Performative, receivers: Vec<AgentId>, content: Option<String>, protocol: Option<&str>) -> AclMessage {
    let mut m = AclMessage::new(performative);
    m.receivers = receivers;
    m.content = content;
    m.protocol = protocol.map(|p| p.to_string());
    m.conversation_id = Some(new_id());
    m.reply_with = Some(new_id());
    m
}

/// The request will be carried out; a final inform/failure follows.
pub fn agree(request: &AclMessage, content: Option<String>) -> Result<(), String> {
    reply(request, Performative::Agree, content)
}

/// The request/query/cfp is declined, with a reason.
pub fn refuse(request: &AclMessage, reason: &str) -> Result<(), String> {
    reply(request, Performative::Refuse, Some(reason.to_string()))
}

/// The requested action is done (content defaults to "done").
pub fn inform_done(request: &AclMessage, content: Option<String>) -> Result<(), String> {
    reply(request, Performative::Inform, Some(content.unwrap_or_else(|| "done".to_string())))
}

/// The requested action produced `result` (also the answer to a query-ref).
pub fn inform_result(request: &AclMessage, result: &str) -> Result<(), String> {
    reply(request, Performative::Inform, Some(result.to_string()))
}

/// The agreed action failed.
pub fn failure(request: &AclMessage, reason: &str) -> Result<(), String> {
    reply(request, Performative::Failure, Some(reason.to_string()))
}

/// The message was not understood (unknown performative, content or protocol).
pub fn not_understood(msg: &AclMessage, reason: &str) -> Result<(), String> {
    reply(msg, Performative::NotUnderstood, Some(reason.to_string()))
}

/// True when `msg` has a reply-by deadline that has passed at `now_ms`.
pub fn is_expired(msg: &AclMessage, now_ms: u64) -> bool {
    matches!(msg.reply_by, Some(t) if now_ms > t)
}
