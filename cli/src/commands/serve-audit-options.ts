/**
 * `caxton serve` flags for the audit trail (decision 1402):
 *   --audit-reads   also record calls that only look (list, get, logs, tail, status, state reads)
 *   --accept-audit-truncation   continue a trail that ends before its signed anchor (decision 1750),
 *                   recording the acceptance in the trail; without it such a node refuses to start
 * Changes and calls refused for their credentials are always recorded.
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';

export interface ServeAuditArgs {
  auditReads: boolean;
  acceptAuditTruncation: boolean;
}

export function serveAuditOptions<T>(y: Argv<T>): Argv<T & ServeAuditArgs> {
  return y.option('audit-reads', {
    type: 'boolean', default: false,
    describe: 'Record read-only calls in the audit trail too (changes and refused credentials always are)',
  }).option('accept-audit-truncation', {
    type: 'boolean', default: false,
    describe: 'Continue an audit trail that lost records since its signed anchor (recorded in the trail); without it the node refuses to start',
  }) as unknown as Argv<T & ServeAuditArgs>;
}

export function auditNodeOptions(argv: Partial<ServeAuditArgs>): Pick<StartNodeOptions, 'audit'> {
  const audit = {
    ...(argv.auditReads ? { recordReads: true } : {}),
    ...(argv.acceptAuditTruncation ? { acceptTruncation: true } : {}),
  };
  return Object.keys(audit).length > 0 ? { audit } : {};
}
