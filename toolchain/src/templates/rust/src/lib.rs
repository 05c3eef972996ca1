//! {{name}}: a Caxton agent. Build and deploy with `caxton deploy .`; see docs/writing-agents.md.
use caxton_sdk::*;

struct Agent1 {
    greeting: String,
}

impl Agent for Agent1 {
    /// Called once when the agent starts; an Err fails the deployment.
    fn init(ctx: &InitContext) -> Result<Self, String> {
        info(&format!("{} starting", ctx.self_id.name));
        Ok(Agent1 { greeting: ctx.get("greeting").unwrap_or("").to_string() })
    }

    /// Answers a request with an inform echoing its content (prefixed by the configured greeting).
    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        match msg.performative {
            Performative::Request => inform_result(msg, &format!("{}{}", self.greeting, msg.content_str())),
            Performative::NotUnderstood | Performative::Failure => Ok(()),
            _ => not_understood(msg, "I answer requests"),
        }
    }
}

export_agent!(Agent1);
