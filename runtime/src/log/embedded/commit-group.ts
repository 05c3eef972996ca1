/**
 * One commit group of the segment log: its encoded frames, what each frame means for the in-memory
 * state once it is durable (kept in parallel arrays, in frame order, to avoid an object per
 * record), the new deliveries to hand to the consumer, and the single promise all callers share.
 */
import type { Delivery } from '@caxton/core';
import { FrameGroup } from './frame-group.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';
import { RecordType } from './record-format.js';
import type { SharedEntry } from './shared-payload.js';

export enum Op {
  /** A new delivery's append frame. */
  Append = 0,
  /** A compaction copy of a pending delivery's append frame. */
  Move = 1,
  /** Completed or dead-lettered. */
  Finish = 2,
}

export class CommitGroup extends FrameGroup {
  readonly ops: Op[] = [];
  readonly ids: string[] = [];
  readonly entries: (PendingEntry | undefined)[] = [];
  /** New deliveries, in append order, for the consumer once durable. */
  readonly handOut: Delivery[] = [];
  /** Set by the writer: the segment the group landed in. */
  segment: SegmentRef | undefined;
  /**
   * State transactions in this group (agent, reset?, frame bytes, whether it changes the state:
   * a completion that only records its clock read changes nothing), for the state view's segment bookkeeping.
   */
  readonly stateTransactions: { agent: string; reset: boolean; bytes: number; changes: boolean }[] = [];

  /** A new delivery's Appended frame; `body` is its encoded body (delivery-body.ts: binary bytes or JSON). */
  append(delivery: Delivery, body: string | Uint8Array, entry: PendingEntry): void {
    this.push(Op.Append, delivery.id, entry, this.frames.addKeyed(RecordType.Appended, entry.seq, delivery.id, body));
    this.handOut.push(delivery);
  }

  /**
   * Several deliveries of one message in one AppendedShared frame: one op per delivery, all at the
   * frame's offset, so the state counts deliveries exactly as for separate frames.
   */
  appendShared(
    deliveries: readonly Delivery[],
    entries: readonly SharedEntry[],
    pendingEntries: readonly PendingEntry[],
    body: string,
    payloadBytes: number,
  ): void {
    const offset = this.frames.addShared(entries, body, payloadBytes);
    for (let i = 0; i < deliveries.length; i++) {
      this.push(Op.Append, deliveries[i]!.id, pendingEntries[i]!, offset);
      this.handOut.push(deliveries[i]!);
    }
  }

  /** A compaction copy of the still-pending deliveries of an AppendedShared frame, body verbatim. */
  moveShared(entries: readonly SharedEntry[], pendingEntries: readonly PendingEntry[], body: Uint8Array, payloadBytes: number): void {
    const offset = this.frames.addShared(entries, body, payloadBytes);
    for (let i = 0; i < entries.length; i++) this.push(Op.Move, entries[i]!.id, pendingEntries[i]!, offset);
  }

  move(id: string, entry: PendingEntry, frame: Uint8Array): void {
    this.push(Op.Move, id, entry, this.frames.addRaw(frame));
  }

  finish(type: RecordType.Completed | RecordType.DeadLettered, id: string, entry: PendingEntry | undefined): void {
    this.push(Op.Finish, id, entry, this.frames.addId(type, id));
  }

  /**
   * A state transaction's frames (state-frames.ts), in one piece. With `finish`, the last frame
   * also completes that delivery: the completion and the state are one record, durable together.
   */
  state(agent: string, reset: boolean, changes: boolean, payloads: readonly string[], finish?: { id: string; entry: PendingEntry }): void {
    let offset = 0;
    const before = this.frames.byteLength;
    for (const payload of payloads) offset = this.frames.addText(RecordType.State, payload);
    this.stateTransactions.push({ agent, reset, bytes: this.frames.byteLength - before, changes });
    if (finish !== undefined) this.push(Op.Finish, finish.id, finish.entry, offset);
  }

  private push(op: Op, id: string, entry: PendingEntry | undefined, offset: number): void {
    this.ops.push(op);
    this.ids.push(id);
    this.entries.push(entry);
    this.offsets.push(offset);
  }
}
