/**
 * Validation of the dead-letter RPCs' requests (decision 1860), pure: bounded limits and id lists,
 * exactly one of ids or agent, agent names checked, typed errors naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError, MAX_DEAD_LETTERS_PER_CALL } from '@caxton/core';
import { parseLetterId, parseListDeadLetters, parseRedrive, parseSelection } from '../../src/api/dead-letter-requests.js';

const field = (name: string) => (err: unknown) => err instanceof InvalidArgumentError && err.field === name;

test('list: limit 0 means 100, bounded by the per-call maximum; agent optional but checked', () => {
  assert.deepEqual(parseListDeadLetters({ agent: '', includePurged: false, limit: 0 }), { includePurged: false, limit: 100 });
  assert.deepEqual(parseListDeadLetters({ agent: 'billing', includePurged: true, limit: 5 }), {
    agent: 'billing',
    includePurged: true,
    limit: 5,
  });
  assert.throws(() => parseListDeadLetters({ agent: '', includePurged: false, limit: MAX_DEAD_LETTERS_PER_CALL + 1 }), field('limit'));
  assert.throws(() => parseListDeadLetters({ agent: '../etc', includePurged: false, limit: 1 }), field('agent'));
});

test('selection: exactly one of ids (1..max, each bounded) or agent', () => {
  assert.deepEqual(parseSelection({ ids: ['m-1>a', 'm-2>a'], agent: '' }), { ids: ['m-1>a', 'm-2>a'] });
  assert.deepEqual(parseSelection({ ids: [], agent: 'a' }), { agent: 'a' });
  assert.throws(() => parseSelection({ ids: [], agent: '' }), field('ids'));
  assert.throws(() => parseSelection({ ids: ['m-1>a'], agent: 'a' }), field('ids'));
  assert.throws(
    () => parseSelection({ ids: Array.from({ length: MAX_DEAD_LETTERS_PER_CALL + 1 }, (_, i) => `m-${i}>a`), agent: '' }),
    field('ids'),
  );
  assert.throws(() => parseSelection({ ids: ['ok>a', ''], agent: '' }), field('ids[1]'));
  assert.throws(() => parseLetterId('x'.repeat(513)), field('id'));
});

test('redrive: the target is an agent name, absent when empty', () => {
  assert.deepEqual(parseRedrive({ ids: ['m-1>a'], agent: '', to: '' }), { select: { ids: ['m-1>a'] } });
  assert.deepEqual(parseRedrive({ ids: [], agent: 'a', to: 'b' }), { select: { agent: 'a' }, to: 'b' });
  assert.throws(() => parseRedrive({ ids: ['m-1>a'], agent: '', to: 'no spaces' }), field('to'));
});
