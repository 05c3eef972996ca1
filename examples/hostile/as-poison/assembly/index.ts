// HOSTILE TEST AGENT. Behaves like as-echo (inform with the same content) except that any message
// whose content contains the poison string (config `poison`, default "poison") makes it trap, every
// time: the runtime should retry it a few times, then dead-letter it, while other messages flow.
import { Agent, AclMessage, InitContext, Performative, register, reply } from "@caxton/sdk-assemblyscript";

let poison = "poison";

class Poisoned extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("poison");
    if (p !== null) poison = p;
  }
  onMessage(msg: AclMessage): void {
    const content = msg.content;
    if (content !== null && content.includes(poison)) unreachable();
    reply(msg, Performative.Inform, content);
  }
}

register(new Poisoned());

export * from "@caxton/sdk-assemblyscript/exports";
