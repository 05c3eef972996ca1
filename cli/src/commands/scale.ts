/** `caxton scale <agent> --replicas N`: run the agent as N instances behind its one name (decision 2010). */
import type { CommandModule } from 'yargs';
import { parseReplicaCount, REPLICA_LIMITS } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatAgentDetail } from '../format/agents.js';
import { UsageError } from '../cli-error.js';

type Args = GlobalArgs & { agent: string; replicas: number };

export function scaleCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'scale <agent>',
    describe: 'Run an agent as N replicas behind its one name: a conversation stays on one replica, the rest go to the least loaded; scaling down drains',
    builder: (y) => y
      .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' })
      .option('replicas', { type: 'number', demandOption: true, describe: `How many instances (1..${REPLICA_LIMITS.maxReplicas}); 1 is the agent alone` })
      .example('$0 scale pricing --replicas 3', 'three instances of the running version, over the node\'s shards')
      .example('$0 scale pricing --replicas 1', 'drain and stop the extra replicas; nothing accepted is lost'),
    handler: action<Args>(env, async (ctx, argv) => {
      let replicas: number;
      try {
        replicas = parseReplicaCount(argv.replicas, 'replicas');
      } catch (err) {
        throw new UsageError(`--replicas: ${(err as Error).message.replace(/^replicas: /, '')}`, `a whole number from 1 to ${REPLICA_LIMITS.maxReplicas}`);
      }
      const agent = await (await ctx.client()).scale(argv.agent, replicas);
      if (ctx.args.json) ctx.printJson(agent);
      else ctx.print(`scaled ${agent.name} to ${replicas} replica${replicas === 1 ? '' : 's'}\n${formatAgentDetail(agent, ctx.io.now())}`);
    }),
  };
}
