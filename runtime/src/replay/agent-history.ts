/**
 * One agent's recorded events out of the embedded log's frames, in log order (replay, issue 57),
 * pure: frames in, events out, no I/O (embedded-history.ts reads the files). What the records mean
 * for a replay (deliveries waiting for their commit, sends claimed by derived id, timers) is
 * history-matcher.ts's, shared with the Kafka log's reader; this file decodes the frames.
 *
 * How the log records a handling, and so how it is found again:
 * - its delivery is an Appended (or AppendedShared) frame whose receiver is the agent's LOCAL name
 *   (bus.ts appends `receiver: <local name>`, and the state frames name the agent the same way);
 * - what it sent was appended before its commit point, each message stamped with the sender
 *   `<owner>@<platform>`;
 * - its commit point is a Completed frame, or the last frame of a State transaction that completes
 *   the delivery, or — a durable timer's firing — a State transaction carrying the timer's done
 *   marker.
 *
 * Retention shapes what is seen: compaction copies still-pending deliveries forward (the same
 * delivery id, and sequence number, appended again: kept once), and deletes the oldest segments, so
 * a completion may come without its delivery (skipped; with state writes, given as a `state` event
 * marked `completes`: those writes still make the agent's state).
 */
import type { AclMessage, Delivery } from '@caxton/core';
import { readDeliveryBody } from '../log/embedded/delivery-body.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readIdPayload, readKeyedId, readKeyedSeq } from '../log/embedded/payload.js';
import { type FrameReader, RecordType } from '../log/embedded/record-format.js';
import { parseSharedBody, readSharedEntries } from '../log/embedded/shared-payload.js';
import { StateTransactionReader, decodeStateFrame } from '../log/embedded/state-frames.js';
import type { RecordedEvent } from './recorded.js';
import { HistoryMatcher, type AgentHistoryCounts, type AgentHistoryLimits } from './history-matcher.js';

export { DEFAULT_HISTORY_LIMITS, MAX_SEND_GAP } from './history-matcher.js';
export type { AgentHistoryCounts, AgentHistoryLimits } from './history-matcher.js';

export class AgentHistory extends HistoryMatcher {
  /** The start of the agent's state frames' payload: `{"a":"<local>"` (state-frames.ts writes `a` first). */
  private readonly statePrefix: Buffer;
  private readonly transactions = new StateTransactionReader();
  /** Highest delivery sequence number seen: an append at or below it is a compaction copy. */
  private maxSeq = -1;

  constructor(agent: string, out: RecordedEvent[], limits: AgentHistoryLimits = {}) {
    super(agent, out, limits);
    this.statePrefix = Buffer.from(`{"a":${JSON.stringify(this.local)}`, 'utf8');
  }

  /** One checksum-valid frame at `position` (`<segment>.<offset>`). */
  frame(reader: FrameReader, position: () => string): void {
    const { buf, payloadStart, payloadEnd } = reader;
    if (reader.type !== RecordType.State) this.transactions.interrupt();
    switch (reader.type) {
      case RecordType.Appended:
        return this.appended(buf, payloadStart, payloadEnd);
      case RecordType.AppendedShared:
        return this.appendedShared(buf, payloadStart, payloadEnd);
      case RecordType.Completed: {
        const id = readIdPayload(buf, payloadStart, payloadEnd);
        if (this.isPending(id)) this.completed(id, position());
        return;
      }
      case RecordType.DeadLettered: {
        const id = readIdPayload(buf, payloadStart, payloadEnd);
        if (this.isPending(id)) this.deadLettered(id, position());
        return;
      }
      case RecordType.State:
        return this.stateFrame(buf, payloadStart, payloadEnd, position);
      default:
        this.malformed(); // a dead-letter file's frame has no place in a segment
    }
  }

  /** The end of a segment: a transaction never spans two files. */
  segmentEnd(): void {
    this.transactions.interrupt();
  }

  override counted(): AgentHistoryCounts {
    return { ...super.counted(), incompleteStateTransactions: this.transactions.dropped };
  }

  // ---- frames ----

  private appended(buf: Buffer, payloadStart: number, payloadEnd: number): void {
    if (!isWellFormedKeyedPayload(buf, payloadStart, payloadEnd)) {
      this.malformed();
      return;
    }
    const id = readKeyedId(buf, payloadStart);
    let delivery: Delivery;
    try {
      delivery = readDeliveryBody(buf, keyedBodyStart(buf, payloadStart), payloadEnd, id);
    } catch {
      this.malformed();
      return;
    }
    const fresh = this.seen(readKeyedSeq(buf, payloadStart));
    this.delivered(delivery);
    this.sent(delivery.messageId, delivery.message, fresh);
  }

  private appendedShared(buf: Buffer, payloadStart: number, payloadEnd: number): void {
    const shared = readSharedEntries(buf, payloadStart, payloadEnd);
    let body: ReturnType<typeof parseSharedBody>;
    try {
      if (shared === undefined) throw new TypeError('malformed shared payload');
      body = parseSharedBody(buf, shared.bodyStart, payloadEnd);
    } catch {
      this.malformed();
      return;
    }
    const message = body.message as AclMessage;
    let fresh = false;
    for (const entry of shared!.entries) {
      if (this.seen(entry.seq)) fresh = true;
      if (entry.receiver === this.local)
        this.delivered({ id: entry.id, messageId: body.messageId, receiver: entry.receiver, message, acceptedAt: body.acceptedAt });
    }
    this.sent(body.messageId, message, fresh);
  }

  /** Whether sequence number `seq` is new (not a compaction copy of an append seen before). */
  private seen(seq: number): boolean {
    if (seq <= this.maxSeq) return false;
    this.maxSeq = seq;
    return true;
  }

  private stateFrame(buf: Buffer, payloadStart: number, payloadEnd: number, position: () => string): void {
    if (!this.mayBeOwnState(buf, payloadStart, payloadEnd)) {
      // Another agent's transaction: frames of one transaction are contiguous, so one of ours that
      // is open can no longer complete (the reader counts it, as recovery does).
      this.transactions.interrupt();
      return;
    }
    const part = decodeStateFrame(buf.toString('utf8', payloadStart, payloadEnd));
    if (part === undefined) {
      this.malformed();
      this.transactions.interrupt();
      return;
    }
    if (part.agent !== this.local) {
      this.transactions.interrupt();
      return;
    }
    const tx = this.transactions.part(part);
    if (tx !== undefined) this.committed(tx, position());
  }

  /**
   * False only for a frame that is certainly another agent's (it starts `{"a":"<another name>"`):
   * most state frames are, and this spares parsing them. Anything unexpected is decoded.
   */
  private mayBeOwnState(buf: Buffer, payloadStart: number, payloadEnd: number): boolean {
    const prefix = this.statePrefix;
    const after = payloadStart + prefix.length;
    if (after < payloadEnd && buf.compare(prefix, 0, prefix.length, payloadStart, after) === 0) {
      const next = buf[after];
      if (next === COMMA || next === CLOSE_BRACE) return true;
    }
    // `{"a":"` and then some other name: not ours.
    return !(
      payloadEnd - payloadStart > OTHER_AGENT_PREFIX.length &&
      buf.compare(OTHER_AGENT_PREFIX, 0, OTHER_AGENT_PREFIX.length, payloadStart, payloadStart + OTHER_AGENT_PREFIX.length) === 0
    );
  }
}

const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OTHER_AGENT_PREFIX = Buffer.from('{"a":"', 'utf8');
