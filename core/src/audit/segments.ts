/**
 * The file trail's segments and retention (decision 1790), defined once: the bounds of the two
 * settings `caxton serve` takes (`--audit-segment-bytes`, `--audit-retain-segments`) and their one
 * check, used by the CLI before the node starts and by the trail when it opens.
 *
 * Why bounds: a segment is the unit read whole when a trail opens or a verifier reads from it, so
 * its size bounds a node's start-up memory (ceiling); and a tiny segment would rotate on every
 * batch, a file and a directory sync each (floor). Retention keeps at least one segment besides the
 * one being written, so pruning never deletes the records of the last anchor.
 */
import { InvalidArgumentError } from '../control/errors.js';

export interface AuditSegmentSettings {
  /** A new segment starts when the current one holds at least this many bytes. */
  segmentBytes: number;
  /** Closed segments kept besides the one being written; undefined: keep all (no retention). */
  retainSegments?: number | undefined;
}

export const AUDIT_SEGMENT_BOUNDS = Object.freeze({
  segmentBytes: Object.freeze({ default: 4 * 1024 * 1024, floor: 64 * 1024, ceiling: 1024 * 1024 * 1024, flag: 'audit-segment-bytes', unit: 'bytes' }),
  retainSegments: Object.freeze({ floor: 1, ceiling: 1_000_000, flag: 'audit-retain-segments', unit: 'closed segments' }),
});

/** Checks the settings given (each a safe integer within its bounds) and fills the default segment size. */
export function checkAuditSegmentSettings(given: { segmentBytes?: unknown; retainSegments?: unknown }): AuditSegmentSettings {
  const within = (name: keyof typeof AUDIT_SEGMENT_BOUNDS, value: unknown): number => {
    const b = AUDIT_SEGMENT_BOUNDS[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < b.floor || value > b.ceiling) {
      throw new InvalidArgumentError(name, `${JSON.stringify(value)} is not a whole number in ${b.floor}..${b.ceiling} (${b.unit})`,
        `give --${b.flag} a value in ${b.floor}..${b.ceiling} ${b.unit}${name === 'segmentBytes' ? `; omit it for the default, ${AUDIT_SEGMENT_BOUNDS.segmentBytes.default}` : '; omit it to keep every segment'}`);
    }
    return value;
  };
  return {
    segmentBytes: given.segmentBytes === undefined ? AUDIT_SEGMENT_BOUNDS.segmentBytes.default : within('segmentBytes', given.segmentBytes),
    ...(given.retainSegments === undefined ? {} : { retainSegments: within('retainSegments', given.retainSegments) }),
  };
}
