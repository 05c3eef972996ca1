/**
 * Backoff between restarts of a crashing agent, pure (time and randomness are passed in).
 *
 * Without it a crash-looping agent was re-instantiated as fast as work reached it (every ~12 ms on
 * the bench machine) until its restart policy failed it: each restart costs a compile-cache hit,
 * an instantiation and an init, and its crash storm is work its neighbours wait behind. Now the
 * n-th consecutive crash delays the next start by initialMs · 2^(n-1), capped at maxMs, with ±jitter
 * so agents that crash together (a shared bad dependency) do not restart in lock-step. A streak ends
 * when the agent has run resetAfterMs since its last restart without crashing. See decision 1720.
 */
export interface RestartBackoffPolicy {
  /** Delay after the first crash of a streak. */
  initialMs: number;
  /** Longest delay. */
  maxMs: number;
  /** Each delay is the nominal one times a factor drawn from [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** Running this long after a restart without crashing ends the streak. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: Readonly<RestartBackoffPolicy> = Object.freeze({
  initialMs: 50,
  maxMs: 5_000,
  jitter: 0.2,
  resetAfterMs: 30_000,
});

export class RestartBackoff {
  private streak = 0;
  /** When the agent may start again (ms, the caller's clock); 0: now. */
  private notBefore = 0;

  constructor(
    readonly policy: RestartBackoffPolicy = DEFAULT_RESTART_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (
      !(policy.initialMs >= 0) ||
      !(policy.maxMs >= policy.initialMs) ||
      !(policy.jitter >= 0 && policy.jitter < 1) ||
      !(policy.resetAfterMs > 0)
    ) {
      throw new RangeError('restart backoff needs 0 <= initialMs <= maxMs, 0 <= jitter < 1 and resetAfterMs > 0');
    }
  }

  /** Records a crash at `now`; answers the delay before the agent may start again. */
  crashed(now: number): number {
    // Healthy since it last (re)started: this crash starts a new streak.
    if (this.streak > 0 && now - this.notBefore >= this.policy.resetAfterMs) this.streak = 0;
    this.streak++;
    const nominal = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** (this.streak - 1));
    const factor = 1 - this.policy.jitter + 2 * this.policy.jitter * this.random();
    const delay = Math.round(Math.min(this.policy.maxMs, nominal * factor));
    this.notBefore = now + delay;
    return delay;
  }

  /** Milliseconds until the agent may start again (0: it may now). */
  remaining(now: number): number {
    return Math.max(0, this.notBefore - now);
  }

  /** When it may start again (ms, the caller's clock). */
  get restartAt(): number {
    return this.notBefore;
  }

  /** Consecutive crashes in the current streak. */
  get consecutiveCrashes(): number {
    return this.streak;
  }
}
