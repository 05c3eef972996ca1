/**
 * The agent lifecycle as a unit, with the embedded residency: the real embedded registry and file
 * artifact store in a temporary directory, the real sandbox host running real example agents from
 * examples/ (built by scripts/test.mjs beforehand), a real bus over an in-memory log. Only the
 * dispatcher is replaced by a recorder whose drain (`idle`) the test releases by hand, so the order
 * "drain, then swap" can be observed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AgentLifecycle, ReservedAgentNameError } from '../../src/node/lifecycle/index.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../../src/start/options.js';
import type { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';
import { Bus } from '../../src/bus/bus.js';
import type { BusPort } from '../../src/bus/port.js';
import { RESOLVED_UNKNOWN } from '../../src/bus/resolution.js';
import { BusEvents } from '../../src/bus/events.js';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { AlreadyExistsError, NotFoundError } from '@caxton/core';
import { tempDir } from '../registry/helpers/tmp.js';
import { example } from '../support/examples.js';
import { embeddedLifecycle, openRegistryAndHost } from './support/lifecycle-wiring.js';

/** A drain the test releases: `idle(agent)` waits until `release()`. */
class HeldDrain {
  readonly asked: string[] = [];
  private waiting: (() => void)[] = [];
  hold = false;

  idle(agent: string): Promise<void> {
    this.asked.push(agent);
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

interface Harness {
  lifecycle: AgentLifecycle;
  registry: EmbeddedRegistry;
  log: MemoryMessageLog;
  bus: Bus;
  drain: HeldDrain;
  woken: string[];
  stopped: { agent: string; undeployed: boolean }[];
  lines: string[];
  close(): Promise<void>;
}

/** One node's worth of agent lifecycle over the data directory `dir` (reopenable). */
async function open(dir: string): Promise<Harness> {
  const log = new MemoryMessageLog();
  const { registry, host } = await openRegistryAndHost(dir, log);
  const drain = new HeldDrain();
  const woken: string[] = [];
  const stopped: Harness['stopped'] = [];
  const lines: string[] = [];
  let lifecycle: AgentLifecycle | undefined;
  const events = new BusEvents();
  const bus = new Bus({
    log,
    nodeId: 'n1',
    platform: 'test',
    mailboxCapacity: 100,
    events,
    dispatch: { maxAttempts: 3, maxBatch: 16, maxPerAgent: 1, maxInFlight: 1 },
  });
  // The bus's port: names resolve through the lifecycle under test; nothing is dispatched (the
  // lifecycle's own calls into the bus go through `messaging` below, which the test observes), so
  // accepted messages wait in their mailboxes where stop() must deal with them.
  const port: BusPort = {
    resolve: (name) => (lifecycle?.has(name) ? name : RESOLVED_UNKNOWN),
    isAgent: (name) => lifecycle?.has(name) ?? false,
    execute: () => Promise.reject(new Error('the lifecycle tests dispatch nothing')),
    isRunnable: () => false,
    sending: {},
    effects: { apply: async () => {}, forgetTimer: async () => {} },
    mailArrived: () => {},
  };
  const messaging: AgentMessaging = {
    wake: (agent) => void woken.push(agent),
    idle: (agent) => drain.idle(agent),
    forget: (agent) => bus.forget(agent),
    deadLetter: (letter) => log.deadLetter(letter),
    agentId: (name) => bus.agentId(name),
    mailboxDepth: (name) => bus.mailboxDepth(name),
  };
  lifecycle = embeddedLifecycle({
    dir,
    registry,
    host,
    bus,
    log,
    events,
    messaging,
    onStopped: async (agent, undeployed) => void stopped.push({ agent, undeployed }),
  });
  lifecycle.events.onType('agent-log', ({ agent, level, message }) => void lines.push(`${agent} ${level}: ${message}`));
  await bus.open(port);
  await bus.start();
  return {
    lifecycle,
    registry,
    log,
    bus,
    drain,
    woken,
    stopped,
    lines,
    async close() {
      await bus.stop();
      await host.close();
      await registry.close();
    },
  };
}

async function withNode(body: (h: Harness, dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir('lifecycle');
  const h = await open(dir.path);
  try {
    await body(h, dir.path);
  } finally {
    await h.close();
    await dir.remove();
  }
}

test('deploy starts the agent, records it in the registry and wakes it', async () => {
  await withNode(async (h) => {
    const echo = await example('as-echo');
    const status = await h.lifecycle.deploy({ name: 'echo', limits: {}, config: { greeting: 'hi' } }, echo);
    assert.equal(status.state, 'running');
    assert.equal(status.version, 1);
    assert.equal(status.nodeId, 'n1');
    assert.equal(status.artifactDigest, echo.sha256);
    assert.equal(status.artifactSize, echo.bytes.byteLength);
    assert.deepEqual(status.limits, DEFAULT_LIMITS);
    assert.ok(h.lifecycle.has('echo') && h.lifecycle.isLocal('echo') && h.lifecycle.isRunnable('echo'));
    assert.deepEqual(h.woken, ['echo']);
    const record = await h.registry.getAgent('echo');
    assert.equal(record?.version, 1);
    assert.deepEqual(record?.config, { greeting: 'hi' });
    assert.deepEqual(
      (await h.lifecycle.list()).map((a) => a.name),
      ['echo'],
    );
  });
});

test('the lifecycle tells its agent-log lines as events: typed, a throwing listener dropped, the others kept', async () => {
  await withNode(async (h) => {
    let faulty = 0;
    h.lifecycle.events.on(() => {
      faulty += 1;
      throw new Error('faulty observer');
    });
    const seen: string[] = [];
    h.lifecycle.events.onType('agent-log', (e) => void seen.push(`${e.type} ${e.agent} ${e.level}`));
    await h.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-echo'));
    await h.lifecycle.stop('echo', false);
    assert.deepEqual(seen, ['agent-log echo info', 'agent-log echo info']);
    assert.equal(faulty, 1, 'the throwing listener was removed after its first event');
    assert.ok(
      h.lines.some((l) => /^echo info: deployed version 1 /.test(l)),
      h.lines.join('\n'),
    );
    assert.ok(h.lines.includes('echo info: stopped'), h.lines.join('\n'));
  });
});

test('a settle of the replica count for an agent stopped meanwhile audits nothing: nothing is written (decision 2091, review finding 7)', async () => {
  await withNode(async (h) => {
    const audited: string[] = [];
    h.lifecycle.replicas.auditWith(async (agent, fields, effect) => {
      audited.push(`${agent} ${JSON.stringify(fields)}`);
      return effect();
    });
    await h.lifecycle.deploy({ name: 'gone', limits: {}, config: {} }, await example('as-echo'));
    await h.lifecycle.deploy({ name: 'kept', limits: {}, config: {} }, await example('as-echo'));
    await h.lifecycle.stop('gone', false);
    await h.lifecycle.stop('kept', false, true);
    // What a follow of a registry record saying 3 does when its scale fails because the agent stopped meanwhile.
    for (const name of ['gone', 'kept']) {
      h.lifecycle.replicas.settleAt(name, 3, `not run as 3 replicas on node n1: agent ${name} is stopped`);
      await h.lifecycle.replicas.exclusive(name, async () => {}); // queued behind the settle
    }
    // Before: both audited as settled to 1, though persist wrote nothing (gone: no agent; kept: its record says 1 already).
    assert.deepEqual(audited, []);
    assert.equal((await h.registry.getAgent('kept'))?.replicas, undefined, 'the kept record is as the stop wrote it');
    assert.ok(h.lines.includes('gone info: its record said 3 replicas, stopped: nothing to settle'), h.lines.join('\n'));
    assert.ok(h.lines.includes('kept info: its record said 3 replicas, its record already says 1: nothing to settle'), h.lines.join('\n'));
  });
});

test('a settle on a node that keeps no replica count (no registry to write, no kind store) audits nothing: persist writes nothing (decision 2101, review finding 1)', async () => {
  await withNode(async (h) => {
    const audited: string[] = [];
    h.lifecycle.replicas.auditWith(async (agent, fields, effect) => {
      audited.push(`${agent} ${JSON.stringify(fields)}`);
      return effect();
    });
    await h.lifecycle.deploy({ name: 'svc', limits: {}, config: {} }, await example('as-echo'));
    await h.lifecycle.scale('svc', 2);
    assert.equal(h.lifecycle.replicas.count('svc'), 2);
    // Running (2) differs from the recorded count (3) and from its record (1, nothing kept it): before,
    // the settle was audited and persist then returned without writing.
    h.lifecycle.replicas.settleAt('svc', 3, 'not run as 3 replicas on node n1');
    await h.lifecycle.replicas.exclusive('svc', async () => {}); // queued behind the settle
    assert.deepEqual(audited, []);
    assert.equal((await h.registry.getAgent('svc'))?.replicas, undefined);
    assert.ok(
      h.lines.includes('svc info: its record said 3 replicas, this node keeps no replica count: nothing to settle'),
      h.lines.join('\n'),
    );
  });
});

test('a second deploy of the same name is refused and leaves the first running', async () => {
  await withNode(async (h) => {
    await h.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-echo'));
    await assert.rejects(h.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-counter')), AlreadyExistsError);
    const status = await h.lifecycle.status('echo');
    assert.equal(status?.state, 'running');
    assert.equal(status?.artifactDigest, (await example('as-echo')).sha256);
  });
});

test('the name http is reserved (the platform answers HTTP calls as http@<platform>); its HTTP policy is stored with a deployment', async () => {
  await withNode(async (h) => {
    const err = await h.lifecycle.deploy({ name: 'http', limits: {}, config: {} }, await example('as-echo')).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ReservedAgentNameError, String(err));
    assert.match((err as ReservedAgentNameError).hint ?? '', /another name/);
    assert.equal(await h.lifecycle.status('http'), undefined);
    const policy = {
      allow: [{ host: 'api.example.com' }],
      timeoutMs: 1000,
      maxResponseBytes: 1000,
      maxRequestBytes: 1000,
      maxInFlight: 1,
      maxCallsPerHandling: 1,
      maxRedirects: 0,
    };
    const status = await h.lifecycle.deploy({ name: 'caller', limits: {}, config: {}, http: policy }, await example('as-echo'));
    assert.deepEqual(status.http, policy);
  });
});

test('deploy refuses a bad name and out-of-range limits before anything is stored', async () => {
  await withNode(async (h) => {
    await assert.rejects(h.lifecycle.deploy({ name: 'Not A Name', limits: {}, config: {} }, await example('as-echo')), {
      code: 'api.invalid',
    });
    await assert.rejects(
      h.lifecycle.deploy({ name: 'echo', limits: { memoryPages: MAX_LIMITS.memoryPages + 1 }, config: {} }, await example('as-echo')),
      /memory_pages/,
    );
    assert.deepEqual(await h.registry.listAgents(), []);
    assert.equal(h.lifecycle.has('echo'), false);
  });
});

test('upgrade bumps the version, drains the message in hand first, then swaps', async () => {
  await withNode(async (h) => {
    const echo = await example('as-echo');
    const counter = await example('as-counter');
    await h.lifecycle.deploy({ name: 'a', limits: {}, config: {} }, echo);
    h.drain.hold = true;
    const upgrading = h.lifecycle.upgrade({ name: 'a', limits: { fuelPerMessage: 5_000_000 } }, counter);
    while (h.drain.asked.length === 0) await new Promise((r) => setTimeout(r, 5));
    // Draining: no new work, and still the old version.
    const during = await h.lifecycle.status('a');
    assert.equal(during?.state, 'upgrading');
    assert.equal(during?.version, 1);
    assert.equal(h.lifecycle.isRunnable('a'), false);
    h.drain.release();
    const { agent, previousVersion } = await upgrading;
    assert.equal(previousVersion, 1);
    assert.equal(agent.version, 2);
    assert.equal(agent.state, 'running');
    assert.equal(agent.artifactDigest, counter.sha256);
    assert.equal(agent.limits.fuelPerMessage, 5_000_000);
    assert.equal(agent.limits.memoryPages, DEFAULT_LIMITS.memoryPages); // kept from version 1
    assert.equal((await h.registry.getAgent('a'))?.version, 2);
    assert.deepEqual(h.drain.asked, ['a']);
    assert.equal(h.woken.at(-1), 'a'); // woken again after the swap
  });
});

test('an upgrade whose init fails rolls back to the running version', async () => {
  await withNode(async (h) => {
    const puppet = await example('conformance/puppet');
    await h.lifecycle.deploy({ name: 'p', limits: {}, config: {} }, puppet);
    await assert.rejects(h.lifecycle.upgrade({ name: 'p', limits: {}, config: { 'fail-init-after': '0' } }, puppet), /init/);
    const status = await h.lifecycle.status('p');
    assert.equal(status?.state, 'running');
    assert.equal(status?.version, 1);
    assert.deepEqual(status?.config, {});
    assert.equal((await h.registry.getAgent('p'))?.version, 1);
  });
});

test('upgrade and stop of an unknown agent are NotFound', async () => {
  await withNode(async (h) => {
    await assert.rejects(h.lifecycle.upgrade({ name: 'ghost', limits: {} }, await example('as-echo')), NotFoundError);
    await assert.rejects(h.lifecycle.stop('ghost', false), NotFoundError);
    assert.equal(await h.lifecycle.status('ghost'), undefined);
  });
});

test('stop drains, removes the deployment and dead-letters what waited in the mailbox', async () => {
  await withNode(async (h) => {
    await h.lifecycle.deploy({ name: 'sink', limits: {}, config: {} }, await example('conformance/puppet'));
    // Nobody dispatches in this harness: the message stays, accepted, in the mailbox.
    const sent = await h.bus.send(
      { performative: 'inform', receivers: [{ name: 'sink@test' }], content: 'x' },
      { external: { name: 'operator@test' } },
    );
    assert.deepEqual(sent.accepted, ['sink']);
    while (h.bus.mailboxDepth('sink') === 0) await new Promise((r) => setTimeout(r, 5));
    const status = await h.lifecycle.stop('sink', false);
    assert.equal(status.state, 'stopped');
    assert.deepEqual(h.drain.asked, ['sink']);
    assert.equal(h.lifecycle.has('sink'), false);
    assert.equal(await h.registry.getAgent('sink'), undefined);
    assert.deepEqual(h.stopped, [{ agent: 'sink', undeployed: true }]);
    const letters = await h.log.deadLetters();
    assert.equal(letters.length, 1);
    assert.match(letters[0]!.reason, /agent sink was stopped before handling it/);
    assert.deepEqual(await h.lifecycle.list(), []);
  });
});

test('a forced stop skips the drain', async () => {
  await withNode(async (h) => {
    await h.lifecycle.deploy({ name: 'e', limits: {}, config: {} }, await example('as-echo'));
    const status = await h.lifecycle.stop('e', true);
    assert.equal(status.state, 'stopped');
    assert.deepEqual(h.drain.asked, []);
  });
});

test('a deploy whose init fails is refused and leaves nothing deployed', async () => {
  await withNode(async (h) => {
    await assert.rejects(
      h.lifecycle.deploy({ name: 'brittle', limits: {}, config: { 'fail-init-after': '0' } }, await example('conformance/puppet')),
      /init/,
    );
    assert.equal(h.lifecycle.has('brittle'), false);
    assert.equal(await h.registry.getAgent('brittle'), undefined);
  });
});

test('restore after reopening brings every deployed agent back; one that cannot start is failed, with why', async () => {
  const dir = await tempDir('lifecycle-restore');
  try {
    const first = await open(dir.path);
    let failAfter = 0;
    try {
      const t0 = Date.now();
      await first.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-echo'));
      await first.lifecycle.upgrade({ name: 'echo', limits: {} }, await example('as-counter'));
      // Starts now, never again: its init fails once the host clock passes failAfter. The window
      // scales with how long two deploys just took, so a loaded machine does not fail it at once.
      const puppet = await example('conformance/puppet');
      failAfter = Date.now() + Math.max(3000, 3 * (Date.now() - t0));
      await first.lifecycle.deploy({ name: 'brittle', limits: {}, config: { 'fail-init-after': String(failAfter) } }, puppet);
    } finally {
      await first.close();
    }
    while (Date.now() <= failAfter) await new Promise((r) => setTimeout(r, 50));

    const second = await open(dir.path);
    try {
      assert.deepEqual(await second.lifecycle.list(), []);
      await second.lifecycle.restore();
      const echo = await second.lifecycle.status('echo');
      assert.equal(echo?.state, 'running');
      assert.equal(echo?.version, 2);
      assert.equal(echo?.artifactDigest, (await example('as-counter')).sha256);
      assert.equal(second.lifecycle.isRunnable('echo'), true);
      const brittle = await second.lifecycle.status('brittle');
      assert.equal(brittle?.state, 'failed');
      assert.match(brittle?.lastError?.message ?? '', /init/);
      assert.equal(second.lifecycle.isRunnable('brittle'), false);
      assert.ok(second.lines.some((l) => l.startsWith('brittle error: could not start')));
    } finally {
      await second.close();
    }
  } finally {
    await dir.remove();
  }
});

test('state: a fresh deploy clears what an earlier deployment left, unless keepState; undeploy and upgrade keep it', async () => {
  await withNode(async (h) => {
    const echo = await example('as-echo');
    await h.log.commitState('echo', [{ key: 'left', value: 'over' }]);
    await h.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, echo);
    assert.equal((await h.log.readState('echo')).size, 0, 'a fresh deploy starts empty');
    await h.log.commitState('echo', [{ key: 'count', value: '7' }]);
    await h.lifecycle.upgrade({ name: 'echo', limits: {} }, await example('as-counter'));
    assert.equal((await h.log.readState('echo')).get('count'), '7', 'upgrade keeps state');
    await h.lifecycle.stop('echo', false);
    assert.equal((await h.log.readState('echo')).get('count'), '7', 'undeploy keeps state');
    await h.lifecycle.deploy({ name: 'echo', limits: {}, config: {}, keepState: true }, echo);
    assert.equal((await h.log.readState('echo')).get('count'), '7', 'deploy --keep-state keeps it');
  });
});

test('state: an import drains the agent, commits, restarts the instance so it reads the new state; an undeployed agent just commits', async () => {
  await withNode(async (h) => {
    await h.lifecycle.deploy({ name: 'echo', limits: {}, config: {} }, await example('as-echo'));
    h.drain.hold = true;
    let committed = false;
    const changing = h.lifecycle.changeState('echo', async () => {
      await h.log.commitState('echo', [{ key: 'imported', value: 'yes' }]);
      committed = true;
    });
    while (h.drain.asked.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await h.lifecycle.status('echo'))?.state, 'upgrading', 'takes no work while its state changes');
    assert.equal(committed, false, 'the message in hand finishes first');
    h.drain.release();
    await changing;
    assert.equal(committed, true);
    const after = await h.lifecycle.status('echo');
    assert.equal(after?.state, 'running');
    assert.equal(after?.version, 1, 'not an upgrade');
    assert.ok(h.lines.includes('echo info: state imported (1 entries)'), h.lines.join('\n'));
    assert.deepEqual(h.woken.at(-1), 'echo');

    await h.lifecycle.changeState('ghost', () => h.log.commitState('ghost', [{ key: 'k', value: 'v' }]));
    assert.equal((await h.log.readState('ghost')).get('k'), 'v');
  });
});
