/**
 * One process, several nodes one after another (tests, benchmarks): after the first node's SDK is
 * shut down and unregistered, the runtime's spans go to the provider registered next, not to the
 * first one (the API's ProxyTracer would keep it for good).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startSendSpan, tracerRegistered } from '../../src/telemetry/trace-context.js';

test('spans follow the provider registered now', () => {
  trace.disable();
  assert.equal(tracerRegistered(), false);
  startSendSpan({ performative: 'inform', receivers: [{ name: 'x' }] }, 'api').span.end(); // before any SDK: a no-op
  const first = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: first })] }));
  startSendSpan({ performative: 'request', receivers: [{ name: 'x' }] }, 'api').span.end();
  assert.deepEqual(
    first.getFinishedSpans().map((s) => s.name),
    ['send request'],
  );
  trace.disable();
  const second = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: second })] }));
  startSendSpan({ performative: 'cfp', receivers: [{ name: 'x' }] }, 'api').span.end();
  assert.deepEqual(
    second.getFinishedSpans().map((s) => s.name),
    ['send cfp'],
  );
  assert.equal(first.getFinishedSpans().length, 1, 'nothing more went to the first provider');
  trace.disable();
});
