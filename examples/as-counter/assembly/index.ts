// Counter: state that lives across messages in one agent instance.
//   request "increment" | "add <n>" | "reset"  -> agree is implicit; inform-done "<value>"
//   query-ref "value"                           -> inform "<value>"
// Anything else gets not-understood. Config "start" sets the initial value.
import {
  Agent, AclMessage, InitContext, Performative, register, informResult, notUnderstood, refuse, fail,
} from "@caxton/sdk-assemblyscript";

class Counter extends Agent {
  value: i64 = 0;

  onInit(ctx: InitContext): void {
    const start = ctx.get("start");
    if (start !== null) {
      const n = I64.parseInt(start);
      if (n.toString() != start) {
        fail("config start must be an integer, got " + start);
        return;
      }
      this.value = n;
    }
  }

  onMessage(msg: AclMessage): void {
    const content = msg.content !== null ? msg.content!.trim() : "";
    if (msg.performative == Performative.QueryRef && content == "value") {
      informResult(msg, this.value.toString());
    } else if (msg.performative == Performative.Request) {
      if (content == "increment") {
        this.value++;
      } else if (content == "reset") {
        this.value = 0;
      } else if (content.startsWith("add ")) {
        const arg = content.substr(4);
        const n = I64.parseInt(arg);
        if (n.toString() != arg) {
          refuse(msg, "add needs an integer, got " + arg);
          return;
        }
        this.value += n;
      } else {
        refuse(msg, "unknown action: " + content);
        return;
      }
      informResult(msg, this.value.toString());
    } else if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
      notUnderstood(msg, "send request (increment | add <n> | reset) or query-ref value");
    }
  }
}

register(new Counter());

export * from "@caxton/sdk-assemblyscript/exports";
