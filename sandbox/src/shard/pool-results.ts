/** Results the pool makes up itself (no shard ran the work), and the deadline helper. */
import type { CrashKind } from '@caxton/core';
import type { RestartCarryOver } from '../agent-spec.js';
import type { InstanceState, Work, WorkResult } from '../results.js';
import { emptyEffects, messageIdOf, workIdOf } from '../results.js';
import { crashError, errorInfo } from '../traps.js';

/**
 * A crash reported by the pool: a timeout, or work lost with a reset shard (`unavailable`). It
 * carries the pool's crash record of the agent (`ledger`), which already includes this crash when
 * the pool charged it.
 */
export function crashedResult(w: Work, kind: CrashKind, message: string, state: InstanceState, ledger: RestartCarryOver): WorkResult {
  const messageId = messageIdOf(w);
  const error = errorInfo(crashError(kind, message, { agent: w.agent, messageId: messageId ?? undefined, fuelUsed: 0 }));
  return {
    agent: w.agent,
    workId: workIdOf(w),
    messageId,
    status: 'crashed',
    kind,
    message,
    error,
    restartHistory: [...ledger.restartHistory],
    ...emptyEffects(),
    fuelUsed: 0,
    initFuelUsed: 0,
    durationUs: 0,
    state,
    restarts: ledger.restarts,
  };
}

export function notRunning(w: Work, reason: string, state: InstanceState, restarts: number): WorkResult {
  return {
    agent: w.agent,
    workId: workIdOf(w),
    messageId: messageIdOf(w),
    status: 'not-running',
    reason,
    ...emptyEffects(),
    fuelUsed: 0,
    initFuelUsed: 0,
    durationUs: 0,
    state,
    restarts,
  };
}

/** Rejects with `onTimeout()`'s error if `p` has not settled within `ms` (the backstop for deploys). */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(onTimeout());
    }, ms);
    p.then(
      (v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
