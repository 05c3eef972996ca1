//! The guest side of the world: the `Agent` trait and the glue behind [`export_agent!`]'s core
//! exports. The host passes values in by calling `cabi_realloc`; those blocks are remembered and
//! freed as soon as the values are lifted into owned Rust data (one message's strings never
//! outlive the call). Results (`result<_, string>`) go into a static return area; an error string
//! stays alive until the next call replaces it.
use crate::types::{AclMessage, InitContext};
use crate::performative::Performative;

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

#[cfg(target_arch = "wasm32")]
mod wasm {
    use crate::abi::{self, LinearMem};
    use crate::types::{AclMessage, InitContext};
    use std::alloc::{alloc, dealloc, realloc, Layout};

    static mut PENDING: Vec<(usize, Layout)> = Vec::new();
    static mut ERROR: Option<String> = None;
    #[repr(C, align(4))]
    struct Ret([u8; 12]);
    static mut RET: Ret = Ret([0; 12]);

    /// `cabi_export_realloc` and `cabi_import_realloc`: the host allocating guest memory for the
    /// values it passes in (freed once they are lifted).
    pub fn cabi_realloc(old: usize, old_size: usize, align: usize, new_size: usize) -> usize {
        unsafe {
            if old != 0 {
                let old_layout = Layout::from_size_align(old_size.max(1), align).unwrap();
                let p = realloc(old as *mut u8, old_layout, new_size.max(1)) as usize;
                if p == 0 {
                    std::alloc::handle_alloc_error(Layout::from_size_align(new_size.max(1), align).unwrap());
                }
                for e in PENDING.iter_mut() {
                    if e.0 == old {
                        *e = (p, Layout::from_size_align(new_size.max(1), align).unwrap());
                    }
                }
                return p;
            }
            let layout = Layout::from_size_align(new_size.max(1), align).unwrap();
            let p = alloc(layout);
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            PENDING.push((p as usize, layout));
            p as usize
        }
    }

    /// `cabi_realloc`: memory that lasts. The WASI preview1 adapter (an agent built with
    /// `"wasi": true`) allocates its own state with it on its first WASI call; were that memory
    /// the call's, it would be freed with the call's values and overwritten (decision 2191).
    pub fn lasting_realloc(old: usize, old_size: usize, align: usize, new_size: usize) -> usize {
        unsafe {
            let layout = Layout::from_size_align(new_size.max(1), align).unwrap();
            let p = if old != 0 {
                realloc(old as *mut u8, Layout::from_size_align(old_size.max(1), align).unwrap(), new_size.max(1))
            } else {
                alloc(layout)
            };
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            p as usize
        }
    }

    /// Frees what the host allocated for the values of the current call (already lifted).
    pub fn free_host_allocations() {
        unsafe {
            for (p, layout) in PENDING.drain(..) {
                dealloc(p as *mut u8, layout);
            }
        }
    }

    pub fn lift_init(flat: [u32; 6]) -> InitContext {
        let ctx = abi::lift_init_context(&LinearMem, flat);
        free_host_allocations();
        ctx
    }

    pub fn lift_message(at: u32) -> AclMessage {
        let m = abi::lift_message(&LinearMem, at);
        free_host_allocations();
        m
    }

    pub fn lift_string(ptr: u32, len: u32) -> String {
        let s = abi::lift_string(&LinearMem, ptr, len);
        free_host_allocations();
        s
    }

    /// Writes result<_, string> into the return area and returns its address.
    pub fn finish(r: Result<(), String>) -> usize {
        unsafe {
            ERROR = None;
            let ret = &mut RET.0;
            match r {
                Ok(()) => ret[0] = 0,
                Err(e) => {
                    ret[0] = 1;
                    ret[4..8].copy_from_slice(&(e.as_ptr() as usize as u32).to_le_bytes());
                    ret[8..12].copy_from_slice(&(e.len() as u32).to_le_bytes());
                    ERROR = Some(e);
                }
            }
            ret.as_ptr() as usize
        }
    }
}

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use wasm::*;

#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub fn free_host_allocations() {}

/// Defines the core exports of the agent world for `$agent` (a type implementing [`Agent`]):
/// the allocators (`cabi_export_realloc`/`cabi_import_realloc` for a call's values, `cabi_realloc`
/// lasting) and `caxton:agent/guest@0.1.0#init|handle|on-timer`. Write it once, in lib.rs:
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
            use $crate::Agent as _;
            static mut AGENT: Option<$agent> = None;

            fn agent() -> &'static mut $agent {
                match unsafe { AGENT.as_mut() } {
                    Some(a) => a,
                    None => panic!("caxton: a message arrived before init"),
                }
            }

            #[export_name = "cabi_export_realloc"]
            extern "C" fn cabi_export_realloc(old: usize, old_size: usize, align: usize, new_size: usize) -> usize {
                $crate::guest::cabi_realloc(old, old_size, align, new_size)
            }

            #[export_name = "cabi_import_realloc"]
            extern "C" fn cabi_import_realloc(old: usize, old_size: usize, align: usize, new_size: usize) -> usize {
                $crate::guest::cabi_realloc(old, old_size, align, new_size)
            }

            #[export_name = "cabi_realloc"]
            extern "C" fn cabi_realloc(old: usize, old_size: usize, align: usize, new_size: usize) -> usize {
                $crate::guest::lasting_realloc(old, old_size, align, new_size)
            }

            #[export_name = "caxton:agent/guest@0.1.0#init"]
            extern "C" fn init(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32) -> usize {
                let ctx = $crate::guest::lift_init([a, b, c, d, e, f]);
                $crate::guest::set_self_id(ctx.self_id.clone());
                let r = <$agent as $crate::Agent>::init(&ctx).map(|a| unsafe { AGENT = Some(a) });
                $crate::guest::finish(r)
            }

            #[export_name = "caxton:agent/guest@0.1.0#handle"]
            extern "C" fn handle(message: u32) -> usize {
                let msg = $crate::guest::lift_message(message);
                let r = agent().handle(&msg);
                $crate::guest::finish(r)
            }

            #[export_name = "caxton:agent/guest@0.1.0#on-timer"]
            extern "C" fn on_timer(ptr: u32, len: u32) -> usize {
                let token = $crate::guest::lift_string(ptr, len);
                let r = agent().on_timer(&token);
                $crate::guest::finish(r)
            }
        }
    };
}
