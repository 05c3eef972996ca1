//! Counts the messages it handles in durable state (`caxton:agent/state`), so the count survives
//! a crash, a restart, an upgrade and a move to another node. Content `get` answers the count,
//! `add <n>` adds n, `reset` deletes it; anything else counts one. Each answer is an inform with
//! the count after the message.
//!
//! The write is committed with the handling: if the agent crashes after `state::set`, the message
//! is handled again and sees the old count, so no message is counted twice or lost.
use caxton_sdk::*;

const COUNT: &str = "count";

struct Counter;

fn count() -> u64 {
    state::get(COUNT).and_then(|v| v.parse().ok()).unwrap_or(0)
}

impl Agent for Counter {
    fn init(_ctx: &InitContext) -> Result<Self, String> {
        // init may read (writes there are refused as read-only): resume where we were.
        info(&format!("counter resumes at {}", count()));
        Ok(Counter)
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        let content = msg.content_str().trim();
        let next = if content == "get" {
            count()
        } else if content == "reset" {
            state::delete(COUNT)?;
            0
        } else {
            let by = match content.strip_prefix("add ") {
                Some(n) => n.trim().parse::<u64>().map_err(|_| format!("add needs a number, got {:?}", n))?,
                None => 1,
            };
            let n = count().saturating_add(by);
            state::set(COUNT, &n.to_string())?;
            n
        };
        reply(msg, Performative::Inform, Some(next.to_string()))
    }
}

export_agent!(Counter);
