//! Calls into the runtime (`caxton:agent/host@0.1.0`). On wasm32 these are the world's imports;
//! on any other target (the SDK's own `cargo test`) a recording stand-in lets protocol helpers be
//! tested natively: see [`test_host`].
use crate::performative::LogLevel;
use crate::types::{AclMessage, AgentId, ServiceDescription};

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::caxton::agent::{host as wit, types};
    use crate::types::{AclMessage, AgentId, ServiceDescription};
    use crate::wit_types::{agent_ids_in, pairs, strs, with_message};

    pub fn send(message: &AclMessage) -> Result<(), String> {
        with_message(message, wit::send)
    }

    pub fn log(level: i32, message: &str) {
        // SAFETY: `level` is a LogLevel's discriminant, the WIT's cases in its order.
        wit::log(unsafe { types::LogLevel::_lift(level as u8) }, message)
    }

    pub fn now() -> u64 {
        wit::now()
    }

    pub fn new_id() -> String {
        wit::new_id()
    }

    pub fn set_timer(delay_ms: u32, token: &str) {
        wit::set_timer(delay_ms, token)
    }

    pub fn register_service(s: &ServiceDescription) -> Result<(), String> {
        wit::register_service(types::ServiceDescription {
            name: &s.name,
            type_: &s.service_type,
            protocols: &strs(&s.protocols),
            ontologies: &strs(&s.ontologies),
            languages: &strs(&s.languages),
            properties: &pairs(&s.properties),
        })
    }

    pub fn deregister_service(name: &str) {
        wit::deregister_service(name)
    }

    pub fn search_services(service_type: &str) -> Vec<AgentId> {
        agent_ids_in(wit::search_services(service_type))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use super::test_host::*;
}

/// A stand-in host for native tests of the SDK and of agents' logic: it records what the agent
/// sent, logged, registered and scheduled, in thread-local state.
#[cfg(not(target_arch = "wasm32"))]
pub mod test_host {
    use crate::types::{AclMessage, AgentId, ServiceDescription};
    use std::cell::RefCell;

    #[derive(Default, Debug)]
    pub struct Recorded {
        pub sent: Vec<AclMessage>,
        pub logs: Vec<(i32, String)>,
        pub timers: Vec<(u32, String)>,
        pub services: Vec<ServiceDescription>,
        pub directory: Vec<(String, AgentId)>,
        pub now: u64,
        pub next_id: u64,
    }

    thread_local! {
        pub static HOST: RefCell<Recorded> = RefCell::new(Recorded::default());
    }

    /// Clears everything recorded and returns what was there.
    pub fn take() -> Recorded {
        HOST.with(|h| std::mem::take(&mut *h.borrow_mut()))
    }

    pub fn set_now(t: u64) {
        HOST.with(|h| h.borrow_mut().now = t)
    }

    pub fn send(message: &AclMessage) -> Result<(), String> {
        if message.receivers.is_empty() {
            return Err("message has no receivers".to_string());
        }
        HOST.with(|h| h.borrow_mut().sent.push(message.clone()));
        Ok(())
    }
    pub fn log(level: i32, message: &str) {
        HOST.with(|h| h.borrow_mut().logs.push((level, message.to_string())))
    }
    pub fn now() -> u64 {
        HOST.with(|h| h.borrow().now)
    }
    pub fn new_id() -> String {
        HOST.with(|h| {
            let mut h = h.borrow_mut();
            h.next_id += 1;
            format!("id-{}", h.next_id)
        })
    }
    pub fn set_timer(delay_ms: u32, token: &str) {
        HOST.with(|h| h.borrow_mut().timers.push((delay_ms, token.to_string())))
    }
    pub fn register_service(s: &ServiceDescription) -> Result<(), String> {
        HOST.with(|h| h.borrow_mut().services.push(s.clone()));
        Ok(())
    }
    pub fn deregister_service(name: &str) {
        HOST.with(|h| h.borrow_mut().services.retain(|s| s.name != name))
    }
    pub fn search_services(service_type: &str) -> Vec<AgentId> {
        HOST.with(|h| h.borrow().directory.iter().filter(|(t, _)| t == service_type).map(|(_, a)| a.clone()).collect())
    }
}

/// Queues a message. `Err` says why the message itself is invalid (e.g. no receivers). Delivery is
/// transactional: messages sent while handling a message leave only if that handling completes
/// without a trap; routing failures come back later as `failure` messages.
pub fn send(message: &AclMessage) -> Result<(), String> {
    imp::send(message)
}

/// Writes a line to the agent's log.
pub fn log(level: LogLevel, message: &str) {
    imp::log(level as i32, message)
}
pub fn trace(message: &str) {
    log(LogLevel::Trace, message)
}
pub fn debug(message: &str) {
    log(LogLevel::Debug, message)
}
pub fn info(message: &str) {
    log(LogLevel::Info, message)
}
pub fn warn(message: &str) {
    log(LogLevel::Warn, message)
}
pub fn error(message: &str) {
    log(LogLevel::Error, message)
}

/// Wall-clock time, milliseconds since the Unix epoch.
pub fn now() -> u64 {
    imp::now()
}

/// A fresh platform-unique identifier for reply-with and conversation-id.
pub fn new_id() -> String {
    imp::new_id()
}

/// Asks for `on_timer(token)` after `delay_ms` milliseconds.
pub fn set_timer(delay_ms: u32, token: &str) {
    imp::set_timer(delay_ms, token)
}

/// Advertises (or replaces) a service; `Err` is the directory's reason.
pub fn register_service(service: &ServiceDescription) -> Result<(), String> {
    imp::register_service(service)
}

/// Withdraws one of this agent's services by name.
pub fn deregister_service(name: &str) {
    imp::deregister_service(name)
}

/// Agents advertising services of `service_type`.
pub fn search_services(service_type: &str) -> Vec<AgentId> {
    imp::search_services(service_type)
}
