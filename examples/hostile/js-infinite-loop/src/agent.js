// HOSTILE TEST AGENT. Spins forever: in handle (default), or in init / on-timer when config
// `spin-in` says so. The QuickJS interpreter loop must be stopped by fuel or wall-clock limits.
import { defineAgent, configValue } from '@caxton/sdk-js';

let spins = 0;
let spinIn = 'message';
function spin() {
  for (;;) spins++;
}

export const guest = defineAgent({
  init() {
    spinIn = configValue('spin-in') ?? spinIn;
    if (spinIn === 'init') spin();
  },
  onMessage() {
    if (spinIn === 'message') spin();
  },
  onTimer() {
    if (spinIn === 'timer') spin();
  },
});
