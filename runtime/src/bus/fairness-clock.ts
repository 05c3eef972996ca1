/**
 * The clock of the dispatch loop's fuel-fair sharing (decisions 2136, 2140): one monotonic read per
 * batch for the window's buckets, and the one timer that lets skipped debtors run once the shard
 * stayed idle. Monotonic: a wall clock stepped back would freeze the buckets' roll. Tests inject a
 * manual one, so the loop's behaviour over time is asserted by order and counts, not by waiting.
 */

/** What `setTimer` returned, handed back to `clearTimer`. */
export type FairnessTimer = unknown;

export interface FairnessClock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  /** Calls `fire` once after `ms`; must not keep the process alive (a stopped node exits). */
  setTimer(fire: () => void, ms: number): FairnessTimer;
  clearTimer(timer: FairnessTimer): void;
}

export const MONOTONIC_CLOCK: FairnessClock = Object.freeze({
  now: () => performance.now(),
  setTimer: (fire: () => void, ms: number) => setTimeout(fire, ms).unref(),
  clearTimer: (timer: FairnessTimer) => clearTimeout(timer as NodeJS.Timeout),
});
