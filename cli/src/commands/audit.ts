/**
 * `caxton audit [--follow]`: the node's audit trail of management calls; `caxton audit verify`:
 * check its hash chain and its signed anchor here, on the client, and name the first fault
 * (decisions 1402, 1750; audit-verify.ts); `caxton audit key`: the node's audit public key, to pin.
 * All need the admin token.
 *
 * A change is two records (decision 1701): its intent, written before it took effect, and its
 * outcome. A listing shows one line per change with its outcome ("outcome unknown" when the trail
 * holds none); `--follow` shows each record as it arrives, since an outcome may be seconds away;
 * `--json` prints every record as stored, one per line (an outcome names its intent's index).
 */
import type { CommandModule } from 'yargs';
import { AuditChangeReader, type StoredAuditRecord } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatAuditChange, formatAuditLine, formatVerdict, readStored } from '../format/audit.js';
import { follow } from './stream.js';
import {
  formatAnchorLine,
  formatKeyLine,
  nodeSource,
  parseExpectHead,
  verdictExitCode,
  verdictHint,
  verifyAudit,
  type AuditSource,
} from './audit-verify.js';
import { exportLines, exportSource } from './audit-export.js';

type Args = GlobalArgs & {
  action?: 'verify' | 'key' | 'export';
  follow: boolean;
  from: number;
  limit?: number;
  expectHead?: string[];
  trustKey?: string[];
  input?: string;
};

function wholeNumber(value: number | undefined, flag: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min))
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, got ${value}`);
}

export function auditCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'audit [action]',
    describe: 'List the audit trail of management calls; `audit verify` checks its hash chain',
    builder: (y) =>
      y
        .positional('action', {
          type: 'string',
          choices: ['verify', 'key', 'export'] as const,
          describe:
            "verify: check the chain and its signed anchor, naming the first fault (exit 1 broken record, 9 truncated, 10 rewritten, 11 anchor not genuine, 12 records missing); key: the node's audit public key; export: the trail and its anchor as JSON lines, verifiable later with verify --input",
        })
        .option('input', { type: 'string', describe: 'verify: check this export file (`caxton audit export`) instead of asking a node' })
        .option('expect-head', {
          type: 'string',
          array: true,
          describe: 'verify: a head kept elsewhere, <index>:<hash>; the trail must reach it and hold that hash there',
        })
        .option('trust-key', {
          type: 'string',
          array: true,
          describe: "verify: trust only this audit public key (base64; repeat for a cluster's nodes) instead of the one the node reports",
        })
        .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'Keep printing new records (Ctrl-C to stop)' })
        .option('from', { type: 'number', default: 0, describe: 'First record to show (its index)' })
        .option('limit', { alias: 'n', type: 'number', describe: 'Show at most this many records' })
        .example('$0 audit', 'every record, oldest first')
        .example('$0 audit -f --from 120', 'from record 120 on, then follow')
        .example('$0 audit verify', 'check the whole chain and its anchor')
        .example('$0 audit verify --trust-key $(cat audit.pub) --expect-head 120:9f…', 'against a pinned key and a head kept elsewhere')
        .example('$0 audit key --json', "the node's audit public key, to pin")
        .example(
          '$0 audit export > trail.jsonl && $0 audit verify --input trail.jsonl --trust-key …',
          'keep the trail, verify it later without the node',
        ) as unknown as import('yargs').Argv<Args>,
    handler: action<Args>(env, async (ctx, argv) => {
      wholeNumber(argv.from, '--from', 0);
      wholeNumber(argv.limit, '--limit', 1);
      if (argv.input !== undefined && argv.action !== 'verify') throw new UsageError('--input is for `audit verify`');
      if (argv.action === 'verify' && argv.input !== undefined) return verify(ctx, argv, await exportSource(argv.input));
      const client = await ctx.client();
      if (argv.action === 'export') {
        if (argv.follow || argv.from !== 0 || argv.limit !== undefined)
          throw new UsageError('audit export writes the whole trail: it takes no --follow, --from or --limit');
        for await (const line of exportLines(nodeSource(client))) ctx.print(`${line}\n`);
        return EXIT.OK;
      }
      if (argv.action === 'key') {
        const { publicKey } = await client.getAuditAnchor();
        if (ctx.args.json) ctx.printJson({ algorithm: 'ed25519', publicKey });
        else ctx.print(`${publicKey}\n`);
        return EXIT.OK;
      }
      if (argv.action === 'verify') return verify(ctx, argv, nodeSource(client));
      const query = { from: argv.from, follow: argv.follow, ...(argv.limit !== undefined ? { limit: argv.limit } : {}) };
      const changes = ctx.args.json || argv.follow ? undefined : new AuditChangeReader();
      await follow<StoredAuditRecord>(
        ctx,
        (onValue) => client.listAudit(query, onValue),
        (stored) => {
          if (changes) {
            for (const line of changes.push(stored)) ctx.print(formatAuditChange(line));
            return;
          }
          if (!ctx.args.json) return ctx.print(formatAuditLine(stored));
          const read = readStored(stored);
          ctx.printJsonLine('record' in read ? read.record : { position: stored.position, unreadable: read.unreadable });
        },
      );
      for (const line of changes?.end() ?? []) ctx.print(formatAuditChange(line));
      return undefined;
    }),
  };
}

/** `audit verify` against a node or an export file: same checks, same output, same exit codes. */
async function verify(ctx: CommandContext, argv: Args, source: AuditSource): Promise<number> {
  if (argv.follow || argv.from !== 0 || argv.limit !== undefined)
    throw new UsageError('audit verify checks the whole trail: it takes no --follow, --from or --limit');
  const expect = (argv.expectHead ?? []).map(parseExpectHead);
  const result = await verifyAudit(source, { trustKeys: argv.trustKey ?? [], expect });
  if (ctx.args.json) {
    ctx.printJson({
      ok: !result.fault,
      verified: result.verified,
      head: result.head ?? null,
      fault: result.fault ?? null,
      ...(result.fault ? { hint: verdictHint(result.fault) } : {}),
      anchor: result.anchor ?? null,
      trustedKeys: result.trusted,
    });
  } else {
    ctx.print(formatVerdict(result));
    if (result.fault) ctx.print(`hint: ${verdictHint(result.fault)}\n`);
    ctx.print(formatAnchorLine(result.anchor));
    ctx.print(formatKeyLine(result));
  }
  return verdictExitCode(result.fault);
}
