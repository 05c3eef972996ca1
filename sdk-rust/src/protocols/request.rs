//! fipa-request and fipa-query, initiator side (the participant answers with `agree`, `refuse`,
//! `inform_done`, `inform_result` and `failure` from the crate root).
use crate::host::send;
use crate::performative::Performative;
use crate::reply::initiate;
use crate::types::{AclMessage, AgentId};

pub const FIPA_REQUEST: &str = "fipa-request";
pub const FIPA_QUERY: &str = "fipa-query";

fn open(p: Performative, receiver: AgentId, content: &str, protocol: &str) -> Result<AclMessage, String> {
    let m = initiate(p, vec![receiver], Some(content.to_string()), Some(protocol));
    send(&m)?;
    Ok(m)
}

/// Asks `receiver` to perform `content`; returns the sent message (match replies by conversation-id).
pub fn request(receiver: AgentId, content: &str) -> Result<AclMessage, String> {
    open(Performative::Request, receiver, content, FIPA_REQUEST)
}

/// Asks `receiver` for the object `content` refers to.
pub fn query_ref(receiver: AgentId, content: &str) -> Result<AclMessage, String> {
    open(Performative::QueryRef, receiver, content, FIPA_QUERY)
}

/// Asks `receiver` whether `content` is true.
pub fn query_if(receiver: AgentId, content: &str) -> Result<AclMessage, String> {
    open(Performative::QueryIf, receiver, content, FIPA_QUERY)
}
