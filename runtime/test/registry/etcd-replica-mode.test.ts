/**
 * One replica mode per cluster (decisions 2097, 2168), against a real etcd. This version runs a
 * scaled agent's workers across nodes only: it records `across-nodes` where no mode is kept; where a
 * node of an older version kept `on-owner` (written here as that version writes it: the word in
 * the record, and its member key under a lease) this node is refused `cluster.replica-mode-mismatch`
 * with how to upgrade while that node is live, and replaces the record once no node is; a record
 * that holds neither word is not trusted; a join (and a rejoin after a lease loss) compares the
 * record in its own transaction, so a node never becomes a member beside an older one that
 * recorded `on-owner` meanwhile.
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

/** What a node of a version before decision 2168 started with replicas on the owner leaves: the record, then its membership. */
async function olderNodeOnOwner(prefix: string, id: string): Promise<{ leave(): Promise<void> }> {
  const older = await registry(prefix);
  await older.connection.client.put(older.keys.replicaModeKey()).value('on-owner');
  return older.joinCluster({ id, address: '127.0.0.1:7100' }, 5);
}

test('the first node records across-nodes; another of this version starts beside it', async () => {
  const first = await registry('/mode-a/');
  assert.deepEqual(await first.keepReplicaMode(), { mode: 'across-nodes' }, 'a first record is no change');
  const member = await first.joinCluster({ id: 'n1', address: '127.0.0.1:7001' }, 5);
  await first.verifyReplicaMode();
  const second = await registry('/mode-a/');
  assert.deepEqual(await second.keepReplicaMode(), { mode: 'across-nodes' });
  await second.joinCluster({ id: 'n2', address: '127.0.0.1:7002' }, 5);
  await second.verifyReplicaMode();
  await member.leave();
});

test('a cluster an older version runs on the owner: refused while its node is live, with how to upgrade; taken over once none is', async () => {
  const older = await olderNodeOnOwner('/mode-old/', 'old1');
  const next = await registry('/mode-old/');
  await assert.rejects(
    next.keepReplicaMode(),
    mismatch(
      /runs replicas on their agent's owner \(recorded by a node of a version before decision 2168\), and this node runs a scaled agent's workers across nodes/,
      /upgrade the whole cluster at once: stop all 1 live node\(s\), then start every node on this version/,
    ),
  );
  await older.leave();
  assert.deepEqual(
    await next.keepReplicaMode(),
    { mode: 'across-nodes', changedFrom: '"on-owner"' },
    "the change is returned for the node's log",
  );
  await next.joinCluster({ id: 'n1', address: '127.0.0.1:7004' }, 5);
  await next.verifyReplicaMode();
  // Another cluster (another prefix) keeps its own.
  const other = await olderNodeOnOwner('/mode-b/', 'old2');
  await assert.rejects((await registry('/mode-b/')).keepReplicaMode(), mismatch(/on their agent's owner/, /stop all 1 live node/));
  await other.leave();
});

test('a node whose record an older node overwrote after it was kept cannot join', async () => {
  const a = await registry('/mode-race/');
  // a keeps the mode while no node is live; an older node then records on-owner and joins first.
  await a.keepReplicaMode();
  const older = await olderNodeOnOwner('/mode-race/', 'old');
  // The join's own transaction compares the record: a is refused, nodes/a is never written.
  await assert.rejects(
    a.joinCluster({ id: 'a', address: '127.0.0.1:7010' }, 5),
    mismatch(/on their agent's owner/, /upgrade the whole cluster/),
  );
  assert.deepEqual(
    (await a.connection.client.getAll().prefix(a.keys.sectionPrefix('nodes')).keys()).map((k) =>
      k.slice(a.keys.sectionPrefix('nodes').length),
    ),
    ['old'],
  );
  await assert.rejects(a.verifyReplicaMode(), mismatch(/on their agent's owner/, /stop all 1 live node/));
  await older.leave();
});

test('a node that lost its lease while an older node took the cluster over is refused its rejoin (review finding 1)', async () => {
  const mine = await registry('/mode-rejoin/');
  await mine.keepReplicaMode();
  const member = await mine.joinCluster({ id: 'n1', address: '127.0.0.1:7030' }, 5);
  // etcd revokes the lease (as when it was out past the TTL): nodes/ is empty.
  await mine.connection.client.leaseClient.leaseRevoke({ ID: member.leaseId });
  // An older node started now finds no member and records on-owner.
  const older = await olderNodeOnOwner('/mode-rejoin/', 'n2');
  // This node rejoins (as the placement controller does after a loss): refused, not a member.
  await assert.rejects(
    mine.joinCluster({ id: 'n1', address: '127.0.0.1:7030' }, 5),
    mismatch(/on their agent's owner/, /upgrade the whole cluster/),
  );
  assert.equal(await mine.connection.client.get(mine.keys.key('nodes', 'n1')).string(), null);
  await older.leave();
});

test('a record holding neither mode is refused while a node is live and replaced once none is', async () => {
  const r = await registry('/mode-junk/');
  await r.connection.client.put(r.keys.replicaModeKey()).value('x'.repeat(500));
  const member = await r.joinCluster({ id: 'n1', address: '127.0.0.1:7020' }, 5);
  await assert.rejects(r.keepReplicaMode(), (err: unknown) => {
    mismatch(/in an unknown mode "x{32}"/, /holds neither "across-nodes" nor "on-owner"/)(err);
    assert.ok((err as Error).message.length < 400, 'the kept value is cut short');
    return true;
  });
  await member.leave();
  await r.keepReplicaMode();
  assert.equal(await r.connection.client.get(r.keys.replicaModeKey()).string(), 'across-nodes');
});
