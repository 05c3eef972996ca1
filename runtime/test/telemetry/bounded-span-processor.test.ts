/**
 * The bounded span queue (runtime/src/telemetry/bounded-span-processor.ts): with an exporter that
 * never answers (a hung collector) ending spans never blocks, the queue stops at its bound and every
 * span past it is counted as dropped; failed exports are counted too. Real SDK tracer provider and
 * meter provider; the exporter is a recording one whose answers the test controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode } from '@opentelemetry/core';
import { AlwaysOffSampler, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { BoundedSpanProcessor } from '../../src/telemetry/bounded-span-processor.js';
import { DropCounter } from '../../src/telemetry/drop-counter.js';
import { HeldExporter, droppedPoints, meter } from './support/held-export.js';

test('a hung exporter: the queue stops at its bound, the rest is dropped and counted, nothing blocks', async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const exporter = new HeldExporter<ReadableSpan>();
  const processor = new BoundedSpanProcessor(exporter, drops, { maxQueueSize: 8, maxExportBatchSize: 4, scheduledDelayMs: 10 });
  const provider = new TracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer('t');
  const started = performance.now();
  for (let i = 0; i < 1000; i++) tracer.startSpan(`s${i}`).end();
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 50));
  const handed = exporter.batches.reduce((n, b) => n + b.length, 0);
  assert.ok(processor.queued <= 8, `queued ${processor.queued}`);
  assert.equal(
    handed + processor.queued + drops.total('traces', 'queue_full'),
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

test('an exporter that answers: nothing dropped; unsampled spans never take a slot', async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const exported: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export: (spans, done) => {
      exported.push(...spans);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
  };
  const processor = new BoundedSpanProcessor(exporter, drops, { maxQueueSize: 16, maxExportBatchSize: 4, scheduledDelayMs: 5 });
  const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('t');
  for (let i = 0; i < 100; i++) {
    tracer.startSpan(`s${i}`).end();
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 10));
  }
  await processor.forceFlush();
  assert.equal(exported.length, 100);
  assert.equal(processor.queued, 0);
  assert.equal(drops.total('traces'), 0);
  const off = new BoundedSpanProcessor(exporter, drops, { maxQueueSize: 1 });
  const offTracer = new TracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [off] }).getTracer('t');
  for (let i = 0; i < 10; i++) offTracer.startSpan('x').end();
  assert.equal(off.queued, 0);
  assert.equal(drops.total('traces'), 0);
  await m.provider.shutdown();
});
