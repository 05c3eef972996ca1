/** `caxton agents [name]`: list deployed agents, or show one in detail. */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatAgentDetail, formatAgentTable } from '../format/agents.js';

type Args = GlobalArgs & { name?: string };

export function agentsCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'agents [name]',
    aliases: ['agent', 'ls'],
    describe: 'List deployed agents, or show one in detail',
    builder: (y) =>
      y
        .positional('name', { type: 'string', describe: 'Show only this agent, with all its details' })
        .example('$0 agents', 'table of all agents')
        .example('$0 agents echo', 'state, limits, fuel, mailbox and last error of echo')
        .example('$0 agents --json | jq ".[].name"', 'names, for scripts'),
    handler: action<Args>(env, async (ctx, argv) => {
      const client = await ctx.client();
      if (argv.name !== undefined) {
        const agent = await client.getAgent(argv.name);
        if (ctx.args.json) ctx.printJson(agent);
        else ctx.print(formatAgentDetail(agent, ctx.io.now()));
        return;
      }
      const agents = await client.listAgents();
      if (ctx.args.json) ctx.printJson(agents);
      else ctx.print(formatAgentTable(agents));
    }),
  };
}
