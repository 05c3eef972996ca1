//! The SDK's own types to and from those of the generated bindings (`bindings.rs`): the same
//! records field for field. What the host passes in moves into the SDK's types (its strings are not
//! copied again); what an agent passes to the host is lent (`…Param` records borrow the SDK's
//! strings). wasm32 only; on other targets the modules' stand-ins take the SDK's types directly.
use crate::bindings::caxton::agent::types as wit;
use crate::performative::Performative;
use crate::types::{AclMessage, AgentId, InitContext};

pub fn agent_id_in(a: wit::AgentIdResult) -> AgentId {
    AgentId { name: a.name, addresses: a.addresses }
}

pub fn agent_ids_in(list: Vec<wit::AgentIdResult>) -> Vec<AgentId> {
    list.into_iter().map(agent_id_in).collect()
}

pub fn message_in(m: wit::AclMessageResult) -> AclMessage {
    AclMessage {
        // Both enums list the WIT's cases in its order (tests/world.rs).
        performative: Performative::from_u8(m.performative as u8).expect("a performative of the world"),
        sender: m.sender.map(agent_id_in),
        receivers: agent_ids_in(m.receivers),
        reply_to: agent_ids_in(m.reply_to),
        content: m.content,
        language: m.language,
        encoding: m.encoding,
        ontology: m.ontology,
        protocol: m.protocol,
        conversation_id: m.conversation_id,
        reply_with: m.reply_with,
        in_reply_to: m.in_reply_to,
        reply_by: m.reply_by,
        user_params: m.user_params,
    }
}

pub fn init_in(ctx: wit::InitContext) -> InitContext {
    InitContext { self_id: agent_id_in(ctx.self_), config: ctx.config }
}

/// `list` as borrowed strings.
pub fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

/// `list` as borrowed pairs.
pub fn pairs(list: &[(String, String)]) -> Vec<(&str, &str)> {
    list.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Agent ids lent: `addresses` holds each one's address list (`addresses_of`).
fn id_params<'a>(ids: &'a [AgentId], addresses: &'a [Vec<&'a str>]) -> Vec<wit::AgentIdParam<'a>> {
    ids.iter().zip(addresses).map(|(a, ad)| wit::AgentIdParam { name: &a.name, addresses: ad }).collect()
}

fn addresses_of(ids: &[AgentId]) -> Vec<Vec<&str>> {
    ids.iter().map(|a| strs(&a.addresses)).collect()
}

/// Runs `f` with `m` lent as the bindings' record (the lists of references it needs live here).
pub fn with_message<R>(m: &AclMessage, f: impl FnOnce(wit::AclMessageParam<'_>) -> R) -> R {
    let sender_addresses = m.sender.as_ref().map(|s| strs(&s.addresses)).unwrap_or_default();
    let (receiver_addresses, reply_addresses) = (addresses_of(&m.receivers), addresses_of(&m.reply_to));
    let (receivers, reply_to) = (id_params(&m.receivers, &receiver_addresses), id_params(&m.reply_to, &reply_addresses));
    let user_params = pairs(&m.user_params);
    f(wit::AclMessageParam {
        // SAFETY: the SDK's performatives are the WIT's 22 cases in its order, so every value is one.
        performative: unsafe { wit::Performative::_lift(m.performative as u8) },
        sender: m.sender.as_ref().map(|s| wit::AgentIdParam { name: &s.name, addresses: &sender_addresses }),
        receivers: &receivers,
        reply_to: &reply_to,
        content: m.content.as_deref(),
        language: m.language.as_deref(),
        encoding: m.encoding.as_deref(),
        ontology: m.ontology.as_deref(),
        protocol: m.protocol.as_deref(),
        conversation_id: m.conversation_id.as_deref(),
        reply_with: m.reply_with.as_deref(),
        in_reply_to: m.in_reply_to.as_deref(),
        reply_by: m.reply_by,
        user_params: &user_params,
    })
}
