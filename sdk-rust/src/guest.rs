//! The guest side of the world: the `Agent` trait and [`export_agent!`], which exports it through
//! the generated bindings (`bindings.rs`, `caxton:agent/guest@0.1.0#init|handle|on-timer`). The
//! generated code lifts each call's values into owned data and frees what the host allocated for
//! them; an error string it returns is freed by the post-return the host calls after reading it.
use crate::performative::Performative;
use crate::types::{AclMessage, InitContext};

/// An agent. `init` builds it from its identity and config (an `Err` fails the deployment);
/// `handle` gets each message (an `Err` is an application-level failure: the runtime answers the
/// sender with `failure`); a panic is a crash: the instance is replaced, its outbox discarded and
/// the message retried.
pub trait Agent: Sized + 'static {
    fn init(ctx: &InitContext) -> Result<Self, String>;

    /// The default answers `not-understood`, as FIPA expects for messages an agent cannot process.
    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        if msg.performative != Performative::NotUnderstood && msg.performative != Performative::Failure {
            let _ = crate::reply::not_understood(msg, "no handler");
        }
        Ok(())
    }

    /// A timer set with `set_timer(delay, token)` fired.
    fn on_timer(&mut self, _token: &str) -> Result<(), String> {
        Ok(())
    }
}

static mut SELF_ID: Option<crate::types::AgentId> = None;

/// This agent's own identifier (valid from `init` on).
pub fn self_id() -> crate::types::AgentId {
    unsafe { SELF_ID.clone().unwrap_or_default() }
}

#[doc(hidden)]
pub fn set_self_id(id: crate::types::AgentId) {
    unsafe { SELF_ID = Some(id) }
}

/// Exports `$agent` (a type implementing [`Agent`]) as the agent world's `guest` interface. Write
/// it once, in lib.rs:
///
/// ```ignore
/// caxton_sdk::export_agent!(Echo);
/// ```
#[macro_export]
macro_rules! export_agent {
    ($agent:ty) => {
        #[cfg(target_arch = "wasm32")]
        mod __caxton_exports {
            use super::*;
            use $crate::bindings::exports::caxton::agent::guest as wit;
            static mut AGENT: Option<$agent> = None;

            fn agent() -> &'static mut $agent {
                match unsafe { AGENT.as_mut() } {
                    Some(a) => a,
                    None => panic!("caxton: a message arrived before init"),
                }
            }

            pub struct CaxtonGuest;

            impl wit::Guest for CaxtonGuest {
                fn init(ctx: wit::InitContext) -> Result<(), String> {
                    let ctx = $crate::wit_types::init_in(ctx);
                    $crate::guest::set_self_id(ctx.self_id.clone());
                    <$agent as $crate::Agent>::init(&ctx).map(|a| unsafe { AGENT = Some(a) })
                }

                fn handle(message: wit::AclMessage) -> Result<(), String> {
                    $crate::Agent::handle(agent(), &$crate::wit_types::message_in(message))
                }

                fn on_timer(token: String) -> Result<(), String> {
                    $crate::Agent::on_timer(agent(), &token)
                }
            }

            $crate::bindings::__export_agent_world!(CaxtonGuest with_types_in $crate::bindings);
        }
    };
}
