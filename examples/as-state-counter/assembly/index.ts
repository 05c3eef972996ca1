// A counter whose count lives in the agent's durable state (caxton:agent/state), not in memory:
//   request (any content)  -> inform "<new count>"   (the count goes up by config `step`, default 1)
//   query-ref "count"      -> inform "<count>"
// With config `ledger` = "1", a request's content also counts under its own key `seen/<content>`,
// in the same commit: a test or bench that sends unique contents reads which were counted, and
// how often, instead of one total in which a lost request and a doubled one would cancel out.
// The increment is committed together with the handling of the request, so after a crash, restart
// or upgrade the counter resumes exactly where the last completed request left it; a request that
// crashed midway is handled again and counts once. Compare examples/as-counter (in memory only).
import {
  Agent, AclMessage, InitContext, Performative, register, reply, notUnderstood, fail, info, State,
} from "@caxton/sdk-assemblyscript";

const COUNT = "count";
const SEEN = "seen/";

class StateCounter extends Agent {
  step: i64 = 1;
  ledger: bool = false;

  onInit(ctx: InitContext): void {
    const step = ctx.get("step");
    if (step !== null) this.step = I64.parseInt(step!);
    const ledger = ctx.get("ledger");
    this.ledger = ledger !== null && ledger! == "1";
    // init may read state (not write it): say where we resume from. Deployed as a kind
    // (`caxton deploy --kind counter`), each instance is told its key in its config (decision 1980).
    const key = ctx.get("caxton.key");
    info("resuming at count " + State.getI64(COUNT).toString() + (key !== null ? " (key " + key! + ")" : ""));
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative == Performative.Request) {
      const next = State.getI64(COUNT) + this.step;
      const err = State.set(COUNT, next.toString());
      if (err !== null) {
        // e.g. quota-exceeded: an application-level failure; the runtime answers with `failure`.
        fail(err.toString());
        return;
      }
      if (this.ledger) {
        const content = msg.content;
        const seen = SEEN + (content !== null ? content! : "");
        const again = State.set(seen, (State.getI64(seen) + 1).toString());
        if (again !== null) {
          fail(again.toString());
          return;
        }
      }
      reply(msg, Performative.Inform, next.toString());
    } else if (msg.performative == Performative.QueryRef) {
      reply(msg, Performative.Inform, State.getI64(COUNT).toString());
    } else if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
      notUnderstood(msg, "send request (to count) or query-ref count");
    }
  }
}

register(new StateCounter());

export * from "@caxton/sdk-assemblyscript/exports";
