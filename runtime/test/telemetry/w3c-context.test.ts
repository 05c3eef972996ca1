/**
 * The bus's own W3C trace context handling (runtime/src/telemetry/w3c-context.ts, used by
 * trace-context.ts when the node's NodeW3CPropagator is the registered one) gives exactly what
 * @opentelemetry/core's W3CTraceContextPropagator gives: the same span context extracted from
 * every traceparent (valid, refused, other versions, spaces, upper case, zero ids) with its
 * tracestate, and the same X-traceparent / X-tracestate injected for every context (lean spans,
 * remote contexts, invalid ids, suppressed tracing, trace state, flags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, TraceFlags, defaultTextMapGetter, defaultTextMapSetter, propagation, trace, type Context } from '@opentelemetry/api';
import { TraceState, W3CTraceContextPropagator, suppressTracing } from '@opentelemetry/core';
import { AlwaysOnSampler } from '@opentelemetry/sdk-trace';
import { TRACEPARENT_PARAM, TRACESTATE_PARAM, type AclMessage } from '@caxton/core';
import { extractMessageContext, injectMessageContext } from '../../src/telemetry/trace-context.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';
import { NodeW3CPropagator, isNodeW3CFields } from '../../src/telemetry/w3c-context.js';

const w3c = new W3CTraceContextPropagator();
const message = (params: Record<string, string>): AclMessage =>
  ({ performative: 'inform', sender: { name: 'a' }, receivers: [{ name: 'b' }], content: '', userParams: params }) as unknown as AclMessage;

const TRACEPARENTS = [
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff',
  '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01',
  '00-00000000000000000000000000000000-b7ad6b7169203331-01',
  '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g',
  '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
  '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
  'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  ' 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  '00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  'garbage',
  '',
];

function withNodePropagator(body: () => void): void {
  propagation.disable();
  propagation.setGlobalPropagator(new NodeW3CPropagator());
  try {
    assert.ok(isNodeW3CFields(propagation.fields()), "the node's propagator is recognised");
    body();
  } finally {
    propagation.disable();
  }
}

test('extraction: the same span context and trace state as the W3C propagator, for every traceparent', () => {
  withNodePropagator(() => {
    for (const tp of TRACEPARENTS)
      for (const ts of [undefined, '', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7']) {
        const params: Record<string, string> = { [TRACEPARENT_PARAM]: tp, ...(ts === undefined ? {} : { [TRACESTATE_PARAM]: ts }) };
        const ours = trace.getSpanContext(extractMessageContext(message(params)));
        const carrier: Record<string, string> = { traceparent: tp, ...(ts === undefined ? {} : { tracestate: ts }) };
        const theirs = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
        const plain = (c: typeof ours) => c && { ...c, traceState: c.traceState?.serialize() };
        assert.deepEqual(plain(ours), plain(theirs), `traceparent ${JSON.stringify(tp)}, tracestate ${JSON.stringify(ts)}`);
      }
  });
});

test('injection: the same X-traceparent and X-tracestate as the W3C propagator, for every context', () => {
  const ended: unknown[] = [];
  const sink = { onEnd: (s: unknown) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const lean = new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink }).getTracer('t');
  const remote = (traceId: string, spanId: string, traceFlags: number, traceState?: TraceState): Context =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: true, ...(traceState ? { traceState } : {}) });
  const state = new TraceState('rojo=00f067aa0ba902b7');
  const sampledParent = remote('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', TraceFlags.SAMPLED, state);
  const contexts: [string, Context][] = [
    ['a lean root span', trace.setSpan(ROOT_CONTEXT, lean.startSpan('root'))],
    ['a lean child with trace state', trace.setSpan(ROOT_CONTEXT, lean.startSpan('child', {}, sampledParent))],
    ['a remote context', sampledParent],
    ['upper-case ids', remote('0AF7651916CD43DD8448EB211C80319C', 'B7AD6B7169203331', TraceFlags.SAMPLED)],
    ['unsampled', remote('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', TraceFlags.NONE)],
    ['other flags', remote('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 0x10)],
    ['an empty trace state', remote('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 1, new TraceState(''))],
    ['a zero trace id', remote('00000000000000000000000000000000', 'b7ad6b7169203331', 1)],
    ['a short span id', remote('0af7651916cd43dd8448eb211c80319c', 'b7ad6b716920333', 1)],
    ['a non-hex trace id', remote('0af7651916cd43dd8448eb211c80319z', 'b7ad6b7169203331', 1)],
    ['suppressed tracing', suppressTracing(sampledParent)],
    ['no span', ROOT_CONTEXT],
  ];
  withNodePropagator(() => {
    for (const [what, ctx] of contexts) {
      const msg = message({ 'X-other': 'kept' });
      injectMessageContext(msg, ctx);
      const carrier: Record<string, string> = {};
      w3c.inject(ctx, carrier, defaultTextMapSetter);
      const expected: Record<string, string> = { 'X-other': 'kept' };
      if (carrier['traceparent'] !== undefined) expected[TRACEPARENT_PARAM] = carrier['traceparent'];
      if (carrier['tracestate'] !== undefined) expected[TRACESTATE_PARAM] = carrier['tracestate'];
      assert.deepEqual(msg.userParams, expected, what);
    }
  });
});
