/**
 * What a committed consumer offset says about one partition.
 *
 * Kafka's committed offset alone can only say "everything below N is done". Completions arrive out
 * of order (agent A is slow on offset 10 while agent B finished 11..40 in the same partition), and
 * the log contract says a completed delivery is never handed out again, also across restarts. So
 * each commit carries, in the offset's metadata string (stored atomically with the offset by the
 * group coordinator), the still-pending offsets above it:
 *
 *   committed offset W = lowest pending offset (or the end, if nothing is pending)
 *   metadata "c1;<end-W>;<d2>.<d3>…" = offsets in [W, end) are done except W and W+d2, W+d2+d3, …
 *
 * Numbers are base 36. Its size grows with the number of pending deliveries, which the consumer
 * bounds (maxPendingPerPartition). If it still exceeds the broker's `offset.metadata.max.bytes`
 * (4096 by default) it is truncated by lowering `end`: offsets past the new end count as unseen and
 * are redelivered — at-least-once, never lost.
 */

export interface PartitionProgress {
  /** Every offset below `end` was seen (handed out, completed, or a gap). */
  end: number;
  /** Offsets below `end` not yet completed, ascending. */
  pending: readonly number[];
}

const PREFIX = 'c1;';
const BASE36 = /^[0-9a-z]{1,11}$/;

/** A base-36 number, or NaN for anything else (parseInt alone accepts trailing junk). */
function b36(text: string): number {
  return BASE36.test(text) ? parseInt(text, 36) : NaN;
}

export interface EncodedCommit {
  offset: number;
  metadata: string;
  /** The `end` actually recorded (lower than requested when truncated). */
  end: number;
}

/** Encode progress as (offset, metadata), within `maxChars` characters of metadata. */
export function encodeCommit(p: PartitionProgress, maxChars: number): EncodedCommit {
  const first = p.pending[0];
  if (first === undefined) return { offset: p.end, metadata: `${PREFIX}0;`, end: p.end };
  const parts: string[] = [];
  let end = p.end;
  let size = PREFIX.length + (p.end - first).toString(36).length + 1;
  for (let i = 1; i < p.pending.length; i++) {
    const delta = (p.pending[i]! - p.pending[i - 1]!).toString(36);
    if (size + delta.length + 1 > maxChars) {
      end = p.pending[i]!; // truncate: this and later offsets are treated as unseen
      break;
    }
    parts.push(delta);
    size += delta.length + 1;
  }
  return { offset: first, metadata: `${PREFIX}${(end - first).toString(36)};${parts.join('.')}`, end };
}

/**
 * Decode what a commit says. Metadata that is absent or not ours (e.g. a commit by another tool)
 * says nothing beyond the offset: everything from `offset` on is unseen.
 */
export function decodeCommit(offset: number, metadata: string | null | undefined): PartitionProgress {
  const nothing: PartitionProgress = { end: offset, pending: [] };
  if (!metadata?.startsWith(PREFIX)) return nothing;
  const [endText, listText] = metadata.slice(PREFIX.length).split(';');
  if (endText === undefined || listText === undefined) return nothing;
  const endDelta = b36(endText);
  if (!Number.isSafeInteger(endDelta) || endDelta < 0) return nothing;
  const end = offset + endDelta;
  if (endDelta === 0) return nothing;
  const pending = [offset];
  if (listText.length > 0) {
    for (const part of listText.split('.')) {
      const d = b36(part);
      if (!Number.isSafeInteger(d) || d <= 0) return nothing;
      const next = pending[pending.length - 1]! + d;
      if (next >= end) return nothing;
      pending.push(next);
    }
  }
  return { end, pending };
}
