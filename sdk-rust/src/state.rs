//! The agent's durable key-value state (`caxton:agent/state@0.1.0`, decision 1600). Writes made
//! while handling a message or a timer are read back by the same handler and committed with the
//! handling, all or nothing; `init` may read but not write.
//!
//! ```ignore
//! let n: u64 = state::get("count").and_then(|v| v.parse().ok()).unwrap_or(0);
//! state::set("count", &(n + 1).to_string())?;
//! ```
//!
//! Only an agent that calls these functions imports the interface (the linker drops unused
//! imports), so an agent without state still imports `caxton:agent/host` alone.
use std::fmt;

/// Why a write was refused (the WIT `state-error-kind`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateErrorKind {
    /// The key is empty, longer than the key limit, or has control characters.
    InvalidKey = 0,
    /// The value is larger than the value limit.
    ValueTooLarge = 1,
    /// The write would take the agent past its total-bytes or key-count quota.
    QuotaExceeded = 2,
    /// Writing is not possible here (during `init`).
    ReadOnly = 3,
}

impl StateErrorKind {
    pub fn from_u8(v: u8) -> Option<StateErrorKind> {
        match v {
            0 => Some(StateErrorKind::InvalidKey),
            1 => Some(StateErrorKind::ValueTooLarge),
            2 => Some(StateErrorKind::QuotaExceeded),
            3 => Some(StateErrorKind::ReadOnly),
            _ => None,
        }
    }

    /// The WIT spelling (`invalid-key`, …).
    pub fn name(self) -> &'static str {
        match self {
            StateErrorKind::InvalidKey => "invalid-key",
            StateErrorKind::ValueTooLarge => "value-too-large",
            StateErrorKind::QuotaExceeded => "quota-exceeded",
            StateErrorKind::ReadOnly => "read-only",
        }
    }
}

/// A refused write: what kind, and the host's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateError {
    pub kind: StateErrorKind,
    pub message: String,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "state {}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for StateError {}

/// So `state::set(..)?` works in a handler returning `Result<(), String>`.
impl From<StateError> for String {
    fn from(e: StateError) -> String {
        e.to_string()
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{StateError, StateErrorKind};
    use crate::bindings::caxton::agent::state as wit;

    fn err(e: wit::StateError) -> StateError {
        StateError { kind: StateErrorKind::from_u8(e.kind as u8).expect("a state-error-kind of the world"), message: e.message }
    }

    pub fn get(key: &str) -> Option<String> {
        wit::get(key)
    }

    pub fn set(key: &str, value: &str) -> Result<(), StateError> {
        wit::set(key, value).map_err(err)
    }

    pub fn delete(key: &str) -> Result<(), StateError> {
        wit::delete(key).map_err(err)
    }

    pub fn keys(prefix: &str, start_after: Option<&str>, limit: u32) -> Vec<String> {
        wit::keys(prefix, start_after, limit)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use super::test_state::{delete, get, keys, set};
}

/// A stand-in store for native tests of agents' logic (thread-local, like `host::test_host`):
/// writes are kept in a sorted map; `set_read_only(true)` makes writes fail as in `init`.
#[cfg(not(target_arch = "wasm32"))]
pub mod test_state {
    use super::{StateError, StateErrorKind};
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Store {
        entries: BTreeMap<String, String>,
        read_only: bool,
    }

    thread_local! {
        static STORE: RefCell<Store> = RefCell::new(Store::default());
    }

    /// Empties the store and makes it writable again.
    pub fn reset() {
        STORE.with(|s| *s.borrow_mut() = Store::default())
    }

    /// Every entry, in key order.
    pub fn entries() -> Vec<(String, String)> {
        STORE.with(|s| s.borrow().entries.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    pub fn set_read_only(read_only: bool) {
        STORE.with(|s| s.borrow_mut().read_only = read_only)
    }

    fn check(key: &str) -> Result<(), StateError> {
        if STORE.with(|s| s.borrow().read_only) {
            return Err(StateError { kind: StateErrorKind::ReadOnly, message: "state is read-only during init".into() });
        }
        if key.is_empty() || key.chars().any(|c| c <= '\u{1f}' || c == '\u{7f}') {
            return Err(StateError { kind: StateErrorKind::InvalidKey, message: format!("invalid key {:?}", key) });
        }
        Ok(())
    }

    pub fn get(key: &str) -> Option<String> {
        STORE.with(|s| s.borrow().entries.get(key).cloned())
    }

    pub fn set(key: &str, value: &str) -> Result<(), StateError> {
        check(key)?;
        STORE.with(|s| s.borrow_mut().entries.insert(key.to_string(), value.to_string()));
        Ok(())
    }

    pub fn delete(key: &str) -> Result<(), StateError> {
        check(key)?;
        STORE.with(|s| s.borrow_mut().entries.remove(key));
        Ok(())
    }

    pub fn keys(prefix: &str, start_after: Option<&str>, limit: u32) -> Vec<String> {
        STORE.with(|s| {
            s.borrow()
                .entries
                .keys()
                .filter(|k| k.starts_with(prefix) && start_after.map_or(true, |a| k.as_str() > a))
                .take(limit as usize)
                .cloned()
                .collect()
        })
    }
}

/// The value of `key`, including this handler's own uncommitted writes.
pub fn get(key: &str) -> Option<String> {
    imp::get(key)
}

/// Sets `key` to `value`, committed with this handling.
pub fn set(key: &str, value: &str) -> Result<(), StateError> {
    imp::set(key, value)
}

/// Removes `key`, committed with this handling (removing an absent key is not an error).
pub fn delete(key: &str) -> Result<(), StateError> {
    imp::delete(key)
}

/// Keys starting with `prefix`, in byte order, after `start_after` when given, at most `limit`
/// (the host caps it). Page by passing the last key returned as the next `start_after`.
pub fn keys(prefix: &str, start_after: Option<&str>, limit: u32) -> Vec<String> {
    imp::keys(prefix, start_after, limit)
}
