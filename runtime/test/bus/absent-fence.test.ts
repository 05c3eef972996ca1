/**
 * The fence of an absent queue's dead letters (decision 1990, *Cluster*): trim and expiry end
 * messages, so each letter is fenced like a completion. A delivery whose partition is no longer
 * this node's (the log says it does not hold it, or refuses its letter `bus.kafka.not-owner`) is
 * dropped from this mailbox and no letter is written for it — the next owner hands it out again;
 * a claim that lapses midway (`stillHeld` false) puts the rest back in order and writes nothing more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inform, openBus, operator, until, type TestBus } from './scripted-port.js';

const AGENT = 'away';

/** A bus whose agent `away` is absent (queue 100) and holds `n` messages from the operator. */
async function absentWith(n: number): Promise<TestBus & { ids: string[] }> {
  const t = await openBus([AGENT], {
    port: (p) => {
      p.notRunnable.add(AGENT);
      p.absence = (agent) => (agent === AGENT ? { queue: 100, ttlMs: 0 } : undefined);
    },
  });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(`${(await t.bus.send(inform(AGENT, `m${i}`), operator)).messageId}>${AGENT}`);
  await until(() => t.bus.queued(AGENT) === n, `${n} queued for ${AGENT}`);
  return { ...t, ids };
}

const letters = (t: TestBus) => t.log.ops.filter((o) => o.startsWith('dead-letter:'));
const deadLettered = (t: TestBus) => t.events.filter((e) => e.type === 'dead-lettered');

test('expiry: letters the log refuses not-owner are dropped from the mailbox, and a second sweep writes none', async () => {
  const t = await absentWith(3);
  try {
    t.log.notOwner = () => true;
    assert.equal(await t.bus.expireAbsent(AGENT, 0, undefined, () => true), 0);
    assert.equal(t.bus.queued(AGENT), 0, 'not put back into a mailbox of a partition this node no longer owns');
    assert.equal(await t.bus.expireAbsent(AGENT, 0, undefined, () => true), 0);
    assert.deepEqual(letters(t), [], 'no letter written');
    assert.equal(t.log.ops.filter((o) => o.startsWith('dead-letter-refused:')).length, 3, 'each tried once, never again');
    assert.deepEqual(deadLettered(t), []);
  } finally {
    await t.bus.stopDispatching();
    await t.bus.stop();
  }
});

test('trim: a delivery the log no longer holds is dropped unwritten; the rest are dead-lettered', async () => {
  const t = await absentWith(4);
  try {
    t.log.movedAway.add(t.ids[3]!);
    assert.equal(await t.bus.trimAbsent(AGENT, 1, () => true), 2, 'two of the three past the bound written');
    assert.equal(t.bus.queued(AGENT), 1, 'the one within the bound stays');
    assert.deepEqual(letters(t).sort(), [`dead-letter:${t.ids[1]}`, `dead-letter:${t.ids[2]}`]);
    assert.equal(
      t.log.ops.some((o) => o.startsWith('dead-letter') && o.endsWith(t.ids[3]!)),
      false,
      'the moved one: not even tried',
    );
    assert.equal(await t.bus.trimAbsent(AGENT, 1, () => true), 0, 'nothing more on the next sweep');
  } finally {
    await t.bus.stopDispatching();
    await t.bus.stop();
  }
});

test('a claim lapsing after the first letter: the rest go back in order and nothing more is written', async () => {
  const t = await absentWith(4);
  try {
    let asked = 0;
    assert.equal(await t.bus.expireAbsent(AGENT, 0, undefined, () => ++asked <= 1), 1);
    assert.deepEqual(letters(t), [`dead-letter:${t.ids[0]}`]);
    assert.equal(t.bus.queued(AGENT), 3, 'the rest put back');
    // Put back in their order: the next sweep (the claim held again) takes them in it.
    assert.equal(await t.bus.expireAbsent(AGENT, 0, undefined, () => true), 3);
    assert.deepEqual(
      letters(t),
      t.ids.map((id) => `dead-letter:${id}`),
    );
  } finally {
    await t.bus.stopDispatching();
    await t.bus.stop();
  }
});

test('refuseNewest (activation waits past their cap, decision 2060): only the newest past `keep` are dead-lettered, fenced; a letter that fails goes back with the rest and is refused at the next call', async () => {
  const t = await absentWith(5);
  try {
    t.log.movedAway.add(t.ids[4]!);
    let failOnce = true;
    t.log.failDeadLetter = () => {
      const fail = failOnce;
      failOnce = false;
      return fail;
    };
    assert.equal(await t.bus.refuseNewest(AGENT, 2, 'bus.activation-limit: test', 'activation-limit'), 0);
    assert.deepEqual(letters(t), [], 'nothing written');
    assert.equal(t.bus.queued(AGENT), 5, 'the oldest two stay; the failed letter and the rest after it are put back: none lost');
    assert.equal(await t.bus.refuseNewest(AGENT, 2, 'bus.activation-limit: test', 'activation-limit'), 2);
    assert.deepEqual(letters(t), [`dead-letter:${t.ids[2]}`, `dead-letter:${t.ids[3]}`], 'the newest, not the oldest');
    assert.equal(t.bus.queued(AGENT), 2, "the moved one dropped unwritten (the next owner's)");
    assert.deepEqual(
      deadLettered(t).map((e) => (e as { deliveryId: string }).deliveryId),
      [t.ids[2], t.ids[3]],
    );
  } finally {
    await t.bus.stopDispatching();
    await t.bus.stop();
  }
});
