//! Topic subscriptions (`caxton:agent/topics@0.1.0`, decisions 1960 and 1961). A message sent to
//! the receiver `topic:<name>` is delivered to every agent subscribed to `<name>` (its receiver
//! stays `topic:<name>`). Like a send, a change made in `init`, a handler or a timer is applied only
//! if that call completes, and it lasts (restarts, upgrades) until unsubscribed or the agent is
//! undeployed. The name and the filter are checked at the call; the per-agent bound (100 topics)
//! when the change is applied (a refusal is written to the agent's log).
//!
//! ```ignore
//! topics::subscribe("jobs.delivery", Some(r#"{"all":[{"field":"performative","match":{"equals":"cfp"}}]}"#))?;
//! topics::unsubscribe("jobs.delivery")?;
//! ```
//!
//! Only an agent that calls these functions imports the interface (the linker drops unused
//! imports).
use std::fmt;

/// Why a change was refused (the WIT `topic-error-kind`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicErrorKind {
    /// Not a topic name: 1..200 letters, digits and `. - _ /`, starting with a letter or digit.
    InvalidName = 0,
    /// The filter is not the filter form as JSON, or is over its bounds.
    InvalidFilter = 1,
    /// Too many directory or topic changes in this call or this second.
    QuotaExceeded = 2,
}

impl TopicErrorKind {
    pub fn from_u8(v: u8) -> Option<TopicErrorKind> {
        match v {
            0 => Some(TopicErrorKind::InvalidName),
            1 => Some(TopicErrorKind::InvalidFilter),
            2 => Some(TopicErrorKind::QuotaExceeded),
            _ => None,
        }
    }

    /// The WIT spelling (`invalid-name`, …).
    pub fn name(self) -> &'static str {
        match self {
            TopicErrorKind::InvalidName => "invalid-name",
            TopicErrorKind::InvalidFilter => "invalid-filter",
            TopicErrorKind::QuotaExceeded => "quota-exceeded",
        }
    }
}

/// A refused change: what kind, and the host's explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicError {
    pub kind: TopicErrorKind,
    pub message: String,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "topics {}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for TopicError {}

/// So `topics::subscribe(..)?` works in `init` or a handler returning `Result<_, String>`.
impl From<TopicError> for String {
    fn from(e: TopicError) -> String {
        e.to_string()
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{TopicError, TopicErrorKind};
    use crate::bindings::caxton::agent::topics as wit;

    fn err(e: wit::TopicError) -> TopicError {
        TopicError { kind: TopicErrorKind::from_u8(e.kind as u8).expect("a topic-error-kind of the world"), message: e.message }
    }

    pub fn subscribe(topic: &str, filter: Option<&str>) -> Result<(), TopicError> {
        wit::subscribe(topic, filter).map_err(err)
    }

    pub fn unsubscribe(topic: &str) -> Result<(), TopicError> {
        wit::unsubscribe(topic).map_err(err)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use super::test_topics::{subscribe, unsubscribe};
}

/// A stand-in for native tests of agents' logic (thread-local, like `state::test_state`): records
/// the subscriptions made, keyed by topic; `refuse_next` makes the next call fail with that error.
#[cfg(not(target_arch = "wasm32"))]
pub mod test_topics {
    use super::TopicError;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Subs {
        topics: BTreeMap<String, Option<String>>,
        refuse: Option<TopicError>,
    }

    thread_local! {
        static SUBS: RefCell<Subs> = RefCell::new(Subs::default());
    }

    /// Forgets every subscription and refusal.
    pub fn reset() {
        SUBS.with(|s| *s.borrow_mut() = Subs::default())
    }

    /// The subscriptions, by topic, with their filter text.
    pub fn subscriptions() -> Vec<(String, Option<String>)> {
        SUBS.with(|s| s.borrow().topics.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// The next call fails with `err`.
    pub fn refuse_next(err: TopicError) {
        SUBS.with(|s| s.borrow_mut().refuse = Some(err))
    }

    pub fn subscribe(topic: &str, filter: Option<&str>) -> Result<(), TopicError> {
        SUBS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(e) = s.refuse.take() {
                return Err(e);
            }
            s.topics.insert(topic.to_string(), filter.map(|f| f.to_string()));
            Ok(())
        })
    }

    pub fn unsubscribe(topic: &str) -> Result<(), TopicError> {
        SUBS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(e) = s.refuse.take() {
                return Err(e);
            }
            s.topics.remove(topic);
            Ok(())
        })
    }
}

/// Subscribes to `topic`, with a content filter as JSON text (see `wit/agent.wit`) or `None` for
/// every message. Subscribing again replaces the filter.
pub fn subscribe(topic: &str, filter: Option<&str>) -> Result<(), TopicError> {
    imp::subscribe(topic, filter)
}

/// Unsubscribes from `topic` (not being subscribed is fine).
pub fn unsubscribe(topic: &str) -> Result<(), TopicError> {
    imp::unsubscribe(topic)
}
