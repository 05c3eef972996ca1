/**
 * An agent waiting on an HTTP response holds no shard (issue 16, decision 1601): 100 agents (the
 * js-http-agent example) each have a call in flight to a server that does not answer yet, on a node
 * with ONE shard; meanwhile a neighbour echo answers 300 requests. Only then are the 100 responses
 * released, and every caller answers its requester. (The throughput comparison, neighbour with and
 * without the waiting callers, is a benchmark: `npm run bench -- state`, http_neighbour_ratio.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { AclMessage } from '@caxton/core';
import type { RunningNode } from '../../src/start/start-node.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { httpServer, type TestServer } from './support.js';
import { example } from '../support/examples.js';
import { startGatewayNode, type GatewayNode } from './gateway-node.js';

const CALLERS = 100;
const ECHOES = 300;
let server: TestServer;
let gateway: GatewayNode;
let node: RunningNode;
/** Responses held back until the test releases them; once released, requests are answered at once. */
const held: ServerResponse[] = [];
let released = false;
const answer = (res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('done');
};
const toOperator = new Map<string, AclMessage>();
const handledCalls = new Set<string>();

before(async () => {
  server = await httpServer((req, res) => {
    req.resume();
    req.on('end', () => (released ? answer(res) : held.push(res)));
  });
  gateway = await startGatewayNode('caxton-http-wait-');
  node = gateway.node;
  node.events.on(
    (e) => {
      if (e.type === 'external' && e.message.inReplyTo) toOperator.set(e.message.inReplyTo, e.message);
      if (e.type === 'handled' && e.agent.startsWith('caller-') && e.outcome.status === 'ok') handledCalls.add(e.agent);
    },
    ['external', 'handled'],
  );
});

after(async () => {
  for (const res of held.splice(0)) res.destroy();
  await gateway?.stop();
  await server?.close();
});

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(`${CALLERS} agents waiting on HTTP responses do not hold the shard: a neighbour answers ${ECHOES} requests meanwhile`, {
  timeout: 180_000,
}, async () => {
  const policy = {
    ...nodeDefaultHttpPolicy(),
    timeoutMs: 120_000,
    allow: [{ host: '127.0.0.1', ports: [server.port], allowPrivate: true }],
  };
  const caller = await example('js-http-agent');
  for (let i = 0; i < CALLERS; i++) {
    await node.control.deploy(
      {
        name: `caller-${i}`,
        limits: {},
        config: { 'service-url': `http://127.0.0.1:${server.port}/slow`, 'service-method': 'GET' },
        http: policy,
      },
      caller,
    );
  }
  await node.control.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-echo'));

  for (let i = 0; i < CALLERS; i++) {
    await node.control.send({ performative: 'request', receivers: [{ name: `caller-${i}` }], content: `q${i}`, replyWith: `call-${i}` });
  }
  // Every caller has handled its request (its call started); the server holds what reached it (the
  // gateway's keep-alive pool caps sockets per origin: the rest wait in the node, not in a shard).
  await until(`all ${CALLERS} callers to start their call`, () => handledCalls.size === CALLERS && held.length > 0);

  for (let i = 0; i < ECHOES; i++) {
    await node.control.send({ performative: 'request', receivers: [{ name: 'echo' }], content: `e${i}`, replyWith: `echo-${i}` });
  }
  await until(`the neighbour's ${ECHOES} answers`, () => {
    for (let i = 0; i < ECHOES; i++) if (!toOperator.has(`echo-${i}`)) return false;
    return true;
  });
  // The callers are still waiting: no response has been sent, none has answered its requester.
  assert.ok(held.length > 0);
  for (let i = 0; i < CALLERS; i++) assert.equal(toOperator.has(`call-${i}`), false, `caller-${i} answered before its response`);

  released = true;
  for (const res of held.splice(0)) answer(res);
  await until(`all ${CALLERS} callers to answer`, () => {
    for (let i = 0; i < CALLERS; i++) if (!toOperator.has(`call-${i}`)) return false;
    return true;
  });
  for (let i = 0; i < CALLERS; i++) assert.equal(toOperator.get(`call-${i}`)!.performative, 'inform', toOperator.get(`call-${i}`)!.content);
});
