/** `caxton status`: is the runtime up, what runs where, which storage it uses. */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatStatus } from '../format/status.js';

export function statusCommand(env: AppEnv): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'status',
    describe: 'Show the node: version, uptime, agents, cluster members and storage',
    builder: (y) => y.example('$0 status', 'exit code 4 when no runtime answers: usable as a readiness check'),
    handler: action<GlobalArgs>(env, async (ctx) => {
      const status = await (await ctx.client()).status();
      if (ctx.args.json) ctx.printJson(status);
      else ctx.print(formatStatus(status, ctx.io.now()));
    }),
  };
}
