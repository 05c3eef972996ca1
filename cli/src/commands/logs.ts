/** `caxton logs <agent> [-f]`: an agent's log lines. */
import type { CommandModule } from 'yargs';

import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { formatLogLine } from '../format/messages.js';
import { parseSince } from '../parse.js';
import { follow } from './stream.js';
import type { LogEntry, LogQuery } from '@caxton/core';

export type LogsArgs = GlobalArgs & { agent: string; follow: boolean; since?: string; lines?: number };

export function logQuery(argv: LogsArgs, now: number): LogQuery {
  const query: LogQuery = { agent: argv.agent, follow: argv.follow };
  if (argv.since !== undefined) query.since = parseSince(argv.since, now);
  if (argv.lines !== undefined) {
    if (!Number.isInteger(argv.lines) || argv.lines < 1) throw new UsageError(`--lines must be a whole number ≥ 1, got ${argv.lines}`);
    query.limit = argv.lines;
  }
  return query;
}

export function logsCommand(env: AppEnv): CommandModule<GlobalArgs, LogsArgs> {
  return {
    command: 'logs <agent>',
    describe: "Print an agent's log; -f keeps following it",
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' })
        .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'Keep printing new lines (Ctrl-C to stop)' })
        .option('since', { type: 'string', describe: 'Only lines since a duration ago (10m) or a date' })
        .option('lines', { alias: 'n', type: 'number', describe: 'Only the last N stored lines' })
        .example('$0 logs echo', 'stored lines')
        .example('$0 logs echo -f --since 5m', 'the last five minutes, then follow'),
    handler: action<LogsArgs>(env, async (ctx, argv) => {
      const query = logQuery(argv, ctx.io.now());
      const client = await ctx.client();
      await follow<LogEntry>(
        ctx,
        (onValue) => client.logs(query, onValue),
        (line) => (ctx.args.json ? ctx.printJsonLine(line) : ctx.print(formatLogLine(line, false))),
      );
    }),
  };
}
