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
 * - every `intervalMs`, if even the shortest sojourn of the interval exceeded `targetDelayMs` (a
 *   standing queue, as CoDel reads it) — or nothing finished while work was in flight for a whole
 *   interval — the limit drops to what the target allows by Little's law:
 *   in-flight × target ÷ that sojourn (never below `minLimit`);
 * - an interval whose deliveries met the target raises the limit by an eighth if the limit was
 *   actually in use (at least half of it reached), so it grows only where load is offered;
 * - with nothing in flight at all, the limit doubles every interval back to `maxLimit`: an idle
 *   node has no queue, and recovery needs no operator.
 *
 * Operators keep a reserve above the limit (`operatorReserve`, a share of it), so an operator's
 * probe still gets in while clients are refused. Refusals carry a retry-after: the current wait
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
  /** The limit never drops below this (a node always takes some outside work). */
  minLimit: number;
  /** The limit never rises above this (and starts here: a fresh node takes bursts). */
  maxLimit: number;
  /** Share of the limit operators may use beyond it. */
  operatorReserve: number;
}

export const DEFAULT_EDGE_ADMISSION: Readonly<EdgeAdmissionLimits> = Object.freeze({
  targetDelayMs: 20,
  intervalMs: 50,
  minLimit: 32,
  maxLimit: 10_000,
  operatorReserve: 0.1,
});

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
  private finishedInInterval = 0;
  private peakInInterval = 0;
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
    const room = lane === 'operator' ? this.limitNow + Math.max(1, Math.floor(this.limitNow * this.limits.operatorReserve)) : this.limitNow;
    if (this.inFlight + n <= room) return ADMITTED;
    return { admitted: false, inFlight: this.inFlight, limit: this.limitNow, retryAfterMs: this.retryAfter() };
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
      const sojourn = this.finishedInInterval > 0 ? this.shortestSojourn : elapsed;
      if (sojourn > targetDelayMs) {
        const fits = Math.floor((Math.max(this.inFlight, this.peakInInterval) * targetDelayMs) / sojourn);
        this.limitNow = Math.max(minLimit, Math.min(this.limitNow, fits));
      } else if (this.peakInInterval * 2 >= this.limitNow) {
        this.limitNow = Math.min(maxLimit, this.limitNow + Math.max(1, Math.floor(this.limitNow / 8)));
      }
    }
    this.finishRate = this.finishedInInterval / elapsed;
    this.intervalStart = now;
    this.shortestSojourn = Number.POSITIVE_INFINITY;
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
    && Number.isSafeInteger(l.maxLimit) && l.maxLimit >= l.minLimit && l.operatorReserve >= 0;
  if (!ok) throw new InvalidArgumentError('edgeAdmission', `limits out of range: ${JSON.stringify(l)}`, 'targetDelayMs and intervalMs > 0, 1 <= minLimit <= maxLimit (integers), operatorReserve >= 0');
}
