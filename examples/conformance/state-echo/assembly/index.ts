// TEST AGENT (bench/state.ts): answers every request with an inform carrying the same content, like
// examples/as-echo. With config `write=1` it first reads its counter from durable state and writes
// it back incremented (one get + one set, committed with the message's completion); with `write=0`
// it touches no state. Everything else is the same, so the benchmark compares like with like.
import { Agent, AclMessage, InitContext, Performative, State, register, reply, fail } from "@caxton/sdk-assemblyscript";

let write = false;

class StateEcho extends Agent {
  onInit(ctx: InitContext): void {
    const w = ctx.get("write");
    write = w !== null && w == "1";
  }

  onMessage(msg: AclMessage): void {
    if (write) {
      const err = State.set("n", (State.getI64("n") + 1).toString());
      if (err !== null) {
        fail(err.toString());
        return;
      }
    }
    reply(msg, Performative.Inform, msg.content);
  }
}

register(new StateEcho());

export * from "@caxton/sdk-assemblyscript/exports";
