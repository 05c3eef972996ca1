/**
 * Trace context across agents: with a real OpenTelemetry SDK registered (BasicTracerProvider,
 * in-memory exporter, W3C propagator), a request → reply conversation between two sandboxed agents,
 * started by an operator send, is one trace: operator send → alice handles the command → echo
 * handles alice's request → alice handles echo's inform, each span the child of the previous one,
 * with agent, performative, conversation and fuel attributes. The context travels inside the ACL
 * messages (X-traceparent), through the durable log and the sandbox.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TestNode } from './support/test-node.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let t: TestNode;

before(async () => {
  // Registered before the node starts: the runtime's tracer is a proxy onto the global provider.
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  t = await TestNode.start();
  await t.deploy('alice', 'conformance/puppet');
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
  await provider.shutdown();
  trace.disable();
  propagation.disable();
});

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

test('a request → reply conversation started by an operator is one trace with parent/child links', async () => {
  const sent = await t.send({
    performative: 'request',
    receivers: [{ name: 'alice' }],
    conversationId: 'trace-cmd',
    userParams: { 'X-puppet': 'do' },
    content: [
      'performative=request',
      'to=echo',
      'protocol=fipa-request',
      'conversation-id=trace-1',
      'reply-with=trace-1-q',
      'content=ping',
    ].join('\n'),
  });
  await t.waitFor('alice to get the reply', () =>
    t.logs('alice').some((l) => l.startsWith('got inform from echo@caxton cid=trace-1 irt=trace-1-q content=ping')),
  );
  await t.settle();
  const spans = exporter.getFinishedSpans();

  const send = spans.filter((s) => s.name === 'send request');
  assert.equal(send.length, 1, spans.map((s) => s.name).join(', '));
  const root = send[0]!;
  assert.equal(parentOf(root), undefined, 'the operator send starts the trace');
  assert.equal(root.attributes['caxton.message_id'], sent.messageId);

  const handles = spans.filter((s) => s.name.startsWith('handle '));
  const describe = (s: ReadableSpan) => `${s.attributes['caxton.agent']} ${s.attributes['caxton.performative']}`;
  assert.deepEqual(handles.map(describe).sort(), ['alice inform', 'alice request', 'echo request']);
  const find = (what: string) => handles.find((s) => describe(s) === what)!;
  const command = find('alice request');
  const request = find('echo request');
  const reply = find('alice inform');

  // One trace, a chain of parent/child links.
  const traceId = root.spanContext().traceId;
  for (const s of [command, request, reply]) assert.equal(s.spanContext().traceId, traceId, `${describe(s)} is in the trace`);
  assert.equal(parentOf(command), root.spanContext().spanId, 'alice handles what the operator sent');
  assert.equal(parentOf(request), command.spanContext().spanId, 'echo handles what alice sent while handling the command');
  assert.equal(parentOf(reply), request.spanContext().spanId, 'alice handles what echo sent while handling the request');

  // Attributes.
  assert.equal(command.attributes['caxton.conversation_id'], 'trace-cmd');
  assert.equal(command.attributes['caxton.message_id'], sent.messageId);
  for (const s of [request, reply]) assert.equal(s.attributes['caxton.conversation_id'], 'trace-1');
  assert.equal(request.name, 'handle request');
  assert.equal(reply.name, 'handle inform');
  for (const s of [command, request, reply]) {
    const fuel = s.attributes['caxton.fuel_used'];
    assert.ok(typeof fuel === 'number' && fuel > 0, `${describe(s)} fuel ${String(fuel)}`);
    assert.equal(s.status.code, 0, 'no error status');
    assert.ok(s.endTime[0] * 1e9 + s.endTime[1] >= s.startTime[0] * 1e9 + s.startTime[1]);
  }
  // The message ids on the spans are the ones the bus accepted.
  const echoRequest = t.accepted.find((a) => a.message.conversationId === 'trace-1' && a.message.performative === 'request')!;
  const echoReply = t.accepted.find((a) => a.message.conversationId === 'trace-1' && a.message.performative === 'inform')!;
  assert.equal(request.attributes['caxton.message_id'], echoRequest.messageId);
  assert.equal(reply.attributes['caxton.message_id'], echoReply.messageId);
  // …and those messages carry the W3C context of the span that sent them.
  assert.match(
    echoRequest.message.userParams?.['X-traceparent'] ?? '',
    new RegExp(`^00-${traceId}-${command.spanContext().spanId}-0[01]$`),
  );
  assert.match(echoReply.message.userParams?.['X-traceparent'] ?? '', new RegExp(`^00-${traceId}-${request.spanContext().spanId}-0[01]$`));
});
