/** `caxton build [dir]`: compile an agent project into a component, without deploying it. */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { buildProject, displayPath } from '../artifact-source.js';
import type { GlobalArgs } from '../context.js';
import { renderFields } from '../format/table.js';
import { formatBytes, formatDuration } from '../format/units.js';
import { signArtifactFile } from '../signing/signature-files.js';
import { displayPath as shown } from '../artifact-source.js';

type Args = GlobalArgs & { dir: string; outDir?: string; debug: boolean; lang?: string; sign?: string; agentVersion?: string };

export function buildCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'build [dir]',
    describe: 'Build an agent project into a WebAssembly component (the language is detected from the project, or --lang)',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'The agent project directory' })
        .option('out-dir', { type: 'string', describe: 'Where to write the artifact; default <dir>/build' })
        .option('debug', { type: 'boolean', default: false, describe: 'Keep names and assertions (no optimisation)' })
        .option('lang', {
          type: 'string',
          describe: 'Build as this language instead of detecting it (assemblyscript, javascript, rust, c, go, python)',
        })
        .option('sign', {
          type: 'string',
          describe: 'Sign the artifact with this Ed25519 private key: writes <artifact>.dsse.json (see `caxton keygen`)',
        })
        .option('agent-version', { type: 'string', describe: 'With --sign: a version label the signature vouches for' })
        .example('$0 build examples/as-echo', 'writes examples/as-echo/build/<name>.wasm and .sha256')
        .example('$0 build --json', 'artifact path and sha256 for scripts'),
    handler: localAction<Args>(env, async (ctx, argv) => {
      const result = await buildProject(ctx, path.resolve(ctx.io.cwd, argv.dir), {
        optimize: !argv.debug,
        ...(argv.lang ? { language: argv.lang } : {}),
        ...(argv.outDir ? { outDir: argv.outDir } : {}),
      });
      const signed =
        argv.sign === undefined
          ? undefined
          : await signArtifactFile(
              result.artifactPath,
              path.resolve(ctx.io.cwd, argv.sign),
              argv.agentVersion !== undefined ? { version: argv.agentVersion } : {},
            );
      if (ctx.args.json) {
        ctx.printJson(signed ? { ...result, signature: signed.signaturePath, signerKeyId: signed.keyId } : result);
        return;
      }
      ctx.print(
        renderFields([
          ['artifact', displayPath(ctx.io.cwd, result.artifactPath)],
          ['sha256', result.sha256],
          ['language', result.language],
          ['size', formatBytes(result.bytes)],
          ['time', result.reused ? 'up to date (reused)' : formatDuration(result.durationMs)],
          ...(signed ? [['signature', `${shown(ctx.io.cwd, signed.signaturePath)} (key ${signed.keyId})`] as [string, string]] : []),
        ]),
      );
    }),
  };
}
