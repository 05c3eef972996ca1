/**
 * The cluster's deployments mirror tells its listeners after each agent change it applies
 * (decision 2123): the node bumps its routing epoch there, so a receiver a shard remembers as
 * unknown is reachable once another node deploys it. Without the call, a name deployed on another
 * node would stay refused on this node's shards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedRegistry } from '../../../src/registry/embedded/embedded-registry.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import { ClusterDeployments } from '../../../src/topology/cluster/deployments.js';

const record = (name: string): AgentRecord => ({
  name,
  artifactDigest: 'a'.repeat(64),
  limits: { fuelPerMessage: 1000, memoryPages: 1 },
  config: {},
  version: 1,
  createdAt: 1,
  updatedAt: 1,
});

test('a deploy seen through the watch is known, and told, before anything else runs', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-deployments-change-'));
  const registry = new EmbeddedRegistry({ dir });
  await registry.open();
  const deployments = new ClusterDeployments(registry);
  await deployments.start();
  t.after(async () => {
    deployments.stop();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const seen: boolean[] = [];
  // What the listener sees: the name is already in the mirror when it is told.
  deployments.onChange(() => seen.push(deployments.has('b')));
  await registry.putAgent(record('b'));
  for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [true]);
});

test('a scaled record spreads its count to senders, unless its component writes state (decision 2168): that one runs as one', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-deployments-stateful-'));
  const registry = new EmbeddedRegistry({ dir });
  await registry.open();
  const deployments = new ClusterDeployments(registry);
  // Listed at the start (a record written before this node), then changed through the watch.
  await registry.putAgent({ ...record('listed'), replicas: 3, writesState: true });
  await deployments.start();
  t.after(async () => {
    deployments.stop();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  assert.ok(deployments.has('listed'), 'the listed record is in the mirror');
  assert.equal(deployments.replicasOf('listed'), 1, 'a stateful record scaled before decision 2168 is not spread');
  let changes = 0;
  deployments.onChange(() => changes++);
  await registry.putAgent({ ...record('worker'), replicas: 3 });
  await registry.putAgent({ ...record('keeper'), replicas: 3, writesState: true });
  for (let i = 0; i < 200 && changes < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(changes, 2);
  assert.equal(deployments.replicasOf('worker'), 3);
  assert.ok(deployments.has('keeper'), 'the stateful record was applied');
  assert.equal(deployments.replicasOf('keeper'), 1);
  assert.deepEqual(deployments.scaled(), [['worker', 3]], 'only the stateless one has units to walk');
});
