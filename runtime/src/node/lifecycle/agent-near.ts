/**
 * `deploy --near` at the lifecycle (decision 2189): what the agent named is, read from this node's
 * view (the kinds, the residency's status: in a cluster the registry's record), and what the
 * deployment records; and the upgrade's rule that the placement is fixed. The decisions themselves
 * are core's (control/near.ts), pure.
 */
import type { AgentStatus } from '@caxton/core';
import { NearChangedError, NearKindError, checkNearName, isInstanceName, resolveNear, type AgentNear, type NearTarget } from '@caxton/core';
import type { AgentRecord } from '../../storage/records.js';
import { agentLog } from '../local-agents.js';
import type { LifecycleParts } from './lifecycle-parts.js';

/** The record's `near` for a first deploy of `name` near `near`; undefined without `--near`. Logs a fallback's note. */
export async function deployNear(
  p: LifecycleParts,
  name: string,
  near: string | undefined,
  isKind: boolean,
): Promise<AgentNear | undefined> {
  if (near !== undefined) checkNearName(near);
  if (near !== undefined && isKind) throw new NearKindError(name, near);
  // A deploy that takes over a queue kept by a stop (decision 1990) keeps the placement it was
  // stopped with: that queue waits in its key's partition.
  const kept = isKind ? undefined : await p.residency.status(name);
  if (kept !== undefined) {
    if (near !== undefined && near !== kept.near?.agent) throw new NearChangedError(name, kept.near?.agent, near);
    return kept.near;
  }
  if (isKind) return undefined;
  // The lifecycle tells a cluster by the residency's recorded replicas (agent-residency.ts).
  const asked =
    near === undefined ? undefined : resolveNear(name, near, await nearTarget(p, near), p.residency.recordReplicas === undefined);
  // A cluster fixes a name's placement at its first deploy, for good (decision 2189).
  const resolved = p.residency.fixPlacement === undefined ? asked : await p.residency.fixPlacement(name, asked);
  if (resolved === undefined) return undefined;
  if (resolved.note !== undefined) agentLog(p.events, name, resolved.key === undefined ? 'warn' : 'info', resolved.note);
  else agentLog(p.events, name, 'info', `placed near ${resolved.agent} (placement key ${resolved.key})`);
  return resolved;
}

async function nearTarget(p: LifecycleParts, near: string): Promise<NearTarget> {
  if (isInstanceName(near)) return { is: 'instance' };
  if (p.kinds.isKind(near)) return { is: 'kind' };
  const status: AgentStatus | undefined = await p.residency.status(near);
  // Stopped with its queue kept (decision 1990) is still deployed, its name taken: placed near it.
  if (status === undefined) return { is: 'absent' };
  if (status.kind !== undefined) return { is: 'kind' };
  const replicas = status.replicas?.replicas ?? 1;
  if (replicas > 1) return { is: 'scaled', replicas };
  return status.near?.key !== undefined ? { is: 'agent', key: status.near.key } : { is: 'agent' };
}

/** An upgrade may repeat the deployment's `--near` and nothing else: the placement key is fixed. */
export function refuseNearChange(previous: AgentRecord, near: string | undefined): void {
  if (near === undefined || near === previous.near?.agent) return;
  throw new NearChangedError(previous.name, previous.near?.agent, checkNearName(near));
}
