/** `caxton sdk install [dir]`: put the SDK this caxton carries into an agent project. */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { displayPath } from '../artifact-source.js';
import type { GlobalArgs } from '../context.js';
import { renderFields } from '../format/table.js';

type Args = GlobalArgs & { dir: string };

export function sdkCommand(env: AppEnv): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'sdk <command>',
    describe: 'Manage the agent SDK inside an agent project',
    builder: (y) => y.command(sdkInstallCommand(env)).demandCommand(1, 'give a subcommand: caxton sdk install [dir]'),
    handler: () => undefined,
  };
}

function sdkInstallCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'install [dir]',
    describe:
      "Copy this caxton's SDK for the project's language into its node_modules (for editors, or to pin it); " +
      'caxton build does not need it',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'The agent project directory' })
        .example('$0 sdk install my-agent', 'copies @caxton/sdk-js (or -assemblyscript) into my-agent/node_modules'),
    handler: localAction<Args>(env, async (ctx, argv) => {
      const { installSdk } = await import('@caxton/toolchain');
      const r = await installSdk(path.resolve(ctx.io.cwd, argv.dir));
      if (ctx.args.json) {
        ctx.printJson(r);
        return;
      }
      ctx.print(
        renderFields([
          ['installed', `${r.package}@${r.version}${r.replaced ? ' (replaced the copy that was there)' : ''}`],
          ['language', r.language],
          ['into', displayPath(ctx.io.cwd, r.installedAt)],
        ]),
      );
    }),
  };
}
