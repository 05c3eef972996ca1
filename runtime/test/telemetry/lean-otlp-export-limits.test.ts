/**
 * The lean OTLP/HTTP span exporter's limits and transport settings
 * (runtime/src/telemetry/lean/otlp-http-exporter.ts, span-queue.ts): the CA and client certificate
 * of OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE / _CLIENT_CERTIFICATE / _CLIENT_KEY reach an https
 * collector (certificates made by the system's openssl); a collector that answers 200 and then
 * trickles its body cannot hold an export past its deadline, so later spans still go and shutdown
 * returns; a body past 4 MiB fails the attempt; a queue whose exporter never reports back is not
 * held by it; the export's own request runs with tracing suppressed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { context } from '@opentelemetry/api';
import { ExportResultCode, isTracingSuppressed, type ExportResult } from '@opentelemetry/core';
import { AlwaysOnSampler, StackContextManager } from '@opentelemetry/sdk-trace';
import { DropCounter } from '../../src/telemetry/drop-counter.js';
import { ExportBound } from '../../src/telemetry/export-bound.js';
import { TelemetryError } from '../../src/telemetry/errors.js';
import { encodeResource, OtlpTraceEncoder } from '../../src/telemetry/lean/otlp-encoder.js';
import { loadTlsFiles, OtlpHttpSpanExporter } from '../../src/telemetry/lean/otlp-http-exporter.js';
import type { LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanSpanQueue, type SpanBatchExporter } from '../../src/telemetry/lean/span-queue.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';
import { parseTelemetryConfig } from '../../src/telemetry/config.js';
import { hasOpenssl, makeCertificates } from '../api/support/test-certificates.js';
import { meter } from './support/held-export.js';

function spans(n: number): LeanSpan[] {
  const ended: LeanSpan[] = [];
  const sink = { onEnd: (s: LeanSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink }).getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end();
  return ended;
}

function exportWith(exporter: OtlpHttpSpanExporter, batch: LeanSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(batch, resolve));
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
}

test('an https collector signed by a private CA: trusted with OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE, client certificate presented; refused without', {
  skip: !hasOpenssl() && 'no openssl on this machine',
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-otlp-tls-'));
  const certs = await makeCertificates(dir);
  const clients: (string | undefined)[] = [];
  const server = https.createServer(
    {
      cert: await readFile(certs.serverCert),
      key: await readFile(certs.serverKey),
      ca: await readFile(certs.ca),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      clients.push(peer.subject === undefined ? undefined : String(peer.subject.CN));
      req.resume();
      req.on('end', () => res.end());
    },
  );
  const port = await listen(server);
  const url = `https://127.0.0.1:${port}/v1/traces`;
  try {
    // The per-signal variables win over the general ones (which name files that do not exist).
    const config = parseTelemetryConfig(
      {},
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
        OTEL_EXPORTER_OTLP_CERTIFICATE: path.join(dir, 'missing-ca.pem'),
        OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: certs.ca,
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCert,
        OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKey,
      },
    );
    const traces = config.traces!;
    const trusted = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
      url: traces.url,
      headers: {},
      timeoutMs: 30_000,
      compression: 'none',
      tls: loadTlsFiles(traces.tls),
    });
    try {
      const result = await exportWith(trusted, spans(2));
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.deepEqual(clients, ['caxton-client']);
    } finally {
      await trusted.shutdown();
    }
    const untrusted = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
      url,
      headers: {},
      timeoutMs: 30_000,
      compression: 'none',
    });
    try {
      const result = await exportWith(untrusted, spans(1));
      assert.equal(result.code, ExportResultCode.FAILED);
      assert.equal(clients.length, 1, 'the system CAs do not trust the private CA');
    } finally {
      await untrusted.shutdown();
    }
  } finally {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  }
});

test('an unreadable certificate file is refused at start with the variable named (telemetry.invalid-config)', () => {
  const config = parseTelemetryConfig(
    {},
    { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318', OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' },
  );
  assert.throws(
    () => loadTlsFiles(config.traces!.tls),
    (err: unknown) =>
      err instanceof TelemetryError &&
      err.code === 'telemetry.invalid-config' &&
      /OTEL_EXPORTER_OTLP_CERTIFICATE=\/nonexistent\/ca.pem cannot be read/.test(err.message) &&
      err.hint !== undefined,
  );
});

/** Answers 200 and then one byte of body every 300 ms, for ever (until closed); counts the requests. */
async function tricklingCollector(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
    const t = setInterval(() => res.write('x'), 300);
    timers.add(t);
    res.on('close', () => clearInterval(t));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    requests: () => requests,
    close: async () => {
      for (const t of timers) clearInterval(t);
      await close(server);
    },
  };
}

test('a collector that answers 200 and trickles its body: the export fails at its deadline, later spans export, shutdown returns', {
  timeout: 120_000,
}, async () => {
  const collector = await tricklingCollector();
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const timeoutMs = 1500;
  const bound = new ExportBound('traces', drops, {
    maxQueueSize: 64,
    maxExportBatchSize: 4,
    scheduledDelayMs: 10,
    exportTimeoutMs: timeoutMs,
  });
  const exporter = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
    url: collector.url,
    headers: {},
    timeoutMs,
    compression: 'none',
  });
  // Reported back by the exporter itself (not the queue's guard): the export failed.
  const results: ExportResult[] = [];
  const recording: SpanBatchExporter = {
    export: (items, done) =>
      exporter.export(items, (r) => {
        results.push(r);
        done(r);
      }),
    shutdown: () => exporter.shutdown(),
  };
  const queue = new LeanSpanQueue(bound, recording);
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink: queue }).getTracer('t');
  try {
    for (let i = 0; i < 4; i++) tracer.startSpan(`first${i}`).end();
    while (results.length < 1) await new Promise((r) => setTimeout(r, 50));
    assert.equal(results[0]!.code, ExportResultCode.FAILED);
    assert.match(String(results[0]!.error?.message), /no complete answer within/);
    assert.equal(drops.total('traces', 'export_failed'), 4);
    // The queue is free again: later spans are handed to the exporter.
    for (let i = 0; i < 4; i++) tracer.startSpan(`later${i}`).end();
    while (collector.requests() < 2) await new Promise((r) => setTimeout(r, 50));
    assert.equal(drops.total('traces', 'queue_full'), 0);
    // Shutdown while that export trickles: it returns by its deadline (generous bound: not waiting for ever).
    const started = performance.now();
    await queue.shutdown(500);
    const took = performance.now() - started;
    assert.ok(took < 30_000, `shutdown took ${took.toFixed(0)} ms`);
    while (results.length < 2) await new Promise((r) => setTimeout(r, 50));
    assert.equal(results[1]!.code, ExportResultCode.FAILED, 'the request in flight is ended by shutdown');
  } finally {
    await exporter.shutdown();
    await collector.close();
    await m.provider.shutdown();
  }
});

test('a response body past 4 MiB fails the export instead of being read to its end', { timeout: 120_000 }, async () => {
  let destroyed = false;
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => (destroyed = true));
    pump();
  });
  const port = await listen(server);
  const exporter = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
    url: `http://127.0.0.1:${port}/v1/traces`,
    headers: {},
    timeoutMs: 60_000,
    compression: 'none',
  });
  try {
    const result = await exportWith(exporter, spans(1));
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.match(String(result.error?.message), /larger than 4194304 bytes/);
    while (!destroyed) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await exporter.shutdown();
    await close(server);
  }
});

test('an exporter that never reports back does not hold the queue past the export timeout', { timeout: 120_000 }, async () => {
  const m = meter();
  const drops = new DropCounter(m.provider.getMeter('t'));
  const batches: LeanSpan[][] = [];
  const silent: SpanBatchExporter = { export: (items) => void batches.push(items), shutdown: async () => {} };
  const queue = new LeanSpanQueue(
    new ExportBound('traces', drops, { maxQueueSize: 64, maxExportBatchSize: 2, scheduledDelayMs: 10, exportTimeoutMs: 300 }),
    silent,
  );
  const tracer = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink: queue }).getTracer('t');
  for (let i = 0; i < 2; i++) tracer.startSpan(`a${i}`).end();
  for (let i = 0; i < 2; i++) tracer.startSpan(`b${i}`).end();
  while (batches.length < 2) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    batches.map((b) => b.map((s) => s.name)),
    [
      ['a0', 'a1'],
      ['b0', 'b1'],
    ],
  );
  // The queue's timers do not hold the process; this test's wait for shutdown does.
  const holding = setInterval(() => {}, 1000);
  try {
    await queue.shutdown(100);
  } finally {
    clearInterval(holding);
  }
  await m.provider.shutdown();
});

test("the export's own HTTP request runs with tracing suppressed", { timeout: 60_000 }, async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  const port = await listen(server);
  const manager = new StackContextManager().enable();
  assert.ok(context.setGlobalContextManager(manager));
  const seen: boolean[] = [];
  // What an http instrumentation sees when the request is made: the active context.
  const request = http.request;
  http.request = ((...args: Parameters<typeof http.request>) => {
    seen.push(isTracingSuppressed(context.active()));
    return request(...args);
  }) as typeof http.request;
  const exporter = new OtlpHttpSpanExporter(new OtlpTraceEncoder(encodeResource({})), {
    url: `http://127.0.0.1:${port}/v1/traces`,
    headers: {},
    timeoutMs: 30_000,
    compression: 'none',
  });
  try {
    const result = await exportWith(exporter, spans(1));
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    assert.deepEqual(seen, [true]);
  } finally {
    http.request = request;
    context.disable();
    await exporter.shutdown();
    await close(server);
  }
});
