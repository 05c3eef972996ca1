/** `caxton stop <agent> [--force]`: stop an agent and remove its deployment. */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';

type Args = GlobalArgs & { agent: string; force: boolean; 'keep-queue': boolean };

export function stopCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'stop <agent>',
    describe: 'Stop an agent and remove its deployment',
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' })
        .option('force', { type: 'boolean', default: false, describe: 'Terminate at once instead of letting the message in hand finish' })
        .option('keep-queue', {
          type: 'boolean',
          default: false,
          describe:
            'Keep the name and its queue: messages to it wait (up to its --absent-queue, each for its --absent-ttl) and are delivered in order when it is deployed again',
        })
        .example('$0 stop echo', 'graceful stop')
        .example('$0 stop echo --keep-queue', 'stop for a redeploy; messages sent meanwhile wait for it')
        .example('$0 stop spinner --force', 'kill an agent stuck in a long handler'),
    handler: action<Args>(env, async (ctx, argv) => {
      const keepQueue = argv['keep-queue'];
      const agent = await (await ctx.client()).stop(argv.agent, argv.force, keepQueue);
      if (ctx.args.json) ctx.printJson(agent);
      else {
        const kept = keepQueue ? `; its queue is kept (${agent.absentQueue?.queued ?? 0} waiting) until it is deployed again` : '';
        ctx.print(`stopped ${agent.name} (version ${agent.version}, ${agent.messagesHandled} messages handled${kept})\n`);
      }
    }),
  };
}
