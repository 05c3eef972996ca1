//! A fipa-contract-net participant, like examples/contract-net/as-contractor. Config:
//!   price          the price it proposes (default: a stable 10..99 from its name)
//!   decline        "true": refuses every cfp
//!   fail-on-award  "true": answers an accept-proposal with failure
//!   service-type   the directory type it registers under (default "delivery")
//!   topic          also subscribe to this topic at init, taking only fipa-contract-net messages
//!                  (a content filter; decision 1961): an initiator may call for proposals with
//!                  the receiver `topic:<topic>`
use caxton_sdk::*;

/// FNV-1a over the name's bytes: the same name always gives the same price.
fn stable_price(name: &str) -> f64 {
    let mut h: u32 = 2166136261;
    for b in name.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(16777619);
    }
    (10 + h % 90) as f64
}

/// "50" rather than "50.0" for whole prices.
fn format_price(p: f64) -> String {
    if p == p.floor() && p.abs() < 1e15 { format!("{}", p as i64) } else { format!("{}", p) }
}

struct Contractor {
    price: f64,
    decline: bool,
    fail_on_award: bool,
    jobs: u32,
}

impl Agent for Contractor {
    fn init(ctx: &InitContext) -> Result<Self, String> {
        let price = match ctx.get("price") {
            Some(p) => p.trim().parse::<f64>().map_err(|_| "config price must be a non-negative number".to_string())?,
            None => stable_price(&ctx.self_id.name),
        };
        if price.is_nan() || price < 0.0 {
            return Err("config price must be a non-negative number".to_string());
        }
        let service_type = ctx.get("service-type").unwrap_or("delivery").to_string();
        register_service(&ServiceDescription {
            name: format!("{}/{}", ctx.self_id.name, service_type),
            service_type,
            protocols: vec![CONTRACT_NET.to_string()],
            properties: vec![("price".to_string(), format_price(price))],
            ..Default::default()
        })
        .map_err(|e| format!("cannot register service: {}", e))?;
        if let Some(topic) = ctx.get("topic") {
            topics::subscribe(topic, Some(r#"{"all":[{"field":"protocol","match":{"prefix":"fipa-contract"}}]}"#))
                .map_err(|e| format!("cannot subscribe: {}", e))?;
        }
        Ok(Contractor {
            price,
            decline: ctx.get("decline") == Some("true"),
            fail_on_award: ctx.get("fail-on-award") == Some("true"),
            jobs: 0,
        })
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        let task = msg.content_str();
        match msg.performative {
            Performative::Cfp => {
                if self.decline {
                    refuse(msg, "not taking work")?;
                } else if !propose(msg, &format_price(self.price)) {
                    info(&format!("ignored an expired cfp: {}", task));
                }
            }
            Performative::AcceptProposal => {
                if self.fail_on_award {
                    return failure(msg, &format!("could not perform {}", task));
                }
                self.jobs += 1;
                inform_result(msg, &format!("done: {} by {} for {}", task, self_id().name, format_price(self.price)))?;
            }
            Performative::RejectProposal => info(&format!("lost the bid for {}", task)),
            Performative::NotUnderstood | Performative::Failure => {}
            _ => not_understood(msg, "I only take part in fipa-contract-net")?,
        }
        Ok(())
    }
}

export_agent!(Contractor);
