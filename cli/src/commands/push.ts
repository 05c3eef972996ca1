/**
 * `caxton push <dir|wasm> <reference>`: put a component in an OCI registry (decision 2172), in the
 * CNCF Wasm layout, with its DSSE signature and source language as annotations of its layer, so
 * `caxton deploy oci://…` on any machine pulls exactly these bytes and verifies them as a local
 * file. Prints the manifest digest: `<registry>/<repository>@<digest>` names this push for ever.
 */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import { loadArtifact } from '../artifact-source.js';
import type { GlobalArgs } from '../context.js';
import { UsageError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { signatureToSend } from '../signing/signature-files.js';
import { OCI_SCHEME, isOciReference, openRegistryClient, parseOciReference } from '../oci/index.js';

type Args = GlobalArgs & { source: string; reference: string; signature?: string; language?: string; registryTokenFile?: string };

export function pushCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'push <source> <reference>',
    describe: 'Push an agent (a .wasm component or a project directory, built first) to an OCI registry',
    builder: (y) =>
      y
        .positional('source', { type: 'string', demandOption: true, describe: 'A .wasm component, or an agent project directory' })
        .positional('reference', {
          type: 'string',
          demandOption: true,
          describe: '[oci://]<registry>/<repository>[:<tag>] (the tag defaults to latest)',
        })
        .option('signature', {
          type: 'string',
          describe: 'Detached signature (DSSE) to carry; default: <artifact>.dsse.json when it exists',
        })
        .option('language', { type: 'string', describe: 'Source language label; default: the one in <artifact>.build.json' })
        .option('registry-token-file', {
          type: 'string',
          describe: 'A file holding the registry bearer token (default: the Docker config file’s login)',
        })
        .example('$0 push examples/as-echo registry.example.com/agents/echo:1.0', 'build, then push with its signature if signed')
        .example('$0 push build/echo.wasm localhost:5000/echo:dev --json', 'the digest and sizes as JSON')
        .example('$0 deploy oci://registry.example.com/agents/echo@sha256:…', 'deploy exactly what was pushed, on any machine') as never,
    handler: action<Args>(env, async (ctx, argv) => {
      if (isOciReference(argv.source))
        throw new UsageError(
          'push takes a component or a project directory, not another reference',
          'copy between registries with oras cp or crane copy',
        );
      const ref = parseOciReference(argv.reference); // refused before anything is built or read
      if (ref.digest !== undefined)
        throw new UsageError(
          `push to a tag, not a digest (${argv.reference.slice(0, 200)}): the registry gives the digest, and push prints it`,
          `caxton push ${argv.source} ${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`,
        );
      const artifact = await loadArtifact(ctx, argv.source);
      const found = await signatureToSend(
        artifact.path,
        argv.signature === undefined ? undefined : path.resolve(ctx.io.cwd, argv.signature),
      );
      if (found) ctx.note(`signature: ${path.relative(ctx.io.cwd, found.file) || found.file}`);
      const language = argv.language ?? artifact.language;
      const client = await openRegistryClient(ref, {
        env: ctx.io.env,
        cwd: ctx.io.cwd,
        ...(argv.registryTokenFile !== undefined ? { tokenFile: argv.registryTokenFile } : {}),
        note: (text) => ctx.note(text),
        cache: false,
      });
      const pushed = await client.push(artifact.bytes, {
        title: `${artifact.suggestedName}.wasm`,
        ...(found ? { signature: found.envelope } : {}),
        ...(language !== undefined && language !== '' ? { language } : {}),
      });
      const exact = `${OCI_SCHEME}${ref.registry}/${ref.repository}@${pushed.digest}`;
      if (ctx.args.json)
        ctx.printJson({
          reference: `${OCI_SCHEME}${ref.text}`,
          digest: pushed.digest,
          exact,
          component: pushed.component,
          signed: found !== undefined,
          reused: pushed.reused,
        });
      else
        ctx.print(
          `pushed ${artifact.display} to ${OCI_SCHEME}${ref.text} (${pushed.component.size} bytes${found ? ', signed' : ''})\n` +
            `digest ${pushed.digest}\ndeploy it: caxton deploy ${exact}\n`,
        );
      return EXIT.OK;
    }),
  };
}
