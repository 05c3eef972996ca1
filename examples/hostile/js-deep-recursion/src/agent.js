// HOSTILE TEST AGENT. Recurses without bound on every message. The interpreter recursion exhausts
// the engine's (V8's) wasm stack before QuickJS's own stack check fires, so this is a trap
// (RangeError: Maximum call stack size exceeded) rather than a catchable JavaScript error.
import { defineAgent } from '@caxton/sdk-js';

let deepest = 0;
function descend(depth) {
  if (depth > deepest) deepest = depth;
  return descend(depth + 1) + 1;
}

export const guest = defineAgent({
  onMessage() {
    descend(0);
  },
});
