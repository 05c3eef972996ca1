// The agent programming model for JavaScript:
//
//   import { defineAgent, reply } from '@caxton/sdk-js';
//   export const guest = defineAgent({
//     init(ctx) { … },                 // optional
//     onMessage(msg) { reply(msg, 'inform', msg.content); },
//     onTimer(token) { … },            // optional
//   });
//
// Throwing from a handler is an application-level error: the runtime answers the sender with
// `failure` (the message is not retried). A trap (stack overflow, out of memory, fuel) is a
// crash: the instance is replaced and the message retried.
import { notUnderstood } from './reply.js';

let selfId = { name: '', addresses: [] };
let config = new Map();

/** This agent's identifier (valid from init on). */
export function self() {
  return selfId;
}

/** A deployment configuration value (from init-context), or undefined. */
export function configValue(key) {
  return config.get(key);
}

// componentize-qjs turns a thrown string into result::err; keep the message of Error objects.
function asErrorString(e) {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  return String(e);
}

function guarded(fn) {
  return (...args) => {
    try {
      fn(...args);
    } catch (e) {
      throw asErrorString(e);
    }
  };
}

export function defineAgent({ init, onMessage, onTimer } = {}) {
  return {
    init: guarded((ctx) => {
      selfId = ctx.self;
      config = new Map(ctx.config);
      init?.(ctx);
    }),
    handle: guarded((msg) => {
      if (onMessage) return onMessage(msg);
      // FIPA: answer what you cannot process, but never bounce not-understood/failure back.
      if (msg.performative !== 'not-understood' && msg.performative !== 'failure') notUnderstood(msg, 'no handler');
    }),
    onTimer: guarded((token) => onTimer?.(token)),
  };
}
