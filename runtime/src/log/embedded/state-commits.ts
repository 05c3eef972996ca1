/**
 * The embedded log's side of AgentStateStore (decision 1600): turns state changes into State frames
 * in the current commit group and keeps the committed view in step. The log calls it from
 * `complete` (state riding with a completion), `commitState`, `clearState`, and retention (snapshots
 * of agents whose state would otherwise go with a deleted segment).
 */
import type { StateWrite } from '@caxton/core';
import type { CommitGroup } from './commit-group.js';
import { EmbeddedLogError } from './errors.js';
import type { GroupCommitter } from './group-committer.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';
import { FRAME_HEADER_BYTES } from './record-format.js';
import {
  changesState,
  checkStateWrites,
  encodeStateTransaction,
  lastWritePerKey,
  stateTransactionBytesBound,
  type StateTransaction,
} from './state-frames.js';
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
  encode(
    agent: string,
    writes: readonly StateWrite[] | undefined,
    reset: boolean,
    completes?: string,
    clockAt?: number,
  ): EncodedStateTransaction {
    checkStateWrites(agent, writes ?? []);
    const tx: StateTransaction = { agent, reset, writes: lastWritePerKey(writes ?? []) };
    if (completes !== undefined) tx.completes = completes;
    if (completes !== undefined && clockAt !== undefined) tx.clockAt = clockAt;
    return { tx, payloads: encodeStateTransaction(tx, this.maxRecordBytes - FRAME_HEADER_BYTES) };
  }

  /**
   * The refusal `encode` would throw for these writes, or undefined. Exact, and cheap for the usual
   * commit: a transaction whose size bound fits one record is only shape-checked; one that may not
   * fit is encoded (and dropped) to find out.
   */
  refusal(agent: string, writes: readonly StateWrite[], completes: string | undefined, clockAt?: number): EmbeddedLogError | undefined {
    try {
      checkStateWrites(agent, writes);
      // The bound's envelope allowance covers a clock read's `t`; past the bound, encoded as it will be.
      if (stateTransactionBytesBound(agent, writes, completes) > this.maxRecordBytes - FRAME_HEADER_BYTES)
        this.encode(agent, writes, false, completes, clockAt);
      return undefined;
    } catch (error) {
      if (error instanceof EmbeddedLogError) return error;
      throw error;
    }
  }

  /** Whether a transaction of no writes completing `completes` (its clock read in it) certainly fits one record. */
  fitsOneRecord(agent: string, completes: string): boolean {
    return stateTransactionBytesBound(agent, [], completes) <= this.maxRecordBytes - FRAME_HEADER_BYTES;
  }

  /**
   * A completion with state: one transaction whose last frame completes the delivery. An unknown
   * or already finishing delivery is a duplicate handling: its state was (or will be) committed by
   * the completion that got there first, so nothing is queued.
   */
  complete(group: CommitGroup, id: string, entry: PendingEntry | undefined, encoded: EncodedStateTransaction): void {
    if (entry === undefined || entry.completing) return;
    entry.completing = true;
    this.queue(group, encoded, { id, entry });
  }

  /** A commit of its own (`commitState`, `clearState`): resolves when its group is durable. */
  commit(writable: () => GroupCommitter<CommitGroup>, agent: string, writes: readonly StateWrite[], reset: boolean): Promise<void> {
    try {
      const committer = writable();
      if (!reset && writes.length === 0) return Promise.resolve();
      const encoded = this.encode(agent, writes, reset);
      const group = committer.current();
      this.queue(group, encoded);
      return group.done;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Queue an encoded transaction in `group` and apply it to the view (read-your-writes). */
  queue(group: CommitGroup, encoded: EncodedStateTransaction, finish?: { id: string; entry: PendingEntry }): void {
    group.state(encoded.tx.agent, encoded.tx.reset, changesState(encoded.tx), encoded.payloads, finish);
    this.view.apply(encoded.tx);
  }

  /** The group is written to its segment: the agents' state now depends on that segment too. */
  placed(group: CommitGroup): void {
    const segment = group.segment!;
    for (const { agent, reset, bytes, changes } of group.stateTransactions) {
      segment.stateBytes += bytes;
      if (changes) this.view.placed(agent, reset, segment);
    }
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

export function stateDroppedWarning(count: number): EmbeddedLogError {
  return new EmbeddedLogError('log.state-dropped', `${count} state commits were incomplete on disk and were not applied`, {
    context: { count },
    hint: 'expected after a crash during a write: such a commit was never acknowledged, and the delivery it belonged to is handled again',
  });
}
