/**
 * A scale asked on a node the agent does not run on (`ClusterReplicaCounts.scaleElsewhere`,
 * decision 2091; the only way to scale with replicas across nodes, decision 2093) refuses an agent
 * that keeps state — through the bounded read of a non-owner (`refuseStateful(name, true)`) — and
 * records nothing; past the read's bound (REPLICA_LIMITS.maxStateRecordsReadElsewhere) it is
 * refused `bus.kafka.state-read-bound` and records nothing; a scale to one reads nothing and is
 * recorded. The real AgentReplicas on the real embedded log (its bounded read answering within the
 * bound, as Kafka's reader does for a small partition, and refusing a crowded one as Kafka's does,
 * before any read); the residency records what it is asked to write.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Instrumentation, REPLICA_LIMITS } from '@caxton/core';
import { AgentReplicas } from '../../src/node/replicas.js';
import { ClusterReplicaCounts } from '../../src/node/cluster-replica-counts.js';
import type { AgentHost } from '../../src/node/agent-host.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import type { AgentResidency } from '../../src/node/agent-residency.js';
import type { AgentLifecycleEvent, LocalAgents } from '../../src/node/local-agents.js';
import type { AgentStateStore } from '../../src/storage/ports.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { EmbeddedMessageLog } from '../../src/bus/embedded/embedded-message-log.js';
import { KafkaStateReadBoundError } from '../../src/bus/kafka/errors.js';
import { tempDir } from '../registry/helpers/tmp.js';

describe('a scale through a node the agent does not run on', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let log: EmbeddedMessageLog;
  const within: string[] = [];
  const bounds: number[] = [];
  const recorded: string[] = [];
  let counts: ClusterReplicaCounts;

  before(async () => {
    dir = await tempDir('scale-elsewhere-stateful');
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
      upgradeBase: async (name: string) => record(name),
      recordReplicas: async (name: string, n: number) => {
        recorded.push(`${name}=${n}`);
      },
    } as unknown as AgentResidency;
    counts = new ClusterReplicaCounts({
      nodeId: 'n2',
      events,
      local: {} as LocalAgents,
      replicas,
      residency,
      scalable: () => {
        throw new Error('not asked elsewhere');
      },
      refuseKindScale: () => {},
      status: async (name) => ({ name }) as never,
    });
  });

  after(async () => {
    await log?.close();
    await dir?.remove();
  });

  it('refuses an agent that keeps state, through the bounded read, and records nothing', async () => {
    await assert.rejects(counts.scaleElsewhere('keeper', 3), (err: { code?: string; hint?: string }) => {
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
    await assert.rejects(counts.scaleElsewhere('crowded', 2), (err: { code?: string; hint?: string }) => {
      assert.equal(err.code, 'bus.kafka.state-read-bound');
      assert.match(err.hint ?? '', /ask the node that runs crowded/);
      return true;
    });
    assert.deepEqual(bounds, [REPLICA_LIMITS.maxStateRecordsReadElsewhere], 'the bound asked is the limit');
    assert.deepEqual(recorded, [], 'no count written');
  });

  it("records a stateless agent's count, and a scale to one without reading state", async () => {
    within.length = 0;
    await counts.scaleElsewhere('plain', 3);
    await counts.scaleElsewhere('keeper', 1);
    assert.deepEqual(within, ['plain']);
    assert.deepEqual(recorded, ['plain=3', 'keeper=1']);
  });
});
