/**
 * Dead letters for operators (decision 1860) on a real node with the embedded log and a real
 * poison agent (examples/hostile/as-poison): the letter is listed with its reason; redriven to
 * another agent it is handled exactly once, however often (and however concurrently) the redrive
 * is repeated; purged it is hidden; the marks survive a restart; the audit trail holds an intent
 * and an outcome for every redrive and purge, the outcomes naming the one delivery.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CaxtonError } from '@caxton/core';
import { FileAuditTrail } from '@caxton/runtime';
import { TestNode } from './support/test-node.js';

const ATTEMPTS = 2;
let t: TestNode;

before(async () => {
  t = await TestNode.start({ maxAttempts: ATTEMPTS });
  await t.deploy('fragile', 'hostile/as-poison');
  // The same agent with another poison string: the pill is harmless to it.
  await t.deploy('steady', 'hostile/as-poison', { poison: 'a string nobody sends' });
});

after(async () => {
  await t?.dispose();
});

const kindOf = (err: unknown): string => (err instanceof CaxtonError ? err.kind : String(err));

test('a dead letter is listed with its reason, redriven exactly once, purged, and every change audited', async () => {
  const sent = await t.send({ performative: 'request', receivers: [{ name: 'fragile' }], content: 'poison pill' });
  const id = `${sent.messageId}>fragile`;
  await t.waitFor('the pill to be dead-lettered', () => t.deadLettered.length === 1, 20_000);
  await t.settle();

  const listed = await t.control.listDeadLetters({ includePurged: false, limit: 10 });
  assert.equal(listed.length, 1);
  const letter = listed[0]!;
  assert.equal(letter.id, id);
  assert.equal(letter.state, 'dead');
  assert.equal(letter.delivery.receiver, 'fragile');
  assert.equal(letter.delivery.message.content, 'poison pill');
  assert.equal(letter.attempts, ATTEMPTS);
  assert.match(letter.reason, /^handler crashed 2 times \(trap: /);
  assert.deepEqual(await t.control.listDeadLetters({ agent: 'steady', includePurged: false, limit: 10 }), []);
  assert.equal((await t.control.getDeadLetter(id)).id, id);
  await assert.rejects(t.control.getDeadLetter('no-such-letter'), (err) => kindOf(err) === 'not-found');

  // Two operators at once, then a retry: one derived delivery, handled once.
  const [first, second] = await Promise.all([
    t.control.redriveDeadLetters({ select: { ids: [id] }, to: 'steady' }),
    t.control.redriveDeadLetters({ select: { ids: [id] }, to: 'steady' }),
  ]);
  const redriven = first.redriven[0]!;
  assert.equal(redriven.receiver, 'steady');
  assert.deepEqual(second.redriven, first.redriven);
  await t.waitFor('the redriven pill to be handled', () =>
    t.handled.some((h) => h.deliveryId === redriven.deliveryId && h.outcome.status === 'ok'),
  );
  const retry = await t.control.redriveDeadLetters({ select: { ids: [id] }, to: 'steady' });
  assert.deepEqual(retry.redriven, first.redriven);
  await t.settle();
  assert.equal(t.handled.filter((h) => h.deliveryId === redriven.deliveryId).length, 1, 'the redrive was handled exactly once');
  assert.deepEqual(
    t.handled.filter((h) => h.agent === 'steady').map((h) => h.deliveryId),
    [redriven.deliveryId],
    'steady got nothing else',
  );
  const answers = t.external.filter((e) => e.message.performative === 'inform' && e.message.content === 'poison pill');
  assert.equal(answers.length, 1, 'the original sender got one answer');

  const shown = await t.control.getDeadLetter(id);
  assert.equal(shown.state, 'redriven');
  assert.deepEqual(shown.redrive && { deliveryId: shown.redrive.deliveryId, receiver: shown.redrive.receiver }, {
    deliveryId: redriven.deliveryId,
    receiver: 'steady',
  });

  await assert.rejects(t.control.redriveDeadLetters({ select: { ids: [id, 'no-such-letter'] } }), (err) => kindOf(err) === 'not-found');
  await assert.rejects(t.control.redriveDeadLetters({ select: { ids: [id] }, to: 'nobody' }), (err) => kindOf(err) === 'not-found');

  const purged = await t.control.purgeDeadLetters({ agent: 'fragile' });
  assert.deepEqual(purged.purged, [id]);
  assert.deepEqual(await t.control.listDeadLetters({ includePurged: false, limit: 10 }), []);
  assert.deepEqual(
    (await t.control.listDeadLetters({ includePurged: true, limit: 10 })).map((l) => l.state),
    ['purged'],
  );
  await assert.rejects(
    t.control.redriveDeadLetters({ select: { ids: [id] } }),
    (err) => err instanceof CaxtonError && err.code === 'dead-letters.purged',
  );
  assert.deepEqual((await t.control.purgeDeadLetters({ ids: [id] })).purged, [], 'purging again purges nothing');

  // Durable: after a restart the letter is still purged, and nothing was handed out again.
  await t.stop();
  const again = await TestNode.start({ dataDir: t.dataDir, maxAttempts: ATTEMPTS });
  try {
    const all = await again.control.listDeadLetters({ includePurged: true, limit: 10 });
    assert.deepEqual(
      all.map((l) => [l.id, l.state]),
      [[id, 'purged']],
    );
    await again.settle();
    assert.deepEqual(again.handled, []);
  } finally {
    await again.stop();
  }

  const trail = await FileAuditTrail.open({ dir: path.join(t.dataDir, 'audit') });
  try {
    type Entry = { kind?: string; method: string; result?: { code: string; fields?: Record<string, string> } };
    const entries = (await trail.read(0, 10_000)).map((r) => JSON.parse(Buffer.from(r.bytes).toString('utf8')) as Entry);
    const redrives = entries.filter((e) => e.method === 'RedriveDeadLetters');
    // Three that succeeded, two refused (unknown id, unknown target), one refused (purged): each an intent and an outcome.
    assert.equal(redrives.filter((e) => e.kind === 'intent').length, 6);
    const outcomes = redrives.filter((e) => e.kind === 'outcome').map((e) => e.result!);
    assert.deepEqual(
      outcomes.map((o) => o.code),
      ['OK', 'OK', 'OK', 'NOT_FOUND', 'NOT_FOUND', 'FAILED_PRECONDITION'],
    );
    for (const o of outcomes.slice(0, 3)) assert.equal(o.fields?.['deliveries'], `${id}=>${redriven.deliveryId}`);
    const purges = entries.filter((e) => e.method === 'PurgeDeadLetters');
    assert.deepEqual(
      purges.map((e) => e.kind),
      ['intent', 'outcome', 'intent', 'outcome'],
    );
    assert.equal(purges[1]!.result?.fields?.['ids'], id);
  } finally {
    await trail.close();
  }
});
