/**
 * A partition's shared count of absent queues (decision 2157), its rules without etcd: places are
 * taken in order up to the holder's bound (partition budget included, shared first come), a
 * repeated delivery takes none, a holder's list replaces the places of what it holds, a failover's
 * new holder keeps its predecessor's list counted as places, stale places and agents that are back
 * leave, and a damaged record reads as empty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dropExpiredPlaces,
  emptyCount,
  isEmptyCount,
  parseAbsentCount,
  publishHeld,
  serializeAbsentCount,
  takePlaces,
  type PlaceRequest,
} from '../../../src/topology/cluster/absent-count-record.js';

const absent = new Set(['a', 'b']);
const isAbsent = (agent: string): boolean => absent.has(agent);
const asks = (agent: string, own: number, ...ids: string[]): PlaceRequest[] => ids.map((id) => ({ id, agent, own }));

test("places are taken in order up to the agent's own bound; past it each is refused with that bound", () => {
  const record = emptyCount();
  const refused = takePlaces(record, asks('a', 3, 'm1', 'm2', 'm3', 'm4', 'm5'), 100, isAbsent, 1000);
  assert.deepEqual([...refused.keys()], ['m4', 'm5']);
  assert.deepEqual(refused.get('m4'), { limit: 3 });
  assert.deepEqual([...record.taken.keys()], ['m1', 'm2', 'm3']);
  // A send repeated under its id is that delivery: admitted, nothing more taken, even when full.
  assert.equal(takePlaces(record, asks('a', 3, 'm2'), 100, isAbsent, 1001).size, 0);
  assert.equal(record.taken.size, 3);
});

test('the partition budget is shared first come, and a refusal past it names the budget', () => {
  const record = emptyCount();
  assert.equal(takePlaces(record, asks('b', 20, 'b1', 'b2', 'b3', 'b4', 'b5'), 8, isAbsent, 1000).size, 0);
  const refused = takePlaces(record, asks('a', 20, 'a1', 'a2', 'a3', 'a4'), 8, isAbsent, 1000);
  assert.deepEqual([...refused.keys()], ['a4']);
  assert.deepEqual(refused.get('a4'), { limit: 3, partitionBudget: 8 });
  // An agent that is back counts for nothing in another's budget.
  absent.delete('b');
  try {
    assert.equal(takePlaces(record, asks('a', 20, 'a4'), 8, isAbsent, 1000).size, 0);
  } finally {
    absent.add('b');
  }
});

test("a holder's list replaces the places of what it holds; what it does not list yet stays counted", () => {
  const record = emptyCount();
  takePlaces(record, asks('a', 5, 'm1', 'm2', 'm3'), 100, isAbsent, 1000);
  publishHeld(record, [{ agent: 'a', queue: 5, ids: ['m1', 'm2', 'old'] }], 'n1@1', isAbsent, 1500, 60_000);
  assert.deepEqual([...record.taken.keys()], ['m3'], "m3 not in the holder's mailbox yet: still a place");
  assert.deepEqual(record.held.get('a')?.ids, ['m1', 'm2', 'old']);
  const refused = takePlaces(record, asks('a', 5, 'm4', 'm5'), 100, isAbsent, 1600);
  assert.deepEqual([...refused.keys()], ['m5'], '3 listed + 1 place + 1 more = 5 (the bound the holder listed)');
  assert.equal(takePlaces(record, asks('a', 5, 'old'), 100, isAbsent, 1600).size, 0, 'a repeat of a listed delivery is admitted');
});

test("a failover: the new holder's partial list keeps the old holder's deliveries counted, as places, until it lists them", () => {
  const record = emptyCount();
  publishHeld(record, [{ agent: 'a', queue: 5, ids: ['m1', 'm2', 'm3'] }], 'n1@1', isAbsent, 1000, 60_000);
  publishHeld(record, [{ agent: 'a', queue: 5, ids: ['m1'] }], 'n2@7', isAbsent, 2000, 60_000);
  assert.deepEqual(record.held.get('a'), { queue: 5, ids: ['m1'], node: 'n2@7' });
  assert.deepEqual(
    [...record.taken].map(([id, t]) => [id, t.at]),
    [
      ['m2', 2000],
      ['m3', 2000],
    ],
  );
  publishHeld(record, [{ agent: 'a', queue: 5, ids: ['m1', 'm2', 'm3'] }], 'n2@7', isAbsent, 3000, 60_000);
  assert.equal(record.taken.size, 0, 'caught up: all listed, no place left');
});

test('places older than their TTL go; an agent that is back leaves the record, which is then empty', () => {
  const record = emptyCount();
  takePlaces(record, asks('a', 5, 'lost'), 100, isAbsent, 1000);
  takePlaces(record, asks('b', 5, 'b1'), 100, isAbsent, 50_000);
  publishHeld(record, [], 'n1@1', isAbsent, 61_001, 60_000);
  assert.deepEqual([...record.taken.keys()], ['b1'], 'the place of a delivery never listed went after the TTL');
  publishHeld(record, [{ agent: 'b', queue: 5, ids: ['b1'] }], 'n1@1', isAbsent, 61_002, 60_000);
  absent.delete('b');
  try {
    publishHeld(record, [], 'n1@1', isAbsent, 61_003, 60_000);
    assert.ok(isEmptyCount(record));
  } finally {
    absent.add('b');
  }
});

test('stored canonically and read hostile: a damaged record or entry counts as absent', () => {
  const record = emptyCount();
  takePlaces(record, asks('a', 5, 'm2', 'm1'), 100, isAbsent, 1000);
  publishHeld(record, [{ agent: 'b', queue: 4, ids: ['y', 'x'] }], 'n1@1', isAbsent, 1000, 60_000);
  const text = serializeAbsentCount(record);
  assert.equal(serializeAbsentCount(parseAbsentCount(text)), text, 'read back the same');
  assert.ok(isEmptyCount(parseAbsentCount('{not json')));
  assert.ok(isEmptyCount(parseAbsentCount(undefined)));
  const partly = parseAbsentCount(
    JSON.stringify({
      held: [
        { agent: 'a', queue: -1, ids: [], node: 'n' },
        { agent: 'b', queue: 2, ids: ['x'], node: 'n' },
      ],
      taken: [
        { id: 7, agent: 'a', at: 1 },
        { id: '__proto__', agent: 'a', at: 1 },
      ],
    }),
  );
  assert.deepEqual([...partly.held.keys()], ['b']);
  assert.deepEqual([...partly.taken.keys()], ['__proto__'], 'an id is data, never an object key');
});

test('an expired place is dropped by a send too, so a partition nobody publishes in frees it', () => {
  const record = emptyCount();
  takePlaces(record, asks('a', 2, 'm1', 'm2'), 100, isAbsent, 1000);
  assert.equal(takePlaces(record, asks('a', 2, 'm3'), 100, isAbsent, 1500).size, 1, 'full while both places stand');
  dropExpiredPlaces(record, 1000 + 60_001, 60_000);
  assert.deepEqual([...record.taken.keys()], [], 'places older than the TTL are gone');
  assert.equal(takePlaces(record, asks('a', 2, 'm3'), 100, isAbsent, 61_002).size, 0, 'room again');
});
