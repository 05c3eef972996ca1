/**
 * What a replayed handling did against what the log recorded of it (issue 57), pure: the sends
 * (receivers, performative, content and the other fields an agent sets), the agent's own state
 * writes, the timers it set and the HTTP requests it made, and whether it completed at all. The
 * runtime's bookkeeping in the recorded commit (pending-call records, timer records, done markers)
 * is read as what it records — a timer, a request — never compared as state.
 */
import { httpPendingStateKey, isReservedStateKey, type AclMessage, type StateWrite } from '@caxton/core';
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
    if (key === 'sender' || value === undefined) continue;
    if ((key === 'receivers' || key === 'replyTo') && Array.isArray(value)) {
      const names = (value as { name: string }[]).map((r) => qualify(r.name));
      if (key === 'replyTo' && names.length === 0) continue;
      out[key] = names;
      continue;
    }
    if (key === 'userParams' && Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** The agent's own writes (reserved bookkeeping left out), as a key → value map in write order. */
export function ownWrites(writes: readonly StateWrite[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const w of writes) if (!isReservedStateKey(w.key)) out.set(w.key, w.value);
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
  state: readonly StateWrite[];
  /** Where timers set by this agent are recorded in its commits (not for kind instances and replica workers). */
  timersRecorded: boolean;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every difference between a replay and its record; empty when the replay did what was recorded. */
export function differences(recorded: RecordedEffects, replayed: ReplayedEffects, platform: string | undefined): Difference[] {
  const out: Difference[] = [];
  if (!replayed.completed) out.push({ what: 'outcome', recorded: 'completed', replayed: replayed.outcome });
  // Compared at the outbox indexes the log holds a message for; a replayed send the log could not
  // hold (to an API caller) is not compared, but one the recording has and the replay lacks is.
  const sendsRecorded = recorded.sends.map((m) => comparableSend(m, platform));
  const sendsReplayed = recorded.sendIndexes.map((i) => {
    const m = replayed.outbox[i];
    return m === undefined ? null : comparableSend(m, platform);
  });
  if (!same(sendsRecorded, sendsReplayed)) out.push({ what: 'sends', recorded: sendsRecorded, replayed: sendsReplayed });
  const stateRecorded = Object.fromEntries(ownWrites(recorded.state));
  const stateReplayed = Object.fromEntries(ownWrites(replayed.stateWrites));
  if (!same(sortedKeys(stateRecorded), sortedKeys(stateReplayed)))
    out.push({ what: 'state', recorded: stateRecorded, replayed: stateReplayed });
  if (recorded.timersRecorded) {
    const timersRecorded = recordedTimers(recorded.state);
    const timersReplayed = replayed.timers.map((t) => ({ token: t.token, delayMs: t.delayMs }));
    if (!same(timersRecorded, timersReplayed)) out.push({ what: 'timers', recorded: timersRecorded, replayed: timersReplayed });
  }
  const httpRecorded = recordedHttp(recorded.state);
  const httpReplayed = replayedHttp(replayed.http);
  if (!same(httpRecorded, httpReplayed)) out.push({ what: 'http', recorded: httpRecorded, replayed: httpReplayed });
  return out;
}

function sortedKeys(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
