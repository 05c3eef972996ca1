/** Lists sized to what they hold (runtime/src/bus/lists.ts, decision 2125). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_ITEMS, added } from '../../src/bus/lists.js';

test('added: the shared empty list is replaced by a list of one, never added to; later items are pushed onto that list', () => {
  let list: readonly string[] = NO_ITEMS;
  list = added(list, 'a');
  assert.notEqual(list, NO_ITEMS);
  assert.deepEqual(list, ['a']);
  assert.equal(NO_ITEMS.length, 0);
  assert.ok(Object.isFrozen(NO_ITEMS));
  const first = list;
  list = added(list, 'b');
  assert.equal(list, first, "the caller's own list, pushed");
  assert.deepEqual(list, ['a', 'b']);
  // Two lists started from the shared one stay apart.
  const other = added(NO_ITEMS as readonly string[], 'x');
  assert.deepEqual(other, ['x']);
  assert.deepEqual(list, ['a', 'b']);
});
