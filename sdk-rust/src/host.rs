//! Calls into the runtime (`caxton:agent/host@0.1.0`). On wasm32 these are the world's imports;
//! on any other target (the SDK's own `cargo test`) a recording stand-in lets protocol helpers be
//! tested natively: see [`test_host`].
use crate::performative::LogLevel;
use crate::types::{AclMessage, AgentId, ServiceDescription};

#[cfg(target_arch = "wasm32")]
mod raw {
    #[link(wasm_import_module = "caxton:agent/host@0.1.0")]
    extern "C" {
        pub fn send(message: u32, ret: u32);
        pub fn log(level: i32, ptr: u32, len: u32);
        pub fn now() -> u64;
        #[link_name = "new-id"]
        pub fn new_id(ret: u32);
        #[link_name = "set-timer"]
        pub fn set_timer(delay_ms: u32, ptr: u32, len: u32);
        #[link_name = "register-service"]
        pub fn register_service(
            name_ptr: u32, name_len: u32, type_ptr: u32, type_len: u32,
            protocols_ptr: u32, protocols_len: u32, ontologies_ptr: u32, ontologies_len: u32,
            languages_ptr: u32, languages_len: u32, properties_ptr: u32, properties_len: u32,
            ret: u32,
        );
        #[link_name = "deregister-service"]
        pub fn deregister_service(ptr: u32, len: u32);
        #[link_name = "search-services"]
        pub fn search_services(ptr: u32, len: u32, ret: u32);
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::raw;
    use crate::abi::{self, LinearMem, Lowerer, Mem};
    use crate::guest::free_host_allocations;
    use crate::types::{AclMessage, AgentId, ServiceDescription};

    #[repr(C, align(8))]
    struct RetArea([u8; 16]);

    fn lift_result(ret: u32) -> Result<(), String> {
        let mem = LinearMem;
        let r = match mem.u8(ret) {
            0 => Ok(()),
            1 => Err(abi::lift_string_at(&mem, ret + abi::RESULT_PAYLOAD)),
            _ => panic!("canonical ABI: invalid result discriminant"),
        };
        free_host_allocations();
        r
    }

    pub fn send(message: &AclMessage) -> Result<(), String> {
        let mut low = Lowerer::with_capacity(abi::message_bound(message), None);
        let addr = low.message(message);
        let mut ret = RetArea([0; 16]);
        let ret_addr = ret.0.as_mut_ptr() as usize as u32;
        unsafe { raw::send(addr, ret_addr) };
        lift_result(ret_addr)
    }

    pub fn log(level: i32, message: &str) {
        unsafe { raw::log(level, message.as_ptr() as usize as u32, message.len() as u32) }
    }

    pub fn now() -> u64 {
        unsafe { raw::now() }
    }

    pub fn new_id() -> String {
        let mut ret = RetArea([0; 16]);
        let ret_addr = ret.0.as_mut_ptr() as usize as u32;
        unsafe { raw::new_id(ret_addr) };
        let id = abi::lift_string_at(&LinearMem, ret_addr);
        free_host_allocations();
        id
    }

    pub fn set_timer(delay_ms: u32, token: &str) {
        unsafe { raw::set_timer(delay_ms, token.as_ptr() as usize as u32, token.len() as u32) }
    }

    pub fn register_service(s: &ServiceDescription) -> Result<(), String> {
        let mut low = Lowerer::with_capacity(abi::lists_bound(&[&s.protocols, &s.ontologies, &s.languages], &s.properties), None);
        let slices = low.alloc(32, 4);
        low.string_list_at(slices, &s.protocols);
        low.string_list_at(slices + 8, &s.ontologies);
        low.string_list_at(slices + 16, &s.languages);
        low.pair_list_at(slices + 24, &s.properties);
        let img = abi::SliceMem { base: low.base, data: &low.buf };
        let f = |i: u32| img.u32(slices + i * 4);
        let mut ret = RetArea([0; 16]);
        let ret_addr = ret.0.as_mut_ptr() as usize as u32;
        unsafe {
            raw::register_service(
                s.name.as_ptr() as usize as u32, s.name.len() as u32,
                s.service_type.as_ptr() as usize as u32, s.service_type.len() as u32,
                f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7),
                ret_addr,
            )
        };
        lift_result(ret_addr)
    }

    pub fn deregister_service(name: &str) {
        unsafe { raw::deregister_service(name.as_ptr() as usize as u32, name.len() as u32) }
    }

    pub fn search_services(service_type: &str) -> Vec<AgentId> {
        let mut ret = RetArea([0; 16]);
        let ret_addr = ret.0.as_mut_ptr() as usize as u32;
        unsafe { raw::search_services(service_type.as_ptr() as usize as u32, service_type.len() as u32, ret_addr) };
        let mem = LinearMem;
        let found = abi::lift_agent_id_list(&mem, mem.u32(ret_addr), mem.u32(ret_addr + 4));
        free_host_allocations();
        found
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
