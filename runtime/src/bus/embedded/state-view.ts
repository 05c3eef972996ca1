/**
 * The embedded log's committed view of every agent's state (decision 1600), and which segment each
 * agent's state still depends on (pure: no I/O).
 *
 * The view is updated when a commit is ACCEPTED (queued), not when it is durable: an agent released
 * early reads its own writes, and a commit that then fails stops the log for good, so a view ahead
 * of the disk is never served after a failure. Recovery feeds the same transactions in file order.
 *
 * `base` is what makes retention safe: the oldest segment whose frames the agent's current state is
 * built from (its last reset frame, or its first frame since the view was last empty). Deleting a
 * segment at or after an agent's base would lose state, so retention first writes a snapshot (a
 * reset transaction with every entry) into the active segment, which moves the base forward.
 * An agent whose view is empty needs no snapshot: replaying any suffix of its frames onto an empty
 * view yields a subset of the full replay, which is empty.
 */
import type { StateWrite } from '@caxton/core';
import type { SegmentRef } from './pending-entry.js';
import type { StateTransaction } from './state-frames.js';

export class StateView {
  private readonly agents = new Map<string, Map<string, string>>();
  private readonly bases = new Map<string, SegmentRef>();

  /** Apply a transaction to the view (at acceptance, or during recovery). */
  apply(tx: Pick<StateTransaction, 'agent' | 'reset' | 'writes'>): void {
    let entries = this.agents.get(tx.agent);
    if (tx.reset) entries?.clear();
    for (const { key, value } of tx.writes) {
      if (value === null) {
        entries?.delete(key);
        continue;
      }
      if (entries === undefined) this.agents.set(tx.agent, (entries = new Map()));
      entries.set(key, value);
    }
    if (entries !== undefined && entries.size === 0) this.agents.delete(tx.agent);
  }

  /** A transaction's frames are in `segment` (recovery: as read; live: once its group is written). */
  placed(agent: string, reset: boolean, segment: SegmentRef): void {
    if (reset || !this.bases.has(agent)) this.bases.set(agent, segment);
  }

  /** A copy of the agent's entries (callers may keep it; later commits do not change it). */
  read(agent: string): Map<string, string> {
    return new Map(this.agents.get(agent));
  }

  has(agent: string): boolean {
    return this.agents.has(agent);
  }

  /** Every entry of the agent, as writes (a snapshot's contents). */
  snapshot(agent: string): StateWrite[] {
    return [...(this.agents.get(agent) ?? [])].map(([key, value]) => ({ key, value }));
  }

  /**
   * Agents whose state depends on one of `segments` (about to be deleted). Agents with an empty
   * view are forgotten instead (they need no snapshot, see above).
   */
  dependingOn(segments: ReadonlySet<SegmentRef>): string[] {
    const agents: string[] = [];
    for (const [agent, base] of this.bases) {
      if (!segments.has(base)) continue;
      if (this.agents.has(agent)) agents.push(agent);
      else this.bases.delete(agent);
    }
    return agents;
  }

  /** Agents with entries, and their entry count and UTF-8 bytes (status, tests). */
  stats(): { agents: number; entries: number } {
    let entries = 0;
    for (const map of this.agents.values()) entries += map.size;
    return { agents: this.agents.size, entries };
  }

  /** Agent names with at least one entry. */
  agentNames(): string[] {
    return [...this.agents.keys()];
  }
}
