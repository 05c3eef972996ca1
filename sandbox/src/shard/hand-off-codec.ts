/**
 * The hand-off between the bus thread and a shard worker, as flat arrays (pure, no I/O).
 *
 * `postMessage` deep-clones nested objects field by field; a flat array of strings and numbers
 * clones several times faster (measured: ~6.7 µs per delivery as nested objects, ~1.4 µs as a flat
 * array, both ways included — decision 1201). Work goes out and results come back in this form,
 * once per batch. Rare, irregular parts (an agent id with addresses, a crash's error details,
 * directory operations) travel as they are: the structured clone still carries them.
 *
 * A message shared by several deliveries of a batch (one message to many receivers) is encoded once
 * and referenced by index, so a batch stays O(receivers), not O(receivers²). A wide message (more
 * than `inlineReceivers` receivers) is moreover sent to a shard once for all its batches: the worker
 * keeps it by key (wide-messages.ts, decision 2003).
 *
 * A result that answers the work item at its own index (almost all of them) does not carry that
 * item's agent, work id and message id back: the bus side takes them from the batch it sent
 * (decision 2108), so they are neither cloned twice nor hashed again on the bus thread.
 */
import {
  TOPIC_PREFIX,
  messageTextUnits,
  type AclMessage,
  type AgentId,
  type Delivery,
  type HttpCall,
  type HttpRequestSpec,
  type StateWrite,
} from '@caxton/core';
import type { InstanceState, LogLine, Outcome, Work, WorkResult } from '../results.js';
import { NONE, messageIdOf, workIdOf } from '../results.js';
import { isWide, type Defined, type WideMessagesKept, type WideMessagesSent } from './wide-messages.js';

export type Flat = unknown[];

/**
 * The record being encoded, written cell by cell into one reused list and copied out whole at the
 * end (`finish`): growing a fresh list by `push` reallocated it about ten times for a batch of
 * ~60 deliveries — garbage several times the record's size (decision 2150). The copy is a packed
 * list, which postMessage clones densely (a list made at its final length is holey, and clones
 * item by item, 2-3x slower: measured). Encoding is synchronous and never nested, so one list
 * serves both directions of a thread.
 */
let record: unknown[] = [];
let recorded = 0;
let encoding = false;

/**
 * Cells a reused list keeps between records: past this (a batch of a thousand wide messages), the
 * list is dropped after the record and made again, so one burst does not hold its size for the
 * thread's life.
 */
const KEPT_CELLS = 65_536;

function begin(): void {
  // Never nested: a second record begun inside one would reset the first's cells under it.
  if (encoding) throw new Error('hand-off: a record was begun while another was being encoded (internal invariant broken)');
  encoding = true;
  recorded = 0;
}

function put(value: unknown): void {
  record[recorded++] = value;
}

/** The record as a list of its own; the reused cells are cleared. */
function finish(): Flat {
  const out = record.slice(0, recorded);
  abandon();
  return out;
}

/** Clears the reused cells (after `finish`, or when encoding threw): nothing of a record stays reachable. */
function abandon(): void {
  if (record.length > KEPT_CELLS) record = [];
  else record.fill(undefined, 0, recorded);
  recorded = 0;
  encoding = false;
}

// Presence bits of a message's optional fields, in encoding order.
const SENDER = 1;
const REPLY_TO = 2;
const CONTENT = 4;
const LANGUAGE = 8;
const ENCODING = 16;
const ONTOLOGY = 32;
const PROTOCOL = 64;
const CONVERSATION_ID = 128;
const REPLY_WITH = 256;
const IN_REPLY_TO = 512;
const REPLY_BY = 1024;
const USER_PARAMS = 2048;

function pushAgentId(id: AgentId): void {
  // Almost every id is a bare name: a string. Anything richer goes as the object itself.
  put(id.addresses === undefined && id.resolvers === undefined && id.userParams === undefined ? id.name : id);
}

function readAgentId(value: unknown): AgentId {
  return typeof value === 'string' ? { name: value } : (value as AgentId);
}

function pushAgentIds(ids: readonly AgentId[]): void {
  put(ids.length);
  for (let i = 0; i < ids.length; i++) pushAgentId(ids[i]!);
}

/** Writes `m` into the record being encoded (only inside `encodeWork` / `encodeResults`). */
function encodeMessage(m: AclMessage): void {
  let mask = 0;
  if (m.sender !== undefined) mask |= SENDER;
  if (m.replyTo !== undefined) mask |= REPLY_TO;
  if (m.content !== undefined) mask |= CONTENT;
  if (m.language !== undefined) mask |= LANGUAGE;
  if (m.encoding !== undefined) mask |= ENCODING;
  if (m.ontology !== undefined) mask |= ONTOLOGY;
  if (m.protocol !== undefined) mask |= PROTOCOL;
  if (m.conversationId !== undefined) mask |= CONVERSATION_ID;
  if (m.replyWith !== undefined) mask |= REPLY_WITH;
  if (m.inReplyTo !== undefined) mask |= IN_REPLY_TO;
  if (m.replyBy !== undefined) mask |= REPLY_BY;
  if (m.userParams !== undefined) mask |= USER_PARAMS;
  put(mask);
  put(m.performative);
  if (m.sender !== undefined) pushAgentId(m.sender);
  pushAgentIds(m.receivers);
  if (m.replyTo !== undefined) pushAgentIds(m.replyTo);
  if (m.content !== undefined) put(m.content);
  if (m.language !== undefined) put(m.language);
  if (m.encoding !== undefined) put(m.encoding);
  if (m.ontology !== undefined) put(m.ontology);
  if (m.protocol !== undefined) put(m.protocol);
  if (m.conversationId !== undefined) put(m.conversationId);
  if (m.replyWith !== undefined) put(m.replyWith);
  if (m.inReplyTo !== undefined) put(m.inReplyTo);
  if (m.replyBy !== undefined) put(m.replyBy);
  if (m.userParams !== undefined) {
    const keys = Object.keys(m.userParams);
    put(keys.length);
    for (const k of keys) {
      put(k);
      put(m.userParams[k]);
    }
  }
}

/** Reads a flat array front to back. */
export class FlatReader {
  private at = 0;
  constructor(private readonly flat: Flat) {}

  next(): unknown {
    if (this.at >= this.flat.length) throw new RangeError(`hand-off record ends early at ${this.at}`);
    return this.flat[this.at++];
  }

  string(): string {
    return this.next() as string;
  }

  number(): number {
    return this.next() as number;
  }

  get done(): boolean {
    return this.at === this.flat.length;
  }
}

function readAgentIds(r: FlatReader): AgentId[] {
  const n = r.number();
  const ids: AgentId[] = new Array<AgentId>(n);
  for (let i = 0; i < n; i++) ids[i] = readAgentId(r.next());
  return ids;
}

export function decodeMessage(r: FlatReader): AclMessage {
  const mask = r.number();
  const m = { performative: r.string() } as AclMessage;
  if (mask & SENDER) m.sender = readAgentId(r.next());
  m.receivers = readAgentIds(r);
  if (mask & REPLY_TO) m.replyTo = readAgentIds(r);
  if (mask & CONTENT) m.content = r.string();
  if (mask & LANGUAGE) m.language = r.string();
  if (mask & ENCODING) m.encoding = r.string();
  if (mask & ONTOLOGY) m.ontology = r.string();
  if (mask & PROTOCOL) m.protocol = r.string();
  if (mask & CONVERSATION_ID) m.conversationId = r.string();
  if (mask & REPLY_WITH) m.replyWith = r.string();
  if (mask & IN_REPLY_TO) m.inReplyTo = r.string();
  if (mask & REPLY_BY) m.replyBy = r.number();
  if (mask & USER_PARAMS) {
    const n = r.number();
    const params: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const k = r.string();
      const v = r.string();
      // Validation only lets `X-…` keys through, but a key must never reach the prototype.
      if (k === '__proto__') Object.defineProperty(params, k, { value: v, enumerable: true, writable: true, configurable: true });
      else params[k] = v;
    }
    m.userParams = params;
  }
  return m;
}

// Presence bits of an HTTP request's optional fields.
const BODY = 1;
const TIMEOUT = 2;
const CONTEXT = 4;
/** An A2A call's answer form (decision 2193): A2A_STREAM marks `a2a-stream`. */
const A2A = 8;
const A2A_STREAM = 16;

function encodeHttpCall(c: HttpCall): void {
  const q = c.request;
  const mask =
    (q.body !== undefined ? BODY : 0) |
    (q.timeoutMs !== undefined ? TIMEOUT : 0) |
    (q.context !== undefined ? CONTEXT : 0) |
    (q.a2a === 'a2a' ? A2A : q.a2a === 'a2a-stream' ? A2A_STREAM : 0);
  put(c.id);
  put(mask);
  put(q.method);
  put(q.url);
  put(q.headers.length);
  for (const [k, v] of q.headers) {
    put(k);
    put(v);
  }
  if (q.body !== undefined) put(q.body);
  if (q.timeoutMs !== undefined) put(q.timeoutMs);
  if (q.context !== undefined) put(q.context);
}

function decodeHttpCall(r: FlatReader): HttpCall {
  const id = r.string();
  const mask = r.number();
  const request: HttpRequestSpec = { method: r.string(), url: r.string(), headers: new Array<[string, string]>(r.number()) };
  for (let k = 0; k < request.headers.length; k++) request.headers[k] = [r.string(), r.string()];
  if (mask & BODY) request.body = r.string();
  if (mask & TIMEOUT) request.timeoutMs = r.number();
  if (mask & CONTEXT) request.context = r.string();
  if (mask & A2A) request.a2a = 'a2a';
  else if (mask & A2A_STREAM) request.a2a = 'a2a-stream';
  return { id, request };
}

// ---------- work (bus thread → shard) ----------

const MESSAGE_WORK = 0;
const TIMER_WORK = 1;

// How a batch's message table carries each message (wide-messages.ts, decision 2003).
const INLINE = 0; // encoded here, for this batch only
const KEEP = 1; // encoded here with a key; the worker keeps it for later batches
const KEPT = 2; // only the key: the worker already holds it

/**
 * [forgetAll, messageCount, ...messages, itemCount, ...items, forgetCount, ...forgetKeys];
 * deliveries refer to their message by index in the table. With `sent` (the shard's record of what
 * its worker keeps), a wide message crosses to a shard once, not once per batch; without it every
 * message is inline.
 */
export function encodeWork(batch: readonly Work[], sent?: WideMessagesSent): Flat {
  // Messages several deliveries of the batch may share, by identity: only a message to more than
  // one receiver, or one published to a topic (its deliveries share the message it names), can
  // be. A message to one agent has one delivery, so it is written inline without a map entry —
  // the map, and the identity hash it gave every message, were an allocation per delivery.
  let index: Map<AclMessage, number> | undefined;
  let count = 0;
  // The message table is written straight into the record after its two header cells (filled in
  // at the end); the items, which follow the whole table, wait in the reused `itemCells`.
  begin();
  put(0);
  put(0);
  let itemsAt = 0;
  const items = itemCells;
  const defined: Defined[] = [];
  let definedUnits = 0;
  const used: AclMessage[] = [];
  try {
    for (const w of batch) {
      if (w.kind === 'timer') {
        items[itemsAt++] = TIMER_WORK;
        items[itemsAt++] = w.agent;
        items[itemsAt++] = w.id;
        items[itemsAt++] = w.token;
        // -1: not given (nor a due time that is not a finite time: a due time is never negative).
        items[itemsAt++] = w.dueAt !== undefined && Number.isFinite(w.dueAt) && w.dueAt >= 0 ? w.dueAt : -1;
        continue;
      }
      const d = w.delivery;
      const shareable = mayBeShared(d.message);
      let i = shareable ? index?.get(d.message) : undefined;
      if (i === undefined) {
        i = count++;
        if (shareable) (index ??= new Map()).set(d.message, i);
        const wide = sent !== undefined && isWide(d.message);
        const key = wide ? sent.keyOf(d.message) : undefined;
        const units = wide && key === undefined ? messageTextUnits(d.message) : 0;
        if (key !== undefined) {
          put(KEPT);
          put(key);
          used.push(d.message);
        } else if (wide && sent.mayKeep(units, defined.length, definedUnits)) {
          // Within the bounds per batch, so the worker never holds more than twice them.
          const fresh = sent.reserve();
          defined.push([d.message, fresh, units]);
          definedUnits += units;
          put(KEEP);
          put(fresh);
          encodeMessage(d.message);
        } else {
          put(INLINE);
          encodeMessage(d.message);
        }
      }
      items[itemsAt++] = MESSAGE_WORK;
      items[itemsAt++] = w.agent;
      items[itemsAt++] = d.id;
      items[itemsAt++] = d.messageId;
      items[itemsAt++] = d.receiver;
      items[itemsAt++] = d.acceptedAt;
      items[itemsAt++] = i;
    }
    // Only a completely encoded batch changes what the bus side believes the worker keeps.
    const changes = sent?.commit(defined, used) ?? { forgetAll: false, forget: [] };
    record[0] = changes.forgetAll ? 1 : 0;
    record[1] = count;
    put(batch.length);
    for (let k = 0; k < itemsAt; k++) put(items[k]);
    put(changes.forget.length);
    for (const k of changes.forget) put(k);
    return finish();
  } finally {
    // Nothing of this batch stays reachable from the reused cells (its strings, its numbers).
    if (items.length > KEPT_CELLS) itemCells = [];
    else items.fill(undefined, 0, itemsAt);
    abandon();
  }
}

/** The work items' cells of the batch being encoded: one list for every batch (encodeWork is synchronous). */
let itemCells: unknown[] = [];

/** Can several deliveries of one batch carry this message (the same object)? */
function mayBeShared(m: AclMessage): boolean {
  return m.receivers.length !== 1 || m.receivers[0]!.name.startsWith(TOPIC_PREFIX);
}

/** Reads a batch; `kept` is the worker's store of wide messages, updated as the batch says. */
export function decodeWork(flat: Flat, kept?: WideMessagesKept): Work[] {
  const r = new FlatReader(flat);
  const forgetAll = r.number();
  if (forgetAll !== 0 && forgetAll !== 1) throw new RangeError('hand-off work record has a bad header');
  if (forgetAll === 1) kept?.clear();
  const messages: AclMessage[] = new Array<AclMessage>(r.number());
  for (let i = 0; i < messages.length; i++) {
    const how = r.number();
    if (how === INLINE) {
      messages[i] = decodeMessage(r);
      continue;
    }
    if (kept === undefined || (how !== KEEP && how !== KEPT))
      throw new RangeError(`hand-off message entry ${i} is neither inline nor kept by this reader`);
    const key = r.number();
    if (how === KEPT) {
      messages[i] = kept.get(key);
      continue;
    }
    const m = decodeMessage(r);
    kept.keep(key, m);
    messages[i] = m;
  }
  const n = r.number();
  const batch: Work[] = new Array<Work>(n);
  for (let i = 0; i < n; i++) {
    const kind = r.number();
    const agent = r.string();
    if (kind === TIMER_WORK) {
      const id = r.string();
      const token = r.string();
      const dueAt = r.number();
      batch[i] = dueAt < 0 ? { kind: 'timer', agent, id, token } : { kind: 'timer', agent, id, token, dueAt };
      continue;
    }
    const id = r.string();
    const messageId = r.string();
    const receiver = r.string();
    const acceptedAt = r.number();
    const message = messages[r.number()];
    if (message === undefined) throw new RangeError('hand-off work record refers to a message it does not hold');
    const delivery: Delivery = { id, messageId, receiver, acceptedAt, message };
    batch[i] = { kind: 'message', agent, delivery };
  }
  const forget = r.number();
  for (let i = 0; i < forget; i++) {
    const key = r.number();
    kept?.forget(key);
  }
  if (!r.done) throw new RangeError('hand-off work record has trailing data');
  return batch;
}

// ---------- results (shard → bus thread) ----------

const STATUS = ['ok', 'rejected', 'crashed', 'not-running', 'skipped'] as const;
const STATUS_CODE: Record<Outcome['status'], number> = { ok: 0, rejected: 1, crashed: 2, 'not-running': 3, skipped: 4 };
const STATES = ['idle', 'running', 'failed', 'stopped'] as const;
const STATE_CODE: Record<InstanceState, number> = { idle: 0, running: 1, failed: 2, stopped: 3 };

// How a result names its work (decision 2108). Almost every result answers the item at its own
// index in the batch with that item's agent, work id and message id: it then carries one number and
// the bus side takes the three strings from its own batch (strings it has already hashed), instead
// of three strings cloned on both threads and hashed again on the bus thread.
const NAMED = 0; // agent, workId and messageId follow
const AS_ITEM = 1; // the same three as the work item at this index

const sameAsItem = (res: WorkResult, w: Work | undefined): boolean =>
  w !== undefined && res.agent === w.agent && res.workId === workIdOf(w) && res.messageId === messageIdOf(w);

/**
 * [count, ...results]; with `batch` (the work the results answer, in order), a result naming the
 * item at its index carries AS_ITEM instead of the three strings.
 */
export function encodeResults(results: readonly WorkResult[], batch?: readonly Work[]): Flat {
  begin();
  try {
    put(results.length);
    for (let i = 0; i < results.length; i++) {
      const res = results[i]!;
      put(STATUS_CODE[res.status]);
      if (batch !== undefined && sameAsItem(res, batch[i])) {
        put(AS_ITEM);
      } else {
        put(NAMED);
        put(res.agent);
        put(res.workId);
        put(res.messageId);
      }
      const state = STATE_CODE[res.state];
      if (state === undefined) throw new RangeError(`hand-off result has an unknown agent state ${String(res.state)}`);
      put(res.fuelUsed);
      put(res.initFuelUsed);
      put(res.durationUs);
      put(state);
      put(res.restarts);
      put(res.droppedLogLines);
      // The first clock read's time, recorded with the commit (decision 2178); -1: none read.
      put(res.clockAt ?? -1);
      switch (res.status) {
        case 'ok':
          break;
        case 'crashed':
          put(res.kind);
          put(res.message);
          put(res.error);
          put(res.restartHistory);
          break;
        default:
          put(res.reason);
      }
      put(res.outbox.length);
      for (let k = 0; k < res.outbox.length; k++) encodeMessage(res.outbox[k]!);
      put(res.timers.length);
      for (const t of res.timers) {
        put(t.delayMs);
        put(t.token);
      }
      put(res.logs.length);
      for (const l of res.logs) {
        put(l.level);
        put(l.message);
        put(l.source);
        put(l.at);
      }
      // State writes: key then value (null for a delete) — plain strings, like the rest.
      put(res.stateWrites.length);
      for (const w of res.stateWrites) {
        put(w.key);
        put(w.value);
      }
      put(res.http.length);
      for (const c of res.http) encodeHttpCall(c);
      // Directory operations are rare and irregular: as they are.
      put(res.directory.length === 0 ? 0 : res.directory);
    }
    return finish();
  } finally {
    abandon();
  }
}

/** A decoded list of `n` entries to fill; `NONE` when there are none. */
function listOf<T>(n: number): T[] {
  return n === 0 ? NONE : new Array<T>(n);
}

/** Reads results; `batch` is the work they answer, as given to `encodeResults`. */
export function decodeResults(flat: Flat, batch?: readonly Work[]): WorkResult[] {
  const r = new FlatReader(flat);
  const n = r.number();
  const results: WorkResult[] = new Array<WorkResult>(n);
  for (let i = 0; i < n; i++) {
    const status = STATUS[r.number()];
    if (status === undefined) throw new RangeError('hand-off result record has an unknown status');
    const naming = r.number();
    let agent: string;
    let workId: string;
    let messageId: string | null;
    if (naming === AS_ITEM) {
      const w = batch?.[i];
      if (w === undefined) throw new RangeError(`hand-off result ${i} names work item ${i}, which this reader does not hold`);
      agent = w.agent;
      workId = workIdOf(w);
      messageId = messageIdOf(w);
    } else if (naming === NAMED) {
      agent = r.string();
      workId = r.string();
      messageId = r.next() as string | null;
    } else {
      throw new RangeError('hand-off result record has an unknown naming');
    }
    const fuelUsed = r.number();
    const initFuelUsed = r.number();
    const durationUs = r.number();
    const state = STATES[r.number()];
    if (state === undefined) throw new RangeError('hand-off result record has an unknown agent state');
    const restarts = r.number();
    const droppedLogLines = r.number();
    const clockAt = r.number();
    let outcome: unknown[] | null = null;
    if (status === 'crashed') outcome = [r.string(), r.string(), r.next(), r.next()];
    else if (status !== 'ok') outcome = [r.string()];
    // A list the call left empty is the shared frozen `NONE`, as on the shard (decision 2112): an
    // echo's result fills its outbox only, and five fresh empty lists per message were garbage.
    const outbox: AclMessage[] = listOf<AclMessage>(r.number());
    for (let k = 0; k < outbox.length; k++) outbox[k] = decodeMessage(r);
    const timers = listOf<{ delayMs: number; token: string }>(r.number());
    for (let k = 0; k < timers.length; k++) timers[k] = { delayMs: r.number(), token: r.string() };
    const logs = listOf<LogLine>(r.number());
    for (let k = 0; k < logs.length; k++)
      logs[k] = { level: r.string() as LogLine['level'], message: r.string(), source: r.string() as LogLine['source'], at: r.number() };
    const stateWrites = listOf<StateWrite>(r.number());
    for (let k = 0; k < stateWrites.length; k++) stateWrites[k] = { key: r.string(), value: r.next() as string | null };
    const http = listOf<HttpCall>(r.number());
    for (let k = 0; k < http.length; k++) http[k] = decodeHttpCall(r);
    const directory = r.next();
    // Every field in one literal, in one order: one object shape for all ok results (the others
    // add their outcome's fields after it).
    const res = {
      status,
      agent,
      workId,
      messageId,
      fuelUsed,
      initFuelUsed,
      durationUs,
      state,
      restarts,
      droppedLogLines,
      outbox,
      timers,
      logs,
      stateWrites,
      http,
      directory: directory === 0 ? NONE : (directory as WorkResult['directory']),
    } as WorkResult;
    // Set only when read, as on the shard: most handlings read no clock, and their results keep one shape.
    if (clockAt >= 0) res.clockAt = clockAt;
    if (outcome !== null) {
      const open = res as unknown as Record<string, unknown>;
      if (status === 'crashed') {
        open.kind = outcome[0];
        open.message = outcome[1];
        open.error = outcome[2];
        open.restartHistory = outcome[3];
      } else {
        open.reason = outcome[0];
      }
    }
    results[i] = res;
  }
  if (!r.done) throw new RangeError('hand-off result record has trailing data');
  return results;
}
