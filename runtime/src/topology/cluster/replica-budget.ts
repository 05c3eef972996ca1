/**
 * Whether a replica unit may start on this node (decision 2096): the pure decision, without I/O
 * (review finding 10). ReplicaUnits carries it out: a start, a wait, an eviction or a refusal.
 */

/** Another unit held here, as the decision sees it. */
export interface HeldUnit {
  name: string;
  state: 'starting' | 'running' | 'stopping';
  /** Its mailbox here is empty. */
  idle: boolean;
  lastMail: number;
}

export type BudgetDecision =
  | { kind: 'room' }
  /** A unit is stopping: its place frees when its stop has ended; no second unit is evicted. */
  | { kind: 'wait' }
  /** Full: the unit idle longest is stopped to make room. */
  | { kind: 'evict'; name: string }
  /** Full with units that have work in hand: the newcomer's mail is refused. */
  | { kind: 'refuse' };

/**
 * Every other unit counts (a stopping one until its stop has ended, as AgentReplicas counts an
 * instance), and so do `othersRunning` (AgentReplicas' instances): one budget of `max`.
 */
export function budgetDecision(others: readonly HeldUnit[], othersRunning: number, max: number): BudgetDecision {
  if (othersRunning + others.length < max) return { kind: 'room' };
  if (others.some((u) => u.state === 'stopping')) return { kind: 'wait' };
  let idle: HeldUnit | undefined;
  for (const u of others) if (u.state === 'running' && u.idle && (idle === undefined || u.lastMail < idle.lastMail)) idle = u;
  return idle !== undefined ? { kind: 'evict', name: idle.name } : { kind: 'refuse' };
}
