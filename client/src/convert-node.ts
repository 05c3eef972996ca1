/**
 * Directory entries, node status, log lines and bus events between the NodeControl model and
 * caxton.v1, in both directions (server: to wire, client: from wire).
 */
import {
  CaxtonError,
  LOG_LEVELS,
  type LogEntry,
  type LogLevel,
  type MessageEvent,
  type NodeStatus,
  type KillSwitchStatus,
  type ReplayReach,
} from '@caxton/core';
import type { DfAgentDescription, ServiceDescription } from '@caxton/core';
import { aclFromWire, aclToWire, agentIdFromWire, agentIdToWire } from './convert-acl.js';
import type {
  WireDfAgentDescription,
  WireLogEntry,
  WireLogLevel,
  WireMessageEvent,
  WireNodeStatusResponse,
  WireServiceDescription,
  WireKillSwitchStatus,
  WireReplayReach,
} from './wire.js';

// ---- directory ----

function serviceToWire(s: ServiceDescription): WireServiceDescription {
  return {
    name: s.name,
    type: s.type,
    ownership: s.ownership ?? '',
    protocols: s.protocols,
    ontologies: s.ontologies,
    languages: s.languages,
    properties: s.properties,
  };
}

function serviceFromWire(s: WireServiceDescription): ServiceDescription {
  const out: ServiceDescription = {
    name: s.name,
    type: s.type,
    protocols: [...s.protocols],
    ontologies: [...s.ontologies],
    languages: [...s.languages],
    properties: { ...s.properties },
  };
  if (s.ownership) out.ownership = s.ownership;
  return out;
}

export function dfToWire(d: DfAgentDescription): WireDfAgentDescription {
  return {
    name: agentIdToWire(d.name),
    services: d.services.map(serviceToWire),
    protocols: d.protocols,
    ontologies: d.ontologies,
    languages: d.languages,
    leaseUntilUnixMs: d.leaseUntil ?? 0,
  };
}

export function dfFromWire(w: WireDfAgentDescription): DfAgentDescription {
  const out: DfAgentDescription = {
    name: w.name ? agentIdFromWire(w.name) : { name: '' },
    services: w.services.map(serviceFromWire),
    protocols: [...w.protocols],
    ontologies: [...w.ontologies],
    languages: [...w.languages],
  };
  if (w.leaseUntilUnixMs > 0) out.leaseUntil = w.leaseUntilUnixMs;
  return out;
}

// ---- node status ----

export interface NodeStatusView extends NodeStatus {
  uptimeMs: number;
}

export function nodeStatusToWire(s: NodeStatus, now: number): WireNodeStatusResponse {
  return {
    nodeId: s.nodeId,
    version: s.version,
    startedAtUnixMs: s.startedAt,
    uptimeMs: Math.max(0, now - s.startedAt),
    agentsTotal: s.agentsTotal,
    agentsRunning: s.agentsRunning,
    nodes: s.nodes.map((n) => ({
      id: n.id,
      address: n.address,
      startedAtUnixMs: n.startedAt,
      lastSeenUnixMs: n.lastSeen,
      agents: n.agents,
      self: n.self,
    })),
    storage: s.storage.map((b) => ({ role: b.role, kind: b.kind, location: b.location })),
    ...(s.killSwitch ? { killSwitch: s.killSwitch } : {}),
    ...(s.platform !== undefined ? { platform: s.platform } : {}),
    ...(s.replay ? { replay: replayReachToWire(s.replay) } : {}),
  };
}

export function nodeStatusFromWire(w: WireNodeStatusResponse): NodeStatusView {
  return {
    nodeId: w.nodeId,
    version: w.version,
    startedAt: w.startedAtUnixMs,
    uptimeMs: w.uptimeMs,
    agentsTotal: w.agentsTotal,
    agentsRunning: w.agentsRunning,
    nodes: w.nodes.map((n) => ({
      id: n.id,
      address: n.address,
      startedAt: n.startedAtUnixMs,
      lastSeen: n.lastSeenUnixMs,
      agents: [...n.agents],
      self: n.self,
    })),
    storage: w.storage.map((b) => ({ role: b.role, kind: b.kind, location: b.location })),
    ...(w.killSwitch ? { killSwitch: killSwitchFromWire(w.killSwitch) } : {}),
    ...(w.platform ? { platform: w.platform } : {}),
    ...(w.replay ? { replay: replayReachFromWire(w.replay) } : {}),
  };
}

function replayReachToWire(r: ReplayReach): WireReplayReach {
  return {
    oldestRecordUnixMs: r.oldestRecordAt ?? 0,
    historySeconds: r.historySeconds,
    historyBytes: r.historyBytes,
    heldBytes: r.heldBytes,
    segments: r.segments,
    source: r.source,
    agents: (r.agents ?? []).map((a) => ({
      agent: a.agent,
      oldestCopyClosedUnixMs: a.oldestCopyClosedAt ?? 0,
      files: a.files,
      heldBytes: a.heldBytes,
      historySeconds: a.historySeconds,
      historyBytes: a.historyBytes,
    })),
  };
}

/** 0 on the wire is "unknown or nothing held": absent here, so no one shows it as 1970. */
function replayReachFromWire(w: WireReplayReach): ReplayReach {
  return {
    source: w.source,
    ...(w.oldestRecordUnixMs > 0 ? { oldestRecordAt: w.oldestRecordUnixMs } : {}),
    segments: w.segments,
    heldBytes: w.heldBytes,
    historySeconds: w.historySeconds,
    historyBytes: w.historyBytes,
    ...(w.agents !== undefined && w.agents.length > 0
      ? {
          agents: w.agents.map((a) => ({
            agent: a.agent,
            ...(a.oldestCopyClosedUnixMs > 0 ? { oldestCopyClosedAt: a.oldestCopyClosedUnixMs } : {}),
            files: a.files,
            heldBytes: a.heldBytes,
            historySeconds: a.historySeconds,
            historyBytes: a.historyBytes,
          })),
        }
      : {}),
  };
}

/** The kill switch as the node reported it (a missing message: nothing held). */
export function killSwitchFromWire(w: WireKillSwitchStatus | null | undefined): KillSwitchStatus {
  return {
    frozen: w?.frozen ?? false,
    nodeFrozen: w?.nodeFrozen ?? false,
    clusterFrozen: w?.clusterFrozen ?? false,
    suspended: [...(w?.suspended ?? [])],
  };
}

// ---- logs ----

const LEVEL_PREFIX = 'LOG_LEVEL_';

export function logLevelToWire(level: LogLevel): WireLogLevel {
  return `${LEVEL_PREFIX}${level.toUpperCase()}` as WireLogLevel;
}

export function logLevelFromWire(level: string): LogLevel {
  const name = level.startsWith(LEVEL_PREFIX) ? level.slice(LEVEL_PREFIX.length).toLowerCase() : '';
  // An unknown (newer) level is shown as info rather than dropping the line.
  return (LOG_LEVELS as readonly string[]).includes(name) ? (name as LogLevel) : 'info';
}

export function logToWire(e: LogEntry): WireLogEntry {
  return { agent: e.agent, atUnixMs: e.at, level: logLevelToWire(e.level), message: e.message, nodeId: e.nodeId };
}

export function logFromWire(w: WireLogEntry): LogEntry {
  return { agent: w.agent, at: w.atUnixMs, level: logLevelFromWire(w.level), message: w.message, nodeId: w.nodeId };
}

// ---- bus events ----

export function messageEventToWire(e: MessageEvent): WireMessageEvent {
  return { messageId: e.messageId, acceptedAtUnixMs: e.acceptedAt, message: aclToWire(e.message) };
}

export function messageEventFromWire(w: WireMessageEvent): MessageEvent {
  if (!w.message) {
    throw new CaxtonError('api.bad-response', `the node sent message event ${w.messageId} without a message`, {
      kind: 'invalid-argument',
      hint: 'the node and the CLI may be different Caxton versions',
    });
  }
  return { messageId: w.messageId, acceptedAt: w.acceptedAtUnixMs, message: aclFromWire(w.message) };
}
