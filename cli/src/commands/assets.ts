/**
 * `caxton assets list <component>` and `caxton assets embed <component> <dir> -o <out>` (decision
 * 2192): the read-only files a component ships in its `caxton:assets` section, shown to the agent
 * at /assets. `deploy --assets` embeds in memory; `embed` writes the component out, so it can be
 * signed (a signature covers exactly the bytes deployed) or pushed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { AssetsInvalidError, componentAssets, visibleId } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { readAssetsDir, withAssets } from '../files/component-assets.js';
import { formatCount } from '../format/units.js';

type AssetsArgs = GlobalArgs & { action: 'list' | 'embed'; component: string; dir?: string; output?: string };

export function assetsCommand(env: AppEnv): CommandModule<GlobalArgs, AssetsArgs> {
  return {
    command: 'assets <action> <component> [dir]',
    describe: 'List or embed the read-only files a component ships at /assets',
    builder: (y) =>
      y
        .positional('action', { type: 'string', choices: ['list', 'embed'] as const, demandOption: true, describe: 'list | embed' })
        .positional('component', { type: 'string', demandOption: true, describe: 'A component (.wasm)' })
        .positional('dir', { type: 'string', describe: 'embed: the directory whose files it ships (replacing any it had)' })
        .option('output', { alias: 'o', type: 'string', describe: 'embed: where to write the component with its assets' })
        .example('$0 assets embed build/greeter.wasm ./static -o build/greeter-assets.wasm', 'then sign and deploy it')
        .example('$0 assets list build/greeter-assets.wasm', 'path and size of each') as unknown as Argv<AssetsArgs>,
    handler: action<AssetsArgs>(env, async (ctx, argv) => (argv.action === 'list' ? list(ctx, argv) : embed(ctx, argv))),
  };
}

async function component(ctx: CommandContext, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path.resolve(ctx.io.cwd, file)));
  } catch (err) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `cannot read ${visibleId(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give a component file (.wasm)',
    );
  }
}

async function list(ctx: CommandContext, argv: AssetsArgs): Promise<number> {
  let files;
  try {
    files = componentAssets(await component(ctx, argv.component));
  } catch (err) {
    if (err instanceof AssetsInvalidError) throw new CliError(EXIT.FAILURE, err.message, err.hint ?? '');
    throw err;
  }
  if (ctx.args.json) {
    for (const f of files) ctx.printJsonLine({ path: `/assets/${f.path}`, size: f.bytes.byteLength });
    return EXIT.OK;
  }
  if (files.length === 0) {
    ctx.note(`${visibleId(argv.component)} ships no assets`);
    return EXIT.OK;
  }
  const sizes = files.map((f) => formatCount(f.bytes.byteLength));
  const width = Math.max(4, ...sizes.map((s) => s.length));
  ctx.print(
    `${'SIZE'.padStart(width)}  PATH\n${files.map((f, i) => `${sizes[i]!.padStart(width)}  /assets/${visibleId(f.path)}`).join('\n')}\n`,
  );
  return EXIT.OK;
}

async function embed(ctx: CommandContext, argv: AssetsArgs): Promise<number> {
  if (argv.dir === undefined || argv.output === undefined)
    throw new UsageError(
      '`assets embed` needs a directory and -o <out.wasm>',
      `e.g. caxton assets embed ${argv.component} ./static -o with-assets.wasm`,
    );
  const files = await readAssetsDir(ctx.io.cwd, argv.dir);
  const out = withAssets(await component(ctx, argv.component), files, argv.component);
  await writeFile(path.resolve(ctx.io.cwd, argv.output), out, { flag: 'wx', mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST')
      throw new CliError(EXIT.CONFLICT, `${visibleId(argv.output!)} exists`, 'write to a new file (it is never overwritten)');
    throw err;
  });
  const bytes = files.reduce((n, f) => n + f.bytes.byteLength, 0);
  if (ctx.args.json) ctx.printJson({ output: argv.output, files: files.length, bytes });
  else ctx.print(`wrote ${visibleId(argv.output)}: ${formatCount(files.length)} asset file(s), ${formatCount(bytes)} bytes, at /assets\n`);
  return EXIT.OK;
}
