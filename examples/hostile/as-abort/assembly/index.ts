// HOSTILE TEST AGENT. Throws on every message. In AssemblyScript `throw` is an abort: the SDK
// logs "abort: <message> at <file>:<line>:<col>" at error level, then traps. A crash, not an error.
import { Agent, AclMessage, register } from "@caxton/sdk-assemblyscript";

class Aborter extends Agent {
  onMessage(msg: AclMessage): void {
    throw new Error("as-abort: deliberate abort on " + (msg.content !== null ? msg.content! : "(no content)"));
  }
}

register(new Aborter());

export * from "@caxton/sdk-assemblyscript/exports";
