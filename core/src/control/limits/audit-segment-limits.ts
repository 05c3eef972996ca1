/** The embedded audit trail's segments (decision 1790): their size and retention. */
import { defineLimitTable, type LimitRow } from './limit-table.js';

/**
 * The embedded audit trail's segments (decision 1790): `caxton serve --audit-segment-bytes /
 * --audit-retain-segments`, `startNode({ auditSegments })`, `FileAuditTrail.open`. A segment is the
 * unit read whole when a trail opens or a verifier reads from it, so its size bounds a node's
 * start-up memory (ceiling), and a tiny one would rotate on every batch, a file and a directory sync
 * each (floor). Retention keeps at least one segment besides the one being written, so pruning never
 * deletes the records of the last anchor; left out, every segment is kept.
 */
export const AUDIT_SEGMENT_LIMIT_TABLE = {
  segmentBytes: {
    unit: 'bytes',
    default: 4 * 1024 * 1024,
    min: 64 * 1024,
    ceiling: 1024 * 1024 * 1024,
    description: 'Start a new segment of the embedded audit trail once the current one holds this many bytes.',
    serve: 'audit-segment-bytes',
    flagDigitsOnly: true,
  },
  retainSegments: {
    unit: 'closed segments',
    computedDefault: 'none, every closed segment kept',
    ceiling: 1_000_000,
    description:
      'Keep this many closed audit segments and delete older ones, recorded in the signed anchor (verification then tells pruning from deletion).',
    serve: 'audit-retain-segments',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type AuditSegmentLimitName = keyof typeof AUDIT_SEGMENT_LIMIT_TABLE;

/** The segment settings given, each a whole number in its row (nothing filled in: the trail defaults the size). */
export const { check: checkAuditSegmentTable } = defineLimitTable(AUDIT_SEGMENT_LIMIT_TABLE, {
  what: 'audit segment setting',
  field: 'auditSegments',
});
