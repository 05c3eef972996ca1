// TEST AGENT: a sink. It handles every message by counting it and sends, logs and answers nothing,
// so a benchmark's receivers cost only the delivery itself (the fan-out benchmark's 1,000 receivers).
import { Agent, AclMessage, register } from "@caxton/sdk-assemblyscript";

let received: i64 = 0;

class Sink extends Agent {
  onMessage(msg: AclMessage): void {
    received++;
  }
}

register(new Sink());

export * from "@caxton/sdk-assemblyscript/exports";
