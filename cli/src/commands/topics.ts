/** `caxton topics`: the node's topic subscriptions (decision 1960) — topic, agent, filter. */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatTopicTable } from '../format/topics.js';

type TopicsArgs = GlobalArgs & { topic?: string };

export function topicsCommand(env: AppEnv): CommandModule<GlobalArgs, TopicsArgs> {
  return {
    command: 'topics',
    describe: 'List topic subscriptions: topic, subscribing agent and its content filter',
    builder: (y) =>
      y
        .option('topic', { type: 'string', describe: "Only this topic's subscribers" })
        .example('$0 topics --topic market.prices', 'who receives messages sent to topic:market.prices'),
    handler: action<TopicsArgs>(env, async (ctx, argv) => {
      const subs = await (await ctx.client()).listSubscriptions(argv.topic);
      if (ctx.args.json) ctx.printJson(subs);
      else ctx.print(formatTopicTable(subs));
    }),
  };
}
