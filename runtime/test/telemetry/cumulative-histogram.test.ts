/**
 * The pre-aggregated histogram (decision 2200) exports what the SDK's own explicit-bucket
 * histogram exports for the same values: the same buckets, count, sum, min and max, through a
 * reader that has it as a producer; and agent metrics given one record handle durations into it,
 * one series per bounded agent label.
 */
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { DataPointType, MeterProvider, MetricReader, type MetricReaderOptions, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BusEvents, type BusEvent } from '../../src/bus/events.js';
import { installAgentMetrics } from '../../src/node/agent-metrics.js';
import { CumulativeHistogram, MAX_SERIES } from '../../src/telemetry/cumulative-histogram.js';
import { agentLabels, DEFAULT_MAX_AGENT_LABELS, setMaxAgentLabels } from '../../src/telemetry/cardinality.js';
import { HANDLE_DURATION, RUNTIME_SCOPE, SECONDS_BUCKETS } from '../../src/telemetry/meters.js';

class OnDemandReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  attributes: Record<string, unknown>;
  counts: number[];
  count: number;
  sum: number;
  min: number | undefined;
  max: number | undefined;
}

function histogramPoints(rm: ResourceMetrics, name: string): Point[] {
  const metrics = rm.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name);
  assert.equal(metrics.length, 1, `one metric named ${name}`);
  const metric = metrics[0]!;
  assert.equal(metric.dataPointType, DataPointType.HISTOGRAM);
  return metric.dataPoints.map((p) => {
    const v = p.value as { buckets: { boundaries: number[]; counts: number[] }; count: number; sum: number; min?: number; max?: number };
    assert.deepEqual(v.buckets.boundaries, SECONDS_BUCKETS);
    return { attributes: { ...p.attributes }, counts: v.buckets.counts, count: v.count, sum: v.sum, min: v.min, max: v.max };
  });
}

/** Values on, just above and just below every boundary, zero, and past the last one. */
function values(): number[] {
  const out = [0, 20, 1e-7];
  for (const b of SECONDS_BUCKETS) out.push(b, b * 0.999, b * 1.001);
  let x = 12345;
  for (let i = 0; i < 500; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push((x / 2 ** 31) ** 4 * 12);
  }
  return out;
}

describe('CumulativeHistogram', () => {
  it("exports what the SDK's explicit-bucket histogram exports for the same values", async () => {
    const produced = new CumulativeHistogram(HANDLE_DURATION, SECONDS_BUCKETS, RUNTIME_SCOPE);
    const sdkReader = new OnDemandReader();
    const sdk = new MeterProvider({ readers: [sdkReader] })
      .getMeter('sdk')
      .createHistogram(HANDLE_DURATION.name, { unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } });
    const ownReader = new OnDemandReader({ metricProducers: [produced] });
    new MeterProvider({ readers: [ownReader] });
    const a = produced.seriesOf('a', { agent: 'a' });
    const b = produced.seriesOf('b', { agent: 'b' });
    assert.equal(produced.seriesOf('a', { agent: 'a' }), a, 'a key keeps its series');
    for (const [i, v] of values().entries()) {
      const agent = i % 3 === 0 ? 'b' : 'a';
      sdk.record(v, { agent });
      (agent === 'a' ? a : b).record(v);
    }
    const byAgent = (ps: Point[]) => Object.fromEntries(ps.map((p) => [String(p.attributes['agent']), p]));
    const want = byAgent(histogramPoints((await sdkReader.collect()).resourceMetrics, HANDLE_DURATION.name));
    const got = byAgent(histogramPoints((await ownReader.collect()).resourceMetrics, HANDLE_DURATION.name));
    assert.deepEqual(Object.keys(got).sort(), ['a', 'b']);
    for (const agent of ['a', 'b']) {
      assert.deepEqual(got[agent]!.counts, want[agent]!.counts, `${agent}: buckets`);
      assert.equal(got[agent]!.count, want[agent]!.count);
      assert.ok(Math.abs(got[agent]!.sum - want[agent]!.sum) < 1e-9, `${agent}: sum ${got[agent]!.sum} vs ${want[agent]!.sum}`);
      assert.equal(got[agent]!.min, want[agent]!.min);
      assert.equal(got[agent]!.max, want[agent]!.max);
    }
  });

  it('leaves negative values and NaN out, exports nothing before the first record, and stays cumulative', async () => {
    const produced = new CumulativeHistogram(HANDLE_DURATION, SECONDS_BUCKETS, RUNTIME_SCOPE);
    const reader = new OnDemandReader({ metricProducers: [produced] });
    new MeterProvider({ readers: [reader] });
    const s = produced.seriesOf('x', { agent: 'x' });
    s.record(-1);
    s.record(Number.NaN);
    const empty = (await reader.collect()).resourceMetrics;
    assert.equal(
      empty.scopeMetrics.flatMap((m) => m.metrics).filter((m) => m.descriptor.name === HANDLE_DURATION.name).length,
      0,
      'a series with no value exports no point',
    );
    s.record(0.002);
    const first = histogramPoints((await reader.collect()).resourceMetrics, HANDLE_DURATION.name);
    s.record(0.2);
    const second = histogramPoints((await reader.collect()).resourceMetrics, HANDLE_DURATION.name);
    assert.equal(first[0]!.count, 1);
    assert.equal(second[0]!.count, 2, 'cumulative: the second collection counts both');
    assert.equal(second[0]!.min, 0.002);
    assert.equal(second[0]!.max, 0.2);
  });
});

describe('CumulativeHistogram series bound', () => {
  it("folds attribute sets past the SDK's default cardinality limit into one overflow series, as the SDK does", async () => {
    const produced = new CumulativeHistogram(HANDLE_DURATION, SECONDS_BUCKETS, RUNTIME_SCOPE);
    const reader = new OnDemandReader({ metricProducers: [produced] });
    new MeterProvider({ readers: [reader] });
    for (let i = 0; i < MAX_SERIES + 100; i++) produced.seriesOf(`a${i}`, { agent: `a${i}` }).record(0.001);
    const points = histogramPoints((await reader.collect()).resourceMetrics, HANDLE_DURATION.name);
    assert.equal(points.length, MAX_SERIES, 'limit - 1 sets of their own, and the overflow series');
    const overflow = points.filter((p) => p.attributes['otel.metric.overflow'] === true);
    assert.equal(overflow.length, 1);
    assert.equal(overflow[0]!.count, 101, 'every value past the limit is counted, in the overflow series');
    assert.equal(
      points.reduce((n, p) => n + p.count, 0),
      MAX_SERIES + 100,
    );
  });
});

describe('installAgentMetrics with pre-aggregated handle durations', () => {
  beforeEach(() => {
    agentLabels.reset();
    setMaxAgentLabels(2);
  });
  after(() => {
    setMaxAgentLabels(DEFAULT_MAX_AGENT_LABELS);
    agentLabels.reset();
  });

  it('records each handling into its bounded label, and the SDK meter gets no histogram of its own', async () => {
    const produced = new CumulativeHistogram(HANDLE_DURATION, SECONDS_BUCKETS, RUNTIME_SCOPE);
    const reader = new OnDemandReader({ metricProducers: [produced] });
    const meter = new MeterProvider({ readers: [reader] }).getMeter(RUNTIME_SCOPE.name);
    const events = new BusEvents();
    const remove = installAgentMetrics(meter, { events, sample: async () => [], handleDurations: produced });
    const costs = { fuelUsed: 1, messagesSent: 0, bytesSent: 0, stateBytesWritten: 0, httpCalls: 0, outcome: { status: 'ok' as const } };
    const handled = (agent: string, durationUs: number, timer = false): BusEvent =>
      timer
        ? { type: 'timer-handled', agent, timerId: 't', durationUs, ...costs }
        : {
            type: 'handled',
            agent,
            deliveryId: `d-${agent}`,
            messageId: `m-${agent}`,
            attempt: 1,
            durationUs,
            conversationId: undefined,
            ...costs,
          };
    for (const [agent, us] of [
      ['a', 300],
      ['b', 3_000],
      ['c', 30_000],
      ['kind/key-1', 50],
      ['a', 700],
    ] as const)
      events.emit(handled(agent, us));
    events.emit(handled('a', 9_000_000, true));
    remove();
    events.emit(handled('a', 1));
    const points = histogramPoints((await reader.collect()).resourceMetrics, HANDLE_DURATION.name);
    const byAgent = Object.fromEntries(points.map((p) => [String(p.attributes['agent']), [p.count, Number(p.sum.toFixed(6))]]));
    // a and b take the two label slots; c and the kind's key fold into other; a timer's handling and
    // one after removal are not counted.
    assert.deepEqual(byAgent, { a: [2, 0.001], b: [1, 0.003], other: [2, 0.03005] });
    assert.equal(points.length, 3, 'one series per label');
  });
});
