/**
 * Where a request's time goes (decision 2102): each request is stamped at a fixed sequence of marks
 * (sent, request durable, handled, reply durable …) and its time is split into the stages between
 * consecutive marks. The summary gives each stage's p50 and p99 over the requests that reached every
 * mark, and — what explains a tail — each stage's mean over the slowest 1 % of those requests (their
 * total at or above its p99): a tail made by one stage shows as that stage's share of it.
 *
 * Pure: times are whatever unit the caller passes, consistently; percentiles by nearest rank.
 */

export interface StageSummary {
  /** `<mark before> -> <mark after>`. */
  stage: string;
  p50: number;
  p99: number;
  /** Mean of this stage over the requests whose total is at or above the total's p99. */
  tailMean: number;
}

export interface StagesSummary {
  /** Requests that reached every mark (the others are left out: lost, refused or still open). */
  complete: number;
  stages: StageSummary[];
  /** First mark to last. */
  total: { p50: number; p99: number; tailMean: number };
}

export class RequestStages<Id = string> {
  private readonly times = new Map<Id, number[]>();

  /** `marks`: in the order a request passes them; the first is where it starts (e.g. the send). */
  constructor(private readonly marks: readonly string[]) {}

  /**
   * Request `id` passed `mark` at `t`. The first time counts: a mark seen again (a redelivery's
   * second handling) does not move it. A mark of a request never started is ignored (warm-up).
   */
  note(id: Id, mark: string, t: number): void {
    const i = this.marks.indexOf(mark);
    if (i < 0) throw new RangeError(`unknown mark ${mark}: expected one of ${this.marks.join(', ')}`);
    if (i === 0) {
      if (!this.times.has(id)) this.times.set(id, [t]);
      return;
    }
    const row = this.times.get(id);
    if (row !== undefined && row[i] === undefined) row[i] = t;
  }

  summary(): StagesSummary {
    const n = this.marks.length;
    // Array.from: a mark never reached is a hole, which every() would skip.
    const rows = [...this.times.values()].filter((r) => r.length === n && Array.from(r).every((t) => t !== undefined));
    const totals = rows.map((r) => r[n - 1]! - r[0]!);
    const p99Total = nearestRank(totals, 99);
    const tail = rows.filter((_, k) => totals[k]! >= p99Total);
    const mean = (xs: number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
    const stages: StageSummary[] = [];
    for (let i = 1; i < n; i++) {
      const d = rows.map((r) => r[i]! - r[i - 1]!);
      stages.push({
        stage: `${this.marks[i - 1]} -> ${this.marks[i]}`,
        p50: nearestRank(d, 50),
        p99: nearestRank(d, 99),
        tailMean: mean(tail.map((r) => r[i]! - r[i - 1]!)),
      });
    }
    return {
      complete: rows.length,
      stages,
      total: { p50: nearestRank(totals, 50), p99: p99Total, tailMean: mean(tail.map((r) => r[n - 1]! - r[0]!)) },
    };
  }
}

/** The ceil(p/100 × n)-th smallest value; NaN for no values. */
function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
