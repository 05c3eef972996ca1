/**
 * The lean tracer's bounded span queue (runtime/src/telemetry/lean/span-queue.ts): with an exporter
 * that never answers (a hung collector) ending spans never blocks, the queue stops at its bound and
 * every span past it is counted as dropped; failed exports are counted too; spans that are not
 * sampled never take a slot. Real lean tracer provider and a real SDK meter provider; the exporter
 * is a recording one whose answers the test controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { DropCounter } from '../../src/telemetry/drop-counter.js';
import { ExportBound, type ExportBoundOptions } from '../../src/telemetry/export-bound.js';
import type { LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanSpanQueue, type SpanBatchExporter } from '../../src/telemetry/lean/span-queue.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';
import { HeldExporter, droppedPoints, meter } from './support/held-export.js';

function queue(exporter: SpanBatchExporter, drops: DropCounter, opts: ExportBoundOptions): LeanSpanQueue {
  return new LeanSpanQueue(new ExportBound('traces', drops, opts), exporter);
}

test('a hung exporter: the queue stops at its bound, the rest is dropped and counted, nothing blocks', async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const exporter = new HeldExporter<LeanSpan>();
  const spans = queue(exporter, drops, { maxQueueSize: 8, maxExportBatchSize: 4, scheduledDelayMs: 10 });
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink: spans }).getTracer('t');
  const started = performance.now();
  for (let i = 0; i < 1000; i++) tracer.startSpan(`s${i}`).end();
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 50));
  const handed = exporter.batches.reduce((n, b) => n + b.length, 0);
  assert.ok(spans.queued <= 8, `queued ${spans.queued}`);
  assert.equal(
    handed + spans.queued + drops.total('traces', 'queue_full'),
    1000,
    'every ended span is exported, queued or counted as dropped',
  );
  assert.ok(drops.total('traces', 'queue_full') >= 1000 - 8 - 4, `dropped ${drops.total('traces')}`);
  assert.ok(elapsed < 1000, `ending 1000 spans took ${elapsed.toFixed(0)} ms`);
  const points = await droppedPoints(m);
  assert.equal(points['traces/queue_full'], drops.total('traces', 'queue_full'));
  assert.equal(points['metrics/queue_full'], 0, 'each signal starts at a visible zero');
  // The collector answers "failed": those spans are counted as export_failed.
  for (const [i, cb] of exporter.callbacks.entries()) cb({ code: ExportResultCode.FAILED, error: new Error(`down ${i}`) });
  assert.equal(drops.total('traces', 'export_failed'), handed);
  assert.equal((await droppedPoints(m))['traces/export_failed'], handed);
  await m.provider.shutdown();
});

test('an exporter that answers: nothing dropped, batches at most the batch size; unsampled spans never take a slot', async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const batches: LeanSpan[][] = [];
  const exporter: SpanBatchExporter = {
    export: (items, done) => {
      batches.push(items);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
  };
  const spans = queue(exporter, drops, { maxQueueSize: 16, maxExportBatchSize: 4, scheduledDelayMs: 5 });
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink: spans }).getTracer('t');
  for (let i = 0; i < 100; i++) {
    tracer.startSpan(`s${i}`).end();
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 10));
  }
  await spans.forceFlush();
  assert.deepEqual(
    batches.flat().map((s) => s.name),
    Array.from({ length: 100 }, (_, i) => `s${i}`),
    'every span, once, in the order they ended',
  );
  assert.ok(
    batches.every((b) => b.length <= 4),
    `batch sizes ${batches.map((b) => b.length).join(',')}`,
  );
  assert.equal(spans.queued, 0);
  assert.equal(spans.exported, 100);
  assert.equal(drops.total('traces'), 0);
  const off = queue(exporter, drops, { maxQueueSize: 1 });
  const offTracer = new LeanTracerProvider({ sampler: new AlwaysOffSampler(), sink: off }).getTracer('t');
  for (let i = 0; i < 10; i++) offTracer.startSpan('x').end();
  assert.equal(off.queued, 0);
  assert.equal(drops.total('traces'), 0);
  // After shutdown nothing more is taken.
  await spans.shutdown();
  tracer.startSpan('late').end();
  assert.equal(spans.queued, 0);
  await m.provider.shutdown();
});
