/**
 * The bus's shortcut for unsampled trace contexts (decision 1303): which received contexts are
 * copied rather than spanned, that the copy is what a non-recording child span would have
 * propagated (same trace, still unsampled), and that a sampler which may record children of an
 * unsampled parent keeps the span path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { TRACEPARENT_PARAM, TRACESTATE_PARAM, type AclMessage } from '@caxton/core';
import {
  copyTraceContext,
  markParentBasedSampling,
  startHandleSpan,
  traceIdsOf,
  unsampledContextPolicy,
  unsampledTraceparent,
  injectMessageContext,
} from '../../src/telemetry/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const msg = (traceparent?: string, tracestate?: string): AclMessage => ({
  performative: 'inform',
  receivers: [{ name: 'x' }],
  ...(traceparent === undefined
    ? {}
    : { userParams: { [TRACEPARENT_PARAM]: traceparent, ...(tracestate === undefined ? {} : { [TRACESTATE_PARAM]: tracestate }) } }),
});

test('only a version-00 context with the sampled flag clear is unsampled', () => {
  assert.equal(unsampledTraceparent(msg(`00-${TRACE}-${SPAN}-00`)), `00-${TRACE}-${SPAN}-00`);
  assert.equal(unsampledTraceparent(msg(`00-${TRACE}-${SPAN}-02`)), `00-${TRACE}-${SPAN}-02`, 'other flags, sampled clear');
  assert.equal(unsampledTraceparent(msg(`00-${TRACE}-${SPAN}-01`)), undefined, 'sampled');
  assert.equal(unsampledTraceparent(msg(`00-${TRACE}-${SPAN}-zz`)), undefined, 'unreadable flags take the span path');
  assert.equal(unsampledTraceparent(msg(`01-${TRACE}-${SPAN}-00`)), undefined, 'another version takes the span path');
  assert.equal(unsampledTraceparent(msg()), undefined);
});

test('the copy carries traceparent and tracestate unchanged, and keeps the other parameters', () => {
  const to: AclMessage = { performative: 'request', receivers: [{ name: 'y' }], userParams: { 'X-kept': 'yes' } };
  copyTraceContext(msg(`00-${TRACE}-${SPAN}-00`, 'k=v'), to);
  assert.deepEqual(to.userParams, { 'X-kept': 'yes', [TRACEPARENT_PARAM]: `00-${TRACE}-${SPAN}-00`, [TRACESTATE_PARAM]: 'k=v' });
  const none: AclMessage = { performative: 'request', receivers: [{ name: 'y' }] };
  copyTraceContext(msg(), none);
  assert.equal(none.userParams, undefined, 'nothing to copy');
  assert.deepEqual(traceIdsOf(msg(`00-${TRACE}-${SPAN}-00`)), { traceId: TRACE, spanId: SPAN });
  assert.equal(traceIdsOf(msg()), undefined);
});

test('copy with no SDK or a parent-based sampler; span with a sampler that may record the child', () => {
  trace.disable();
  // What a node registers (node.ts) when nobody else did.
  if (propagation.fields().length === 0) propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  assert.equal(unsampledContextPolicy(), 'copy', 'no SDK: the no-op tracer would only hand the context on');

  const exporter = new InMemorySpanExporter();
  const parentBased = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(parentBased);
  assert.equal(unsampledContextPolicy(), 'span', 'not marked: the bus cannot know the sampler');
  markParentBasedSampling(parentBased);
  assert.equal(unsampledContextPolicy(), 'copy');
  // What the span path would have sent on: the same trace, still unsampled, and nothing recorded.
  const received = msg(`00-${TRACE}-${SPAN}-00`);
  const { span, ctx } = startHandleSpan(received, { agent: 'a', performative: 'inform', conversationId: undefined, messageId: 'm' });
  const spanned: AclMessage = { performative: 'inform', receivers: [{ name: 'y' }] };
  injectMessageContext(spanned, ctx);
  span.end();
  assert.equal(exporter.getFinishedSpans().length, 0);
  const copied: AclMessage = { performative: 'inform', receivers: [{ name: 'y' }] };
  copyTraceContext(received, copied);
  const [, traceId, , flags] = spanned.userParams![TRACEPARENT_PARAM]!.split('-');
  assert.deepEqual([traceId, flags], [TRACE, '00']);
  assert.equal(copied.userParams![TRACEPARENT_PARAM], `00-${TRACE}-${SPAN}-00`);
  trace.disable();

  trace.setGlobalTracerProvider(new TracerProvider({ sampler: new AlwaysOnSampler() }));
  assert.equal(unsampledContextPolicy(), 'span', 'always_on records children of unsampled parents');
  trace.disable();
});
