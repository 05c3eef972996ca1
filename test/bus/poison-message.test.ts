/**
 * A poison message: examples/hostile/as-poison traps on any content containing "poison". The
 * runtime retries it on fresh instances, dead-letters it after N attempts with the reason (durably,
 * on disk), answers the sender with failure, and the agent carries on with the next messages —
 * also after a restart, when the dead letter is not handed out again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { TestNode, AMS } from './support/test-node.js';

const ATTEMPTS = 4;
let t: TestNode;

before(async () => {
  t = await TestNode.start({ maxAttempts: ATTEMPTS });
  await t.deploy('fragile', 'hostile/as-poison');
});

after(async () => {
  await t?.dispose();
});

const informs = (node: TestNode) => node.external.filter((e) => e.message.performative === 'inform').map((e) => e.message.content);

test('a poison message is dead-lettered after N crashes and the agent carries on', async () => {
  const ids: Record<string, string> = {};
  for (const content of ['a', 'poison pill', 'b', 'c']) {
    ids[content] = (await t.send({ performative: 'request', receivers: [{ name: 'fragile' }], content })).messageId;
  }
  // The dead letter and the sender's failure are written in the background (decision 0900) while
  // the agent goes on with b and c, which may be handled in the same batch round trip: wait for both.
  await t.waitFor(
    'c to be answered and the poison dead-lettered',
    () => informs(t).includes('c') && t.external.some((e) => e.message.performative === 'failure'),
    20_000,
  );

  const poisonDelivery = `${ids['poison pill']}>fragile`;
  const attempts = t.handled.filter((h) => h.deliveryId === poisonDelivery);
  assert.deepEqual(
    attempts.map((h) => h.attempt),
    [1, 2, 3, 4],
  );
  for (const h of attempts) {
    assert.equal(h.outcome.status, 'crashed');
    assert.equal(h.outcome.status === 'crashed' && h.outcome.kind, 'trap');
  }
  assert.equal(t.deadLettered.length, 1);
  const letter = t.deadLettered[0]!;
  assert.equal(letter.deliveryId, poisonDelivery);
  assert.equal(letter.attempts, ATTEMPTS);
  assert.match(letter.reason, /^handler crashed 4 times \(trap: /);

  // Order: a, then the poison's attempts, then b and c — one at a time, on fresh instances.
  const okOrder = t.handled.filter((h) => h.outcome.status === 'ok').map((h) => h.messageId);
  assert.deepEqual(okOrder, [ids['a'], ids['b'], ids['c']]);
  const lastAttempt = t.handled.indexOf(attempts[ATTEMPTS - 1]!);
  assert.ok(t.handled.findIndex((h) => h.messageId === ids['b']) > lastAttempt);

  // The sender was told, with the reason.
  const failure = t.external.find((e) => e.message.performative === 'failure');
  assert.ok(failure);
  assert.equal(failure.message.sender?.name, AMS);
  assert.equal(failure.message.userParams?.['X-caxton-failure'], 'dead-lettered');
  assert.match(failure.message.content ?? '', /^message could not be handled: handler crashed 4 times \(trap: /);
  assert.deepEqual(informs(t), ['a', 'b', 'c']);
  assert.equal(t.external.filter((e) => e.message.performative === 'failure').length, 1);

  const status = await t.control.getAgent('fragile');
  assert.equal(status?.state, 'running');
  assert.equal(status?.restarts, ATTEMPTS);
  const stored = await t.storedLogs('fragile');
  assert.ok(
    stored.some((l) => l.startsWith(`[caxton] message ${poisonDelivery} dead-lettered: handler crashed 4 times`)),
    stored.join('\n'),
  );

  // Durable: the dead letter is on disk with its reason, and a restart does not hand it out again.
  await t.stop();
  const log = new EmbeddedMessageLog({ dir: path.join(t.dataDir, 'log') });
  await log.open();
  const letters = await log.deadLetters();
  assert.equal(log.stats().pending, 0);
  await log.close();
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.delivery.id, poisonDelivery);
  assert.equal(letters[0]!.delivery.message.content, 'poison pill');
  assert.equal(letters[0]!.attempts, ATTEMPTS);
  assert.match(letters[0]!.reason, /^handler crashed 4 times \(trap: /);

  const again = await TestNode.start({ dataDir: t.dataDir, maxAttempts: ATTEMPTS });
  try {
    await again.send({ performative: 'request', receivers: [{ name: 'fragile' }], content: 'd' });
    await again.waitFor('d to be answered', () => informs(again).includes('d'));
    await again.settle();
    assert.deepEqual(
      again.handled.map((h) => h.outcome.status),
      ['ok'],
      'only d was handed to the agent',
    );
  } finally {
    await again.stop();
  }
});
