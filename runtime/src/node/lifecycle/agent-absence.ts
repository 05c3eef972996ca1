/**
 * Absent agents (decision 1990): stopped with their queue kept, or suspended. Their messages wait,
 * bounded by the deployment's `absentQueue` and `absentTtlMs` (else the node's defaults) and, in a
 * cluster, by the partition's absent budget and the cluster's shared count (decision 2157).
 */
import type { AgentStatus } from '@caxton/core';
import { InvalidArgumentError } from '@caxton/core';
import type { AbsentQueueLimits, SharedAbsentCount } from '../../bus/port.js';
import { absentBound } from '../absent-bound.js';
import { agentLog } from '../local-agents.js';
import type { LifecycleParts } from './lifecycle-parts.js';

export class AgentAbsence {
  constructor(private readonly p: LifecycleParts) {}

  /**
   * Absent (decision 1990): stopped with its queue kept, or suspended, on the node that holds its
   * queue — every node for its agents (embedded), the agent's claim holder (cluster: the queue
   * follows placement). Its messages wait, bounded by its deployment's `absentQueue` and
   * `absentTtlMs` (else the node's defaults) and, in a cluster, by its partition's absent budget.
   */
  absence(name: string): AbsentQueueLimits | undefined {
    const own = this.ownAbsence(name);
    if (own === undefined) return undefined;
    const budget = this.p.residency.absentBudget?.(name);
    if (budget === undefined) return own;
    // A cluster (decision 1990, *Cluster*): the absent deliveries of one partition stay within its
    // budget, below the consumer's window, or one absent agent would stall its partition's others.
    // The budget is shared first come: what the partition's other absent agents hold (each within
    // its own bound) is not this agent's.
    let others = 0;
    for (const other of this.p.local.names()) {
      if (other === name || this.p.residency.absentBudget?.(other)?.partition !== budget.partition) continue;
      const limits = this.ownAbsence(other);
      if (limits !== undefined) others += Math.min(limits.queue, this.p.o.messaging.mailboxDepth(other));
    }
    const bound = absentBound(own.queue, budget.budget, others);
    return bound.partitionBudget === undefined ? own : { ...own, queue: bound.limit, partitionBudget: bound.partitionBudget };
  }

  /**
   * A cluster's log deletes records after its retention (decision 1990, *Cluster*): a message
   * waiting longer for an absent agent would be lost without a dead letter at a failover.
   */
  refuseAbsentTtlPastRetention(ttlMs: number): void {
    const max = this.p.residency.maxAbsentTtlMs;
    if (max === undefined || ttlMs <= max) return;
    throw new InvalidArgumentError(
      'limits.absent_ttl_ms',
      `an absent TTL of ${ttlMs} ms is longer than this cluster keeps a message (${max} ms: the deliveries topic's retention less an hour)`,
      `deploy with --absent-ttl of at most ${Math.floor(max / 3_600_000)}h (a node's default --absent-ttl counts when the deploy gives none)`,
    );
  }

  /**
   * Absent here, with the agent's own bound (its deployment's, else the node's defaults). Not
   * fenced by the claim (a cluster): admission, the display and edge admission follow the local
   * agent; only what ends messages (trim, expiry) asks `holdsQueue` first, letter by letter.
   */
  private ownAbsence(name: string): AbsentQueueLimits | undefined {
    const local = this.p.local.get(name);
    if (local === undefined) return undefined;
    const stopped = local.state === 'stopped' && local.record.absentSince !== undefined;
    if (!stopped && !(this.p.o.killSwitch?.isSuspended?.(name) ?? false)) return undefined;
    const limits = local.record.limits;
    const since = stopped ? local.record.absentSince : this.p.o.killSwitch?.suspendedSince?.(name);
    return {
      queue: this.absentQueueOf(local.record),
      // A node's default (or an older deployment) past a cluster's retention expires at its edge.
      ttlMs: Math.min(limits.absentTtlMs ?? this.p.o.defaults.absentTtlMs, this.p.residency.maxAbsentTtlMs ?? Number.POSITIVE_INFINITY),
      ...(since !== undefined ? { since } : {}),
    };
  }

  /** The bound of `record`'s absent queue on this node: its deployment's, else the node's default. */
  absentQueueOf(record: { limits: { absentQueue?: number } }): number {
    return record.limits.absentQueue ?? this.p.o.defaults.absentQueue;
  }

  /** Cluster (decision 2157): the count every node's sends to absent agents take their places in; undefined embedded. */
  get sharedAbsent(): SharedAbsentCount | undefined {
    return this.p.residency.sharedAbsent;
  }

  /**
   * Cluster (decision 2157): publishes, for each absent agent whose queue this node holds now, the
   * deliveries it holds (`idsOf`), so the places their sends took give way to them and an agent
   * that is back leaves the count. Called by each sweep; a failure is said on the agents' logs and
   * tried again at the next (the places stay counted meanwhile: sends are refused early, never late).
   */
  async publishAbsentQueues(idsOf: (agent: string) => string[]): Promise<void> {
    const shared = this.p.residency.sharedAbsent;
    if (shared === undefined) return;
    const held: { agent: string; queue: number; ids: string[] }[] = [];
    for (const name of this.p.local.names()) {
      const own = this.ownAbsence(name);
      if (own !== undefined && this.holdsQueue(name)) held.push({ agent: name, queue: own.queue, ids: idsOf(name) });
    }
    try {
      await shared.publish(held);
    } catch (err) {
      for (const h of held)
        agentLog(
          this.p.events,
          h.agent,
          'warn',
          `[caxton] what this node holds of the absent queue could not be published to the cluster's count (${(err as Error).message}); tried again at the next sweep`,
        );
    }
  }

  /**
   * May this node keep, bound and expire `name`'s absent queue now (decision 1990)? Embedded:
   * always. Cluster: while it holds the agent's claim with the completion margin (the fence of
   * an expiry, as of a completion).
   */
  holdsQueue(name: string): boolean {
    return this.p.residency.holdsQueue?.(name) ?? true;
  }

  /** An absent agent's status shows what waits for it (decision 1990). */
  withAbsentQueue(status: AgentStatus): AgentStatus {
    const absent = this.absence(status.name);
    if (absent === undefined) return status;
    return { ...status, absentQueue: { queued: this.p.o.messaging.mailboxDepth(status.name), limit: absent.queue, ttlMs: absent.ttlMs } };
  }
}
