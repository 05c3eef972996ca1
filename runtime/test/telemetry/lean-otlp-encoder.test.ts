/**
 * The lean tracer's OTLP encoder (runtime/src/telemetry/lean/otlp-encoder.ts) against the official
 * one: spans recorded by the lean tracer are encoded by ours and, as SDK ReadableSpans carrying the
 * same data, by @opentelemetry/otlp-transformer's ProtobufTraceSerializer (the SDK's exporter's own
 * serializer); the two ExportTraceServiceRequests must be the same bytes. The spans cover what the
 * encoder writes: every attribute value type (negative, 64-bit and fractional numbers, arrays,
 * non-ASCII and long strings), events, links, status, trace state, remote and local parents,
 * two scopes, and batches long enough for multi-byte lengths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeResource, OtlpTraceEncoder } from '../../src/telemetry/lean/otlp-encoder.js';
import { msToHrTime } from '../../src/telemetry/lean/proto-writer.js';
import type { FlatAttributes, LeanScope, LeanSpan } from '../../src/telemetry/lean/span.js';
import { LeanTracerProvider } from '../../src/telemetry/lean/tracer.js';

const RESOURCE = { 'service.name': 'caxton', 'service.instance.id': 'n1', 'caxton.cluster': 'embedded', 'host.cores': 2 };

function recorder(): { ended: LeanSpan[]; provider: LeanTracerProvider } {
  const ended: LeanSpan[] = [];
  const sink = { onEnd: (s: LeanSpan) => ended.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  return { ended, provider: new LeanTracerProvider({ sampler: new AlwaysOnSampler(), sink }) };
}

function asObject(flat: FlatAttributes): Attributes {
  const out: Attributes = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as Attributes[string];
  return out;
}

/** The same span as the SDK hands its exporter. */
function readable(
  s: LeanSpan,
  resource: ReadableSpan['resource'],
  scopes: Map<LeanScope, ReadableSpan['instrumentationScope']>,
): ReadableSpan {
  let scope = scopes.get(s.scope);
  if (scope === undefined) scopes.set(s.scope, (scope = { name: s.scope.name, ...(s.scope.version ? { version: s.scope.version } : {}) }));
  return {
    name: s.name,
    kind: s.kind,
    spanContext: () => s.spanContext(),
    ...(s.parent ? { parentSpanContext: s.parent } : {}),
    startTime: msToHrTime(s.startTime),
    endTime: msToHrTime(s.endTime),
    status: { code: s.statusCode, ...(s.statusMessage ? { message: s.statusMessage } : {}) },
    attributes: asObject(s.attributes),
    links: (s.links ?? []).map((l) => ({
      context: l.context,
      attributes: asObject(l.attributes),
      droppedAttributesCount: l.droppedAttributes,
    })),
    events: (s.events ?? []).map((e) => ({
      name: e.name,
      time: msToHrTime(e.time),
      attributes: asObject(e.attributes),
      droppedAttributesCount: e.droppedAttributes,
    })),
    duration: [0, 0],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: s.droppedAttributes,
    droppedEventsCount: s.droppedEvents,
    droppedLinksCount: s.droppedLinks,
  };
}

function assertSameAsSdk(spans: LeanSpan[]): Buffer {
  const ours = new OtlpTraceEncoder(encodeResource(RESOURCE)).encode(spans);
  const resource = resourceFromAttributes(RESOURCE);
  const scopes = new Map<LeanScope, ReadableSpan['instrumentationScope']>();
  const official = ProtobufTraceSerializer.serializeRequest(spans.map((s) => readable(s, resource, scopes)));
  assert.ok(official !== undefined && official.length > 0);
  assert.deepEqual(Buffer.from(ours), Buffer.from(official));
  return Buffer.from(ours);
}

test('every kind of span content encodes to the bytes the SDK serializer writes', () => {
  const { ended, provider } = recorder();
  const runtime = provider.getTracer('caxton-runtime', '0.1.0');
  const other = provider.getTracer('embedder');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'),
  });
  const handle = runtime.startSpan(
    'handle request',
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'caxton.agent': 'echo', 'caxton.performative': 'request', 'caxton.message_id': 'm-1', skipped: undefined },
    },
    remote,
  );
  handle.setAttribute('caxton.fuel_used', 123_456);
  handle.setAttribute('caxton.handler_us', 0.5);
  handle.setAttribute('negative', -42);
  handle.setAttribute('big', 2 ** 40 + 3);
  handle.setAttribute('min', -(2 ** 62));
  handle.setAttribute('yes', true);
  handle.setAttribute('no', false);
  handle.setAttribute('tags', ['a', 'bé', '']);
  handle.setAttribute('numbers', [1, 2.5, -3]);
  handle.setAttribute('flags', [true, false]);
  handle.setAttribute('unicode', 'zürich → 東京 🚀');
  handle.setAttribute('long', 'x'.repeat(300));
  handle.setAttribute('medium-ünicode', 'é'.repeat(60));
  handle.setAttribute('caxton.agent', 'echo-2'); // a key set again keeps its place
  handle.addEvent('handled', { 'caxton.outcome': 'ok', n: 3 });
  handle.addEvent('no attributes');
  handle.recordException(new TypeError('bad content'));
  handle.setStatus({ code: SpanStatusCode.ERROR, message: 'crashed: trap' });
  handle.updateName('handle request!');
  handle.end();
  const send = runtime.startSpan('send inform', { kind: SpanKind.PRODUCER }, trace.setSpan(ROOT_CONTEXT, handle));
  send.setStatus({ code: SpanStatusCode.OK });
  send.end();
  const batch = other.startSpan('kafka consume t', {
    kind: SpanKind.CONSUMER,
    links: [{ context: handle.spanContext(), attributes: { 'caxton.message_id': 'm-1' } }, { context: trace.getSpanContext(remote)! }],
    startTime: Date.now() - 5,
  });
  batch.end(Date.now());
  for (const kind of [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT])
    runtime.startSpan(`k${kind}`, { kind, root: true }, remote).end();
  assert.equal(ended.length, 6);
  assert.equal(ended[0]!.parent?.spanId, 'b7ad6b7169203331');
  assert.equal(ended[1]!.parent?.spanId, handle.spanContext().spanId);
  assert.equal(ended[3]!.parent, undefined, 'root: true ignores the parent');
  assertSameAsSdk(ended);
});

test('a batch of 600 handle-shaped spans, over two scopes: the same bytes as the SDK serializer', () => {
  const { ended, provider } = recorder();
  const a = provider.getTracer('caxton-runtime', '0.1.0');
  const b = provider.getTracer('caxton-other', '2');
  let parent = ROOT_CONTEXT;
  for (let i = 0; i < 600; i++) {
    const span = (i % 3 === 0 ? b : a).startSpan(
      'handle request',
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'caxton.agent': `echo-${i % 64}`, 'caxton.performative': 'request', 'caxton.message_id': `m-${i}` },
      },
      parent,
    );
    span.setAttribute('caxton.fuel_used', i * 1000);
    span.setAttribute('caxton.messages_sent', 1);
    span.end();
    parent = trace.setSpan(ROOT_CONTEXT, span);
  }
  const bytes = assertSameAsSdk(ended);
  assert.ok(bytes.length > 100_000, `a request of ${bytes.length} bytes (multi-byte lengths)`);
});
