/**
 * Properties of rendezvous placement (fast-check): one owner among live nodes; joins move ~1/N;
 * leaves move only the leaver's agents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ownerOf, placeAll, hash53 } from '../../src/placement/rendezvous.js';

const nodeIds = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 12 });
const agentNames = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,10}@[a-z]{1,6}$/), { minLength: 1, maxLength: 300 });

test('every agent has exactly one owner, and it is a live node; order of nodes does not matter', () => {
  fc.assert(
    fc.property(nodeIds, agentNames, (nodes, agents) => {
      const placed = placeAll(agents, nodes);
      const reversed = placeAll(agents, [...nodes].reverse());
      assert.equal(placed.size, agents.length);
      for (const a of agents) {
        assert.ok(nodes.includes(placed.get(a)!));
        assert.equal(reversed.get(a), placed.get(a));
      }
    }),
  );
});

test('removing a node moves only the agents it owned', () => {
  fc.assert(
    fc.property(
      nodeIds.filter((n) => n.length >= 2),
      agentNames,
      fc.nat(),
      (nodes, agents, pick) => {
        const gone = nodes[pick % nodes.length]!;
        const rest = nodes.filter((x) => x !== gone);
        const before = placeAll(agents, nodes);
        const after = placeAll(agents, rest);
        for (const a of agents) {
          if (before.get(a) !== gone) assert.equal(after.get(a), before.get(a), `${a} moved though its node stayed`);
          else assert.notEqual(after.get(a), gone);
        }
      },
    ),
  );
});

test('adding a node moves agents only TO the new node, about 1/N of them', () => {
  // Exactness: moved agents all go to the newcomer (from any property run).
  fc.assert(
    fc.property(nodeIds, agentNames, fc.stringMatching(/^new-[a-z0-9]{1,6}$/), (nodes, agents, newcomer) => {
      const before = placeAll(agents, nodes);
      const after = placeAll(agents, [...nodes, newcomer]);
      for (const a of agents) if (after.get(a) !== before.get(a)) assert.equal(after.get(a), newcomer);
    }),
  );
  // Fairness, on a population large enough for the share to be meaningful: 10k agents, N = 2..16.
  const agents = Array.from({ length: 10_000 }, (_, i) => `agent-${i}@platform`);
  for (let n = 1; n <= 15; n++) {
    const nodes = Array.from({ length: n }, (_, i) => `node-${i}`);
    const before = placeAll(agents, nodes);
    const after = placeAll(agents, [...nodes, `node-${n}`]);
    const moved = agents.filter((a) => before.get(a) !== after.get(a)).length / agents.length;
    const expected = 1 / (n + 1);
    // Binomial sd at 10k draws is < 0.5 percentage points; 25% relative slack is > 5 sd everywhere.
    assert.ok(
      Math.abs(moved - expected) < expected * 0.25,
      `N=${n + 1}: moved ${(moved * 100).toFixed(2)}%, expected ${(expected * 100).toFixed(2)}%`,
    );
  }
});

test('load is spread evenly across nodes', () => {
  const agents = Array.from({ length: 20_000 }, (_, i) => `a${i}`);
  const nodes = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const counts = new Map<string, number>();
  for (const owner of placeAll(agents, nodes).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  for (const [node, c] of counts) assert.ok(Math.abs(c - 4000) < 400, `${node} got ${c} of 20000`);
});

test('no nodes, no owner; the hash is stable across runs', () => {
  assert.equal(ownerOf('a', []), undefined);
  assert.equal(placeAll(['a'], []).size, 0);
  // cyrb53's published value for the empty string: placement must not drift between releases, or
  // every upgrade would reshuffle agents across the cluster.
  assert.equal(hash53(''), 3338908027751811);
  assert.equal(ownerOf('echo@p', ['n1', 'n2', 'n3']), ownerOf('echo@p', ['n3', 'n1', 'n2']));
});
