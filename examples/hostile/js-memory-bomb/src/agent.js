// HOSTILE TEST AGENT. By default keeps allocating 1 MiB strings in one handle call until memory
// runs out (QuickJS throws "out of memory", or its allocator's failed memory.grow traps). With
// config `leak-kb-per-message` = N it leaks N KiB per message instead and answers with the total.
import { defineAgent, configValue, reply } from '@caxton/sdk-js';

const hoard = [];
let heldKb = 0;
let leakKb = 0;

function grab(kb) {
  // A fresh string per block (not shared slices) so the memory is really held.
  hoard.push(`${hoard.length}:`.padEnd(kb * 1024, 'x'));
  heldKb += kb;
}

export const guest = defineAgent({
  init() {
    leakKb = Number(configValue('leak-kb-per-message') ?? 0);
  },
  onMessage(msg) {
    if (leakKb > 0) grab(leakKb);
    else for (;;) grab(1024);
    reply(msg, 'inform', String(heldKb));
  },
});
