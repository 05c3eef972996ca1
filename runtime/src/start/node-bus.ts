/** The node's bus, the kill switch over it, and what the agents and their egress need of both. */
import { isInstanceName, isReplicaUnitName, replicaOwner, resolveTrafficLimits } from '@caxton/core';
import { Bus } from '../bus/bus.js';
import type { BusEvents } from '../bus/events.js';
import { edgeAdmissionLimits } from '../bus/edge-admission.js';
import { textLimits } from '../bus/mailbox-shares.js';
import { nodeTextLimits } from '../bus/node-text.js';
import { fairnessIgnoredWarning, nodeFairness } from '../bus/shard-fairness.js';
import type { EgressHold } from '../http/egress-hold.js';
import type { AgentMessaging } from '../node/agent-messaging.js';
import { KillSwitch } from '../node/kill-switch/kill-switch.js';
import { PLATFORM_IDENTITIES } from '../node/sender-policy.js';
import { NodeSwitchFile } from '../node/kill-switch/node-switch-file.js';
import type { SandboxAgentHost } from '../node/sandbox-host.js';
import { DEFAULT_MAILBOX_CAPACITY } from './options.js';
import type { StartContext } from './start-context.js';

export function createNodeBus(ctx: StartContext, events: BusEvents, host: SandboxAgentHost): Bus {
  const { options, nodeId, platform } = ctx;
  const storage = ctx.topology.ports;
  // The bus comes first: the agent lifecycle and the timers only call it later, and what the bus
  // needs of them it gets through the port given to open() below (decision 1101).
  const traffic = resolveTrafficLimits(options.traffic);
  // Fairness limits the operator set but several shards turn off: said once, not ignored silently.
  const fairnessIgnored = fairnessIgnoredWarning(options.traffic, host.shardCount);
  if (fairnessIgnored !== undefined) console.warn(`caxton: ${fairnessIgnored}`);
  const bus = new Bus({
    log: storage.log,
    state: storage.state,
    nodeId,
    platform,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    events,
    edgeAdmission: edgeAdmissionLimits(options.edgeAdmission),
    ...(options.busClock ? { now: options.busClock } : {}),
    priorityAgingDispatches: traffic.priorityAgingDispatches,
    breaker: { failures: traffic.breakerFailures, coolDownMs: traffic.breakerCoolDownMs },
    mailboxText: textLimits(traffic.mailboxTextUnits),
    nodeText: nodeTextLimits(traffic.nodeMailboxTextUnits),
    platformSenders: [...PLATFORM_IDENTITIES],
    // Small batches, several in flight: the bus thread applies one batch's results while the
    // shards run the next, instead of each waiting for the other (512 × 2 left both threads idle
    // half the time; 64 × 8 doubled throughput in memory mode, decision 1201).
    // Fuel-fair sharing (decision 2136) keeps its accounting per dispatch loop, so it is on only
    // with one shard: with several, a debtor would yield on behalf of agents on other shards.
    // Its limits are the node's traffic limits (serve --fair-*, decision 2140).
    dispatch: {
      maxAttempts: options.maxAttempts ?? 3,
      maxBatch: 64,
      maxPerAgent: 16,
      maxInFlight: 8,
      sendsPerTurn: traffic.sendsPerTurn,
      fairness: nodeFairness(traffic, host.shardCount),
    },
  });
  return bus;
}

export async function startKillSwitch(ctx: StartContext, bus: Bus): Promise<KillSwitch> {
  const { dataDir, topology, undo } = ctx;
  // The kill switch is read before any agent starts: a node that was frozen restarts frozen, and
  // one joining a frozen cluster starts frozen (decision 1403).
  const killSwitch = new KillSwitch({
    node: new NodeSwitchFile(dataDir),
    ...(topology.sharedSwitch ? { cluster: topology.sharedSwitch } : {}),
    bus: {
      freezeDispatch: () => bus.freezeDispatch(),
      thawDispatch: () => bus.thawDispatch(),
      wake: (a) => bus.wake(a),
      idle: (a) => bus.idle(a),
    },
    say: (line) => process.stderr.write(`caxton: kill switch: ${line}\n`),
  });
  await killSwitch.start();
  undo.push(async () => killSwitch.close());
  return killSwitch;
}

/** What the agent lifecycle needs of the bus (decision 1103): one small interface. */
export function agentMessaging(bus: Bus): AgentMessaging {
  return {
    wake: (agent) => bus.wake(agent),
    idle: (agent) => bus.idle(agent),
    forget: (agent) => bus.forget(agent),
    deadLetter: (letter) => bus.deadLetter(letter), // written, then told as a `dead-lettered` event (decision 2070)
    refuseNewest: (agent, keep, reason, kind) => bus.refuseNewest(agent, keep, reason, kind),
    agentId: (name) => bus.agentId(name),
    mailboxDepth: (name) => bus.mailboxDepth(name),
    replaced: (name) => bus.resetBreaker(name),
    breaker: (name) => {
      const b = bus.breakerOf(name);
      if (b.state === 'closed') return undefined;
      return { state: b.state, failures: b.failures, ...(b.retryAfterMs !== undefined ? { retryAfterMs: b.retryAfterMs } : {}) };
    },
  };
}

/** Egress is held per agent; an instance of a kind (decision 1980) is held by its kind's suspension too. */
export function egressHoldOf(killSwitch: KillSwitch): EgressHold {
  return {
    // A replica unit `X#r<k>` (decision 2093) is held by X's freeze or suspension (review fix 2).
    isHeld: (agent) =>
      killSwitch.isHeld(agent) ||
      (isInstanceName(agent) && killSwitch.isHeld(agent.slice(0, agent.indexOf('/')))) ||
      (isReplicaUnitName(agent) && killSwitch.isHeld(replicaOwner(agent))),
    onChange: (listener) => killSwitch.onChange(listener),
  };
}
