/**
 * Absent queues bounded at the send on every node (decision 2157), against a real etcd: three
 * "nodes" (each its own connection) take places for one absent agent at once and exactly its
 * bound is admitted, whichever node each send entered through; the holder's list replaces the
 * places, a repeated delivery takes none, what the holder lets go makes room; an agent that is back
 * leaves the count (its key deleted); an unreachable etcd refuses the take, typed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdAbsentCounts, type CountChange } from '../../src/registry/etcd/absent-counts.js';
import { EtcdConnection } from '../../src/registry/etcd/connection.js';
import { absentCountKey } from '../../src/registry/etcd/keys.js';
import { SharedAbsentCounts } from '../../src/topology/cluster/shared-absent-counts.js';
import { parseAbsentCount } from '../../src/topology/cluster/absent-count-record.js';
import type { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { useEtcd } from './helpers/etcd-registries.js';

const server = useEtcd();
const PREFIX = '/absent-counts/';
const BOUND = 5;
const absent = new Set(['a']);

function node(registry: EtcdRegistry, id: string): SharedAbsentCounts {
  return new SharedAbsentCounts({
    store: new EtcdAbsentCounts(registry.connection, registry.keys),
    holder: id,
    partitionOf: () => 3,
    budget: 100,
    isAbsent: (agent) => absent.has(agent),
    ownBound: () => BOUND,
  });
}

const stored = async (registry: EtcdRegistry) => {
  const text = await registry.connection.client.get(absentCountKey(registry.keys, 3)).string();
  return text === null ? undefined : parseAbsentCount(text);
};

test("three nodes taking places at once: exactly the bound is admitted; the holder's list replaces the places", async () => {
  const registries = await Promise.all(['n1', 'n2', 'n3'].map(() => server.registry({ prefix: PREFIX })));
  const nodes = registries.map((r, i) => node(r, `n${i + 1}@1`));
  // 30 sends, ten through each node, each its own take (as the bus makes them), all at once.
  const ids = Array.from({ length: 30 }, (_, i) => `m${i}>a`);
  const answers = await Promise.all(ids.map((id, i) => nodes[i % 3]!.take([{ id, receiver: 'a' }])));
  const admitted = ids.filter((id, i) => !answers[i]!.has(id));
  assert.equal(admitted.length, BOUND, 'the bound holds across the nodes');
  for (const [i, id] of ids.entries()) if (!admitted.includes(id)) assert.deepEqual(answers[i]!.get(id), { limit: BOUND });

  // The holder (n2) lists what it received: the places go, the count stays.
  await nodes[1]!.publish([{ agent: 'a', queue: BOUND, ids: admitted }]);
  const record = (await stored(registries[0]!))!;
  assert.deepEqual([...record.held.get('a')!.ids].sort(), [...admitted].sort());
  assert.equal(record.taken.size, 0);
  assert.equal(
    (await nodes[2]!.take([{ id: 'late>a', receiver: 'a' }])).get('late>a')?.limit,
    BOUND,
    'still full, through a node that took none',
  );
  assert.equal((await nodes[2]!.take([{ id: admitted[0]!, receiver: 'a' }])).size, 0, 'a repeat of a kept delivery is that delivery');

  // Three left the queue (expired on the holder): three more fit, not four.
  await nodes[1]!.publish([{ agent: 'a', queue: BOUND, ids: admitted.slice(0, 2) }]);
  const more = await nodes[0]!.take(['x1', 'x2', 'x3', 'x4'].map((m) => ({ id: `${m}>a`, receiver: 'a' })));
  assert.deepEqual([...more.keys()], ['x4>a']);

  // Back (deployed again): the holder's next publication removes the agent, and the empty record with it.
  absent.delete('a');
  await nodes[1]!.publish([]);
  assert.equal(await stored(registries[0]!), undefined);
});

test('an unreachable etcd refuses the take, typed: nothing is admitted uncounted', async () => {
  const connection = new EtcdConnection({ endpoints: ['http://127.0.0.1:1'], callTimeoutMs: 300 });
  try {
    const registry = await server.registry({ prefix: PREFIX });
    const cut = new SharedAbsentCounts({
      store: new EtcdAbsentCounts(connection, registry.keys),
      holder: 'n9@1',
      partitionOf: () => 3,
      budget: 100,
      isAbsent: () => true,
      ownBound: () => BOUND,
    });
    await assert.rejects(cut.take([{ id: 'm>b', receiver: 'b' }]), (err: { code?: string; hint?: string }) => {
      assert.equal(err.code, 'registry.unavailable');
      assert.ok((err.hint ?? '').length > 0);
      return true;
    });
  } finally {
    connection.close();
  }
});

test('a send whose receivers span two partitions, one of them unreachable, fails whole and gives back the places it took in the other', async () => {
  const connection = new EtcdConnection({ endpoints: ['http://127.0.0.1:1'], callTimeoutMs: 300 });
  try {
    const registry = await server.registry({ prefix: '/absent-counts-split/' });
    const unreachable = new EtcdAbsentCounts(connection, registry.keys);
    // Partition 4 is behind the unreachable connection; partition 3 is the real etcd.
    class HalfReachable extends EtcdAbsentCounts {
      override update<T>(partition: number, decide: (text: string | undefined) => CountChange<T>): Promise<T> {
        return partition === 4 ? unreachable.update(partition, decide) : super.update(partition, decide);
      }
    }
    const sender = new SharedAbsentCounts({
      store: new HalfReachable(registry.connection, registry.keys),
      holder: 'n8@1',
      partitionOf: (agent) => (agent === 'far' ? 4 : 3),
      budget: 100,
      isAbsent: () => true,
      ownBound: () => BOUND,
    });
    await assert.rejects(
      sender.take([
        { id: 'm>near', receiver: 'near' },
        { id: 'm>far', receiver: 'far' },
      ]),
      { code: 'registry.unavailable' },
    );
    const text = await registry.connection.client.get(absentCountKey(registry.keys, 3)).string();
    const left = text === null ? undefined : parseAbsentCount(text);
    assert.equal(left?.taken.has('m>near') ?? false, false, 'the place taken in the reachable partition was given back');
  } finally {
    connection.close();
  }
});
