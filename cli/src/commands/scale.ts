/** `caxton scale <agent> --replicas N`: run the agent as N instances behind its one name (decision 2010). */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatAgentDetail } from '../format/agents.js';
import { replicaLimitOptions, replicasFromFlags, type LimitFlagArgs } from '../limit-flags.js';

type Args = GlobalArgs & LimitFlagArgs & { agent: string };

export function scaleCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'scale <agent>',
    describe:
      'Run an agent as N replicas behind its one name: a conversation stays on one replica, the rest go to the least loaded; scaling down drains',
    builder: (y) =>
      replicaLimitOptions(y.positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' }))
        .example('$0 scale pricing --replicas 3', "three instances of the running version, over the node's shards")
        .example('$0 scale pricing --replicas 1', 'drain and stop the extra replicas; nothing accepted is lost'),
    handler: action<Args>(env, async (ctx, argv) => {
      const replicas = replicasFromFlags(argv);
      const agent = await (await ctx.client()).scale(argv.agent, replicas);
      if (ctx.args.json) ctx.printJson(agent);
      else ctx.print(`scaled ${agent.name} to ${replicas} replica${replicas === 1 ? '' : 's'}\n${formatAgentDetail(agent, ctx.io.now())}`);
    }),
  };
}
