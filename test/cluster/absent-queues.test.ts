/**
 * Queues for absent agents in a cluster (issue 27, decision 1990 *Cluster*): three instrumented
 * nodes on one Kafka and one etcd, probe agents (examples/cluster/probe). The consumer's window is
 * set small (16 pending deliveries per partition), so a partition's absent budget is 8. Dead
 * letters are counted as written — each node's journal has one line per letter it wrote, the
 * killed node's too — not from the dead-letter listing (which keeps one per delivery id).
 * - `stop --keep-queue` through a node that does not run the agent: the name stays taken, shown
 *   `stopped` everywhere; sends wait on the node holding its claim, up to its bound; past it a
 *   send is refused typed at the send, through the holder and through another node alike
 *   (decision 2157: the cluster's shared count), and nothing is dead-lettered for it;
 * - an agent with a 1.5 s absent TTL has its waiting message dead-lettered `absent-ttl`, once;
 * - a suspended agent is absent on its holder too: bounded there, refused typed through either node;
 * - a flood for one absent agent (queue 20) through another node is held to its partition's
 *   budget at the send (the rest refused typed, none dead-lettered), and another agent on the same
 *   partition still gets its messages;
 * - a deploy right after `stop --keep-queue`, without waiting: the new deployment runs;
 * - an absent TTL longer than the deliveries topic keeps a message is refused at deploy;
 * - the holder killed (-9): a survivor holds the same queue; a deploy delivers each once.
 * The TTL runs on the nodes' real clock (they are separate processes); the injected clock of the
 * single-node test (test/bus/absent-queue.test.ts) covers the hour-long wait.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { partitionFor, type CaxtonClient } from '@caxton/runtime';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { NodeProcess, startAll } from './support/node-process.js';
import { PROBE, allObservations, journals, placement, waitFor, warmUp, groupSettled } from './support/cluster.js';
import type { Journal } from './support/journal.js';

const PARTITIONS = 12;
const WINDOW = 16;
const BUDGET = WINDOW / 2;
const QUEUE = 5;
const FLOOD_QUEUE = 20;

/** `<prefix>-<i>` for the first i whose partition passes `ok`. */
function named(prefix: string, ok: (p: number) => boolean): string {
  for (let i = 0; ; i++) if (ok(partitionFor(`${prefix}-${i}`, PARTITIONS))) return `${prefix}-${i}`;
}
// Each absent agent on a partition of its own (budgets are per partition), the neighbour on the flood's.
const FLOOD = named('flood', () => true);
const NEIGHBOUR = named('neighbour', (p) => p === partitionFor(FLOOD, PARTITIONS));
const taken = new Set([partitionFor(FLOOD, PARTITIONS)]);
const own = (prefix: string): string => {
  const name = named(prefix, (p) => !taken.has(p));
  taken.add(partitionFor(name, PARTITIONS));
  return name;
};
const KEEPER = own('keeper');
const FLEETING = own('fleeting');
const DOZING = own('dozing');
const SWAPPER = own('swapper');

let infra: Servers;
const nodes: NodeProcess[] = [];
const clients = new Map<string, CaxtonClient>();
let js: Journal[];
let c1: CaxtonClient;

const request = (agent: string, seq: number) => ({
  structured: { performative: 'request' as const, receivers: [{ name: agent }], content: `${agent}:${seq}` },
});
const at = async (agent: string): Promise<{ id: string; client: CaxtonClient }> => {
  const id = (await placement(c1)).get(agent)!;
  return { id, client: clients.get(id)! };
};
const awayFrom = (id: string): CaxtonClient =>
  clients.get(['n1', 'n2', 'n3'].find((n) => n !== id && nodes.find((x) => x.id === n)!.alive)!)!;
/** Letters written for `deliveryId` by every node so far (the raw count: two nodes writing one show 2). */
const lettersWritten = (deliveryId: string): number =>
  js.reduce((n, j) => n + j.refresh().deadLetters.filter((id) => id === deliveryId).length, 0);

before(async () => {
  infra = await servers();
  const cluster = { name: uniqueCluster('absent'), leaseTtlSeconds: 2, partitions: PARTITIONS, maxPendingPerPartition: WINDOW };
  for (const id of ['n1', 'n2', 'n3']) nodes.push(NodeProcess.instrumented({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
  await startAll(nodes);
  for (const n of nodes) clients.set(n.id, await n.client());
  c1 = clients.get('n1')!;
  js = journals(nodes);
  const probe = PROBE();
  // Two uploads per node at once (a node takes at most four).
  const [a, b, c] = [...clients.values()] as [CaxtonClient, CaxtonClient, CaxtonClient];
  await Promise.all([
    a.deploy({ name: KEEPER, config: { state: '1' }, limits: { absentQueue: QUEUE } }, probe),
    a.deploy({ name: FLEETING, config: {}, limits: { absentTtlMs: 1500 } }, probe),
    b.deploy({ name: DOZING, config: {}, limits: { absentQueue: 2 } }, probe),
    b.deploy({ name: FLOOD, config: {}, limits: { absentQueue: FLOOD_QUEUE } }, probe),
    c.deploy({ name: NEIGHBOUR, config: {}, limits: {} }, probe),
    c.deploy({ name: SWAPPER, config: {}, limits: {} }, probe),
  ]);
  await groupSettled(nodes);
  await warmUp(c1, [KEEPER, FLEETING, DOZING, FLOOD, NEIGHBOUR, SWAPPER], js).catch((err: unknown) => {
    // Seen once in CI (a completion that never showed): the nodes' own words, to tell why next time.
    const tails = nodes.map((n) => `--- ${n.id} stderr (last 40 lines)\n${n.stderr.split('\n').slice(-40).join('\n')}`);
    throw new Error(`${(err as Error).message}\n${tails.join('\n')}`);
  });
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
  await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
  await infra?.stop();
});

/** The delivery ids of the sends refused past KEEPER's bound (through the holder and through another node). */
const refusedIds: string[] = [];
/** The delivery ids of the QUEUE messages kept for KEEPER. */
const kept: string[] = [];

/** Per agent, the delivery ids of its refused sends (each asserted never dead-lettered). */
const refusedAt = new Map<string, string[]>();

/** Checks a send refused at the send past an absent queue's bound (typed, RESOURCE_EXHAUSTED, the hint, the bound) and notes its delivery id in `refusedAt`. */
function absentQueueFull(agent: string, hint: RegExp, limit: number): (err: unknown) => boolean {
  return (err) => {
    const e = err as { code?: string; hint?: string; statusName?: string; context?: Record<string, unknown> };
    assert.equal(e.code, 'bus.absent-queue-full');
    assert.equal(e.statusName, 'RESOURCE_EXHAUSTED');
    assert.match(e.hint ?? '', hint);
    assert.equal(String(e.context?.limit), String(limit));
    assert.equal(typeof e.context?.messageId, 'string');
    refusedAt.set(agent, [...(refusedAt.get(agent) ?? []), `${String(e.context!.messageId)}>${agent}`]);
    return true;
  };
}

test('stop --keep-queue through another node: queued on the holder up to its bound, refused at the send past it through either node, nothing dead-lettered', {
  timeout: 240_000,
}, async () => {
  const holder = await at(KEEPER);
  const away = awayFrom(holder.id);
  const stopped = await away.stop(KEEPER, false, true);
  assert.equal(stopped.state, 'stopped');
  await waitFor('the holder to keep the queue', async () => (await holder.client.getAgent(KEEPER)).absentQueue !== undefined, 60_000, 100);
  // The warm-up request may still be completing there on a loaded machine (it counts until its commit): wait for it to leave.
  await waitFor(
    'the warm-up request to leave the queue',
    async () => (await holder.client.getAgent(KEEPER)).absentQueue?.queued === 0,
    60_000,
    100,
  );
  for (const c of clients.values()) assert.equal((await c.getAgent(KEEPER)).state, 'stopped', 'shown stopped on every node');
  await assert.rejects(
    away.stop(KEEPER, false, true),
    (err: { code?: string }) => err.code === 'agent.conflict',
    'a second --keep-queue stop is refused',
  );

  for (let seq = 1; seq <= QUEUE; seq++) kept.push(`${(await away.send(request(KEEPER, seq))).messageId}>${KEEPER}`);
  await waitFor(
    `${QUEUE} messages queued on the holder`,
    async () => (await holder.client.getAgent(KEEPER)).absentQueue?.queued === QUEUE,
    60_000,
    100,
  );
  await assert.rejects(holder.client.send(request(KEEPER, 90)), absentQueueFull(KEEPER, /--absent-queue/, QUEUE));
  // Through a node that does not hold the queue: refused at the send as well, the same error (decision 2157).
  await assert.rejects(away.send(request(KEEPER, 91)), absentQueueFull(KEEPER, /--absent-queue/, QUEUE));
  refusedIds.push(...refusedAt.get(KEEPER)!);
  assert.equal(refusedIds.length, 2);
  assert.equal((await holder.client.getAgent(KEEPER)).absentQueue?.queued, QUEUE, 'the five kept');
  for (const id of refusedIds) assert.equal(lettersWritten(id), 0, `${id}: refused, so never dead-lettered`);
});

test('an absent TTL: the waiting message dead-lettered absent-ttl, once', { timeout: 240_000 }, async () => {
  await c1.stop(FLEETING, false, true);
  const late = await c1.send(request(FLEETING, 1));
  const id = `${late.messageId}>${FLEETING}`;
  await waitFor('the expired message dead-lettered', () => lettersWritten(id) > 0, 60_000, 100);
  const letter = (await c1.listDeadLetters({ agent: FLEETING })).find((l) => l.delivery.messageId === late.messageId);
  assert.match(letter?.reason ?? '', /^absent-ttl: fleeting-\d+ was absent/);
  assert.equal(lettersWritten(id), 1);
});

test('a suspended agent is absent on its holder: bounded there, refused typed', { timeout: 240_000 }, async () => {
  const holder = await at(DOZING);
  const away = awayFrom(holder.id);
  await away.suspend(DOZING);
  await waitFor(
    'the suspended agent to be absent on its holder',
    async () => (await holder.client.getAgent(DOZING)).absentQueue !== undefined,
    60_000,
    100,
  );
  await waitFor(
    'the warm-up request to leave the queue',
    async () => (await holder.client.getAgent(DOZING)).absentQueue?.queued === 0,
    60_000,
    100,
  );
  for (let seq = 1; seq <= 2; seq++) await away.send(request(DOZING, seq));
  await waitFor(
    'two queued for the suspended agent',
    async () => (await holder.client.getAgent(DOZING)).absentQueue?.queued === 2,
    60_000,
    100,
  );
  await assert.rejects(holder.client.send(request(DOZING, 3)), absentQueueFull(DOZING, /--absent-queue/, 2));
  await assert.rejects(away.send(request(DOZING, 4)), absentQueueFull(DOZING, /--absent-queue/, 2));
  assert.equal((await holder.client.getAgent(DOZING)).absentQueue?.queued, 2);
});

test("a flood for one absent agent through another node is held to its partition's budget at the send, and its partition's other agents still get their messages", {
  timeout: 240_000,
}, async () => {
  const holder = await at(FLOOD);
  const away = awayFrom(holder.id);
  await away.stop(FLOOD, false, true);
  await waitFor('the holder to keep the queue', async () => (await holder.client.getAgent(FLOOD)).absentQueue !== undefined, 60_000, 100);
  // As for KEEPER: a warm-up still completing on the holder counts there until its commit.
  await waitFor(
    'the warm-up request to leave the queue',
    async () => (await holder.client.getAgent(FLOOD)).absentQueue?.queued === 0,
    60_000,
    100,
  );
  // FLOOD's own bound is 20, more than the consumer's window (16): its partition's budget (8) holds
  // it down, at the send, through the node that does not hold the queue.
  const sent: string[] = [];
  for (let seq = 1; seq <= FLOOD_QUEUE; seq++) {
    if (seq <= BUDGET) sent.push(`${(await away.send(request(FLOOD, seq))).messageId}>${FLOOD}`);
    else await assert.rejects(away.send(request(FLOOD, seq)), absentQueueFull(FLOOD, /partition/, BUDGET));
  }
  assert.equal(refusedAt.get(FLOOD)?.length, FLOOD_QUEUE - BUDGET);
  await away.send(request(NEIGHBOUR, 1));
  await waitFor(
    `${NEIGHBOUR} (same partition) to handle its message`,
    () => allObservations(js).some((o) => o.key === `${NEIGHBOUR}:1`),
    60_000,
    100,
  );
  await waitFor(
    `the budget's ${BUDGET} queued on the holder`,
    async () => (await holder.client.getAgent(FLOOD)).absentQueue?.queued === BUDGET,
    60_000,
    100,
  );
  const shown = (await holder.client.getAgent(FLOOD)).absentQueue;
  assert.equal(shown?.limit, BUDGET, "the bound shown is the budget, not the deployment's 20");
  await assert.rejects(holder.client.send(request(FLOOD, 99)), absentQueueFull(FLOOD, /partition/, BUDGET));
  for (const id of [...sent, ...refusedAt.get(FLOOD)!]) assert.equal(lettersWritten(id), 0, `${id}: nothing dead-lettered`);
  assert.equal((await c1.listDeadLetters({ agent: FLOOD })).length, 0, 'no letter for the flood at all');
});

test('a deploy right after stop --keep-queue, without waiting: the new deployment runs on the holder', { timeout: 240_000 }, async () => {
  const holder = await at(SWAPPER);
  const away = awayFrom(holder.id);
  await away.send(request(SWAPPER, 1)); // in hand, or queued, as the stop arrives
  await away.stop(SWAPPER, false, true);
  await away.deploy({ name: SWAPPER, config: { state: '1' }, limits: {} }, PROBE());
  await away.send(request(SWAPPER, 2));
  // The new deployment's probe reports its durable count (config state=1); the old one's did not.
  await waitFor(
    'the new deployment to handle a message',
    () => allObservations(js).some((o) => o.key === `${SWAPPER}:2` && o.count !== undefined),
    60_000,
    100,
  );
  await waitFor('the first message handled', () => allObservations(js).some((o) => o.key === `${SWAPPER}:1`), 60_000, 100);
  assert.equal((await holder.client.getAgent(SWAPPER)).state, 'running');
});

test("an absent TTL past the deliveries topic's retention is refused typed", { timeout: 240_000 }, async () => {
  // Kafka would delete such a message before it expires: lost at a failover, without a dead letter.
  await assert.rejects(
    c1.deploy({ name: 'long-wait', config: {}, limits: { absentTtlMs: 7 * 24 * 3_600_000 } }, PROBE()),
    (err: { code?: string; message?: string; hint?: string }) => {
      assert.equal(err.code, 'api.invalid');
      assert.match(err.message ?? '', /absent_ttl_ms.*retention/);
      assert.match(err.hint ?? '', /--absent-ttl of at most 167h/);
      return true;
    },
  );
});

test('the holder killed while the agent is absent: a survivor holds the same queue, a deploy delivers each once', {
  timeout: 240_000,
}, async (t) => {
  const holder = await at(KEEPER);
  const killedAt = Date.now();
  await nodes.find((n) => n.id === holder.id)!.kill();
  const survivor = awayFrom(holder.id);
  const newHolder = await waitFor(
    `${KEEPER}'s claim to move off ${holder.id}`,
    async () => {
      const id = (await placement(survivor)).get(KEEPER);
      return id !== undefined && id !== holder.id && id;
    },
    60_000,
    200,
  );
  await waitFor(
    `the ${QUEUE} queued messages held on ${newHolder}`,
    async () => (await clients.get(newHolder)!.getAgent(KEEPER)).absentQueue?.queued === QUEUE,
    60_000,
    200,
  );
  const failoverMs = Date.now() - killedAt;

  // A deploy of the name (through the node that does not hold it) delivers each once.
  const through = clients.get(['n1', 'n2', 'n3'].find((id) => id !== newHolder && id !== holder.id)!)!;
  await through.deploy({ name: KEEPER, config: { state: '1' }, limits: { absentQueue: QUEUE } }, PROBE());
  const keys = Array.from({ length: QUEUE }, (_, i) => `${KEEPER}:${i + 1}`);
  // Each completion committed: nothing of the queue is handed out again after that.
  await waitFor(
    'every queued message handled and its completion committed',
    () => {
      const done = new Set(js.flatMap((j) => [...j.refresh().completions.keys()]));
      const seen = new Set(allObservations(js).map((o) => o.key));
      return kept.every((id) => done.has(id)) && keys.every((k) => seen.has(k));
    },
    60_000,
    100,
  );
  const handled = allObservations(js)
    .filter((o) => o.agent === KEEPER && o.seq > 0)
    .map((o) => o.key)
    .sort();
  assert.deepEqual(handled, keys, 'each queued message handled exactly once; neither refused one handled');
  assert.equal((await clients.get(newHolder)!.getAgent(KEEPER)).state, 'running');
  // Many sweeps later, on three nodes (the killed one's journal included): the refused were never dead-lettered.
  for (const id of refusedIds) assert.equal(lettersWritten(id), 0, `${id}: refused at the send, never dead-lettered`);
  assert.deepEqual(
    (await clients.get(newHolder)!.listDeadLetters({ agent: KEEPER })).map((l) => l.reason),
    [],
    'no letter for the keeper at all',
  );
  t.diagnostic(
    `holder ${holder.id} killed; the queue of ${QUEUE} held on ${newHolder} ${failoverMs} ms later and delivered once on redeploy`,
  );
});
