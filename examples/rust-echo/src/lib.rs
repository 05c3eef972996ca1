//! Answers every message with an inform carrying the same content.
use caxton_sdk::*;

struct Echo;

impl Agent for Echo {
    fn init(_ctx: &InitContext) -> Result<Self, String> {
        Ok(Echo)
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        reply(msg, Performative::Inform, msg.content.clone())
    }
}

export_agent!(Echo);
