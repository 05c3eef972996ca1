/** What an operator sees of a kind and of one instance (decision 1980; a cluster's, decision 2060): read-only views of the kinds' table. */
import {
  DEFAULT_PRIORITY_CLASS,
  PRIORITY_CLASSES,
  priorityClassRank,
  zeroCosts,
  type AgentStatus,
  type KindCounts,
  type RolloutView,
} from '@caxton/core';
import type { AgentHost } from '../agent-host.js';
import type { KindPlacement } from './kind-options.js';
import { instanceRecord, type Kind } from './kind-model.js';
import { versionForKey } from './kind-rollouts.js';

/** Counts of a kind's instances (its status). */
export function kindCounts(kind: Kind, defaultIdleMs: number): KindCounts {
  const cap = kind.record.kind?.maxActive;
  return {
    idleMs: kind.record.kind?.idleMs ?? defaultIdleMs,
    active: kind.instances.size,
    passivated: kind.passivated,
    activations: kind.activations,
    failed: kind.failed,
    ...(cap !== undefined ? { maxActive: cap, evicted: kind.evicted } : {}),
    ...priorityCounts(kind),
  };
}

/** A kind of another class than the default shows it, and how many of its instances were preempted (decision 2187). */
function priorityCounts(kind: Kind): Pick<KindCounts, 'priorityClass' | 'preempted'> {
  const cls = PRIORITY_CLASSES[priorityClassRank(kind.record.kind?.priorityClass)]!;
  if (cls === DEFAULT_PRIORITY_CLASS && kind.preempted === 0) return {};
  return { priorityClass: cls, preempted: kind.preempted };
}

/** A kind's status: its record and its instances' counts. */
export function kindStatus(kind: Kind, counts: KindCounts, rollout: RolloutView | undefined): AgentStatus {
  const r = kind.record;
  return {
    name: r.name,
    state: 'running',
    nodeId: '',
    version: r.version,
    artifactDigest: r.artifactDigest,
    artifactSize: 0,
    limits: r.limits,
    config: r.config,
    restarts: 0,
    // Its instances' handlings on this node (decision 2184): a kind's figures are the sums of its keys'.
    fuelUsed: kind.costs?.fuel ?? 0,
    memoryPages: 0,
    mailboxDepth: 0,
    messagesHandled: kind.costs?.handled ?? 0,
    costs: kind.costs === undefined ? zeroCosts() : { ...kind.costs },
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.http !== undefined ? { http: r.http } : {}),
    ...(r.signerKeyId !== undefined ? { signerKeyId: r.signerKeyId } : {}),
    ...(r.language !== undefined ? { language: r.language } : {}),
    ...(r.topics !== undefined ? { topics: r.topics } : {}),
    kind: counts,
    ...(rollout !== undefined ? { rollout } : {}),
  };
}

export interface InstanceStatusSources {
  host: AgentHost;
  mailboxDepth(name: string): number;
  placed: KindPlacement | undefined;
}

/**
 * One instance: in memory, with the sandbox's figures; passivated (or never activated), as
 * `stopped` with its mailbox depth; in a cluster, one whose partition another node consumes, with
 * `elsewhere` (its partition) and that node (decision 2060).
 */
export async function instanceStatus(kind: Kind, name: string, key: string, from: InstanceStatusSources): Promise<AgentStatus> {
  const instance = kind.instances.get(name);
  const r = kind.record;
  const placed = from.placed;
  if (instance === undefined && placed !== undefined && !placed.isHere(name) && placed.partitionOf !== undefined) {
    // Another node consumes its partition: not `stopped` (it may be running there), but where it is.
    return {
      name,
      state: 'stopped',
      nodeId: (await placed.ownerOf?.(name)) ?? '',
      version: versionForKey(r, key).version,
      artifactDigest: versionForKey(r, key).artifactDigest,
      artifactSize: 0,
      limits: r.limits,
      config: instanceRecord(r, name, key).config,
      restarts: 0,
      fuelUsed: 0,
      memoryPages: 0,
      mailboxDepth: from.mailboxDepth(name),
      messagesHandled: 0,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      elsewhere: { partition: placed.partitionOf(name) },
    };
  }
  const stats = instance === undefined ? undefined : await from.host.stats(name);
  // The version its key runs (a rollout by key gives some keys the new one, decision 2175).
  const keyed = versionForKey(r, key);
  const state =
    instance === undefined
      ? 'stopped'
      : instance.state === 'running'
        ? stats?.state === 'failed'
          ? 'failed'
          : stats?.state === 'restarting'
            ? 'restarting'
            : 'running'
        : instance.state === 'activating' || instance.state === 'reserved'
          ? 'starting'
          : 'stopping';
  return {
    name,
    state,
    nodeId: '',
    version: instance?.version ?? keyed.version,
    artifactDigest:
      instance !== undefined && instance.version === r.rollout?.candidate.version
        ? r.rollout.candidate.artifactDigest
        : keyed.artifactDigest,
    artifactSize: 0,
    limits: r.limits,
    config: instanceRecord(r, name, key).config,
    restarts: stats?.restarts ?? 0,
    fuelUsed: stats?.fuelUsed ?? 0,
    memoryPages: stats?.memoryPages ?? 0,
    mailboxDepth: from.mailboxDepth(name),
    messagesHandled: stats?.messagesHandled ?? 0,
    ...(stats?.lastError ? { lastError: stats.lastError } : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
