/**
 * What `caxton agents X` shows of an agent scaled across nodes (decision 2097), from the facts a
 * node reads: replica 1 is the agent where it runs, each unit on its placed node and active where
 * a presence entry says, a unit above the count shown while it still runs (a scale-down's drain),
 * counts only for what the answering node runs, and entries of other agents ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replicaUnitName } from '@caxton/core';
import { replicaUnitViews, type ReplicaUnitFacts } from '../../../src/topology/cluster/replica-unit-view.js';

const placedOn: Record<string, string> = {
  [replicaUnitName('svc', 2)]: 'n2',
  [replicaUnitName('svc', 3)]: 'n3',
  [replicaUnitName('svc', 4)]: 'n1',
};
const facts = (over: Partial<ReplicaUnitFacts> = {}): ReplicaUnitFacts => ({
  agent: 'svc',
  count: 3,
  agentNode: 'n1',
  agentActive: true,
  nodeOf: (unit) => placedOn[unit],
  active: [],
  handled: new Map(),
  ...over,
});

test('each replica on its placed node; active where a presence entry says; counts only where known', () => {
  assert.deepEqual(
    replicaUnitViews(
      facts({
        active: [{ unit: 'svc#r2', node: 'n2' }],
        handled: new Map([
          [1, 7],
          [2, 4],
        ]),
      }),
    ),
    [
      { replica: 1, node: 'n1', activeOn: ['n1'], handled: 7 },
      { replica: 2, node: 'n2', activeOn: ['n2'], handled: 4 },
      { replica: 3, node: 'n3', activeOn: [] },
    ],
  );
});

test("a unit above the count that still runs is shown; a moving unit shows both nodes; other agents' entries are not its", () => {
  const views = replicaUnitViews(
    facts({
      count: 2,
      active: [
        { unit: 'svc#r4', node: 'n1' },
        { unit: 'svc#r2', node: 'n3' },
        { unit: 'svc#r2', node: 'n2' },
        { unit: 'svc2#r3', node: 'n2' },
        { unit: 'svc#x', node: 'n2' },
      ],
    }),
  );
  assert.deepEqual(
    views.map((v) => [v.replica, v.node, v.activeOn]),
    [
      [1, 'n1', ['n1']],
      [2, 'n2', ['n2', 'n3']],
      [4, 'n1', ['n1']],
    ],
  );
});

test('replica 1 not running, and no live node for a unit', () => {
  const views = replicaUnitViews(facts({ count: 2, agentNode: '', agentActive: false, nodeOf: () => undefined }));
  assert.deepEqual(views, [
    { replica: 1, node: '', activeOn: [] },
    { replica: 2, node: '', activeOn: [] },
  ]);
});
