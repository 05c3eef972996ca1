/**
 * Where the replicas of a scaled agent would run in a Kafka cluster (decision 2093): replica k is the
 * placement unit `<agent>#r<k>`, placed like a kind's instance (its partition's rendezvous owner).
 * Replica 1 is the agent's own placement; the units spread over the nodes by hashing; losing a node
 * moves only the units it held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceNode, replicaUnitNodes } from '../../src/log/kafka/partition-placement.js';

const PARTITIONS = 12;
const NODES = ['n1', 'n2', 'n3'];
const AGENTS = Array.from({ length: 3000 }, (_, i) => `svc-${i}`);

test("replica 1 is the agent's own placement, replica k the unit <agent>#r<k>", () => {
  for (const agent of AGENTS.slice(0, 200)) {
    const nodes = replicaUnitNodes(agent, 4, PARTITIONS, NODES);
    assert.equal(nodes.length, 4);
    assert.equal(nodes[0], instanceNode(agent, PARTITIONS, NODES));
    for (let k = 2; k <= 4; k++) assert.equal(nodes[k - 1], instanceNode(`${agent}#r${k}`, PARTITIONS, NODES));
  }
  assert.deepEqual(replicaUnitNodes('svc', 2, PARTITIONS, []), [undefined, undefined], 'no live node: no owner');
});

test('three replicas on three nodes use more than one node for most agents, as independent hashing predicts', () => {
  const spread = AGENTS.map((a) => new Set(replicaUnitNodes(a, 3, PARTITIONS, NODES)).size);
  const onOne = spread.filter((n) => n === 1).length / AGENTS.length;
  // Independent uniform placement: all three on one node with probability 1/9. Twelve partitions
  // over three nodes are not split exactly evenly, so allow a margin either way.
  assert.ok(onOne > 0.05 && onOne < 0.2, `${(onOne * 100).toFixed(1)} % of agents have every replica on one node`);
  const mean = spread.reduce((a, b) => a + b, 0) / AGENTS.length;
  assert.ok(mean > 2.0 && mean < 2.4, `on average ${mean.toFixed(2)} nodes of 3 (expected 3·(1 − (2/3)³) ≈ 2.11)`);
});

test('losing a node moves only the replica units it held', () => {
  for (const agent of AGENTS.slice(0, 500)) {
    const before = replicaUnitNodes(agent, 3, PARTITIONS, NODES);
    const after = replicaUnitNodes(agent, 3, PARTITIONS, ['n1', 'n2']);
    before.forEach((node, i) => {
      if (node !== 'n3') assert.equal(after[i], node, `${agent} replica ${i + 1} stays on ${node}`);
      else assert.ok(after[i] === 'n1' || after[i] === 'n2');
    });
  }
});
