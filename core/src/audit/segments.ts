/**
 * The file trail's segments and retention (decision 1790): their bounds are rows of
 * `AUDIT_SEGMENT_LIMIT_TABLE` (core's limits, decision 2153), checked by the tables' one check, used
 * by the CLI before the node starts, by startNode, and by the trail when it opens.
 */
import { AUDIT_SEGMENT_LIMIT_TABLE, checkAuditSegmentTable } from '../control/limits/index.js';

export interface AuditSegmentSettings {
  /** A new segment starts when the current one holds at least this many bytes. */
  segmentBytes: number;
  /** Closed segments kept besides the one being written; undefined: keep all (no retention). */
  retainSegments?: number | undefined;
}

/** Checks the settings given (each a whole number in its row: `limits.out-of-range` else) and fills the default segment size. */
export function checkAuditSegmentSettings(given: { segmentBytes?: unknown; retainSegments?: unknown }): AuditSegmentSettings {
  const rows = checkAuditSegmentTable({ segmentBytes: given.segmentBytes, retainSegments: given.retainSegments });
  return {
    segmentBytes: rows.segmentBytes ?? AUDIT_SEGMENT_LIMIT_TABLE.segmentBytes.default,
    ...(rows.retainSegments === undefined ? {} : { retainSegments: rows.retainSegments }),
  };
}
