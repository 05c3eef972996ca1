/**
 * What one node should do, given what it sees: the pure core of the PlacementController.
 *
 * Ownership is two things that must never disagree in the dangerous direction:
 *  - the DESIRED owner (rendezvous hash over live nodes), which every node computes alike;
 *  - the CLAIM in etcd (owners/<agent>, created only if absent, bound to the claimant's lease),
 *    which is the only thing that makes a node the owner.
 * A node claims what it should own and nobody holds; hands back (deactivate first, then delete its
 * claim) what it holds but should not; and drops at once anything it runs without holding the claim.
 * It never takes a claim from another holder: the holder releases it, or its lease expires.
 */
import { placeAll } from '../../../placement/rendezvous.js';

export interface Claim {
  node: string;
  lease: string;
  /** Fencing token: the claim key's create_revision. */
  token: number;
}

export interface PlacementView {
  self: string;
  /** Lease of this node's current membership; a claim under another lease is not ours. */
  selfLease: string;
  /** Node ids with a live membership (self included when joined). */
  liveNodes: readonly string[];
  /** Deployed agents. */
  agents: readonly string[];
  /** Current claims by agent. */
  claims: ReadonlyMap<string, Claim>;
  /** Agents active here, with the token they were activated with. */
  active: ReadonlyMap<string, number>;
  /**
   * The key rendezvous hashing places an agent by (default: its name). Kafka mode passes
   * `placementKey(agent, partitions)` so an agent lands on the node consuming its partition
   * (docs/decisions/0600-kafka-bus-partitioning.md). Every node must use the same function.
   */
  keyOf?: (agent: string) => string;
}

export interface PlacementPlan {
  /** Desired here and unclaimed: try to claim, activate on success. */
  claim: string[];
  /** Claimed by us, desired here, not active (yet): activate with the claim's token. */
  activate: { agent: string; token: number }[];
  /** Claimed by us but desired elsewhere, or undeployed: deactivate, then delete the claim. */
  release: { agent: string; token: number }[];
  /** Active here without our claim behind it (lease lost, claim gone or replaced): stop now. */
  deactivate: string[];
}

export function planPlacement(v: PlacementView): PlacementPlan {
  const plan: PlacementPlan = { claim: [], activate: [], release: [], deactivate: [] };
  const mine = (c: Claim | undefined): c is Claim => c !== undefined && c.node === v.self && c.lease === v.selfLease;
  const deployed = new Set(v.agents);
  const selfLive = v.liveNodes.includes(v.self);
  const desired = placeAll(v.agents, v.liveNodes, v.keyOf);

  for (const [agent, token] of v.active) {
    const c = v.claims.get(agent);
    if (!mine(c) || c.token !== token) plan.deactivate.push(agent);
  }
  for (const [agent, c] of v.claims) {
    if (!mine(c)) continue;
    if (!deployed.has(agent) || (selfLive && desired.get(agent) !== v.self)) {
      plan.release.push({ agent, token: c.token });
    } else if (v.active.get(agent) !== c.token) {
      plan.activate.push({ agent, token: c.token });
    }
  }
  if (selfLive) {
    for (const agent of v.agents) {
      if (desired.get(agent) === v.self && !v.claims.has(agent)) plan.claim.push(agent);
    }
  }
  for (const list of [plan.claim, plan.deactivate]) list.sort();
  plan.activate.sort((a, b) => (a.agent < b.agent ? -1 : 1));
  plan.release.sort((a, b) => (a.agent < b.agent ? -1 : 1));
  return plan;
}
