/**
 * `caxton top`: what each agent costs, live — handlings and fuel a second, fuel a handling, memory,
 * mailbox, restarts — sorted by a column and refreshed every `--interval`, with the node's totals
 * under them. `--json` prints one object per refresh (NDJSON); `--iterations n` stops after n.
 */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import { CliError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseDuration } from '../parse.js';
import { formatTop } from '../top/format-top.js';
import { TOP_SORT_KEYS, sortTopRows, topRows, topTotals, type TopSnapshot, type TopSortKey } from '../top/top-rows.js';

type Args = GlobalArgs & { sort: TopSortKey; interval: string; iterations?: number };

/** Refreshes: not faster than the node's counters are worth reading, not slower than an hour. */
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 3_600_000;

function intervalOf(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS)
    throw new CliError(EXIT.USAGE, `--interval ${text}: not a duration from 100ms to 1h`, 'e.g. --interval 2s or --interval 500ms');
  return ms;
}

export function topCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'top',
    describe: 'What each agent costs, live: handlings and fuel a second, memory, mailbox (Ctrl-C to stop)',
    builder: (y) =>
      y
        .option('sort', {
          type: 'string',
          choices: TOP_SORT_KEYS,
          default: 'fuel-rate' as TopSortKey,
          describe: 'Column to sort by, largest first',
        })
        .option('interval', { type: 'string', default: '2s', describe: 'Time between refreshes (100ms to 1h)' })
        .option('iterations', { alias: 'n', type: 'number', describe: 'Stop after this many refreshes (rates from the second on)' })
        .example('$0 top', 'the agents by fuel a second, refreshed every 2 s')
        .example('$0 top --sort msg-rate --interval 1s', 'the busiest first')
        .example('$0 top --json -n 2 | tail -1 | jq .totals', "one interval's totals, for scripts"),
    handler: action<Args>(env, async (ctx, argv) => {
      const intervalMs = intervalOf(argv.interval);
      const iterations = argv.iterations;
      if (iterations !== undefined && (!Number.isSafeInteger(iterations) || iterations < 1))
        throw new CliError(EXIT.USAGE, `--iterations ${iterations}: not a whole number of at least 1`, 'e.g. --iterations 5');
      const client = await ctx.client();
      let stopped = false;
      let wake = (): void => {};
      const off = ctx.io.onInterrupt(() => {
        stopped = true;
        wake();
      });
      const tty = ctx.io.stdout.isTTY === true && !ctx.args.json;
      try {
        let before: TopSnapshot | undefined;
        for (let i = 0; !stopped && (iterations === undefined || i < iterations); i++) {
          if (i > 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, intervalMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            if (stopped) break;
          }
          const agents = await client.listAgents();
          const now: TopSnapshot = { at: ctx.io.now(), agents }; // the time of the answer, not of the question
          const rows = sortTopRows(topRows(now, before), argv.sort);
          const totals = topTotals(rows);
          if (ctx.args.json)
            ctx.printJsonLine({ at: now.at, intervalMs: before === undefined ? 0 : now.at - before.at, agents: rows, totals });
          else {
            const heading = `${new Date(now.at).toISOString()}  sorted by ${argv.sort}${before === undefined ? '  (rates from the next refresh)' : ''}`;
            // A terminal is redrawn in place; a pipe or file gets each refresh after the last.
            ctx.print(`${tty ? '\x1b[H\x1b[2J' : i > 0 ? '\n' : ''}${formatTop(rows, totals, heading)}`);
          }
          before = now;
        }
      } finally {
        off();
      }
    }),
  };
}
