/** `caxton toolchain list|install`: the compilers each agent language needs, installed on demand. */
import type { CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { renderTable } from '../format/table.js';

type InstallArgs = GlobalArgs & { languages: string[]; all: boolean };

export function toolchainCommand(env: AppEnv): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'toolchain <command>',
    describe: 'Show or install the toolchains agent languages need',
    builder: (y) =>
      y
        .command(listCommand(env))
        .command(installCommand(env))
        .demandCommand(1, 'give a subcommand: caxton toolchain list | install <language…>'),
    handler: () => undefined,
  };
}

function listCommand(env: AppEnv): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'list',
    describe: 'Which language toolchains are ready here, with their versions',
    handler: localAction<GlobalArgs>(env, async (ctx) => {
      const { TOOLCHAINS } = await import('@caxton/toolchain');
      const rows = await Promise.all(Object.values(TOOLCHAINS).map(async (t) => ({ ...(await t!.status()), describe: t!.describe })));
      if (ctx.args.json) {
        ctx.printJson(rows);
        return;
      }
      type Row = (typeof rows)[number];
      ctx.print(
        renderTable<Row>(
          [
            { header: 'LANGUAGE', value: (r) => r.language },
            { header: 'READY', value: (r) => (r.ready ? 'yes' : `no: ${r.problem ?? ''}`) },
            {
              header: 'VERSIONS',
              value: (r) =>
                Object.entries(r.versions)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ') || '-',
            },
            { header: 'TO INSTALL', value: (r) => (r.ready ? '-' : r.install) },
          ],
          rows,
        ),
      );
    }),
  };
}

function installCommand(env: AppEnv): CommandModule<GlobalArgs, InstallArgs> {
  return {
    command: 'install [languages..]',
    describe: 'Install the toolchain of each language (cached; does nothing when ready)',
    builder: (y) =>
      y
        .positional('languages', { type: 'string', array: true, default: [], describe: 'rust, c, go, python, assemblyscript, javascript' })
        .option('all', { type: 'boolean', default: false, describe: 'Every language' })
        .example('$0 toolchain install rust', 'Debian rustc/cargo with the wasm32 standard library')
        .example('$0 toolchain install --all --json', 'everything, with a status per language'),
    handler: localAction<InstallArgs>(env, async (ctx, argv) => {
      const { TOOLCHAINS, ensureToolchain, AGENT_LANGUAGES } = await import('@caxton/toolchain');
      const wanted = argv.all ? Object.keys(TOOLCHAINS) : argv.languages;
      if (wanted.length === 0) throw new UsageError('name at least one language, or --all', 'e.g. caxton toolchain install rust');
      const results = [];
      for (const lang of wanted) {
        if (!(AGENT_LANGUAGES as readonly string[]).includes(lang)) {
          throw new UsageError(`unknown language ${lang}`, `choose from ${AGENT_LANGUAGES.join(', ')}`);
        }
        const status = await ensureToolchain(lang as (typeof AGENT_LANGUAGES)[number], (line) =>
          ctx.io.stderr.write(`toolchain ${lang}: ${line}\n`),
        );
        results.push(status);
        if (!ctx.args.json)
          ctx.print(
            `${lang}: ready (${Object.entries(status.versions)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`,
          );
      }
      if (ctx.args.json) ctx.printJson(results);
    }),
  };
}
