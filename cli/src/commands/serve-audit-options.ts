/**
 * `caxton serve` flags for the audit trail (decision 1402):
 *   --audit-reads   also record calls that only look (list, get, logs, tail, status, state reads)
 * Changes and calls refused for their credentials are always recorded.
 */
import type { Argv } from 'yargs';
import type { StartNodeOptions } from '@caxton/runtime';

export interface ServeAuditArgs {
  auditReads: boolean;
}

export function serveAuditOptions<T>(y: Argv<T>): Argv<T & ServeAuditArgs> {
  return y.option('audit-reads', {
    type: 'boolean', default: false,
    describe: 'Record read-only calls in the audit trail too (changes and refused credentials always are)',
  }) as unknown as Argv<T & ServeAuditArgs>;
}

export function auditNodeOptions(argv: Partial<ServeAuditArgs>): Pick<StartNodeOptions, 'audit'> {
  return argv.auditReads ? { audit: { recordReads: true } } : {};
}
