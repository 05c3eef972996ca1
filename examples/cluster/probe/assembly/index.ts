// TEST AGENT: reports what THIS instance observed, so cluster tests can check placement, failover
// and exactly-once completion from the handlers' own records rather than from the runtime's.
//
//   config report   who gets the observations (default "operator")
//   config state    "1": also count requests in durable state (committed with each completion)
//   request "<c>"   → inform to `report`: "<c>|<node>|<instance>|<n>|<now>" (+ "|<count>" with state=1)
//     node      the first address of the agent's own identity: in a cluster, the runtime gives an
//               instance the address of the node it runs on ("caxton://<node-id>"); "-" if none
//     instance  an id drawn once per instance, at init
//     n         how many requests this instance has handled, this one included (1, 2, 3, …)
//     now       the host clock at handling, ms since the epoch
//     count     with state=1: the durable count after this request (survives restarts and moves)
//   anything else is ignored (no not-understood: the probe must not generate traffic of its own).
import {
  Agent, AclMessage, AgentId, InitContext, Performative, State, register, send, newId, now, fail,
} from "@caxton/sdk-assemblyscript";

let report = new AgentId("operator");
let node = "-";
let instance = "";
let handled: i64 = 0;
let durable = false;

class Probe extends Agent {
  onInit(ctx: InitContext): void {
    const r = ctx.get("report");
    if (r !== null && r.length > 0) report = new AgentId(r);
    if (ctx.self.addresses.length > 0) node = ctx.self.addresses[0];
    instance = newId();
    const st = ctx.get("state");
    durable = st !== null && st == "1";
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative != Performative.Request) return;
    handled++;
    const m = new AclMessage(Performative.Inform);
    m.receivers.push(report);
    const content = msg.content !== null ? msg.content! : "";
    let line = content + "|" + node + "|" + instance + "|" + handled.toString() + "|" + now().toString();
    if (durable) {
      const count = State.getI64("count") + 1;
      const refused = State.set("count", count.toString());
      if (refused !== null) fail("state refused: " + refused.toString());
      line += "|" + count.toString();
    }
    m.content = line;
    const err = send(m);
    if (err !== null) fail("send refused: " + err);
  }
}

register(new Probe());

export * from "@caxton/sdk-assemblyscript/exports";
