/**
 * The state follows the agent (decision 1602): an agent placement activates on this node starts
 * only once this node consumes its partition and has read the state there, and not at all if the
 * activation ends first. A registry change is read when its step runs (decision 1990, *Cluster*):
 * a deploy right after a `stop --keep-queue` starts the new deployment. The registry, placement, sandbox and log are small fakes here; the real
 * state loading is covered by runtime/test/log/kafka/kafka-agent-state.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { PlacedAgents } from '../../../src/topology/cluster/placed-agents.js';
import { STATE_POLL_MS } from '../../../src/topology/cluster/placed-owner.js';
import type { PlacementController, PlacementEvent } from '../../../src/topology/cluster/placement/placement-controller.js';
import type { ResidencyContext } from '../../../src/node/agent-residency.js';
import type { EtcdRegistry } from '../../../src/registry/etcd/etcd-registry.js';
import type { ClusterDeployments } from '../../../src/topology/cluster/deployments.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import type { AgentLifecycleEvent, LocalAgent } from '../../../src/node/local-agents.js';

const record: AgentRecord = {
  name: 'counter',
  artifactDigest: 'a'.repeat(64),
  limits: { fuelPerMessage: 1000, memoryPages: 1 },
  config: {},
  version: 1,
  createdAt: 1,
  updatedAt: 1,
};

const until = async (what: string, p: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!p()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setup() {
  const world = {
    loaded: false,
    owner: true,
    started: [] as { agent: string; loadedAtStart: boolean }[],
    asked: 0,
    logs: [] as string[],
    /** How often placement answered "no longer the owner": the wait for the state ends at the first. */
    disowned: 0,
    /** The registry's record of the agent now; `watch` is the registry watch PlacedAgents installed. */
    record,
    watch: undefined as ((e: { kind: 'agent-put'; agent: AgentRecord }) => void) | undefined,
    /** While set, the message in hand has not finished (messaging.idle waits for it). */
    inHand: undefined as Promise<void> | undefined,
    /** A version whose component does not start (a failed upgrade). */
    failVersion: undefined as number | undefined,
  };
  const agents = new Map<string, LocalAgent>();
  const events = new Instrumentation<AgentLifecycleEvent>();
  events.on((e) => void world.logs.push(`${e.level} ${e.message}`));
  const context = {
    nodeId: 'n1',
    local: {
      get: (n: string) => agents.get(n),
      has: (n: string) => agents.has(n),
      add: (l: LocalAgent) => void agents.set(l.record.name, l),
      remove: (n: string) => void agents.delete(n),
      names: () => [...agents.keys()],
      startInstance: async (r: AgentRecord) => {
        if (r.version === world.failVersion) throw new Error(`version ${r.version} does not start`);
        world.started.push({ agent: r.name, loadedAtStart: world.loaded });
      },
      fail: (l: LocalAgent) => void (l.state = 'failed'),
    },
    host: { prepare: async () => {}, stop: async () => {} },
    artifacts: { get: async () => new Uint8Array([0, 97, 115, 109]) },
    messaging: { wake: () => {}, idle: async () => world.inHand, agentId: (n: string) => ({ name: `${n}@p` }), mailboxDepth: () => 0 },
    bus: {},
    log: {},
    identity: (n: string) => ({ name: `${n}@p` }),
    events,
    onStopped: async () => {},
    // The kill switch holds nothing here (decision 1403).
    held: () => false,
    // No kinds here (decision 2060): what PlacedAgents asks of them, inert.
    kinds: { placeBy: () => {}, adopt: async () => {}, removed: async () => {}, isKind: () => false, leave: async () => 0 },
    // Never scaled here (decisions 2091, 2168): inert; its worker units share the node's budget.
    replicas: { follow: async () => {}, leave: async () => {}, instances: () => 0, budget: () => 8, shareBudgetWith: () => {} },
    rollouts: { follow: async () => {}, leave: async () => {} },
  } as unknown as ResidencyContext;
  const placed = new PlacedAgents(context, {
    registry: {
      getAgent: async () => world.record,
      updateAgent: async (_name: string, f: (live: AgentRecord | undefined) => AgentRecord) => (world.record = f(world.record)),
      deregisterDf: async () => {},
      watch: (cb: (e: { kind: 'agent-put'; agent: AgentRecord }) => void) => ((world.watch = cb), () => {}),
    } as unknown as EtcdRegistry,
    deployments: { has: () => true, onChange: () => {} } as unknown as ClusterDeployments,
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
  placed.bind({
    events: placementEvents,
    isStillOwner: () => world.owner || ((world.disowned += 1), false),
  } as unknown as PlacementController);
  const activate = () => placementEvents.emit({ type: 'activate', agent: 'counter', token: 7 });
  const deactivate = (reason: 'membership-lost') => placementEvents.emit({ type: 'deactivate', agent: 'counter', reason });
  return { world, agents, placed, activate, deactivate };
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
  const { world, agents, placed, activate } = setup();
  activate();
  await until('a look at the partition', () => world.asked >= 1);
  world.owner = false;
  const asked = world.asked;
  // The wait for the state asks placement before and after each look: the first "no" ends it.
  await until('the activation to be seen ended', () => world.disowned >= 1);
  // The negative checks wait just over one poll period: a look or a start that came a period later would show.
  const overOnePoll = () => new Promise((r) => setTimeout(r, STATE_POLL_MS + 50));
  await overOnePoll();
  assert.ok(world.asked <= asked + 1, 'it stopped asking');
  world.loaded = true;
  await overOnePoll();
  assert.deepEqual(world.started, []);
  assert.equal(agents.get('counter')?.state, 'starting', 'left for the tear-down placement queues, never started');
  placed.unbind();
});

/** The registry writes `next` and its watch reports it (an etcd put seen by this node). */
function put(world: ReturnType<typeof setup>['world'], next: AgentRecord): void {
  world.record = next;
  world.watch!({ kind: 'agent-put', agent: next });
}

test('a deploy while a stop --keep-queue waits for the message in hand: the new deployment starts (decision 1990)', async () => {
  const { world, agents, placed, activate } = setup();
  world.loaded = true;
  activate();
  await until('running', () => agents.get('counter')?.state === 'running');
  let finish!: () => void;
  world.inHand = new Promise<void>((r) => (finish = r));
  put(world, { ...record, absentSince: 10, updatedAt: 10 });
  await until('the stop waiting for the message in hand', () => agents.get('counter')?.state === 'stopping');
  // Another deployment of the name (version 1 again, its own createdAt) lands meanwhile.
  put(world, { ...record, config: { fresh: '1' }, createdAt: 20, updatedAt: 20 });
  finish();
  await until(
    'the new deployment running',
    () => agents.get('counter')?.state === 'running' && agents.get('counter')?.record.createdAt === 20,
  );
  assert.equal(world.started.length, 2, 'started once per deployment');
  placed.unbind();
});

test('a stop --keep-queue and a deploy seen in one batch: the new deployment replaces the running one', async () => {
  const { world, agents, placed, activate } = setup();
  world.loaded = true;
  activate();
  await until('running', () => agents.get('counter')?.state === 'running');
  put(world, { ...record, absentSince: 10, updatedAt: 10 });
  put(world, { ...record, config: { fresh: '1' }, createdAt: 20, updatedAt: 20 });
  await until(
    'the new deployment running',
    () => agents.get('counter')?.state === 'running' && agents.get('counter')?.record.createdAt === 20,
  );
  assert.deepEqual(agents.get('counter')?.record.config, { fresh: '1' });
  placed.unbind();
});

test('an upgrade whose component does not start rolls back to the previous ontologies with the previous component (decision 2183)', async () => {
  const { world, agents, placed, activate } = setup();
  world.loaded = true;
  const orders = { orders: { type: 'object' } };
  world.record = { ...record, ontologies: orders };
  activate();
  await until('running', () => agents.get('counter')?.state === 'running');
  world.failVersion = 2;
  put(world, { ...record, version: 2, artifactDigest: 'b'.repeat(64), ontologies: { recipes: { type: 'string' } }, topics: ['t.*'] });
  await until('the roll-back recorded', () => world.record.version === 3);
  const running = agents.get('counter')!;
  assert.equal(running.state, 'running');
  assert.equal(running.record.artifactDigest, 'a'.repeat(64), 'the previous component runs');
  assert.deepEqual(running.record.ontologies, orders, 'checked against what the running component speaks');
  assert.deepEqual(world.record.ontologies, orders, 'and so recorded for every node');
  assert.deepEqual(world.record.topics, ['t.*'], 'the allow-list stays the narrower grant (decision 2050)');
  placed.unbind();
});

test('an upgrade waiting for the message in hand when the node loses the agent starts nothing of it here again (review finding 3)', async () => {
  const { world, agents, placed, activate, deactivate } = setup();
  world.loaded = true;
  activate();
  await until('running', () => agents.get('counter')?.state === 'running');
  let finish!: () => void;
  world.inHand = new Promise<void>((r) => (finish = r));
  put(world, { ...record, version: 2, artifactDigest: 'b'.repeat(64), updatedAt: 2 });
  await until('the upgrade waiting for the message in hand', () => agents.get('counter')?.state === 'upgrading');
  // The membership is lost: another node may claim and run the agent from now on.
  world.owner = false;
  deactivate('membership-lost');
  finish();
  await until('the agent gone from this node', () => !agents.has('counter'));
  assert.deepEqual(
    world.started.map((s) => s.agent),
    ['counter'],
    'version 2 never started here (nor version 1 again)',
  );
  assert.equal(world.record.version, 2, 'and no roll-back recorded by a node that no longer owns it');
  placed.unbind();
});
