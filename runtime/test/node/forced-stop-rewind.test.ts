/**
 * A forced stop and a rewind of its agent's handlings (decision 2070): the embedded stop forgets the
 * agent's mailbox, then awaits its dead letters and `onStopped` (registry I/O), and only then takes
 * the agent out of the node. A completion that fails in between is rewound while the agent is still
 * one, so its deliveries go back into a re-created mailbox; the stop must take that mailbox too and
 * dead-letter what it holds (nothing else dispatches it). Each delivery goes once.
 *
 * The real agent lifecycle with the embedded residency (real registry, real sandbox host running a
 * real example agent for deploy and stop), a real bus over a recording memory log; the bus's port
 * answers names and runnability from the lifecycle, and its handlings from a script (so a
 * completion can be held and failed at a chosen point).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerifiedArtifact } from '@caxton/core';
import { AgentLifecycle } from '../../src/node/agent-lifecycle.js';
import type { AgentMessaging } from '../../src/node/agent-messaging.js';
import { SandboxAgentHost } from '../../src/node/sandbox-host.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../../src/start/options.js';
import { EveryAgentLocal } from '../../src/topology/embedded/every-agent-local.js';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';
import { FileArtifactStore } from '../../src/artifacts/file-artifact-store.js';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents, type BusEvent } from '../../src/bus/events.js';
import { tempDir } from '../registry/helpers/tmp.js';
import { RecordingLog, ScriptedPort, inform, operator, until } from '../bus/scripted-port.js';

/** The repository root (this file runs from runtime/dist/test/node/). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

async function example(name: string): Promise<VerifiedArtifact> {
  const index = JSON.parse(await readFile(path.join(repoRoot, 'examples/build/index.json'), 'utf8')) as Record<string, { artifact: string; sha256: string }>;
  const entry = index[name];
  if (!entry) throw new Error(`examples/build/index.json has no ${name}: build the examples (node scripts/build-examples.mjs)`);
  return { bytes: new Uint8Array(await readFile(path.join(repoRoot, entry.artifact))), sha256: entry.sha256 };
}

/**
 * Deploys `a`, has m1..m3 handled ahead of a first completion that is held, force-stops `a` and,
 * while the stop waits in `onStopped` (its mailbox forgotten, `a` still an agent), fails that
 * completion: the rewind puts the three into a re-created mailbox. Then lets the stop finish and
 * hands what happened to `check`. `failLetters`: the log cannot write dead letters.
 */
async function stopWithARewindInside(failLetters: boolean, check: (r: { log: RecordingLog; bus: Bus; seen: string[]; busEvents: BusEvent[]; lines: string[] }) => Promise<void>): Promise<void> {
  const dir = await tempDir('forced-stop-rewind');
  const registry = new EmbeddedRegistry({ dir: path.join(dir.path, 'registry') });
  await registry.open();
  const log = new RecordingLog();
  log.failDeadLetter = () => failLetters;
  const host = await SandboxAgentHost.create({ cacheDir: path.join(dir.path, 'cache'), shards: 1, state: log });
  const events = new BusEvents();
  const seenEvents: BusEvent[] = [];
  events.on((e) => void seenEvents.push(e));
  const bus = new Bus({ log, state: log, nodeId: 'n1', platform: 'caxton', mailboxCapacity: 100, events, dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 1, maxInFlight: 2 } });
  let lifecycle: AgentLifecycle | undefined;
  // Names and runnability are the lifecycle's (a stopping agent is an agent, not runnable).
  const port = new ScriptedPort([]);
  port.isAgent = (name) => lifecycle?.isAgent(name) ?? false;
  port.route = (name) => (lifecycle?.has(name) ? 'agent' : port.externals.has(name) ? 'external' : 'unknown');
  port.isRunnable = (name) => lifecycle?.isRunnable(name) ?? false;
  const seen: string[] = [];
  port.script = (item) => {
    const content = item.kind === 'delivery' ? item.delivery.message.content ?? '' : `timer:${item.token}`;
    seen.push(content);
    return { stateWrites: [{ key: `k-${content}`, value: 'x' }] };
  };
  // The stop's `onStopped` (registry I/O) is held: the window between its forget and its remove.
  let stopPassed!: () => void;
  const stopHeld = new Promise<void>((r) => (stopPassed = r));
  let stopping = false;
  let inOnStopped = false;
  const messaging: AgentMessaging = {
    wake: (agent) => bus.wake(agent),
    idle: (agent) => bus.idle(agent),
    forget: (agent) => bus.forget(agent),
    deadLetter: (letter) => bus.deadLetter(letter),
    agentId: (name) => bus.agentId(name),
    mailboxDepth: (name) => bus.mailboxDepth(name),
  };
  lifecycle = new AgentLifecycle({
    nodeId: 'n1', artifacts: new FileArtifactStore({ dir: path.join(dir.path, 'artifacts') }), host, messaging, bus, log, state: log,
    defaults: DEFAULT_LIMITS, maxLimits: MAX_LIMITS, busEvents: events,
    onStarted: async () => {},
    onStopped: async () => {
      if (!stopping) return;
      inOnStopped = true;
      await stopHeld;
    },
    residency: (context) => new EveryAgentLocal(context, { agents: registry, directory: registry }),
  });
  const lines: string[] = [];
  lifecycle.events.onType('agent-log', ({ agent, level, message }) => void lines.push(`${agent} ${level}: ${message}`));
  await bus.open(port);
  await bus.start();
  try {
    await lifecycle.deploy({ name: 'a', limits: {}, config: {} }, await example('as-echo'));
    // The first completion is held, then fails: m1..m3 are handled ahead of it (early release).
    let failCommit!: () => void;
    const commitHeld = new Promise<void>((r) => (failCommit = r));
    let failNext = true;
    const complete = log.complete.bind(log);
    log.complete = async (records) => {
      if (failNext) {
        failNext = false;
        await commitHeld;
        throw Object.assign(new Error('state topic unreachable'), { code: 'kafka.unavailable' });
      }
      return complete(records);
    };
    for (const m of ['m1', 'm2', 'm3']) await bus.send(inform('a', m), operator);
    await until(() => seen.length === 3, 'handled ahead of the first completion');

    stopping = true;
    const stopped = lifecycle.stop('a', true);
    // The stop forgot the (empty: all handed off) mailbox and waits in onStopped; the commit fails now.
    await until(() => inOnStopped, 'the stop waiting in onStopped, its mailbox forgotten', 10_000);
    assert.equal(port.resets.length, 0, 'not rewound yet');
    failCommit();
    await until(() => port.resets.length === 1 && bus.mailboxDepth('a') === 3, 'rewound into a re-created mailbox while still an agent');
    stopPassed();
    const status = await stopped;
    assert.equal(status.state, 'stopped');
    assert.equal(lifecycle.has('a'), false);

    await check({ log, bus, seen, busEvents: seenEvents, lines });
  } finally {
    stopPassed();
    await bus.stopDispatching();
    await bus.stop();
    await host.close();
    await registry.close();
    await dir.remove();
  }
}

test('a forced stop whose agent\'s failed completion is rewound before the agent is removed dead-letters the rewound deliveries, once each, and leaves no mailbox', async () => {
  await stopWithARewindInside(false, async ({ log, bus, seen, busEvents }) => {
    await until(() => log.ops.filter((o) => o.startsWith('dead-letter:')).length === 3, 'the three rewound deliveries dead-lettered');
    await bus.idle();
    assert.equal(bus.mailboxDepth('a'), 0, 'no mailbox left holding them');
    assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
    const letters = await log.deadLetters(10);
    assert.deepEqual(letters.map((l) => l.delivery.message.content).sort(), ['m1', 'm2', 'm3']);
    assert.ok(letters.every((l) => l.reason === 'agent a was stopped before handling it' && l.attempts === 0));
    assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'none completed as well');
    const told = busEvents.filter((e) => e.type === 'dead-lettered');
    assert.equal(told.length, 3, 'each told once as a dead-lettered event, as the bus\'s own dead letters are');
  });
});

test('a forced stop whose second take\'s dead letters cannot be written still stops the agent: each warned about, none told as dead-lettered, none left in a mailbox (pending in the log)', async () => {
  await stopWithARewindInside(true, async ({ log, bus, seen, busEvents, lines }) => {
    await bus.idle();
    assert.equal(log.ops.filter((o) => o.startsWith('dead-letter-failed:')).length, 3, 'each tried once');
    const warned = lines.filter((l) => l.startsWith('a warn: ') && l.includes('could not be dead-lettered') && l.includes('stays pending in the log'));
    assert.equal(warned.length, 3, 'one warning each');
    assert.equal(busEvents.filter((e) => e.type === 'dead-lettered').length, 0, 'not told as dead-lettered');
    assert.equal(bus.mailboxDepth('a'), 0, 'in no mailbox');
    assert.deepEqual(seen, ['m1', 'm2', 'm3'], 'not handled again');
    assert.equal(log.ops.filter((o) => o.startsWith('complete:')).length, 0, 'not completed: pending in the log still');
  });
});
