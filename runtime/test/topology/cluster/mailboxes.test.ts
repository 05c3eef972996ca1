/**
 * What a cluster node does with mailboxes it may no longer serve (cluster-mailboxes.ts), on the real
 * bus, the in-memory log and the embedded registry: a moved partition's deliveries are dropped (the
 * new owner hands them out again), an undeployed agent's are dead-lettered, a name nobody deployed
 * waits out a grace period first, and a deployed agent's mail is never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Bus } from '../../../src/bus/bus.js';
import type { BusPort } from '../../../src/bus/port.js';
import { RESOLVED_UNKNOWN } from '../../../src/bus/resolution.js';
import { BusEvents } from '../../../src/bus/events.js';
import { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import { EmbeddedRegistry } from '../../../src/registry/embedded/embedded-registry.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import { ClusterDeployments } from '../../../src/topology/cluster/deployments.js';
import { ClusterMailboxes } from '../../../src/topology/cluster/mailboxes.js';
import type { AgentLifecycleEvent } from '../../../src/node/local-agents.js';
import { Instrumentation, type Delivery } from '@caxton/core';

const DIGEST = 'a'.repeat(64);
const record = (name: string): AgentRecord => ({
  name,
  artifactDigest: DIGEST,
  limits: { fuelPerMessage: 1000, memoryPages: 1 },
  config: {},
  version: 1,
  createdAt: 1,
  updatedAt: 1,
});

/** A log partitioned by placement key (decision 2189) moves what `relocate` is given; the test says what it keeps. */
type Relocating = MemoryMessageLog & {
  relocate?: (ds: readonly Delivery[]) => Promise<Delivery[]>;
  holds?: (d: Pick<Delivery, 'id'>) => boolean;
};

async function setup(t: { after: (fn: () => Promise<void>) => void }, keys = new Map<string, string>()) {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-cluster-mailboxes-'));
  // The placement keys etcd would fix (`control/placement/`): the embedded registry has none.
  const registry = Object.assign(new EmbeddedRegistry({ dir }), { placementKeyOf: (name: string) => keys.get(name) });
  await registry.open();
  const deployments = new ClusterDeployments(registry);
  await deployments.start();
  const log: Relocating = new MemoryMessageLog();
  let clock = 1_000_000;
  const local = new Set<string>();
  // Partition of an agent: the test decides; this node owns partitions 0 and 1 at first.
  const partition = new Map<string, number>();
  const logs: string[] = [];
  const deployed = new Set<string>();
  const bus = new Bus({
    log,
    nodeId: 'n1',
    platform: 'caxton',
    mailboxCapacity: 100,
    events: new BusEvents(),
    dispatch: { maxAttempts: 3, maxBatch: 16, maxInFlight: 1 },
  });
  let mailboxes!: ClusterMailboxes;
  // Nothing runs here: no agent is runnable, so what arrives stays in its mailbox for the test.
  const port: BusPort = {
    resolve: (name) => (deployed.has(name) ? name : RESOLVED_UNKNOWN),
    isAgent: (name) => deployed.has(name),
    execute: () => Promise.reject(new Error('no agent runs in this test')),
    isRunnable: () => false,
    sending: {},
    effects: { apply: async () => {}, forgetTimer: async () => {} },
    mailArrived: (agent) => mailboxes.notice(agent),
  };
  await bus.open(port);
  await bus.start();
  const events = new Instrumentation<AgentLifecycleEvent>();
  events.onType('agent-log', ({ agent, message }) => void logs.push(`${agent}: ${message}`));
  mailboxes = new ClusterMailboxes({
    bus,
    log,
    deployments,
    partitionOf: (a) => partition.get(a) ?? 0,
    isLocal: (a) => local.has(a),
    events,
    orphanGraceMs: 10_000,
    sweepMs: 20,
    now: () => clock,
  });
  mailboxes.start();
  t.after(async () => {
    mailboxes.stop();
    deployments.stop();
    await bus.stop();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  const send = async (to: string, n: number): Promise<void> => {
    deployed.add(to);
    for (let i = 0; i < n; i++)
      await bus.send({ performative: 'inform', receivers: [{ name: to }], content: `m${i}` }, { external: { name: 'operator@caxton' } });
    await new Promise((r) => setImmediate(r));
  };
  const settle = (ms = 80): Promise<void> => new Promise((r) => setTimeout(r, ms));
  return { registry, bus, log, local, partition, logs, send, settle, mailboxes, tick: (ms: number) => (clock += ms) };
}

test('a partition that moved away: its mailboxes are dropped without dead letters, the others stay', async (t) => {
  const s = await setup(t);
  await s.registry.putAgent(record('stays'));
  await s.registry.putAgent(record('moves'));
  s.partition.set('stays', 0);
  s.partition.set('moves', 1);
  s.local.add('stays').add('moves');
  await s.send('stays', 3);
  await s.send('moves', 4);
  assert.deepEqual([s.bus.mailboxDepth('stays'), s.bus.mailboxDepth('moves')], [3, 4]);
  s.mailboxes.assigned([0, 2]);
  assert.deepEqual([s.bus.mailboxDepth('stays'), s.bus.mailboxDepth('moves')], [3, 0]);
  assert.equal((await s.log.deadLetters()).length, 0, 'nothing dead-lettered: the new owner hands them out');
  assert.ok(s.logs.some((l) => l.startsWith('moves: 4 pending message(s) left to the node that now consumes partition 1')));
});

test('an undeployed agent: what is pending, and what arrives later, is dead-lettered', async (t) => {
  const s = await setup(t);
  await s.registry.putAgent(record('gone'));
  await s.send('gone', 2);
  await s.registry.deleteAgent('gone');
  await s.settle();
  const letters = await s.log.deadLetters();
  assert.equal(letters.length, 2);
  assert.match(letters[0]!.reason, /agent gone was undeployed/);
  assert.equal(s.bus.mailboxDepth('gone'), 0);
  // A send that raced the undeploy on another node arrives later: dead-lettered on arrival.
  await s.send('gone', 1);
  await s.settle();
  assert.equal((await s.log.deadLetters()).length, 3);
});

test('a name this node never saw deployed: kept for the grace period (a deploy may be on its way), then dead-lettered', async (t) => {
  const s = await setup(t);
  await s.send('unknown-yet', 2);
  await s.settle();
  assert.equal(s.bus.mailboxDepth('unknown-yet'), 2, 'within the grace period the mail waits');
  s.tick(5_000);
  await s.settle();
  assert.equal(s.bus.mailboxDepth('unknown-yet'), 2);
  s.tick(6_000);
  await s.settle();
  assert.equal(s.bus.mailboxDepth('unknown-yet'), 0);
  const letters = await s.log.deadLetters();
  assert.equal(letters.length, 2);
  assert.match(letters[0]!.reason, /is not deployed \(for 10 s\)/);
});

test('mail for a deployed agent that does not run here (yet) is left alone', async (t) => {
  const s = await setup(t);
  await s.registry.putAgent(record('elsewhere'));
  await s.send('elsewhere', 2);
  s.tick(60_000);
  await s.settle();
  assert.equal(s.bus.mailboxDepth('elsewhere'), 2);
  assert.equal((await s.log.deadLetters()).length, 0);
});

test('an agent placed by another’s key, running elsewhere: the sweep moves its mail home and keeps what was read at home, in order (decision 2189)', async (t) => {
  const s = await setup(t, new Map([['ping', 'echo']]));
  const given: string[][] = [];
  let fail = false;
  s.log.relocate = async (ds) => {
    given.push(ds.map((d) => d.message.content as string));
    if (fail) throw new Error('broker unreachable');
    return ds.filter((d) => d.message.content === 'm1' || d.message.content === 'm3'); // read at home
  };
  await s.registry.putAgent(record('ping'));
  await s.send('ping', 4);
  await s.settle();
  assert.deepEqual(given[0], ['m0', 'm1', 'm2', 'm3'], 'its whole mailbox, in order');
  assert.ok(
    s.logs.some((l) => l === "ping: 2 pending message(s) moved to its placement key's partition 0"),
    s.logs.join('\n'),
  );
  const before = given.length;
  fail = true;
  await s.settle();
  assert.ok(given.length > before, 'tried again at each sweep');
  assert.equal(s.bus.mailboxDepth('ping'), 2, 'a failed move keeps the mail');
  assert.ok(s.logs.some((l) => l.startsWith("ping: pending messages not moved to its placement key's partition yet")));
  fail = false;
  s.local.add('ping'); // placed here now: nothing more is moved
  const calls = given.length;
  await s.settle();
  assert.equal(given.length, calls);
  assert.deepEqual(
    s.bus.forget('ping').map((d) => d.message.content),
    ['m1', 'm3'],
    'kept in front, in their order',
  );
});

test('an agent placed by another’s key whose home moved away: what the log no longer holds here goes, the rest stays for the sweep', async (t) => {
  const s = await setup(t, new Map([['ping', 'echo']]));
  await s.registry.putAgent(record('ping'));
  s.local.add('ping'); // running here until now: the sweep leaves it alone
  s.partition.set('ping', 1);
  await s.send('ping', 3);
  const mail = s.bus.forget('ping');
  s.bus.restore(mail);
  // The first two were read from a partition still owned here (before its key was known), the third at home.
  const held = new Set(mail.slice(0, 2).map((d) => d.id));
  s.log.holds = (d) => held.has(d.id);
  s.log.relocate = async (ds) => [...ds];
  s.mailboxes.assigned([0]);
  assert.deepEqual(
    s.bus.forget('ping').map((d) => d.message.content),
    ['m0', 'm1'],
    'its home partition’s one left to the new owner; the others kept, in order',
  );
  assert.equal((await s.log.deadLetters()).length, 0);
});
