/** `caxton tail`: follow the messages the bus accepts, optionally filtered. */
import type { CommandModule } from 'yargs';
import type { Performative } from '@caxton/core';

import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatMessageLine } from '../format/messages.js';
import { parsePerformative } from '../parse.js';
import { follow } from './stream.js';
import type { MessageEvent, TailFilter } from '@caxton/core';

export type TailArgs = GlobalArgs & { agent?: string; conversation?: string; performative: string[]; count?: number };

export function tailFilter(argv: TailArgs): TailFilter {
  const filter: TailFilter = {};
  if (argv.agent) filter.agent = argv.agent;
  if (argv.conversation) filter.conversationId = argv.conversation;
  const performatives: Performative[] = argv.performative
    .flatMap((p) => p.split(','))
    .filter((p) => p !== '')
    .map(parsePerformative);
  if (performatives.length > 0) filter.performatives = performatives;
  return filter;
}

export function tailCommand(env: AppEnv): CommandModule<GlobalArgs, TailArgs> {
  return {
    command: 'tail',
    describe: 'Follow messages as the bus accepts them (Ctrl-C to stop)',
    builder: (y) =>
      y
        .option('agent', { alias: 'a', type: 'string', describe: 'Only messages from or to this agent' })
        .option('conversation', { alias: 'c', type: 'string', describe: 'Only this conversation id' })
        .option('performative', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'Only these performatives (repeatable or comma-separated)',
        })
        .option('count', { alias: 'n', type: 'number', describe: 'Stop after this many messages' })
        .example('$0 tail', 'everything')
        .example('$0 tail --agent seller --performative propose,refuse', "a seller's answers in a contract net")
        .example('$0 tail --json -n 10 | jq .message.content', 'ten messages as NDJSON'),
    handler: action<TailArgs>(env, async (ctx, argv) => {
      const filter = tailFilter(argv);
      const client = await ctx.client();
      await follow<MessageEvent>(
        ctx,
        (onValue) => client.tail(filter, onValue),
        (event) => (ctx.args.json ? ctx.printJsonLine(event) : ctx.print(formatMessageLine(event))),
        argv.count,
      );
    }),
  };
}
