/**
 * `caxton dev [dir]`: the author's edit-run loop (decision 1930). This module is the command's
 * flags only, cheap for `caxton --help`; what it does is dev-run.ts, imported when it runs.
 */
import type { Argv, CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import type { GivenGlobalArgs } from '../global-args.js';
import type { DevArgs } from './dev-run.js';

export function devCommand(env: AppEnv): CommandModule<GlobalArgs, DevArgs> {
  return {
    command: 'dev [dir]',
    describe:
      'Edit-run loop: build and deploy the project, then rebuild and upgrade it on every save, showing its messages and logs (Ctrl-C to stop)',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'The agent project directory' })
        .option('name', { type: 'string', describe: "Agent name; default: the project's artifact name" })
        .option('attach', {
          type: 'boolean',
          default: false,
          describe:
            'Use the node of the current context (or the default address) instead of starting one; --addr, CAXTON_ADDR and --context imply it',
        })
        .option('api-port', { type: 'number', default: 0, describe: 'Port of the node dev starts (default 0: any free port)' })
        .option('quiet-ms', {
          type: 'number',
          default: 200,
          describe: 'How long the sources must be quiet after a change before a rebuild, ms',
        })
        .option('config', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'key=value passed to the agent init at the first deploy (repeatable)',
        })
        .example('$0 dev', 'the project in this directory, on a node of its own')
        .example('$0 dev my-agent --json', 'one JSON event per line: built, deployed, upgraded, build-failed, message, log')
        .example('$0 dev my-agent --addr 127.0.0.1:50051', 'against a node already running') as unknown as Argv<DevArgs>,
    handler: async (argv) => {
      // Whether to attach is decided from what was typed, before contexts fill the address in:
      // an address or context named means "that node"; nothing named means a node of our own, so
      // a current context pointing at a shared runtime is never deployed to by surprise.
      const given = argv as GivenGlobalArgs & { attach: boolean };
      const attach = given.attach || given.addr !== undefined || given.context !== undefined || env.io.env.CAXTON_ADDR !== undefined;
      const dataDirGiven = given.dataDir !== undefined || env.io.env.CAXTON_DATA_DIR !== undefined;
      await action<DevArgs>(env, async (ctx, args) => (await import('./dev-run.js')).runDev(ctx, args, { attach, dataDirGiven }))(argv);
    },
  };
}
