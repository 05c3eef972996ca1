/**
 * A scale's count is a compare-and-swap on the LIVE registry record (decision 2091, review
 * finding 1): a scale through one node (B) right after an undeploy, an upgrade or a
 * `stop --keep-queue` written through another (A) never undoes it — though B's watch mirror may
 * not have seen A's write yet. Real etcd, two registries (two nodes); PlacedAgents on B is given
 * an inert node around it (only its registry writes are under test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import type { EtcdRegistry } from '../../../src/registry/etcd/etcd-registry.js';
import { PlacedAgents } from '../../../src/topology/cluster/placed-agents.js';
import type { ResidencyContext } from '../../../src/node/agent-residency.js';
import type { ClusterDeployments } from '../../../src/topology/cluster/deployments.js';
import type { AgentRecord } from '../../../src/storage/records.js';
import { agentRecord } from '../../registry/fixtures.js';
import { useEtcd } from '../../registry/helpers/etcd-registries.js';

const server = useEtcd();
let prefixes = 0;

/** Two nodes' registries on one prefix, and node B's PlacedAgents (its API side: recordReplicas). */
async function twoNodes(): Promise<{ a: EtcdRegistry; b: EtcdRegistry; placedB: PlacedAgents }> {
  const prefix = `/scale${++prefixes}/`;
  const a = await server.registry({ prefix });
  const b = await server.registry({ prefix });
  const context = {
    nodeId: 'b',
    local: { has: () => false, get: () => undefined, names: () => [] },
    messaging: { mailboxDepth: () => 0 },
    bus: {},
    log: {},
    events: new Instrumentation(),
    kinds: { placeBy: () => {}, adopt: async () => {}, removed: async () => {}, isKind: () => false },
    // Its worker units share the node's budget of replica instances (decision 2168): none run here.
    replicas: { follow: async () => {}, leave: async () => {}, instances: () => 0, budget: () => 8, shareBudgetWith: () => {} },
    rollouts: { follow: async () => {}, leave: async () => {} },
  } as unknown as ResidencyContext;
  const placedB = new PlacedAgents(context, {
    registry: b,
    deployments: { has: () => true, onChange: () => {} } as unknown as ClusterDeployments,
    partitionOf: () => 0,
    completionWithinMs: 0,
    absentPerPartition: 128,
    retentionMs: 3_600_000,
    stateLoaded: async () => true,
  });
  return { a, b, placedB };
}

/** Deployed through A and seen by B's mirror: the state every race below starts from. */
async function deployedOnBoth(a: EtcdRegistry, b: EtcdRegistry, record: AgentRecord): Promise<void> {
  await a.putAgent(record);
  const end = Date.now() + 30_000; // returns as soon as seen; the bound is for a loaded CI machine
  while ((await b.getAgent(record.name)) === undefined) {
    if (Date.now() > end) throw new Error(`node B never saw ${record.name}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The record as `reg`'s mirror holds it once `done` says so (or after 30 s, for the assertion to show). */
async function seenOn(reg: EtcdRegistry, name: string, done: (r: AgentRecord | undefined) => boolean): Promise<AgentRecord | undefined> {
  const end = Date.now() + 30_000; // returns as soon as seen; the bound is for a loaded CI machine
  let r = await reg.getAgent(name);
  while (!done(r) && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 5));
    r = await reg.getAgent(name);
  }
  return r;
}

const ROUNDS = 10;

test('a scale through another node right after an undeploy is refused as unknown and brings nothing back', async () => {
  const { a, b, placedB } = await twoNodes();
  for (let i = 0; i < ROUNDS; i++) {
    const name = `gone${i}@p`;
    await deployedOnBoth(a, b, agentRecord(name));
    await a.deleteAgent(name); // `caxton stop` through A, returned
    await assert.rejects(
      placedB.recordReplicas(name, 3),
      (e: Error & { code?: string }) => e.code === 'agent.not-found',
      `round ${i}: the scale is refused as unknown`,
    );
    assert.equal(await a.getAgent(name), undefined, `round ${i}: the undeployed agent stays gone`);
  }
});

test('a scale through another node right after an upgrade keeps the new version', async () => {
  const { a, b, placedB } = await twoNodes();
  for (let i = 0; i < ROUNDS; i++) {
    const v1 = agentRecord(`up${i}@p`);
    await deployedOnBoth(a, b, v1);
    await a.putAgent(agentRecord(v1.name, 2)); // upgrade through A, returned
    await placedB.recordReplicas(v1.name, 3);
    const now = await seenOn(a, v1.name, (r) => r?.replicas === 3);
    assert.equal(now?.version, 2, `round ${i}: version 2 kept`);
    assert.equal(now?.replicas, 3, `round ${i}: the count written on it`);
  }
});

test('a scale through another node right after a stop --keep-queue is refused and the stop kept', async () => {
  const { a, b, placedB } = await twoNodes();
  for (let i = 0; i < ROUNDS; i++) {
    const record = agentRecord(`kept${i}@p`);
    await deployedOnBoth(a, b, record);
    await a.putAgent({ ...record, absentSince: Date.now(), updatedAt: Date.now() });
    await assert.rejects(
      placedB.recordReplicas(record.name, 3),
      (e: Error & { code?: string }) => e.code === 'agent.conflict' && /stopped/.test(e.message),
      `round ${i}: refused as stopped`,
    );
    const now = await a.getAgent(record.name);
    assert.ok(now?.absentSince !== undefined, `round ${i}: still stopped with its queue kept`);
    assert.equal(now?.replicas, undefined, `round ${i}: no count written`);
  }
});

test('updateAgent: concurrent writers each land once (a lost compare re-reads and decides again)', async () => {
  const { a, b } = await twoNodes();
  const name = 'many@p';
  await deployedOnBoth(a, b, { ...agentRecord(name), config: {} });
  // Eight concurrent read-modify-writes through two registries, each adding its own config key:
  // with a plain put, all but the last would be lost.
  const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
  const results = await Promise.allSettled(
    keys.map((k, i) =>
      (i % 2 === 0 ? a : b).updateAgent(name, (current) => current && { ...current, config: { ...current.config, [k]: 'x' } }),
    ),
  );
  const written = keys.filter((_, i) => results[i]!.status === 'fulfilled');
  // Under contention a writer may run out of attempts: then it is refused (typed), never lost silently.
  for (const r of results) if (r.status === 'rejected') assert.match(String((r.reason as Error).message), /conflict/);
  assert.ok(written.length >= 1);
  const stored = await seenOn(a, name, (r) => Object.keys(r?.config ?? {}).length >= written.length);
  assert.deepEqual(Object.keys(stored!.config).sort(), written.sort(), 'every write that returned is in the record');
  // `decide` returning undefined writes nothing.
  assert.equal(await a.updateAgent(name, () => undefined), undefined);
  assert.equal(await a.updateAgent('absent@p', (current) => current), undefined, 'an absent record is passed as undefined');
  assert.equal(await a.getAgent('absent@p'), undefined);
});
