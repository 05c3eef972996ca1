/**
 * Outbound HTTP end to end through a real in-process node: the sandbox (the js-http-agent example's
 * `fetch`), the bus, the gateway and a real local HTTP server. An operator's request makes the agent
 * call the service; the answer comes back from http@caxton and the agent replies to the operator.
 * The tail shows the call and its answer; a host off the list is refused by the sandbox at once;
 * the name `http` cannot be deployed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AclMessage, MessageEvent } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { ReservedAgentNameError } from '../../src/node/lifecycle/index.js';
import { httpServer, type TestServer } from './support.js';
import { example } from '../support/examples.js';
import { startGatewayNode, type GatewayNode, upperCaseServer } from './gateway-node.js';

let server: TestServer;
let gateway: GatewayNode;
let node: RunningNode;
const bodies: string[] = [];
let toOperator: AclMessage[];

before(async () => {
  server = await upperCaseServer(bodies);
  gateway = await startGatewayNode('caxton-http-e2e-');
  ({ node, toOperator } = gateway);
});

after(async () => {
  await gateway?.stop();
  await server?.close();
});

async function reply(inReplyTo: string, timeoutMs = 20_000): Promise<AclMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = toOperator.find((x) => x.inReplyTo === inReplyTo);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no reply to ${inReplyTo}; got ${JSON.stringify(toOperator)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a call leaves, its answer comes back from http@caxton, and the agent answers the operator; the tail shows both', async () => {
  const policy = { ...nodeDefaultHttpPolicy(), allow: [{ host: 'localhost', ports: [server.port], allowPrivate: true }] };
  const status = await node.control.deploy(
    { name: 'lookup', limits: {}, config: { 'service-url': `http://localhost:${server.port}/shout` }, http: policy },
    await example('js-http-agent'),
  );
  assert.deepEqual(status.http, policy);
  const tail: MessageEvent[] = [];
  const off = node.control.tail({ agent: 'lookup' }, { next: (e) => tail.push(e), end: () => {} });
  await node.control.send({
    performative: 'request',
    receivers: [{ name: 'lookup' }],
    content: 'hello gateway',
    replyWith: 'r1',
    conversationId: 'conv-e2e',
  });
  const answer = await reply('r1');
  assert.equal(answer.performative, 'inform', answer.content);
  assert.equal(answer.content, 'HELLO GATEWAY');
  assert.deepEqual(bodies, ['hello gateway']);
  off();
  const lines = tail.map(
    (e) => `${e.message.performative} ${e.message.sender?.name} -> ${e.message.receivers.map((r) => r.name).join(',')}`,
  );
  assert.ok(lines.includes('request lookup@caxton -> http@caxton'), lines.join('\n'));
  assert.ok(lines.includes('inform http@caxton -> lookup@caxton'), lines.join('\n'));
  const call = tail.find((e) => e.message.receivers[0]?.name === 'http@caxton')!.message;
  assert.equal(call.content, `POST http://localhost:${server.port}/shout`);
  assert.equal(call.conversationId, 'conv-e2e');
  const response = tail.find((e) => e.message.sender?.name === 'http@caxton')!.message;
  assert.equal(response.inReplyTo, call.replyWith, 'the answer replies to the call id');
  assert.equal(response.conversationId, 'conv-e2e');
  assert.equal(response.userParams?.['X-caxton-http-status'], '200');
});

test('a service off the allow-list is refused by the sandbox at once; nothing is sent', async () => {
  await node.control.deploy(
    {
      name: 'stray',
      limits: {},
      config: { 'service-url': 'https://not-allowed.example/x' },
      http: { ...nodeDefaultHttpPolicy(), allow: [{ host: 'api.example.com' }] },
    },
    await example('js-http-agent'),
  );
  const before = bodies.length;
  await node.control.send({ performative: 'request', receivers: [{ name: 'stray' }], content: 'x', replyWith: 'r2' });
  const answer = await reply('r2');
  assert.equal(answer.performative, 'failure');
  assert.match(answer.content ?? '', /refused: denied/);
  assert.equal(bodies.length, before);
});

test('the name http is reserved', async () => {
  await assert.rejects(
    node.control.deploy({ name: 'http', limits: {}, config: {} }, await example('js-http-agent')),
    ReservedAgentNameError,
  );
});

test('a call in flight when the node stops is answered interrupted when the agent comes back (never re-sent)', async () => {
  let hits = 0;
  const silent = await httpServer(() => {
    hits += 1;
  }); // takes the request, never answers
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-http-e2e-restart-'));
  const seen: AclMessage[] = [];
  try {
    const first = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, shards: 1 });
    try {
      const policy = {
        ...nodeDefaultHttpPolicy(),
        timeoutMs: 60_000,
        allow: [{ host: 'localhost', ports: [silent.port], allowPrivate: true }],
      };
      await first.control.deploy(
        { name: 'waiter', limits: {}, config: { 'service-url': `http://localhost:${silent.port}/slow` }, http: policy },
        await example('js-http-agent'),
      );
      await first.control.send({ performative: 'request', receivers: [{ name: 'waiter' }], content: 'x', replyWith: 'r3' });
      const deadline = Date.now() + 20_000;
      while (hits === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(hits, 1, 'the call reached the service');
    } finally {
      await first.stop(); // cuts the call: no answer, the pending record stays
    }
    const second = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, shards: 1 });
    try {
      second.events.on(
        (e) => {
          if (e.type === 'external') seen.push(e.message);
        },
        ['external'],
      );
      const deadline = Date.now() + 20_000;
      while (!seen.some((m) => m.inReplyTo === 'r3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const answer = seen.find((m) => m.inReplyTo === 'r3');
      assert.ok(answer, 'the operator got an answer after the restart');
      assert.equal(answer.performative, 'failure');
      assert.equal(answer.content, 'http call failed: interrupted');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(hits, 1, 'the call was not sent again');
    } finally {
      await second.stop();
    }
  } finally {
    await silent.close();
    await rm(dir, { recursive: true, force: true });
  }
});
