/**
 * Details of the lean span and encoder (runtime/src/telemetry/lean/span.ts, otlp-encoder.ts): span
 * times follow the wall clock when it moves away from the monotonic one (re-read at most once a
 * second); an array attribute value is copied when set, so the caller changing its array later
 * does not change the span; one huge span does not make the next batch start with a huge buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { encodeResource, INITIAL_BUFFER_CAP, OtlpTraceEncoder } from '../../src/telemetry/lean/otlp-encoder.js';
import type { LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';

function recorder(): { ended: LeanSpan[]; provider: LeanTracerProvider } {
  const ended: LeanSpan[] = [];
  const sink = { onEnd: (s: LeanSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  return { ended, provider: new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink }) };
}

test('span times follow the wall clock when it moves away from the monotonic clock (an hour ahead here)', { timeout: 60_000 }, async () => {
  const tracer = recorder().provider.getTracer('t');
  const before = tracer.startSpan('before') as unknown as LeanSpan;
  assert.ok(Math.abs(before.startTime - Date.now()) < 1000, `${before.startTime} vs ${Date.now()}`);
  const realNow = Date.now;
  const HOUR = 3_600_000;
  Date.now = () => realNow() + HOUR;
  try {
    // The offset is re-read at most once a second: wait past that.
    await new Promise((r) => setTimeout(r, 1100));
    const span = tracer.startSpan('after') as unknown as LeanSpan;
    span.end();
    assert.ok(Math.abs(span.startTime - Date.now()) < 1000, `start ${span.startTime} is not near the wall clock ${Date.now()}`);
    assert.ok(span.endTime >= span.startTime);
    // A span started before the step still ends after its start.
    before.end();
    assert.ok(before.endTime >= before.startTime);
  } finally {
    Date.now = realNow;
    await new Promise((r) => setTimeout(r, 1100));
    tracer.startSpan('re-read').end(); // leaves the offset on the real clock for later tests in this process
  }
});

test('an array attribute value is copied when set: changing the array afterwards does not change the span', () => {
  const { ended, provider } = recorder();
  const tracer = provider.getTracer('t');
  const tags = ['a', 'b'];
  const codes = [1, 2];
  const span = tracer.startSpan('s', { attributes: { tags } });
  span.setAttribute('codes', codes);
  span.addEvent('e', { tags });
  tags.push('c');
  codes[0] = 99;
  span.end();
  const attrs = ended[0]!.attributes;
  assert.deepEqual(attrs, ['tags', ['a', 'b'], 'codes', [1, 2]]);
  assert.deepEqual(ended[0]!.events![0]!.attributes, ['tags', ['a', 'b']]);
});

test('after one huge span, the next batch does not start with a buffer sized for huge spans', () => {
  const { ended, provider } = recorder();
  const tracer = provider.getTracer('t');
  tracer.startSpan('huge', { attributes: { blob: 'x'.repeat(2 * 1024 * 1024) } }).end();
  for (let i = 0; i < 256; i++) tracer.startSpan(`small${i}`).end();
  const encoder = new OtlpTraceEncoder(encodeResource({ 'service.name': 't' }));
  encoder.encode(ended.slice(0, 1));
  const sizes: number[] = [];
  const allocUnsafe = Buffer.allocUnsafe;
  Buffer.allocUnsafe = ((n: number) => {
    sizes.push(n);
    return allocUnsafe(n);
  }) as typeof Buffer.allocUnsafe;
  let bytes: Buffer;
  try {
    bytes = encoder.encode(ended.slice(1));
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  assert.ok(sizes.length > 0);
  assert.ok(Math.max(...sizes) <= INITIAL_BUFFER_CAP, `allocated ${Math.max(...sizes)} bytes for ${bytes.length}`);
  // The same bytes as a fresh encoder's.
  assert.deepEqual(bytes, new OtlpTraceEncoder(encodeResource({ 'service.name': 't' })).encode(ended.slice(1)));
});
