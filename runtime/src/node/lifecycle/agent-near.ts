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

/** What `--near` resolved to at a deploy, and whether a cluster is still to fix it (a takeover keeps what it had). */
export interface DeployNear {
  near: AgentNear | undefined;
  fix: boolean;
}

/**
 * `--near` of a deploy of `name`, resolved before anything is stored (a kind given one is refused;
 * a takeover of a queue kept by a stop keeps the placement it was stopped with). Writes nothing:
 * `fixDeployNear` does, once the artifact is validated and stored.
 */
export async function resolveDeployNear(p: LifecycleParts, name: string, near: string | undefined, isKind: boolean): Promise<DeployNear> {
  if (near !== undefined) checkNearName(near);
  if (near !== undefined && isKind) throw new NearKindError(name, near);
  if (isKind) return { near: undefined, fix: false };
  // A deploy that takes over a queue kept by a stop (decision 1990) keeps the placement it was
  // stopped with: that queue waits in its key's partition.
  const kept = await p.residency.status(name);
  if (kept !== undefined) {
    if (near !== undefined && near !== kept.near?.agent)
      throw new NearChangedError(name, kept.near?.agent, near, p.residency.fixPlacement !== undefined);
    return { near: kept.near, fix: false };
  }
  // The lifecycle tells a cluster by the residency's recorded replicas (agent-residency.ts).
  const asked =
    near === undefined ? undefined : resolveNear(name, near, await nearTarget(p, near), p.residency.recordReplicas === undefined);
  return { near: asked, fix: true };
}

/** What the deployment records: in a cluster the placement fixed for the name, for good (decision 2189). Logs a note. */
export async function fixDeployNear(
  p: LifecycleParts,
  name: string,
  resolved: DeployNear,
  keepState: boolean,
): Promise<AgentNear | undefined> {
  const near =
    resolved.fix && p.residency.fixPlacement !== undefined ? await p.residency.fixPlacement(name, resolved.near, keepState) : resolved.near;
  if (near === undefined || !resolved.fix) return near;
  if (near.note !== undefined) agentLog(p.events, name, near.key === undefined ? 'warn' : 'info', near.note);
  else agentLog(p.events, name, 'info', `placed near ${near.agent} (placement key ${near.key})`);
  return near;
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

/** An upgrade may repeat the deployment's `--near` and nothing else: the placement key is fixed (`forGood` in a cluster). */
export function refuseNearChange(previous: AgentRecord, near: string | undefined, forGood: boolean): void {
  if (near === undefined || near === previous.near?.agent) return;
  throw new NearChangedError(previous.name, previous.near?.agent, checkNearName(near), forGood);
}
