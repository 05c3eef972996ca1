/**
 * A commit the log refuses, followed by more messages (issue 24: a failed commit rewinds the agent;
 * a refused commit counts as an attempt and ends dead-lettered). Real node, real log, real agent
 * (examples/as-timer-counter): the log stores records of at most 16 KiB (`embeddedLog`), and
 * `big 20000` writes a 20,000-character value — within the sandbox's 64 KiB, so the handling
 * succeeds, but its commit is refused (`log.invalid-state`), every attempt. Messages sent before
 * and after it (notes, a tick) must end exactly as if handled in order with the refused one
 * dead-lettered after its attempts: the later ones, handled on top of its uncommitted write, are
 * rewound and handled again on the committed state. And nothing computed on the refused write
 * leaves (issue 55): not the refused handling's own reply, not a later handling's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { TestNode } from './support/test-node.js';

const ATTEMPTS = 3;

test('a commit refused by the log is retried, then dead-lettered; the messages after it commit on the committed state, in order', {
  timeout: 60_000,
}, async () => {
  const t = await TestNode.start({ fsync: 'always', maxAttempts: ATTEMPTS, embeddedLog: { maxRecordBytes: 16 * 1024 } });
  try {
    await t.deploy('tc', 'as-timer-counter');
    const contents = ['note a', 'tick 1 b', 'big 20000', 'note c', 'tick 1 d', 'note e'];
    const ids: string[] = [];
    for (const [i, content] of contents.entries()) {
      const sent = await t.send({ performative: 'request', receivers: [{ name: 'tc' }], replyWith: `r${i}`, content });
      ids.push(sent.messageId);
    }
    await t.send({ performative: 'query-ref', receivers: [{ name: 'tc' }], replyWith: 'q-big', content: 'big' });
    const answer = (rw: string, performative: string) =>
      t.external.find((e) => e.message.inReplyTo === rw && e.message.performative === performative);
    const failure = await t.waitFor('the refused request to be dead-lettered', () => answer('r2', 'failure'), 30_000);
    assert.match(failure.message.content ?? '', /^message could not be handled: its commit was refused 3 times \(log\.invalid-state: /);
    // The query comes after everything in the mailbox. Handlings run on top of the refused write
    // before its refusal was known are rewound before anything they computed leaves: the log's
    // refusal is known when the batch is planned, and the agent's later items are requeued.
    await t.waitFor('the query of big', () => answer('q-big', 'inform'), 30_000);
    await t.waitFor('both timers to fire', () => answer('r1', 'inform') && answer('r4', 'inform'), 30_000);
    await t.settle();
    const seen = (): string =>
      `${JSON.stringify(t.external.map((e) => [e.message.inReplyTo, e.message.performative, (e.message.content ?? '').slice(0, 12)]))} ${JSON.stringify(t.handled.map((h) => [h.messageId.slice(-2), h.outcome.status, h.attempt]))}`;
    // Every reply that left, in order (a send made again under its derived id would show again).
    const replies = (rw: string): string[] =>
      t.external.filter((e) => e.message.inReplyTo === rw).map((e) => `${e.message.performative} ${e.message.content ?? ''}`);
    // Every answer to the query came from a handling on the committed state: an answer computed on
    // the refused write ('20000') never left, and neither did the refused handling's own 'agree'.
    assert.deepEqual(replies('q-big'), ['inform 0'], `an answer computed on the refused write left: ${seen()}`);
    assert.deepEqual(
      replies('r2').map((a) => a.split(' ')[0]),
      ['failure'],
      `the refused request got more than its failure: ${seen()}`,
    );
    // The others: each note agreed once, each tick agreed once and told its count once (1 and 2).
    for (const rw of ['r0', 'r3', 'r5'])
      assert.deepEqual(
        replies(rw).map((a) => a.split(' ')[0]),
        ['agree'],
        `note ${rw}: ${seen()}`,
      );
    for (const rw of ['r1', 'r4'])
      assert.deepEqual(
        replies(rw).map((a) => a.split(' ')[0]),
        ['agree', 'inform'],
        `tick ${rw}: ${seen()}`,
      );
    assert.deepEqual(
      [answer('r1', 'inform')!.message.content, answer('r4', 'inform')!.message.content].sort(),
      ['1', '2'],
      `the timers' counts: ${seen()}`,
    );
    const handledBig = t.handled.filter((h) => h.messageId === ids[2]);
    assert.equal(handledBig.length, ATTEMPTS, `the refused request was handled ${handledBig.length} times`);
    assert.deepEqual(
      t.deadLettered.map((d) => d.deliveryId),
      [handledBig[0]!.deliveryId],
    );
    await t.stop();

    const log = new EmbeddedMessageLog({ dir: path.join(t.dataDir, 'log') });
    log.events.on(() => {}, ['warning']);
    await log.open();
    try {
      const state = await log.readState('tc');
      const letters = await log.deadLetters();
      assert.equal(log.stats().pending, 0, 'every message left the log (completed or dead-lettered)');
      // Handled in order, the refused one left out: notes a b c d e, two ticks armed and fired.
      assert.equal(state.get('notes'), 'a;b;c;d;e;');
      assert.equal(state.get('armed'), '2');
      assert.equal(state.get('count'), '2');
      assert.equal(state.has('big'), false);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.delivery.message.content, 'big 20000');
      assert.equal(letters[0]!.attempts, ATTEMPTS);
      assert.match(letters[0]!.reason, /^its commit was refused 3 times \(log\.invalid-state: /);
    } finally {
      await log.close();
    }
  } finally {
    await t.dispose();
  }
});
