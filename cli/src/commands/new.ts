/** `caxton new <language> <dir>`: scaffold an agent project that builds and deploys as it is. */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { displayPath } from '../artifact-source.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';

type Args = GlobalArgs & { language: string; dir: string; name?: string };

export function newCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'new <language> <dir>',
    describe: 'Create a new agent project (an echo agent to start from) in an empty directory',
    builder: (y) =>
      y
        .positional('language', { type: 'string', demandOption: true, describe: 'assemblyscript, javascript, rust, c, go or python' })
        .positional('dir', { type: 'string', demandOption: true, describe: 'A new or empty directory, anywhere on disk' })
        .option('name', { type: 'string', describe: 'Agent name; default: the directory name' })
        .example('$0 new rust ~/agents/pricer', 'then: caxton deploy ~/agents/pricer --name pricer'),
    handler: localAction<Args>(env, async (ctx, argv) => {
      const { scaffoldAgent, scaffoldLanguages, AGENT_LANGUAGES } = await import('@caxton/toolchain');
      const language = AGENT_LANGUAGES.find((l) => l === argv.language);
      if (language === undefined) {
        throw new UsageError(`unknown language ${argv.language}`, `choose from ${scaffoldLanguages().join(', ')}`);
      }
      const r = await scaffoldAgent(language, path.resolve(ctx.io.cwd, argv.dir), argv.name ? { name: argv.name } : {});
      if (ctx.args.json) {
        ctx.printJson(r);
        return;
      }
      const shown = displayPath(ctx.io.cwd, r.dir);
      ctx.print(
        `created ${r.language} agent ${r.name} in ${shown}: ${r.files.join(', ')}\n` +
          `next:\n  caxton build ${shown}\n  caxton deploy ${shown} --name ${r.name}\n  caxton send ${r.name} request hello --wait\n`,
      );
    }),
  };
}
