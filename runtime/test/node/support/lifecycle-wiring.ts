/**
 * The agent lifecycle wired as the embedded node wires it, for the tests that drive it without a
 * node: the real embedded registry, file artifact store and sandbox host (one shard) under a
 * temporary directory, the embedded residency (every agent local), and a real bus. The tests choose
 * the bus's log and port and what the lifecycle's calls into the bus do (`messaging`); the rest is
 * the same in each, so it is here once.
 */
import path from 'node:path';
import { AgentLifecycle, type AgentLifecycleOptions } from '../../../src/node/lifecycle/index.js';
import type { AgentMessaging } from '../../../src/node/agent-messaging.js';
import { SandboxAgentHost } from '../../../src/node/sandbox-host.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../../../src/start/options.js';
import { EveryAgentLocal } from '../../../src/topology/embedded/every-agent-local.js';
import { EmbeddedRegistry } from '../../../src/registry/embedded/embedded-registry.js';
import { FileArtifactStore } from '../../../src/artifacts/file-artifact-store.js';
import { Bus } from '../../../src/bus/bus.js';
import type { DispatchLimits } from '../../../src/bus/dispatch-loop.js';
import { BusEvents } from '../../../src/bus/events.js';
import type { MemoryMessageLog } from '../../../src/log/memory/memory-message-log.js';
import { RecordingLog, ScriptedPort } from '../../bus/scripted-port.js';
import { TEST_ENGINE_CACHE } from '../../support/engine-cache.js';

/** The registry and the sandbox host of a node over the data directory `dir` (reopenable), the host's state in `log`. */
export async function openRegistryAndHost(
  dir: string,
  log: MemoryMessageLog,
): Promise<{ registry: EmbeddedRegistry; host: SandboxAgentHost }> {
  const registry = new EmbeddedRegistry({ dir: path.join(dir, 'registry') });
  await registry.open();
  const host = await SandboxAgentHost.create({ cacheDir: TEST_ENGINE_CACHE, shards: 1, state: log });
  return { registry, host };
}

/** The lifecycle's calls into the bus, each the bus's own (as the node wires them). */
export function busMessaging(bus: Bus): AgentMessaging {
  return {
    wake: (agent) => bus.wake(agent),
    idle: (agent) => bus.idle(agent),
    forget: (agent) => bus.forget(agent),
    deadLetter: (letter) => bus.deadLetter(letter),
    agentId: (name) => bus.agentId(name),
    mailboxDepth: (name) => bus.mailboxDepth(name),
  };
}

export interface EmbeddedLifecycleParts {
  dir: string;
  registry: EmbeddedRegistry;
  host: SandboxAgentHost;
  bus: Bus;
  log: MemoryMessageLog;
  events: BusEvents;
  messaging: AgentMessaging;
  onStopped?: AgentLifecycleOptions['onStopped'];
}

/** The agent lifecycle of node `n1` with the embedded residency, its artifacts under `dir`, default and maximum limits the node's. */
export function embeddedLifecycle(p: EmbeddedLifecycleParts): AgentLifecycle {
  return new AgentLifecycle({
    nodeId: 'n1',
    artifacts: new FileArtifactStore({ dir: path.join(p.dir, 'artifacts') }),
    host: p.host,
    messaging: p.messaging,
    bus: p.bus,
    log: p.log,
    state: p.log,
    defaults: DEFAULT_LIMITS,
    maxLimits: MAX_LIMITS,
    busEvents: p.events,
    onStarted: async () => {},
    onStopped: p.onStopped ?? (async () => {}),
    residency: (context) => new EveryAgentLocal(context, { agents: p.registry, directory: p.registry }),
  });
}

export interface ScriptedLifecycle {
  lifecycle: AgentLifecycle;
  bus: Bus;
  log: RecordingLog;
  events: BusEvents;
  /** The bus's port: names and runnability are the lifecycle's (a stopping agent is an agent, not runnable); handlings follow its `script`. */
  port: ScriptedPort;
  /** The agents' log lines, `<agent> <level>: <message>`. */
  lines: string[];
  /** Stops dispatching and the bus, closes the host and the registry (the directory is the caller's). */
  close(): Promise<void>;
}

/**
 * The lifecycle over a real bus whose port is scripted (the forced-stop tests): the bus's log is
 * `log` (a RecordingLog, so what was appended, completed and dead-lettered can be counted), its
 * events `events`; the bus is open and started. Set `port.script` before sending.
 */
export async function openScriptedLifecycle(
  dir: string,
  o: {
    mailboxCapacity: number;
    dispatch: DispatchLimits;
    log?: RecordingLog;
    events?: BusEvents;
    onStopped?: AgentLifecycleOptions['onStopped'];
  },
): Promise<ScriptedLifecycle> {
  const log = o.log ?? new RecordingLog();
  const events = o.events ?? new BusEvents();
  const { registry, host } = await openRegistryAndHost(dir, log);
  const bus = new Bus({
    log,
    state: log,
    nodeId: 'n1',
    platform: 'caxton',
    mailboxCapacity: o.mailboxCapacity,
    events,
    dispatch: o.dispatch,
  });
  let lifecycle: AgentLifecycle | undefined;
  const port = new ScriptedPort([]);
  port.isAgent = (name) => lifecycle?.isAgent(name) ?? false;
  port.route = (name) => (lifecycle?.has(name) ? 'agent' : port.externals.has(name) ? 'external' : 'unknown');
  port.isRunnable = (name) => lifecycle?.isRunnable(name) ?? false;
  lifecycle = embeddedLifecycle({
    dir,
    registry,
    host,
    bus,
    log,
    events,
    messaging: busMessaging(bus),
    ...(o.onStopped ? { onStopped: o.onStopped } : {}),
  });
  const lines: string[] = [];
  lifecycle.events.onType('agent-log', ({ agent, level, message }) => void lines.push(`${agent} ${level}: ${message}`));
  await bus.open(port);
  await bus.start();
  return {
    lifecycle,
    bus,
    log,
    events,
    port,
    lines,
    async close() {
      await bus.stopDispatching();
      await bus.stop();
      await host.close();
      await registry.close();
    },
  };
}
