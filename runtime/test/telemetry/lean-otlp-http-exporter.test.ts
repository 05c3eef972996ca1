/**
 * The lean tracer's OTLP/HTTP exporter (runtime/src/telemetry/lean/otlp-http-exporter.ts) against
 * a node:http server on loopback answering as a collector may: a 503 with Retry-After is retried
 * and the same protobuf body arrives again with the configured headers; a 400 fails at once
 * (no retry) and the batch is reported failed. Spans reaching a real collector are the ops tests'
 * (test/ops/telemetry-export.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { encodeResource, OtlpTraceEncoder } from '../../src/telemetry/lean/otlp-encoder.js';
import { OtlpHttpSpanExporter } from '../../src/telemetry/lean/otlp-http-exporter.js';
import type { LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function collectorAnswering(
  answers: ((res: http.ServerResponse) => void)[],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      (answers[received.length - 1] ?? ((r) => r.end()))(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function spans(n: number): LeanSpan[] {
  const ended: LeanSpan[] = [];
  const sink = { onEnd: (s: LeanSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink }).getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`, { attributes: { i } }).end();
  return ended;
}

function exportWith(exporter: OtlpHttpSpanExporter, batch: LeanSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

test('a 503 with Retry-After is retried: the same body arrives again, with the configured headers', { timeout: 60_000 }, async () => {
  const collector = await collectorAnswering([
    (res) => res.writeHead(503, { 'Retry-After': '1' }).end('busy'),
    (res) => res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(),
  ]);
  const encoder = new OtlpTraceEncoder(encodeResource({ 'service.name': 't' }));
  const exporter = new OtlpHttpSpanExporter(encoder, {
    url: collector.url,
    headers: { authorization: 'Bearer x' },
    timeoutMs: 30_000,
    compression: 'none',
  });
  try {
    const batch = spans(20);
    const expected = Buffer.from(new OtlpTraceEncoder(encodeResource({ 'service.name': 't' })).encode(batch));
    const result = await exportWith(exporter, batch);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    assert.equal(collector.received.length, 2);
    for (const r of collector.received) {
      assert.equal(r.headers['content-type'], 'application/x-protobuf');
      assert.equal(r.headers.authorization, 'Bearer x');
      assert.deepEqual(r.body, expected);
    }
  } finally {
    await exporter.shutdown();
    await collector.close();
  }
});

test('a 400 fails at once: one (gzipped) request, the batch reported failed with the status', { timeout: 60_000 }, async () => {
  const collector = await collectorAnswering([(res) => res.writeHead(400).end('bad request body')]);
  const exporter = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
    url: collector.url,
    headers: {},
    timeoutMs: 30_000,
    compression: 'gzip',
  });
  try {
    const batch = spans(3);
    const result = await exportWith(exporter, batch);
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.match(String(result.error?.message), /HTTP 400/);
    assert.equal(collector.received.length, 1);
    assert.equal(collector.received[0]!.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(collector.received[0]!.body), Buffer.from(new OtlpTraceEncoder(encodeResource({})).encode(batch)));
  } finally {
    await exporter.shutdown();
    await collector.close();
  }
});
