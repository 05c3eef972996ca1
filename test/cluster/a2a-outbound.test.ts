/**
 * Outbound A2A on three Kafka nodes (decision 2193): agents call an A2A agent through the world's
 * `a2a` interface from `caxton serve` processes on real Kafka and etcd, as on one node
 * (runtime/test/a2a/a2a-outbound.test.ts). The A2A agent is a JSON-RPC server in this test.
 *
 * - The JavaScript and AssemblyScript callers, asked through each node, answer with the task's
 *   text; a broken answer comes back typed (`malformed`), read by the host of whichever node runs
 *   the caller.
 * - A call in flight when the node running its caller is killed (SIGKILL) is never repeated: its
 *   pending record travels with the agent's state, and the node that runs the caller next answers
 *   it as an A2A failure, `no-response: interrupted`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MessageEvent } from '@caxton/core';
import type { CaxtonClient } from '@caxton/runtime';
import { placement, waitFor } from './support/cluster.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { ROOT } from './support/paths.js';
import { servers, uniqueCluster, type Servers } from './support/servers.js';

const WAIT_MS = 90_000;
const CALLERS = [
  { name: 'caller-js', example: 'js-a2a-caller' },
  { name: 'caller-as', example: 'as-a2a-caller' },
] as const;

/** The A2A agent: answers a message's text upper-cased as a completed task; `garbage` with no JSON; `hang` never. */
function a2aAgent(hanging: ServerResponse[]): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const rpc = JSON.parse(body) as { id: string; params: { message: { parts: { text: string }[] } } };
      const text = rpc.params.message.parts[0]!.text;
      if (text.startsWith('hang')) {
        hanging.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (text === 'garbage') return void res.end('not json');
      const task = {
        id: `task-${rpc.id}`,
        contextId: 'ctx',
        status: { state: 'TASK_STATE_COMPLETED' },
        artifacts: [{ parts: [{ text: text.toUpperCase() }] }],
      };
      res.end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id, result: { task } }));
    });
  });
}

describe('outbound A2A on three Kafka nodes (decision 2193)', { timeout: 600_000 }, () => {
  let infra: Servers;
  let nodes: NodeProcess[];
  let clients: CaxtonClient[];
  let server: Server;
  const hanging: ServerResponse[] = [];
  const replies: MessageEvent[] = [];
  const tails: { cancel(): void }[] = [];
  let n = 0;

  /** Sends `content` to `agent` through node `via` (retried while a node is taking over) and returns the answer. */
  const ask = async (agent: string, content: string, via: number): Promise<MessageEvent['message']> => {
    const conversationId = `a2a-${n++}`;
    const message = { performative: 'request' as const, receivers: [{ name: agent }], content, conversationId };
    for (let attempt = 1; ; attempt++) {
      try {
        await clients[via]!.send({ structured: message }, { idempotencyKey: `a2a-test-${conversationId}` });
        break;
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const answer = await waitFor(
      `${agent}'s answer to ${content}`,
      async () => replies.find((e) => e.message.conversationId === conversationId && e.message.sender?.name.startsWith(`${agent}@`)),
      WAIT_MS,
    );
    return answer.message;
  };

  before(async () => {
    server = a2aAgent(hanging);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    infra = await servers();
    const cluster = { name: uniqueCluster('a2a-out') };
    nodes = ['a1', 'a2', 'a3'].map((id) => NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
    await startAll(nodes);
    clients = await Promise.all(nodes.map((node) => node.client()));
    for (const client of clients) {
      const tail = client.tail({}, (e) => {
        if (e.message.receivers.some((r) => r.name.startsWith('operator@'))) replies.push(e);
      });
      await tail.ready;
      tails.push(tail);
    }
    for (const c of CALLERS) {
      const bytes = new Uint8Array(readFileSync(path.join(ROOT, 'examples', c.example, 'build', `${c.example}.wasm`)));
      await clients[0]!.deploy(
        {
          name: c.name,
          config: { 'a2a-url': `http://127.0.0.1:${port}/a2a` },
          http: { timeoutMs: 120_000, allow: [{ host: '127.0.0.1', ports: [port], allowPrivate: true }] },
        },
        bytes,
      );
    }
  });
  after(async () => {
    for (const t of tails) t.cancel();
    for (const res of hanging) res.destroy();
    await Promise.allSettled((nodes ?? []).map((node) => node.stop(15_000)));
    await infra?.stop();
    server?.close();
  });

  for (const c of CALLERS) {
    it(`${c.example}: asked through each node, the task's text; a broken answer typed`, async () => {
      for (const via of [0, 1, 2]) {
        const ok = await ask(c.name, `hello ${via}`, via);
        assert.deepEqual([ok.performative, ok.content], ['inform', `HELLO ${via}`]);
      }
      const broken = await ask(c.name, 'garbage', 1);
      assert.equal(broken.performative, 'failure');
      assert.match(broken.content ?? '', /^a2a call failed: a2a: malformed: the answer is not JSON/);
    });
  }

  it('kill -9 of the node running a caller mid-call: the call is answered interrupted where the caller runs next, never repeated', async () => {
    const where = await placement(clients[0]!);
    const victim = nodes.findIndex((node) => node.id === where.get('caller-js'));
    assert.ok(victim >= 0, `caller-js runs somewhere: ${[...where].join(' ')}`);
    const survivor = [0, 1, 2].find((i) => i !== victim)!;
    const before = hanging.length;
    const conversationId = `a2a-${n++}`;
    await clients[survivor]!.send(
      { structured: { performative: 'request', receivers: [{ name: 'caller-js' }], content: 'hang on', conversationId } },
      { idempotencyKey: `a2a-test-${conversationId}` },
    );
    await waitFor('the call to reach the A2A agent', async () => hanging.length > before || undefined, WAIT_MS);
    await nodes[victim]!.kill();
    const answer = await waitFor(
      "caller-js's answer after the kill",
      async () => replies.find((e) => e.message.conversationId === conversationId && e.message.sender?.name.startsWith('caller-js@')),
      WAIT_MS,
    );
    assert.equal(answer.message.performative, 'failure');
    assert.equal(answer.message.content, 'a2a call failed: a2a: no-response: no response: interrupted');
    assert.equal(hanging.length, before + 1, 'the call was not repeated by the node that took over');
  });
});
