/**
 * A forced stop in the middle of a paced outbox (decision 2099): the stop starts the rest of the
 * agent's outbox at once (the bus's forget flushes its send turns), so nothing from the stopped
 * agent is accepted after `stop --force` returned, and no delivery ends both completed and
 * dead-lettered. Counts and order, not time.
 *
 * The real agent lifecycle with the embedded residency (real registry, real sandbox host running a
 * real example agent for deploy and stop), a real bus over a recording memory log; the bus's port
 * answers names and runnability from the lifecycle, and its handlings from a script.
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
import { BusEvents } from '../../src/bus/events.js';
import { tempDir } from '../registry/helpers/tmp.js';
import { RecordingLog, ScriptedPort, inform, operator, until } from '../bus/scripted-port.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

async function example(name: string): Promise<VerifiedArtifact> {
  const index = JSON.parse(await readFile(path.join(repoRoot, 'examples/build/index.json'), 'utf8')) as Record<string, { artifact: string; sha256: string }>;
  const entry = index[name];
  if (!entry) throw new Error(`examples/build/index.json has no ${name}: build the examples (node scripts/build-examples.mjs)`);
  return { bytes: new Uint8Array(await readFile(path.join(repoRoot, entry.artifact))), sha256: entry.sha256 };
}

const BURST = 1_000;

test('a forced stop during a 1,000-send burst: nothing from the agent is accepted after the stop returned, nothing is both completed and dead-lettered', async () => {
  const dir = await tempDir('forced-stop-paced');
  const registry = new EmbeddedRegistry({ dir: path.join(dir.path, 'registry') });
  await registry.open();
  const log = new RecordingLog();
  const host = await SandboxAgentHost.create({ cacheDir: path.join(dir.path, 'cache'), shards: 1, state: log });
  const events = new BusEvents();
  const bus = new Bus({ log, state: log, nodeId: 'n1', platform: 'caxton', mailboxCapacity: 20_000, events, dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 16, maxInFlight: 2 } });
  let lifecycle: AgentLifecycle | undefined;
  const port = new ScriptedPort([]);
  port.isAgent = (name) => lifecycle?.isAgent(name) ?? false;
  port.route = (name) => (lifecycle?.has(name) ? 'agent' : port.externals.has(name) ? 'external' : 'unknown');
  port.isRunnable = (name) => lifecycle?.isRunnable(name) ?? false;
  port.script = (item) => {
    if (item.kind !== 'delivery' || item.agent !== 'a') return {};
    const c = item.delivery.message.content ?? '';
    return { outbox: Array.from({ length: BURST }, (_, i) => inform('n', `${c}.${i}`)) };
  };
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
    onStopped: async () => {},
    residency: (context) => new EveryAgentLocal(context, { agents: registry, directory: registry }),
  });
  await bus.open(port);
  await bus.start();
  try {
    const echo = await example('as-echo');
    await lifecycle.deploy({ name: 'a', limits: {}, config: {} }, echo);
    await lifecycle.deploy({ name: 'n', limits: {}, config: {} }, echo);
    // Accepted sends of the burst, counted as the log takes them; the stop is started from inside
    // the log's append of the 100th (past the first turn: the rest of the burst waits for turns).
    let fromA = 0;
    let stopped: Promise<unknown> | undefined;
    let stopReturned = false;
    let acceptedAfterStop = 0;
    const append = log.append.bind(log);
    log.append = async (deliveries) => {
      for (const d of deliveries) {
        if (!/^go\d\.\d+$/.test(d.message.content ?? '')) continue;
        fromA += 1;
        if (stopReturned) acceptedAfterStop += 1;
        if (fromA === 100) stopped = lifecycle!.stop('a', true).then(() => void (stopReturned = true));
      }
      return append(deliveries);
    };
    await bus.freezeDispatch();
    for (const m of ['go0', 'go1', 'go2']) await bus.send(inform('a', m), operator);
    bus.thawDispatch();
    await until(() => stopped !== undefined, 'the stop started in the middle of the burst', 20_000);
    await stopped;
    const atReturn = fromA;
    await bus.idle();
    assert.equal(acceptedAfterStop, 0, `no send of a accepted after the stop returned (${atReturn} before)`);
    assert.equal(fromA, atReturn);
    assert.equal(atReturn % BURST, 0, 'whole outboxes only: the paced one was started to its end, as an unpaced one is');
    const lettered = new Set((await log.deadLetters(100)).map((l) => l.delivery.id));
    const both = [...log.completedIds].filter((id) => lettered.has(id));
    assert.deepEqual(both, [], 'no delivery both completed and dead-lettered');
    const goes = new Set(port.items.filter((i) => i.agent === 'a' && i.kind === 'delivery').map((i) => (i as { delivery: { id: string } }).delivery.id));
    assert.equal(goes.size + lettered.size >= 3, true, 'every command handled or dead-lettered');
  } finally {
    await bus.stopDispatching();
    await bus.stop();
    await host.close();
    await registry.close();
    await dir.remove();
  }
});
