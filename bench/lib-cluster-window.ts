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
  return `; ${expected - handled} fewer messages counted than the chains make: agents moved during the window ` +
    `(an agent's messagesHandled starts again on its new node), so the CPU of the moves is in this window and its divisor is short — not the message path's cost (decision 2120)`;
}

/** A reading of the throughput run: messages handled since its chains started, when, and the nodes' CPU since then. */
export interface RunPoint {
  readonly handled: number;
  readonly ms: number;
  readonly cpuSeconds: number;
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
 * expected messages and closes at the first at or past `untilShare`, while every chain is live.
 * Pure: the bench feeds it readings of the nodes' counters and /proc.
 */
export class SteadyWindow {
  private from: RunPoint | undefined;
  private until: RunPoint | undefined;
  private last: RunPoint = { handled: 0, ms: 0, cpuSeconds: 0 };

  constructor(readonly expected: number, readonly fromShare = 0.2, readonly untilShare = 0.8) {
    if (!(expected > 0) || !(fromShare >= 0 && fromShare < untilShare && untilShare <= 1)) {
      throw new RangeError(`a steady window needs expected > 0 and 0 <= from < until <= 1 (got ${expected}, ${fromShare}, ${untilShare})`);
    }
  }

  /** Takes a reading; true once the window has closed (later readings change nothing). */
  add(point: RunPoint): boolean {
    if (this.until !== undefined) return true;
    if (point.ms < this.last.ms || point.handled < this.last.handled) throw new RangeError('readings must come in order: time and counts never go back');
    this.last = point;
    if (this.from === undefined) {
      if (point.handled >= this.fromShare * this.expected) this.from = point;
    } else if (point.handled >= this.untilShare * this.expected && point.ms > this.from.ms) {
      this.until = point;
    }
    return this.until !== undefined;
  }

  /** The window, once closed; undefined if the run ended first (too short a run for the shares). */
  result(): SteadyResult | undefined {
    const { from, until } = this;
    if (from === undefined || until === undefined) return undefined;
    const handled = until.handled - from.handled;
    return {
      from, until,
      msgsPerS: handled / ((until.ms - from.ms) / 1000),
      cpuUsPerMsg: ((until.cpuSeconds - from.cpuSeconds) * 1e6) / Math.max(1, handled),
    };
  }
}
