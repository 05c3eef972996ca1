//! The Caxton agent SDK for Rust: typed FIPA ACL messages and the 22 performatives, the host calls
//! of `caxton:agent/host` (send, log, now, new-id, timers, the service directory), durable state
//! ([`state`]), outbound HTTP ([`http`]), calls to A2A agents ([`a2a`]: the host builds and reads
//! A2A's JSON, so the SDK has no JSON reader — the former `caxton_sdk::json` module is gone), replies
//! and the request, query, subscribe and contract-net protocol helpers. No dependencies: the
//! canonical ABI is wit-bindgen's, generated from wit/agent.wit into `bindings.rs` (committed; its
//! runtime is the SDK's own `wbrt.rs`).
//!
//! ```ignore
//! use caxton_sdk::*;
//! struct Echo;
//! impl Agent for Echo {
//!     fn init(_: &InitContext) -> Result<Self, String> { Ok(Echo) }
//!     fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
//!         reply(msg, Performative::Inform, msg.content.clone())
//!     }
//! }
//! export_agent!(Echo);
//! ```
pub mod a2a;
// Generated code in spellings for rustc 1.63 (scripts/gen-bindings.mjs), whose lints it trips.
#[doc(hidden)]
#[allow(unknown_lints, unused_parens, unused_unsafe, unused_imports)]
pub mod bindings;
pub mod guest;
pub mod host;
pub mod http;
pub mod message_info;
pub mod performative;
pub mod protocols;
pub mod reply;
pub mod state;
pub mod topics;
pub mod types;
mod wbrt;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wit_types;

pub use guest::{self_id, Agent};
pub use host::{
    debug, deregister_service, error, info, log, new_id, now, register_service, search_services, send, set_timer,
    trace, warn,
};
pub use performative::{LogLevel, Performative, PERFORMATIVES};
pub use protocols::contract_net::{
    accept_proposal, cfp, propose, reject_proposal, CfpOutcome, CfpRound, ContractNetInitiator, Proposal, RoundState,
    CONTRACT_NET,
};
pub use protocols::request::{query_if, query_ref, request, FIPA_QUERY, FIPA_REQUEST};
pub use protocols::subscribe::{subscribe, unsubscribe, Subscribers, FIPA_SUBSCRIBE};
pub use reply::*;
pub use a2a::{A2aCall, A2aError, A2aErrorKind, A2aOperation, A2aResponse, A2aResult, A2aResultKind, A2aSend, A2aTaskCall, A2aVersion};
pub use http::{HttpError, HttpErrorKind, HttpResponse};
pub use state::{StateError, StateErrorKind};
pub use topics::{TopicError, TopicErrorKind};
pub use message_info::{MessageInfoError, MessageInfoErrorKind};
pub use types::{AclMessage, AgentId, InitContext, ServiceDescription};
