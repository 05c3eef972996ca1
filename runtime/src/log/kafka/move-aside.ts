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
  /** Whether the record is still this consumer's to move (not closing, its partition still held). */
  stillPending: () => boolean;
  /** The write is durable. */
  done: () => void;
  /** A write failed; `retrying`: another attempt follows. */
  failed: (attempt: number, error: unknown, retrying: boolean) => void;
  /** The last attempt failed (or the record is no longer pending here): nothing more is tried now. */
  gaveUp?: () => void;
}

export function moveAside(write: () => Promise<void>, o: MoveAsideOptions): void {
  const attempt = (n: number): void => {
    write().then(o.done, (error: unknown) => {
      const retrying = n < o.attempts && o.stillPending();
      o.failed(n, error, retrying);
      if (retrying) setTimeout(() => attempt(n + 1), Math.min(o.maxDelayMs, o.firstDelayMs * 2 ** (n - 1))).unref();
      else o.gaveUp?.();
    });
  };
  attempt(1);
}
