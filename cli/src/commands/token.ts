/**
 * `caxton token …`: the node's API tokens.
 * - `rotate [--overlap 10m]` (decision 1401): new admin and read tokens in the node's data
 *   directory; the old ones keep working until the overlap ends. Printed once, here.
 * - `issue --role <r> [--agents <patterns>] [--ttl 24h] [--name <label>]` (decision 1760): a token
 *   with a role, optionally confined to some agents, that expires; printed once (the node keeps
 *   only its sha256).
 * - `list`: the issued tokens — id, label, role, agents, expiry, revoked — never their values.
 * - `revoke <id>`: refused at once from then on.
 * All need permission tokens.manage (admin).
 */
import type { Argv, CommandModule } from 'yargs';
import { ROLE_NAMES } from '@caxton/core';
import type { IssuedTokenView } from '@caxton/client';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { renderFields, renderTable } from '../format/table.js';
import { formatTime } from '../format/units.js';
import { parseDuration } from '../parse.js';

type Args = GlobalArgs & { action: string; id?: string; overlap: string; role?: string; agents?: string; ttl: string; name?: string };

const MAX_TTL_MS = 366 * 24 * 3_600_000;

function statusOf(t: IssuedTokenView, now: number): string {
  if (t.revokedAt !== undefined) return `revoked ${formatTime(t.revokedAt)}`;
  return t.expiresAt <= now ? 'expired' : 'valid';
}

function issuedFields(t: IssuedTokenView, now: number): [string, string][] {
  return [
    ['id', t.id],
    ['label', t.label || '-'],
    ['role', t.role],
    ['agents', t.agents ?? '(all)'],
    ['expires', formatTime(t.expiresAt)],
    ['status', statusOf(t, now)],
  ];
}

export function tokenCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'token <action> [id]',
    describe: "Manage API tokens: rotate the node's own; issue, list and revoke tokens with a role",
    builder: (y) =>
      y
        .positional('action', {
          type: 'string',
          choices: ['rotate', 'issue', 'list', 'revoke'],
          demandOption: true,
          describe:
            'rotate: new node tokens (old ones work for --overlap) · issue: a token with --role · list: issued tokens · revoke <id>',
        })
        .positional('id', { type: 'string', describe: 'revoke: the token id `token list` shows' })
        .option('overlap', { type: 'string', default: '10m', describe: 'rotate: how long the old tokens stay valid (0s to 24h)' })
        .option('role', { type: 'string', choices: ROLE_NAMES, describe: 'issue: what the token may do (docs/security.md)' })
        .option('agents', {
          type: 'string',
          describe: 'issue: confine the token to agents matching these patterns (`*` = any run of name characters, comma-separated)',
        })
        .option('ttl', { type: 'string', default: '24h', describe: 'issue: how long the token works (1s to 366d)' })
        .option('name', { type: 'string', describe: 'issue: a label to recognise the token by in `token list`' })
        .example('$0 token rotate', 'new node tokens; the old ones work for 10 more minutes')
        .example(
          "$0 token issue --role deployer --agents 'team-a-*' --ttl 30d --name ci-team-a",
          "a deployer token for team A's agents, valid 30 days",
        )
        .example('$0 token list --json', 'issued tokens (never their values)')
        .example('$0 token revoke 3f9c2a1b7d4e5f60', 'that token is refused from now on') as unknown as Argv<Args>,
    handler: action<Args>(env, async (ctx, argv) => {
      if (argv.action === 'rotate') {
        const overlapMs = parseDuration(argv.overlap);
        if (overlapMs === undefined || overlapMs > 24 * 3_600_000)
          throw new UsageError(`--overlap ${argv.overlap} is not a duration up to 24h`, 'e.g. --overlap 10m, 1h, 0s');
        const rotated = await (await ctx.client()).rotateTokens(overlapMs);
        if (ctx.args.json) {
          ctx.printJson(rotated);
          return;
        }
        ctx.print(
          renderFields([
            ['admin token', rotated.adminToken],
            ['read token', rotated.readToken],
            ['old tokens valid until', formatTime(rotated.previousValidUntil)],
          ]),
        );
        ctx.note(
          "caxton: the new tokens are shown only this once; they are also in the node's data directory (auth-token, auth-token.read)",
        );
        return;
      }
      if (argv.action === 'issue') {
        if (argv.role === undefined) throw new UsageError('token issue needs --role', `one of ${ROLE_NAMES.join(', ')}`);
        const ttlMs = parseDuration(argv.ttl);
        if (ttlMs === undefined || ttlMs < 1000 || ttlMs > MAX_TTL_MS)
          throw new UsageError(`--ttl ${argv.ttl} is not a duration from 1s to 366d`, 'e.g. --ttl 24h, 30d');
        const issued = await (await ctx.client()).issueToken({
          role: argv.role,
          ttlMs,
          ...(argv.agents !== undefined ? { agents: argv.agents } : {}),
          ...(argv.name !== undefined ? { label: argv.name } : {}),
        });
        if (ctx.args.json) {
          ctx.printJson(issued);
          return;
        }
        ctx.print(renderFields([['token', issued.token], ...issuedFields(issued.issued, Date.now())]));
        ctx.note('caxton: the token is shown only this once; the node keeps only its sha256 (revoke it with `caxton token revoke <id>`)');
        return;
      }
      if (argv.action === 'list') {
        const tokens = await (await ctx.client()).listTokens();
        if (ctx.args.json) {
          ctx.printJson(tokens);
          return;
        }
        const now = Date.now();
        ctx.print(
          renderTable<IssuedTokenView>(
            [
              { header: 'ID', value: (t) => t.id },
              { header: 'LABEL', value: (t) => t.label || '-' },
              { header: 'ROLE', value: (t) => t.role },
              { header: 'AGENTS', value: (t) => t.agents ?? '(all)' },
              { header: 'EXPIRES', value: (t) => formatTime(t.expiresAt) },
              { header: 'STATUS', value: (t) => statusOf(t, now) },
            ],
            tokens,
          ),
        );
        return;
      }
      if (argv.id === undefined) throw new UsageError('token revoke needs the token id', 'see the ids with `caxton token list`');
      const revoked = await (await ctx.client()).revokeToken(argv.id);
      if (ctx.args.json) {
        ctx.printJson(revoked);
        return;
      }
      ctx.print(renderFields(issuedFields(revoked, Date.now())));
    }),
  };
}
