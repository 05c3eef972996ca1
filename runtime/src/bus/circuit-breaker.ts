/**
 * Circuit breakers between senders and a failing receiver (decision 1921): pure state machines,
 * one per agent, no I/O and no clock of their own (every call takes `now`).
 *
 * - **closed**: sends pass; each delivery that fails (a crash of any kind: trap, out of fuel or
 *   memory, the wall-clock watchdog) counts, each one handled counts the run back to zero. At
 *   `failures` in a row the breaker opens.
 * - **open**: new sends are refused at once, with the time left of the cool-down as retry-after.
 * - **half-open**: once the cool-down has passed, the next send is let through as the probe and
 *   the others are refused until an outcome arrives: a delivery handled closes the breaker, one
 *   that fails opens it for another cool-down. A probe with no outcome after a cool-down (it never
 *   ran: the agent was stopped, say) lets the next send through as a new probe.
 *
 * Deliveries already in the mailbox keep being handled while the breaker is open: their outcomes
 * count like the probe's (a success closes it). An upgrade, a rollback or a redeploy resets it.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerLimits {
  /** Failed deliveries in a row that open the breaker. */
  failures: number;
  /** How long it stays open before a probe, ms. */
  coolDownMs: number;
}

/** What `admit` says: let the send through (perhaps as the probe), or refuse it for `retryAfterMs`. */
export type BreakerVerdict =
  | { admitted: true; probe: boolean }
  | { admitted: false; state: 'open' | 'half-open'; retryAfterMs: number; failures: number };

/** A change of state, for the event stream, the agent's log and metrics. */
export interface BreakerTransition {
  agent: string;
  from: BreakerState;
  to: BreakerState;
  /** Failures in a row when it happened. */
  failures: number;
  at: number;
  /** Why: the outcome or action that moved it. */
  reason: 'failures' | 'cool-down' | 'probe-failed' | 'handled' | 'reset';
}

/** What `caxton agents` shows of a breaker. */
export interface BreakerView {
  state: BreakerState;
  failures: number;
  /** Open: ms until a probe is let through. */
  retryAfterMs?: number;
}

const ADMITTED: BreakerVerdict = Object.freeze({ admitted: true, probe: false });
const PROBE: BreakerVerdict = Object.freeze({ admitted: true, probe: true });

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failuresInARow = 0;
  private openedAt = 0;
  /** Half-open: when the probe was let through (undefined: none yet). */
  private probeAt: number | undefined;

  constructor(
    readonly agent: string,
    private readonly limits: BreakerLimits,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  get failures(): number {
    return this.failuresInARow;
  }

  /** May a new send to this agent go through now? `transition` hears open → half-open. */
  admit(now: number, transition?: (t: BreakerTransition) => void): BreakerVerdict {
    if (this.current === 'closed') return ADMITTED;
    if (this.current === 'open') {
      const left = this.openedAt + this.limits.coolDownMs - now;
      if (left > 0) return { admitted: false, state: 'open', retryAfterMs: left, failures: this.failuresInARow };
      this.move('half-open', now, 'cool-down', transition);
    }
    // Half-open: one probe per cool-down until an outcome arrives.
    if (this.probeAt === undefined || now - this.probeAt >= this.limits.coolDownMs) {
      this.probeAt = now;
      return PROBE;
    }
    return {
      admitted: false,
      state: 'half-open',
      retryAfterMs: Math.max(1, this.probeAt + this.limits.coolDownMs - now),
      failures: this.failuresInARow,
    };
  }

  /** A delivery to this agent was handled (`ok`) or failed; returns the transition it caused, if any. */
  record(ok: boolean, now: number): BreakerTransition | undefined {
    if (ok) {
      this.failuresInARow = 0;
      return this.current === 'closed' ? undefined : this.move('closed', now, 'handled');
    }
    this.failuresInARow += 1;
    if (this.current === 'half-open') return this.move('open', now, 'probe-failed');
    if (this.current === 'closed' && this.failuresInARow >= this.limits.failures) return this.move('open', now, 'failures');
    return undefined;
  }

  /** The agent was replaced (upgrade, rollback, redeploy): what failed was the old code. */
  reset(now: number): BreakerTransition | undefined {
    this.failuresInARow = 0;
    return this.current === 'closed' ? undefined : this.move('closed', now, 'reset');
  }

  view(now: number): BreakerView {
    if (this.current === 'open')
      return { state: 'open', failures: this.failuresInARow, retryAfterMs: Math.max(0, this.openedAt + this.limits.coolDownMs - now) };
    return { state: this.current, failures: this.failuresInARow };
  }

  private move(
    to: BreakerState,
    now: number,
    reason: BreakerTransition['reason'],
    hear?: (t: BreakerTransition) => void,
  ): BreakerTransition {
    const t: BreakerTransition = { agent: this.agent, from: this.current, to, failures: this.failuresInARow, at: now, reason };
    this.current = to;
    if (to === 'open') this.openedAt = now;
    if (to !== 'half-open') this.probeAt = undefined;
    hear?.(t);
    return t;
  }
}

/**
 * Every agent's breaker. Agents with nothing failing have none (a healthy node keeps no state and
 * pays one map lookup per receiver on send); a closed breaker with no failures left is dropped.
 */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    readonly limits: BreakerLimits,
    private readonly heard: (t: BreakerTransition) => void = () => {},
  ) {}

  admit(agent: string, now: number): BreakerVerdict {
    const b = this.breakers.get(agent);
    return b === undefined ? ADMITTED : b.admit(now, this.heard);
  }

  record(agent: string, ok: boolean, now: number): void {
    let b = this.breakers.get(agent);
    if (b === undefined) {
      if (ok) return;
      this.breakers.set(agent, (b = new CircuitBreaker(agent, this.limits)));
    }
    const t = b.record(ok, now);
    if (t !== undefined) this.heard(t);
    if (b.state === 'closed' && b.failures === 0) this.breakers.delete(agent);
  }

  reset(agent: string, now: number): void {
    const t = this.breakers.get(agent)?.reset(now);
    this.breakers.delete(agent);
    if (t !== undefined) this.heard(t);
  }

  view(agent: string, now: number): BreakerView {
    return this.breakers.get(agent)?.view(now) ?? { state: 'closed', failures: 0 };
  }

  /** Agents whose breaker is not closed (metrics). */
  *notClosed(): IterableIterator<CircuitBreaker> {
    for (const b of this.breakers.values()) if (b.state !== 'closed') yield b;
  }
}
