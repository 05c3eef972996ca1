/**
 * The redrive's derived message id (decision 1860): the same for every repeat of one redrive (so
 * the log's dedup by delivery id keeps one delivery), different for another letter or another
 * target, fixed in shape, and not steerable by the letter id's text (hashed, with separators).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { deliveryId, idempotentMessageId, redriveMessageId } from '../../src/bus/ids.js';

test('a redrive id is stable per (letter, target) and differs otherwise', () => {
  const letter = 'n1-3f2a-lq8x-7>fragile';
  const id = redriveMessageId(letter, 'steady');
  assert.match(id, /^r-[0-9a-f]{32}$/);
  assert.equal(redriveMessageId(letter, 'steady'), id, 'a repeat derives the same id');
  assert.notEqual(redriveMessageId(letter, 'fragile'), id, 'another target is another delivery');
  assert.notEqual(redriveMessageId('n1-3f2a-lq8x-8>fragile', 'steady'), id, 'another letter is another delivery');
  // The separator keeps (letter, target) pairs apart whose concatenations are equal.
  assert.notEqual(redriveMessageId('a', 'bc'), redriveMessageId('ab', 'c'));
  // Never one of an idempotent send's ids, even for the same text (another prefix and domain).
  assert.notEqual(id, idempotentMessageId(letter, 'steady', ''));
  assert.equal(deliveryId(id, 'steady'), `${id}>steady`);
});

test('the derivation is the documented one: sha256 over the domain, letter and target, 128 bits', () => {
  // Stated independently of ids.ts: a change of the derivation would let a redrive repeated across
  // an upgrade slip past the dedup, so it must be deliberate (a new domain string).
  const expected = createHash('sha256').update('caxton.redrive.v1\0m-1>fragile\0steady', 'utf8').digest('hex').slice(0, 32);
  assert.equal(redriveMessageId('m-1>fragile', 'steady'), `r-${expected}`);
});
