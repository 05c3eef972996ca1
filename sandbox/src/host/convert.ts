/**
 * Conversions between the runtime's ACL types (acl/message.ts) and the world's values, and the
 * size measure used for message limits and host-call fuel. Pure.
 */
import type { AclMessage, AgentId } from '@caxton/core';
import { MESSAGE_INFO_LIMITS, RECEIVER_COUNT_PARAM, TRACEPARENT_PARAM, TRACESTATE_PARAM } from '@caxton/core';
import type { WitAclMessage, WitAgentId, WitServiceDescription } from './wit-values.js';

export function agentIdToWit(id: AgentId): WitAgentId {
  return { name: id.name, addresses: id.addresses && id.addresses.length > 0 ? [...id.addresses] : NO_ADDRESSES };
}

const NO_ADDRESSES: string[] = [];

export function agentIdFromWit(id: WitAgentId): AgentId {
  return id.addresses.length > 0 ? { name: id.name, addresses: [...id.addresses] } : { name: id.name };
}

const opt = <T>(v: T | null | undefined): T | undefined => (v === null || v === undefined ? undefined : v);

const NONE: never[] = [];

/**
 * The world value of each message recently converted, by message object. The deliveries of one
 * multi-receiver message share one AclMessage (and a batch posted to a shard keeps that sharing:
 * structured clone copies a shared object once), so converting it once instead of once per
 * receiver removes a list of N agent ids per delivery (decision 1202). Weak: nothing is kept
 * alive. The world value is only read (lowering, jco glue), never changed.
 */
const converted = new WeakMap<AclMessage, WitAclMessage>();
/** The same for narrowed messages (decision 2001), receivers left out. */
const narrowed = new WeakMap<AclMessage, WitAclMessage>();

/**
 * An incoming message as the guest sees it. Resolvers and agent-id user slots do not cross.
 *
 * A message with more than `MESSAGE_INFO_LIMITS.inlineReceivers` receivers is narrowed (decision
 * 2001): `receivers` is only `self` (the delivery's own receiver entry, `narrowedReceiver`) and the
 * count rides in `RECEIVER_COUNT_PARAM`; the full list stays host-side, paged by
 * `caxton:agent/message-info`. Lowering N names into each of N receivers was the O(N²) of a
 * multi-receiver message (decision 1202). Without `self` (tests, tools) the message is converted whole.
 */
export function messageToWit(m: AclMessage, self?: readonly WitAgentId[]): WitAclMessage {
  // One receiver, one delivery: nothing can share the conversion, and a WeakMap entry per message
  // costs more than the conversion (an ephemeron the GC traces on every cycle).
  if (m.receivers.length < 2) return convertMessage(m);
  if (self !== undefined && isNarrowed(m)) {
    let shared = narrowed.get(m);
    if (shared === undefined) narrowed.set(m, (shared = convertNarrowed(m)));
    // The shared value has no receivers; each delivery gets its own shallow copy (14 fields) with
    // its agent's id, which costs far less than one agent id lowered per receiver.
    return { ...shared, receivers: self as WitAgentId[] };
  }
  let wit = converted.get(m);
  if (wit === undefined) converted.set(m, (wit = convertMessage(m)));
  return wit;
}

/** Each narrowed message's receiver entries by local agent name, built once per message (weak). */
const entriesByName = new WeakMap<AclMessage, Map<string, readonly WitAgentId[]>>();

/**
 * The entry of a narrowed message's receivers that the delivery to `receiver` (a local agent name,
 * the mailbox's) came through, as a one-element list: what the agent reads as `receivers`. Its own
 * entry, not the instance's identity: a replica runs as `name#r2@p` (not addressable, decision 2010)
 * and a node's identity carries its transport addresses, so neither equals the entry the paged list
 * shows. One map per message (O(N) once) keeps each delivery O(1). `undefined` when no entry names
 * the agent (it was reached through a topic, decision 1961).
 */
export function narrowedReceiver(m: AclMessage, receiver: string, platform: string | undefined): readonly WitAgentId[] | undefined {
  let byName = entriesByName.get(m);
  if (byName === undefined) {
    byName = new Map();
    const suffix = platform === undefined ? undefined : `@${platform}`;
    for (const r of m.receivers) {
      const local = suffix !== undefined && r.name.endsWith(suffix) ? r.name.slice(0, -suffix.length) : r.name;
      if (!byName.has(local)) byName.set(local, Object.freeze([agentIdToWit(r)]));
    }
    entriesByName.set(m, byName);
  }
  return byName.get(receiver);
}

/** Is `m` delivered with its receiver list narrowed to the receiving agent (decision 2001)? */
export function isNarrowed(m: AclMessage): boolean {
  return m.receivers.length > MESSAGE_INFO_LIMITS.inlineReceivers;
}

/**
 * The shared part of a narrowed message: no receivers, and the count as a user parameter (a
 * sender's own parameter of that name is replaced: the count is the runtime's word).
 */
function convertNarrowed(m: AclMessage): WitAclMessage {
  // The runtime's pair first: an SDK that returns the first match reads it whatever else is there.
  const params: [string, string][] = [[RECEIVER_COUNT_PARAM, String(m.receivers.length)]];
  if (m.userParams) params.push(...userParamsOf(m.userParams));
  return { ...convertMessage({ ...m, receivers: [] }), userParams: params };
}

const COUNT_PARAM_LOWER = RECEIVER_COUNT_PARAM.toLowerCase();

/**
 * Does `key` name one of `lowered` under any SDK's comparison? ASCII case-insensitively (Rust, AS,
 * JS, Python) and under Unicode case folding (Go's `strings.EqualFold` takes `ſ` for `s`):
 * upper-casing first maps such letters (`ſ`, dotless `ı`) onto their ASCII ones, so a sender cannot
 * slip a parameter past a filter with a look-alike key (review of decision 2001).
 */
function foldsTo(key: string, lowered: readonly string[]): boolean {
  const a = key.toLowerCase();
  if (lowered.includes(a)) return true;
  const b = key.toUpperCase().toLowerCase();
  return b !== a && lowered.includes(b);
}

const TRACE_KEYS = [TRACEPARENT_PARAM.toLowerCase(), TRACESTATE_PARAM.toLowerCase()];
/** A sender's own count (decision 2001) and the trace context (decision 2202). */
const HIDDEN_KEYS = [COUNT_PARAM_LOWER, ...TRACE_KEYS];

/** X-traceparent or X-tracestate, under any SDK's comparison. */
const isTraceKey = (key: string): boolean => foldsTo(key, TRACE_KEYS);

/**
 * The user parameters as the guest sees them: without a sender's own `X-caxton-receivers` (in any
 * case or case folding: SDKs compare keys case-insensitively, as FIPA does), at any receiver count,
 * so the parameter an agent reads is only ever the runtime's count (decision 2001); without the
 * trace context, the runtime's to carry (decision 2202).
 */
function userParamsOf(params: Record<string, string>): [string, string][] {
  const out = Object.entries(params);
  for (const [k] of out) {
    if (isHidden(k)) return out.filter(([key]) => !isHidden(key));
  }
  return out;
}

/** A sender's own count, or the trace context: the runtime's, carried on by the host, never the guest's to read. */
function isHidden(key: string): boolean {
  return foldsTo(key, HIDDEN_KEYS);
}

/**
 * A message a guest sends, without trace context of its own (any case or folding): the runtime
 * gives each sent message the handling's context, or none (decision 2202), so a guest can neither
 * forge a trace, force one to be sampled, nor send a case variant beside the runtime's key.
 */
export function withoutGuestTraceContext(m: AclMessage): AclMessage {
  const params = m.userParams;
  if (params === undefined || !Object.keys(params).some(isTraceKey)) return m;
  const kept = Object.entries(params).filter(([key]) => !isTraceKey(key));
  if (kept.length === 0) delete m.userParams;
  else m.userParams = Object.fromEntries(kept);
  return m;
}

/** reply-by as the world carries it: whole milliseconds, never negative. */
export function replyByToWit(replyBy: number | undefined): bigint | undefined {
  return replyBy === undefined ? undefined : BigInt(Math.max(0, Math.trunc(replyBy)));
}

/** The user parameters as the guest sees them (without a sender's own receiver count, above). */
export function userParamsToWit(params: Record<string, string>): [string, string][] {
  return userParamsOf(params);
}

function convertMessage(m: AclMessage): WitAclMessage {
  return {
    performative: m.performative,
    sender: m.sender ? agentIdToWit(m.sender) : undefined,
    receivers: m.receivers.map(agentIdToWit),
    replyTo: m.replyTo && m.replyTo.length > 0 ? m.replyTo.map(agentIdToWit) : NONE,
    content: m.content,
    language: m.language,
    encoding: m.encoding,
    ontology: m.ontology,
    protocol: m.protocol,
    conversationId: m.conversationId,
    replyWith: m.replyWith,
    inReplyTo: m.inReplyTo,
    replyBy: replyByToWit(m.replyBy),
    userParams: m.userParams ? userParamsOf(m.userParams) : NONE,
  };
}

/**
 * A message the guest sent. The guest's `sender` is ignored (the bus stamps it); reply-by beyond
 * 2^53 ms cannot be represented and is reported by `validateOutgoing`.
 */
export function messageFromWit(w: WitAclMessage): AclMessage {
  const m: AclMessage = { performative: w.performative, receivers: w.receivers.map(agentIdFromWit) };
  if (w.replyTo.length > 0) m.replyTo = w.replyTo.map(agentIdFromWit);
  const content = opt(w.content);
  if (content !== undefined) m.content = content;
  const language = opt(w.language);
  if (language !== undefined) m.language = language;
  const encoding = opt(w.encoding);
  if (encoding !== undefined) m.encoding = encoding;
  const ontology = opt(w.ontology);
  if (ontology !== undefined) m.ontology = ontology;
  const protocol = opt(w.protocol);
  if (protocol !== undefined) m.protocol = protocol;
  const conversationId = opt(w.conversationId);
  if (conversationId !== undefined) m.conversationId = conversationId;
  const replyWith = opt(w.replyWith);
  if (replyWith !== undefined) m.replyWith = replyWith;
  const inReplyTo = opt(w.inReplyTo);
  if (inReplyTo !== undefined) m.inReplyTo = inReplyTo;
  const replyBy = opt(w.replyBy);
  if (replyBy !== undefined) m.replyBy = Number(replyBy);
  if (w.userParams.length > 0) m.userParams = Object.fromEntries(w.userParams);
  return m;
}

function idSize(id: WitAgentId): number {
  let n = id.name.length;
  for (const a of id.addresses) n += a.length;
  return n;
}

/** Size of a message in UTF-16 code units of its strings (plus 8 per reply-by): the limit measure. */
export function witMessageSize(w: WitAclMessage): number {
  let n = w.sender ? idSize(w.sender) : 0;
  for (const r of w.receivers) n += idSize(r);
  for (const r of w.replyTo) n += idSize(r);
  for (const s of [w.content, w.language, w.encoding, w.ontology, w.protocol, w.conversationId, w.replyWith, w.inReplyTo]) {
    if (s) n += s.length;
  }
  if (w.replyBy !== undefined && w.replyBy !== null) n += 8;
  for (const [k, v] of w.userParams) n += k.length + v.length;
  return n;
}

export function witServiceSize(s: WitServiceDescription): number {
  let n = s.name.length + s.type.length;
  for (const list of [s.protocols, s.ontologies, s.languages]) for (const x of list) n += x.length;
  for (const [k, v] of s.properties) n += k.length + v.length;
  return n;
}
