/**
 * Replica 1's view and the scale (decision 2010). Replica 1 applies a handling's writes to its view
 * when it runs it, and with early release (decision 0900) the store may not hold them yet.
 *
 * - A scale-up counts own keys in the store AND in that view, and waits for a handling that began
 *   before it: a replica loads its view from the store once, at its start, so an own write only in
 *   replica 1's view would be unseen by replica 2 for as long as the agent stays scaled.
 * - A dropped write of replica 1 (an item before it, on another replica, did not complete) is undone
 *   in its view alone (finding 6): the old reset read the store and lost writes still settling.
 *   Since the scale counts the view, an own key can no longer be in it while scaled and unsettled:
 *   the route left is a reserved record, the pending-HTTP record of a call replica 1 made and whose
 *   commit is still settling. The agent never reads it, so the test asserts the view itself.
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
import { Instrumentation, isReservedStateKey, ReplicaRewindError, type AclMessage, type Performative, type StateWrite } from '@caxton/core';
import { AgentReplicas, replicaKey } from '../../src/node/replicas/index.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { SandboxAgentHost } from '../../src/node/sandbox-host.js';
import type { AgentHost } from '../../src/node/agent-host.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import { LocalAgents, type AgentLifecycleEvent, type LocalAgent } from '../../src/node/local-agents.js';
import type { ExecutionResult, WorkItem } from '../../src/bus/executor.js';
import type { AgentRecord } from '../../src/storage/records.js';
import { EmbeddedMessageLog } from '../../src/log/embedded/embedded-message-log.js';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents } from '../../src/bus/events.js';
import { DEFAULT_LIMITS } from '../../src/start/options.js';
import { tempDir } from '../registry/helpers/tmp.js';
import { artifact } from '../api/support/rollout-node.js';

describe("replicas: replica 1's view — a scale-up counts it, a dropped write is undone in it alone", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let log: EmbeddedMessageLog;
  let host: SandboxAgentHost;
  let messaging: AgentMessaging;
  let digest: string;
  let httpDigest: string;
  let seq = 0;

  before(async () => {
    dir = await tempDir('replica-view-rewind');
    log = new EmbeddedMessageLog({ dir: path.join(dir.path, 'log'), fsync: 'never' });
    await log.open();
    host = await SandboxAgentHost.create({ cacheDir: path.join(dir.path, 'cache'), shards: 2, state: log });
    digest = (await host.prepare(await artifact('as-replica-echo', 'as-replica-echo'))).digest;
    httpDigest = (await host.prepare(await artifact('js-http-agent', 'js-http-agent'))).digest;
    // The identities and wake-ups are the bus's (it is not opened: nothing is dispatched but what the test executes).
    const bus = new Bus({
      log,
      state: log,
      nodeId: 'n1',
      platform: 'caxton',
      mailboxCapacity: 100,
      events: new BusEvents(),
      dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 8, maxInFlight: 2 },
    });
    messaging = {
      wake: (agent) => bus.wake(agent),
      idle: (agent) => bus.idle(agent),
      forget: (agent) => bus.forget(agent),
      deadLetter: (letter) => bus.deadLetter(letter),
      agentId: (name) => bus.agentId(name),
      mailboxDepth: (name) => bus.mailboxDepth(name),
    };
  });

  after(async () => {
    await host?.close();
    await log?.close();
    await dir?.remove();
  });

  const record = (name: string): AgentRecord => ({
    name,
    limits: DEFAULT_LIMITS,
    config: {},
    artifactDigest: digest,
    version: 1,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  /** The js-http-agent, allowed to call a local port (nothing listens: the calls are never sent, only recorded as pending). */
  const httpRecord = (name: string): AgentRecord => ({
    ...record(name),
    artifactDigest: httpDigest,
    config: { 'service-url': 'http://localhost:9/lookup' },
    http: { ...nodeDefaultHttpPolicy(), allow: [{ host: 'localhost', ports: [9], allowPrivate: true }] },
  });
  const item = (agent: string, conversationId: string, content: string, performative: Performative = 'request'): WorkItem => {
    const id = `m${++seq}`;
    const message: AclMessage = {
      performative,
      sender: { name: 'tester@caxton' },
      receivers: [{ name: `${agent}@caxton` }],
      content,
      conversationId,
    };
    return {
      kind: 'delivery',
      agent,
      delivery: { id: `${id}:${agent}`, messageId: id, receiver: agent, message, acceptedAt: Date.now() },
      attempt: 1,
    };
  };
  /** What the agent answered (`replica=<n> count=<k> <answer>`), or the outcome of an item that did not run to completion. */
  const answer = (r: ExecutionResult): string => (r.outcome.status === 'ok' ? (r.outbox[0]?.content ?? '(no answer)') : r.outcome.status);
  /** The writes a completed batch commits (what the applier sends to the store), in batch order. */
  const writesOf = (rs: readonly ExecutionResult[]): StateWrite[] =>
    rs.flatMap((r) => (r.outcome.status === 'ok' || r.outcome.status === 'rejected' ? r.stateWrites : []));

  it("refuses a scale-up while an own write is in replica 1's view but not yet in the store", async () => {
    const replicas = new AgentReplicas({ host, messaging, events: new Instrumentation<AgentLifecycleEvent>(), state: log });
    const name = 'settling';
    await host.start({ deployment: record(name), identity: messaging.agentId(name) });
    const run = (items: readonly WorkItem[]): Promise<ExecutionResult[]> => host.execute(items);
    // An add whose commit is still settling (the applier has not reached the store: nothing commits here).
    const add = await replicas.execute([item(name, 'b', 'add')], run);
    assert.match(answer(add[0]!), /add=1$/);
    assert.equal((await log.readState(name)).size, 0, 'the store does not hold it yet');
    await assert.rejects(replicas.scale(record(name), 2), (err: { code?: string }) => err.code === 'agent.replicas-stateful');
    assert.equal(replicas.count(name), 1);
    // Nothing answers from a replica that never saw n: every get is replica 1's.
    const gets = await replicas.execute([item(name, 'b', 'get'), item(name, 'a', 'get')], run);
    assert.deepEqual(gets.map(answer), ['replica=1 count=2 get=1', 'replica=1 count=3 get=1']);
    await host.stop(name, true);
  });

  it('refuses a scale-up issued while an add is still running, once the add came back, and stops the replica it started', async () => {
    const name = 'inflight';
    await host.start({ deployment: record(name), identity: messaging.agentId(name) });
    // The add runs longer than replica 2's start: it reaches the sandbox only once replica 2 has
    // started (the host is the real one; only its start tells the test when it is done).
    let replicaStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      replicaStarted = resolve;
    });
    const timed = Object.assign(Object.create(host) as AgentHost, {
      start: async (spec: Parameters<AgentHost['start']>[0]) => {
        const init = await host.start(spec);
        if (spec.deployment.name === replicaKey(name, 2)) replicaStarted();
        return init;
      },
    });
    const replicas = new AgentReplicas({ host: timed, messaging, events: new Instrumentation<AgentLifecycleEvent>(), state: log });
    const adding = replicas.execute([item(name, 'b', 'add')], async (items) => {
      await started;
      return host.execute(items);
    });
    await assert.rejects(replicas.scale(record(name), 2), (err: { code?: string }) => err.code === 'agent.replicas-stateful');
    assert.match(answer((await adding)[0]!), /^replica=1 count=1 add=1$/);
    assert.equal(replicas.count(name), 1);
    assert.equal(await host.stats(replicaKey(name, 2)), undefined, 'the replica started for the refused scale is stopped');
    await host.stop(name, true);
  });

  /**
   * Starts the js-http-agent `name`, scales it to 2 (its state is empty), pins conversation b on
   * replica 1 and a on replica 2 (an `inform` is not understood: the answer pins its conversation),
   * then runs batch N: replica 1 makes a call (its pending record in replica 1's view, its commit
   * not yet in the store — the applier of an early-released batch still settling; a reserved record
   * does not scale the agent back), then batch N+1: replica 2 is not running (stopped under it), so
   * replica 1's second call, after it, does not commit.
   */
  async function dropACallWhilePreviousSettles(
    name: string,
    replicas: AgentReplicas,
  ): Promise<{ pending: string; batchN: ExecutionResult[] }> {
    await host.start({ deployment: httpRecord(name), identity: messaging.agentId(name) });
    const run = (items: readonly WorkItem[]): Promise<ExecutionResult[]> => host.execute(items);
    await replicas.scale(httpRecord(name), 2);
    const pins = await replicas.execute([item(name, 'b', 'pin', 'inform'), item(name, 'a', 'pin', 'inform')], run);
    assert.deepEqual(
      pins.map((r) => [r.outcome.status, r.outbox[0]?.performative]),
      [
        ['ok', 'not-understood'],
        ['ok', 'not-understood'],
      ],
    );
    const batchN = await replicas.execute([item(name, 'b', 'call 1')], run);
    const writes = batchN[0]!.stateWrites;
    assert.equal(writes.length, 1);
    assert.ok(isReservedStateKey(writes[0]!.key) && writes[0]!.value !== null, 'the call is recorded as pending, a reserved record');
    assert.equal(replicas.count(name), 2, 'a reserved record does not scale the agent back');
    await host.stop(replicaKey(name, 2), true);
    const batchN1 = await replicas.execute([item(name, 'a', 'call on 2'), item(name, 'b', 'call 2')], run);
    assert.notEqual(batchN1[0]!.outcome.status, 'ok', 'replica 2 did not run it');
    assert.equal(batchN1[1]!.outcome.status, 'skipped', "replica 1's call, after it, does not commit");
    return { pending: writes[0]!.key, batchN };
  }

  it("keeps the previous batch's pending call in replica 1's view, not yet in the store, and undoes only the dropped one", async () => {
    const replicas = new AgentReplicas({ host, messaging, events: new Instrumentation<AgentLifecycleEvent>(), state: log });
    const { pending, batchN } = await dropACallWhilePreviousSettles('caller', replicas);
    // The old reset read the store (empty: batch N still settling) and lost this record from the view.
    assert.deepEqual([...host.stateView('caller')!.keys()], [pending], "batch N's record kept, the dropped call's undone");
    await log.commitState('caller', writesOf(batchN));
    assert.deepEqual([...(await log.readState('caller')).keys()], [pending]);
    await replicas.removeAll('caller', true);
    await host.stop('caller', true);
  });

  it('fails the agent typed when the rewind cannot be done, and takes its other replicas out', async () => {
    const failures: { name: string; code: string; message: string }[] = [];
    // The real host, less what a rewind needs: a sandbox that cannot show an agent's view.
    const blind = Object.assign(Object.create(host) as AgentHost, { stateView: undefined });
    const replicas = new AgentReplicas({
      host: blind,
      messaging,
      events: new Instrumentation<AgentLifecycleEvent>(),
      state: log,
      fail: (name, err) => void failures.push({ name, code: err.code, message: err.message }),
    });
    await dropACallWhilePreviousSettles('blind', replicas);
    assert.equal(failures.length, 1, 'failed once');
    assert.equal(failures[0]!.name, 'blind');
    assert.equal(failures[0]!.code, 'agent.replica-rewind-failed');
    assert.match(failures[0]!.message, /could not be rewound after a dropped write/);
    // Its replicas are out of the balancer at once: nothing more goes to replica 2.
    assert.equal(replicas.count('blind'), 1);
    await replicas.removeAll('blind', true);
    await host.stop('blind', true);
  });

  it("shows the rewind failure in the agent's status, over an older crash its sandbox recovered from", async () => {
    const name = 'crashed-before';
    const agents = new LocalAgents({
      nodeId: 'n1',
      host,
      messaging,
      events: new Instrumentation<AgentLifecycleEvent>(),
      onStarted: async () => undefined,
    });
    await agents.startInstance(record(name), messaging.agentId(name));
    const local: LocalAgent = { record: record(name), state: 'running', artifactSize: 0 };
    agents.add(local);
    const crash = await host.execute([item(name, 'b', 'crash-on-1')]);
    assert.equal(crash[0]!.outcome.status, 'crashed');
    assert.ok((await host.stats(name))?.lastError !== undefined, 'the sandbox keeps the crash as its last error');
    // What the lifecycle's `fail` for AgentReplicas does with a running agent.
    agents.fail(local, new ReplicaRewindError(name, 'its sandbox did not apply the rewound view'), 'failed');
    const status = await agents.status(name);
    assert.equal(status?.state, 'failed');
    assert.equal(status?.lastError?.code, 'agent.replica-rewind-failed');
    assert.equal(agents.isRunning(name), false, 'it is handed no more work');
    await host.stop(name, true);
  });
});
