/**
 * Keeps a cluster node's mailboxes honest about what this node owns. In Kafka mode a mailbox holds
 * deliveries the consumer handed out: pending in Kafka until completed here. Two things can make
 * them someone else's business:
 *
 * - **The partition moved** (a rebalance gave it to another node). Its deliveries will be handed out
 *   there, from the committed offset, so they are dropped here WITHOUT dead-lettering. They are NOT
 *   dropped when an agent is merely deactivated: if the partition stays (the membership was lost and
 *   regained, or etcd and the consumer group briefly disagree), Kafka will not hand them out again,
 *   and the agent's next activation here must find them.
 * - **The agent is gone** (undeployed, or never deployed: a send raced the undeploy on another node).
 *   Nobody will ever handle them, and pending deliveries hold back the partition's committed offset,
 *   so they are dead-lettered. A name never seen deployed gets a grace period first (a deploy on
 *   another node may not have reached this node's registry mirror yet).
 */
import type { Instrumentation, Delivery } from '@caxton/core';
import type { Bus } from '../../bus/bus.js';
import { agentLog, type AgentLifecycleEvent } from '../../node/local-agents.js';
import type { MessageLog } from '../../log/message-log.js';
import type { ClusterDeployments } from './deployments.js';

export interface ClusterMailboxesOptions {
  bus: Bus;
  log: MessageLog;
  deployments: ClusterDeployments;
  /** The deliveries-topic partition of an agent. */
  partitionOf: (agent: string) => number;
  /** Does the agent run (or start, or stop) on this node? */
  isLocal: (agent: string) => boolean;
  /** The agent lifecycle's instrumentation: pending messages left or dead-lettered go to the agent's log. */
  events: Instrumentation<AgentLifecycleEvent>;
  /** How long deliveries for a never-seen name wait before they are dead-lettered. Default 10 s. */
  orphanGraceMs?: number;
  /** Sweep period. Default 1 s. */
  sweepMs?: number;
  now?: () => number;
}

export class ClusterMailboxes {
  /** Agents that got deliveries here and may still have some in their mailbox. */
  private readonly withMail = new Set<string>();
  private readonly orphanSince = new Map<string, number>();
  private readonly sweeping = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: ClusterMailboxesOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.sweep(), this.o.sweepMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The consumer put deliveries into `agent`'s mailbox. */
  notice(agent: string): void {
    this.withMail.add(agent);
    if (!this.o.isLocal(agent) && this.o.deployments.wasUndeployed(agent)) this.deadLetterAll(agent, 'was undeployed');
  }

  /** The consumer group gave this node `partitions` (all others moved away). */
  assigned(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const agent of this.withMail) {
      if (owned.has(this.o.partitionOf(agent))) continue;
      // Placed by another's key (decision 2189): its mail may have been read from a partition still
      // owned here, which the sweep moves home; what the log no longer holds here goes now.
      if (this.placedByKey(agent)) {
        const held = this.o.bus.forget(agent);
        this.o.bus.restore(held.filter((d) => this.o.log.holds?.(d) !== false));
        continue;
      }
      const dropped = this.o.bus.forget(agent).length;
      this.withMail.delete(agent);
      this.orphanSince.delete(agent);
      if (dropped > 0)
        agentLog(
          this.o.events,
          agent,
          'info',
          `${dropped} pending message(s) left to the node that now consumes partition ${this.o.partitionOf(agent)}`,
        );
    }
  }

  /** Undeploy on this (the owning) node: what is pending will never be handled. */
  undeployed(agent: string): Promise<void> {
    return this.deadLetterAll(agent, 'was stopped before handling it');
  }

  private sweep(): void {
    const now = this.now();
    for (const agent of this.withMail) {
      if (this.o.bus.mailboxDepth(agent) === 0) {
        this.withMail.delete(agent);
        this.orphanSince.delete(agent);
        continue;
      }
      // Deployed and placed by another's key, running elsewhere: its mail read outside home moves
      // there. Not deployed: the dead-letter paths below take it (a kept key never holds mail).
      if (!this.o.isLocal(agent) && this.o.deployments.has(agent) && this.placedByKey(agent)) void this.relocate(agent);
      if (this.o.isLocal(agent) || this.o.deployments.has(agent)) {
        this.orphanSince.delete(agent);
        continue;
      }
      const since = this.orphanSince.get(agent) ?? now;
      this.orphanSince.set(agent, since);
      const grace = this.o.orphanGraceMs ?? 10_000;
      if (this.o.deployments.wasUndeployed(agent)) void this.deadLetterAll(agent, 'was undeployed');
      else if (now - since >= grace) void this.deadLetterAll(agent, `is not deployed (for ${Math.round(grace / 1000)} s)`);
    }
  }

  private placedByKey(agent: string): boolean {
    return this.o.log.relocate !== undefined && this.o.deployments.placementKeyOf(agent) !== agent;
  }

  /**
   * Mail held here for an agent placed by another's key and running elsewhere (decision 2189): read
   * from a partition outside its home before its key was known here. Moved home (the log appends it
   * there, then completes it here); what was read from its home partition is kept; what is no
   * longer this node's (its partition moved) is let go, to be read again by the partition's owner.
   */
  private async relocate(agent: string): Promise<void> {
    if (this.sweeping.has(agent)) return;
    this.sweeping.add(agent);
    const held = this.o.bus.forget(agent);
    // What was not moved (read at home, or its append failed: tried again at the next sweep) goes
    // back in front, in its order; the log's relocate never throws for one delivery.
    let kept: Delivery[] = held;
    try {
      kept = await this.o.log.relocate!(held);
      const moved = held.length - kept.length;
      if (moved > 0)
        agentLog(
          this.o.events,
          agent,
          'info',
          `${moved} pending message(s) moved to its placement key's partition ${this.o.partitionOf(agent)}`,
        );
    } catch (err) {
      kept = held.filter((d) => this.o.log.holds?.(d) !== false);
      agentLog(
        this.o.events,
        agent,
        'warn',
        `pending messages not moved to its placement key's partition yet (tried again): ${(err as Error).message}`,
      );
    } finally {
      this.o.bus.restore(kept);
      if (kept.length > 0) this.withMail.add(agent);
      this.sweeping.delete(agent);
    }
  }

  private async deadLetterAll(agent: string, why: string): Promise<void> {
    if (this.sweeping.has(agent)) return;
    this.sweeping.add(agent);
    try {
      const letters: Delivery[] = this.o.bus.forget(agent);
      this.orphanSince.delete(agent);
      let failed = 0;
      for (const delivery of letters) {
        await this.o.log
          .deadLetter({ delivery, reason: `agent ${agent} ${why}`, attempts: 0, at: this.now() })
          .catch((err: { code?: string }) => {
            failed += 1;
            // The partition moved meanwhile: the delivery is its next owner's. Anything else (the
            // broker unreachable): keep it and let the next sweep try again.
            if (err?.code === 'bus.kafka.not-owner') return;
            this.o.bus.putBack(delivery);
            this.withMail.add(agent);
          });
      }
      if (letters.length > 0)
        agentLog(this.o.events, agent, 'warn', `${letters.length - failed} pending message(s) dead-lettered: agent ${why}`);
    } finally {
      this.sweeping.delete(agent);
    }
  }
}
