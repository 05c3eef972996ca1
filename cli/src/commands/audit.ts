/**
 * `caxton audit [--follow]`: the node's audit trail of management calls; `caxton audit verify`:
 * check its hash chain here, on the client, and name the first broken record (decision 1402).
 * Both need the admin token.
 *
 * A change is two records (decision 1701): its intent, written before it took effect, and its
 * outcome. A listing shows one line per change with its outcome ("outcome unknown" when the trail
 * holds none); `--follow` shows each record as it arrives, since an outcome may be seconds away;
 * `--json` prints every record as stored, one per line (an outcome names its intent's index).
 */
import { createHash } from 'node:crypto';
import type { CommandModule } from 'yargs';
import { AuditChainVerifier, AuditChangeReader, type StoredAuditRecord } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatAuditChange, formatAuditLine, formatVerdict, readStored } from '../format/audit.js';
import { follow } from './stream.js';

type Args = GlobalArgs & { action?: 'verify'; follow: boolean; from: number; limit?: number };

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function wholeNumber(value: number | undefined, flag: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${value}`);
}

export function auditCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'audit [action]',
    describe: 'List the audit trail of management calls; `audit verify` checks its hash chain',
    builder: (y) => y
      .positional('action', { type: 'string', choices: ['verify'] as const, describe: 'verify: check the chain, exit 1 naming the first broken record' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'Keep printing new records (Ctrl-C to stop)' })
      .option('from', { type: 'number', default: 0, describe: 'First record to show (its index)' })
      .option('limit', { alias: 'n', type: 'number', describe: 'Show at most this many records' })
      .example('$0 audit', 'every record, oldest first')
      .example('$0 audit -f --from 120', 'from record 120 on, then follow')
      .example('$0 audit verify', 'check the whole chain') as unknown as import('yargs').Argv<Args>,
    handler: action<Args>(env, async (ctx, argv) => {
      wholeNumber(argv.from, '--from', 0);
      wholeNumber(argv.limit, '--limit', 1);
      const client = await ctx.client();
      if (argv.action === 'verify') {
        if (argv.follow || argv.from !== 0 || argv.limit !== undefined) throw new UsageError('audit verify checks the whole trail: it takes no --follow, --from or --limit');
        const verifier = new AuditChainVerifier(sha256);
        const handle = client.listAudit({}, (stored) => {
          // The first fault ends the check: nothing after a broken record can be trusted.
          if (verifier.push(stored)) handle.cancel();
        });
        await handle.done;
        const result = { fault: verifier.fault, verified: verifier.verified, head: verifier.head };
        if (ctx.args.json) ctx.printJson({ ok: !result.fault, verified: result.verified, head: result.head ?? null, fault: result.fault ?? null });
        else ctx.print(formatVerdict(result));
        return result.fault ? EXIT.FAILURE : EXIT.OK;
      }
      const query = { from: argv.from, follow: argv.follow, ...(argv.limit !== undefined ? { limit: argv.limit } : {}) };
      const changes = ctx.args.json || argv.follow ? undefined : new AuditChangeReader();
      await follow<StoredAuditRecord>(ctx, (onValue) => client.listAudit(query, onValue), (stored) => {
        if (changes) {
          for (const line of changes.push(stored)) ctx.print(formatAuditChange(line));
          return;
        }
        if (!ctx.args.json) return ctx.print(formatAuditLine(stored));
        const read = readStored(stored);
        ctx.printJsonLine('record' in read ? read.record : { position: stored.position, unreadable: read.unreadable });
      });
      for (const line of changes?.end() ?? []) ctx.print(formatAuditChange(line));
      return undefined;
    }),
  };
}
