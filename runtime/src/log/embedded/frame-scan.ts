/**
 * Walks the frames of one file and decides what to do about damage (pure: a Buffer in, a verdict
 * out; the caller does the truncating and the warning).
 *
 * The rule, argued in docs/decisions/0301-embedded-log-recovery-and-retention.md:
 * - A bad frame with NO valid frame after it, in the newest file, is a torn write from a crash
 *   (a process dies mid-write: the file ends in a prefix of the last write). It was never
 *   acknowledged (acks wait for the write, and for the fsync under `always`), so the file is cut
 *   at the last good frame.
 * - A bad frame that valid frames FOLLOW, or any bad frame in an older file (those were fsynced
 *   before the log rotated away from them), is real corruption: it may hold acknowledged
 *   deliveries. Policy `refuse` (default) stops open() with an error and a hint; `skip` jumps to the
 *   next valid frame and reports the skipped range.
 */
import { FrameReader, FrameStatus, describeFrameStatus } from './record-format.js';

export type CorruptionPolicy = 'refuse' | 'skip';

export interface ScanOptions {
  /** The newest file of its kind: the only place a crash can leave a torn write. */
  isTail: boolean;
  policy: CorruptionPolicy;
}

export interface SkippedRange {
  from: number;
  to: number;
  reason: string;
}

export interface ScanResult {
  /** Offset just past the last byte that is kept (a good frame, or a skipped range). */
  end: number;
  /** Set when the tail ends in a torn write: cut the file to this length. */
  tornAt: number | undefined;
  tornReason: string | undefined;
  skipped: SkippedRange[];
  /** Set when policy `refuse` met corruption: open() must fail. */
  refused: { offset: number; reason: string } | undefined;
}

/**
 * Called for each checksum-valid frame with the reader positioned on it. Returns false when the
 * payload is malformed in a way the checksum cannot see; the frame is then treated as damage.
 */
export type FrameVisitor = (reader: FrameReader, offset: number) => boolean;

export function scanFrames(buf: Buffer, start: number, options: ScanOptions, visit: FrameVisitor): ScanResult {
  const reader = new FrameReader(buf);
  const result: ScanResult = { end: start, tornAt: undefined, tornReason: undefined, skipped: [], refused: undefined };
  let offset = start;
  while (offset < buf.length) {
    const status = reader.read(offset);
    if (status === FrameStatus.Ok && visit(reader, offset)) {
      offset = reader.next;
      result.end = offset;
      continue;
    }
    const reason = status === FrameStatus.Ok ? 'malformed payload' : describeFrameStatus(status);
    const resume = reader.findNextValidFrame(offset);
    if (resume < 0 && options.isTail) {
      result.tornAt = offset;
      result.tornReason = reason;
      return result;
    }
    if (options.policy === 'refuse') {
      result.refused = { offset, reason };
      return result;
    }
    const to = resume < 0 ? buf.length : resume;
    result.skipped.push({ from: offset, to, reason });
    offset = to;
    result.end = to;
  }
  return result;
}
