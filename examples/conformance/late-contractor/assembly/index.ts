// TEST AGENT: a contract-net contractor that is always late. It registers a service like
// examples/contract-net/as-contractor, but on a cfp it arms a timer and proposes only when the
// timer fires, whatever the cfp's reply-by says (the SDK's `propose` would refuse to do that).
// The runtime must then reject the late proposal itself and never hand it to the initiator.
//
//   config price         its bid (default "1": it would win if it were on time)
//          delay-ms      how long to wait before proposing (default 1500)
//          service-type  the directory service type (default "delivery")
import {
  Agent, AclMessage, InitContext, KeyValue, Performative, ServiceDescription, register, send,
  createReply, registerService, setTimer, informResult, info, fail, CONTRACT_NET,
} from "@caxton/sdk-assemblyscript";

let price = "1";
let delayMs: u32 = 1500;
let waiting: AclMessage | null = null;

class LateContractor extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("price");
    if (p !== null) price = p;
    const d = ctx.get("delay-ms");
    if (d !== null) delayMs = <u32>I32.parseInt(d);
    const t = ctx.get("service-type");
    const type = t !== null ? t : "delivery";
    const err = registerService(new ServiceDescription(ctx.self.name + "/" + type, type, [CONTRACT_NET], [], [], [new KeyValue("price", price)]));
    if (err !== null) fail("cannot register service: " + err);
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative == Performative.Cfp) {
      waiting = msg;
      setTimer(delayMs, "propose");
    } else if (msg.performative == Performative.AcceptProposal) {
      informResult(msg, "done late by " + price);
    } else if (msg.performative == Performative.RejectProposal) {
      const why = msg.param("X-caxton-event");
      info("rejected (" + (why !== null ? why! : "by the initiator") + "): " + (msg.content !== null ? msg.content! : ""));
    }
  }

  onTimer(token: string): void {
    const cfp = waiting;
    if (token != "propose" || cfp === null) return;
    waiting = null;
    const err = send(createReply(cfp, Performative.Propose, price));
    if (err !== null) fail("send refused: " + err);
  }
}

register(new LateContractor());

export * from "@caxton/sdk-assemblyscript/exports";
