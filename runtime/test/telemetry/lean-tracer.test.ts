/**
 * The lean tracer's sampling and span behaviour (runtime/src/telemetry/lean/tracer.ts, span.ts) as
 * the SDK's Tracer has it: a parent-based sampler follows the parent (an unsampled parent gives a
 * non-recording span that carries the trace on, a sampled one a recorded child), a ratio of 0
 * records no root, a RECORD decision records without sampling, suppressed tracing gives the
 * invalid context; ids are W3C hex and distinct; an ended span takes no more changes. The node's
 * parent-based sampler decides as the SDK's ParentBasedSampler for every kind of parent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SamplingDecision, TraceFlags, context, trace, type SpanContext } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';
import { NodeParentBasedSampler } from '../../src/telemetry/lean/parent-based-sampler.js';
import type { LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';

function tracerWith(sampler: Sampler): { ended: LeanSpan[]; tracer: ReturnType<LeanTracerProvider['getTracer']> } {
  const ended: LeanSpan[] = [];
  const sink = { onEnd: (s: LeanSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  return { ended, tracer: new LeanTracerProvider({ sampler, sink }).getTracer('t', '1') };
}

const parentOf = (traceFlags: number): SpanContext => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags,
  isRemote: true,
});

test('parent-based: an unsampled parent gives a non-recording span on its trace; a sampled one a recorded child', () => {
  const { ended, tracer } = tracerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  const unsampled = tracer.startSpan('x', {}, trace.setSpanContext(ROOT_CONTEXT, parentOf(TraceFlags.NONE)));
  assert.equal(unsampled.isRecording(), false);
  assert.equal(unsampled.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(unsampled.spanContext().traceFlags, TraceFlags.NONE);
  unsampled.end();
  const sampled = tracer.startSpan('y', {}, trace.setSpanContext(ROOT_CONTEXT, parentOf(TraceFlags.SAMPLED)));
  assert.equal(sampled.isRecording(), true);
  assert.equal(sampled.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(sampled.spanContext().traceFlags, TraceFlags.SAMPLED);
  assert.notEqual(sampled.spanContext().spanId, '00f067aa0ba902b7');
  sampled.end();
  assert.equal(sampled.isRecording(), false, 'ended');
  sampled.setAttribute('late', 1);
  assert.deepEqual(
    ended.map((s) => [s.name, s.parent?.spanId, s.sampled, s.attributes]),
    [['y', '00f067aa0ba902b7', true, []]],
  );
});

test('ratio 0 records no root span; a RECORD decision records without sampling; suppressed tracing gives the invalid context', () => {
  const none = tracerWith(new TraceIdRatioBasedSampler(0));
  const root = none.tracer.startSpan('r');
  assert.equal(root.isRecording(), false);
  assert.ok(trace.isSpanContextValid(root.spanContext()), 'a new trace id is still handed on');
  root.end();
  assert.equal(none.ended.length, 0);

  const recordOnly = tracerWith({ shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'record' });
  const span = recordOnly.tracer.startSpan('rec');
  assert.equal(span.isRecording(), true);
  assert.equal(span.spanContext().traceFlags, TraceFlags.NONE);
  span.end();
  assert.equal(recordOnly.ended.length, 1);
  assert.equal(recordOnly.ended[0]!.sampled, false);

  const on = tracerWith(new AlwaysOnSampler());
  const suppressed = on.tracer.startSpan('s', {}, suppressTracing(ROOT_CONTEXT));
  assert.equal(suppressed.isRecording(), false);
  assert.equal(trace.isSpanContextValid(suppressed.spanContext()), false);
  const active = on.tracer.startActiveSpan('a', (s) => {
    s.end();
    return s.spanContext().spanId;
  });
  assert.equal(active, on.ended[0]!.spanContext().spanId);
  assert.equal(context.active(), ROOT_CONTEXT);
});

test('ids are lowercase W3C hex of the right length and distinct', () => {
  const { tracer } = tracerWith(new AlwaysOnSampler());
  const traces = new Set<string>();
  const spans = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const c = tracer.startSpan('i').spanContext();
    assert.match(c.traceId, /^[0-9a-f]{32}$/);
    assert.match(c.spanId, /^[0-9a-f]{16}$/);
    traces.add(c.traceId);
    spans.add(c.spanId);
  }
  assert.equal(traces.size, 5000);
  assert.equal(spans.size, 5000);
});

test("the node's parent-based sampler decides as the SDK's ParentBasedSampler", () => {
  const parents: (SpanContext | undefined)[] = [undefined];
  for (const isRemote of [true, false])
    for (const traceFlags of [TraceFlags.NONE, TraceFlags.SAMPLED, 0x10 | TraceFlags.SAMPLED])
      parents.push({ ...parentOf(traceFlags), isRemote });
  parents.push({ ...parentOf(TraceFlags.SAMPLED), traceId: '00000000000000000000000000000000' });
  parents.push({ ...parentOf(TraceFlags.SAMPLED), spanId: 'xyz' });
  parents.push({ ...parentOf(TraceFlags.SAMPLED), traceId: '4BF92F3577B34DA6A3CE929D0E0E4736' });
  for (const root of [new AlwaysOnSampler(), new AlwaysOffSampler(), new TraceIdRatioBasedSampler(0.5)]) {
    const ours = new NodeParentBasedSampler(root);
    const sdk = new ParentBasedSampler({ root });
    assert.equal(ours.toString(), sdk.toString());
    for (const parent of parents)
      for (const traceId of ['4bf92f3577b34da6a3ce929d0e0e4736', 'ffffffffffffffffffffffffffffff00', '00000000000000000000000000000a00']) {
        const ctx = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
        assert.deepEqual(
          ours.shouldSample(ctx, traceId, 'n', 0, {}, []),
          sdk.shouldSample(ctx, traceId, 'n', 0, {}, []),
          `${root.toString()} parent ${JSON.stringify(parent)} trace ${traceId}`,
        );
      }
  }
});
