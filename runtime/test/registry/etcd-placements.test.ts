/**
 * A name's fixed placement in etcd (decision 2189), against a real etcd: the first deploy's wins,
 * whichever node writes it; it is mirrored to every node, survives a registry reopened (a node
 * restarted) and is never removed by an agent's undeploy; a value another writer left that is not
 * a placement is ignored. Nodes announce the features they have in their membership record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_FEATURES } from '../../src/storage/records.js';
import { useEtcd } from './helpers/etcd-registries.js';
import { agentRecord } from './fixtures.js';

const server = useEtcd();

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('two nodes fixing one name at once: one placement wins, and both are told it', async () => {
  const [one, two] = await Promise.all([server.registry({ prefix: '/placed-c/' }), server.registry({ prefix: '/placed-c/' })]);
  const [a, b] = await Promise.all([
    one.fixPlacement('ping', { key: 'echo', near: 'echo' }),
    two.fixPlacement('ping', { key: 'other', near: 'other' }),
  ]);
  assert.deepEqual(a, b, 'the same one');
  assert.ok(a?.key === 'echo' || a?.key === 'other');
});

test('the first placement of a name wins on any node, is mirrored, and outlives its undeploy and a restart', async () => {
  const one = await server.registry({ prefix: '/placed-a/' });
  const two = await server.registry({ prefix: '/placed-a/' });
  assert.deepEqual(await one.fixPlacement('ping', { key: 'echo', near: 'echo' }), { key: 'echo', near: 'echo' });
  assert.equal(one.placementKeyOf('ping'), 'echo', 'read at once where it was written');
  assert.deepEqual(await two.fixPlacement('ping', { key: 'ping' }), { key: 'echo', near: 'echo' }, 'the other node gets the fixed one');
  await until('the mirror on the other node', () => two.placementKeyOf('ping') === 'echo');
  assert.deepEqual(two.placementOf('ping'), { key: 'echo', near: 'echo' });
  assert.equal(two.placementKeyOf('other'), undefined, 'none recorded: placed by its name');
  assert.deepEqual(await two.readPlacement('ping'), { key: 'echo', near: 'echo' }, 'read from etcd itself');
  assert.equal(await two.readPlacement('other'), undefined);

  await one.putAgent(agentRecord('ping'));
  assert.deepEqual(await one.fixPlacement('pong', { key: 'echo' }, true), { key: 'echo' }, 'no record of pong: fixed');
  await one.putAgent(agentRecord('running'));
  assert.equal(await one.fixPlacement('running', { key: 'echo' }, true), undefined, 'never while a record of the agent exists');
  assert.equal(await one.readPlacement('running'), undefined, 'nothing written');
  await one.deleteAgent('ping');
  assert.equal(one.placementKeyOf('ping'), 'echo', 'an undeploy leaves it');
  const three = await server.registry({ prefix: '/placed-a/' });
  assert.equal(three.placementKeyOf('ping'), 'echo', 'a registry opened later (a node restarted) reads it');
});

test('a value another writer left that is no placement is ignored; nodes announce their features', async () => {
  const one = await server.registry({ prefix: '/placed-b/' });
  await one.connection.client.put('/placed-b/control/placement/bad').value('{"key":"no spaces allowed"}');
  await one.connection.client.put('/placed-b/control/placement/good').value('{"key":"echo"}');
  await until('the good one mirrored', () => one.placementKeyOf('good') === 'echo');
  assert.equal(one.placementKeyOf('bad'), undefined);
  const corrupt = (e: { code?: string; hint?: string }) => e.code === 'registry.corrupt' && /etcdctl/.test(e.hint ?? '');
  await assert.rejects(one.fixPlacement('bad', { key: 'echo' }), corrupt, 'never overwritten in silence');
  await assert.rejects(one.readPlacement('bad'), corrupt);
  const member = await one.joinCluster({ id: 'n1', address: '127.0.0.1:7001' }, 5);
  let features: readonly string[] | undefined;
  for (let i = 0; i < 1500 && features === undefined; i++) {
    features = (await one.listNodes()).find((n) => n.id === 'n1')?.features;
    if (features === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(features, NODE_FEATURES);
  await member.leave();
});
