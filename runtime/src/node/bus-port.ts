/**
 * The node's side of the bus (the `BusPort`): built once the agent lifecycle exists and handed to
 * `Bus.open`, so the bus is created before the agents without any forward reference between them.
 * Each answer delegates to the object that owns it; nothing here keeps state.
 */
import type {
  UnknownReceiverSink,
  BusPort,
  CommittedEffects,
  DispatchOwnership,
  ProtocolGate,
  ReceiverKind,
  RemoteTransport,
  SendRouting,
} from '../bus/port.js';
import { resolutionOf, spreadTarget, RESOLVED_UNKNOWN, type NoActivation, type ReplicaChoice, type Resolution } from '../bus/resolution.js';
import type { ExecutionResult, WorkItem, AgentExecutor } from '../bus/executor.js';
import type { AgentLifecycle } from './lifecycle/index.js';
import type { AgentEffects } from './agent-effects.js';
import type { AgentTimers } from './timers.js';
import type { ExternalIdentities } from './external-identities.js';
import type { HttpEffects } from './http-effects.js';
import type { TopicStore } from '../storage/ports.js';
import { KIND_LIMITS, topicAllowed, type AclMessage, type TopicSubscription } from '@caxton/core';

export interface NodeBusPortParts {
  /** The agent lifecycle: which agents exist (here or, in a cluster, anywhere) and which may run here. */
  agents: AgentLifecycle;
  externals: ExternalIdentities;
  gate: ProtocolGate;
  executor: AgentExecutor;
  effects: AgentEffects;
  timers: AgentTimers;
  /** Outbound HTTP calls, held until their handling's completion is durable (decision 1601). */
  http?: HttpEffects;
  /** Topic subscriptions (decision 1960), read at send time. */
  topics?: TopicStore;
  /** Agents of other platforms (the FIPA HTTP MTP, decision 1910); absent: none. */
  transport?: RemoteTransport;
  /** Receivers refused as unknown, told to the sender's shard (decision 2123); absent: none are. */
  unknownReceivers?: UnknownReceiverSink;
  /** Re-read an agent's committed state into its sandbox view (a rewind, issue 24). */
  reloadState?: (agent: string) => Promise<void>;
  /** The agent (re)started here: its pending timers re-armed, its lost HTTP calls recovered. */
  resumeAgent?: (agent: string) => Promise<void>;
}

export class NodeBusPort implements BusPort {
  readonly ownership: DispatchOwnership | undefined;
  readonly sending: SendRouting;
  readonly effects: CommittedEffects;
  /** Where replicas are spread across nodes (decision 2093), the choice of a scaled agent's unit; else undefined. */
  private readonly unitOf: ReplicaChoice | undefined;
  /** The one answer for a kind's instance that cannot be activated now (kept: resolving allocates nothing). */
  private readonly atActivationLimit: NoActivation;

  constructor(private readonly parts: NodeBusPortParts) {
    const agents = parts.agents;
    this.ownership = agents.ownership();
    this.sending = {
      gate: parts.gate,
      transport: parts.transport,
      unknownReceivers: parts.unknownReceivers,
      sharedAbsent: agents.sharedAbsent,
      unrouted: (name) => agents.unrouted(name),
      absence: (agent) => agents.absence(agent),
      kindCapReached: (instance) => agents.kinds.capReached(instance),
      subscriptions: (topic) => this.subscriptions(topic),
    };
    const { timers, http } = parts;
    this.effects = {
      apply: (result) => parts.effects.apply(result),
      setCommittedTimers: (agent, intents) => timers.setCommitted(agent, intents),
      forgetTimer: (agent, timerId) => timers.done(agent, timerId),
      leaveTimer: (agent, timerId) => timers.forgetFired(agent, timerId),
      releaseHttp: (workKey) => http?.release(workKey),
      dropHttp: (workKey) => http?.drop(workKey),
      resetState: async (agent) => {
        await parts.reloadState?.(agent);
      },
      resumeAgent: async (agent) => {
        await parts.resumeAgent?.(agent);
      },
    };
    this.unitOf = agents.replicasAcrossNodes ? (name, message, messageId) => agents.replicaUnit(name, message, messageId) : undefined;
    this.atActivationLimit = Object.freeze({
      kind: 'activation-limit',
      limit: agents.kinds.activationLimit,
      retryAfterMs: KIND_LIMITS.activationRetryAfterMs,
    });
  }

  /**
   * A topic's subscribers, without those whose deployment's current allow-list no longer admits
   * the topic (decision 2050): a subscription left by a narrowing rollout, a prune that failed, or
   * a registry snapshot delivers nothing. The lists are in memory: at most 32 prefix tests each.
   */
  private async subscriptions(topic: string): Promise<TopicSubscription[]> {
    const subs = (await this.parts.topics?.listSubscriptions(topic)) ?? [];
    return subs.filter((s) => topicAllowed(this.parts.agents.topicPatternsOf(s.agent), topic));
  }

  resolve(name: string, message: AclMessage, messageId: string, toActivation = false): Resolution {
    const target = this.unitOf !== undefined && !toActivation ? spreadTarget(name, message, messageId, this.unitOf) : name;
    if (target === undefined) return RESOLVED_UNKNOWN;
    return resolutionOf(this.route(target), target, this.atActivationLimit);
  }

  private route(name: string): ReceiverKind {
    const kind = this.parts.agents.route(name);
    if (kind !== 'unknown') return kind;
    return this.parts.externals.has(name) ? 'external' : 'unknown';
  }

  isAgent(name: string): boolean {
    return this.parts.agents.isAgent(name);
  }

  async execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]> {
    // Agents in a blue-green or canary rollout have each item run on the version its conversation goes to (decision 1871).
    // Agents running as several replicas have their items split over them by conversation (decision 2010).
    const results = await this.parts.agents.rollouts.execute(batch, (items) =>
      this.parts.agents.replicas.execute(items, (run) => this.parts.executor.execute(run)),
    );
    // Calls are taken here, not in `effects.apply`: they must wait for the completion (durable
    // after it ran), and the bus reports that by delivery id (http-effects.ts).
    this.parts.http?.hold(batch, results);
    // A kind's rollout by key judges the handlings of its keys on the new version (decision 2175).
    this.parts.agents.kinds.observe(batch, results);
    return results;
  }

  isRunnable(agent: string): boolean {
    return this.parts.agents.isRunnable(agent);
  }

  mailArrived(agent: string): void {
    this.parts.agents.noticeMail(agent);
  }
}
