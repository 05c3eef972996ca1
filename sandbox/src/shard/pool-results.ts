/** Results the pool makes up itself (no shard ran the work), and the deadline helper. */
import type { AgentState, CrashKind, Work, WorkResult } from '../results.js';
import { emptyEffects } from '../results.js';
import { crashError, errorInfo } from '../traps.js';

/** A crash reported by the pool: a timeout, or work lost with a reset shard (`unavailable`). */
export function crashedResult(w: Work, kind: CrashKind, message: string, state: AgentState, restarts: number): WorkResult {
  const messageId = w.kind === 'message' ? w.messageId : null;
  const error = errorInfo(crashError(kind, message, { agent: w.agent, messageId: messageId ?? undefined, fuelUsed: 0 }));
  return {
    agent: w.agent,
    workId: w.id,
    messageId,
    status: 'crashed',
    kind,
    message,
    error,
    ...emptyEffects(),
    fuelUsed: 0,
    initFuelUsed: 0,
    durationUs: 0,
    state,
    restarts,
  };
}

export function notRunning(w: Work, reason: string, state: AgentState, restarts: number): WorkResult {
  return {
    agent: w.agent,
    workId: w.id,
    messageId: w.kind === 'message' ? w.messageId : null,
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
