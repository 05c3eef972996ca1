/**
 * `caxton serve` flags for the audit trail (decision 1402):
 *   --audit-reads   also record calls that only look (list, get, logs, tail, status, state reads)
 *   --accept-audit-truncation   continue a trail that ends before its signed anchor (decision 1750),
 *                   recording the acceptance in the trail; without it such a node refuses to start
 *   --audit-segment-bytes   start a new segment of the trail file past this size (decision 1790)
 *   --audit-retain-segments keep this many closed segments, deleting older ones (the signed anchor
 *                   records where the trail then starts, so verification tells pruning from deletion)
 * Changes and calls refused for their credentials are always recorded.
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';
import { auditSegmentLimitOptions, auditSegmentLimitsFromFlags, type LimitFlagArgs } from '../limit-flags.js';

export interface ServeAuditArgs {
  auditReads: boolean;
  acceptAuditTruncation: boolean;
}

export function serveAuditOptions<T>(y: Argv<T>): Argv<T & ServeAuditArgs> {
  const withFlags = y
    .option('audit-reads', {
      type: 'boolean',
      default: false,
      describe: 'Record read-only calls in the audit trail too (changes and refused credentials always are)',
    })
    .option('accept-audit-truncation', {
      type: 'boolean',
      default: false,
      describe:
        'Continue an audit trail that lost records since its signed anchor (recorded in the trail); without it the node refuses to start',
    });
  // The segment flags are rows of core's AUDIT_SEGMENT_LIMIT_TABLE (decision 2153): help, parsing and range from the rows.
  return auditSegmentLimitOptions(withFlags) as unknown as Argv<T & ServeAuditArgs>;
}

/** The node's audit options; the segment settings are checked here, before anything starts (a usage error naming the flag). */
export function auditNodeOptions(argv: Partial<ServeAuditArgs>): Pick<StartNodeOptions, 'audit' | 'auditSegments'> {
  const audit = {
    ...(argv.auditReads ? { recordReads: true } : {}),
    ...(argv.acceptAuditTruncation ? { acceptTruncation: true } : {}),
  };
  const segments = auditSegmentLimitsFromFlags(argv as unknown as LimitFlagArgs);
  return {
    ...(Object.keys(audit).length > 0 ? { audit } : {}),
    ...(segments ? { auditSegments: segments } : {}),
  };
}
