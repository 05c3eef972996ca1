/**
 * The state follows the agent (decision 1602): an agent placement activates on this node starts
 * only once this node consumes its partition and has read the state there, and not at all if the
 * activation ends first. The registry, placement, sandbox and log are small fakes here; the real
 * state loading is covered by runtime/test/bus/kafka/kafka-agent-state.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { PlacedAgents } from '../../../src/topology/cluster/placed-agents.js';
import type { PlacementController, PlacementEvent } from '../../../src/topology/cluster/placement/placement-controller.js';
import type { ResidencyContext } from '../../../src/node/agent-residency.js';
import type { EtcdRegistry } from '../../../src/registry/etcd/etcd-registry.js';
import type { ClusterDeployments } from '../../../src/topology/cluster/deployments.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import type { AgentLifecycleEvent, LocalAgent } from '../../../src/node/local-agents.js';

const record: AgentRecord = {
  name: 'counter', artifactDigest: 'a'.repeat(64), limits: { fuelPerMessage: 1000, memoryPages: 1 }, config: {}, version: 1, createdAt: 1, updatedAt: 1,
};

const until = async (what: string, p: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup() {
  const world = { loaded: false, owner: true, started: [] as { agent: string; loadedAtStart: boolean }[], asked: 0, logs: [] as string[] };
  const agents = new Map<string, LocalAgent>();
  const events = new Instrumentation<AgentLifecycleEvent>();
  events.on((e) => void world.logs.push(`${e.level} ${e.message}`));
  const context = {
    nodeId: 'n1',
    local: {
      get: (n: string) => agents.get(n), has: (n: string) => agents.has(n), add: (l: LocalAgent) => void agents.set(l.record.name, l),
      remove: (n: string) => void agents.delete(n), names: () => [...agents.keys()],
      startInstance: async (r: AgentRecord) => void world.started.push({ agent: r.name, loadedAtStart: world.loaded }),
      fail: (l: LocalAgent) => void (l.state = 'failed'),
    },
    host: { prepare: async () => {}, stop: async () => {} },
    artifacts: { get: async () => new Uint8Array([0, 97, 115, 109]) },
    messaging: { wake: () => {}, idle: async () => {}, agentId: (n: string) => ({ name: `${n}@p` }), mailboxDepth: () => 0 },
    bus: {}, log: {}, identity: (n: string) => ({ name: `${n}@p` }), events, onStopped: async () => {},
    // The kill switch holds nothing here (decision 1403).
    held: () => false,
  } as unknown as ResidencyContext;
  const placed = new PlacedAgents(context, {
    registry: { getAgent: async () => record, watch: () => () => {} } as unknown as EtcdRegistry,
    deployments: { has: () => true } as unknown as ClusterDeployments,
    partitionOf: () => 3,
    completionWithinMs: 0,
    absentPerPartition: 128,
    retentionMs: 7 * 24 * 3_600_000,
    stateLoaded: async () => {
      world.asked += 1;
      return world.loaded;
    },
  });
  const placementEvents = new Instrumentation<PlacementEvent>();
  placed.bind({ events: placementEvents, isStillOwner: () => world.owner } as unknown as PlacementController);
  const activate = () => placementEvents.emit({ type: 'activate', agent: 'counter', token: 7 });
  return { world, agents, placed, activate };
}

test('an activated agent starts only after its partition state is loaded here', async () => {
  const { world, agents, placed, activate } = setup();
  activate();
  await until('a few looks at the partition', () => world.asked >= 3);
  assert.deepEqual(world.started, [], 'not started while the partition is not assigned here');
  assert.equal(agents.get('counter')?.state, 'starting');
  world.loaded = true;
  await until('the start', () => world.started.length === 1);
  assert.deepEqual(world.started, [{ agent: 'counter', loadedAtStart: true }]);
  await until('running', () => agents.get('counter')?.state === 'running');
  placed.unbind();
});

test('an activation that ends while waiting for the state never starts the agent', async () => {
  const { world, placed, activate } = setup();
  activate();
  await until('a look at the partition', () => world.asked >= 1);
  world.owner = false;
  const asked = world.asked;
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(world.asked <= asked + 1, 'it stopped asking');
  world.loaded = true;
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(world.started, []);
  placed.unbind();
});
