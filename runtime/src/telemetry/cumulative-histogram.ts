/**
 * A histogram aggregated where it is recorded and handed to metric readers as a producer
 * (decision 2200). The SDK's synchronous histogram hashes its attribute set (JSON of the sorted
 * keys) and looks it up on every `record`: ~0.46 µs per handled event with two readers, the
 * largest per-message cost of metrics. Here a caller takes a series once per attribute set and
 * keeps it, so a record is a bucket search and four number updates.
 *
 * What readers get is what the SDK would export for an explicit-bucket histogram with cumulative
 * temporality: bucket counts (`boundaries.length + 1`, bucket i counting values in
 * (boundaries[i-1], boundaries[i]]), count, sum, min and max, each series from when its attribute
 * set was first taken. As the SDK caps an instrument's series (its default cardinality limit), a
 * set past `MAX_SERIES` shares one overflow series, `otel.metric.overflow=true`.
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type CollectionResult,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** The SDK's default cardinality limit per instrument: past it, new attribute sets share one overflow series. */
export const MAX_SERIES = 2000;
const OVERFLOW_KEY = '\u0000overflow';
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

export interface HistogramDescriptor {
  name: string;
  description: string;
  unit: string;
}

/** One attribute set's cumulative buckets. */
export class HistogramSeries {
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly counts: Float64Array;

  constructor(
    readonly attributes: Attributes,
    readonly startTime: HrTime,
    private readonly boundaries: readonly number[],
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  /** One value; a negative one (or NaN) is left out, as the SDK's histogram drops negative values. */
  record(value: number): void {
    if (!(value >= 0)) return;
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]! += 1;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }
}

export class CumulativeHistogram implements MetricProducer {
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly descriptor: HistogramDescriptor,
    private readonly boundaries: readonly number[],
    private readonly scope: { name: string; version: string },
    private readonly now: () => HrTime = hrTime,
  ) {}

  /**
   * The series of `attributes`, keyed by `key` (the caller's name for the set). Series are
   * cumulative and never dropped; past `MAX_SERIES` sets, a new key gets the overflow series
   * (agent labels are bounded below that already: boundedAgentLabel, cardinality.ts).
   */
  seriesOf(key: string, attributes: Attributes): HistogramSeries {
    let s = this.series.get(key);
    if (s !== undefined) return s;
    // The SDK keeps limit − 1 sets of its own and the overflow series as the last.
    if (this.series.size >= MAX_SERIES - 1) {
      s = this.series.get(OVERFLOW_KEY);
      if (s === undefined) this.series.set(OVERFLOW_KEY, (s = new HistogramSeries(OVERFLOW_ATTRIBUTES, this.now(), this.boundaries)));
      return s;
    }
    this.series.set(key, (s = new HistogramSeries(attributes, this.now(), this.boundaries)));
    return s;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = this.now();
    const dataPoints = [...this.series.values()]
      .filter((s) => s.count > 0)
      .map((s) => ({
        attributes: s.attributes,
        startTime: s.startTime,
        endTime,
        value: {
          buckets: { boundaries: [...this.boundaries], counts: Array.from(s.counts) },
          count: s.count,
          sum: s.sum,
          min: s.min,
          max: s.max,
        },
      }));
    const metric: HistogramMetricData = {
      descriptor: { ...this.descriptor, valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
    // The reader keeps its own provider's resource; this one is never exported.
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: dataPoints.length === 0 ? [] : [{ scope: this.scope, metrics: [metric] }],
      },
      errors: [],
    };
  }
}
