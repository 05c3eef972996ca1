/**
 * A scale in a cluster, through any node (`ClusterReplicaCounts.scaleRecorded`, decisions 2091,
 * 2093, 2168) refuses an agent whose component writes state and one that keeps state — through the
 * bounded read (`refuseStateful(name, true)`) — and records nothing; past the read's bound (REPLICA_LIMITS.maxStateRecordsReadElsewhere) it is
 * refused `bus.kafka.state-read-bound` and records nothing; a scale to one reads nothing and is
 * recorded. The real AgentReplicas on the real embedded log (its bounded read answering within the
 * bound, as Kafka's reader does for a small partition, and refusing a crowded one as Kafka's does,
 * before any read); the residency records what it is asked to write. The owner's follow of a
 * stateful record scaled before decision 2168 sets it back to one, audited.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Instrumentation, REPLICA_LIMITS } from '@caxton/core';
import { AgentReplicas } from '../../src/node/replicas/index.js';
import { ClusterReplicaCounts } from '../../src/node/replicas/index.js';
import type { AgentHost } from '../../src/node/agent-host.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import type { AgentResidency } from '../../src/node/agent-residency.js';
import type { AgentLifecycleEvent, LocalAgents } from '../../src/node/local-agents.js';
import type { AgentStateStore } from '../../src/storage/ports.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { EmbeddedMessageLog } from '../../src/log/embedded/embedded-message-log.js';
import { KafkaStateReadBoundError } from '../../src/log/kafka/errors.js';
import { tempDir } from '../registry/helpers/tmp.js';

describe('a scale in a cluster', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let log: EmbeddedMessageLog;
  const within: string[] = [];
  const bounds: number[] = [];
  const recorded: string[] = [];
  let counts: ClusterReplicaCounts;

  before(async () => {
    dir = await tempDir('cluster-replica-counts');
    log = new EmbeddedMessageLog({ dir: path.join(dir.path, 'log'), fsync: 'never' });
    await log.open();
    await log.commitState('keeper', [{ key: 'count', value: '1' }]);
    const state: AgentStateStore = {
      readState: (agent) => log.readState(agent),
      commitState: (agent, writes) => log.commitState(agent, writes),
      clearState: (agent) => log.clearState(agent),
      readStateWithin: async (agent, maxRecords) => {
        within.push(agent);
        bounds.push(maxRecords);
        // A partition past the bound: refused before any record is read, as Kafka's reader does.
        if (agent === 'crowded') throw new KafkaStateReadBoundError(agent, { partition: 3, records: maxRecords + 1, maxRecords });
        return log.readState(agent);
      },
    };
    const host = { stateView: () => undefined } as unknown as AgentHost;
    const events = new Instrumentation<AgentLifecycleEvent>();
    const replicas = new AgentReplicas({ host, messaging: {} as AgentMessaging, events, state });
    const record = (name: string): AgentRecord =>
      ({ name, limits: {}, config: {}, artifactDigest: 'd', version: 1, createdAt: 1, updatedAt: 1 }) as AgentRecord;
    const residency = {
      upgradeBase: async (name: string) => (name === 'writer' ? { ...record(name), writesState: true } : record(name)),
      recordReplicas: async (name: string, n: number) => {
        recorded.push(`${name}=${n}`);
      },
    } as unknown as AgentResidency;
    counts = new ClusterReplicaCounts({
      events,
      local: { get: () => undefined } as unknown as LocalAgents,
      replicas,
      residency,
      refuseKindScale: () => {},
      status: async (name) => ({ name }) as never,
    });
  });

  after(async () => {
    await log?.close();
    await dir?.remove();
  });

  it('refuses an agent that keeps state, through the bounded read, and records nothing', async () => {
    await assert.rejects(counts.scaleRecorded('keeper', 3), (err: { code?: string; hint?: string }) => {
      assert.equal(err.code, 'agent.replicas-stateful');
      assert.ok(err.hint !== undefined && err.hint.length > 0);
      return true;
    });
    assert.deepEqual(within, ['keeper'], "the non-owner's bounded read was used");
    assert.deepEqual(recorded, [], 'no count written');
  });

  it('reads no more than REPLICA_LIMITS.maxStateRecordsReadElsewhere: past it the scale is refused bus.kafka.state-read-bound, nothing recorded', async () => {
    within.length = 0;
    bounds.length = 0;
    recorded.length = 0;
    await assert.rejects(counts.scaleRecorded('crowded', 2), (err: { code?: string; hint?: string }) => {
      assert.equal(err.code, 'bus.kafka.state-read-bound');
      assert.match(err.hint ?? '', /ask the node that runs crowded/);
      return true;
    });
    assert.deepEqual(bounds, [REPLICA_LIMITS.maxStateRecordsReadElsewhere], 'the bound asked is the limit');
    assert.deepEqual(recorded, [], 'no count written');
  });

  it("records a stateless agent's count, and a scale to one without reading state", async () => {
    within.length = 0;
    await counts.scaleRecorded('plain', 3);
    await counts.scaleRecorded('keeper', 1);
    assert.deepEqual(within, ['plain']);
    assert.deepEqual(recorded, ['plain=3', 'keeper=1']);
  });

  it('refuses a component that writes state before reading anything, and records nothing', async () => {
    within.length = 0;
    recorded.length = 0;
    await assert.rejects(counts.scaleRecorded('writer', 2), (err: { code?: string; message?: string; hint?: string }) => {
      assert.equal(err.code, 'agent.replicas-stateful');
      assert.match(err.message ?? '', /imports durable state writes/);
      return true;
    });
    assert.deepEqual(within, [], 'refused before the state read');
    assert.deepEqual(recorded, []);
  });
});

describe("the owner's follow of its record (decision 2168)", () => {
  it('sets a stateful record scaled before 2168 back to one, audited, with why in its log; a stateless count is only copied', async () => {
    const events = new Instrumentation<AgentLifecycleEvent>();
    const lines: string[] = [];
    events.on((e) => {
      if (e.type === 'agent-log') lines.push(`${e.level} ${e.message}`);
    });
    const base = { limits: {}, config: {}, artifactDigest: 'd', version: 1, createdAt: 1, updatedAt: 1 };
    const agents = new Map<string, { record: AgentRecord; state: 'running' }>([
      ['keeper', { record: { ...base, name: 'keeper', writesState: true } as AgentRecord, state: 'running' }],
      ['plain', { record: { ...base, name: 'plain' } as AgentRecord, state: 'running' }],
    ]);
    const local = { get: (name: string) => agents.get(name) } as unknown as LocalAgents;
    const persisted: string[] = [];
    const audited: Array<Record<string, string>> = [];
    const replicas = new AgentReplicas({
      host: { stateView: () => undefined } as unknown as AgentHost,
      messaging: {} as AgentMessaging,
      events,
      current: (name) => agents.get(name)?.record,
      persist: async (name, n) => {
        persisted.push(`${name}=${n}`);
      },
      writes: (name, n) => (agents.get(name)?.record.replicas ?? 1) !== n,
    });
    replicas.auditWith((_name, fields, effect) => {
      audited.push(fields);
      return effect();
    });
    const counts = new ClusterReplicaCounts({
      events,
      local,
      replicas,
      residency: {} as AgentResidency,
      refuseKindScale: () => {},
      status: async (name) => ({ name }) as never,
    });
    await counts.followReplicas({ ...agents.get('plain')!.record, replicas: 3 });
    assert.equal(agents.get('plain')!.record.replicas, 3, "the owner's copy takes the count");
    await counts.followReplicas({ ...agents.get('keeper')!.record, replicas: 3 });
    await replicas.exclusive('keeper', async () => {}); // the settle runs in the agent's lock: wait for it
    assert.deepEqual(persisted, ['keeper=1']);
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.replicas, '1');
    assert.equal(audited[0]!.recorded, '3');
    assert.match(audited[0]!.reason ?? '', /writes durable state/);
    assert.ok(
      lines.some((l) => l.startsWith('warn ') && /runs as one, not the 3 replicas/.test(l)),
      lines.join('\n'),
    );
  });
});
