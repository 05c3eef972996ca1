/**
 * `caxton token rotate [--overlap 10m]` (decision 1401): the node writes new admin and read tokens
 * to its data directory and keeps accepting the old ones until the overlap ends. The new tokens are
 * printed once, here (or as --json); clients on the node's machine find them in the files.
 */
import type { Argv, CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { renderFields } from '../format/table.js';
import { formatTime } from '../format/units.js';
import { parseDuration } from '../parse.js';

type Args = GlobalArgs & { action: string; overlap: string };

export function tokenCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'token <action>',
    describe: 'Manage the node\'s API tokens: `token rotate` issues new admin and read tokens',
    builder: (y) => y
      .positional('action', { type: 'string', choices: ['rotate'], demandOption: true, describe: 'rotate: new tokens; the old ones keep working for --overlap' })
      .option('overlap', { type: 'string', default: '10m', describe: 'How long the old tokens stay valid (0s to 24h)' })
      .example('$0 token rotate', 'new tokens; the old ones work for 10 more minutes')
      .example('$0 token rotate --overlap 0s --json', 'revoke the old tokens at once; the new ones as JSON') as unknown as Argv<Args>,
    handler: action<Args>(env, async (ctx, argv) => {
      const overlapMs = parseDuration(argv.overlap);
      if (overlapMs === undefined || overlapMs > 24 * 3_600_000) throw new UsageError(`--overlap ${argv.overlap} is not a duration up to 24h`, 'e.g. --overlap 10m, 1h, 0s');
      const client = await ctx.client();
      const rotated = await client.rotateTokens(overlapMs);
      if (ctx.args.json) {
        ctx.printJson(rotated);
        return;
      }
      ctx.print(renderFields([
        ['admin token', rotated.adminToken],
        ['read token', rotated.readToken],
        ['old tokens valid until', formatTime(rotated.previousValidUntil)],
      ]));
      ctx.note('caxton: the new tokens are shown only this once; they are also in the node\'s data directory (auth-token, auth-token.read)');
    }),
  };
}
