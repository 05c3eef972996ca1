/**
 * `caxton top`: what each agent costs, live — handlings and fuel a second, fuel a handling, handler
 * time, sends and their bytes, state bytes written, HTTP calls, memory, mailbox, restarts — sorted
 * by a column and refreshed every `--interval`, with the node's totals under them. `--conversations`
 * shows the same of each conversation (decision 2184). `--json` prints one object per refresh
 * (NDJSON); `--iterations n` stops after n.
 */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import { CliError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parseDuration } from '../parse.js';
import { formatTop } from '../top/format-top.js';
import { TOP_SORT_KEYS, sortTopRows, topRows, topTotals, type TopSnapshot, type TopSortKey } from '../top/top-rows.js';
import { CONVERSATION_LIMITS_TEXT, conversationsLook } from '../top/top-conversations.js';
import { CONVERSATION_SORT_KEYS, type ConversationSortKey } from '../top/conversation-rows.js';

const SORT_KEYS = [...new Set<string>([...TOP_SORT_KEYS, ...CONVERSATION_SORT_KEYS])];
type Args = GlobalArgs & { sort: string; interval: string; iterations?: number; conversations: boolean; limit: number };

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
          choices: SORT_KEYS,
          default: 'fuel-rate',
          describe: 'Column to sort by, largest first (recent: --conversations only; mailbox, memory, restarts: agents only)',
        })
        .option('conversations', {
          type: 'boolean',
          default: false,
          describe: 'What each conversation costs instead of each agent (decision 2184)',
        })
        .option('limit', { type: 'number', default: 20, describe: `Conversations shown (${CONVERSATION_LIMITS_TEXT})` })
        .option('interval', { type: 'string', default: '2s', describe: 'Time between refreshes (100ms to 1h)' })
        .option('iterations', { alias: 'n', type: 'number', describe: 'Stop after this many refreshes (rates from the second on)' })
        .example('$0 top', 'the agents by fuel a second, refreshed every 2 s')
        .example('$0 top --sort msg-rate --interval 1s', 'the busiest first')
        .example('$0 top --json -n 2 | tail -1 | jq .totals', "one interval's totals, for scripts")
        .example('$0 top --conversations --sort bytes-sent', 'the conversations that sent the most bytes'),
    handler: action<Args>(env, async (ctx, argv) => {
      const intervalMs = intervalOf(argv.interval);
      const iterations = argv.iterations;
      if (iterations !== undefined && (!Number.isSafeInteger(iterations) || iterations < 1))
        throw new CliError(EXIT.USAGE, `--iterations ${iterations}: not a whole number of at least 1`, 'e.g. --iterations 5');
      const view = argv.conversations ? 'conversations' : 'agents';
      const keys: readonly string[] = argv.conversations ? CONVERSATION_SORT_KEYS : TOP_SORT_KEYS;
      if (!keys.includes(argv.sort))
        throw new CliError(EXIT.USAGE, `--sort ${argv.sort}: not a column of the ${view}`, `one of ${keys.join(', ')}`);
      const look = argv.conversations ? conversationsLook(argv.sort as ConversationSortKey, argv.limit) : undefined;
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
          if (look !== undefined) {
            const out = look.next(await client.conversationCosts(look.query), ctx.io.now());
            if (ctx.args.json) ctx.printJsonLine(out.json);
            else ctx.print(`${tty ? '\x1b[H\x1b[2J' : i > 0 ? '\n' : ''}${out.text}`);
            continue;
          }
          const agents = await client.listAgents();
          const now: TopSnapshot = { at: ctx.io.now(), agents }; // the time of the answer, not of the question
          const rows = sortTopRows(topRows(now, before), argv.sort as TopSortKey);
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
