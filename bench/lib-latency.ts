/**
 * Request accounting for the latency benchmarks (decision 1204). Every request a benchmark sends is
 * entered in a ledger by id and ends in exactly one of three buckets:
 *
 * - answered: its answer came before the run window closed;
 * - late:     its answer came after the window closed, while the benchmark drained stragglers
 *             (kept in the percentiles with its real latency: leaving it out would flatter the tail);
 * - lost:     no answer by the end of the drain, or the send itself was refused.
 *
 * Percentiles are taken over ALL sent requests, a lost request counting as infinitely slow. With
 * nearest rank, the p-th percentile is the ceil(p/100 × sent)-th smallest latency; when that rank
 * lands among the lost requests the percentile is not measurable and is reported as "lost" (for
 * p99: when more than 1 % of the requests were lost). Its reported value is then a lower bound —
 * the shortest time the benchmark waited for any lost request — so that it fails any "<=" target.
 *
 * Pure: times are whatever unit the caller passes (ms, µs), consistently.
 */
import { CaxtonError } from '@caxton/core';
import type { BenchResult } from './lib-output.js';

/** `after-settle`: the account is final; the request already counts as lost. */
export type AnswerKind = 'answered' | 'late' | 'duplicate' | 'unknown' | 'after-settle';

export interface LatencyAccount {
  sent: number;
  answered: number;
  late: number;
  /** Never answered, including `refused`. */
  lost: number;
  /** Lost because the send itself was refused (e.g. a full mailbox). */
  refused: number;
  /** Answers seen again for a request already answered (not counted twice). */
  duplicates: number;
  /** Latencies of the answered and late requests, ascending. */
  latencies: number[];
  /** Shortest wait (settle time − send time) among the lost requests; Infinity when none was lost. */
  shortestLostWait: number;
}

export type Percentile = { lost: false; value: number } | { lost: true; atLeast: number };

export class LedgerMisuse extends CaxtonError {
  constructor(message: string, context: Record<string, unknown>, hint: string) {
    super('bench.ledger-misuse', message, { kind: 'failed-precondition', context, hint });
  }
}

export class RequestLedger<Id = string> {
  /** Sent and not answered: id → send time. Refused requests stay here (they are lost). */
  private readonly pending = new Map<Id, number>();
  private readonly refused = new Set<Id>();
  private readonly answeredIds = new Set<Id>();
  private readonly latencies: number[] = [];
  private windowEnd = Infinity;
  private sentCount = 0;
  private answeredCount = 0;
  private lateCount = 0;
  private refusedCount = 0;
  private duplicateCount = 0;
  private settled: LatencyAccount | undefined;

  send(id: Id, at: number): void {
    this.assertOpen('send');
    if (this.pending.has(id) || this.answeredIds.has(id)) {
      throw new LedgerMisuse('request id sent twice', { id: String(id) }, 'give every request of a run its own id');
    }
    this.pending.set(id, at);
    this.sentCount++;
  }

  /**
   * Records an answer received at `at`; ids this ledger never sent are ignored (e.g. warm-up).
   * After the settle an answer changes nothing: it came after the drain, so its request is lost.
   */
  answer(id: Id, at: number): AnswerKind {
    if (this.settled) return 'after-settle';
    if (this.refused.has(id)) return 'unknown'; // its send failed: an answer would be someone else's
    const sentAt = this.pending.get(id);
    if (sentAt === undefined) {
      if (!this.answeredIds.has(id)) return 'unknown';
      this.duplicateCount++;
      return 'duplicate';
    }
    this.pending.delete(id);
    this.answeredIds.add(id);
    this.latencies.push(at - sentAt);
    if (at > this.windowEnd) {
      this.lateCount++;
      return 'late';
    }
    this.answeredCount++;
    return 'answered';
  }

  /** The send of `id` failed: it will never be answered, so it is lost now. */
  refuse(id: Id): void {
    if (this.settled) return; // already counted lost
    if (!this.pending.has(id) || this.refused.has(id)) return;
    this.refusedCount++;
    // Stays pending, so its wait counts up to the settle time like any other lost request.
    this.refused.add(id);
  }

  /** End of the run window: answers from now on are late. */
  closeWindow(at: number): void {
    this.assertOpen('closeWindow');
    this.windowEnd = at;
  }

  /** Requests still waiting for an answer that can still come (refused ones cannot). */
  get awaited(): number {
    return this.pending.size - this.refused.size;
  }

  /** Ends the drain at `at`: whatever is still pending is lost. Idempotent after the first call. */
  settle(at: number): LatencyAccount {
    if (this.settled) return this.settled;
    let shortestLostWait = Infinity;
    for (const sentAt of this.pending.values()) shortestLostWait = Math.min(shortestLostWait, at - sentAt);
    this.settled = {
      sent: this.sentCount,
      answered: this.answeredCount,
      late: this.lateCount,
      lost: this.pending.size,
      refused: this.refusedCount,
      duplicates: this.duplicateCount,
      latencies: [...this.latencies].sort((a, b) => a - b),
      shortestLostWait,
    };
    return this.settled;
  }

  private assertOpen(what: string): void {
    if (this.settled)
      throw new LedgerMisuse(`${what} after the ledger was settled`, { what }, 'settle a ledger only once the run and its drain are over');
  }
}

/** Nearest-rank percentile over every sent request, a lost request counting as infinitely slow. */
export function percentileOf(account: LatencyAccount, p: number): Percentile {
  if (account.sent === 0) {
    throw new LedgerMisuse(
      'no requests were sent',
      { p },
      'a latency run that sends nothing measured nothing: check its rate and duration',
    );
  }
  if (!(p > 0 && p <= 100)) throw new LedgerMisuse('percentile out of range', { p }, 'pass p in (0, 100]');
  const rank = Math.max(1, Math.ceil((p / 100) * account.sent));
  // The rank lies past every answered request, so the percentile is at least the slowest answer as
  // well as the shortest lost wait: a request lost just before the settle waited little (bench state
  // once printed a lost p99 lower bound of 68 ms beside a measured p50 of 119 ms).
  if (rank > account.latencies.length) return { lost: true, atLeast: Math.max(account.shortestLostWait, account.latencies.at(-1) ?? 0) };
  return { lost: false, value: account.latencies[rank - 1]! };
}

const fraction = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(2)} %`;

export interface PercentileLine {
  bench: string;
  metric: string;
  p: number;
  unit: string;
  digits: number;
  target?: string;
  note: string;
}

/** The JSON line of one percentile; a lost percentile says so in its note and carries its lower bound. */
export function percentileResult(account: LatencyAccount, line: PercentileLine): BenchResult {
  const q = percentileOf(account, line.p);
  const value = Number((q.lost ? q.atLeast : q.value).toFixed(line.digits));
  const note = q.lost
    ? `LOST: ${account.lost} of ${account.sent} requests (${fraction(account.lost, account.sent)}) never answered, so p${line.p} is unbounded; the value is a lower bound (the slowest answer or the shortest wait of a lost request, whichever is longer); ${line.note}`
    : line.note;
  return {
    bench: line.bench,
    metric: line.metric,
    value,
    unit: line.unit,
    ...(line.target === undefined ? {} : { target: line.target }),
    note,
  };
}

/** requests_sent / answered / late / lost lines for one latency measurement (`prefix` names it). */
export function accountingResults(bench: string, prefix: string, account: LatencyAccount, what: string): BenchResult[] {
  const line = (name: string, value: number, note: string, target?: string): BenchResult => ({
    bench,
    metric: `${prefix}requests_${name}`,
    value,
    unit: 'requests',
    ...(target === undefined ? {} : { target }),
    note,
  });
  return [
    line('sent', account.sent, `${what}: every request sent in the run window, each tracked by id`),
    line('answered', account.answered, 'answered before the run window closed'),
    line('late', account.late, 'answered after the window closed, during the drain; included in the percentiles with their real latency'),
    line(
      'lost',
      account.lost,
      `never answered by the end of the drain${account.refused > 0 ? ` (${account.refused} of them refused at send)` : ''}; counted as infinitely slow in the percentiles` +
        `${account.duplicates > 0 ? `; ${account.duplicates} duplicate answers ignored` : ''}`,
      '= 0',
    ),
  ];
}

/** A short summary for notes: "3000 sent, 2998 answered, 2 late, 0 lost". */
export function accountSummary(account: LatencyAccount): string {
  return `${account.sent} sent, ${account.answered} answered, ${account.late} late, ${account.lost} lost`;
}
