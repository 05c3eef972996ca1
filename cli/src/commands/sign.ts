/** `caxton sign <artifact> --key <key>`: write `<artifact>.dsse.json`, a detached signature (decision 1400). */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { displayPath } from '../artifact-source.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { renderFields } from '../format/table.js';
import { signArtifactFile, type SignedArtifact } from '../signing/signature-files.js';

type Args = GlobalArgs & { artifact: string; key: string; agentVersion?: string };

export function printSigned(ctx: CommandContext, signed: SignedArtifact): void {
  ctx.print(
    renderFields([
      ['signature', displayPath(ctx.io.cwd, signed.signaturePath)],
      ['key id', signed.keyId],
      [
        'signed',
        `${signed.statement.name}${signed.statement.version ? ` ${signed.statement.version}` : ''} sha256:${signed.statement.sha256}`,
      ],
    ]),
  );
}

export function signCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'sign <artifact>',
    describe: 'Sign a built component: writes <artifact>.dsse.json, which deploy and upgrade send along',
    builder: (y) =>
      y
        .positional('artifact', { type: 'string', demandOption: true, describe: 'The .wasm component' })
        .option('key', { type: 'string', demandOption: true, describe: 'Ed25519 private key (PEM), e.g. from `caxton keygen`' })
        .option('agent-version', { type: 'string', describe: "A version label the signature vouches for (shown in the agent's log)" })
        .example('$0 sign build/echo.wasm --key agent-signing.key', 'writes build/echo.wasm.dsse.json') as unknown as Argv<Args>,
    handler: localAction<Args>(env, async (ctx, argv) => {
      const signed = await signArtifactFile(
        path.resolve(ctx.io.cwd, argv.artifact),
        path.resolve(ctx.io.cwd, argv.key),
        argv.agentVersion !== undefined ? { version: argv.agentVersion } : {},
      );
      if (ctx.args.json) ctx.printJson(signed);
      else printSigned(ctx, signed);
    }),
  };
}
