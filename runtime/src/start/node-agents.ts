/** The node's agents: their lifecycle over the sandbox, the bus, the timers and the topology's storage, and the wakes after a restart backoff. */
import path from 'node:path';
import type { EngineOptions } from '@caxton/sandbox';
import type { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import type { AgentMessaging } from '../node/agent-messaging.js';
import type { KillSwitch } from '../node/kill-switch/kill-switch.js';
import { AgentLifecycle } from '../node/lifecycle/index.js';
import type { AgentKindsOptions } from '../node/kinds/index.js';
import { parseCandidateKey } from '../node/rollouts/index.js';
import type { SandboxAgentHost } from '../node/sandbox-host.js';
import { AgentTimers } from '../node/timers.js';
import type { AgentLogs } from '../node/agent-logs.js';
import { KIND_LIMITS } from '@caxton/core';
import { installNodeMetrics } from './node-metrics.js';
import { DEFAULT_MAILBOX_CAPACITY } from './options.js';
import type { NodeTopics } from '../node/topics.js';
import { servicesByType } from '../registry/services-by-type.js';
import { UpgradeGate } from '../replay/upgrade-gate.js';
import { Engine } from '@caxton/sandbox';
import type { Undo, NodeStorage, StartContext } from './start-context.js';
import type { NodeBusPort } from '../node/bus-port.js';
import type { AuditedControl } from '../audit/audited-control.js';
import type { UnendedScan } from '../audit/unended-rollouts.js';
import { closeUnendedRollouts } from './unended-rollouts-at-start.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from './options.js';

export function createAgents(
  ctx: StartContext,
  deps: {
    host: SandboxAgentHost;
    messaging: AgentMessaging;
    bus: Bus;
    killSwitch: KillSwitch;
    events: BusEvents;
    timers: AgentTimers;
    topics: NodeTopics;
    engineOptions: EngineOptions;
  },
): AgentLifecycle {
  const { options, dataDir, nodeId, platform, topology, trust } = ctx;
  const storage = topology.ports;
  const { host, messaging, bus, killSwitch, timers, topics, engineOptions } = deps;
  const events = deps.events;
  return new AgentLifecycle({
    nodeId,
    artifacts: storage.artifacts,
    host,
    messaging,
    bus,
    log: storage.log,
    state: storage.state,
    residency: topology.residency,
    trust,
    defaults: { ...DEFAULT_LIMITS, ...options.defaultLimits },
    maxLimits: MAX_LIMITS,
    killSwitch,
    ...(options.maxReplicaInstances !== undefined ? { maxReplicaInstances: options.maxReplicaInstances } : {}),
    busEvents: events,
    ...(topology.kinds !== undefined ? { kindStore: topology.kinds } : {}),
    ...(options.kinds !== undefined ? { kindLimits: options.kinds } : {}),
    ...(options.kinds?.onResidency !== undefined ? { onKindResidency: options.kinds.onResidency } : {}),
    // `upgrade --replay` (issue 57): where the topology's log can be read back, and its own engine on the node's prepare cache.
    ...(topology.recordedHistory !== undefined
      ? {
          replayGate: new UpgradeGate({
            engine: new Engine({ ...engineOptions, cacheDir: options.prepare?.cacheDir ?? path.join(dataDir, 'cache') }),
            history: topology.recordedHistory,
            platform,
            servicesByType: async () => servicesByType(await storage.directory.searchDf({}, 100_000)),
            localAgents: async () => new Set((await storage.agents.listAgents()).map((a) => a.name)),
          }),
        }
      : {}),
    kindTimers: kindTimersOf(storage.timers, timers),

    // What init produced goes through the bus's applier like any handling (issue 24).
    onStarted: (init) => bus.applyInit(init),
    pruneTopics: (agent, patterns) => topics.prune(agent, patterns),
    onStopped: async (agent, undeployed, keepsQueue) => {
      bus.forgetTimers(agent);
      // Stopped with its queue kept, it keeps its subscriptions: a publish while it is absent waits
      // for it in its queue like a named send (decision 2050). A plain stop, later, drops them.
      if (undeployed) await Promise.all([timers.drop(agent), keepsQueue === true ? Promise.resolve() : topics.drop(agent)]);
      else timers.forget(agent);
    },
  });
}

/** Timers of passivated instances of kinds (decision 1980), as the topology's timer store keeps them. */
function kindTimersOf(store: NodeStorage['timers'], timers: AgentTimers): AgentKindsOptions['timers'] {
  return {
    nextDue: (name) => timers.nextDue(name),
    ...(store.nextDuePerAgent !== undefined ? { pending: (matches: (name: string) => boolean) => store.nextDuePerAgent!(matches) } : {}),
    // A stopped kind's passivated instances: their timers go with them (found by the same walk).
    ...(store.nextDuePerAgent !== undefined
      ? {
          deleteWhere: async (matches: (name: string) => boolean) => {
            for (const e of await store.nextDuePerAgent!(matches)) await store.deleteTimers(e.name);
          },
        }
      : {}),
    // The etcd registry: one prefix delete of the kind's instance timers (decision 2060).
    ...(store.deleteKindTimers !== undefined ? { deleteKind: (kind: string) => store.deleteKindTimers!(kind) } : {}),
    deleteOf: (name: string) => store.deleteTimers(name),
    // The etcd registry: a kind's instance timers page by page (a partition assigned here, decision 2060).
    ...(store.kindTimersDue !== undefined ? { ofKind: (kind: string, pageSize: number) => store.kindTimersDue!(kind, pageSize) } : {}),
    // Its wake index, a partition at a time, once complete (decision 2060, *Wake index*).
    ...(store.partitionWakesDue !== undefined && store.wakesReady !== undefined
      ? {
          ofPartition: (partition: number, kind: string, pageSize: number) => store.partitionWakesDue!(partition, kind, pageSize),
          indexed: () => store.wakesReady!(),
        }
      : {}),
  };
}

/**
 * Restart backoff (decision 1720): the dispatcher skips an agent waiting out its delay
 * (isRunnable); this wakes it when the delay is over, so its waiting messages go on.
 * Not unref'd: the waiting messages are work the node has to do; cleared when the node stops.
 */
export function wakeAfterBackoff(host: SandboxAgentHost, bus: Bus, undo: Undo): void {
  const backoffWakes = new Set<NodeJS.Timeout>();
  const removeBackoffWake = host.onRestartDelayed?.((agent, delayMs) => {
    // A rollout's new instance (`X#<version>`) is X's work: X is what waits (decision 2170).
    const waiting = parseCandidateKey(agent)?.agent ?? agent;
    const t = setTimeout(() => {
      backoffWakes.delete(t);
      bus.wake(waiting);
    }, delayMs + 1);
    backoffWakes.add(t);
  });
  if (removeBackoffWake) {
    undo.push(async () => {
      removeBackoffWake();
      for (const t of backoffWakes) clearTimeout(t);
    });
  }
}

/** The agents' timers, in the topology's timer store. */
export function createTimers(ctx: StartContext, bus: Bus, logs: AgentLogs): AgentTimers {
  const { options } = ctx;
  const storage = ctx.topology.ports;
  return new AgentTimers({
    store: storage.timers,
    state: storage.state,
    maxPerAgent: 1000,
    maxPerInstance: KIND_LIMITS.maxTimersPerInstance,
    // Due times read the node's clock: a test that moves it (clockMoved) moves the timers with it.
    ...(options.busClock ? { now: options.busClock } : {}),
    fire: (agent, token, id, dueAt) => bus.fireTimer(agent, token, id, dueAt),
    warn: (agent, message) => logs.append(agent, { level: 'warn', message: `[caxton] ${message}`, at: Date.now() }),
  });
}

/** Metrics (decision 1301): nothing is installed unless the process registered a MeterProvider. */
export function installMetrics(
  ctx: StartContext,
  deps: { events: BusEvents; host: SandboxAgentHost; bus: Bus; timers: AgentTimers; agents: AgentLifecycle },
): () => void {
  const { options, topology, undo } = ctx;
  const { events, host, bus, timers, agents } = deps;
  const removeMetrics = installNodeMetrics({
    events,
    topology,
    runSamples: host.runSamples ? () => host.runSamples() : undefined,
    mailboxDepth: (agent) => bus.mailboxDepth(agent),
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    timersPending: (agent) => timers.pending(agent),
    breakersOpen: () => bus.breakersOpen(),
    mailboxText: () => bus.mailboxText(),
    mailboxTextLimit: bus.mailboxTextLimit,
    absentQueued: () => agents.names().reduce((n, agent) => (agents.absence(agent) === undefined ? n : n + bus.mailboxDepth(agent)), 0),
  });
  undo.push(async () => removeMetrics());
  return removeMetrics;
}

/**
 * The log opens first (what agents' init sends must be accepted); the topology orders the rest.
 * Then the timers start, and passivated instances are woken for theirs.
 */
export async function openAndConsume(
  ctx: StartContext,
  deps: {
    bus: Bus;
    port: NodeBusPort;
    agents: AgentLifecycle;
    timers: AgentTimers;
    unendedScan: UnendedScan | undefined;
    audited: AuditedControl;
  },
): Promise<void> {
  const { topology } = ctx;
  const { bus, port, agents, timers, unendedScan, audited } = deps;
  await topology.beforeApi({
    audit: audited.trail,
    openLog: () => bus.open(port),
    restoreAgents: async () => {
      await agents.restore();
      // Its closing record, and it is shown ended (decision 1871: a rollout does not survive a restart).
      if (unendedScan !== undefined && unendedScan.unended.length > 0) {
        // Not fatal: a rollout not closed is reported, the node still starts (as a failed scan).
        await closeUnendedRollouts(unendedScan, agents, audited).catch((err: unknown) =>
          console.error('caxton: audit trail: closing rollouts the restart ended:', err),
        );
      }
    },
    consume: async () => {
      await bus.open(port);
      await bus.start();
    },
  });
  timers.start(); // only now can what a timer's handling sends be accepted
  await agents.startTimerWakes(); // and passivated instances be woken for theirs
}
