// HOSTILE TEST AGENT. Recurses without bound on every message until the engine's stack limit
// traps ("call stack exhausted"). Not a tail call, so the optimiser cannot turn it into a loop.
import { Agent, AclMessage, register } from "@caxton/sdk-assemblyscript";

let deepest: i32 = 0;

function descend(depth: i32): i32 {
  if (depth > deepest) deepest = depth;
  return descend(depth + 1) + 1;
}

class DeepRecursion extends Agent {
  onMessage(msg: AclMessage): void {
    descend(0);
  }
}

register(new DeepRecursion());

export * from "@caxton/sdk-assemblyscript/exports";
