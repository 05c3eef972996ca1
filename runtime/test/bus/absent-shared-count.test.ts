/**
 * The bus's side of a cluster's shared count of absent queues (decision 2157), on a node that does
 * not hold the absent agent's queue: its deliveries take their places (the real rule,
 * absent-count-record.ts, on a record in memory instead of etcd) before anything is appended. An
 * outside sender past the bound is refused `bus.absent-queue-full` with the holder's hint and
 * nothing is appended; a send to several receivers loses only the full one; an agent is sent a
 * `failure`; a topic's absent subscriber is passed over; the partition budget's refusal names it;
 * a count that cannot be reached fails the send (nothing appended, nothing held back), and the
 * next send goes through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyCount, takePlaces } from '../../src/topology/cluster/absent-count-record.js';
import { openBus, inform, operator, until, type TestBus } from './scripted-port.js';

const AWAY = 'away';

/** A bus on which `away` (own bound `own`, partition budget `budget`) is absent on another node. */
async function elsewhere(own: number, budget = 100, failing?: { next: boolean }): Promise<TestBus> {
  const record = emptyCount();
  const absent = new Set([AWAY, 'dozer']);
  return openBus([AWAY, 'dozer', 'other', 'sender'], {
    port: (p) => {
      p.notRunnable.add(AWAY);
      p.sharedAbsent = {
        counts: (agent) => absent.has(agent),
        take: async (ds) => {
          if (failing?.next === true) {
            failing.next = false;
            throw Object.assign(new Error('etcd at http://127.0.0.1:1 unreachable while trying to update an absent queue count'), {
              code: 'registry.unavailable',
            });
          }
          return takePlaces(
            record,
            ds.map((d) => ({ id: d.id, agent: d.receiver, own })),
            budget,
            (a) => absent.has(a),
            Date.now(),
          );
        },
      };
    },
  });
}

const appended = (t: TestBus, agent: string) => t.log.ops.filter((o) => o.startsWith('append:') && o.includes(`>${agent}`)).length;

async function close(t: TestBus): Promise<void> {
  await t.bus.stopDispatching();
  await t.bus.stop();
}

test("an outside send past the bound is refused at the send, typed, with the holder's hint; nothing is appended for it", async () => {
  const t = await elsewhere(3);
  try {
    for (let i = 1; i <= 3; i++) await t.bus.send(inform(AWAY, `m${i}`), operator);
    await assert.rejects(
      t.bus.send(inform(AWAY, 'm4'), operator),
      (err: { code?: string; kind?: string; hint?: string; context?: Record<string, unknown> }) => {
        assert.equal(err.code, 'bus.absent-queue-full');
        assert.equal(err.kind, 'resource-exhausted');
        assert.equal(err.context?.limit, 3);
        assert.match(err.hint ?? '', /--absent-queue/);
        return true;
      },
    );
    assert.equal(appended(t, AWAY), 3);
    // To several receivers: only the full one is left out.
    const both = await t.bus.send(inform([AWAY, 'other'], 'both'), operator);
    assert.deepEqual(both.accepted, ['other']);
    assert.deepEqual(both.refused, [{ receiver: `${AWAY}@caxton`, reason: 'absent-queue-full' }]);
    assert.equal(appended(t, AWAY), 3);
  } finally {
    await close(t);
  }
});

test("an agent's send past the bound gets a failure; a topic's absent subscriber is passed over", async () => {
  const t = await elsewhere(1);
  try {
    await t.bus.send(inform(AWAY, 'm1'), operator);
    const result = await t.bus.send(inform(AWAY, 'm2'), { agent: 'sender' });
    assert.deepEqual(result.refused, [{ receiver: `${AWAY}@caxton`, reason: 'absent-queue-full' }]);
    await until(
      () => t.port.items.some((i) => i.agent === 'sender' && i.kind === 'delivery' && i.delivery.message.performative === 'failure'),
      'the sender told with a failure',
    );
    assert.equal(appended(t, AWAY), 1);
    // Published to a topic both subscribe to: the full subscriber misses it (typed in the result), the other gets it.
    Object.assign(t.port, {
      subscriptions: async (topic: string) => [
        { agent: AWAY, topic },
        { agent: 'other', topic },
      ],
    });
    const published = await t.bus.send(inform('topic:jobs', 'p1'), operator);
    assert.deepEqual(published.accepted, ['other']);
    assert.deepEqual(published.refused, [{ receiver: `${AWAY}@caxton`, reason: 'absent-queue-full' }]);
    assert.ok(t.events.some((e) => e.type === 'dropped' && e.reason.startsWith(`${AWAY} is absent and its queue is full`)));
    assert.equal(appended(t, AWAY), 1);
  } finally {
    await close(t);
  }
});

test('the partition budget held the bound down: the refusal names it', async () => {
  const t = await elsewhere(20, 4);
  try {
    for (let i = 1; i <= 3; i++) await t.bus.send(inform('dozer', `d${i}`), operator);
    await t.bus.send(inform(AWAY, 'm1'), operator);
    await assert.rejects(
      t.bus.send(inform(AWAY, 'm2'), operator),
      (err: { code?: string; hint?: string; context?: Record<string, unknown> }) => {
        assert.equal(err.code, 'bus.absent-queue-full');
        assert.equal(err.context?.limit, 1);
        assert.equal(err.context?.partitionBudget, 4);
        assert.match(err.hint ?? '', /partition/);
        return true;
      },
    );
  } finally {
    await close(t);
  }
});

test('a count that cannot be reached fails the send, untyped as a refusal; nothing appended, and the next send goes through', async () => {
  const failing = { next: true };
  const t = await elsewhere(3, 100, failing);
  try {
    await assert.rejects(t.bus.send(inform(AWAY, 'm1'), operator), (err: { code?: string }) => err.code === 'registry.unavailable');
    assert.equal(appended(t, AWAY), 0);
    const ok = await t.bus.send(inform(AWAY, 'm1'), operator);
    assert.deepEqual(ok.accepted, [`${AWAY}`]);
    assert.equal(appended(t, AWAY), 1);
  } finally {
    await close(t);
  }
});
