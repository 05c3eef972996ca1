/**
 * One replica mode per cluster (decision 2097): real nodes on real Kafka and etcd. The first node
 * records its `replicasAcrossNodes`; a node started with the other setting is refused
 * `cluster.replica-mode-mismatch` before it joins (both values in the message, the cluster's
 * setting in the hint) and one with the same setting starts. With every node stopped, the next
 * node to start records its own setting: the way an operator changes the mode.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startNode, type RunningNode, type StartNodeOptions } from '@caxton/runtime';
import { servers, type Servers } from './support/servers.js';

let infra: Servers;
let dir: string;
const running = new Set<RunningNode>();

before(async () => {
  infra = await servers();
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-replica-mode-'));
});
after(async () => {
  for (const n of running) await n.stop().catch(() => undefined);
  await infra?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a node started with another replica mode than its cluster's is refused; a stopped cluster takes a new one", async () => {
  const name = `mode-${randomBytes(3).toString('hex')}`;
  const options = (nodeId: string, replicasAcrossNodes: boolean): StartNodeOptions => ({
    dataDir: path.join(dir, nodeId),
    nodeId,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'none' },
    api: false,
    kafka: { brokers: [infra.kafka] },
    etcd: { endpoints: [infra.etcd] },
    cluster: { name, partitions: 2, replicasAcrossNodes },
  });
  const start = async (nodeId: string, across: boolean): Promise<RunningNode> => {
    const node = await startNode(options(nodeId, across));
    running.add(node);
    return node;
  };
  const refused = (kept: RegExp, flag: string) => (err: Error & { code?: string; hint?: string }) => {
    assert.equal(err.code, 'cluster.replica-mode-mismatch');
    assert.match(err.message, kept);
    assert.ok(err.hint?.includes(`restart this node with ${flag} (the cluster's setting)`), err.hint);
    return true;
  };
  const n1 = await start('n1', true);
  await assert.rejects(
    startNode(options('n2', false)),
    refused(/runs replicas across nodes, this node was started with replicas on the owner/, '--replicas-across-nodes'),
  );
  const n3 = await start('n3', true);
  // The whole cluster stopped, then started with the other setting.
  for (const n of [n1, n3]) {
    await n.stop();
    running.delete(n);
  }
  await start('n2', false);
  await assert.rejects(
    startNode(options('n1', true)),
    refused(/runs replicas on their agent's owner, this node was started with replicas across nodes/, '--no-replicas-across-nodes'),
  );
});
