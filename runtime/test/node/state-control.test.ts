/** The pure parts of the operators' state access (node/state-control.ts): pages and replacement. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageOf, withReplacement } from '../../src/node/state-control.js';

const state = new Map([
  ['b', '2'],
  ['a', '1'],
  ['ab', '3'],
  ['c', '4'],
  ['\u0000http/1', 'pending'],
]);

test('pages walk the keys in order, a prefix narrows them, `next` resumes after the last key', () => {
  const first = pageOf(state, { limit: 2 });
  assert.deepEqual(first, {
    entries: [
      { key: '\u0000http/1', value: 'pending' },
      { key: 'a', value: '1' },
    ],
    next: 'a',
  });
  const second = pageOf(state, { limit: 2, after: first.next! });
  assert.deepEqual(second, {
    entries: [
      { key: 'ab', value: '3' },
      { key: 'b', value: '2' },
    ],
    next: 'b',
  });
  assert.deepEqual(pageOf(state, { limit: 2, after: second.next! }), { entries: [{ key: 'c', value: '4' }] }, 'the last page has no next');
  assert.deepEqual(pageOf(state, { prefix: 'a', limit: 10 }), {
    entries: [
      { key: 'a', value: '1' },
      { key: 'ab', value: '3' },
    ],
  });
  assert.deepEqual(
    pageOf(state, { prefix: 'a', limit: 2 }),
    {
      entries: [
        { key: 'a', value: '1' },
        { key: 'ab', value: '3' },
      ],
    },
    'an exactly full last page has no next',
  );
  assert.deepEqual(pageOf(new Map(), { limit: 5 }), { entries: [] });
});

test('replace deletes every current key the import does not name, then applies the import', () => {
  assert.deepEqual(
    withReplacement(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
      [
        { key: 'b', value: 'new' },
        { key: 'z', value: null },
      ],
    ),
    [
      { key: 'a', value: null },
      { key: 'b', value: 'new' },
      { key: 'z', value: null },
    ],
  );
});
