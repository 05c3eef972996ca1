/**
 * A trace follows a message across two nodes (decision 1301): two in-process cluster nodes on the
 * real Kafka and etcd `npm test` started, one TracerProvider for both (one process). An operator
 * send on the node that does not run the receiver is produced to Kafka there, consumed on the
 * other node (a consume span linked to the send), and handled there as the child of the send:
 * one trace id, spans from both nodes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TestNode } from '../bus/support/test-node.js';
import { servers, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';

const spans = new InMemorySpanExporter();
const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
let infra: Servers;
const nodes: TestNode[] = [];

before(async () => {
  trace.setGlobalTracerProvider(tracing);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  infra = await servers();
  const cluster = { name: `trace-${randomBytes(3).toString('hex')}`, partitions: 4 };
  for (const nodeId of ['trace-a', 'trace-b']) {
    nodes.push(
      await TestNode.start({
        nodeId,
        kafka: { brokers: [infra.kafka] },
        etcd: { endpoints: [infra.etcd] },
        cluster,
        api: true,
        apiPort: 0,
      }),
    );
  }
  await nodes[0]!.deploy('echo', 'as-echo');
});

after(async () => {
  for (const n of nodes) await n.dispose();
  await infra?.stop();
  await tracing.shutdown();
  trace.disable();
  propagation.disable();
});

test('a message sent on one node and handled on the other is one trace', async () => {
  const runner = await waitFor(
    'echo to run on one node',
    async () => {
      const a = await nodes[0]!.control.getAgent('echo');
      return a?.state === 'running' && nodes.find((n) => n.node.nodeId === a.nodeId);
    },
    60_000,
  );
  const sender = nodes.find((n) => n !== runner)!;
  spans.reset();
  const root = trace.getTracer('test').startSpan('operator');
  const traceparent = `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`;
  const sent = await sender.send({
    performative: 'request',
    receivers: [{ name: 'echo' }],
    content: 'across',
    userParams: { 'X-traceparent': traceparent },
  });
  root.end();
  await runner.waitFor(
    'echo to handle it on its node',
    () => runner.handled.some((h) => h.messageId === sent.messageId && h.outcome.status === 'ok'),
    30_000,
  );
  await runner.settle();

  const traceId = root.spanContext().traceId;
  const finished = spans.getFinishedSpans();
  const send = finished.find((s) => s.name === 'send request' && s.spanContext().traceId === traceId);
  assert.ok(send, finished.map((s) => s.name).join(', '));
  const handle = finished.find(
    (s) => s.name === 'handle request' && s.attributes['caxton.agent'] === 'echo' && s.spanContext().traceId === traceId,
  );
  assert.ok(handle, 'the handling on the other node continues the trace');
  assert.equal(handle.parentSpanContext?.spanId, send.spanContext().spanId);
  assert.ok(Number(handle.attributes['caxton.fuel']) > 0);
  assert.ok(
    finished.some((s) => s.name.startsWith('kafka consume') && s.links.some((l) => l.context.spanId === send.spanContext().spanId)),
    "the receiving node's consume span links to the send",
  );
  assert.ok(
    finished.some((s) => s.name === 'kafka produce'),
    'the sending node produced it',
  );
});
