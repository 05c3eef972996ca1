/**
 * Co-location (issue 61, decision 2189): `deploy --near <agent>` gives the new agent a placement
 * key, the key of the agent named, and every place that computes an agent's partition in a cluster
 * hashes that key instead of the agent's name. Both then share one partition, so one node consumes
 * them, and they move together on failover and rebalance: placement is data, one identity (Akka
 * Cluster Sharding's entity id, Orleans' placement). Pure: the lifecycle reads what the target is
 * and asks here what the deployment records.
 */
import { CaxtonError } from '../errors.js';
import { AGENT_NAME, AGENT_NAME_HINT, parseInstanceName } from './agent-name.js';
import { InvalidArgumentError } from './errors.js';

/** What a deployment records of `--near` (its registry record; the API's AgentInfo.near). */
export interface AgentNear {
  /** The agent named by `--near`, as asked. */
  agent: string;
  /**
   * The placement key both share: the named agent's own key (its name, or its own placement key,
   * so chains collapse to one root). Absent: a fallback, the agent is placed by its own name.
   */
  key?: string;
  /** Why it is not placed near the agent named (a fallback), or what holds anyway (one node). */
  note?: string;
}

/** What the agent named by `--near` is, as the node sees it at deploy time. */
export type NearTarget =
  | { is: 'absent' }
  | { is: 'kind' }
  | { is: 'instance' }
  | { is: 'scaled'; replicas: number }
  /** A named agent, with the placement key it was itself deployed with (absent: its name). */
  | { is: 'agent'; key?: string };

/**
 * `--near` as given at the boundary (hostile input: length, characters): a deployable agent name, or
 * a kind's instance name (`counter/alice`, checked by its own rule), which the deploy then falls
 * back from with a note.
 */
export function checkNearName(near: string, field = 'header.near'): string {
  if (parseInstanceName(near, field) !== undefined) return near;
  if (!AGENT_NAME.test(near)) throw new InvalidArgumentError(field, `"${near.slice(0, 140)}" is not a valid agent name`, AGENT_NAME_HINT);
  return near;
}

/**
 * What the deployment of `self` near `near` records. Every case it cannot honour falls back to the
 * agent's own name, with a note: the deploy still succeeds (placement is an optimisation, never a
 * reason to leave an agent undeployed). `oneNode`: the embedded topology, where every agent runs on
 * the one node anyway.
 */
export function resolveNear(self: string, near: string, target: NearTarget, oneNode: boolean): AgentNear {
  const fallback = (why: string): AgentNear => ({ agent: near, note: `not placed near ${near}: ${why}; placed by its own name` });
  if (near === self) return fallback('an agent cannot be placed near itself');
  switch (target.is) {
    case 'absent':
      return fallback(`no agent ${near} is deployed`);
    case 'kind':
      return fallback(`${near} is an agent kind, whose instances are placed by their own keys`);
    case 'instance':
      return fallback(`${near} is an instance of an agent kind, placed by its key and passivated when idle`);
    case 'scaled':
      return fallback(`${near} runs as ${target.replicas} replicas, spread over the nodes by their own partitions`);
    case 'agent': {
      const key = target.key ?? near;
      return {
        agent: near,
        key,
        ...(oneNode ? { note: 'one node: every agent runs on it, so it is near every other' } : {}),
      };
    }
  }
}

/** A name's placement as a cluster keeps it (decision 2189): the key, and the agent `--near` named. */
export interface FixedPlacement {
  key: string;
  near?: string;
}

/** What a deploy of `name` fixes for good (decision 2189): a key other than its name, or nothing. */
export function wantedPlacement(name: string, asked: AgentNear | undefined): FixedPlacement | undefined {
  return asked?.key === undefined || asked.key === name ? undefined : { key: asked.key, near: asked.agent };
}

/**
 * What a deploy of `name` records, given what `--near` resolved to and the placement the cluster
 * holds for the name (fixed for good by its first deploy `--near` another; undefined: placed by its
 * name, nothing fixed). Throws `agent.near-changed` when `--near` names another placement than the
 * fixed one.
 */
export function settlePlacement(name: string, asked: AgentNear | undefined, fixed: FixedPlacement | undefined): AgentNear | undefined {
  if (fixed === undefined) return asked;
  // Fixed by itself: the root of a chain others are placed near, which must stay where they are.
  if (fixed.key === name) {
    if (asked?.key === undefined) return asked;
    throw new NearChangedError(name, undefined, asked.agent, true);
  }
  if (fixed.key === asked?.key) return asked;
  if (asked === undefined || asked.agent === fixed.near) {
    const near = fixed.near ?? fixed.key;
    return {
      agent: near,
      key: fixed.key,
      note: `placed near ${near} by the placement fixed at its first deploy (kept for good in a cluster)`,
    };
  }
  throw new NearChangedError(name, fixed.near, asked.agent, true);
}

/**
 * `--keep-state` on a first `--near` of a name placed by its own name until now: the state it keeps
 * was written in its name's partition, which the new key would not read.
 */
export class NearKeepStateError extends CaxtonError {
  constructor(agent: string, near: string) {
    super(
      'agent.near-keep-state',
      `cannot deploy ${agent} near ${near} with --keep-state: its state was kept in the partition of its own name`,
      {
        kind: 'failed-precondition',
        context: { agent, near },
        hint: `deploy it near ${near} without --keep-state (a fresh state), or keep its state and deploy it without --near`,
      },
    );
  }
}

/** The key that places `name` given its record's near (a fallback or none: its own name). */
export function placementKeyOf(name: string, near: AgentNear | undefined): string {
  return near?.key ?? name;
}

/** `--near` on a kind: its instances are spread by key, which one shared partition would undo. */
export class NearKindError extends CaxtonError {
  constructor(kind: string, near: string) {
    super('agent.near-kind', `cannot deploy the kind ${kind} near ${near}: a kind's instances are placed by their own keys`, {
      kind: 'failed-precondition',
      context: { agent: kind, near },
      hint: `deploy it without --near; place a named agent near ${near}, or near an agent that talks to the kind's instances`,
    });
  }
}

/**
 * A deploy or upgrade naming another `--near` than the name's placement: in a cluster the key is
 * fixed at the name's first deploy and kept for good (its deliveries and state live in that key's
 * partition, in order); on one node, for the deployment.
 */
export class NearChangedError extends CaxtonError {
  constructor(agent: string, was: string | undefined, asked: string, forGood = false) {
    super(
      'agent.near-changed',
      `cannot place ${agent} near ${asked}: its placement was fixed at its first deploy (${was === undefined ? 'by its own name' : `near ${was}`})`,
      {
        kind: 'failed-precondition',
        context: { agent, near: asked, ...(was !== undefined ? { was } : {}) },
        hint: forGood
          ? `in a cluster a name keeps its placement for good (its messages and state stay in one partition); deploy ${was === undefined ? 'without --near' : `with --near ${was} or without it`}, or deploy the agent under another name near ${asked}`
          : `its deliveries stay in one partition, in order; to move it, stop it (caxton stop ${agent}, which removes the deployment) and deploy it again with --near ${asked}`,
      },
    );
  }
}

/**
 * `--near` in a cluster with a node that does not place by keys (an older version): it would read
 * the agent's deliveries from the partition of its name, not of its key, and hold them there.
 */
export class NearUnsupportedError extends CaxtonError {
  constructor(agent: string, near: string, node: string) {
    super(
      'agent.near-unsupported',
      `cannot place ${agent} near ${near}: node ${node} of the cluster does not place agents by placement keys`,
      {
        kind: 'failed-precondition',
        context: { agent, near, node },
        hint: `upgrade node ${node} (and every node older than this one) first, or deploy without --near`,
      },
    );
  }
}
