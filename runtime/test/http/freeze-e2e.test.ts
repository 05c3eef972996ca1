/**
 * `caxton freeze` stops outbound HTTP, end to end (decision 1710): a real in-process node, the
 * js-http-agent example and a slow local HTTP server. The agent has one call on the network and
 * three queued (maxInFlight 1); after the freeze the server receives nothing new; after the thaw
 * every request the operator sent is answered exactly once — the cut call `interrupted` (it had
 * reached the service, so it is not repeated), the queued ones with the service's answer — and
 * the server saw each call once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AclMessage, MessageEvent } from '@caxton/core';
import type { RunningNode } from '../../src/start/start-node.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { httpServer, type TestServer } from './support.js';
import { example } from '../support/examples.js';
import { startGatewayNode, type GatewayNode } from './gateway-node.js';

let server: TestServer;
let gateway: GatewayNode;
let node: RunningNode;
const bodies: { body: string; at: number }[] = [];
let toOperator: AclMessage[];

before(async () => {
  server = await httpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      bodies.push({ body, at: Date.now() });
      // The first call is slow enough to be on the network when the freeze comes.
      const t = setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(body.toUpperCase());
        },
        body === 'one' ? 10_000 : 150,
      );
      res.on('close', () => clearTimeout(t));
    });
  });
  gateway = await startGatewayNode('caxton-http-freeze-');
  ({ node, toOperator } = gateway);
});

after(async () => {
  await gateway?.stop();
  await server?.close();
});

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; replies: ${JSON.stringify(toOperator.map((m) => [m.inReplyTo, m.performative, m.content]))}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('freeze: the server receives nothing new; thaw: every call completes once', async () => {
  const policy = {
    ...nodeDefaultHttpPolicy(),
    maxInFlight: 1,
    timeoutMs: 60_000,
    allow: [{ host: 'localhost', ports: [server.port], allowPrivate: true }],
  };
  await node.control.deploy(
    { name: 'caller', limits: {}, config: { 'service-url': `http://localhost:${server.port}/shout` }, http: policy },
    await example('js-http-agent'),
  );
  const calls: MessageEvent[] = [];
  const off = node.control.tail(
    { agent: 'caller' },
    {
      next: (e) => {
        if (e.message.receivers[0]?.name === 'http@caxton') calls.push(e);
      },
      end: () => {},
    },
  );
  const words = ['one', 'two', 'three', 'four'];
  for (const [i, w] of words.entries()) {
    await node.control.send({ performative: 'request', receivers: [{ name: 'caller' }], content: w, replyWith: `q${i}` });
  }
  // All four calls made (the gateway took them), the first one at the server, the others queued.
  await until(() => calls.length === 4 && bodies.length === 1, 'four calls, one at the server');
  assert.equal(bodies[0]!.body, 'one');
  const frozen = await node.control.freeze('node');
  assert.equal(frozen.status.frozen, true);
  const frozenAt = Date.now();
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(
    bodies.map((b) => b.body),
    ['one'],
    'nothing new reached the server while frozen',
  );
  assert.equal(toOperator.length, 0, 'no agent code ran: nothing answered the operator');
  await node.control.thaw('node');
  await until(() => words.every((_, i) => toOperator.some((m) => m.inReplyTo === `q${i}`)), 'every request answered');
  await new Promise((r) => setTimeout(r, 500));
  for (const [i, w] of words.entries()) {
    const replies = toOperator.filter((m) => m.inReplyTo === `q${i}`);
    assert.equal(replies.length, 1, `${w} answered exactly once`);
    if (i === 0) {
      assert.equal(replies[0]!.performative, 'failure');
      assert.equal(replies[0]!.content, 'http call failed: interrupted', 'the cut call is not repeated');
    } else {
      assert.equal(replies[0]!.performative, 'inform', replies[0]!.content);
      assert.equal(replies[0]!.content, w.toUpperCase());
    }
  }
  assert.deepEqual(bodies.map((b) => b.body).sort(), [...words].sort(), 'the server saw every call once');
  assert.ok(
    bodies.slice(1).every((b) => b.at > frozenAt),
    'the queued calls left after the thaw',
  );
  off();
});
