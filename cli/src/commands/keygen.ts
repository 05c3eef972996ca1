/**
 * `caxton keygen [--out dir]`: an Ed25519 key pair for signing agents (decision 1400). The private
 * key is PKCS#8 PEM, created 0600 and never overwritten; the public key (SPKI PEM) is what nodes
 * trust (`caxton serve --trust`).
 */
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { displayPath } from '../artifact-source.js';
import { CliError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { renderFields } from '../format/table.js';
import { runtimeLibrary } from '../runtime-library.js';

type Args = GlobalArgs & { out: string; name: string };

export function keygenCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'keygen',
    describe: 'Make an Ed25519 key pair for signing agents (private .key 0600, public .pub)',
    builder: (y) =>
      y
        .option('out', { type: 'string', default: '.', describe: 'Directory to write the key pair to' })
        .option('name', { type: 'string', default: 'agent-signing', describe: 'Base name of the files: <name>.key and <name>.pub' })
        .example('$0 keygen --out ~/.caxton-keys', 'writes agent-signing.key and agent-signing.pub')
        .example(
          '$0 serve --trust ~/.caxton-keys/agent-signing.pub --trust-policy require',
          'a node that runs only what that key signed',
        ) as unknown as Argv<Args>,
    handler: localAction<Args>(env, async (ctx, argv) => {
      const dir = path.resolve(ctx.io.cwd, argv.out);
      await mkdir(dir, { recursive: true });
      const keyFile = path.join(dir, `${argv.name}.key`);
      const pubFile = path.join(dir, `${argv.name}.pub`);
      const { generateSigningKey } = await runtimeLibrary();
      const pair = generateSigningKey();
      let handle;
      try {
        // O_EXCL: an existing private key may have signed deployed agents; never replace it silently.
        handle = await open(keyFile, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new CliError(
            EXIT.CONFLICT,
            `${displayPath(ctx.io.cwd, keyFile)} already exists`,
            'keep it (agents it signed stay verifiable), or choose another --name or --out',
          );
        }
        throw err;
      }
      try {
        await handle.writeFile(pair.privatePem);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await writeFile(pubFile, pair.publicPem, { mode: 0o644 });
      const result = { keyId: pair.keyId, privateKey: keyFile, publicKey: pubFile };
      if (ctx.args.json) ctx.printJson(result);
      else
        ctx.print(
          renderFields([
            ['key id', pair.keyId],
            ['private key', displayPath(ctx.io.cwd, keyFile)],
            ['public key', displayPath(ctx.io.cwd, pubFile)],
          ]),
        );
    }),
  };
}
