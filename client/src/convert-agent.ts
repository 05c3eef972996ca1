/**
 * Agent status between the NodeControl model and caxton.v1 `AgentInfo`. The server uses the `to`
 * direction, the client (CLI) the `from` direction; keeping both here keeps them symmetric.
 */
import {
  CaxtonError,
  AGENT_STATES,
  formatStrategy,
  parseStrategy,
  type AgentState,
  type AgentStatus,
  type RolloutPhase,
  type RolloutView,
  type ReplicaUnitView,
  type HandlingCosts,
  type PriorityClass,
  PRIORITY_CLASSES,
} from '@caxton/core';
import type { WireAgentInfo, WireAgentRollout, WireAgentState, WireHandlingCosts, WireReplicaUnit } from './wire.js';
import { httpPolicyFromWire, httpPolicyToWire } from './convert-http.js';

const STATE_PREFIX = 'AGENT_STATE_';

/** A kind's class as the node sent it; a value this client does not know shows as the default (a newer node's class). */
function priorityClassFromWire(value: string): PriorityClass {
  return (PRIORITY_CLASSES as readonly string[]).includes(value) ? (value as PriorityClass) : 'normal';
}

export function stateToWire(state: AgentState): WireAgentState {
  return `${STATE_PREFIX}${state.toUpperCase()}` as WireAgentState;
}

/** A state this client does not know (a newer server) reads as 'unknown' rather than failing. */
export function stateFromWire(state: string): AgentState | 'unknown' {
  const name = state.startsWith(STATE_PREFIX) ? state.slice(STATE_PREFIX.length).toLowerCase() : '';
  return (AGENT_STATES as readonly string[]).includes(name) ? (name as AgentState) : 'unknown';
}

export function agentToWire(a: AgentStatus): WireAgentInfo {
  return {
    name: a.name,
    // Not this node's to tell for an instance another node holds: unspecified, read as `unknown`.
    state: a.elsewhere ? 'AGENT_STATE_UNSPECIFIED' : stateToWire(a.state),
    nodeId: a.nodeId,
    version: a.version,
    artifactSha256: a.artifactDigest,
    artifactSize: a.artifactSize,
    limits: {
      fuelPerMessage: a.limits.fuelPerMessage,
      memoryPages: a.limits.memoryPages,
      maxSendsPerS: a.limits.sendsPerSecond ?? 0,
      maxSendsPerCall: a.limits.maxOutbox ?? 0,
      absentQueue: a.limits.absentQueue ?? 0,
      absentTtlMs: a.limits.absentTtlMs ?? 0,
    },
    config: a.config,
    restarts: a.restarts,
    fuelUsed: a.fuelUsed,
    memoryPages: a.memoryPages,
    mailboxDepth: a.mailboxDepth,
    messagesHandled: a.messagesHandled,
    costs: a.costs ? { ...a.costs } : null,
    lastError: a.lastError ? { message: a.lastError.message, code: a.lastError.code ?? '', atUnixMs: a.lastError.at } : null,
    createdAtUnixMs: a.createdAt,
    updatedAtUnixMs: a.updatedAt,
    http: a.http ? httpPolicyToWire(a.http) : null,
    signerKeyId: a.signerKeyId ?? '',
    language: a.language ?? '',
    previous: a.previous
      ? { version: a.previous.version, artifactSha256: a.previous.artifactDigest, language: a.previous.language ?? '' }
      : null,
    breaker: a.breaker ? { state: a.breaker.state, failures: a.breaker.failures, retryAfterMs: a.breaker.retryAfterMs ?? 0 } : null,
    rollout: a.rollout ? rolloutToWire(a.rollout) : null,
    absentQueue: a.absentQueue ? { queued: a.absentQueue.queued, limit: a.absentQueue.limit, ttlMs: a.absentQueue.ttlMs } : null,
    kind: a.kind ? { ...a.kind } : null,
    replicas: a.replicas
      ? {
          replicas: a.replicas.replicas,
          draining: a.replicas.draining,
          recorded: a.replicas.recorded ?? 0,
          units: (a.replicas.units ?? []).map(replicaUnitToWire),
        }
      : null,
    topics: a.topics !== undefined ? { patterns: [...a.topics] } : null,
    elsewhere: a.elsewhere ? { partition: a.elsewhere.partition } : null,
    // Names only: a schema may be 128 KiB and an agents listing carries every agent.
    ontologies: Object.keys(a.ontologies ?? {}).sort(),
    near: a.near ? { agent: a.near.agent, key: a.near.key ?? '', note: a.near.note ?? '' } : null,
  };
}

/** What a client sees: like AgentStatus, but tolerant of states added by newer servers. */
export type AgentView = Omit<AgentStatus, 'state' | 'ontologies'> & {
  state: AgentState | 'unknown';
  /** The names of the ontologies it declares (decision 2183); their schemas stay on the node. Absent: none. */
  ontologies?: string[];
};

export function agentFromWire(w: WireAgentInfo | null): AgentView {
  if (!w)
    throw new CaxtonError('api.bad-response', 'the node answered without agent information', {
      kind: 'invalid-argument',
      hint: 'the node and the CLI may be different Caxton versions',
    });
  const view: AgentView = {
    name: w.name,
    state: stateFromWire(w.state),
    nodeId: w.nodeId,
    version: w.version,
    artifactDigest: w.artifactSha256,
    artifactSize: w.artifactSize,
    limits: {
      fuelPerMessage: w.limits?.fuelPerMessage ?? 0,
      memoryPages: w.limits?.memoryPages ?? 0,
      ...(w.limits?.maxSendsPerS ? { sendsPerSecond: w.limits.maxSendsPerS } : {}),
      ...(w.limits?.maxSendsPerCall ? { maxOutbox: w.limits.maxSendsPerCall } : {}),
      ...(w.limits?.absentQueue ? { absentQueue: w.limits.absentQueue } : {}),
      ...(w.limits?.absentTtlMs ? { absentTtlMs: Number(w.limits.absentTtlMs) } : {}),
    },
    config: { ...w.config },
    restarts: w.restarts,
    fuelUsed: w.fuelUsed,
    memoryPages: w.memoryPages,
    mailboxDepth: w.mailboxDepth,
    messagesHandled: w.messagesHandled,
    createdAt: w.createdAtUnixMs,
    updatedAt: w.updatedAtUnixMs,
  };
  if (w.costs) view.costs = costsFromWire(w.costs);
  if (w.http) view.http = httpPolicyFromWire(w.http);
  if (w.signerKeyId) view.signerKeyId = w.signerKeyId;
  if (w.language) view.language = w.language;
  if (w.previous)
    view.previous = {
      version: w.previous.version,
      artifactDigest: w.previous.artifactSha256,
      ...(w.previous.language ? { language: w.previous.language } : {}),
    };
  if (w.breaker && (w.breaker.state === 'open' || w.breaker.state === 'half-open')) {
    view.breaker = {
      state: w.breaker.state,
      failures: w.breaker.failures,
      ...(w.breaker.state === 'open' ? { retryAfterMs: Number(w.breaker.retryAfterMs) } : {}),
    };
  }
  if (w.rollout) view.rollout = rolloutFromWire(w.rollout);
  if (w.absentQueue) view.absentQueue = { queued: w.absentQueue.queued, limit: w.absentQueue.limit, ttlMs: Number(w.absentQueue.ttlMs) };
  if (w.kind) {
    view.kind = {
      idleMs: w.kind.idleMs,
      active: Number(w.kind.active),
      passivated: Number(w.kind.passivated),
      activations: Number(w.kind.activations),
      failed: Number(w.kind.failed),
      ...(w.kind.maxActive ? { maxActive: w.kind.maxActive, evicted: Number(w.kind.evicted ?? 0) } : {}),
      ...(w.kind.priorityClass ? { priorityClass: priorityClassFromWire(w.kind.priorityClass) } : {}),
      ...(w.kind.preempted !== undefined && Number(w.kind.preempted) > 0 ? { preempted: Number(w.kind.preempted) } : {}),
    };
  }
  if (w.replicas && w.replicas.replicas > 0) {
    const units = (w.replicas.units ?? []).map(replicaUnitFromWire);
    view.replicas = {
      replicas: w.replicas.replicas,
      draining: w.replicas.draining,
      ...(w.replicas.recorded ? { recorded: w.replicas.recorded } : {}),
      ...(units.length > 0 ? { units } : {}),
    };
  }
  // Shown as the node holds it; a client only displays the list, the node is what enforces it.
  if (w.topics) view.topics = [...w.topics.patterns];
  // (Partition 0 may arrive as an absent field: a default.)
  if (w.elsewhere) view.elsewhere = { partition: w.elsewhere.partition ?? 0 };
  if (w.ontologies && w.ontologies.length > 0) view.ontologies = [...w.ontologies];
  if (w.near?.agent)
    view.near = { agent: w.near.agent, ...(w.near.key ? { key: w.near.key } : {}), ...(w.near.note ? { note: w.near.note } : {}) };
  if (w.lastError) {
    view.lastError = { message: w.lastError.message, at: w.lastError.atUnixMs };
    if (w.lastError.code) view.lastError.code = w.lastError.code;
  }
  return view;
}

export function rolloutToWire(r: RolloutView): WireAgentRollout {
  const t = r.thresholds;
  return {
    strategy: formatStrategy(r.strategy),
    phase: r.phase,
    candidateVersion: r.candidateVersion,
    candidateSha256: r.candidateDigest,
    startedAtUnixMs: r.startedAt,
    bakeUntilUnixMs: r.bakeUntil,
    maxCrashRatePercent: t.maxCrashRatePercent,
    maxFailureRatePercent: t.maxFailureRatePercent,
    maxP99Ms: t.maxP99Ms,
    bakeMs: t.bakeMs,
    handled: r.counts.handled,
    crashes: r.counts.crashes,
    failures: r.counts.failures,
    p99Ms: r.counts.p99Ms ?? 0,
    reason: r.reason ?? '',
  };
}

const PHASES: readonly RolloutPhase[] = ['baking', 'promoting', 'rolling-back', 'promoted', 'rolled-back', 'aborted'];

/** A phase this client does not know (a newer server) reads as `aborted`'s neighbour: shown as sent. */
export function rolloutFromWire(w: WireAgentRollout): RolloutView {
  let strategy: RolloutView['strategy'];
  try {
    strategy = parseStrategy(w.strategy);
  } catch {
    strategy = { kind: 'blue-green' };
  }
  return {
    strategy,
    phase: (PHASES as readonly string[]).includes(w.phase) ? (w.phase as RolloutPhase) : 'aborted',
    candidateVersion: Number(w.candidateVersion),
    candidateDigest: w.candidateSha256,
    startedAt: Number(w.startedAtUnixMs),
    bakeUntil: Number(w.bakeUntilUnixMs),
    thresholds: {
      maxCrashRatePercent: w.maxCrashRatePercent,
      maxFailureRatePercent: w.maxFailureRatePercent,
      maxP99Ms: w.maxP99Ms,
      bakeMs: Number(w.bakeMs),
    },
    counts: {
      handled: Number(w.handled),
      crashes: Number(w.crashes),
      failures: Number(w.failures),
      ...(w.p99Ms > 0 ? { p99Ms: w.p99Ms } : {}),
    },
    ...(w.reason ? { reason: w.reason } : {}),
  };
}

function replicaUnitToWire(u: ReplicaUnitView): WireReplicaUnit {
  return { replica: u.replica, nodeId: u.node, activeOn: [...u.activeOn], handled: u.handled ?? 0, handledKnown: u.handled !== undefined };
}

function replicaUnitFromWire(w: WireReplicaUnit): ReplicaUnitView {
  const view: ReplicaUnitView = { replica: w.replica, node: w.nodeId ?? '', activeOn: [...(w.activeOn ?? [])] };
  return w.handledKnown ? { ...view, handled: Number(w.handled) } : view;
}

/** Wire sums → numbers (a 64-bit field may arrive as a string from some encoders). */
export function costsFromWire(w: WireHandlingCosts): HandlingCosts {
  return {
    handled: Number(w.handled),
    fuel: Number(w.fuel),
    handlerUs: Number(w.handlerUs),
    messagesSent: Number(w.messagesSent),
    bytesSent: Number(w.bytesSent),
    stateBytesWritten: Number(w.stateBytesWritten),
    httpCalls: Number(w.httpCalls),
  };
}
