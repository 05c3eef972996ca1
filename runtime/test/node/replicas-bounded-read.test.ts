/**
 * A scale asked on a node the agent does not run on reads the agent's state through the bounded
 * read (`readStateWithin`, REPLICA_LIMITS.maxStateRecordsReadElsewhere): past the bound it is
 * refused `bus.kafka.state-read-bound` before any record is read, and the unbounded `readState`
 * (the whole partition) is never called. On the node the agent runs on, the plain read is used.
 *
 * Tested on `AgentReplicas.refuseStateful` itself (the check every scale path calls), with the real
 * embedded log holding an own key of the agent: if the bounded branch were dropped, the whole read
 * would find the key and refuse with `agent.replicas-stateful` instead. The state port is the real
 * log, with the cluster's bounded read standing in the way Kafka's reader refuses a big partition
 * (the error it raises, before any read).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Instrumentation, REPLICA_LIMITS } from '@caxton/core';
import { AgentReplicas } from '../../src/node/replicas/index.js';
import type { AgentHost } from '../../src/node/agent-host.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import type { AgentLifecycleEvent } from '../../src/node/local-agents.js';
import type { AgentStateStore } from '../../src/storage/ports.js';
import { EmbeddedMessageLog } from '../../src/log/embedded/embedded-message-log.js';
import { KafkaStateReadBoundError } from '../../src/log/kafka/errors.js';
import { tempDir } from '../registry/helpers/tmp.js';

describe('replicas: a scale through a non-owner reads the state bounded', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let log: EmbeddedMessageLog;
  const calls = { readState: 0, readStateWithin: [] as number[] };
  let replicas: AgentReplicas;

  before(async () => {
    dir = await tempDir('replicas-bounded-read');
    log = new EmbeddedMessageLog({ dir: path.join(dir.path, 'log'), fsync: 'never' });
    await log.open();
    await log.commitState('busy', [{ key: 'count', value: '1' }]);
    const state: AgentStateStore = {
      readState: async (agent) => {
        calls.readState++;
        return log.readState(agent);
      },
      commitState: (agent, writes) => log.commitState(agent, writes),
      clearState: (agent) => log.clearState(agent),
      readStateWithin: async (_agent, maxRecords) => {
        calls.readStateWithin.push(maxRecords);
        throw new KafkaStateReadBoundError('busy', { partition: 3, records: maxRecords * 2, maxRecords });
      },
    };
    // refuseStateful reads only the state port and the host's replica-1 view (none: the agent does not run here).
    const host = { stateView: () => undefined } as unknown as AgentHost;
    replicas = new AgentReplicas({ host, messaging: {} as AgentMessaging, events: new Instrumentation<AgentLifecycleEvent>(), state });
  });

  after(async () => {
    await log?.close();
    await dir?.remove();
  });

  it('elsewhere: refused bus.kafka.state-read-bound by the bounded read, the whole read never made', async () => {
    calls.readState = 0;
    calls.readStateWithin = [];
    await assert.rejects(replicas.refuseStateful('busy', true), (err: { code?: string; hint?: string }) => {
      assert.equal(err.code, 'bus.kafka.state-read-bound');
      assert.match(err.hint ?? '', /ask the node that runs busy/);
      return true;
    });
    assert.deepEqual(calls.readStateWithin, [REPLICA_LIMITS.maxStateRecordsReadElsewhere], 'bounded by the limit');
    assert.equal(calls.readState, 0, 'the unbounded read was not made');
  });

  it('on the owner: the plain read, which finds the own key and refuses the scale as stateful', async () => {
    calls.readState = 0;
    calls.readStateWithin = [];
    await assert.rejects(replicas.refuseStateful('busy'), { code: 'agent.replicas-stateful' });
    assert.equal(calls.readState, 1);
    assert.deepEqual(calls.readStateWithin, []);
  });
});
