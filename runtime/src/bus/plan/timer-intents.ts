/**
 * A timer set by a handling, as its commit point records it (issue 55): the timer exists only if
 * that commit counts. The registry write comes after the commit; the record is removed once the
 * timer is in the registry (or by the timer's firing commit), and a record found at the agent's
 * next start (a crash between the commit and the registry write) is put in the registry then.
 */
import { timerIdOfSetKey, timerSetStateKey, type StateWrite } from '@caxton/core';

/** A timer to set: its id (derived from the handling), its token and its delay from when it is set. */
export interface TimerIntent {
  id: string;
  token: string;
  delayMs: number;
}

/** The state write that records `t` in its handling's commit point. */
export function timerIntentWrite(t: TimerIntent): StateWrite {
  return { key: timerSetStateKey(t.id), value: JSON.stringify({ token: t.token, delayMs: t.delayMs }) };
}

/** The write that removes the record of timer `id` (a tombstone; nothing if there is none). */
export function timerIntentRemoval(id: string): StateWrite {
  return { key: timerSetStateKey(id), value: null };
}

/** The timer a committed record names, or undefined for another key or a record it cannot read. */
export function timerIntentOf(key: string, value: string): TimerIntent | undefined {
  const id = timerIdOfSetKey(key);
  if (id === undefined) return undefined;
  try {
    const v = JSON.parse(value) as { token?: unknown; delayMs?: unknown };
    if (typeof v.token !== 'string' || typeof v.delayMs !== 'number') return undefined;
    return { id, token: v.token, delayMs: v.delayMs };
  } catch {
    return undefined;
  }
}
