/**
 * Edge admission for outside clients (issue 25: "overload is a state, not a failure"). A node past
 * its capacity must refuse at the edge, before anything is accepted, instead of accepting
 * everything into mailboxes whose wait then grows without bound (an open loop at half the persisted
 * maximum once never finished in 15 minutes: 64 mailboxes of 10,000 slots are minutes of work).
 *
 * What is bounded: outside clients' deliveries accepted and not yet finished, node-wide ("in
 * flight": being appended, waiting in a mailbox, or handled and completing). The bound is not a
 * fixed number — the same number is 5 ms of work on a quiet node and a second on a loaded one — but
 * follows the delay those deliveries actually see, measured when each one finishes (its sojourn:
 * accepted → finished, which includes the append, the fsync, the wait and the handling):
 *
 * - every `intervalMs`, if even the shortest sojourn of the interval exceeded the target (a
 *   standing queue, as CoDel reads it) — or nothing finished while work was in flight for a whole
 *   interval — the limit drops to what the target allows by Little's law:
 *   in-flight × target ÷ that sojourn (never below `minLimit`). The target is `targetDelayMs`, or
 *   twice the path's own time when that is longer (learnt while almost nothing was in flight: on
 *   a loaded disk two fsyncs can take longer than 20 ms, and that is service, not a queue);
 * - an interval whose deliveries met the target raises the limit by an eighth if the limit was
 *   actually in use (at least half of it reached), so it grows only where load is offered;
 * - with nothing in flight at all, the limit doubles every interval back to `maxLimit`: an idle
 *   node has no queue, and recovery needs no operator.
 *
 * Operators keep a reserve above the limit (`operatorReserve`, a share of it, at least
 * `operatorMinSlots`), so an operator's probe still gets in while clients are refused. Refusals carry a retry-after: the current wait
 * for what is in flight, in-flight ÷ the rate deliveries finished at in the last interval.
 *
 * Pure: no I/O, the caller passes the clock. The bus updates it around its appends and as its
 * mailboxes take and finish outside deliveries.
 */
import { InvalidArgumentError } from '@caxton/core';

export interface EdgeAdmissionLimits {
  /** Sojourn (accepted → finished) the limit steers outside deliveries to, ms. */
  targetDelayMs: number;
  /** How often the limit is adjusted, ms. */
  intervalMs: number;
  /** The limit never drops below this (a node always takes some outside work); at most maxLimit. */
  minLimit: number;
  /** The limit never rises above this (and starts here: a fresh node takes bursts). */
  maxLimit: number;
  /** Share of the limit operators may use beyond it. */
  operatorReserve: number;
  /**
   * Slots operators may use beyond the limit however low it fell: the reserve must not shrink
   * with the limit, or a busy node would refuse the very probes that look into it.
   */
  operatorMinSlots: number;
}

export const DEFAULT_EDGE_ADMISSION: Readonly<EdgeAdmissionLimits> = Object.freeze({
  targetDelayMs: 20,
  intervalMs: 50,
  // Bursts up to a thousand outside messages are always taken (decision 1403: a frozen node keeps
  // accepting; tests and clients send bursts of hundreds): only a backlog past that adapts.
  minLimit: 1_000,
  maxLimit: 10_000,
  operatorReserve: 0.1,
  operatorMinSlots: 16,
});

/** The defaults with `given` over them; a ceiling set below the default floor lowers the floor to it. */
export function edgeAdmissionLimits(given: Partial<EdgeAdmissionLimits> = {}): EdgeAdmissionLimits {
  const merged = { ...DEFAULT_EDGE_ADMISSION, ...given };
  if (given.minLimit === undefined && merged.minLimit > merged.maxLimit) merged.minLimit = merged.maxLimit;
  return merged;
}

/** Longest retry-after a refusal suggests, ms (past it, a client's own backoff knows better). */
export const MAX_RETRY_AFTER_MS = 5_000;

/** Who is sending from outside: operators' probes may use the reserve, clients may not. */
export type EdgeLane = 'client' | 'operator';

export type EdgeVerdict =
  | { admitted: true }
  | { admitted: false; inFlight: number; limit: number; retryAfterMs: number };

const ADMITTED: EdgeVerdict = Object.freeze({ admitted: true });

export class EdgeAdmission {
  /** Outside deliveries whose append is in flight (not consumed into a mailbox yet). */
  private appending = 0;
  /** Outside deliveries in mailboxes or completing. */
  private held = 0;
  private limitNow: number;
  private intervalStart: number;
  private shortestSojourn = Number.POSITIVE_INFINITY;
  /** Shortest time a ticket was held in the interval (edge → appended): the wait ahead of the bus. */
  private shortestAhead = Number.POSITIVE_INFINITY;
  private finishedInInterval = 0;
  private peakInInterval = 0;
  /** Shortest wait seen with (almost) nothing in flight: the path's own time, ms. */
  private unqueued = Number.POSITIVE_INFINITY;
  /** Deliveries finished per ms over the last closed interval (for retry-after). */
  private finishRate = 0;

  constructor(readonly limits: EdgeAdmissionLimits = DEFAULT_EDGE_ADMISSION, now = 0) {
    checkLimits(limits);
    this.limitNow = limits.maxLimit;
    this.intervalStart = now;
  }

  get inFlight(): number {
    return this.appending + this.held;
  }

  get limit(): number {
    return this.limitNow;
  }

  /** May `n` more outside deliveries be accepted now? Refusal says when to retry. */
  admit(lane: EdgeLane, n: number, now: number): EdgeVerdict {
    this.roll(now);
    const reserve = Math.max(this.limits.operatorMinSlots, Math.floor(this.limitNow * this.limits.operatorReserve));
    const room = lane === 'operator' ? this.limitNow + reserve : this.limitNow;
    if (this.inFlight + n <= room) return ADMITTED;
    return { admitted: false, inFlight: this.inFlight, limit: this.limitNow, retryAfterMs: this.retryAfter() };
  }

  /**
   * Admit `n` deliveries at the very edge, ahead of work done before the bus (the audit trail's
   * intent): they count as in flight from now until the ticket is released, and the time the
   * ticket was held counts towards the wait the limit steers (a queue in front of the bus is
   * still a queue). Throws nothing: a refusal is the verdict.
   */
  acquire(lane: EdgeLane, n: number, now: number, clock: () => number): { verdict: EdgeVerdict; ticket?: { release(): void } } {
    const verdict = this.admit(lane, n, now);
    if (!verdict.admitted) return { verdict };
    this.appendStarted(n);
    let held = true;
    const ticket = {
      release: (): void => {
        if (!held) return;
        held = false;
        this.appendEnded(n);
        const t = clock() - now;
        if (t < this.shortestAhead) this.shortestAhead = t;
      },
    };
    return { verdict, ticket };
  }

  /** An admitted send's `n` deliveries are being appended. */
  appendStarted(n: number): void {
    this.appending += n;
    this.peakInInterval = Math.max(this.peakInInterval, this.inFlight);
  }

  /** The append ended (durable or failed): its deliveries are held once consumed, not before. */
  appendEnded(n: number): void {
    this.appending = Math.max(0, this.appending - n);
  }

  /** An outside delivery reached a mailbox (appended here, replayed, or put back). */
  take(): void {
    this.held += 1;
    this.peakInInterval = Math.max(this.peakInInterval, this.inFlight);
  }

  /** An outside delivery finished (completed, dead-lettered); `sojournMs`: since it was accepted. */
  finish(sojournMs: number, now: number): void {
    this.held = Math.max(0, this.held - 1);
    this.finishedInInterval += 1;
    if (sojournMs < this.shortestSojourn) this.shortestSojourn = sojournMs;
    this.roll(now);
  }

  /** An outside delivery left without being handled here (its agent was removed): no sojourn to learn from. */
  drop(): void {
    this.held = Math.max(0, this.held - 1);
  }

  private roll(now: number): void {
    const elapsed = now - this.intervalStart;
    if (elapsed < this.limits.intervalMs) return;
    const { targetDelayMs, minLimit, maxLimit } = this.limits;
    if (this.inFlight === 0 && this.finishedInInterval === 0) {
      // Doubling per interval that passed idle, however rarely the clock was read meanwhile.
      this.limitNow = Math.min(maxLimit, this.limitNow * 2 ** Math.min(30, Math.floor(elapsed / this.limits.intervalMs)));
    } else {
      // Nothing finished for a whole interval with work in flight: its wait is at least that long.
      // Two stages in series (ahead of the bus, then the bus): their shortest waits add up.
      const ahead = Number.isFinite(this.shortestAhead) ? this.shortestAhead : 0;
      const sojourn = ahead + (this.finishedInInterval > 0 ? this.shortestSojourn : elapsed);
      // What a message takes with no queue at all (the writes and fsyncs of its path), learnt in
      // intervals with no more in flight than the floor: a target below it would read service
      // time as queueing and pin the limit to the floor. It may creep up 1 % an interval, so a
      // lucky fast sample does not hold for ever.
      if (this.finishedInInterval > 0 && this.peakInInterval <= minLimit) this.unqueued = Math.min(this.unqueued * 1.01, sojourn);
      const target = Math.max(targetDelayMs, Number.isFinite(this.unqueued) ? 2 * this.unqueued : 0);
      if (sojourn > target) {
        const fits = Math.floor((Math.max(this.inFlight, this.peakInInterval) * target) / sojourn);
        this.limitNow = Math.max(minLimit, Math.min(this.limitNow, fits));
      } else if (this.peakInInterval * 2 >= this.limitNow) {
        this.limitNow = Math.min(maxLimit, this.limitNow + Math.max(1, Math.floor(this.limitNow / 8)));
      }
    }
    this.finishRate = this.finishedInInterval / elapsed;
    this.intervalStart = now;
    this.shortestSojourn = Number.POSITIVE_INFINITY;
    this.shortestAhead = Number.POSITIVE_INFINITY;
    this.finishedInInterval = 0;
    this.peakInInterval = this.inFlight;
  }

  /** How long what is in flight now takes to finish at the last measured rate, clamped. */
  private retryAfter(): number {
    const { intervalMs } = this.limits;
    if (this.finishRate <= 0) return Math.min(MAX_RETRY_AFTER_MS, Math.max(intervalMs, 1000));
    const excess = Math.max(1, this.inFlight - this.limitNow / 2);
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(intervalMs, Math.ceil(excess / this.finishRate)));
  }
}

function checkLimits(l: EdgeAdmissionLimits): void {
  const ok = l.targetDelayMs > 0 && l.intervalMs > 0 && Number.isSafeInteger(l.minLimit) && l.minLimit >= 1
    && Number.isSafeInteger(l.maxLimit) && l.maxLimit >= l.minLimit && l.operatorReserve >= 0
    && Number.isSafeInteger(l.operatorMinSlots) && l.operatorMinSlots >= 0;
  if (!ok) throw new InvalidArgumentError('edgeAdmission', `limits out of range: ${JSON.stringify(l)}`, 'targetDelayMs and intervalMs > 0, 1 <= minLimit <= maxLimit (integers), operatorReserve >= 0, operatorMinSlots a whole number >= 0');
}
