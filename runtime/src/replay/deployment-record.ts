/**
 * The deployment a replay runs an agent under, out of the registry's records (issue 57): one
 * definition for every source (a data directory's embedded registry, a cluster's etcd).
 */
import { isInstanceName } from '@caxton/core';
import type { AgentRecord } from '../storage/records.js';
import { instanceRecord } from '../node/kinds/index.js';
import type { RecordedDeployment } from './recorded.js';

/** The record an agent name runs under: its own, or for a kind instance (`kind/key`) the one its kind's makes for it. */
export function recordOf(records: ReadonlyMap<string, AgentRecord>, name: string): AgentRecord | undefined {
  const own = records.get(name);
  if (own !== undefined) return own;
  if (!isInstanceName(name)) return undefined;
  const slash = name.indexOf('/');
  const kind = records.get(name.slice(0, slash));
  return kind === undefined ? undefined : instanceRecord(kind, name, name.slice(slash + 1));
}

export function deploymentOf(record: AgentRecord, name: string): RecordedDeployment {
  return {
    name,
    version: record.version,
    artifactDigest: record.artifactDigest,
    createdAt: record.createdAt,
    versionSince: record.updatedAt,
    limits: record.limits as Record<string, unknown>,
    ...(record.config !== undefined ? { config: record.config } : {}),
    ...(record.http !== undefined ? { http: record.http } : {}),
    ...(record.topics !== undefined ? { topics: record.topics } : {}),
  };
}
