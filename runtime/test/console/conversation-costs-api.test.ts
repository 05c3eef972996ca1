/**
 * What conversations cost (decision 2184) read over the console's HTTP API and the gRPC API, from
 * a real node running the contract net (the QuickJS initiator, two AssemblyScript contractors):
 * the same figures both ways, sorted and limited as asked, one conversation read alone, and a
 * query out of range refused with a typed 400 / INVALID_ARGUMENT and a hint. A token confined to
 * some agents may not read them (node-wide: the conversations are every agent's).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ConversationCostsView } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const INITIATOR = path.join(ROOT, 'examples/contract-net/js-initiator/build/cnet-initiator.wasm');
const CONTRACTOR = path.join(ROOT, 'examples/contract-net/as-contractor/build/cnet-contractor.wasm');
const PARCELS = ['p-1', 'p-2', 'p-3', 'p-4'];

let dir: string;
let node: RunningNode;
let admin: string;
let client: CaxtonClient;

async function get(pathAndQuery: string, token = admin): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL(pathAndQuery, node.consoleUrl), { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-costs-api-'));
  node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    console: { host: '127.0.0.1', port: 0 },
  });
  admin = await readTokenFile(tokenFilePath(path.join(dir, 'data')));
  client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
  const contractor = await readFile(CONTRACTOR);
  for (const [name, price] of [
    ['courier-a', '40'],
    ['courier-b', '25'],
  ] as const)
    await client.deploy({ name, config: { price } }, contractor);
  await client.deploy({ name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '2000' } }, await readFile(INITIATOR));
  for (const conversationId of PARCELS)
    await client.send({
      structured: { performative: 'request', receivers: [{ name: 'broker' }], content: conversationId, conversationId },
    });
  // The contract nets have run once every request's conversation has figures and the node has
  // handled nothing more for a second (reads compared below must not race the traffic).
  const deadline = Date.now() + 60_000;
  let last = -1;
  for (;;) {
    const v = await client.conversationCosts({ limit: 100 });
    const seen = PARCELS.every((id) => v.conversations.some((c) => c.conversationId === id && c.fuel > 0));
    if (seen && v.totals.handled === last) break;
    last = v.totals.handled;
    if (Date.now() > deadline) throw new Error(`the contract nets did not finish in 60 s: ${JSON.stringify(v.conversations)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
});

after(async () => {
  client?.close();
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('conversation costs over the console API and gRPC', () => {
  it('GET /api/conversations/costs: the conversations by fuel, each with the broker’s share, and the sums they add up to', async () => {
    const { status, body } = await get('/api/conversations/costs?limit=1000');
    assert.equal(status, 200, JSON.stringify(body));
    const v = body as ConversationCostsView;
    assert.ok(v.conversationCount >= PARCELS.length);
    const fuels = v.conversations.map((c) => c.fuel);
    assert.deepEqual(
      fuels,
      [...fuels].sort((a, b) => b - a),
      'largest fuel first',
    );
    for (const id of PARCELS) {
      const c = v.conversations.find((x) => x.conversationId === id);
      const broker = c?.agents.find((a) => a.agent === 'broker');
      assert.ok(broker && broker.fuel > 0 && broker.messagesSent > 0, `${id}: ${JSON.stringify(c)}`);
    }
    let handled = v.noConversation.handled + v.evicted.handled;
    for (const c of v.conversations) handled += c.handled;
    assert.equal(handled, v.totals.handled, 'every handling is some conversation’s or counted apart');
  });

  it('the same figures over gRPC; sorted by another figure, limited; one conversation alone', async () => {
    const one = await client.conversationCosts({ conversationId: 'p-2' });
    const overHttp = (await get('/api/conversations/costs/p-2')).body as ConversationCostsView;
    assert.equal(one.conversations.length, 1);
    // Both reads come after the traffic: the conversation's own figures do not move between them.
    const { at: _a, ...grpcRow } = { at: 0, ...one.conversations[0]! };
    assert.deepEqual(overHttp.conversations, [grpcRow]);
    const bySent = await client.conversationCosts({ sort: 'messagesSent', limit: 2 });
    assert.equal(bySent.conversations.length, 2);
    assert.ok(bySent.conversations[0]!.messagesSent >= bySent.conversations[1]!.messagesSent);
    const recent = (await get('/api/conversations/costs?sort=recent&limit=3')).body as ConversationCostsView;
    const lasts = recent.conversations.map((c) => c.lastAt);
    assert.deepEqual(
      lasts,
      [...lasts].sort((a, b) => b - a),
      'most recently handled first',
    );
    const unseen = (await get('/api/conversations/costs/never-seen')).body as ConversationCostsView;
    assert.deepEqual(unseen.conversations, []);
    assert.ok(unseen.totals.handled > 0, 'beside the sums all the same');
  });

  it('refuses a sort or limit out of range: 400 over HTTP, INVALID_ARGUMENT over gRPC, each with a hint', async () => {
    for (const q of ['sort=cheapest', 'limit=5000', 'limit=-1', 'limit=two']) {
      const { status, body } = await get(`/api/conversations/costs?${q}`);
      assert.equal(status, 400, `${q}: ${JSON.stringify(body)}`);
      const error = (body as { error: { code: string; hint?: string } }).error;
      assert.equal(error.code, 'api.invalid');
      assert.ok(error.hint, q);
    }
    await assert.rejects(client.conversationCosts({ sort: 'cheapest' as 'fuel' }), (err: Error & { code?: string }) => {
      assert.match(err.message, /sort/);
      return true;
    });
  });

  it('a token confined to some agents may not read them (every agent’s conversations): 403', async () => {
    const confined = (await client.issueToken({ role: 'operator', agents: 'courier-*', ttlMs: 3_600_000 })).token;
    const { status } = await get('/api/conversations/costs', confined);
    assert.equal(status, 403);
  });
});
