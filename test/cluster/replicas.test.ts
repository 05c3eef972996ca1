/**
 * Replicas behind one name in a cluster (issue 27, decision 2091): three nodes on one Kafka and one
 * etcd, the AssemblyScript replica echo (it answers `replica=<n> count=<k> <content>`, so the test
 * sees which replica handled each message). Scaled to 3 through a node that does not run it (the
 * count is written to the registry record; its owner starts the replicas), conversations spread
 * over the three and each stays on one; the owner is SIGKILLed, and the new owner runs three
 * replicas again from the record, every message sent after the kill answered exactly once; a
 * scale-down to 1 under load (conversations pinned over the three replicas, 50 messages sent
 * around it) drains with every message answered exactly once and nothing dead-lettered. An upgrade
 * while scaled and a stateful agent are refused through a node that does not run it, with the
 * codes a single node uses. A scale-down through a node that does not run it while the agent is
 * suspended is accepted and drained by the owner, and a scale-up recorded while the owner node is
 * frozen is run on its thaw (review findings 4, 5). Answers are read from each node's journal (node-child.ts: every
 * `inform` to the operator the node's bus accepted); "exactly once" is one answer message per
 * request, told by its id (support/replica-answers.ts), a repeat reported at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiCallError, type CaxtonClient } from '@caxton/runtime';
import { uniqueCluster } from './support/servers.js';
import { useCluster } from './support/fixture.js';
import { groupSettled, placement, waitFor } from './support/cluster.js';
import { example } from './support/paths.js';
import { answerLines, replicaAnswers } from './support/replica-answers.js';

const ECHO = (): Uint8Array => readFileSync(example('as-replica-echo', 'as-replica-echo.wasm'));
const COUNTER = (): Uint8Array => readFileSync(example('as-state-counter', 'as-state-counter.wasm'));

const fixture = useCluster();
const nodes = fixture.nodes;

/** Answers repeated by a handling done again (same message id), reported at the end. */
const repeats = new Set<string>();

/** Every answer the nodes' buses accepted so far: content → the replicas that answered it (one entry per answer message). */
function answers(): Map<string, number[]> {
  const { byContent, repeated } = replicaAnswers(nodes);
  for (const r of repeated) repeats.add(r);
  return new Map([...byContent].map(([content, list]) => [content, list.map((a) => a.replica)]));
}

/** Each of `contents` has exactly one answer message; else fails with the journals' raw lines for it. */
function answeredOnce(seen: Map<string, number[]>, contents: readonly string[]): void {
  for (const c of contents) {
    const n = seen.get(c)?.length ?? 0;
    if (n !== 1) assert.fail(`${c}: ${n} answer messages, expected one; the journals say:\n${answerLines(nodes, c)}`);
  }
}

/** Dead letters any node wrote. */
function deadLetters(): number {
  return nodes.reduce(
    (sum, n) =>
      sum +
      readFileSync(n.journal!, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('D ')).length,
    0,
  );
}

test('replicas in a cluster: scaled through any node, conversations sticky, restored by the new owner after a kill, drained on scale-down', {
  timeout: 180_000,
}, async (t) => {
  const cluster = { name: uniqueCluster('replicas') };
  await fixture.start(['n1', 'n2', 'n3'], cluster);
  await groupSettled(nodes);
  const clients = new Map<string, CaxtonClient>();
  for (const n of nodes) clients.set(n.id, await n.client());
  const started = Date.now();
  const lap = (what: string): void => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.after(() => {
    if (repeats.size > 0) t.diagnostic(`answers sent again under the same id by a repeated handling: ${[...repeats].join(' ')}`);
  });

  await clients.get('n1')!.deploy({ name: 'svc' }, ECHO());
  const owner = await waitFor('svc to run on a node', async () => (await placement(clients.get('n1')!)).get('svc'), 60_000);
  const others = [...clients.keys()].filter((id) => id !== owner);
  const via = clients.get(others[0]!)!;
  lap(`svc runs on ${owner}`);

  // Scaled through a node that does not run it: the record says 3, the owner runs 3.
  const written = await via.scale('svc', 3);
  assert.deepEqual(written.replicas, { replicas: 3, draining: 0 }, 'the status on the asking node shows the recorded count');
  await waitFor(
    `${owner} to run svc as 3 replicas`,
    async () => {
      const s = await clients.get(owner)!.getAgent('svc');
      return s.replicas?.replicas === 3 && s.replicas.draining === 0;
    },
    30_000,
  );
  lap('scaled to 3');

  const send = (client: CaxtonClient, conversation: string, content: string): Promise<unknown> =>
    client.send({ structured: { performative: 'request', receivers: [{ name: 'svc' }], content, conversationId: conversation } });
  const allAnswered = (contents: string[], timeoutMs: number): Promise<Map<string, number[]>> =>
    waitFor(
      `${contents.length} answers`,
      () => {
        const seen = answers();
        return contents.every((c) => seen.has(c)) ? seen : undefined;
      },
      timeoutMs,
      100,
    );

  // Twelve conversations opened side by side, through both nodes that do not run svc, then a second round.
  const conversations = Array.from({ length: 12 }, (_, i) => `c-${i}`);
  const round = (r: string, cs: string[], through: CaxtonClient[]): Promise<unknown[]> =>
    Promise.all(cs.map((c, i) => send(through[i % through.length]!, c, `${c}:${r}`)));
  const survivors = others.map((id) => clients.get(id)!);
  await round('1', conversations, survivors);
  let seen = await allAnswered(
    conversations.map((c) => `${c}:1`),
    30_000,
  );
  const first = new Map(conversations.map((c) => [c, seen.get(`${c}:1`)![0]!]));
  assert.deepEqual([...new Set(first.values())].sort(), [1, 2, 3], `every replica took conversations: ${JSON.stringify([...first])}`);
  await round('2', conversations, survivors);
  seen = await allAnswered(
    conversations.map((c) => `${c}:2`),
    30_000,
  );
  for (const c of conversations) assert.deepEqual(seen.get(`${c}:2`), [first.get(c)], `${c} stays on replica ${first.get(c)}`);
  lap('two rounds of 12 conversations');

  // kill -9 of the owner: the new owner reads the count from the record and runs 3 again.
  const victim = nodes.find((n) => n.id === owner)!;
  clients.delete(owner);
  await victim.kill();
  const killedAt = Date.now();
  await round('3', conversations, survivors);
  seen = await allAnswered(
    conversations.map((c) => `${c}:3`),
    90_000,
  );
  answeredOnce(
    seen,
    conversations.map((c) => `${c}:3`),
  );
  const moved = await waitFor(
    'svc to run on a survivor',
    async () => {
      const p = (await placement(survivors[0]!)).get('svc');
      return p !== undefined && p !== owner ? p : undefined;
    },
    30_000,
  );
  const newOwner = clients.get(moved)!;
  await waitFor(`${moved} to run svc as 3 replicas`, async () => (await newOwner.getAgent('svc')).replicas?.replicas === 3, 30_000);
  t.diagnostic(
    `failover: ${owner} killed, svc on ${moved} with 3 replicas; the 12 messages sent after the kill answered in ${((Date.now() - killedAt) / 1000).toFixed(1)} s`,
  );
  // New conversations on the new owner spread over its replicas and stay.
  const fresh = Array.from({ length: 9 }, (_, i) => `f-${i}`);
  await round('1', fresh, survivors);
  seen = await allAnswered(
    fresh.map((c) => `${c}:1`),
    30_000,
  );
  const onNew = new Map(fresh.map((c) => [c, seen.get(`${c}:1`)![0]!]));
  assert.deepEqual(
    [...new Set(onNew.values())].sort(),
    [1, 2, 3],
    `the new owner's replicas took conversations: ${JSON.stringify([...onNew])}`,
  );
  await round('2', fresh, survivors);
  seen = await allAnswered(
    fresh.map((c) => `${c}:2`),
    30_000,
  );
  for (const c of fresh) assert.deepEqual(seen.get(`${c}:2`), [onNew.get(c)], `${c} stays on replica ${onNew.get(c)}`);
  lap('restored after the kill');

  // An upgrade through a node that does not run it is refused while the record says scaled.
  const nonOwner = survivors.find((c) => c !== newOwner)!;
  const upgrade = await nonOwner.upgrade({ name: 'svc' }, ECHO()).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(upgrade instanceof ApiCallError && upgrade.code === 'agent.replicas-scaled', String(upgrade));

  // Scale down to 1 (through the node that does not run it) while 10 conversations, pinned over the
  // three replicas, send 5 more messages each.
  const load = Array.from({ length: 10 }, (_, i) => `d-${i}`);
  const asker = nonOwner;
  await round('0', load, survivors);
  seen = await allAnswered(
    load.map((c) => `${c}:0`),
    30_000,
  );
  assert.deepEqual(
    [...new Set(load.map((c) => seen.get(`${c}:0`)![0]!))].sort(),
    [1, 2, 3],
    "the load's conversations are pinned over the three replicas",
  );
  // Three rounds accepted by the bus, then the scale-down asked while two more are sent.
  for (let k = 1; k <= 3; k++) await round(`${k}`, load, survivors);
  await Promise.all([asker.scale('svc', 1), round('4', load, survivors), round('5', load, survivors)]);
  const loadContents = load.flatMap((c) => ['1', '2', '3', '4', '5'].map((k) => `${c}:${k}`));
  seen = await allAnswered(loadContents, 30_000);
  answeredOnce(seen, loadContents);
  const byLeaving = loadContents.filter((c) => seen.get(c)![0] !== 1).length;
  t.diagnostic(
    `scale-down under load: ${loadContents.length} messages, ${byLeaving} answered by the leaving replicas 2 and 3 before they drained, the rest by replica 1`,
  );
  await waitFor('svc to run as one', async () => (await newOwner.getAgent('svc')).replicas === undefined, 30_000);
  assert.equal((await asker.getAgent('svc')).replicas, undefined, 'the record says one');
  await send(asker, 'after', 'after:1');
  seen = await allAnswered(['after:1'], 15_000);
  assert.deepEqual(seen.get('after:1'), [1], 'replica 1 answers after the scale-down');
  assert.equal(deadLetters(), 0, 'nothing was dead-lettered');
  lap('scaled down under load');

  // Suspended (the kill switch, cluster-wide) while the record says 3: a scale to 2 through a node
  // that does not run it is a scale-down (compared with the recorded 3, not its local 1), and the
  // owner drains the third replica though the agent is held (it runs no agent code).
  // The owner node alone frozen: a scale-up through another node is recorded, the owner holds it
  // (replica inits are agent code) and follows it on its thaw (review finding 4).
  await newOwner.freeze();
  await asker.scale('svc', 3);
  await waitFor(
    'the frozen owner to show 3 recorded, 1 running',
    async () => {
      const r = (await newOwner.getAgent('svc')).replicas;
      return r?.replicas === 1 && r.recorded === 3;
    },
    15_000,
  );
  await newOwner.thaw();
  await waitFor(
    'svc to run as 3 after the thaw',
    async () => {
      const r = (await newOwner.getAgent('svc')).replicas;
      return r?.replicas === 3 && r.recorded === undefined;
    },
    30_000,
  );
  lap('a scale-up recorded while the owner was frozen followed on its thaw');
  await asker.suspend('svc');
  await waitFor('the owner to see svc suspended', async () => (await newOwner.getAgent('svc')).state === 'suspended', 15_000);
  const down = await asker.scale('svc', 2);
  assert.equal(down.replicas?.replicas, 2, 'a scale-down through a non-owner while suspended is accepted and recorded');
  await waitFor(
    'the owner to drain svc to 2 while suspended',
    async () => {
      const r = (await newOwner.getAgent('svc')).replicas;
      return r?.replicas === 2 && r.draining === 0;
    },
    30_000,
  );
  await asker.resume('svc');
  await asker.scale('svc', 1);
  await waitFor('svc to run as one again', async () => (await newOwner.getAgent('svc')).replicas === undefined, 30_000);
  lap('scaled down while suspended');

  // A stateful agent: refused through a node that does not run it, as on one node.
  await newOwner.deploy({ name: 'stateful' }, COUNTER());
  await waitFor('the counter to run', async () => (await placement(newOwner)).get('stateful'), 30_000);
  await survivors[0]!.send({
    structured: { performative: 'request', receivers: [{ name: 'stateful' }], content: 'increment', conversationId: 's-1' },
  });
  const counterOwner = clients.get((await placement(newOwner)).get('stateful')!)!;
  await waitFor(
    'the counter to hold state',
    async () =>
      (await counterOwner.getState('stateful', 'count').then(
        (e) => e.value,
        () => undefined,
      )) === '1',
    30_000,
  );
  const elsewhere = survivors.find((c) => c !== counterOwner)!;
  const refused = await elsewhere.scale('stateful', 2).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(
    refused instanceof ApiCallError && refused.code === 'agent.replicas-stateful' && refused.statusName === 'FAILED_PRECONDITION',
    String(refused),
  );
  assert.equal((await counterOwner.getAgent('stateful')).replicas, undefined, 'nothing recorded');
  lap('stateful refused');
});
