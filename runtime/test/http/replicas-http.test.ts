/**
 * An agent that calls out over HTTP can run as several replicas (decision 2010, review of issue 27
 * finding 2): the sandbox keeps each pending call as a reserved state record (`\0http/<id>`), which
 * is the runtime's bookkeeping, not the agent's durable state. So the scale is allowed with calls
 * pending, a call from replica 2 commits, the agent is not scaled back, and every call leaves once.
 * Real node, real js-http-agent, real local HTTP server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclMessage } from '@caxton/core';
import type { RunningNode } from '../../src/start/start-node.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import type { TestServer } from './support.js';
import { example } from '../support/examples.js';
import { startGatewayNode, type GatewayNode, upperCaseServer } from './gateway-node.js';

let server: TestServer;
let gateway: GatewayNode;
let node: RunningNode;
const bodies: string[] = [];
let toOperator: AclMessage[];

before(async () => {
  server = await upperCaseServer(bodies);
  gateway = await startGatewayNode('caxton-replicas-http-', 2);
  ({ node, toOperator } = gateway);
});

after(async () => {
  await gateway?.stop();
  await server?.close();
});

async function replies(ids: readonly string[], timeoutMs = 20_000): Promise<AclMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = ids.map((id) => toOperator.find((x) => x.inReplyTo === id));
    if (got.every((m) => m !== undefined)) return got as AclMessage[];
    if (Date.now() > deadline) throw new Error(`missing replies; got ${JSON.stringify(toOperator.map((m) => m.inReplyTo))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a scaled agent that calls out over HTTP stays scaled; every call leaves once and is answered', async () => {
  const policy = { ...nodeDefaultHttpPolicy(), allow: [{ host: 'localhost', ports: [server.port], allowPrivate: true }] };
  await node.control.deploy(
    { name: 'lookup', limits: {}, config: { 'service-url': `http://localhost:${server.port}/shout` }, http: policy },
    await example('js-http-agent'),
  );
  // One call first, as one replica: its pending record is the runtime's, and does not refuse the scale.
  await node.control.send({
    performative: 'request',
    receivers: [{ name: 'lookup' }],
    content: 'before',
    replyWith: 'r-before',
    conversationId: 'h-before',
  });
  await replies(['r-before']);
  const scaled = await node.control.scale('lookup', 2);
  assert.deepEqual(scaled.replicas, { replicas: 2, draining: 0 }, 'an agent whose only state is HTTP bookkeeping scales');

  // New conversations go to the replica holding fewest (core's balancer tests pin the order), so
  // half of them are replica 2's: it makes calls and handles their answers.
  const ids = Array.from({ length: 8 }, (_, i) => `r-${i}`);
  await Promise.all(
    ids.map((id, i) =>
      node.control.send({
        performative: 'request',
        receivers: [{ name: 'lookup' }],
        content: `call ${i}`,
        replyWith: id,
        conversationId: `h-${i}`,
      }),
    ),
  );
  const answers = await replies(ids);
  assert.deepEqual(
    answers.map((a) => a.content),
    ids.map((_, i) => `CALL ${i}`),
    'every call answered',
  );
  assert.deepEqual([...bodies].sort(), ['before', ...ids.map((_, i) => `call ${i}`)].sort(), 'every call went out exactly once');
  const status = await node.control.getAgent('lookup');
  assert.deepEqual(status?.replicas, { replicas: 2, draining: 0 }, 'still two replicas: no call counted as a durable state write');
});
