/**
 * EtcdRegistry against a real etcd (scripts/infra). Each test uses its own key prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdRegistry } from '../../src/registry/etcd/etcd-registry.js';
import { isRegistryError } from '../../src/registry/errors.js';
import type { RegistryEvent } from '../../src/storage/records.js';
import { agentRecord, description, service } from './fixtures.js';
import { freePort } from './helpers/etcd.js';
import { useEtcd } from './helpers/etcd-registries.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { eventually, sleep } from './helpers/tmp.js';

const server = useEtcd();
let n = 0;

function registry(
  endpoint = server.etcd.endpoint,
  prefix = `/t${n}/`,
  extra: Partial<ConstructorParameters<typeof EtcdRegistry>[0]> = {},
): Promise<EtcdRegistry> {
  return server.registry({ endpoints: [endpoint], prefix, ...extra });
}

async function pair(): Promise<[EtcdRegistry, EtcdRegistry]> {
  n++;
  return [await registry(), await registry()];
}

test("two registries see each other's writes through their watches", async () => {
  const [a, b] = await pair();
  const seen: RegistryEvent[] = [];
  b.watch((e) => seen.push(e));
  await a.putAgent(agentRecord('echo@p'));
  assert.deepEqual(await a.getAgent('echo@p'), agentRecord('echo@p'), 'read-your-writes on the writer');
  await eventually(async () => (await b.getAgent('echo@p'))?.version === 1, 5000, 'b to see the agent');
  await a.registerDf(description('echo@p', [service('echo', 'echo', { protocols: ['fipa-request'] })]));
  await eventually(async () => (await b.searchDf({ serviceType: 'echo' })).length === 1, 5000, 'b to find the service');
  await b.modifyDf(description('echo@p', [service('echo', 'echo2')]));
  await eventually(async () => (await a.searchDf({ serviceType: 'echo2' })).length === 1, 5000, 'a to see the modify');
  await a.deleteAgent('echo@p');
  await eventually(async () => (await b.listAgents()).length === 0, 5000, 'b to see the delete');
  await eventually(() => seen.some((e) => e.kind === 'agent-deleted' && e.name === 'echo@p'), 5000, 'delete event on b');
  assert.ok(seen.some((e) => e.kind === 'agent-put' && e.agent.name === 'echo@p'));
  assert.ok(seen.some((e) => e.kind === 'service-changed' && e.description?.services[0]?.type === 'echo2'));
});

test('a registry opened on a populated prefix loads it page by page at one revision', async () => {
  const [a] = await pair();
  const names = Array.from({ length: 1234 }, (_, i) => `bulk-${String(i).padStart(4, '0')}@p`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < names.length; i = next++) await a.putAgent(agentRecord(names[i]!));
    }),
  );
  const late = await registry(server.etcd.endpoint, `/t${n}/`); // mirror pages are 500 keys: three pages
  assert.deepEqual(
    (await late.listAgents()).map((x) => x.name),
    names,
  );
  assert.equal(late.mirrorStatus.state, 'live');
});

test('FIPA rules hold across nodes: of two concurrent registers exactly one wins', async () => {
  const [a, b] = await pair();
  for (let i = 0; i < 10; i++) {
    const name = `contested-${i}@p`;
    const results = await Promise.allSettled([
      a.registerDf(description(name, [service('s', 'from-a')])),
      b.registerDf(description(name, [service('s', 'from-b')])),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled').length;
    const lost = results.filter((r) => r.status === 'rejected' && isRegistryError(r.reason, 'df.already-registered')).length;
    assert.deepEqual([won, lost], [1, 1], `round ${i}: ${JSON.stringify(results.map((r) => r.status))}`);
  }
  await assert.rejects(a.deregisterDf('nobody@p'), (e) => isRegistryError(e, 'df.not-registered'));
  await assert.rejects(b.modifyDf(description('nobody@p', [])), (e) => isRegistryError(e, 'df.not-registered'));
  await a.deregisterDf('contested-0@p');
  await assert.rejects(b.deregisterDf('contested-0@p'), (e) => isRegistryError(e, 'df.not-registered'));
});

test('a DF lease-time becomes an etcd lease: the entry vanishes for every node', async () => {
  const [a, b] = await pair();
  const gone: string[] = [];
  b.watch((e) => {
    if (e.kind === 'service-changed' && e.description === undefined) gone.push(e.agentName);
  });
  await a.registerDf(description('brief@p', [service('s', 't')], { leaseUntil: Date.now() + 800 }));
  await a.registerDf(description('stays@p', [service('s', 't')]));
  await eventually(async () => (await b.searchDf({ serviceType: 't' })).length === 2, 5000, 'b to see both');
  await sleep(900);
  assert.deepEqual(
    (await b.searchDf({ serviceType: 't' })).map((d) => d.name.name),
    ['stays@p'],
    'filtered by lease-time at once',
  );
  await a.registerDf(description('brief@p', [service('s', 't')], { leaseUntil: Date.now() + 500 }));
  // etcd deletes it (TTL rounds up to whole seconds, +1): the delete reaches b as an event.
  await eventually(() => gone.includes('brief@p'), 6000, 'the etcd lease to delete the entry');
  await eventually(async () => (await a.searchDf({})).length === 1, 3000, 'a to agree');
});

test('node membership: peers see nodes join and leave; a partitioned node loses its lease before peers see it go', async () => {
  n++;
  const proxy = await startTcpProxy(server.etcd.clientPort);
  try {
    const a = await registry(proxy.endpoint, `/t${n}/`, { callTimeoutMs: 500 });
    const b = await registry(server.etcd.endpoint, `/t${n}/`);
    const events: string[] = [];
    b.watch((e) => {
      if (e.kind === 'node-up') events.push(`up:${e.node.id}@${Date.now()}`);
      if (e.kind === 'node-down') events.push(`down:${e.id}@${Date.now()}`);
    });
    const m = await a.joinCluster({ id: 'node-a', address: '127.0.0.1:7001' }, 2);
    await eventually(async () => (await b.listNodes()).some((x) => x.id === 'node-a'), 5000, 'b to see node-a');
    assert.ok(m.alive && m.validUntil > Date.now());
    await sleep(1500); // several renewals: the lease must stay alive past its TTL
    assert.ok(
      (await b.listNodes()).some((x) => x.id === 'node-a'),
      'kept alive by renewals',
    );

    let lostAt = 0;
    m.onLost(() => (lostAt = Date.now()));
    const cutAt = Date.now();
    proxy.blackhole();
    await eventually(() => events.some((e) => e.startsWith('down:node-a')), 8000, 'b to see node-a expire');
    const downAt = Number(events.find((e) => e.startsWith('down:node-a'))!.split('@')[1]);
    assert.ok(lostAt > 0, 'node-a was told it lost its membership');
    assert.ok(lostAt < downAt, `node-a knew first (lost ${lostAt - cutAt} ms after the cut, peers saw it ${downAt - cutAt} ms after)`);
    assert.equal(m.alive, false);
    assert.equal(m.validUntil, 0);
  } finally {
    await proxy.close();
  }
});

test('leave() revokes the lease: peers see the node go at once; a live duplicate node id is refused', async () => {
  const [a, b] = await pair();
  const m = await a.joinCluster({ id: 'node-x', address: 'x:1' }, 3);
  const t0 = Date.now();
  await assert.rejects(
    b.joinCluster({ id: 'node-x', address: 'x:2' }, 3),
    (e) => isRegistryError(e, 'cluster.node-id-taken') && /live/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 6000, 'refused within the join timeout (ttl + 2 s)');
  await eventually(async () => (await b.listNodes()).length === 1, 5000, 'b to see node-x');
  await m.leave();
  await eventually(async () => (await b.listNodes()).length === 0, 2000, 'node-x to disappear at once');
  const again = await b.joinCluster({ id: 'node-x', address: 'x:2' }, 3);
  assert.ok(again.alive);
  await again.leave();
});

test('a node id left behind by a dead process is waited out, then taken over', async () => {
  n++;
  const proxy = await startTcpProxy(server.etcd.clientPort);
  try {
    const dead = await registry(proxy.endpoint, `/t${n}/`, { callTimeoutMs: 500 });
    const restarted = await registry(server.etcd.endpoint, `/t${n}/`);
    await dead.joinCluster({ id: 'node-y', address: 'y:1' }, 2);
    proxy.refuse(); // the old process is gone as far as etcd can tell
    const t0 = Date.now();
    const m = await restarted.joinCluster({ id: 'node-y', address: 'y:2' }, 2);
    assert.ok(m.alive);
    assert.ok(Date.now() - t0 < 6000, `took over after ${Date.now() - t0} ms`);
    await m.leave();
  } finally {
    await proxy.close();
  }
});

test('an unreachable etcd gives a clear registry.unavailable error within seconds, not a hang', async () => {
  const port = await freePort(); // nothing listens there
  const t0 = Date.now();
  const r = new EtcdRegistry({ endpoints: [`http://127.0.0.1:${port}`], prefix: '/none/', callTimeoutMs: 1000 });
  await assert.rejects(
    r.open(),
    (e) => isRegistryError(e, 'registry.unavailable') && /npm run infra:up/.test(e.hint ?? '') && e.message.includes(String(port)),
  );
  const refusedMs = Date.now() - t0;
  assert.ok(refusedMs < 5000, `refused after ${refusedMs} ms`);

  const proxy = await startTcpProxy(server.etcd.clientPort);
  proxy.blackhole(); // packets vanish: only deadlines can save us
  try {
    const t1 = Date.now();
    const silent = new EtcdRegistry({ endpoints: [proxy.endpoint], prefix: '/none/', callTimeoutMs: 1000 });
    await assert.rejects(silent.open(), (e) => isRegistryError(e, 'registry.unavailable'));
    const blackholeMs = Date.now() - t1;
    assert.ok(blackholeMs < 6000, `blackholed endpoint answered after ${blackholeMs} ms`);
    console.log(`# unreachable etcd: refused port failed in ${refusedMs} ms, blackholed in ${blackholeMs} ms`);
  } finally {
    await proxy.close();
  }
});

test('etcd restart: memberships survive, writes fail clearly while it is down, mirrors catch up after', async () => {
  const [a, b] = await pair();
  const m = await a.joinCluster({ id: 'survivor', address: 's:1' }, 10);
  await a.putAgent(agentRecord('before@p'));
  await eventually(async () => (await b.getAgent('before@p')) !== undefined, 5000, 'b to see before@p');

  await server.etcd.stop({ keepData: true, graceMs: 5000 });
  const t0 = Date.now();
  await assert.rejects(a.putAgent(agentRecord('during@p')), (e) => isRegistryError(e, 'registry.unavailable'));
  assert.ok(Date.now() - t0 < 6000, 'write failed fast while etcd was down');
  assert.deepEqual(
    (await b.listAgents()).map((x) => x.name),
    ['before@p'],
    'reads keep working from the mirror',
  );
  await server.etcd.start();

  await eventually(
    async () => {
      try {
        await a.putAgent(agentRecord('after@p'));
        return true;
      } catch {
        return false;
      }
    },
    10_000,
    'writes to work again',
  );
  await eventually(async () => (await b.getAgent('after@p')) !== undefined, 10_000, "b's mirror to resync and see after@p");
  await b.registerDf(description('after@p', [service('s', 'post-restart')]));
  await eventually(async () => (await a.searchDf({ serviceType: 'post-restart' })).length === 1, 10_000, "a to see b's DF write");
  assert.equal(a.mirrorStatus.state, 'live');
  assert.ok(m.alive, 'the membership lease (10 s) outlived a short etcd restart');
  await eventually(async () => (await b.listNodes()).some((x) => x.id === 'survivor'), 5000, 'node still listed');
});

// --- durable agent timers: <prefix>store/timers/<agent>/<id>, read from etcd, not mirrored -------

test('timers: put, list soonest first (ties by id), replace by id, delete idempotently', async () => {
  const [a] = await pair();
  await a.putTimer({ agent: 'clock@p', id: 't2', token: 'later', dueAt: 3000 });
  await a.putTimer({ agent: 'clock@p', id: 't3', token: 'tie-b', dueAt: 2000 });
  await a.putTimer({ agent: 'clock@p', id: 't1', token: 'tie-a', dueAt: 2000 });
  assert.deepEqual(
    (await a.listTimers('clock@p')).map((t) => t.id),
    ['t1', 't3', 't2'],
  );
  await a.putTimer({ agent: 'clock@p', id: 't2', token: 'sooner', dueAt: 1000 });
  assert.deepEqual(await a.listTimers('clock@p'), [
    { agent: 'clock@p', id: 't2', token: 'sooner', dueAt: 1000 },
    { agent: 'clock@p', id: 't1', token: 'tie-a', dueAt: 2000 },
    { agent: 'clock@p', id: 't3', token: 'tie-b', dueAt: 2000 },
  ]);
  await a.deleteTimer('clock@p', 't1');
  await a.deleteTimer('clock@p', 't1'); // already gone (fired elsewhere): not an error
  await a.deleteTimer('clock@p', 'never-set');
  assert.deepEqual(
    (await a.listTimers('clock@p')).map((t) => t.id),
    ['t2', 't3'],
  );
  assert.deepEqual(await a.listTimers('idle@p'), []);
  assert.deepEqual(await a.listAgents(), [], 'timers are not agents');
});

test("timers: agents are kept apart even when one name prefixes another; deleteTimers drops only that agent's", async () => {
  const [a] = await pair();
  await a.putTimer({ agent: 'a', id: 'x', token: 'of-a', dueAt: 1 });
  await a.putTimer({ agent: 'ab', id: 'x', token: 'of-ab', dueAt: 2 });
  await a.putTimer({ agent: 'ab', id: 'y', token: 'of-ab', dueAt: 3 });
  assert.deepEqual(
    (await a.listTimers('a')).map((t) => `${t.agent}/${t.id}`),
    ['a/x'],
  );
  assert.deepEqual(
    (await a.listTimers('ab')).map((t) => `${t.agent}/${t.id}`),
    ['ab/x', 'ab/y'],
  );
  await a.deleteTimers('a');
  assert.deepEqual(await a.listTimers('a'), []);
  assert.deepEqual(
    (await a.listTimers('ab')).map((t) => t.id),
    ['x', 'y'],
    'deleteTimers(a) left ab alone',
  );
  await a.deleteTimers('a'); // nothing left: not an error
  await a.deleteTimers('ab');
  assert.deepEqual(await a.listTimers('ab'), []);
});

test('timers: shared cluster state, no lease (outlive the node that set them), malformed values skipped', async () => {
  const [a, b] = await pair();
  await a.putTimer({ agent: 'mover@p', id: 'm1', token: 'wake', dueAt: 5000 });
  assert.deepEqual(
    await b.listTimers('mover@p'),
    [{ agent: 'mover@p', id: 'm1', token: 'wake', dueAt: 5000 }],
    'another node reads it at once',
  );
  const key = a.keys.timerKey('mover@p', 'm1');
  assert.equal(key, `/t${n}/store/timers/mover@p/m1`);
  const stored = await a.connection.client.get(key).exec();
  assert.equal(String(stored.kvs[0]?.lease), '0', 'a plain put, bound to no lease');
  await a.close(); // the node that set it goes away
  assert.deepEqual(
    (await b.listTimers('mover@p')).map((t) => t.id),
    ['m1'],
    'still there for the next owner',
  );

  // Foreign or damaged values under the agent's prefix: skipped, never a crash.
  const put = (id: string, value: string) => b.connection.client.put(b.keys.timerKey('mover@p', id)).value(value).exec();
  await put('garbage', '{not json');
  await put('null', 'null');
  await put('wrong-id', JSON.stringify({ agent: 'mover@p', id: 'other', token: 't', dueAt: 1 }));
  await put('wrong-agent', JSON.stringify({ agent: 'someone@p', id: 'wrong-agent', token: 't', dueAt: 1 }));
  await put('bad-due', JSON.stringify({ agent: 'mover@p', id: 'bad-due', token: 't', dueAt: -1 }));
  await b.putTimer({ agent: 'mover@p', id: 'm0', token: 'first', dueAt: 10 });
  assert.deepEqual(
    (await b.listTimers('mover@p')).map((t) => t.id),
    ['m0', 'm1'],
  );
  await b.deleteTimers('mover@p');
  const left = await b.connection.client.getAll().prefix(b.keys.timersPrefix('mover@p')).keys();
  assert.deepEqual(left, [], 'deleteTimers removed the malformed entries too');
});

test('timers of an instance of a kind (decision 2060): stored under one key segment, kept apart from a look-alike name', async () => {
  const [a, b] = await pair();
  await a.putTimer({ agent: 'counter/alice', id: 't1', token: 'x', dueAt: 5 });
  await a.putTimer({ agent: 'counter', id: 't2', token: 'y', dueAt: 6 });
  assert.deepEqual(
    (await b.listTimers('counter/alice')).map((t) => `${t.agent}#${t.id}`),
    ['counter/alice#t1'],
  );
  assert.deepEqual(
    (await b.listTimers('counter')).map((t) => `${t.agent}#${t.id}`),
    ['counter#t2'],
    "the kind's own timers are not its instances'",
  );
  await b.deleteTimers('counter/alice');
  assert.deepEqual(await a.listTimers('counter/alice'), []);
  assert.equal((await a.listTimers('counter')).length, 1);
});

test("timers: deleteKindTimers (a kind stopped in a cluster) removes exactly its instances' timers in one prefix delete", async () => {
  const [a, b] = await pair();
  await a.putTimer({ agent: 'counter/a', id: 't1', token: 'x', dueAt: 1 });
  await a.putTimer({ agent: 'counter/a', id: 't2', token: 'x', dueAt: 2 });
  await a.putTimer({ agent: 'counter/b', id: 't1', token: 'x', dueAt: 3 });
  await a.putTimer({ agent: 'counter', id: 'named', token: 'y', dueAt: 4 }); // a named agent of the same name
  await a.putTimer({ agent: 'counterx/a', id: 't1', token: 'z', dueAt: 5 }); // a kind whose name it prefixes
  await a.putTimer({ agent: 'counterx', id: 'named', token: 'z', dueAt: 6 });
  await b.deleteKindTimers('counter');
  assert.deepEqual(await a.listTimers('counter/a'), []);
  assert.deepEqual(await a.listTimers('counter/b'), []);
  assert.deepEqual(
    (await a.listTimers('counter')).map((t) => t.id),
    ['named'],
    'the named agent counter keeps its timers',
  );
  assert.deepEqual(
    (await a.listTimers('counterx/a')).map((t) => t.id),
    ['t1'],
    "kind counterx keeps its instances' timers",
  );
  assert.deepEqual(
    (await a.listTimers('counterx')).map((t) => t.id),
    ['named'],
  );
  await b.deleteKindTimers('counter'); // nothing left: not an error
  await assert.rejects(b.deleteKindTimers('counter/a'), (e) => isRegistryError(e, 'registry.invalid'));
  await assert.rejects(b.deleteKindTimers(''), (e) => isRegistryError(e, 'registry.invalid'));
});

test('timers: invalid records and names are refused with registry.invalid; a closed registry with registry.not-open', async () => {
  const [a] = await pair();
  const refused = (p: Promise<unknown>) => assert.rejects(p, (e) => isRegistryError(e, 'registry.invalid'));
  await refused(a.putTimer({ agent: 'x@p', id: 'a/b', token: 't', dueAt: 1 }));
  await refused(a.putTimer({ agent: 'x@p', id: 'ok', token: 't', dueAt: -1 }));
  await refused(a.putTimer({ agent: 'x@p', id: 'ok', token: 't', dueAt: 1.5 }));
  await refused(a.putTimer({ agent: 'x@p', id: '', token: 't', dueAt: 1 }));
  await refused(a.putTimer({ agent: 'x/p/q', id: 'ok', token: 't', dueAt: 1 }));
  await refused(a.putTimer({ agent: 'x/', id: 'ok', token: 't', dueAt: 1 }));
  await refused(a.putTimer({ agent: 'x@p', id: 'ok', token: 7 as unknown as string, dueAt: 1 }));
  await refused(a.deleteTimer('x@p', 'a/b'));
  await refused(a.deleteTimers(''));
  await refused(a.listTimers('x/p/q'));
  assert.deepEqual(await a.listTimers('x@p'), [], 'nothing was stored');
  await a.close();
  await assert.rejects(a.putTimer({ agent: 'x@p', id: 'ok', token: 't', dueAt: 1 }), (e) => isRegistryError(e, 'registry.not-open'));
  await assert.rejects(a.listTimers('x@p'), (e) => isRegistryError(e, 'registry.not-open'));
});

test('a DF write sent twice (the etcd client retries a call whose answer timed out) stands: its lease is not revoked (review finding 1)', async () => {
  const { EtcdConnection } = await import('../../src/registry/etcd/connection.js');
  /** Sends the first DF write twice and answers the second, as the client's retry does after a lost answer. */
  class RetryingConnection extends EtcdConnection {
    retried = false;
    override async call<T>(what: string, op: () => Promise<T>, timeoutMs?: number): Promise<T> {
      if (what === 'write a DF entry' && !this.retried) {
        this.retried = true;
        await super.call(what, op, timeoutMs);
      }
      return super.call(what, op, timeoutMs);
    }
  }
  n++;
  const connection = new RetryingConnection({ endpoints: [server.etcd.endpoint] });
  const a = await registry(undefined, undefined, { connection });
  const b = await registry();
  // The leases the registry revokes (it starts each revoke before its call returns).
  const revoked: string[] = [];
  const leases = connection.client.leaseClient;
  const revoke = leases.leaseRevoke.bind(leases);
  leases.leaseRevoke = (req, opts) => {
    revoked.push(String(req.ID));
    return revoke(req, opts);
  };
  try {
    await a.registerDf(description('renewed@p', [service('s', 'renewal')], { leaseUntil: Date.now() + 60_000 }));
    assert.equal(connection.retried, true, 'the write was sent twice');
    const stored = (await connection.client.getAll().prefix(`/t${n}/`).exec()).kvs.find((kv) => kv.key.toString().endsWith('renewed@p'));
    assert.ok(stored !== undefined, 'the entry is in etcd');
    assert.notEqual(String(stored.lease), '0', 'under a lease');
    assert.deepEqual(revoked, [], 'its lease was not revoked (etcd would delete the entry with it)');
    await eventually(async () => (await b.searchDf({ serviceType: 'renewal' })).length === 1, 5000, 'b to see it');
  } finally {
    connection.close();
  }
});

test("a key deleted and created again while a mirror's watch is away is told as a delete then a put when it resyncs (review finding 2)", async () => {
  n++;
  const proxy = await startTcpProxy(server.etcd.clientPort);
  try {
    const a = await registry();
    const b = await registry(proxy.endpoint, `/t${n}/`, { callTimeoutMs: 500 });
    await a.putAgent(agentRecord('again@p'));
    await eventually(async () => (await b.getAgent('again@p')) !== undefined, 5000, 'b to see again@p');
    const seen: string[] = [];
    b.watch((e) => {
      if (e.kind === 'agent-deleted' && e.name === 'again@p') seen.push('deleted');
      if (e.kind === 'agent-put' && e.agent.name === 'again@p') seen.push(`put v${e.agent.version}`);
    });
    proxy.refuse(); // b's watch is cut
    await eventually(async () => b.mirrorStatus.state !== 'live', 10_000, "b's mirror to notice");
    await a.deleteAgent('again@p');
    await a.putAgent({ ...agentRecord('again@p'), version: 2 });
    proxy.heal();
    await eventually(async () => seen.length >= 2, 15_000, 'b to resync');
    assert.deepEqual(seen, ['deleted', 'put v2']);
  } finally {
    await proxy.close();
  }
});
