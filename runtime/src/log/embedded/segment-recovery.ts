/**
 * open()'s pass over the segments: recover each file (the newest one may have a torn tail), feed
 * every record to the RecoveryPlanner, then load the bodies of the deliveries still pending.
 *
 * Only pending deliveries are JSON-parsed: the first pass reads ids out of the frames, so a log
 * that is mostly completed recovers at checksum speed.
 */
import type { Delivery } from '@caxton/core';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { IdWindow } from '../id-window.js';
import { EmbeddedLogError } from './errors.js';
import { recoverFile } from './file-recovery.js';
import type { CorruptionPolicy } from './frame-scan.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readIdPayload, readKeyedId, readKeyedSeq } from './payload.js';
import { readDeliveryBody } from './delivery-body.js';
import { parseSharedBody, readSharedEntries, type SharedBody } from './shared-payload.js';
import { FileKind, FrameReader, FrameStatus, RecordType } from './record-format.js';
import type { PendingEntry, SegmentRef } from './pending-entry.js';
import { RecoveryPlanner } from './recovery-planner.js';
import { listSegments } from './segment-files.js';
import { newSegment, type Segment } from './segment-writer.js';
import { StateTransactionReader, changesState, decodeStateFrame } from './state-frames.js';
import type { StateView } from './state-view.js';

export interface RecoveredLog {
  /** Segments oldest first, with live/appended counts; the last one becomes the active segment. */
  segments: Segment[];
  /** Pending deliveries by id, in append order: becomes the live log's pending map. */
  pending: Map<string, PendingEntry>;
  /** Their bodies, in the same order, to replay to the consumer. */
  replay: Delivery[];
  nextSeq: number;
  /** Records read (all types), for the recovery report. */
  records: number;
  /** State transactions whose last frame was missing (torn tail, skipped damage): not applied. */
  droppedStateTransactions: number;
}

export interface SegmentRecoveryOptions {
  dir: string;
  policy: CorruptionPolicy;
  durable: boolean;
  warn: (warning: EmbeddedLogError) => void;
  /** Filled with completed ids found on disk (the dedup window). */
  completedIds: IdWindow;
  /** Filled with the agents' state found on disk (decision 1600). */
  state: StateView;
}

export async function recoverSegments(options: SegmentRecoveryOptions): Promise<RecoveredLog> {
  const nos = await listSegments(options.dir);
  const planner = new RecoveryPlanner(options.completedIds);
  const segments: Segment[] = [];
  let records = 0;
  const transactions = new StateTransactionReader();
  for (let i = 0; i < nos.length; i++) {
    const segment = newSegment(options.dir, nos[i]!, 0);
    const recovered = await recoverFile(
      segment.path,
      {
        kind: FileKind.Segment,
        isTail: i === nos.length - 1,
        policy: options.policy,
        durable: options.durable,
        baseSeqIfReset: planner.nextSeq,
        warn: options.warn,
      },
      (reader, offset) => {
        const { buf, payloadStart, payloadEnd } = reader;
        if (reader.type !== RecordType.State) transactions.interrupt();
        switch (reader.type) {
          case RecordType.Appended:
            if (!isWellFormedKeyedPayload(buf, payloadStart, payloadEnd)) return false;
            planner.appended(readKeyedId(buf, payloadStart), readKeyedSeq(buf, payloadStart), segment, offset);
            break;
          case RecordType.AppendedShared: {
            const shared = readSharedEntries(buf, payloadStart, payloadEnd);
            if (shared === undefined) return false;
            for (const entry of shared.entries) planner.appended(entry.id, entry.seq, segment, offset);
            break;
          }
          case RecordType.Completed:
          case RecordType.DeadLettered:
            planner.completed(readIdPayload(buf, payloadStart, payloadEnd));
            break;
          case RecordType.State: {
            const part = decodeStateFrame(buf.toString('utf8', payloadStart, payloadEnd));
            if (part === undefined) return false;
            segment.stateBytes += reader.next - offset;
            const tx = transactions.part(part);
            if (tx !== undefined) {
              options.state.apply(tx);
              if (changesState(tx)) options.state.placed(tx.agent, tx.reset, segment);
              if (tx.completes !== undefined) planner.completed(tx.completes);
            }
            break;
          }
          default:
            return false; // a dead-letter frame does not belong in a segment
        }
        records++;
        return true;
      },
    );
    transactions.interrupt(); // a transaction never spans two files
    segment.size = recovered.size;
    dateSegment(segment, await fs.stat(segment.path), i < nos.length - 1, segments.at(-1));
    planner.sawBaseSeq(recovered.baseSeq);
    segments.push(segment);
  }

  const state = planner.finish();
  const replay = await loadPendingBodies(segments, state.pending);
  return { segments, pending: state.pending, replay, nextSeq: state.nextSeq, records, droppedStateTransactions: transactions.dropped };
}

/**
 * When a segment found at open was closed and created, from its file's times (one stat, no read).
 * A closed one was closed when it was last written (the tail stays the active segment). It was
 * created as its predecessor closed (rotation), or, the oldest on disk, when its file was born —
 * a time the file system may not keep (birthtime 0: unknown, and `replayReach` says so). A time in
 * the future (a clock set back, a copied directory) counts as now, not as kept for longer.
 */
function dateSegment(segment: Segment, stat: Stats, closed: boolean, previous: Segment | undefined): void {
  const now = Date.now();
  if (closed) segment.closedAt = Math.min(stat.mtimeMs, now);
  if (previous !== undefined && previous.no === segment.no - 1 && previous.closedAt !== undefined) segment.openedAt = previous.closedAt;
  else if (stat.birthtimeMs > 0) segment.openedAt = Math.min(stat.birthtimeMs, stat.mtimeMs, now);
}

/**
 * Read each segment that holds pending deliveries once more and parse just those frames. The
 * deliveries of one AppendedShared frame are rebuilt from one parse: they share one message object,
 * as they did when they were appended.
 */
async function loadPendingBodies(segments: Segment[], pending: Map<string, PendingEntry>): Promise<Delivery[]> {
  const ids: string[] = [];
  const bySegment = new Map<SegmentRef, number[]>();
  for (const [id, entry] of pending) {
    const list = bySegment.get(entry.segment!);
    if (list === undefined) bySegment.set(entry.segment!, [ids.length]);
    else list.push(ids.length);
    ids.push(id);
  }
  const deliveries = new Array<Delivery>(ids.length);
  for (const segment of segments) {
    const indexes = bySegment.get(segment);
    if (indexes === undefined) continue;
    const buf = await fs.readFile(segment.path);
    const reader = new FrameReader(buf, segment.size);
    const sharedFrames = new Map<number, ParsedSharedFrame>();
    for (const i of indexes) {
      const id = ids[i]!;
      const { offset } = pending.get(id)!;
      if (reader.read(offset) !== FrameStatus.Ok) throw unreadable(segment.path, id, offset, 'frame changed on disk during open');
      if (reader.type === RecordType.AppendedShared) {
        let frame = sharedFrames.get(offset);
        if (frame === undefined)
          sharedFrames.set(offset, (frame = parseSharedFrame(buf, reader.payloadStart, reader.payloadEnd, segment.path, id, offset)));
        const receiver = frame.receivers.get(id);
        if (receiver === undefined) throw unreadable(segment.path, id, offset, 'shared frame does not list this delivery');
        deliveries[i] = {
          id,
          messageId: frame.body.messageId,
          receiver,
          message: frame.body.message as Delivery['message'],
          acceptedAt: frame.body.acceptedAt,
        };
        continue;
      }
      try {
        deliveries[i] = readDeliveryBody(buf, keyedBodyStart(buf, reader.payloadStart), reader.payloadEnd, id);
      } catch (error) {
        throw unreadable(segment.path, id, offset, `delivery body is unreadable (${(error as Error).message})`);
      }
    }
  }
  return deliveries;
}

interface ParsedSharedFrame {
  body: SharedBody;
  /** Delivery id → receiver. */
  receivers: Map<string, string>;
}

function parseSharedFrame(
  buf: Buffer,
  payloadStart: number,
  payloadEnd: number,
  file: string,
  id: string,
  offset: number,
): ParsedSharedFrame {
  const shared = readSharedEntries(buf, payloadStart, payloadEnd);
  if (shared === undefined) throw unreadable(file, id, offset, 'shared frame is malformed');
  let body: SharedBody;
  try {
    body = parseSharedBody(buf, shared.bodyStart, payloadEnd);
  } catch (error) {
    throw unreadable(file, id, offset, `shared message is not valid (${(error as Error).message})`);
  }
  return { body, receivers: new Map(shared.entries.map((e) => [e.id, e.receiver])) };
}

function unreadable(file: string, deliveryId: string, offset: number, reason: string): EmbeddedLogError {
  // The checksum matched, so the bytes are what was written: this is a writer bug or a concurrent
  // writer, not disk damage.
  return new EmbeddedLogError('log.corrupt', `cannot load pending delivery ${deliveryId} from ${file} at byte ${offset}: ${reason}`, {
    context: { file, offset, deliveryId },
    hint: 'make sure only one process uses the data directory, and report this with the segment file attached',
  });
}
