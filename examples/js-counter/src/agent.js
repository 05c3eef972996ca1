// Counter: state that lives across messages in one agent instance.
//   request "increment" | "add <n>" | "reset"  -> inform "<value>"
//   query-ref "value"                           -> inform "<value>"
// Anything else gets not-understood. Config "start" sets the initial value.
import { defineAgent, configValue, informResult, refuse, notUnderstood } from '@caxton/sdk-js';

let value = 0;

export const guest = defineAgent({
  init() {
    const start = configValue('start');
    if (start !== undefined) {
      if (!/^-?\d+$/.test(start)) throw new Error(`config start must be an integer, got ${start}`);
      value = Number(start);
    }
  },
  onMessage(msg) {
    const content = (msg.content ?? '').trim();
    if (msg.performative === 'query-ref' && content === 'value') return informResult(msg, String(value));
    if (msg.performative === 'request') {
      if (content === 'increment') value++;
      else if (content === 'reset') value = 0;
      else if (/^add -?\d+$/.test(content)) value += Number(content.slice(4));
      else return refuse(msg, `unknown action: ${content}`);
      return informResult(msg, String(value));
    }
    if (msg.performative !== 'not-understood' && msg.performative !== 'failure') {
      notUnderstood(msg, 'send request (increment | add <n> | reset) or query-ref value');
    }
  },
});
