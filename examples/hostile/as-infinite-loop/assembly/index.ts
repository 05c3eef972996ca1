// HOSTILE TEST AGENT. Spins forever: in handle (default), or in init / on-timer when config
// `spin-in` says so. The runtime must stop it (fuel, wall-clock) without stalling other agents.
import { Agent, AclMessage, InitContext, register } from "@caxton/sdk-assemblyscript";

// A global side effect keeps the optimiser from proving anything about the loop.
let spins: u64 = 0;
let spinIn = "message";

function spin(): void {
  while (true) spins++;
}

class InfiniteLoop extends Agent {
  onInit(ctx: InitContext): void {
    const where = ctx.get("spin-in");
    if (where !== null) spinIn = where;
    if (spinIn == "init") spin();
  }
  onMessage(msg: AclMessage): void {
    if (spinIn == "message") spin();
  }
  onTimer(token: string): void {
    if (spinIn == "timer") spin();
  }
}

register(new InfiniteLoop());

export * from "@caxton/sdk-assemblyscript/exports";
