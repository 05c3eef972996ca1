// HOSTILE TEST AGENT. By default allocates 1 MiB blocks (and keeps them) in one handle call until
// linear memory cannot grow: the allocator's failed memory.grow traps. With config
// `leak-kb-per-message` = N it leaks N KiB per message instead, to test caps across messages.
// Each message is answered (inform "<total KiB held>") when it does not trap.
import { Agent, AclMessage, InitContext, Performative, register, reply } from "@caxton/sdk-assemblyscript";

const hoard: Uint8Array[] = [];
let heldKb: i64 = 0;
let leakKb: i32 = 0;

function grab(kb: i32): void {
  const block = new Uint8Array(kb * 1024);
  block.fill(0xAB); // touch every page so the memory is really committed
  hoard.push(block);
  heldKb += kb;
}

class MemoryBomb extends Agent {
  onInit(ctx: InitContext): void {
    const leak = ctx.get("leak-kb-per-message");
    if (leak !== null) leakKb = I32.parseInt(leak);
  }
  onMessage(msg: AclMessage): void {
    if (leakKb > 0) {
      grab(leakKb);
    } else {
      while (true) grab(1024);
    }
    reply(msg, Performative.Inform, heldKb.toString());
  }
}

register(new MemoryBomb());

export * from "@caxton/sdk-assemblyscript/exports";
