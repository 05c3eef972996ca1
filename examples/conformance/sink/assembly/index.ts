// TEST AGENT: a sink. It handles every message by counting it and sends, logs and answers nothing,
// so a benchmark's receivers cost only the delivery itself (the fan-out benchmark's 1,000 receivers).
// Config `spin-ms`: busy-wait this long (host clock) in every handling — a CPU-bound stateless worker
// that costs nothing else per message (the cluster bench's workers_across_nodes).
import { Agent, AclMessage, InitContext, now, register } from "@caxton/sdk-assemblyscript";

let received: i64 = 0;
let spinMs: u64 = 0;
let spun: u64 = 0;

class Sink extends Agent {
  onInit(ctx: InitContext): void {
    const s = ctx.get("spin-ms");
    if (s !== null) spinMs = <u64>I64.parseInt(s!);
  }

  onMessage(msg: AclMessage): void {
    received++;
    if (spinMs > 0) {
      const until = now() + spinMs;
      while (now() < until) spun++;
    }
  }
}

register(new Sink());

export * from "@caxton/sdk-assemblyscript/exports";
