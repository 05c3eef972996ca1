/**
 * A trace crosses nodes (issue 13, decision 1300): two `caxton serve --kafka … --etcd …` processes,
 * run as an operator runs them, export to one real OpenTelemetry Collector. The contract net's
 * initiator and its contractors are placed on both nodes; the conversation's spans, whichever node
 * handled the message (delivered through Kafka), share the trace id of the operator's request, and
 * each span carries the resource of the node that produced it (service.instance.id, caxton.cluster).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { CaxtonClient, StreamHandle } from '@caxton/runtime';
import type { MessageEvent } from '@caxton/core';
import type * as Infra from '../../scripts/infra/index.d.mts';
import { servers, uniqueCluster, type Servers } from '../cluster/support/servers.js';
import { NodeProcess, startAll } from '../cluster/support/node-process.js';
import { deployAll, groupSettled, placement, waitFor } from '../cluster/support/cluster.js';
import { example } from '../cluster/support/paths.js';
import { attrsOf, waitForConversationTrace, type FoundSpan } from './support/otlp.js';

const infraLib = (): Promise<typeof Infra> =>
  import(new URL('../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;
const local = (name: string | undefined): string => (name ?? '').replace(/@caxton$/, '');
const COURIERS = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];

let lib: typeof Infra;
let col: Infra.OtelCollectorHandle;
let infra: Servers;
let clusterName = '';
const nodes: NodeProcess[] = [];
const clients = new Map<string, CaxtonClient>();
const seen: MessageEvent[] = [];
const tails: StreamHandle[] = [];

before(async () => {
  lib = await infraLib();
  col = await lib.startOtelCollector();
  infra = await servers();
  clusterName = uniqueCluster('otel');
  const cluster = { name: clusterName };
  for (const id of ['t1', 't2'])
    nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }, ['--otlp-endpoint', col.otlpHttpEndpoint]));
  await startAll(nodes);
  // Serving is not joined: a late join or re-join of the consumer group moves partitions (their
  // mail waits, and a handling may run twice), so nothing is sent before each node consumes its own.
  await groupSettled(nodes, 90_000);
  for (const n of nodes) {
    const c = await n.client();
    clients.set(n.id, c);
    tails.push(c.tail({}, (e) => seen.push(e)));
  }
});

after(async () => {
  for (const t of tails) t.cancel();
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  for (const n of nodes) {
    const exit = await n.exited;
    if (exit.code !== 0) process.stderr.write(`node ${n.id} exited ${exit.code ?? exit.signal}:\n${n.stderr.slice(-2000)}\n`);
  }
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
  await col?.stop();
});

test("one contract-net conversation is one trace across two nodes, each span with its node's resource", { timeout: 240_000 }, async (t) => {
  const all = [...clients.values()];
  await deployAll(all, COURIERS, readFileSync(example('contract-net/as-contractor', 'cnet-contractor.wasm')), { price: '30' });
  await waitFor('every courier placed', async () => (await placement(all[0]!)).size === COURIERS.length, 60_000);
  // The broker decides once every courier answered, or at the deadline: 20 s costs nothing when all
  // answer, and a loaded machine once brought the other node's proposals past 4 s (the test asserts both).
  await all[1]!.deploy(
    { name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '20000' } },
    readFileSync(example('contract-net/js-initiator', 'cnet-initiator.wasm')),
  );
  const brokerNode = await waitFor('the broker placed', async () => (await placement(all[0]!)).get('broker'), 60_000);
  const placed = await placement(all[0]!);
  t.diagnostic(`broker on ${brokerNode}; ${COURIERS.map((c) => `${c}@${placed.get(c)}`).join(' ')}`);
  assert.equal(new Set(placed.values()).size, 2, 'the agents run on both nodes');
  // The directory on the broker's node must list every courier before it calls for proposals.
  await waitFor(
    "every courier in the broker's directory",
    async () => (await clients.get(brokerNode)!.searchDirectory({ serviceType: 'delivery' })).length === COURIERS.length,
    60_000,
  );

  await all[0]!.send({
    structured: {
      performative: 'request',
      receivers: [{ name: 'broker' }],
      content: 'parcel 3',
      protocol: 'fipa-request',
      conversationId: 'parcel-3',
      replyWith: 'parcel-3-req',
    },
  });
  await waitFor(
    'the result',
    () =>
      seen.find(
        (e) => local(e.message.sender?.name) === 'broker' && e.message.performative === 'inform' && e.message.conversationId === 'parcel-3',
      ),
    120_000,
  );

  // Each node exports on its own timer (1 s): the winner's node may ship its accept-proposal span
  // before the broker's node ships the proposals that led to it, so every span read is waited for.
  const trace = await waitForConversationTrace(col, lib.otlpSpans, 'parcel-3', {
    'handle cfp': COURIERS.length,
    'handle propose': COURIERS.length,
    'handle accept-proposal': 1,
  });
  const nodeOf = (s: FoundSpan): string => attrsOf(s.resource)['service.instance.id']!;
  const cfps = trace.filter((s) => s.span['name'] === 'handle cfp');
  assert.deepEqual(cfps.map((s) => attrsOf(s.span)['caxton.agent']).sort(), COURIERS);
  // Each courier's handling was recorded by the node it runs on: the trace crossed nodes.
  for (const s of cfps)
    assert.equal(
      nodeOf(s),
      placed.get(attrsOf(s.span)['caxton.agent']!),
      `${attrsOf(s.span)['caxton.agent']} handled the cfp on its own node`,
    );
  assert.deepEqual(new Set(trace.map(nodeOf)), new Set(['t1', 't2']), 'spans of the one trace come from both nodes');
  const proposals = trace.filter((s) => s.span['name'] === 'handle propose');
  assert.ok(proposals.length >= COURIERS.length, `every courier's proposal was handled in the same trace (${proposals.length} handled)`);
  assert.deepEqual(
    proposals.map(nodeOf).filter((n) => n !== brokerNode),
    [],
    `the broker handled proposals from both nodes on its own node (${brokerNode})`,
  );
  for (const s of trace) {
    const r = attrsOf(s.resource);
    assert.equal(r['caxton.cluster'], clusterName);
    assert.equal(r['caxton.node.id'], r['service.instance.id']);
    assert.equal(r['service.name'], 'caxton');
  }
});
