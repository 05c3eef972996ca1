// Initiating fipa-request (SC00026) and fipa-query (SC00027). The participant side is the answer
// helpers in reply.js: agree/refuse, then informDone/informResult/failure.
import { send } from '../host.js';
import { initiate } from '../reply.js';

export const REQUEST = 'fipa-request';
export const QUERY = 'fipa-query';

/** Asks `receiver` to perform an action; returns the request (its conversationId tracks it). */
export function request(receiver, content, options = {}) {
  const m = initiate('request', [receiver], content, { protocol: REQUEST, ...options });
  send(m);
  return m;
}

/** Asks for the object(s) matching a referential expression (answered by inform). */
export function queryRef(receiver, content, options = {}) {
  const m = initiate('query-ref', [receiver], content, { protocol: QUERY, ...options });
  send(m);
  return m;
}

/** Asks whether a proposition is true (answered by inform). */
export function queryIf(receiver, content, options = {}) {
  const m = initiate('query-if', [receiver], content, { protocol: QUERY, ...options });
  send(m);
  return m;
}
