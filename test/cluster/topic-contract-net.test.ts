/**
 * The contract net by topic (decision 1961) on three `caxton serve --kafka … --etcd …` processes
 * sharing one Kafka and one etcd: contractors written in AssemblyScript, JavaScript and Rust
 * subscribe to `jobs.cluster` from their own init wherever they are placed (the subscriptions live
 * in etcd), and a JavaScript initiator on any node calls for proposals with the one receiver
 * `topic:jobs.cluster`: every subscriber, on every node, proposes, and the cheapest is awarded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { CaxtonClient, StreamHandle } from '@caxton/runtime';
import type { MessageEvent } from '@caxton/core';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { groupSettled, placement, waitFor } from './support/cluster.js';
import { example } from './support/paths.js';

const TOPIC = 'jobs.cluster';
/** name → [artifact, price] */
const CONTRACTORS: Record<string, [() => Uint8Array, string]> = {
  'as-1': [() => readFileSync(example('contract-net/as-contractor', 'cnet-contractor.wasm')), '35'],
  'as-2': [() => readFileSync(example('contract-net/as-contractor', 'cnet-contractor.wasm')), '44'],
  js: [() => readFileSync(example('contract-net/js-contractor', 'cnet-js-contractor.wasm')), '29'],
  rust: [() => readFileSync(example('contract-net/rust-contractor', 'rust-contractor.wasm')), '18'],
};
const INITIATOR = (): Uint8Array => readFileSync(example('contract-net/js-initiator', 'cnet-initiator.wasm'));
const local = (name: string | undefined): string => (name ?? '').replace(/@caxton$/, '');

let infra: Servers;
const nodes: NodeProcess[] = [];
const clients: CaxtonClient[] = [];
const seen: MessageEvent[] = [];
const tails: StreamHandle[] = [];

before(async () => {
  infra = await servers();
  const cluster = { name: uniqueCluster('topic-cnet') };
  for (const id of ['n1', 'n2', 'n3']) nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
  await startAll(nodes);
  // Serving is not joined: a late join or re-join of the consumer group moves partitions (their
  // mail waits, and a handling may run twice), so nothing is sent before each node consumes its own.
  await groupSettled(nodes, 90_000);
  for (const n of nodes) {
    const c = await n.client();
    clients.push(c);
    tails.push(c.tail({}, (e) => seen.push(e)));
  }
});

after(async () => {
  for (const t of tails) t.cancel();
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
});

test('contractors subscribed from their own init on three nodes answer a cfp sent to the topic', { timeout: 150_000 }, async (t) => {
  let i = 0;
  for (const [name, [bytes, price]] of Object.entries(CONTRACTORS))
    await clients[i++ % 3]!.deploy({ name, config: { price, topic: TOPIC } }, bytes());
  // A topic's broker cannot know how many will answer: it always waits its deadline. 8 s rather than
  // 4: a subscriber on a loaded node whose propose came past 4 s would fail the assertion below
  // (as the cluster contract net's and secure-cluster's did at 4 s), for 4 s more per run.
  await clients[2]!.deploy({ name: 'broker', config: { topic: TOPIC, 'deadline-ms': '8000' } }, INITIATOR());
  const names = [...Object.keys(CONTRACTORS), 'broker'];
  const placed = await waitFor(
    'every agent placed',
    async () => {
      const p = await placement(clients[0]!);
      return names.every((n) => p.has(n)) ? p : undefined;
    },
    60_000,
  );
  t.diagnostic(names.map((n) => `${n}@${placed.get(n)}`).join(' '));
  await waitFor(
    'the four subscriptions in etcd, seen from every node',
    async () => {
      for (const c of clients) if ((await c.listSubscriptions(TOPIC)).length !== 4) return false;
      return true;
    },
    30_000,
  );

  await clients[0]!.send({
    structured: {
      performative: 'request',
      receivers: [{ name: 'broker' }],
      content: 'parcel 11',
      protocol: 'fipa-request',
      conversationId: 'parcel-11',
      replyWith: 'parcel-11-req',
    },
  });
  const result = await waitFor(
    'the result to reach the operator',
    () =>
      seen.find(
        (e) =>
          local(e.message.sender?.name) === 'broker' &&
          e.message.conversationId === 'parcel-11' &&
          (e.message.performative === 'inform' || e.message.performative === 'failure'),
      ),
    60_000,
  );
  const flow = seen
    .map((e) => `${local(e.message.sender?.name)} -> ${e.message.receivers.map((r) => local(r.name)).join(',')} ${e.message.performative}`)
    .join('\n');
  assert.equal(result.message.performative, 'inform', flow);
  assert.match(result.message.content ?? '', /^done: parcel 11 by rust@caxton for 18$/, 'the cheapest (Rust, 18) did the work');
  const cfp = seen.find((e) => e.message.performative === 'cfp' && e.message.content === 'parcel 11');
  assert.deepEqual(
    cfp?.message.receivers.map((r) => r.name),
    [`topic:${TOPIC}`],
    'the broker named only the topic',
  );
  const proposers = new Set(
    seen
      .filter((e) => e.message.conversationId === cfp!.message.conversationId && e.message.performative === 'propose')
      .map((e) => local(e.message.sender?.name)),
  );
  assert.deepEqual([...proposers].sort(), Object.keys(CONTRACTORS).sort(), `every subscriber, on every node, proposed\n${flow}`);
  assert.ok(new Set(Object.keys(CONTRACTORS).map((n) => placed.get(n))).size >= 2, 'the subscribers ran on more than one node');
  assert.ok(!seen.some((e) => e.message.performative === 'not-understood'), `no protocol violation anywhere\n${flow}`);
});
