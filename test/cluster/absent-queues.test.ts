/**
 * Queues for absent agents in a cluster (issue 27, decision 1990 *Cluster*): three nodes on one
 * Kafka and one etcd, probe agents (examples/cluster/probe, durable count with state=1).
 * - `stop --keep-queue` through a node that does not run the agent: the name stays taken, shown
 *   `stopped` everywhere; its partition's deliveries wait on the node holding its claim;
 * - five sends through another node wait there (queued 5, its `absentQueue`); a sixth through the
 *   holder is refused `bus.absent-queue-full`, typed; a seventh through another node (which cannot
 *   see the queue) is dead-lettered `absent-queue-full` by the holder, once;
 * - the holder is killed (-9): a survivor takes the claim and the partition, and holds the same
 *   five; a deploy of the name on any node delivers each of them exactly once;
 * - an agent with a 1.5 s absent TTL has its waiting message dead-lettered `absent-ttl`, once;
 * - a suspended agent is absent on its holder too: its queue bounded there, refused typed.
 * The TTL runs on the nodes' real clock (they are separate processes); the injected clock of the
 * single-node test (test/bus/absent-queue.test.ts) covers the hour-long wait.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import type { CaxtonClient } from '@caxton/runtime';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { PROBE, allObservations, journals, placement, waitFor, warmUp } from './support/cluster.js';

const KEEPER = 'keeper';
const FLEETING = 'fleeting';
const DOZING = 'dozing';
const QUEUE = 5;

let infra: Servers;
const nodes: NodeProcess[] = [];

before(async () => {
  infra = await servers();
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
});

const request = (agent: string, seq: number) => ({ structured: { performative: 'request' as const, receivers: [{ name: agent }], content: `${agent}:${seq}` } });

test('stop --keep-queue in a cluster: bounded, expired once, kept across the holder\'s loss and delivered once on redeploy', { timeout: 120_000 }, async (t) => {
  const cluster = { name: uniqueCluster('absent'), leaseTtlSeconds: 2 };
  for (const id of ['n1', 'n2', 'n3']) nodes.push(NodeProcess.instrumented({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
  await startAll(nodes);
  const clients = new Map<string, CaxtonClient>();
  for (const n of nodes) clients.set(n.id, await n.client());
  const c1 = clients.get('n1')!;
  const js = journals(nodes);
  const probe = PROBE();
  await Promise.all([
    c1.deploy({ name: KEEPER, config: { state: '1' }, limits: { absentQueue: QUEUE } }, probe),
    c1.deploy({ name: FLEETING, config: {}, limits: { absentTtlMs: 1500 } }, probe),
    c1.deploy({ name: DOZING, config: {}, limits: { absentQueue: 2 } }, probe),
  ]);
  await warmUp(c1, [KEEPER, FLEETING, DOZING], js);
  // The TTL runs while the rest goes on: dead-lettered absent-ttl by the node holding it, once (checked below).
  await c1.stop(FLEETING, false, true);
  const late = await c1.send(request(FLEETING, 1));

  const holder = (await placement(c1)).get(KEEPER)!;
  const others = ['n1', 'n2', 'n3'].filter((id) => id !== holder);
  const away = clients.get(others[0]!)!;
  const atHolder = clients.get(holder)!;

  // Stopped through a node that does not run it: the record stays, the holder keeps its mailbox.
  const stopped = await away.stop(KEEPER, false, true);
  assert.equal(stopped.state, 'stopped');
  await waitFor('the holder to keep the queue', async () => (await atHolder.getAgent(KEEPER)).absentQueue !== undefined, 15_000, 100);
  assert.equal((await clients.get(others[1]!)!.getAgent(KEEPER)).state, 'stopped', 'shown stopped on every node');
  await assert.rejects(away.stop(KEEPER, false, true), (err: { code?: string }) => err.code === 'agent.conflict', 'a second --keep-queue stop is refused');

  for (let seq = 1; seq <= QUEUE; seq++) await away.send(request(KEEPER, seq));
  await waitFor(`${QUEUE} messages queued on the holder`, async () => (await atHolder.getAgent(KEEPER)).absentQueue?.queued === QUEUE, 15_000, 100);
  // Full: the holder refuses, typed, before anything is appended.
  await assert.rejects(atHolder.send(request(KEEPER, 90)), (err: { code?: string; hint?: string }) => {
    assert.equal(err.code, 'bus.absent-queue-full');
    assert.match(err.hint ?? '', /--absent-queue/);
    return true;
  });
  // Another node cannot see the queue: it appends, and the holder dead-letters the one past the bound.
  const over = await away.send(request(KEEPER, 91));
  const overLetter = await waitFor('the message past the bound dead-lettered by the holder', async () =>
    (await c1.listDeadLetters({ agent: KEEPER })).find((l) => l.delivery.messageId === over.messageId), 15_000, 200);
  assert.match(overLetter.reason, /^absent-queue-full: keeper was absent/);
  assert.equal((await atHolder.getAgent(KEEPER)).absentQueue?.queued, QUEUE, 'the five kept');

  const ttlLetter = await waitFor('the expired message dead-lettered', async () =>
    (await c1.listDeadLetters({ agent: FLEETING })).find((l) => l.delivery.messageId === late.messageId), 20_000, 200);
  assert.match(ttlLetter.reason, /^absent-ttl: fleeting was absent/);

  // Suspended: absent on the node holding it, with the same bound.
  const dozingAt = clients.get((await placement(c1)).get(DOZING)!)!;
  await away.suspend(DOZING);
  await waitFor('the suspended agent to be absent on its holder', async () => (await dozingAt.getAgent(DOZING)).absentQueue !== undefined, 15_000, 100);
  for (let seq = 1; seq <= 2; seq++) await away.send(request(DOZING, seq));
  await waitFor('two queued for the suspended agent', async () => (await dozingAt.getAgent(DOZING)).absentQueue?.queued === 2, 15_000, 100);
  await assert.rejects(dozingAt.send(request(DOZING, 3)), (err: { code?: string }) => err.code === 'bus.absent-queue-full');

  // The holder dies while the agent is absent: a survivor holds the same queue.
  const killedAt = Date.now();
  await nodes.find((n) => n.id === holder)!.kill();
  const survivor = clients.get(others[1]!)!;
  const newHolder = await waitFor(`${KEEPER}'s claim to move off ${holder}`, async () => {
    const at = (await placement(survivor)).get(KEEPER);
    return at !== undefined && at !== holder && at;
  }, 45_000, 200);
  await waitFor(`the ${QUEUE} queued messages held on ${newHolder}`, async () => (await clients.get(newHolder)!.getAgent(KEEPER)).absentQueue?.queued === QUEUE, 45_000, 200);
  const failoverMs = Date.now() - killedAt;

  // A deploy of the name (through the node that did not hold it) delivers each once.
  await clients.get(others.find((id) => id !== newHolder)!)!.deploy({ name: KEEPER, config: { state: '1' }, limits: { absentQueue: QUEUE } }, probe);
  const keys = Array.from({ length: QUEUE }, (_, i) => `${KEEPER}:${i + 1}`);
  await waitFor('every queued message handled', () => {
    const seen = new Set(allObservations(js).map((o) => o.key));
    return keys.every((k) => seen.has(k));
  }, 30_000, 200);
  await new Promise((r) => setTimeout(r, 1000)); // a second handling would show up by now
  const handled = allObservations(js).filter((o) => o.agent === KEEPER && o.seq > 0).map((o) => o.key).sort();
  assert.deepEqual(handled, keys, 'each queued message handled exactly once; neither refused one handled');
  assert.equal((await survivor.getAgent(KEEPER)).state, 'running');

  const letters = await survivor.listDeadLetters({});
  assert.equal(letters.filter((l) => l.delivery.messageId === over.messageId).length, 1, 'the one past the bound dead-lettered once');
  assert.equal(letters.filter((l) => l.delivery.messageId === late.messageId).length, 1, 'the expired one dead-lettered once');
  t.diagnostic(`holder ${holder} killed; the queue of ${QUEUE} held on ${newHolder} ${failoverMs} ms later and delivered once on redeploy`);
});
