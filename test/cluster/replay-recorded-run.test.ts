/**
 * Replay's acceptance on a cluster's Kafka log (issue 57): two `caxton serve --kafka … --etcd …`
 * nodes record a run of 10,000 deliveries — a durable counter, a counter of timers, the contract
 * net and an agent calling a real loopback HTTP service (test/support/recorded-run.ts), placed
 * where the cluster puts them — and `caxton replay --kafka --etcd` runs each agent's recorded
 * version on every handling the topics hold with nothing differing. The same run on one node's
 * embedded log: test/e2e/replay-recorded-run.test.ts.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { CaxtonClient } from '@caxton/runtime';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll, withNodeLogs } from './support/node-process.js';
import { waitFor } from './support/cluster.js';
import { replayCluster } from './support/replay-cli.js';
import {
  TEN_THOUSAND_DELIVERIES as RUN,
  agentsOf,
  deliveriesOf,
  deployRun,
  parseReplay,
  runDone,
  sendRun,
  shoutService,
} from '../support/recorded-run.js';

let infra: Servers;
let cluster: string;
const nodes: NodeProcess[] = [];
let service: Awaited<ReturnType<typeof shoutService>>;

before(async () => {
  service = await shoutService();
  infra = await servers();
  cluster = uniqueCluster('replay-run');
  for (const id of ['n1', 'n2']) nodes.push(NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster: { name: cluster } }));
  await startAll(nodes);
  const clients: CaxtonClient[] = await Promise.all(nodes.map((n) => n.client()));
  // The nodes' stderr says why, should a node answer `internal error` here (seen once in CI, as in replay.test.ts).
  await withNodeLogs(nodes, async () => {
    await deployRun(clients[0]!, service.port);
    await sendRun(clients[0]!, RUN);
  });
  let seen = '';
  await waitFor(
    'the whole run handled',
    async () => {
      const r = await runDone(clients, RUN);
      seen = r.seen;
      return r.done;
    },
    240_000,
  ).catch((e: unknown) => {
    throw new Error(`${(e as Error).message} (last seen: ${seen})`);
  });
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
  await service?.close();
});

describe(`a recorded run of ${deliveriesOf(RUN).toLocaleString('en')} deliveries on a cluster's Kafka log replays with nothing differing`, () => {
  it('each agent replays every handling the topics recorded, none differing', { timeout: 300_000 }, async (t) => {
    let replayed = 0;
    for (const agent of agentsOf(RUN)) {
      const r = await replayCluster(infra, cluster, [agent.name]);
      const text = `exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`;
      const { summary, differing } = parseReplay(r.stdout);
      assert.ok(summary, text);
      assert.equal(summary.diverged, 0, `${agent.name}: ${JSON.stringify(differing.slice(0, 3))}\n${text}`);
      assert.equal(summary.crashed, 0, agent.name);
      assert.equal(summary.unreplayable, 0, agent.name);
      assert.equal(r.code, 0, text);
      assert.ok(summary.replayed >= agent.handlings, `${agent.name}: ${summary.replayed} of at least ${agent.handlings}`);
      replayed += summary.replayed;
      t.diagnostic(`${agent.name}: ${summary.replayed} handlings replayed, 0 differ; history ${JSON.stringify(summary.history)}`);
    }
    assert.ok(replayed >= deliveriesOf(RUN), `${replayed} handlings replayed of ${deliveriesOf(RUN)} deliveries`);
  });
});
