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
 *
 * The view also keeps, per agent, the bytes its snapshot would take, and adds them to its base
 * segment's `basedBytes`: the live state of a segment, which retention weighs against the
 * segment's size to decide whether copying it forward frees anything (decision 1991).
 */
import type { StateWrite } from '@caxton/core';
import type { SegmentRef } from './pending-entry.js';
import { FRAME_HEADER_BYTES } from './record-format.js';
import type { StateTransaction } from './state-frames.js';

export class StateView {
  private readonly agents = new Map<string, Map<string, string>>();
  private readonly bases = new Map<string, SegmentRef>();
  /** Snapshot bytes per agent with entries (snapshotBytes); every base's `basedBytes` sums these. */
  private readonly sizes = new Map<string, number>();

  /** Apply a transaction to the view (at acceptance, or during recovery). */
  apply(tx: Pick<StateTransaction, 'agent' | 'reset' | 'writes'>): void {
    let entries = this.agents.get(tx.agent);
    const before = this.sizes.get(tx.agent) ?? 0;
    let entryBytes = before === 0 ? 0 : before - agentOverheadBytes(tx.agent);
    if (tx.reset) {
      entries?.clear();
      entryBytes = 0;
    }
    for (const { key, value } of tx.writes) {
      const old = entries?.get(key);
      if (old !== undefined) entryBytes -= stateEntryBytes(key, old);
      if (value === null) {
        entries?.delete(key);
        continue;
      }
      if (entries === undefined) this.agents.set(tx.agent, (entries = new Map()));
      entries.set(key, value);
      entryBytes += stateEntryBytes(key, value);
    }
    let after = 0;
    if (entries !== undefined && entries.size === 0) this.agents.delete(tx.agent);
    else if (entries !== undefined) after = agentOverheadBytes(tx.agent) + entryBytes;
    if (after === before) return;
    if (after === 0) this.sizes.delete(tx.agent);
    else this.sizes.set(tx.agent, after);
    const base = this.bases.get(tx.agent);
    if (base !== undefined) base.basedBytes += after - before;
  }

  /** A transaction's frames are in `segment` (recovery: as read; live: once its group is written). */
  placed(agent: string, reset: boolean, segment: SegmentRef): void {
    const old = this.bases.get(agent);
    if (!reset && old !== undefined) return;
    const size = this.sizes.get(agent) ?? 0;
    if (old !== undefined) old.basedBytes -= size;
    segment.basedBytes += size;
    this.bases.set(agent, segment);
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

  /** What the agent's snapshot would take on disk, in bytes (0 when it has no entries). */
  snapshotBytes(agent: string): number {
    return this.sizes.get(agent) ?? 0;
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

/**
 * A snapshot's frame bytes, as encodeStateTransaction writes them in one frame: the frame header
 * and `{"a":agent,"r":1,"w":[…]}`, plus one `[key,value],` per entry (stateEntryBytes). Exact for a
 * one-frame snapshot; a snapshot split over several frames takes a header more per frame.
 */
function agentOverheadBytes(agent: string): number {
  // Entries are counted with a comma each: one more than the n - 1 commas between them.
  return FRAME_HEADER_BYTES + Buffer.byteLength(JSON.stringify(agent)) + '{"a":,"r":1,"w":[]}'.length - 1;
}

function stateEntryBytes(key: string, value: string): number {
  return Buffer.byteLength(JSON.stringify([key, value])) + 1;
}
