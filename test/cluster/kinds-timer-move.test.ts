/**
 * A passivated instance's timer after its partition moved (decision 2060): two nodes on one Kafka
 * and one etcd, the timer counter (examples/as-timer-counter) deployed as the kind `ticker` with a
 * short idle period. Keys are sent `tick <delay>`: each instance arms a timer (kept in etcd) and
 * is passivated, idle, long before it is due. The kind is suspended (so no timer fires anywhere
 * meanwhile), the node holding the keys is stopped, the kind is resumed; the keys' partitions move
 * to the other node, which must wake each instance for its timer with no mail sent to it: the instance is activated there (its journal says so), its timer fires, and the
 * count the firing committed (its `inform`) is 1, which a query of the instance's state confirms.
 * Before the fix the new owner knew of no such wake: the timer waited for the instance's next mail.
 * Run twice: the default walk of the timer table, and with the wake index switched on (decision
 * 2060 *Wake index*), where the survivor reads only the moved partitions' wakes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { uniqueCluster } from './support/servers.js';
import { useCluster } from './support/fixture.js';
import type { NodeProcess } from './support/node-process.js';
import { groupSettled, waitFor } from './support/cluster.js';
import { example, KINDS_NODE_CHILD } from './support/paths.js';

const KEYS = Array.from({ length: 8 }, (_, i) => `ticker/k${i}`);
/** Long enough for every instance to passivate, and the kind to be suspended, before any timer is due. */
const DELAY_MS = 6_000;

const fixture = useCluster({ child: KINDS_NODE_CHILD });

interface Journal {
  /** instance → times it came into memory here. */
  activated: Map<string, number[]>;
  /** instance → times it left memory here. */
  dropped: Map<string, number[]>;
  /** in-reply-to → answers. */
  answers: Map<string, string[]>;
}

function read(node: NodeProcess): Journal {
  const j: Journal = { activated: new Map(), dropped: new Map(), answers: new Map() };
  if (!existsSync(node.journal!)) return j;
  for (const line of readFileSync(node.journal!, 'utf8').split('\n')) {
    const [type, at, a, ...rest] = line.split(' ');
    if (a === undefined) continue;
    if (type === 'A') j.activated.set(a, [...(j.activated.get(a) ?? []), Number(at)]);
    else if (type === 'D') j.dropped.set(a, [...(j.dropped.get(a) ?? []), Number(at)]);
    else if (type === 'R') j.answers.set(a, [...(j.answers.get(a) ?? []), rest.join(' ')]);
  }
  return j;
}

// Bounds that let the inner waits (the group settling, 90 s, among them) fail first, with their own message.
test('a passivated instance whose partition moved to another node is woken there for its timer, and its firing counts once', {
  timeout: 240_000,
}, async (t) => {
  await movedTimersFire(t, false);
});

test("the same with the wake index switched on: the survivor reads the moved partitions' wakes", { timeout: 240_000 }, async (t) => {
  await movedTimersFire(t, true);
});

/** `wakeIndex`: the operator's switch set for the default 12 partitions before the nodes start (docs/cluster.md). */
async function movedTimersFire(t: { diagnostic(message: string): void }, wakeIndex: boolean): Promise<void> {
  const cluster = { name: uniqueCluster('kinds-timer-move') };
  if (wakeIndex) {
    const etcd = new Etcd3({ hosts: fixture.servers.etcd });
    try {
      await etcd.put(`/caxton/${cluster.name}/store/wake-index/enabled`).value('12');
    } finally {
      etcd.close();
    }
  }
  const t0 = Date.now();
  const mine = await fixture.start(['n1', 'n2'], cluster);
  const [n1, n2] = mine as [NodeProcess, NodeProcess];
  // Each key's first activation must be where it lives: a late join of n2 would move keys before the stop.
  await groupSettled(mine, 90_000);
  if (wakeIndex)
    await waitFor(
      'the wake index to be marked complete',
      async () => {
        const etcd = new Etcd3({ hosts: fixture.servers.etcd });
        try {
          return (await etcd.get(`/caxton/${cluster.name}/store/wake-index/p12`).string()) !== null;
        } finally {
          etcd.close();
        }
      },
      15_000,
      100,
    );
  const [c1, c2] = [await n1.client(), await n2.client()];
  const bytes = readFileSync(example('as-timer-counter', 'as-timer-counter.wasm'));
  await c1.deploy({ name: 'ticker', config: {}, limits: {}, kind: { idleMs: 300 } }, bytes);
  await waitFor('the kind to be known on n2', async () => (await c2.getAgent('ticker').catch(() => undefined))?.kind, 15_000, 100);

  const ticked = Date.now();
  for (const key of KEYS)
    await c1.send({
      structured: { performative: 'request', receivers: [{ name: key }], content: `tick ${DELAY_MS}`, replyWith: `t:${key}` },
    });
  // Each instance took its tick (activated somewhere) and was passivated, idle, with its timer pending.
  const where = (key: string): NodeProcess | undefined => mine.find((n) => (read(n).activated.get(key)?.length ?? 0) > 0);
  await waitFor(
    'every key activated and passivated',
    () =>
      KEYS.every((k) => {
        const n = where(k);
        return n !== undefined && (read(n).dropped.get(k)?.length ?? 0) > 0;
      }),
    30_000,
    50,
  );
  // The kind is suspended cluster-wide (decision 1403): no timer of it fires anywhere until it is
  // resumed, so how long the stop below takes on a loaded machine does not matter.
  await c1.suspend('ticker');
  const holder = read(n1).activated.size >= read(n2).activated.size ? n1 : n2;
  const survivor = holder === n1 ? n2 : n1;
  await holder.stop(15_000); // a clean stop: it leaves the group, its partitions move at the next rebalance
  const stoppedAt = Date.now();
  // A key whose timer fired on the holder before the suspension reached it proves nothing: left out.
  const firedOnHolder = read(holder).answers;
  const moving = KEYS.filter((k) => where(k) === holder && !firedOnHolder.has(`t:${k}`));
  assert.ok(
    moving.length > 0,
    `keys moved off ${holder.id} with their timers pending (${firedOnHolder.size} fired there before the suspension)`,
  );
  await (survivor === n1 ? c1 : c2).resume('ticker');

  // No mail goes to the moved keys: only their timer can bring them into memory on the survivor.
  await waitFor(
    `the ${moving.length} moved keys' timers to fire on ${survivor.id}`,
    () => moving.every((k) => (read(survivor).answers.get(`t:${k}`)?.length ?? 0) > 0),
    45_000,
    100,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${survivor.id} stderr: ${survivor.stderr.slice(-2000)}`);
  });
  // With the switch on, the survivor trusted the index (its walks of the moved partitions read their
  // wakes, not the timer table): the line it says once the index is complete for its partition count.
  // Without it, the same line must be absent (the assertion tells the two walks apart).
  const trusted = /the wake index of 12 partitions is read by this node's walks/;
  if (wakeIndex) assert.match(survivor.stderr, trusted, `${survivor.id} stderr: ${survivor.stderr.slice(-2000)}`);
  else assert.doesNotMatch(survivor.stderr, trusted);
  const j = read(survivor);
  for (const k of moving) {
    assert.ok(
      (j.activated.get(k) ?? []).some((at) => at >= stoppedAt),
      `${k} was activated on ${survivor.id} after the move`,
    );
    assert.deepEqual(j.answers.get(`t:${k}`), ['1'], `${k}'s timer fired once, and the count it committed is 1`);
  }
  // The state the firing committed, read back through the instance.
  const probe = moving[0]!;
  const survivorClient = survivor === n1 ? c1 : c2;
  await survivorClient.send({
    structured: { performative: 'query-ref', receivers: [{ name: probe }], content: 'count', replyWith: `q:${probe}` },
  });
  await waitFor('the count query to be answered', () => (read(survivor).answers.get(`q:${probe}`)?.length ?? 0) > 0, 15_000, 50);
  assert.deepEqual(read(survivor).answers.get(`q:${probe}`), ['1']);
  t.diagnostic(
    `${wakeIndex ? 'wake index: ' : 'timer table: '}${moving.length} of ${KEYS.length} keys moved from ${holder.id} to ${survivor.id}; ticks at +${ticked - t0} ms, holder stopped +${stoppedAt - ticked} ms after, timers fired by +${Date.now() - ticked} ms`,
  );
  await survivor.stop(15_000);
}
