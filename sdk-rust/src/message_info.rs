//! The message being handled (`caxton:agent/message-info@0.1.0`, decision 2001). A message with
//! more than 16 receivers is delivered with only this agent's own id in `receivers` and the count
//! in the user parameter `X-caxton-receivers`; the whole list, as sent, is paged here. Below the
//! threshold the message carries its list and these calls answer the same.
//!
//! ```ignore
//! let everyone = message_info::all_receivers();
//! let page = message_info::receivers(0, 16)?;
//! ```
//!
//! Only an agent that calls these functions imports the interface (the linker drops unused
//! imports).
use crate::types::{AclMessage, AgentId};
use std::fmt;

/// The user parameter a narrowed delivery carries with the message's receiver count.
pub const RECEIVER_COUNT_PARAM: &str = "X-caxton-receivers";
/// Most receivers one `receivers` call returns.
pub const MAX_RECEIVERS_PAGE: u32 = 256;

/// Why a page was refused (the WIT `message-info-error-kind`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageInfoErrorKind {
    /// No message is being handled (`init`, `on_timer`).
    NoMessage = 0,
    /// `limit` is 0 or over 256, or `offset` is past the end of the list.
    InvalidRange = 1,
}

impl MessageInfoErrorKind {
    pub fn from_u8(v: u8) -> Option<MessageInfoErrorKind> {
        match v {
            0 => Some(MessageInfoErrorKind::NoMessage),
            1 => Some(MessageInfoErrorKind::InvalidRange),
            _ => None,
        }
    }

    /// The WIT spelling (`no-message`, `invalid-range`).
    pub fn name(self) -> &'static str {
        match self {
            MessageInfoErrorKind::NoMessage => "no-message",
            MessageInfoErrorKind::InvalidRange => "invalid-range",
        }
    }
}

/// A refused page: what kind, and the host's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfoError {
    pub kind: MessageInfoErrorKind,
    pub message: String,
}

impl fmt::Display for MessageInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message-info {}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for MessageInfoError {}

/// So `message_info::receivers(..)?` works in a handler returning `Result<_, String>`.
impl From<MessageInfoError> for String {
    fn from(e: MessageInfoError) -> String {
        e.to_string()
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{MessageInfoError, MessageInfoErrorKind};
    use crate::bindings::caxton::agent::message_info as wit;
    use crate::types::AgentId;
    use crate::wit_types::agent_ids_in;

    pub fn receiver_count() -> u32 {
        wit::receiver_count()
    }

    pub fn receivers(offset: u32, limit: u32) -> Result<Vec<AgentId>, MessageInfoError> {
        wit::receivers(offset, limit).map(agent_ids_in).map_err(|e| MessageInfoError {
            kind: MessageInfoErrorKind::from_u8(e.kind as u8).expect("a message-info-error-kind of the world"),
            message: e.message,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use super::test_message_info::{receiver_count, receivers};
}

/// A stand-in for native tests of agents' logic (thread-local): `set_receivers` gives the message
/// being handled its receivers (`None`: no message); the calls answer as the host does.
#[cfg(not(target_arch = "wasm32"))]
pub mod test_message_info {
    use super::{MessageInfoError, MessageInfoErrorKind, MAX_RECEIVERS_PAGE};
    use crate::types::AgentId;
    use std::cell::RefCell;

    thread_local! {
        static RECEIVERS: RefCell<Option<Vec<AgentId>>> = RefCell::new(None);
    }

    /// The receivers of the message being handled (`None`: not in a handler).
    pub fn set_receivers(receivers: Option<Vec<AgentId>>) {
        RECEIVERS.with(|r| *r.borrow_mut() = receivers)
    }

    pub fn receiver_count() -> u32 {
        RECEIVERS.with(|r| r.borrow().as_ref().map_or(0, |l| l.len() as u32))
    }

    pub fn receivers(offset: u32, limit: u32) -> Result<Vec<AgentId>, MessageInfoError> {
        RECEIVERS.with(|r| match r.borrow().as_ref() {
            None => Err(MessageInfoError { kind: MessageInfoErrorKind::NoMessage, message: "no message is being handled".to_string() }),
            Some(list) => {
                if limit == 0 || limit > MAX_RECEIVERS_PAGE || offset as usize > list.len() {
                    return Err(MessageInfoError { kind: MessageInfoErrorKind::InvalidRange, message: format!("offset {} limit {}", offset, limit) });
                }
                let end = list.len().min(offset as usize + limit as usize);
                Ok(list[offset as usize..end].to_vec())
            }
        })
    }
}

/// How many receivers the message being handled has (0 outside a handler).
pub fn receiver_count() -> u32 {
    imp::receiver_count()
}

/// Receivers `offset .. offset + limit` (limit 1..256) in the order sent; fewer at the end.
pub fn receivers(offset: u32, limit: u32) -> Result<Vec<AgentId>, MessageInfoError> {
    imp::receivers(offset, limit)
}

/// Every receiver of the message being handled, paged (empty outside a handler).
pub fn all_receivers() -> Vec<AgentId> {
    let count = receiver_count();
    let mut out: Vec<AgentId> = Vec::with_capacity(count as usize);
    while (out.len() as u32) < count {
        match receivers(out.len() as u32, MAX_RECEIVERS_PAGE) {
            Ok(page) if !page.is_empty() => out.extend(page),
            _ => break,
        }
    }
    out
}

/// The receiver count of `m` without a host call: `X-caxton-receivers` on a narrowed delivery,
/// else the length of its list.
pub fn count_of(m: &AclMessage) -> usize {
    m.user_params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(RECEIVER_COUNT_PARAM))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(m.receivers.len())
}
