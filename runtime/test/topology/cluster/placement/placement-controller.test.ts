/**
 * PlacementController against a real etcd: hand-off on join, takeover on node death (a partition
 * made with a TCP proxy), fencing, and the invariant that matters: no agent is ever active on two
 * nodes at once (checked at every activation, through the public isStillOwner API).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdRegistry } from '../../../../src/registry/etcd/etcd-registry.js';
import { PlacementController, type DeactivateReason } from '../../../../src/topology/cluster/placement/placement-controller.js';
import { ownerOf } from '../../../../src/placement/rendezvous.js';
import { agentRecord } from '../../../registry/fixtures.js';
import { startEtcd, type EtcdHandle } from '../../../registry/helpers/etcd.js';
import { startTcpProxy, type TcpProxy } from '../../../registry/helpers/tcp-proxy.js';
import { eventually } from '../../../registry/helpers/tmp.js';

let etcd: EtcdHandle;
let prefixN = 0;
const cleanups: (() => Promise<unknown>)[] = [];

before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await etcd.stop();
});

async function registry(endpoint: string, prefix: string): Promise<EtcdRegistry> {
  const r = new EtcdRegistry({ endpoints: [endpoint], prefix, callTimeoutMs: 500 });
  await r.open();
  cleanups.push(() => r.close());
  return r;
}

interface Tracked {
  c: PlacementController;
  log: { at: number; kind: 'activate' | 'deactivate'; agent: string; token?: number; reason?: DeactivateReason }[];
}

/** Wires a controller so that every activation checks that no other controller may act for it. */
function track(c: PlacementController, all: Tracked[], violations: string[]): Tracked {
  const t: Tracked = { c, log: [] };
  c.events.onType('activate', ({ agent, token }) => {
    t.log.push({ at: Date.now(), kind: 'activate', agent, token });
    for (const other of all) {
      if (other === t) continue;
      const theirs = other.c.activeAgents().get(agent);
      if (theirs !== undefined && other.c.isStillOwner(agent, theirs)) {
        violations.push(`${agent} activated on ${c.membership?.node.id} while still owned elsewhere (token ${theirs})`);
      }
    }
  });
  c.events.onType('deactivate', ({ agent, reason }) => t.log.push({ at: Date.now(), kind: 'deactivate', agent, reason }));
  all.push(t);
  return t;
}

function agentsOn(t: Tracked): string[] {
  return [...t.c.activeAgents().keys()].sort();
}

test('two controllers share agents by rendezvous, hand off on join, take over on node death, never overlap', async () => {
  const prefix = `/place${prefixN++}/`;
  const proxy: TcpProxy = await startTcpProxy(etcd.clientPort);
  cleanups.push(() => proxy.close());
  const admin = await registry(etcd.endpoint, prefix);
  const names = Array.from({ length: 30 }, (_, i) => `agent-${String(i).padStart(2, '0')}@p`);
  for (const name of names) await admin.putAgent(agentRecord(name));

  const all: Tracked[] = [];
  const violations: string[] = [];
  const a = track(
    new PlacementController({ registry: await registry(proxy.endpoint, prefix), node: { id: 'node-a', address: 'a:1' }, ttlSeconds: 2 }),
    all,
    violations,
  );
  const b = track(
    new PlacementController({ registry: await registry(etcd.endpoint, prefix), node: { id: 'node-b', address: 'b:1' }, ttlSeconds: 2 }),
    all,
    violations,
  );
  cleanups.push(
    () => a.c.stop(),
    () => b.c.stop(),
  );

  // 1. Alone, node-a runs everything.
  await a.c.start();
  await eventually(() => agentsOn(a).length === 30, 10_000, 'node-a to activate all 30 agents');

  // 2. node-b joins: exactly the agents rendezvous gives it move, each deactivated on a first.
  await b.c.start();
  const expectB = names.filter((n) => ownerOf(n, ['node-a', 'node-b']) === 'node-b');
  await eventually(
    () => agentsOn(b).join() === expectB.join() && agentsOn(a).length === 30 - expectB.length,
    10_000,
    'the hand-off to node-b',
  );
  for (const agent of expectB) {
    const off = a.log.find((e) => e.kind === 'deactivate' && e.agent === agent);
    const on = b.log.find((e) => e.kind === 'activate' && e.agent === agent);
    assert.equal(off?.reason, 'moved');
    assert.ok(off!.at <= on!.at, `${agent}: node-a stopped before node-b started`);
  }
  assert.ok(
    a.log.filter((e) => e.kind === 'deactivate').every((e) => expectB.includes(e.agent)),
    'nothing else moved',
  );

  // 3. Deploy and undeploy while both run.
  await admin.putAgent(agentRecord('late@p'));
  await eventually(() => a.c.activeAgents().has('late@p') !== b.c.activeAgents().has('late@p'), 10_000, 'late@p to be placed once');
  await admin.deleteAgent('late@p');
  await eventually(() => !a.c.activeAgents().has('late@p') && !b.c.activeAgents().has('late@p'), 10_000, 'late@p to stop');
  assert.ok([...a.log, ...b.log].some((e) => e.kind === 'deactivate' && e.agent === 'late@p' && e.reason === 'undeployed'));

  // 4. node-a is cut off from etcd: it stops everything by itself before node-b may take over.
  const aTokens = a.c.activeAgents();
  let lostAt = 0;
  const offLost = a.c.events.onType('membership-lost', () => {
    if (lostAt === 0) lostAt = Date.now();
    offLost();
  });
  proxy.blackhole();
  await eventually(() => agentsOn(b).length === 30, 15_000, 'node-b to take over every agent');
  assert.ok(lostAt > 0, 'node-a noticed it lost its membership');
  for (const [agent, token] of aTokens) {
    assert.equal(a.c.isStillOwner(agent, token), false);
    assert.equal(a.c.fencing(agent, token), 'not-owner');
    const takeover = b.log.filter((e) => e.kind === 'activate' && e.agent === agent).at(-1)!;
    assert.ok(takeover.at > lostAt, `${agent} taken over ${takeover.at - lostAt} ms after node-a gave up`);
    assert.ok(takeover.token! > token, 'a later claim carries a larger fencing token');
  }

  // 5. Healed, node-a rejoins with a new lease and gets its share back through hand-off.
  proxy.heal();
  const expectA = names.filter((n) => ownerOf(n, ['node-a', 'node-b']) === 'node-a');
  await eventually(
    () => agentsOn(a).join() === expectA.join() && agentsOn(b).length === 30 - expectA.length,
    20_000,
    'node-a to rejoin and get its agents back',
  );

  // 6. A clean stop revokes the lease: node-b takes over at once, not after a TTL.
  const stoppedAt = Date.now();
  await a.c.stop();
  await eventually(() => agentsOn(b).length === 30, 10_000, 'node-b to take over after the clean stop');
  const tookMs = Date.now() - stoppedAt;
  console.log(`# takeover after clean stop: ${tookMs} ms (ttl 2 s)`);

  assert.deepEqual(violations, []);
});

test('fencing: a node whose lease expired fails isStillOwner and confirmOwner; its old token stays stale after it rejoins', async () => {
  const prefix = `/place${prefixN++}/`;
  const proxy = await startTcpProxy(etcd.clientPort);
  cleanups.push(() => proxy.close());
  const admin = await registry(etcd.endpoint, prefix);
  await admin.putAgent(agentRecord('solo@p'));
  const c = new PlacementController({
    registry: await registry(proxy.endpoint, prefix),
    node: { id: 'only', address: 'o:1' },
    ttlSeconds: 2,
  });
  cleanups.push(() => c.stop());
  await c.start();
  const token = await eventually(() => c.activeAgents().get('solo@p'), 10_000, 'solo@p to activate');
  assert.equal(c.isStillOwner('solo@p', token), true);
  assert.equal(await c.confirmOwner('solo@p', token), true);
  assert.equal(c.isStillOwner('solo@p', token + 1), false, 'a token that was never issued is refused');
  assert.equal(c.isStillOwner('solo@p', token, 60_000), false, 'cannot promise a minute on a 2 s lease');

  proxy.blackhole();
  const lost = await eventually(() => (c.membership?.alive === false ? Date.now() : undefined), 10_000, 'membership loss');
  assert.equal(c.isStillOwner('solo@p', token), false);
  assert.equal(await c.confirmOwner('solo@p', token), false);
  // The claim is still in etcd until the lease expires server-side: the local verdict came first.
  const serverSide = await admin.connection.client.get(admin.keys.key('owners', 'solo@p')).exec();
  console.log(`# lease loss noticed locally; claim ${serverSide.kvs.length ? 'still present' : 'already gone'} in etcd at that moment`);

  proxy.heal();
  const newToken = await eventually(
    () => {
      const t = c.activeAgents().get('solo@p');
      return t !== undefined && t !== token ? t : undefined;
    },
    15_000,
    'rejoin and reactivation',
  );
  assert.ok(newToken > token);
  assert.equal(c.fencing('solo@p', token), 'stale-token');
  assert.equal(await c.confirmOwner('solo@p', token), false);
  assert.equal(await c.confirmOwner('solo@p', newToken), true);
  assert.ok(Date.now() > lost);
});
