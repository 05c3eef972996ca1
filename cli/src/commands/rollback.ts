/** `caxton rollback <agent>`: put back the version the last upgrade replaced, as a new version. */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatAgentDetail } from '../format/agents.js';

type Args = GlobalArgs & { agent: string };

export function rollbackCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'rollback <agent>',
    describe: 'Put back the version the last upgrade replaced (artifact, limits, config), as a new version; during a rollout, abort it',
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' })
        .example('$0 rollback pricing', 'undo the last upgrade of pricing; its state is kept')
        .example('$0 rollback pricing && $0 rollback pricing', 'a second rollback undoes the first')
        .example(
          '$0 rollback pricing   # during a rollout',
          'abort the blue-green or canary rollout: the new version is removed, the running one stays',
        ),
    handler: action<Args>(env, async (ctx, argv) => {
      const result = await (await ctx.client()).rollback(argv.agent);
      const rollout = result.agent.rollout;
      if (ctx.args.json) ctx.printJson(result);
      else if (rollout?.phase === 'aborted' && rollout.candidateVersion === result.previousVersion) {
        ctx.print(
          `aborted the rollout of ${result.agent.name} version ${rollout.candidateVersion}: version ${result.agent.version} keeps running\n${formatAgentDetail(result.agent, ctx.io.now())}`,
        );
      } else
        ctx.print(
          `rolled back ${result.agent.name}: version ${result.previousVersion} -> ${result.agent.version} (what the last upgrade replaced)\n${formatAgentDetail(result.agent, ctx.io.now())}`,
        );
    }),
  };
}
