/**
 * OTLP log records of agent lines (decision 1850): the bounded log queue
 * (runtime/src/telemetry/bounded-log-processor.ts) never blocks an emit when the exporter hangs,
 * stops at its bound and counts every record past it, and every record of a failed export, as
 * `caxton.telemetry.dropped{signal="logs"}`; and an agent log entry becomes a record with its
 * severity, body, agent and the trace and span of its handling (otlp-log-records.ts). Real SDK
 * logger and meter providers; the exporter is a recording one whose answers the test controls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode } from '@opentelemetry/core';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { LogEntry } from '@caxton/core';
import { BoundedLogProcessor } from '../../src/telemetry/bounded-log-processor.js';
import { DropCounter } from '../../src/telemetry/drop-counter.js';
import { emitLogRecord, severityOf } from '../../src/telemetry/otlp-log-records.js';
import { HeldExporter, droppedPoints, meter } from './support/held-export.js';

const entry = (i: number, level: LogEntry['level'] = 'info'): LogEntry => ({
  agent: `a${i % 3}`,
  at: 1_700_000_000_000 + i,
  level,
  message: `line ${i}`,
  nodeId: 'n1',
});

test('a hung exporter: the log queue stops at its bound, the rest is dropped and counted, emit never blocks', async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const exporter = new HeldExporter<ReadableLogRecord>();
  const processor = new BoundedLogProcessor(exporter, drops, { maxQueueSize: 8, maxExportBatchSize: 4, scheduledDelayMs: 10 });
  const logger = new LoggerProvider({ processors: [processor] }).getLogger('t');
  const started = performance.now();
  for (let i = 0; i < 1000; i++) emitLogRecord(logger, entry(i), undefined);
  const elapsed = performance.now() - started;
  await new Promise((r) => setTimeout(r, 50));
  const handed = exporter.batches.reduce((n, b) => n + b.length, 0);
  assert.ok(processor.queued <= 8, `queued ${processor.queued}`);
  assert.equal(
    handed + processor.queued + drops.total('logs', 'queue_full'),
    1000,
    'every record is exported, queued or counted as dropped',
  );
  assert.ok(drops.total('logs', 'queue_full') >= 1000 - 8 - 4, `dropped ${drops.total('logs')}`);
  assert.ok(elapsed < 1000, `emitting 1000 records took ${elapsed.toFixed(0)} ms`);
  const points = await droppedPoints(m);
  assert.equal(points['logs/queue_full'], drops.total('logs', 'queue_full'));
  // The collector answers "failed": those records are counted as export_failed.
  for (const [i, cb] of exporter.callbacks.entries()) cb({ code: ExportResultCode.FAILED, error: new Error(`down ${i}`) });
  assert.equal(drops.total('logs', 'export_failed'), handed);
  assert.equal((await droppedPoints(m))['logs/export_failed'], handed);
  await m.provider.shutdown();
});

test('each signal, logs included, starts at a visible zero', async () => {
  const m = meter();
  new DropCounter(m.provider.getMeter('t'));
  const points = await droppedPoints(m);
  assert.deepEqual([points['traces/queue_full'], points['metrics/queue_full'], points['logs/queue_full']], [0, 0, 0]);
  await m.provider.shutdown();
});

test("an entry becomes a record with severity, body, agent, its time and its handling's trace", async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const exported: ReadableLogRecord[] = [];
  const exporter: LogRecordExporter = {
    export: (records, done) => {
      exported.push(...records);
      done({ code: ExportResultCode.SUCCESS });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const processor = new BoundedLogProcessor(exporter, drops, { maxQueueSize: 16, maxExportBatchSize: 4, scheduledDelayMs: 5 });
  const logger = new LoggerProvider({ processors: [processor] }).getLogger('caxton.agent.logs');
  const ids = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  emitLogRecord(logger, entry(1, 'warn'), ids);
  emitLogRecord(logger, entry(2, 'trace'), undefined);
  // Ids that are not a valid span context (all zeros) are left out rather than exported as a bogus trace.
  emitLogRecord(logger, entry(3, 'error'), { traceId: '0'.repeat(32), spanId: '0'.repeat(16) });
  await processor.forceFlush();
  assert.equal(exported.length, 3);
  assert.equal(processor.exported, 3);
  assert.equal(drops.total('logs'), 0);
  const [warn, low, bad] = exported as [ReadableLogRecord, ReadableLogRecord, ReadableLogRecord];
  assert.equal(warn.body, 'line 1');
  assert.equal(warn.severityNumber, SeverityNumber.WARN);
  assert.equal(warn.severityText, 'WARN');
  assert.deepEqual(warn.attributes, { 'caxton.agent': 'a1' });
  assert.deepEqual(warn.hrTime, [1_700_000_000, 1_000_000], "the line's own time (ms → [s, ns])");
  assert.equal(warn.spanContext?.traceId, ids.traceId);
  assert.equal(warn.spanContext?.spanId, ids.spanId);
  assert.equal(low.severityNumber, SeverityNumber.TRACE);
  assert.equal(low.spanContext, undefined, 'a line outside any handling has no trace');
  assert.equal(bad.severityNumber, SeverityNumber.ERROR);
  assert.equal(bad.spanContext, undefined);
  await m.provider.shutdown();
});

test("an unknown level (a foreign agent's) reads as INFO rather than being dropped", () => {
  assert.deepEqual(severityOf('verbose'), { severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
  assert.deepEqual(severityOf('__proto__'), { severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
  assert.deepEqual(severityOf('error'), { severityNumber: SeverityNumber.ERROR, severityText: 'ERROR' });
});
