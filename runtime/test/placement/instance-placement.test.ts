/**
 * Where keyed instances of a kind run in a Kafka cluster (decision 2060): key → partition → node,
 * both steps consistent hashing. Losing a node moves only its instances (to the survivors, spread
 * over them); a joining node takes only instances it now wins; every node computes the same owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceNode, partitionOwner } from '../../src/log/kafka/partition-placement.js';
import { partitionFor } from '../../src/log/kafka/partitioner.js';

const PARTITIONS = 12;
const KEYS = Array.from({ length: 20_000 }, (_, i) => `counter/key-${i}`);

function placeAll(nodes: readonly string[]): Map<string, string> {
  return new Map(KEYS.map((k) => [k, instanceNode(k, PARTITIONS, nodes)!]));
}

test('an instance runs where its partition is consumed, whatever the order the nodes are listed in', () => {
  const nodes = ['n1', 'n2', 'n3'];
  for (const k of KEYS.slice(0, 2000)) {
    const owner = instanceNode(k, PARTITIONS, nodes);
    assert.equal(owner, partitionOwner(partitionFor(k, PARTITIONS), nodes));
    assert.equal(owner, instanceNode(k, PARTITIONS, [...nodes].reverse()));
  }
  assert.equal(instanceNode('counter/alice', PARTITIONS, []), undefined, 'no live node: no owner');
});

test('losing a node moves exactly its instances, spread over the survivors; the others stay put', () => {
  const before = placeAll(['n1', 'n2', 'n3']);
  const after = placeAll(['n1', 'n2']);
  const moved = new Map<string, number>();
  for (const k of KEYS) {
    if (before.get(k) === 'n3') {
      const to = after.get(k)!;
      assert.ok(to === 'n1' || to === 'n2');
      moved.set(to, (moved.get(to) ?? 0) + 1);
    } else {
      assert.equal(after.get(k), before.get(k), `${k} stayed on ${before.get(k)}`);
    }
  }
  const lost = [...before.values()].filter((n) => n === 'n3').length;
  assert.ok(lost > 0, 'n3 owned some keys');
  assert.equal((moved.get('n1') ?? 0) + (moved.get('n2') ?? 0), lost);
});

test('a joining node takes only keys it now owns, and about its share of them', () => {
  const before = placeAll(['n1', 'n2', 'n3']);
  const after = placeAll(['n1', 'n2', 'n3', 'n4']);
  let taken = 0;
  for (const k of KEYS) {
    if (after.get(k) === 'n4') taken++;
    else assert.equal(after.get(k), before.get(k), `${k} did not move between old nodes`);
  }
  // Placement is per partition (12 of them): n4 wins some partitions, never all, never none here.
  assert.ok(taken > 0 && taken < KEYS.length, `n4 took ${taken} of ${KEYS.length}`);
});
