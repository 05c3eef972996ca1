/**
 * One replica mode per cluster (decision 2097), against a real etcd: the first node records its
 * setting; a node with another is refused `cluster.replica-mode-mismatch` (both values, a hint)
 * while a node is live; with no node live the mode changes (how an operator changes it); a record
 * that holds neither word is not trusted; after the join a node whose write was overwritten finds out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { RegistryError } from '../../src/registry/errors.js';
import { useEtcd } from './helpers/etcd-registries.js';

const server = useEtcd();
/** A registry of the cluster under `prefix` (its etcd key prefix), closed after the file's tests. */
const registry = (prefix: string): Promise<EtcdRegistry> => server.registry({ prefix });

function mismatch(pattern: RegExp, hint: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.code, 'cluster.replica-mode-mismatch');
    assert.equal(err.kind, 'failed-precondition');
    assert.match(err.message, pattern);
    assert.match(err.hint ?? '', hint);
    return true;
  };
}

test('the first node records the mode; another is refused while a node is live, and recorded once none is', async () => {
  const first = await registry('/mode-a/');
  assert.deepEqual(await first.keepReplicaMode(true), { mode: 'across-nodes' }, 'a first record is no change');
  const member = await first.joinCluster({ id: 'n1', address: '127.0.0.1:7001' }, 5);
  await first.verifyReplicaMode(true);
  const second = await registry('/mode-a/');
  await second.keepReplicaMode(true); // the same setting: starts
  await assert.rejects(
    second.keepReplicaMode(false),
    mismatch(
      /runs replicas across nodes, this node was started with replicas on the owner \(--no-replicas-across-nodes\)/,
      /restart this node with --replicas-across-nodes .*stop all 1 live node/,
    ),
  );
  // Every node stopped: the next one to start records its own setting, and the others follow it.
  await member.leave();
  assert.deepEqual(
    await second.keepReplicaMode(false),
    { mode: 'on-owner', changedFrom: '"across-nodes"' },
    "the change is returned for the node's log",
  );
  const rejoined = await second.joinCluster({ id: 'n2', address: '127.0.0.1:7002' }, 5);
  await second.verifyReplicaMode(false);
  await assert.rejects(
    first.keepReplicaMode(true),
    mismatch(
      /runs replicas on their agent's owner, this node was started with replicas across nodes/,
      /--no-replicas-across-nodes \(the cluster's setting\)/,
    ),
  );
  await rejoined.leave();
  // Another cluster (another prefix) keeps its own.
  const other = await registry('/mode-b/');
  await other.keepReplicaMode(true);
  await other.joinCluster({ id: 'n1', address: '127.0.0.1:7003' }, 5);
  await first.keepReplicaMode(true); // /mode-a/ has no live node: its mode changes, /mode-b/'s does not
  await assert.rejects((await registry('/mode-b/')).keepReplicaMode(false), mismatch(/across nodes/, /--replicas-across-nodes/));
});

test('a node whose record was overwritten by a node that started beside it cannot join', async () => {
  const a = await registry('/mode-race/');
  const b = await registry('/mode-race/');
  // Both start while no node is live; b writes last.
  await a.keepReplicaMode(true);
  await b.keepReplicaMode(false);
  // The join's own transaction compares the record: a is refused, nodes/a is never written.
  await assert.rejects(
    a.joinCluster({ id: 'a', address: '127.0.0.1:7010' }, 5),
    mismatch(
      /runs replicas on their agent's owner, this node was started with replicas across nodes/,
      /restart this node with --no-replicas-across-nodes/,
    ),
  );
  await b.joinCluster({ id: 'b', address: '127.0.0.1:7011' }, 5);
  await b.verifyReplicaMode(false);
  assert.deepEqual(
    (await b.connection.client.getAll().prefix(b.keys.sectionPrefix('nodes')).keys()).map((k) =>
      k.slice(b.keys.sectionPrefix('nodes').length),
    ),
    ['b'],
  );
});

test('a node that lost its lease while the mode changed is refused its rejoin (review finding 1)', async () => {
  const old = await registry('/mode-rejoin/');
  await old.keepReplicaMode(true);
  const member = await old.joinCluster({ id: 'n1', address: '127.0.0.1:7030' }, 5);
  // etcd revokes the lease (as when it was out past the TTL): nodes/ is empty.
  const other = await registry('/mode-rejoin/');
  await other.connection.client.leaseClient.leaseRevoke({ ID: member.leaseId });
  // A node started now with the other setting finds no member and records its own.
  await other.keepReplicaMode(false);
  await other.joinCluster({ id: 'n2', address: '127.0.0.1:7031' }, 5);
  // The old node rejoins (as the placement controller does after a loss): refused, not a member.
  await assert.rejects(
    old.joinCluster({ id: 'n1', address: '127.0.0.1:7030' }, 5),
    mismatch(
      /runs replicas on their agent's owner, this node was started with replicas across nodes/,
      /restart this node with --no-replicas-across-nodes/,
    ),
  );
  assert.equal(await other.connection.client.get(other.keys.key('nodes', 'n1')).string(), null);
});

test('a record holding neither mode is refused while a node is live and replaced once none is', async () => {
  const r = await registry('/mode-junk/');
  await r.connection.client.put(r.keys.replicaModeKey()).value('x'.repeat(500));
  const member = await r.joinCluster({ id: 'n1', address: '127.0.0.1:7020' }, 5);
  await assert.rejects(r.keepReplicaMode(true), (err: unknown) => {
    mismatch(/in an unknown mode "x{32}"/, /holds neither "across-nodes" nor "on-owner"/)(err);
    assert.ok((err as Error).message.length < 400, 'the kept value is cut short');
    return true;
  });
  await member.leave();
  await r.keepReplicaMode(true);
  assert.equal(await r.connection.client.get(r.keys.replicaModeKey()).string(), 'across-nodes');
});
