/**
 * The bound in force on an absent agent's queue (decision 1990): its own `absentQueue`, held down
 * in a cluster by its partition's absent budget, shared first come with the partition's other
 * absent agents (each counted within its own bound). The one rule the claim holder's admission
 * (AgentLifecycle.absence) and every node's shared count (decision 2157) apply.
 */
export interface AbsentBound {
  /** Deliveries the queue keeps at most now. */
  limit: number;
  /** Set when the partition's budget, not the agent's own bound, is what holds it down. */
  partitionBudget?: number;
}

/**
 * `own`: the agent's own bound; `budget`: the partition's absent budget (undefined: none, embedded);
 * `othersHeld`: what the partition's other absent agents hold, each at most its own bound.
 */
export function absentBound(own: number, budget: number | undefined, othersHeld: number): AbsentBound {
  if (budget === undefined) return { limit: own };
  const room = Math.max(0, budget - othersHeld);
  return room < own ? { limit: room, partitionBudget: budget } : { limit: own };
}
