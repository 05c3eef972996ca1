import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { assignPartitions, partitionOwner, placementKey } from '../../../src/log/kafka/partition-placement.js';
import { partitionFor } from '../../../src/log/kafka/partitioner.js';
import { ownerOf } from '../../../src/placement/rendezvous.js';

const nodeIds = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 8 });
const asMembers = (nodes: readonly string[]) => nodes.map((nodeId, i) => ({ memberId: `m-${i}-${nodeId}`, nodeId }));

describe('partition placement (rendezvous over node ids)', () => {
  it('assigns every partition exactly once, to the member of its rendezvous owner', () => {
    fc.assert(
      fc.property(nodeIds, fc.integer({ min: 1, max: 64 }), (nodes, n) => {
        const members = asMembers(nodes);
        const plan = assignPartitions(n, members);
        const all = [...plan.values()].flat().sort((a, b) => a - b);
        assert.deepEqual(
          all,
          Array.from({ length: n }, (_, p) => p),
        );
        for (const m of members) {
          for (const p of plan.get(m.memberId)!) assert.equal(partitionOwner(p, nodes), m.nodeId);
        }
      }),
    );
  });

  it('when a node joins, partitions only move to it; when it leaves, only its partitions move', () => {
    fc.assert(
      fc.property(nodeIds, fc.stringMatching(/^[A-Z]{1,6}$/), fc.integer({ min: 1, max: 64 }), (nodes, joiner, n) => {
        const before = Array.from({ length: n }, (_, p) => partitionOwner(p, nodes));
        const after = Array.from({ length: n }, (_, p) => partitionOwner(p, [...nodes, joiner]));
        for (let p = 0; p < n; p++) if (after[p] !== before[p]) assert.equal(after[p], joiner);
      }),
    );
  });

  it('agrees with the placement controller fed the agent placement key', () => {
    fc.assert(
      fc.property(nodeIds, fc.string({ minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 64 }), (nodes, agent, n) => {
        assert.equal(ownerOf(placementKey(agent, n), nodes), partitionOwner(partitionFor(agent, n), nodes));
      }),
    );
  });

  it('gives a node id claimed by two members (a stale session) to one member only', () => {
    const plan = assignPartitions(8, [
      { memberId: 'b-new', nodeId: 'node-1' },
      { memberId: 'a-old', nodeId: 'node-1' },
      { memberId: 'c', nodeId: 'node-2' },
    ]);
    assert.deepEqual(plan.get('b-new'), []);
    assert.equal((plan.get('a-old')?.length ?? 0) + (plan.get('c')?.length ?? 0), 8);
  });
});
