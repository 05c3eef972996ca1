/**
 * Replica units in metrics and in the agent's status (decision 2097) on one in-process node, real
 * Kafka and etcd, replicas across nodes on: an agent scaled to 3 whose conversations reach every
 * replica runs units 2 and 3 here, `caxton_replica_units_active{agent}` counts them, and the
 * status lists each replica on this node, active, with what it handled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { replicaFor } from '@caxton/core';
import { TestNode } from '../bus/support/test-node.js';
import { TestMetrics, total } from '../bus/support/metrics-reader.js';
import { servers, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';

const telemetry = new TestMetrics();
let infra: Servers;
let t: TestNode;
const clusterName = `unit-metrics-${randomBytes(3).toString('hex')}`;

before(async () => {
  telemetry.register();
  infra = await servers();
  t = await TestNode.start({
    kafka: { brokers: [infra.kafka] },
    etcd: { endpoints: [infra.etcd] },
    cluster: { name: clusterName, partitions: 4 },
    api: true,
    apiPort: 0,
  });
  await t.deploy('echo', 'as-echo');
});

after(async () => {
  await t?.dispose();
  await infra?.stop();
  await telemetry.shutdown();
});

test('the units a node runs are counted per agent, and the status shows each replica active here', async () => {
  await waitFor('echo to be placed here', async () => (await t.control.getAgent('echo'))?.state === 'running', 30_000);
  await t.control.scale('echo', 3);
  const conversations = Array.from({ length: 12 }, (_, i) => `m-${i}`);
  const replicaOf = (c: string): number => replicaFor({ conversationId: c, messageId: '' }, 3);
  const unitsUsed = new Set(conversations.map(replicaOf).filter((k) => k > 1));
  assert.ok(unitsUsed.size > 0, 'some conversation goes to a unit');
  for (const c of conversations) await t.send({ performative: 'request', receivers: [{ name: 'echo' }], content: c, conversationId: c });
  await t.waitFor(
    'every message handled',
    () => t.handled.filter((h) => h.agent.startsWith('echo') && h.outcome.status === 'ok').length >= conversations.length,
    60_000,
  );

  const s = await telemetry.samples();
  assert.equal(total(s, 'caxton_replica_units_active', { agent: 'echo' }), unitsUsed.size, 'each unit that took a conversation runs here');
  const status = await t.control.getAgent('echo');
  const units = status?.replicas?.units ?? [];
  assert.deepEqual(
    units.map((u) => u.replica),
    [1, 2, 3],
  );
  for (const u of units) {
    assert.equal(u.node, status!.nodeId, `replica ${u.replica} is placed on the only node`);
    const took = conversations.filter((c) => replicaOf(c) === u.replica).length;
    if (u.replica === 1 || unitsUsed.has(u.replica)) {
      assert.deepEqual(u.activeOn, [status!.nodeId], `replica ${u.replica} is active here`);
      assert.equal(u.handled, took, `replica ${u.replica} handled its conversations`);
    } else assert.deepEqual(u.activeOn, [], `replica ${u.replica} took no conversation: passive`);
  }

  // Review finding 5: the node loses its membership lease (revoked in etcd, as after an outage past
  // the TTL) and rejoins; its units' presence entries went with the old lease and are written again.
  const etcd = new Etcd3({ hosts: infra.etcd });
  try {
    const nodeKey = `/caxton/${clusterName}/nodes/${status!.nodeId}`;
    const leaseOf = async (): Promise<string | undefined> => {
      const kv = (await etcd.get(nodeKey).exec()).kvs[0];
      return kv === undefined ? undefined : String(kv.lease);
    };
    const old = await leaseOf();
    assert.ok(old !== undefined && old !== '0', 'the node is a member under a lease');
    await etcd.leaseClient.leaseRevoke({ ID: old });
    await waitFor(
      'the node to rejoin under a new lease',
      async () => {
        const now = await leaseOf();
        return now !== undefined && now !== old;
      },
      30_000,
    );
    await waitFor(
      'the running units shown active again after the rejoin',
      async () => {
        const again = (await t.control.getAgent('echo'))?.replicas?.units ?? [];
        return [...unitsUsed].every((k) => again.find((u) => u.replica === k)?.activeOn.includes(status!.nodeId) === true);
      },
      20_000,
    );
  } finally {
    etcd.close();
  }
});

test('a unit does not start while its agent is suspended (its init is agent code); resumed, its waiting mail is handled once', async () => {
  await t.deploy('held', 'as-echo');
  await waitFor('held to be placed here', async () => (await t.control.getAgent('held'))?.state === 'running', 30_000);
  await t.control.scale('held', 3);
  // A conversation that goes to a unit (k >= 2), not to the agent itself.
  const conversation = Array.from({ length: 100 }, (_, i) => `h-${i}`).find(
    (c) => replicaFor({ conversationId: c, messageId: '' }, 3) > 1,
  )!;
  const unit = `held#r${replicaFor({ conversationId: conversation, messageId: '' }, 3)}`;
  await t.control.suspend('held');
  await t.send({ performative: 'request', receivers: [{ name: 'held' }], content: 'while-held', conversationId: conversation });
  // The delivery is accepted for the unit; the unit is not started (no handling, not active) while held.
  await t.waitFor('the delivery for the unit to be accepted', () => t.deliveredTo(unit).length >= 1, 30_000);
  const activeWhileHeld = async (): Promise<boolean> =>
    ((await t.control.getAgent('held'))?.replicas?.units ?? []).some((u) => u.replica > 1 && u.activeOn.length > 0);
  // Two of the units' retry periods: a start would have happened by then.
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(await activeWhileHeld(), false, 'no unit of a suspended agent is active');
  assert.equal(t.handled.filter((h) => h.agent === unit).length, 0, 'nothing handled by the unit while held');
  await t.control.resume('held');
  await t.waitFor(
    'the waiting message to be handled by its unit',
    () => t.handled.some((h) => h.agent === unit && h.outcome.status === 'ok'),
    60_000,
  );
  assert.equal(t.handled.filter((h) => h.agent === unit && h.outcome.status === 'ok').length, 1, 'handled once');
});
