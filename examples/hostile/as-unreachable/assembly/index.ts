// HOSTILE TEST AGENT. Executes the wasm `unreachable` instruction on every message: a trap with no
// log line first (unlike as-abort).
import { Agent, AclMessage, register } from "@caxton/sdk-assemblyscript";

class Unreachable extends Agent {
  onMessage(msg: AclMessage): void {
    unreachable();
  }
}

register(new Unreachable());

export * from "@caxton/sdk-assemblyscript/exports";
