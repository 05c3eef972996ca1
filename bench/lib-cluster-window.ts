/**
 * Whether the cluster bench's throughput window measured the message path (decision 2120). The
 * messages are counted from the nodes' `messagesHandled`, a live figure of the node running each
 * agent: an agent that moves during the window (a lapsed lease or Kafka session on a loaded
 * machine) starts again from zero on its new node. A window that counts fewer messages than its
 * chains make therefore held agent moves — their claims, artifact fetches and instantiations are
 * in its CPU — and its divisor is short: its CPU per message is not the path's cost.
 */

/** The words to add to the window's notes; '' when every chain message was counted. */
export function shortCountNote(handled: number, expected: number): string {
  if (handled >= expected) return '';
  return (
    `; ${expected - handled} fewer messages counted than the chains make: agents moved during the window ` +
    `(an agent's messagesHandled starts again on its new node), so the CPU of the moves is in this window and its divisor is short — not the message path's cost (decision 2120)`
  );
}

/** A reading of the throughput run: messages handled since its chains started, when, and the nodes' CPU since then. */
export interface RunPoint {
  readonly handled: number;
  readonly ms: number;
  readonly cpuSeconds: number;
  /** Chains that had reported their end by this reading. */
  readonly finished: number;
}

/** The steady-state window the readings found: its two ends, the rate and the CPU per message between them. */
export interface SteadyResult {
  readonly from: RunPoint;
  readonly until: RunPoint;
  readonly msgsPerS: number;
  readonly cpuUsPerMsg: number;
}

/**
 * The throughput run's steady-state window (decision 2155). The chains start together (a burst of
 * one gRPC send per pair) and end one by one, and the nodes keep getting faster for the first
 * seconds of traffic (V8's optimising compiler, the young generation growing, Kafka's batches
 * filling): a window over the whole run measures the ramp and the tail of a closed loop, not what
 * the path moves. The window here opens at the first reading at or past `fromShare` of the
 * expected messages and closes at the first at or past `untilShare` — or at the first reading
 * after a chain ended, whichever comes first, so every chain runs through it but for its last
 * reading's stretch. A count that goes down means agents moved (an agent's `messagesHandled`
 * starts again on its new node, decision 2120): the readings then measure the moves, and there is
 * no window. Pure: the bench feeds it readings of the nodes' counters and /proc.
 */
export class SteadyWindow {
  private from: RunPoint | undefined;
  private until: RunPoint | undefined;
  private last: RunPoint | undefined;
  /** Why there is no window, once that is known ('' while there may still be one). */
  private spoiled = '';

  constructor(
    readonly expected: number,
    readonly fromShare = 0.2,
    readonly untilShare = 0.8,
  ) {
    if (!(expected > 0) || !(fromShare >= 0 && fromShare < untilShare && untilShare <= 1)) {
      throw new RangeError(`a steady window needs expected > 0 and 0 <= from < until <= 1 (got ${expected}, ${fromShare}, ${untilShare})`);
    }
  }

  /** Takes a reading (in time order); true once the window is decided (closed, or spoiled). */
  add(point: RunPoint): boolean {
    if (this.until !== undefined || this.spoiled !== '') return true;
    if (this.last !== undefined && point.ms < this.last.ms) throw new RangeError('readings must come in time order');
    if (this.last !== undefined && point.handled < this.last.handled) {
      this.spoiled = `the nodes' count went down (${this.last.handled} → ${point.handled}): agents moved during the run (decision 2120)`;
      return true;
    }
    this.last = point;
    if (this.from === undefined) {
      // A chain already ended before the window opened: the run is too short for the shares.
      if (point.finished > 0)
        this.spoiled = `a chain ended (${point.finished} by ${point.handled} of ${this.expected} messages) before ${this.fromShare * 100} % of the run: a longer run (--rounds)`;
      else if (point.handled >= this.fromShare * this.expected) this.from = point;
    } else if ((point.handled >= this.untilShare * this.expected || point.finished > 0) && point.ms > this.from.ms) {
      this.until = point;
    }
    return this.until !== undefined || this.spoiled !== '';
  }

  /** Why there is no window ('' when there is one, or the run may still give one). */
  get whyNone(): string {
    if (this.spoiled !== '') return this.spoiled;
    if (this.until === undefined)
      return `the run ended before the readings passed ${this.untilShare * 100} % of its messages: a longer run (--rounds)`;
    return '';
  }

  /** The window, once closed; undefined without one (`whyNone` says why). */
  result(): SteadyResult | undefined {
    const { from, until } = this;
    if (from === undefined || until === undefined || this.spoiled !== '') return undefined;
    const handled = until.handled - from.handled;
    return {
      from,
      until,
      msgsPerS: handled / ((until.ms - from.ms) / 1000),
      cpuUsPerMsg: ((until.cpuSeconds - from.cpuSeconds) * 1e6) / Math.max(1, handled),
    };
  }
}
