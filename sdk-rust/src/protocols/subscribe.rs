//! fipa-subscribe: the publisher's subscription table and the subscriber's helpers.
use crate::host::send;
use crate::performative::Performative;
use crate::reply::{create_reply, initiate, reply};
use crate::types::{AclMessage, AgentId};

pub const FIPA_SUBSCRIBE: &str = "fipa-subscribe";

/// A publisher's subscriptions, by conversation-id.
#[derive(Default, Debug)]
pub struct Subscribers {
    pub subscriptions: Vec<(String, AclMessage)>,
}

fn key(m: &AclMessage) -> String {
    m.conversation_id.clone().unwrap_or_default()
}

fn same_sender(a: &AclMessage, b: &AclMessage) -> bool {
    matches!((&a.sender, &b.sender), (Some(x), Some(y)) if x.name == y.name)
}

impl Subscribers {
    pub fn len(&self) -> usize {
        self.subscriptions.len()
    }
    pub fn is_empty(&self) -> bool {
        self.subscriptions.is_empty()
    }

    /// Accepts a subscribe message: sends agree and remembers it.
    pub fn add(&mut self, subscribe: &AclMessage, agree_content: Option<String>) -> Result<(), String> {
        let k = key(subscribe);
        self.subscriptions.retain(|(c, _)| *c != k);
        self.subscriptions.push((k, subscribe.clone()));
        reply(subscribe, Performative::Agree, agree_content)
    }

    /// Handles a cancel: forgets the subscription and confirms with inform; failure if unknown.
    pub fn cancel(&mut self, cancel: &AclMessage) -> bool {
        let k = key(cancel);
        match self.subscriptions.iter().position(|(c, s)| *c == k && same_sender(s, cancel)) {
            Some(i) => {
                self.subscriptions.remove(i);
                let _ = reply(cancel, Performative::Inform, Some("subscription cancelled".to_string()));
                true
            }
            None => {
                let _ = reply(cancel, Performative::Failure, Some("no such subscription".to_string()));
                false
            }
        }
    }

    /// Sends `content` as an inform to every subscriber; returns how many were notified.
    pub fn notify(&self, content: &str) -> usize {
        for (_, s) in &self.subscriptions {
            let _ = send(&create_reply(s, Performative::Inform, Some(content.to_string())));
        }
        self.subscriptions.len()
    }
}

/// Subscribes to `publisher`; keep the returned message to unsubscribe later.
pub fn subscribe(publisher: AgentId, content: &str) -> Result<AclMessage, String> {
    let m = initiate(Performative::Subscribe, vec![publisher], Some(content.to_string()), Some(FIPA_SUBSCRIBE));
    send(&m)?;
    Ok(m)
}

/// Cancels a subscription made with [`subscribe`].
pub fn unsubscribe(subscription: &AclMessage) -> Result<(), String> {
    let mut m = initiate(Performative::Cancel, subscription.receivers.clone(), subscription.content.clone(), Some(FIPA_SUBSCRIBE));
    m.conversation_id = subscription.conversation_id.clone();
    send(&m)
}
