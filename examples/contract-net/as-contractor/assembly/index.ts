// Contract-net contractor (participant role of fipa-contract-net).
//
// On init it registers a service of type `service-type` (default "delivery"). On a cfp it either
// refuses (config `decline` = "true", or the cfp's reply-by already passed) or proposes its price:
// config `price`, else a stable per-agent price derived from its name, so several copies of this
// one artifact bid differently. On accept-proposal it performs the task and answers inform-result
// (or failure when config `fail-on-award` = "true"); reject-proposal is logged. With config `topic`
// it also subscribes to that topic at init (decision 1961), so an initiator can call for proposals
// with the receiver `topic:<topic>`.
import {
  Agent, AclMessage, InitContext, Performative, ServiceDescription, KeyValue, register, self,
  registerService, propose, refuse, informResult, failure, notUnderstood, info, fail,
  CONTRACT_NET, Topics,
} from "@caxton/sdk-assemblyscript";

/** FNV-1a over UTF-16 code units: the same name always gives the same price. */
function stablePrice(name: string): f64 {
  let h: u32 = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= <u32>name.charCodeAt(i);
    h *= 16777619;
  }
  return <f64>(10 + h % 90); // 10..99
}

/** "50" rather than AssemblyScript's "50.0" for whole prices. */
function formatPrice(p: f64): string {
  return p == Math.floor(p) && Math.abs(p) < 1e15 ? (<i64>p).toString() : p.toString();
}

class Contractor extends Agent {
  price: f64 = 0;
  decline: bool = false;
  failOnAward: bool = false;
  jobs: i32 = 0;

  onInit(ctx: InitContext): void {
    const price = ctx.get("price");
    this.price = price !== null ? parseFloat(price) : stablePrice(ctx.self.name);
    if (isNaN(this.price) || this.price < 0) {
      fail("config price must be a non-negative number");
      return;
    }
    const decline = ctx.get("decline");
    this.decline = decline !== null && decline == "true";
    const failOnAward = ctx.get("fail-on-award");
    this.failOnAward = failOnAward !== null && failOnAward == "true";
    const typeCfg = ctx.get("service-type");
    const type = typeCfg !== null ? typeCfg : "delivery";
    const service = new ServiceDescription(
      ctx.self.name + "/" + type, type, [CONTRACT_NET], [], [],
      [new KeyValue("price", formatPrice(this.price))],
    );
    const err = registerService(service);
    if (err !== null) {
      fail("cannot register service: " + err);
      return;
    }
    const topic = ctx.get("topic");
    if (topic !== null) {
      const refused = Topics.subscribe(topic!);
      if (refused !== null) fail("cannot subscribe: " + refused.toString());
    }
  }

  onMessage(msg: AclMessage): void {
    const task = msg.content !== null ? msg.content! : "";
    switch (msg.performative) {
      case Performative.Cfp: {
        if (this.decline) {
          refuse(msg, "not taking work");
        } else if (!propose(msg, formatPrice(this.price))) {
          info("ignored an expired cfp: " + task);
        }
        break;
      }
      case Performative.AcceptProposal: {
        if (this.failOnAward) {
          failure(msg, "could not perform " + task);
          break;
        }
        this.jobs++;
        informResult(msg, "done: " + task + " by " + self().name + " for " + formatPrice(this.price));
        break;
      }
      case Performative.RejectProposal: {
        info("lost the bid for " + task);
        break;
      }
      case Performative.NotUnderstood:
      case Performative.Failure:
        break;
      default:
        notUnderstood(msg, "I only take part in fipa-contract-net");
    }
  }
}

register(new Contractor());

export * from "@caxton/sdk-assemblyscript/exports";
