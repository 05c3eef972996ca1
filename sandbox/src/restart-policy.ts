/**
 * Crash-loop protection, pure: at most `maxRestarts` restarts within `windowMs`; the crash after
 * that makes the agent `failed` (no more instances, resources released) until an operator
 * redeploys it. The history travels with the agent when its shard is recreated.
 */
export interface RestartPolicy {
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({ maxRestarts: 5, windowMs: 60_000 });

export type CrashVerdict = 'restart' | 'fail';

export class RestartTracker {
  private crashes: number[];
  private total: number;

  constructor(
    readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
    history: readonly number[] = [],
    totalRestarts = history.length,
  ) {
    if (!(policy.maxRestarts >= 0) || !(policy.windowMs > 0))
      throw new RangeError('restart policy needs maxRestarts >= 0 and windowMs > 0');
    this.crashes = [...history];
    this.total = totalRestarts;
  }

  /** Records a crash at `now` (ms) and says whether the agent may be restarted. */
  recordCrash(now: number): CrashVerdict {
    this.crashes = this.crashes.filter((t) => now - t < this.policy.windowMs);
    this.crashes.push(now);
    if (this.crashes.length > this.policy.maxRestarts) return 'fail';
    this.total++;
    return 'restart';
  }

  /** Restarts granted so far. */
  get restarts(): number {
    return this.total;
  }

  /** Crash times inside the current window (to carry over to a new shard). */
  history(): number[] {
    return [...this.crashes];
  }
}
