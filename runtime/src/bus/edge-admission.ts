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
 *   in-flight × target ÷ that sojourn. The target is `targetDelayMs`, or twice the path's own
 *   time when that is longer (learnt while no more than `servingMinLimit` were in flight: on a
 *   loaded disk two fsyncs can take longer than the target, and that is service, not a queue);
 * - two floors (decision 2103). While nothing finishes (a frozen or suspended node, decision 1403)
 *   or before a queue has stood for `standingQueueMs`, the limit stays at `minLimit` or above
 *   (bursts of hundreds are taken; a frozen node keeps accepting). Only when deliveries keep
 *   finishing and even the shortest wait stays above the target for that long — the node is
 *   serving, and a standing queue persists while demand keeps refilling it (a draining burst is
 *   not one) — may it fall below, to what the finish rate serves within the target by Little's
 *   law (rate × target, never below `servingMinLimit`). Nothing finished for `stalledMs`
 *   lifts it back to `minLimit` (a shorter gap is a busy machine's stall, not a freeze), and so
 *   does the kill switch's freeze, at once (`freeze`);
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
import { DEFAULT_EDGE_LIMITS, EDGE_LIMIT_TABLE, InvalidArgumentError } from '@caxton/core';

export interface EdgeAdmissionLimits {
  /** Sojourn (accepted → finished) the limit steers outside deliveries to, ms. */
  targetDelayMs: number;
  /** How often the limit is adjusted, ms. */
  intervalMs: number;
  /**
   * The limit never drops below this while nothing finishes or before a standing queue is proven
   * (a frozen node keeps accepting, bursts are taken); at most maxLimit.
   */
  minLimit: number;
  /**
   * The floor once a standing queue is proven with deliveries finishing (at most minLimit): the
   * closed-loop clients of a busy node (a window of 64 or 128 requests) are never refused by it.
   * The path's own time is learnt only with no more than this in flight.
   */
  servingMinLimit: number;
  /** How long a queue must stand, with deliveries finishing, before the limit may fall below minLimit, ms. */
  standingQueueMs: number;
  /**
   * How long nothing may finish, with work in flight, before a limit a standing queue lowered is
   * lifted back to minLimit (the node is frozen or its agents suspended, not serving), ms; when
   * absent, standingQueueMs (DEFAULT_EDGE_ADMISSION sets 1,000). Longer than a loaded machine's
   * stalls: each lift lets a floor's worth in at once.
   */
  stalledMs?: number;
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
  targetDelayMs: DEFAULT_EDGE_LIMITS.targetDelayMs,
  intervalMs: 50,
  // Bursts up to a thousand outside messages are always taken (decision 1403: a frozen node keeps
  // accepting; tests and clients send bursts of hundreds): only a backlog past that adapts.
  minLimit: EDGE_LIMIT_TABLE.servingMinLimit.ceiling,
  // 128 (decision 2197): a standing queue the node is serving steers to finish rate × target, so
  // the accepted requests' p99 at twice the maximum halves at no measured cost in throughput;
  // `--edge-serving-floor 1000` turns decision 2103's rule off.
  servingMinLimit: DEFAULT_EDGE_LIMITS.servingMinLimit,
  // 100 ms proves a queue stands sooner than 2103's 200 (with the serving floor at 128, p99 −17 %
  // in decision 2151's quiet runs), now that stalls no longer lift the limit on this clock
  // (`stalledMs`).
  standingQueueMs: 100,
  // Stalls of 100–300 ms with nothing finishing are common under overload on two busy cores
  // (decision 2151's traces); lifting after each let a thousand in whose waits made the p99.
  stalledMs: 1_000,
  maxLimit: DEFAULT_EDGE_LIMITS.maxLimit,
  operatorReserve: 0.1,
  operatorMinSlots: 16,
});

/** The defaults with `given` over them; a ceiling set below the default floors lowers the floors to it. */
export function edgeAdmissionLimits(given: Partial<EdgeAdmissionLimits> = {}): EdgeAdmissionLimits {
  const merged = { ...DEFAULT_EDGE_ADMISSION, ...given };
  if (given.minLimit === undefined && merged.minLimit > merged.maxLimit) merged.minLimit = merged.maxLimit;
  if (given.servingMinLimit === undefined && merged.servingMinLimit > merged.minLimit) merged.servingMinLimit = merged.minLimit;
  return merged;
}

/** Longest retry-after a refusal suggests, ms (past it, a client's own backoff knows better). */
export const MAX_RETRY_AFTER_MS = 5_000;

/** Who is sending from outside: operators' probes may use the reserve, clients may not. */
export type EdgeLane = 'client' | 'operator';

export type EdgeVerdict = { admitted: true } | { admitted: false; inFlight: number; limit: number; retryAfterMs: number };

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
  /** Outside deliveries asked for in the interval, admitted or refused: whether demand goes on. */
  private offeredInInterval = 0;
  private peakInInterval = 0;
  /** Shortest wait seen with (almost) nothing in flight: the path's own time, ms. */
  private unqueued = Number.POSITIVE_INFINITY;
  /** Deliveries finished per ms over the last closed interval (for retry-after). */
  private finishRate = 0;
  /**
   * Finished deliveries and elapsed ms, each interval's added to three quarters of the previous
   * sums: a finish rate over the last few intervals, steady where one 50 ms interval is not.
   */
  private recentFinished = 0;
  private recentMs = 0;
  /** When the current run of intervals with deliveries finishing above the target began. */
  private standingSince: number | undefined;
  /** When an outside delivery last finished, or the node was last seen idle or thawed. */
  private lastProgress: number;
  /**
   * Since when every interval's peak in flight was at most servingMinLimit: a sojourn is the
   * path's own time only if its delivery entered after that (one that finishes in a quiet
   * interval may have waited behind a queue that has just drained).
   */
  private lowSince: number | undefined;
  /** Dispatch frozen (the kill switch): nothing will finish, and that is no queue to adapt to. */
  private frozen = false;

  constructor(
    readonly limits: EdgeAdmissionLimits = DEFAULT_EDGE_ADMISSION,
    now = 0,
  ) {
    checkEdgeAdmissionLimits(limits);
    this.limitNow = limits.maxLimit;
    this.intervalStart = now;
    this.lastProgress = now;
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
    this.offeredInInterval += n;
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
    this.lastProgress = now;
    if (sojournMs < this.shortestSojourn) this.shortestSojourn = sojournMs;
    this.roll(now);
  }

  /**
   * The node's dispatch was frozen (`true`) or thawed (decision 1403). While frozen the limit is
   * the floor at least: a frozen node keeps accepting what 1403 promises, at once, not after
   * `standingQueueMs` without a finish (the requests sent right after a freeze were refused).
   */
  freeze(frozen: boolean, now: number): void {
    this.roll(now);
    this.frozen = frozen;
    if (frozen) {
      this.limitNow = Math.max(this.limitNow, this.limits.minLimit);
      this.standingSince = undefined;
    } else {
      this.lastProgress = now; // the time spent frozen is no stall
    }
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
      this.standingSince = undefined;
      this.recentFinished = 0;
      this.recentMs = 0;
      this.lastProgress = now;
    } else {
      this.recentFinished = this.recentFinished * 0.75 + this.finishedInInterval;
      this.recentMs = this.recentMs * 0.75 + elapsed;
      // Nothing finished for a whole interval with work in flight: its wait is at least that long.
      // Two stages in series (ahead of the bus, then the bus): their shortest waits add up.
      const ahead = Number.isFinite(this.shortestAhead) ? this.shortestAhead : 0;
      const sojourn = ahead + (this.finishedInInterval > 0 ? this.shortestSojourn : elapsed);
      // What a message takes with no queue at all (the writes and fsyncs of its path): a target
      // below it would read service time as queueing and pin the limit to the floor. Learnt only
      // from a wait that began after every interval had no more in flight than the serving floor
      // (`lowSince`): with more, or in the tail of a queue that just drained, the wait includes a
      // queue, and learning it let the target ratchet up with the queue it steers (decision
      // 2103). It may creep up 1 % an interval, so a lucky fast sample does not hold for ever.
      const low = this.peakInInterval <= this.limits.servingMinLimit;
      if (!low) this.lowSince = undefined;
      else this.lowSince ??= this.intervalStart;
      if (this.finishedInInterval > 0 && this.lowSince !== undefined && sojourn <= now - this.lowSince)
        this.unqueued = Math.min(this.unqueued * 1.01, sojourn);
      const target = Math.max(targetDelayMs, Number.isFinite(this.unqueued) ? 2 * this.unqueued : 0);
      const fits = Math.floor((Math.max(this.inFlight, this.peakInInterval) * target) / sojourn);
      if (this.finishedInInterval === 0) {
        if (now - this.lastProgress >= (this.limits.stalledMs ?? this.limits.standingQueueMs)) {
          // Nothing finished for as long as a queue must stand: frozen or suspended, not a queue
          // the node is serving. It keeps accepting up to the floor (decision 1403), whatever a
          // standing queue took the limit down to before.
          this.limitNow = Math.max(minLimit, Math.min(this.limitNow, fits));
          this.standingSince = undefined;
        } else if (this.limitNow > minLimit) {
          this.limitNow = Math.max(minLimit, Math.min(this.limitNow, fits));
        }
        // A shorter gap (a busy machine's stall: its workers got no CPU for 70–200 ms) changes
        // nothing below the floor: lifting there let a thousand in at once after every stall.
      } else if (sojourn > target && this.offeredInInterval * 2 >= this.finishedInInterval) {
        // A queue above the target that demand keeps refilling (at least half as much asked for as
        // finished). A burst that drains — the operator's 300 requests, then nothing — is not one.
        this.standingSince ??= this.intervalStart;
        if (now - this.standingSince >= this.limits.standingQueueMs) {
          // Serving, and a queue has stood: what the node finishes per ms × the target (Little's law).
          const served = Math.ceil((this.recentFinished / this.recentMs) * target);
          this.limitNow = Math.min(this.limitNow, Math.max(this.limits.servingMinLimit, Math.min(fits, served)));
        } else {
          this.limitNow = Math.min(this.limitNow, Math.max(minLimit, fits));
        }
      } else if (sojourn > target) {
        // Draining: the floor's drop of decision 1810 only, and the standing run starts again.
        this.standingSince = undefined;
        this.limitNow = Math.min(this.limitNow, Math.max(minLimit, fits));
      } else {
        this.standingSince = undefined;
        if (this.peakInInterval * 2 >= this.limitNow)
          this.limitNow = Math.min(maxLimit, this.limitNow + Math.max(1, Math.floor(this.limitNow / 8)));
      }
    }
    if (this.frozen) this.limitNow = Math.max(this.limitNow, minLimit);
    this.finishRate = this.finishedInInterval / elapsed;
    this.intervalStart = now;
    this.shortestSojourn = Number.POSITIVE_INFINITY;
    this.shortestAhead = Number.POSITIVE_INFINITY;
    this.finishedInInterval = 0;
    this.offeredInInterval = 0;
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

/**
 * Whether a whole set of edge limits holds together (1 <= servingMinLimit <= minLimit <= maxLimit…):
 * the rows of core's EDGE_LIMIT_TABLE bound three numbers each alone, this their order and the
 * limits no row holds. startNode calls it on the resolved limits before it makes anything
 * (decision 2149); the constructor again, for anyone who builds one directly.
 */
export function checkEdgeAdmissionLimits(l: EdgeAdmissionLimits, field = 'edgeAdmission'): void {
  const ok =
    l.targetDelayMs > 0 &&
    l.intervalMs > 0 &&
    Number.isSafeInteger(l.minLimit) &&
    l.minLimit >= 1 &&
    Number.isSafeInteger(l.servingMinLimit) &&
    l.servingMinLimit >= 1 &&
    l.servingMinLimit <= l.minLimit &&
    l.standingQueueMs >= 0 &&
    (l.stalledMs === undefined || l.stalledMs >= 0) &&
    Number.isSafeInteger(l.maxLimit) &&
    l.maxLimit >= l.minLimit &&
    l.operatorReserve >= 0 &&
    Number.isSafeInteger(l.operatorMinSlots) &&
    l.operatorMinSlots >= 0;
  if (!ok)
    throw new InvalidArgumentError(
      field,
      `limits out of range: ${JSON.stringify(l)}`,
      'targetDelayMs and intervalMs > 0, 1 <= servingMinLimit <= minLimit <= maxLimit (integers), standingQueueMs and stalledMs >= 0, operatorReserve >= 0, operatorMinSlots a whole number >= 0',
    );
}
