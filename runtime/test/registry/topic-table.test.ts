/**
 * The embedded registry's topic table keeps each topic's listing (decision 2095): a publish reads
 * the same sorted, frozen entries until the topic's subscriptions change, and no reader can change
 * what the next one reads. Pure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicSubscription } from '@caxton/core';
import { TopicTable } from '../../src/registry/topic-table.js';

test('a topic is listed sorted, from frozen copies shared until the topic changes', () => {
  const fx: TopicSubscription = { agent: 'b', topic: 'prices', filter: { all: [{ field: 'ontology', match: { in: ['fx', 'rates'] } }] } };
  const table = new TopicTable();
  table.set({ agent: 'c', topic: 'prices' });
  table.set(fx);
  table.set({ agent: 'a', topic: 'news' });
  const first = table.list('prices');
  assert.deepEqual(
    first.map((s) => s.agent),
    ['b', 'c'],
  );
  const again = table.list('prices');
  assert.notEqual(again, first, 'each call gets its own array');
  assert.equal(again[0], first[0], 'the entries are shared while the topic is unchanged');
  assert.ok(Object.isFrozen(first[0]) && Object.isFrozen(first[0]!.filter) && Object.isFrozen(first[0]!.filter!.all[0]!.match));
  assert.throws(() => {
    (first[0]!.filter!.all[0]!.match as { in: string[] }).in.push('x');
  }, TypeError);
  assert.throws(() => {
    (first[1] as { agent: string }).agent = 'z';
  }, TypeError);
  first.pop(); // the array is the caller's own
  assert.deepEqual(
    table.list('prices').map((s) => s.agent),
    ['b', 'c'],
  );
  assert.notEqual(table.list('prices')[0], fx, 'a copy: the stored subscription is not handed out');
  fx.filter!.all[0]!.match = { equals: 'changed' }; // the caller's object after set: the table stored a copy
  const stored = { all: [{ field: 'ontology', match: { in: ['fx', 'rates'] } }] };
  assert.deepEqual(table.list('prices')[0]!.filter, stored, 'the cached listing');
  table.set({ agent: 'd', topic: 'prices' }); // drops the cached listing: the next one is rebuilt from what is stored
  assert.deepEqual(table.list('prices')[0]!.filter, stored, 'a rebuilt listing');
  assert.deepEqual(table.list().find((s) => s.agent === 'b')!.filter, stored, 'the whole listing');
});

test('a change to a topic is seen by its next listing; other topics keep theirs', () => {
  const table = new TopicTable();
  table.set({ agent: 'b', topic: 'prices' });
  table.set({ agent: 'a', topic: 'news' });
  const news = table.list('news');
  assert.deepEqual(
    table.list('prices').map((s) => s.agent),
    ['b'],
  );
  table.set({ agent: 'a', topic: 'prices' });
  assert.deepEqual(
    table.list('prices').map((s) => s.agent),
    ['a', 'b'],
    'a subscribe',
  );
  table.set({ agent: 'a', topic: 'prices', filter: { all: [{ field: 'performative', match: { equals: 'inform' } }] } });
  assert.deepEqual(
    table.list('prices')[0]!.filter,
    { all: [{ field: 'performative', match: { equals: 'inform' } }] },
    'a re-subscribe replaces the filter',
  );
  assert.equal(table.delete('b', 'prices'), true);
  assert.deepEqual(
    table.list('prices').map((s) => s.agent),
    ['a'],
    'an unsubscribe',
  );
  table.deleteAgent('a');
  assert.deepEqual(table.list('prices'), [], 'an agent dropped');
  assert.deepEqual(table.list('news'), [], 'from every topic');
  assert.notDeepEqual(news, [], "an earlier listing is the caller's and stays as it was");
  assert.deepEqual(table.list('nothing'), []);
  table.set({ agent: 'd', topic: 'nothing' });
  assert.deepEqual(
    table.list('nothing').map((s) => s.agent),
    ['d'],
    'an empty listing is not kept',
  );
  assert.deepEqual(
    table.list().map((s) => `${s.topic} ${s.agent}`),
    ['nothing d'],
  );
});
