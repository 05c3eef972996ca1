// A counter whose count lives in the agent's durable state (caxton:agent/state), not in memory:
//   request (any content)  -> inform "<new count>"
//   query-ref "count"      -> inform "<count>"
// The increment is committed together with the handling of the request, so after a crash, restart
// or upgrade the counter resumes exactly where the last completed request left it. Importing
// '@caxton/sdk-js/state' is what makes this component import caxton:agent/state.
import { defineAgent, reply, notUnderstood } from '@caxton/sdk-js';
import { state } from '@caxton/sdk-js/state';

const count = () => Number(state.get('count') ?? '0');

export const guest = defineAgent({
  init() {
    // init may read state (not write it): say where we resume from.
    console.log(`resuming at count ${count()}`);
  },
  onMessage(msg) {
    if (msg.performative === 'request') {
      const next = count() + 1;
      state.set('count', String(next)); // a StateError (e.g. quota-exceeded) becomes a `failure` reply
      return void reply(msg, 'inform', String(next));
    }
    if (msg.performative === 'query-ref') return void reply(msg, 'inform', String(count()));
    if (msg.performative !== 'not-understood' && msg.performative !== 'failure') {
      notUnderstood(msg, 'send request (to count) or query-ref count');
    }
  },
});
