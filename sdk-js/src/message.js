// ACL messages as plain objects, shaped like the WIT record acl-message (camelCase fields):
//   { performative, sender, receivers, replyTo, content, language, encoding, ontology, protocol,
//     conversationId, replyWith, inReplyTo, replyBy, userParams: [[key, value], …] }
// Absent options are null/undefined; replyBy is milliseconds since the epoch.

/** The 22 FIPA communicative acts, in WIT order. */
export const PERFORMATIVES = Object.freeze([
  'accept-proposal', 'agree', 'cancel', 'cfp', 'confirm', 'disconfirm', 'failure', 'inform',
  'inform-if', 'inform-ref', 'not-understood', 'propagate', 'propose', 'proxy', 'query-if',
  'query-ref', 'refuse', 'reject-proposal', 'request', 'request-when', 'request-whenever',
  'subscribe',
]);

const OPTIONAL = ['content', 'language', 'encoding', 'ontology', 'protocol', 'conversationId', 'replyWith', 'inReplyTo'];

/** An agent identifier from a name or an { name, addresses } object. */
export function agentId(id) {
  if (typeof id === 'string') return { name: id, addresses: [] };
  return { name: id.name, addresses: id.addresses ?? [] };
}

/** A complete message from a partial one: lists default to [], absent options to null. */
export function message(fields) {
  if (!PERFORMATIVES.includes(fields.performative)) {
    throw new TypeError(`not a FIPA performative: ${fields.performative}`);
  }
  const m = {
    performative: fields.performative,
    sender: fields.sender ? agentId(fields.sender) : null,
    receivers: (fields.receivers ?? []).map(agentId),
    replyTo: (fields.replyTo ?? []).map(agentId),
    replyBy: fields.replyBy ?? null,
    userParams: fields.userParams
      ? (Array.isArray(fields.userParams) ? fields.userParams : Object.entries(fields.userParams))
      : [],
  };
  for (const k of OPTIONAL) m[k] = fields[k] ?? null;
  return m;
}

/** The record exactly as the host import expects it. */
export function toWire(m) {
  const full = message(m);
  if (full.replyBy !== null) full.replyBy = Math.trunc(full.replyBy);
  return full;
}

/** A user parameter's value (keys compare case-insensitively, as in FIPA), or undefined. */
export function param(m, key) {
  const k = key.toLowerCase();
  return m.userParams?.find(([name]) => name.toLowerCase() === k)?.[1];
}

/**
 * How many receivers `m` was sent to: its `X-caxton-receivers` when the delivery carries only this
 * agent's id (more than 16 receivers, decision 2001), else the length of its list. No host call.
 */
export function receiverCount(m) {
  const n = param(m, 'X-caxton-receivers');
  return n === undefined ? m.receivers.length : Number(n);
}

/** Sets (or replaces) a user parameter; the `X-` prefix FIPA requires is added if missing. */
export function setParam(m, key, value) {
  const k = /^x-/i.test(key) ? key : `X-${key}`;
  m.userParams ??= [];
  const i = m.userParams.findIndex(([name]) => name.toLowerCase() === k.toLowerCase());
  if (i >= 0) m.userParams[i] = [k, value];
  else m.userParams.push([k, value]);
  return m;
}

/** True when `m` has a reply-by deadline that has passed at `nowMs`. */
export function isExpired(m, nowMs) {
  return m.replyBy !== undefined && m.replyBy !== null && nowMs > Number(m.replyBy);
}
