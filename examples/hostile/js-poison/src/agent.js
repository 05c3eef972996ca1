// HOSTILE TEST AGENT. Behaves like js-echo except that any message whose content contains the
// poison string (config `poison`, default "poison") makes it TRAP (not throw) every time.
//
// How JavaScript traps on purpose: the component has no WASI (stubbed imports that execute
// `unreachable`), and the SDK prelude only wraps Date; the engine's own Date.now() is still
// reachable as the prototype of the wrapper and goes straight to the stubbed WASI clock.
import { defineAgent, configValue, reply } from '@caxton/sdk-js';

let poison = 'poison';
const engineDate = Object.getPrototypeOf(Date);

export const guest = defineAgent({
  init() {
    poison = configValue('poison') ?? poison;
  },
  onMessage(msg) {
    if ((msg.content ?? '').includes(poison)) engineDate.now(); // traps: stubbed wasi:clocks
    reply(msg, 'inform', msg.content);
  },
});
