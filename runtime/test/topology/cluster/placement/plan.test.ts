import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planPlacement, type Claim, type PlacementView } from '../../../../src/topology/cluster/placement/plan.js';
import { ownerOf } from '../../../../src/placement/rendezvous.js';
import { fencingVerdict } from '../../../../src/topology/cluster/placement/fencing.js';

const agents = Array.from({ length: 40 }, (_, i) => `a${i}`);

function view(partial: Partial<PlacementView>): PlacementView {
  return { self: 'n1', selfLease: 'L1', liveNodes: ['n1', 'n2'], agents, claims: new Map(), active: new Map(), ...partial };
}

test('claims exactly the unclaimed agents rendezvous hashing gives this node', () => {
  const p = planPlacement(view({}));
  assert.deepEqual(p.claim, agents.filter((a) => ownerOf(a, ['n1', 'n2']) === 'n1').sort());
  assert.ok(p.claim.length > 5 && p.claim.length < 35);
  assert.deepEqual([p.activate, p.release, p.deactivate], [[], [], []]);
});

test('never claims an agent someone else holds, even if it should be ours', () => {
  const ours = agents.filter((a) => ownerOf(a, ['n1', 'n2']) === 'n1');
  const claims = new Map<string, Claim>(ours.map((a, i) => [a, { node: 'n2', lease: 'L2', token: 100 + i }]));
  const p = planPlacement(view({ claims }));
  assert.deepEqual(p.claim, []);
});

test('hands back agents that should move, but only our own claims under our current lease', () => {
  const moving = agents.filter((a) => ownerOf(a, ['n1', 'n2']) === 'n2');
  const claims = new Map<string, Claim>(moving.map((a, i) => [a, { node: 'n1', lease: 'L1', token: 10 + i }]));
  claims.set('stale', { node: 'n1', lease: 'L0-previous-run', token: 5 });
  const active = new Map(moving.map((a, i) => [a, 10 + i]));
  const p = planPlacement(view({ claims, active, agents: [...agents, 'stale'] }));
  assert.deepEqual(
    p.release.map((r) => r.agent),
    [...moving].sort(),
  );
  assert.ok(!p.release.some((r) => r.agent === 'stale'), 'a claim under an old lease of ours is left to expire');
});

test('undeployed agents are released; agents active without our claim are deactivated', () => {
  const claims = new Map<string, Claim>([
    ['gone', { node: 'n1', lease: 'L1', token: 7 }],
    ['a1', { node: 'n2', lease: 'L2', token: 9 }],
  ]);
  const active = new Map([
    ['gone', 7],
    ['a1', 3],
    ['a2', 4],
  ]);
  const p = planPlacement(view({ claims, active }));
  assert.deepEqual(p.release, [{ agent: 'gone', token: 7 }]);
  assert.deepEqual(p.deactivate, ['a1', 'a2']);
});

test('a node that does not see itself live does not claim or release', () => {
  const p = planPlacement(view({ liveNodes: ['n2'] }));
  assert.deepEqual(p.claim, []);
  assert.deepEqual(p.release, []);
});

test("property: with create-if-absent claims, every node's plans converge to one claim per agent, at its rendezvous owner", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 60 }), (nNodes, nAgents) => {
      const nodes = Array.from({ length: nNodes }, (_, i) => `n${i}`);
      const names = Array.from({ length: nAgents }, (_, i) => `agent-${i}`);
      const claims = new Map<string, Claim>();
      let rev = 1;
      // Run every node's plan against the shared claim table until nothing changes, applying
      // claims with create-if-absent semantics as etcd does.
      for (let round = 0; round < 5; round++) {
        for (const self of nodes) {
          const p = planPlacement({ self, selfLease: `L-${self}`, liveNodes: nodes, agents: names, claims, active: new Map() });
          for (const a of p.claim) if (!claims.has(a)) claims.set(a, { node: self, lease: `L-${self}`, token: rev++ });
        }
      }
      for (const a of names) assert.equal(claims.get(a)?.node, ownerOf(a, nodes));
    }),
  );
});

test('fencing: ok only with the current token, a held claim and time left on the lease', () => {
  const base = { claimToken: 42, presentedToken: 42, validUntil: 10_000, now: 5_000, withinMs: 0 };
  assert.equal(fencingVerdict(base), 'ok');
  assert.equal(fencingVerdict({ ...base, claimToken: undefined }), 'not-owner');
  assert.equal(fencingVerdict({ ...base, presentedToken: 41 }), 'stale-token');
  assert.equal(fencingVerdict({ ...base, now: 10_000 }), 'lease-expiring');
  assert.equal(fencingVerdict({ ...base, withinMs: 5_000 }), 'lease-expiring');
  assert.equal(fencingVerdict({ ...base, withinMs: 4_999 }), 'ok');
  assert.equal(fencingVerdict({ ...base, validUntil: 0 }), 'lease-expiring');
});

test('with the Kafka placement key, every agent is claimed by the node the consumer group gives its partition', async () => {
  // The agreement decision 0600 rests on: placement (from etcd's live nodes) and the group's
  // caxton-rendezvous assigner (from the group members) pick the same node for an agent.
  const { placementKey, partitionFor, assignPartitions } = await import('../../../../src/log/kafka/index.js');
  const partitions = 12;
  const nodes = ['n1', 'n2', 'n3'];
  const names = Array.from({ length: 60 }, (_, i) => `probe-${i}`);
  const keyOf = (a: string): string => placementKey(a, partitions);
  const assignment = assignPartitions(
    partitions,
    nodes.map((n) => ({ memberId: `m-${n}`, nodeId: n })),
  );
  const claimedBy = new Map<string, string>();
  for (const self of nodes) {
    const p = planPlacement({ self, selfLease: `L-${self}`, liveNodes: nodes, agents: names, claims: new Map(), active: new Map(), keyOf });
    for (const a of p.claim) claimedBy.set(a, self);
  }
  assert.equal(claimedBy.size, names.length, 'every agent is claimed by exactly one node');
  for (const a of names) {
    const owner = claimedBy.get(a)!;
    assert.ok(
      assignment.get(`m-${owner}`)!.includes(partitionFor(a, partitions)),
      `${a} is placed on ${owner}, which consumes its partition`,
    );
  }
  // Agents sharing a partition share a node; the name-keyed placement would split them.
  const byPartition = new Map<number, Set<string>>();
  for (const a of names) {
    const set = byPartition.get(partitionFor(a, partitions)) ?? new Set<string>();
    set.add(claimedBy.get(a)!);
    byPartition.set(partitionFor(a, partitions), set);
  }
  for (const owners of byPartition.values()) assert.equal(owners.size, 1);
});
