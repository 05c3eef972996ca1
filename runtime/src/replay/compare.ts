/**
 * What a replayed handling did against what the log recorded of it (issue 57), pure: the sends
 * (receivers, performative, content and the other fields an agent sets), the agent's own state
 * writes, the timers it set and the HTTP requests it made, and whether it completed at all. The
 * runtime's bookkeeping in the recorded commit (pending-call records, timer records, done markers)
 * is read as what it records — a timer, a request — never compared as state.
 */
import {
  httpPendingStateKey,
  isAgentOwnedStateKey,
  TRACEPARENT_PARAM,
  TRACESTATE_PARAM,
  type AclMessage,
  type StateWrite,
} from '@caxton/core';
import type { HttpCall } from '@caxton/core';
import type { TimerRequest } from '@caxton/sandbox';
import { timerIntentOf } from '../bus/plan/timer-intents.js';

/** One way a replayed handling differs from its record. */
export interface Difference {
  what: 'outcome' | 'sends' | 'state' | 'timers' | 'http';
  /** What the log recorded, and what the replay did (compact, comparable forms). */
  recorded: unknown;
  replayed: unknown;
}

/** A message as compared: what the agent chose, without what the bus stamps (sender, platform). */
export function comparableSend(m: AclMessage, platform: string | undefined): Record<string, unknown> {
  const qualify = (name: string): string => (platform === undefined || name.includes('@') ? name : `${name}@${platform}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (skipped(key, value)) continue;
    if ((key === 'receivers' || key === 'replyTo') && Array.isArray(value)) {
      out[key] = (value as { name: string }[]).map((r) => qualify(r.name));
      continue;
    }
    out[key] = key === 'userParams' ? ownParams(value as Record<string, string>) : value;
  }
  return out;
}

/** The agent's own writes (reserved bookkeeping left out), as a key → value map in write order. */
export function ownWrites(writes: readonly StateWrite[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const w of writes) if (isAgentOwnedStateKey(w.key)) out.set(w.key, w.value);
  return out;
}

/** The timers a recorded commit set (its timer records), in order. */
export function recordedTimers(writes: readonly StateWrite[]): TimerRequest[] {
  const out: TimerRequest[] = [];
  for (const w of writes) {
    if (w.value === null) continue;
    const intent = timerIntentOf(w.key, w.value);
    if (intent !== undefined) out.push({ token: intent.token, delayMs: intent.delayMs });
  }
  return out;
}

const PENDING_PREFIX = httpPendingStateKey('');

/** The HTTP requests a recorded commit started (its pending-call records): id, method, url, context. */
export function recordedHttp(writes: readonly StateWrite[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const w of writes) {
    if (w.value === null || !w.key.startsWith(PENDING_PREFIX)) continue;
    try {
      const r = JSON.parse(w.value) as { method?: unknown; url?: unknown; context?: unknown };
      out.push({ id: w.key.slice(PENDING_PREFIX.length), method: r.method, url: r.url, context: r.context ?? null });
    } catch {
      out.push({ id: w.key.slice(PENDING_PREFIX.length), unreadable: true });
    }
  }
  return out;
}

/** A replayed call as its pending-call record would say it. */
export function replayedHttp(calls: readonly HttpCall[]): Record<string, unknown>[] {
  return calls.map((c) => ({ id: c.id, method: c.request.method, url: c.request.url, context: c.request.context ?? null }));
}

export interface ReplayedEffects {
  completed: boolean;
  /** `ok`, `rejected: <reason>`, or the crash (`crashed <kind>: <message>`). */
  outcome: string;
  outbox: readonly AclMessage[];
  stateWrites: readonly StateWrite[];
  timers: readonly TimerRequest[];
  http: readonly HttpCall[];
}

export interface RecordedEffects {
  sends: readonly AclMessage[];
  /** Each recorded send's index in the outbox (the log holds no message to an API caller or another platform). */
  sendIndexes: readonly number[];
  /**
   * Whether a receiver name is an agent of the node the log is (its messages would be in the log):
   * a replayed send to one at an outbox index the log holds nothing for is a send the recorded
   * version did not make. Absent: such sends are not compared.
   */
  isLocal?: (name: string) => boolean;
  state: readonly StateWrite[];
  /** Where timers set by this agent are recorded in its commits (not for kind instances and replica workers). */
  timersRecorded: boolean;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Fields the bus stamps or that mean nothing when empty: not the agent's choice. */
function skipped(key: string, value: unknown): boolean {
  if (key === 'sender' || value === undefined) return true;
  if (key === 'replyTo') return Array.isArray(value) && value.length === 0;
  if (key === 'userParams')
    return value !== null && typeof value === 'object' && Object.keys(ownParams(value as Record<string, string>)).length === 0;
  return false;
}

/**
 * A message's parameters without the trace context the node stamps on what an agent sends
 * (X-traceparent, X-tracestate): it describes the run, not the message (as idempotent-sends.ts).
 */
function ownParams(params: Record<string, string>): Record<string, string> {
  if (!(TRACEPARENT_PARAM in params) && !(TRACESTATE_PARAM in params)) return params;
  const { [TRACEPARENT_PARAM]: _tp, [TRACESTATE_PARAM]: _ts, ...own } = params;
  return own;
}

/**
 * Whether two messages are the same as `comparableSend` sees them, without building either form:
 * this runs for every send of every handling replayed, and almost all are the same.
 */
export function sameSend(a: AclMessage, b: AclMessage, platform: string | undefined): boolean {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  let keys = 0;
  for (const key in ra) {
    const va = ra[key];
    if (skipped(key, va)) continue;
    keys++;
    const vb = rb[key];
    if (key === 'receivers' || key === 'replyTo') {
      if (!sameNames(va, vb, platform)) return false;
    } else if (key === 'userParams') {
      if (JSON.stringify(ownParams(va as Record<string, string>)) !== JSON.stringify(ownParams((vb ?? {}) as Record<string, string>)))
        return false;
    } else if (va !== vb && !(typeof va === 'object' && JSON.stringify(va) === JSON.stringify(vb))) {
      return false;
    }
  }
  for (const key in rb) if (!skipped(key, rb[key])) keys--;
  return keys === 0;
}

function sameNames(a: unknown, b: unknown, platform: string | undefined): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const qualify = (name: string): string => (platform === undefined || name.includes('@') ? name : `${name}@${platform}`);
  for (let i = 0; i < a.length; i++)
    if (qualify((a[i] as { name: string }).name) !== qualify((b[i] as { name: string }).name)) return false;
  return true;
}

/** Replayed sends to agents of the node at outbox indexes the log holds nothing for: the recorded version did not make them. */
function extraLocalSends(recorded: RecordedEffects, outbox: readonly AclMessage[]): AclMessage[] {
  const isLocal = recorded.isLocal;
  if (isLocal === undefined || outbox.length <= recorded.sendIndexes.length) return [];
  const held = new Set(recorded.sendIndexes);
  const out: AclMessage[] = [];
  for (let i = 0; i < outbox.length; i++) {
    if (held.has(i)) continue;
    if (outbox[i]!.receivers.some((r) => isLocal(r.name))) out.push(outbox[i]!);
  }
  return out;
}

/** Whether two handlings wrote the same own state (reserved bookkeeping left out). */
function sameOwnWrites(a: ReadonlyMap<string, string | null>, b: ReadonlyMap<string, string | null>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (!b.has(key) || b.get(key) !== value) return false;
  return true;
}

/** Every difference between a replay and its record; empty when the replay did what was recorded. */
export function differences(recorded: RecordedEffects, replayed: ReplayedEffects, platform: string | undefined): Difference[] {
  const out: Difference[] = [];
  if (!replayed.completed) out.push({ what: 'outcome', recorded: 'completed', replayed: replayed.outcome });
  // Compared at the outbox indexes the log holds a message for; a replayed send the log could not
  // hold (to an API caller) is not compared, but one the recording has and the replay lacks is.
  let sendsSame = true;
  for (let k = 0; k < recorded.sends.length && sendsSame; k++) {
    const m = replayed.outbox[recorded.sendIndexes[k]!];
    sendsSame = m !== undefined && sameSend(recorded.sends[k]!, m, platform);
  }
  const extra = extraLocalSends(recorded, replayed.outbox);
  if (!sendsSame || extra.length > 0) {
    const sendsRecorded = recorded.sends.map((m) => comparableSend(m, platform));
    const sendsReplayed = recorded.sendIndexes.map((i) => {
      const m = replayed.outbox[i];
      return m === undefined ? null : comparableSend(m, platform);
    });
    for (const m of extra) sendsReplayed.push(comparableSend(m, platform));
    out.push({ what: 'sends', recorded: sendsRecorded, replayed: sendsReplayed });
  }
  const ownRecorded = ownWrites(recorded.state);
  const ownReplayed = ownWrites(replayed.stateWrites);
  if (!sameOwnWrites(ownRecorded, ownReplayed))
    out.push({ what: 'state', recorded: Object.fromEntries(ownRecorded), replayed: Object.fromEntries(ownReplayed) });
  const reserved = recorded.state.length > ownRecorded.size;
  if (recorded.timersRecorded && (reserved || replayed.timers.length > 0)) {
    const timersRecorded = recordedTimers(recorded.state);
    const timersReplayed = replayed.timers.map((t) => ({ token: t.token, delayMs: t.delayMs }));
    if (!same(timersRecorded, timersReplayed)) out.push({ what: 'timers', recorded: timersRecorded, replayed: timersReplayed });
  }
  if (reserved || replayed.http.length > 0) {
    const httpRecorded = recordedHttp(recorded.state);
    const httpReplayed = replayedHttp(replayed.http);
    if (!same(httpRecorded, httpReplayed)) out.push({ what: 'http', recorded: httpRecorded, replayed: httpReplayed });
  }
  return out;
}
