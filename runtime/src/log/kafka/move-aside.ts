/**
 * Writing a record aside (to the dead letters: a refused record, an undecodable one) until it is
 * durable. The record stays pending meanwhile — holding back its partition's commits — so a failed
 * write is never dropped in silence: each failure is said, and the write is tried again after a
 * backoff, a bounded number of times, while the record is still pending here. After the last
 * attempt it is handed out again at the next restart or rebalance, and its write tried again then.
 */
export interface MoveAsideOptions {
  /** Writes tried at most. */
  attempts: number;
  /** The wait after the first failure, doubled after each one, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Whether the record is still this consumer's to move (not closing, its partition still held): asked before each attempt. */
  stillPending: () => boolean;
  /** The write is durable. */
  done: () => void;
  /** A write failed; `retrying`: another attempt is scheduled. */
  failed: (attempt: number, error: unknown, retrying: boolean) => void;
  /** The last attempt failed: nothing more is tried now. Never said when the record merely stopped being pending. */
  gaveUp?: () => void;
  /** Nothing more is tried because the record is no longer pending here (or the move was cancelled). */
  stopped?: () => void;
  /** Runs `fn` after `ms`, returning what cancels it. Default: a timer that keeps no process alive. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** A move in progress: `cancel` clears its pending retry timer, and no further attempt is made. */
export interface MoveAside {
  cancel(): void;
}

const unrefTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export function moveAside(write: () => Promise<void>, o: MoveAsideOptions): MoveAside {
  const schedule = o.schedule ?? unrefTimer;
  let cancelled = false;
  let clearTimer: (() => void) | undefined;
  const pending = (): boolean => !cancelled && o.stillPending();
  const attempt = (n: number): void => {
    clearTimer = undefined;
    if (!pending()) {
      o.stopped?.();
      return;
    }
    write().then(o.done, (error: unknown) => {
      const retrying = n < o.attempts && pending();
      o.failed(n, error, retrying);
      if (retrying) clearTimer = schedule(() => attempt(n + 1), Math.min(o.maxDelayMs, o.firstDelayMs * 2 ** (n - 1)));
      else if (n >= o.attempts) o.gaveUp?.();
      else o.stopped?.();
    });
  };
  attempt(1);
  return {
    cancel: () => {
      if (cancelled) return;
      cancelled = true;
      if (clearTimer !== undefined) {
        clearTimer();
        clearTimer = undefined;
        o.stopped?.();
      }
    },
  };
}
