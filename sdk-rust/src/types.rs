//! The records of `wit/agent.wit` as owned Rust values.
use crate::performative::Performative;

/// A FIPA agent identifier: `name` is globally unique (`local@platform`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentId {
    pub name: String,
    pub addresses: Vec<String>,
}

impl AgentId {
    pub fn new(name: impl Into<String>) -> Self {
        AgentId { name: name.into(), addresses: Vec::new() }
    }
}

/// A FIPA ACL message (SC00061). Times are milliseconds since the Unix epoch, UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclMessage {
    pub performative: Performative,
    /// Stamped by the runtime from the sending agent's identity; ignored on send.
    pub sender: Option<AgentId>,
    pub receivers: Vec<AgentId>,
    pub reply_to: Vec<AgentId>,
    pub content: Option<String>,
    pub language: Option<String>,
    pub encoding: Option<String>,
    pub ontology: Option<String>,
    pub protocol: Option<String>,
    pub conversation_id: Option<String>,
    pub reply_with: Option<String>,
    pub in_reply_to: Option<String>,
    pub reply_by: Option<u64>,
    /// User-defined parameters; keys keep their `X-` prefix.
    pub user_params: Vec<(String, String)>,
}

impl AclMessage {
    pub fn new(performative: Performative) -> Self {
        AclMessage {
            performative,
            sender: None,
            receivers: Vec::new(),
            reply_to: Vec::new(),
            content: None,
            language: None,
            encoding: None,
            ontology: None,
            protocol: None,
            conversation_id: None,
            reply_with: None,
            in_reply_to: None,
            reply_by: None,
            user_params: Vec::new(),
        }
    }

    /// The content, or "" when there is none.
    pub fn content_str(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }

    /// A user-defined parameter by key (keys keep their `X-` prefix).
    pub fn user_param(&self, key: &str) -> Option<&str> {
        self.user_params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A service an agent advertises in the directory (FIPA DF service-description).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceDescription {
    pub name: String,
    pub service_type: String,
    pub protocols: Vec<String>,
    pub ontologies: Vec<String>,
    pub languages: Vec<String>,
    pub properties: Vec<(String, String)>,
}

/// What the agent learns about itself when it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitContext {
    pub self_id: AgentId,
    pub config: Vec<(String, String)>,
}

impl InitContext {
    /// A config value by key (the last one wins when a key repeats).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.config.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}
