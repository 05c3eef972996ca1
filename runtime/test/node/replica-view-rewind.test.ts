/**
 * Replica 1's dropped write is undone in its view alone (decision 2010, finding 6). Replica 1 applies
 * a handling's writes to its view when it runs it; when that handling does not commit (an item before
 * it, on another replica, did not complete) its writes must leave the view again — and nothing else
 * may: with early release (decision 0900) the agent's previous batch may still be settling, so the
 * store may not hold its writes yet. The old reset read the store and lost them (a later handling
 * wrote over them: a lost update); the view-only rewind undoes exactly the dropped writes.
 *
 * Driven at the lowest level that is still real: `AgentReplicas.execute` (the node's bus port
 * execute for a scaled agent) over the real sandbox host running the real AssemblyScript replica
 * echo on two shards, with the real embedded log as the state store. The test plays the applier's
 * part in one respect only, and says where: it commits a batch's writes to the store when the
 * applier would, late.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Instrumentation, type AclMessage, type StateWrite } from '@caxton/core';
import { AgentReplicas } from '../../src/node/replicas.js';
import { SandboxAgentHost } from '../../src/node/sandbox-host.js';
import type { AgentHost } from '../../src/node/agent-host.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import type { AgentLifecycleEvent } from '../../src/node/local-agents.js';
import type { ExecutionResult, WorkItem } from '../../src/bus/executor.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { EmbeddedMessageLog } from '../../src/bus/embedded/embedded-message-log.js';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents } from '../../src/bus/events.js';
import { DEFAULT_LIMITS } from '../../src/start/options.js';
import { tempDir } from '../registry/helpers/tmp.js';
import { artifact } from '../api/support/rollout-node.js';

describe('replicas: a dropped write of replica 1 is undone in its view only', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let log: EmbeddedMessageLog;
  let host: SandboxAgentHost;
  let messaging: AgentMessaging;
  let digest: string;
  let seq = 0;

  before(async () => {
    dir = await tempDir('replica-view-rewind');
    log = new EmbeddedMessageLog({ dir: path.join(dir.path, 'log'), fsync: 'never' });
    await log.open();
    host = await SandboxAgentHost.create({ cacheDir: path.join(dir.path, 'cache'), shards: 2, state: log });
    digest = (await host.prepare(await artifact('as-replica-echo', 'as-replica-echo'))).digest;
    // The identities and wake-ups are the bus's (it is not opened: nothing is dispatched but what the test executes).
    const bus = new Bus({ log, state: log, nodeId: 'n1', platform: 'caxton', mailboxCapacity: 100, events: new BusEvents(), dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 8, maxInFlight: 2 } });
    messaging = {
      wake: (agent) => bus.wake(agent), idle: (agent) => bus.idle(agent), forget: (agent) => bus.forget(agent),
      deadLetter: (letter) => bus.deadLetter(letter), agentId: (name) => bus.agentId(name), mailboxDepth: (name) => bus.mailboxDepth(name),
    };
  });

  after(async () => {
    await host?.close();
    await log?.close();
    await dir?.remove();
  });

  const record = (name: string): AgentRecord => ({ name, limits: DEFAULT_LIMITS, config: {}, artifactDigest: digest, version: 1, createdAt: Date.now(), updatedAt: Date.now() });
  const item = (agent: string, conversationId: string, content: string): WorkItem => {
    const id = `m${++seq}`;
    const message: AclMessage = { performative: 'request', sender: { name: 'tester@caxton' }, receivers: [{ name: `${agent}@caxton` }], content, conversationId };
    return { kind: 'delivery', agent, delivery: { id: `${id}:${agent}`, messageId: id, receiver: agent, message, acceptedAt: Date.now() }, attempt: 1 };
  };
  /** What the agent answered (`replica=<n> count=<k> <answer>`), or the outcome of an item that did not run to completion. */
  const answer = (r: ExecutionResult): string => (r.outcome.status === 'ok' ? r.outbox[0]?.content ?? '(no answer)' : r.outcome.status);
  /** The writes a completed batch commits (what the applier sends to the store), in batch order. */
  const writesOf = (rs: readonly ExecutionResult[]): StateWrite[] => rs.flatMap((r) => (r.outcome.status === 'ok' || r.outcome.status === 'rejected' ? r.stateWrites : []));

  /**
   * Starts `name` and runs, through `replicas`: batch N (one `add`, before the agent is scaled: n=1
   * in replica 1's view, its commit not yet in the store — the applier of an early-released batch
   * still settling), a scale to 2 (its check reads the store, which has no entry yet), the
   * conversations pinned (b on replica 1, a on replica 2), then batch N+1: replica 2 traps on the
   * first item and replica 1 runs an `add` (n=2 in its view) that therefore does not commit.
   */
  async function dropAWriteWhilePreviousSettles(name: string, replicas: AgentReplicas): Promise<{ batchN: ExecutionResult[] }> {
    await host.start({ deployment: record(name), identity: messaging.agentId(name) });
    const run = (items: readonly WorkItem[]): Promise<ExecutionResult[]> => host.execute(items);
    const batchN = await replicas.execute([item(name, 'b', 'add')], run);
    assert.match(answer(batchN[0]!), /^replica=1 count=1 add=1$/);
    await replicas.scale(record(name), 2);
    const pins = await replicas.execute([item(name, 'b', 'hi'), item(name, 'a', 'hi')], run);
    assert.deepEqual(pins.map(answer), ['replica=1 count=2 hi', 'replica=2 count=1 hi']);
    const batchN1 = await replicas.execute([item(name, 'a', 'crash-on-2'), item(name, 'b', 'add')], run);
    assert.deepEqual(batchN1.map((r) => r.outcome.status), ['crashed', 'skipped'], 'replica 2 trapped; replica 1\'s add, after it, does not commit');
    return { batchN };
  }

  it('keeps the previous batch\'s write in the view, not yet in the store: the next add counts 2 (the store read lost it: add=1)', async () => {
    const replicas = new AgentReplicas({ host, messaging, events: new Instrumentation<AgentLifecycleEvent>(), state: log });
    const { batchN } = await dropAWriteWhilePreviousSettles('counter', replicas);
    assert.deepEqual(new Map(host.stateView('counter')), new Map([['n', '1']]), 'replica 1\'s view: batch N\'s write kept, the dropped add undone');
    // Batch N's commit settles now (the applier's part, late); the store never saw the dropped add.
    await log.commitState('counter', writesOf(batchN));
    const next = await replicas.execute([item('counter', 'b', 'add')], (items) => host.execute(items));
    assert.match(answer(next[0]!), /add=2$/, 'the dropped add rerun: it counts 2, on top of batch N\'s 1');
    await log.commitState('counter', writesOf(next));
    assert.deepEqual(new Map(await log.readState('counter')), new Map([['n', '2']]));
    await replicas.removeAll('counter', true);
  });

  it('fails the agent typed when the rewind cannot be done, and takes its other replicas out', async () => {
    const failures: { name: string; code: string; message: string }[] = [];
    // The real host, less what a rewind needs: a sandbox that cannot show an agent's view.
    const blind = Object.assign(Object.create(host) as AgentHost, { stateView: undefined });
    const replicas = new AgentReplicas({
      host: blind, messaging, events: new Instrumentation<AgentLifecycleEvent>(), state: log,
      fail: (name, err) => void failures.push({ name, code: err.code, message: err.message }),
    });
    await dropAWriteWhilePreviousSettles('blind', replicas);
    assert.equal(failures.length, 1, 'failed once');
    assert.equal(failures[0]!.name, 'blind');
    assert.equal(failures[0]!.code, 'agent.replica-rewind-failed');
    assert.match(failures[0]!.message, /could not be rewound after a dropped write/);
    // Its replicas are out of the balancer at once: nothing more goes to replica 2.
    assert.equal(replicas.count('blind'), 1);
    await replicas.removeAll('blind', true);
  });
});
