//! The SDK's own types to and from those of the generated bindings (`bindings.rs`): the same
//! records field for field, so values move across (the host's strings are not copied again).
//! wasm32 only; on other targets the modules' stand-ins take the SDK's types directly.
use crate::bindings::caxton::agent::types as wit;
use crate::performative::Performative;
use crate::types::{AclMessage, AgentId, InitContext};

pub fn agent_id_in(a: wit::AgentId) -> AgentId {
    AgentId { name: a.name, addresses: a.addresses }
}

pub fn agent_id_out(a: &AgentId) -> wit::AgentId {
    wit::AgentId { name: a.name.clone(), addresses: a.addresses.clone() }
}

pub fn agent_ids_in(list: Vec<wit::AgentId>) -> Vec<AgentId> {
    list.into_iter().map(agent_id_in).collect()
}

fn agent_ids_out(list: &[AgentId]) -> Vec<wit::AgentId> {
    list.iter().map(agent_id_out).collect()
}

pub fn message_in(m: wit::AclMessage) -> AclMessage {
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

pub fn message_out(m: &AclMessage) -> wit::AclMessage {
    wit::AclMessage {
        // SAFETY: the SDK's performatives are the WIT's 22 cases in its order, so every value is one.
        performative: unsafe { wit::Performative::_lift(m.performative as u8) },
        sender: m.sender.as_ref().map(agent_id_out),
        receivers: agent_ids_out(&m.receivers),
        reply_to: agent_ids_out(&m.reply_to),
        content: m.content.clone(),
        language: m.language.clone(),
        encoding: m.encoding.clone(),
        ontology: m.ontology.clone(),
        protocol: m.protocol.clone(),
        conversation_id: m.conversation_id.clone(),
        reply_with: m.reply_with.clone(),
        in_reply_to: m.in_reply_to.clone(),
        reply_by: m.reply_by,
        user_params: m.user_params.clone(),
    }
}

pub fn init_in(ctx: wit::InitContext) -> InitContext {
    InitContext { self_id: agent_id_in(ctx.self_), config: ctx.config }
}
