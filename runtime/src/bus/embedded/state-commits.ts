/**
 * The embedded log's side of AgentStateStore (decision 1600): turns state changes into State frames
 * in the current commit group and keeps the committed view in step. The log calls it from
 * `complete` (state riding with a completion), `commitState`, `clearState`, and retention (snapshots
 * of agents whose state would otherwise go with a deleted segment).
 */
import type { StateWrite } from '@caxton/core';
import type { CommitGroup } from './commit-group.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';
import { FRAME_HEADER_BYTES } from './record-format.js';
import { checkStateWrites, encodeStateTransaction, lastWritePerKey, type StateTransaction } from './state-frames.js';
import { StateView } from './state-view.js';

/** A transaction checked and encoded, ready to be queued (encoding may throw; queueing never does). */
export interface EncodedStateTransaction {
  tx: StateTransaction;
  payloads: string[];
}

export class StateCommits {
  readonly view = new StateView();
  /** Snapshot transactions written by retention. */
  snapshots = 0;

  constructor(private readonly maxRecordBytes: number) {}

  /** Validate and encode; throws `log.invalid-state` and queues nothing. */
  encode(agent: string, writes: readonly StateWrite[] | undefined, reset: boolean, completes?: string): EncodedStateTransaction {
    checkStateWrites(agent, writes ?? []);
    const tx: StateTransaction = { agent, reset, writes: lastWritePerKey(writes ?? []) };
    if (completes !== undefined) tx.completes = completes;
    return { tx, payloads: encodeStateTransaction(tx, this.maxRecordBytes - FRAME_HEADER_BYTES) };
  }

  /** Queue an encoded transaction in `group` and apply it to the view (read-your-writes). */
  queue(group: CommitGroup, encoded: EncodedStateTransaction, finish?: { id: string; entry: PendingEntry }): void {
    group.state(encoded.tx.agent, encoded.tx.reset, encoded.payloads, finish);
    this.view.apply(encoded.tx);
  }

  /** The group is written to its segment: the agents' state now depends on that segment too. */
  placed(group: CommitGroup): void {
    for (const { agent, reset } of group.stateTransactions) this.view.placed(agent, reset, group.segment!);
  }

  /**
   * Before `deleting` goes: queue a snapshot of every agent whose state depends on it into `group`.
   * Returns false when nobody needs one (the segments can go now).
   */
  carryForward(group: CommitGroup, deleting: ReadonlySet<SegmentRef>): boolean {
    const agents = this.view.dependingOn(deleting);
    for (const agent of agents) {
      this.queue(group, this.encode(agent, this.view.snapshot(agent), true));
      this.snapshots++;
    }
    return agents.length > 0;
  }
}
