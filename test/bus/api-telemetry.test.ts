/**
 * caxton.v1 calls on a real node through a real gRPC client (CaxtonClient), with real metrics and
 * trace SDKs registered (decision 1301): calls are counted by method and status code exactly as
 * the client saw them, with a duration per call; each call is a server span continuing the
 * client's trace (W3C traceparent in the gRPC metadata), and a SendMessage's trace goes on into
 * the send and into the receiving agent's handle span, which carries its fuel and conversation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { StackContextManager } from '@opentelemetry/sdk-trace';
import { CaxtonClient, ApiCallError } from '@caxton/runtime';
import { TestNode } from './support/test-node.js';
import { TestMetrics, total } from './support/metrics-reader.js';

const telemetry = new TestMetrics();
const spans = new InMemorySpanExporter();
const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
let t: TestNode;
let client: CaxtonClient;

before(async () => {
  // Both registered before the node starts: the API installs its interceptor only if one is.
  telemetry.register();
  trace.setGlobalTracerProvider(tracing);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // The client side only: CaxtonClient stamps the active context into the call's metadata
  // synchronously, which a stack context manager is enough for. The node needs none.
  context.setGlobalContextManager(new StackContextManager().enable());
  t = await TestNode.start({ api: true, auth: { mode: 'none' } });
  await t.deploy('echo', 'as-echo');
  client = await CaxtonClient.connect({ address: `127.0.0.1:${t.node.apiPort}` });
});

after(async () => {
  client?.close();
  await t?.dispose();
  await telemetry.shutdown();
  await tracing.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

test('API calls are counted by method and status code, with their durations', async () => {
  for (let i = 0; i < 3; i++) await client.listAgents();
  await assert.rejects(client.getAgent('nobody'), (err: unknown) => err instanceof ApiCallError);
  await client.getAgent('echo');
  const s = await telemetry.samples();
  assert.equal(total(s, 'caxton_api_calls_total', { method: 'ListAgents', code: 'OK' }), 3);
  assert.equal(total(s, 'caxton_api_calls_total', { method: 'GetAgent', code: 'NOT_FOUND' }), 1);
  assert.equal(total(s, 'caxton_api_calls_total', { method: 'GetAgent', code: 'OK' }), 1);
  assert.equal(total(s, 'caxton_api_call_duration_seconds_count', { method: 'ListAgents' }), 3);
  assert.equal(total(s, 'caxton_api_call_duration_seconds_count', { method: 'GetAgent' }), 2);
  assert.ok(total(s, 'caxton_api_call_duration_seconds_sum', { method: 'ListAgents' }) > 0);
  // Health and reflection are not caxton.v1: never counted.
  assert.ok(s.filter((x) => x.name === 'caxton_api_calls_total').every((x) => !x.labels['method']!.includes('/')));
});

test("a SendMessage continues the client's trace into the send and the handling", async () => {
  spans.reset();
  const root = trace.getTracer('test').startSpan('operator script');
  const sent = await context.with(trace.setSpan(context.active(), root), () =>
    client.send({
      structured: { performative: 'request', receivers: [{ name: 'echo' }], content: 'traced', conversationId: 'api-trace-1' },
    }),
  );
  root.end();
  await t.waitFor('echo to handle it', () => t.handled.some((h) => h.messageId === sent.messageId));
  await t.settle();
  const finished = spans.getFinishedSpans();
  const traceId = root.spanContext().traceId;

  const call = finished.find((s) => s.name === 'caxton.v1.Caxton/SendMessage');
  assert.ok(call, finished.map((s) => s.name).join(', '));
  assert.equal(call.kind, SpanKind.SERVER);
  assert.equal(call.spanContext().traceId, traceId, "the call continues the client's trace");
  assert.equal(call.parentSpanContext?.spanId, root.spanContext().spanId);
  assert.equal(call.attributes['rpc.method'], 'SendMessage');
  assert.equal(call.attributes['caxton.code'], 'OK');

  const send = finished.find((s) => s.name === 'send request');
  assert.ok(send);
  assert.equal(send.parentSpanContext?.spanId, call.spanContext().spanId, 'the send is a child of the call');
  const handle = finished.find((s) => s.name === 'handle request' && s.attributes['caxton.agent'] === 'echo');
  assert.ok(handle);
  assert.equal(handle.spanContext().traceId, traceId);
  assert.equal(handle.parentSpanContext?.spanId, send.spanContext().spanId);
  assert.equal(handle.attributes['caxton.conversation_id'], 'api-trace-1');
  const fuel = t.handled.find((h) => h.messageId === sent.messageId)!.fuelUsed;
  assert.ok(fuel > 0);
  assert.equal(handle.attributes['caxton.fuel'], fuel);
});

test('a failed call is a span with an error status and its code', async () => {
  spans.reset();
  await assert.rejects(client.getAgent('nobody'));
  const call = spans.getFinishedSpans().find((s) => s.name === 'caxton.v1.Caxton/GetAgent');
  assert.ok(call);
  assert.equal(call.attributes['caxton.code'], 'NOT_FOUND');
  assert.equal(call.status.code, 2 /* ERROR */);
});
