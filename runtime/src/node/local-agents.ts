/**
 * The agents running (or starting, upgrading, stopping…) on THIS node and how an instance is
 * started: the part of the agent lifecycle every residency shares. Invariant: an agent whose state
 * is not `running` gets no new work (the dispatcher asks `isRunnable`), so its accepted messages
 * wait, durable, in its mailbox.
 */
import type { AgentBreaker, AgentId, AgentState, AgentStatus } from '@caxton/core';
import { CaxtonError, zeroCosts, type HandlingCosts, type Instrumentation } from '@caxton/core';
import { deploymentShown, previousShown, type AgentRecord } from '../storage/records.js';
import type { AgentLogLine, ExecutionResult } from '../bus/executor.js';
import type { AgentHost } from './agent-host.js';
import type { AgentMessaging } from './agent-messaging.js';
import { addSample, type HandlingSample } from './costs/conversation-costs.js';

export type AgentLogLevel = 'info' | 'warn' | 'error';

/**
 * What the agent lifecycle tells observers (`AgentLifecycle.events`, decision 1106): a line for an
 * agent's log from Caxton itself (deployed, upgraded, stopped, could not start, …). The node
 * subscribes it into AgentLogs.
 */
export type AgentLifecycleEvent = { type: 'agent-log'; agent: string; level: AgentLogLevel; message: string };

/** Emits an `agent-log` event, built only if someone listens. */
export function agentLog(events: Instrumentation<AgentLifecycleEvent>, agent: string, level: AgentLogLevel, message: string): void {
  if (events.wants('agent-log')) events.emit({ type: 'agent-log', agent, level, message });
}

/**
 * A second instance's lines (a rollout's new version, a replica, a replica unit) in its agent's
 * log, each marked with which instance wrote it (`[version 3] …`, `[replica 2] …`); debug is info.
 */
export function instanceLog(
  events: Instrumentation<AgentLifecycleEvent>,
  agent: string,
  mark: string,
  lines: readonly AgentLogLine[],
): void {
  for (const line of lines)
    agentLog(events, agent, line.level === 'warn' || line.level === 'error' ? line.level : 'info', `[${mark}] ${line.message}`);
}

export interface LocalAgent {
  record: AgentRecord;
  state: AgentState;
  artifactSize: number;
  lastError?: { message: string; code?: string; at: number };
  /**
   * Handlings of this deployment on this node, as the bus reported them (decision 2101; absent: none
   * yet). On the object, not keyed by name: a redeploy (a new object) starts again at 0, an upgrade
   * (the same object) keeps it.
   */
  handled?: number;
  /** What those handlings cost (decision 2184): kept as `handled` is; absent until the first. */
  costs?: HandlingCosts;
}

export interface LocalAgentsOptions {
  nodeId: string;
  host: AgentHost;
  messaging: AgentMessaging;
  /** The lifecycle's instrumentation (AgentLifecycle.events). */
  events: Instrumentation<AgentLifecycleEvent>;
  /** Apply what init() did (services registered, timers set, messages sent). */
  onStarted: (init: ExecutionResult) => Promise<void>;
}

export class LocalAgents {
  private readonly agents = new Map<string, LocalAgent>();

  constructor(private readonly o: LocalAgentsOptions) {}

  get(name: string): LocalAgent | undefined {
    return this.agents.get(name);
  }

  has(name: string): boolean {
    return this.agents.has(name);
  }

  add(local: LocalAgent): void {
    this.agents.set(local.record.name, local);
    // Its name routes from now on: no shard may keep refusing it as unknown (decision 2123).
    this.o.host.routing?.changed();
  }

  remove(name: string): void {
    this.agents.delete(name);
  }

  /** The bus reported a handling of `name` (decision 2101): counted if it is deployed here, else nothing to count into. */
  countHandled(name: string, cost: HandlingSample): boolean {
    const local = this.agents.get(name);
    if (local === undefined) return false;
    local.handled = (local.handled ?? 0) + 1;
    addSample((local.costs ??= zeroCosts()), cost);
    return true;
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  /** Work is handed out only to running agents; a crash-looped (failed) one answers not-running. */
  isRunning(name: string): boolean {
    return this.agents.get(name)?.state === 'running';
  }

  /** Starts an instance of `record` in the sandbox and applies what its init did. */
  async startInstance(record: AgentRecord, identity: AgentId, shard?: number): Promise<void> {
    const init = await this.o.host.start({ deployment: record, identity, ...(shard !== undefined ? { shard } : {}) });
    await this.o.onStarted(init);
  }

  /** The agent cannot run: `failed`, with why (`doing`: what failed), in its status and its log. */
  fail(local: LocalAgent, err: unknown, doing = 'could not start'): void {
    local.state = 'failed';
    local.lastError = errorSummary(err);
    const e = err as Error;
    agentLog(this.o.events, local.record.name, 'error', `${doing}: ${err instanceof CaxtonError ? err.describe() : e.message}`);
  }

  /** Status of an agent on this node, with the sandbox's live figures; undefined if not here. */
  async status(name: string): Promise<AgentStatus | undefined> {
    const local = this.agents.get(name);
    if (!local) return undefined;
    const stats = await this.o.host.stats(name);
    const r = local.record;
    let state: AgentState = local.state;
    if (state === 'running' && stats?.state === 'failed') state = 'failed';
    else if (state === 'running' && stats?.state === 'restarting') state = 'restarting';
    // Failed by the node (a start, or a replica's rewind, decision 2010): why is the node's; an
    // older crash the sandbox recovered from would hide it.
    const lastError = local.state === 'failed' ? (local.lastError ?? stats?.lastError) : (stats?.lastError ?? local.lastError);
    return {
      name: r.name,
      state,
      nodeId: this.o.nodeId,
      version: r.version,
      artifactDigest: r.artifactDigest,
      artifactSize: local.artifactSize,
      limits: r.limits,
      config: r.config,
      restarts: stats?.restarts ?? 0,
      fuelUsed: stats?.fuelUsed ?? 0,
      memoryPages: stats?.memoryPages ?? 0,
      mailboxDepth: this.o.messaging.mailboxDepth(name),
      messagesHandled: local.handled ?? 0,
      costs: local.costs === undefined ? zeroCosts() : { ...local.costs },
      ...(lastError ? { lastError } : {}),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      ...deploymentShown(r),
      ...previousShown(r),
      ...breakerShown(this.o.messaging.breaker?.(name)),
    };
  }
}

function breakerShown(breaker: AgentBreaker | undefined): { breaker?: AgentBreaker } {
  return breaker === undefined ? {} : { breaker };
}

/** What an agent's status shows of an error. */
export function errorSummary(err: unknown): { message: string; code?: string; at: number } {
  return { message: (err as Error).message, ...(err instanceof CaxtonError ? { code: err.code } : {}), at: Date.now() };
}
