/**
 * A real `caxton serve --http` node running the main job's agents (scripts/main-job.mjs): five
 * AssemblyScript contractors (courier-d always refuses) and the JavaScript initiator `broker`,
 * which runs a contract net for every request an operator sends it.
 */
import { readFileSync } from 'node:fs';
import { readTokenFilePath, type CaxtonClient } from '@caxton/runtime';
import { builtExample } from '../../e2e/support/paths.js';
import { startServe, type Serve } from '../../e2e/support/serve.js';

export interface ConsoleNode {
  serve: Serve;
  client: CaxtonClient;
  /** http://127.0.0.1:PORT/ of the console. */
  url: string;
  adminToken: string;
  readToken: string;
  /** Ask the broker for a delivery: one contract net, conversation `parcel-<n>`. */
  ask(n: number): Promise<void>;
  stop(): Promise<void>;
}

export const CONTRACTORS: readonly [string, Record<string, string>][] = [
  ['courier-a', {}],
  ['courier-b', {}],
  ['courier-c', { price: '42' }],
  ['courier-d', { decline: 'true' }],
  ['courier-e', {}],
];

/** The language `caxton build` recorded for a built example, sent like scripts/main-job.mjs does. */
function builtLanguage(wasm: string): string {
  return (JSON.parse(readFileSync(wasm.replace(/\.wasm$/, '.build.json'), 'utf8')) as { language: string }).language;
}

/** The console's URL: `caxton serve --json` puts it in the `serving` event. */
function consoleUrl(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    try {
      const e = JSON.parse(line) as { event?: string; console?: string };
      if (e.event === 'serving' && typeof e.console === 'string') return e.console.endsWith('/') ? e.console : `${e.console}/`;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/** `budget`: the live stream's messages a second per browser (`--http-budget`), to make it sample. */
export async function startConsoleNode(opts: { budget?: number } = {}): Promise<ConsoleNode> {
  const serve = await startServe({ args: ['--http', '127.0.0.1:0', ...(opts.budget ? ['--http-budget', String(opts.budget)] : [])] });
  try {
    await serve.proc.waitFor((p) => consoleUrl(p.stdout) !== undefined, 'caxton serve: the console URL', 30_000);
    const url = consoleUrl(serve.proc.stdout)!;
    const client = await serve.client();
    const initiatorFile = builtExample('contract-net/js-initiator', 'cnet-initiator.wasm');
    const contractorFile = builtExample('contract-net/as-contractor', 'cnet-contractor.wasm');
    const initiator = readFileSync(initiatorFile);
    const contractor = readFileSync(contractorFile);
    for (const [name, config] of CONTRACTORS) await client.deploy({ name, config, language: builtLanguage(contractorFile) }, contractor);
    await client.deploy(
      {
        name: 'broker',
        config: { 'service-type': 'delivery', 'deadline-ms': '800', 'api-key': 'sk-console-test' },
        language: builtLanguage(initiatorFile),
      },
      initiator,
    );
    return {
      serve,
      client,
      url,
      adminToken: serve.token(),
      readToken: readFileSync(readTokenFilePath(serve.dataDir), 'utf8').trim(),
      async ask(n) {
        await client.send({
          structured: {
            performative: 'request',
            receivers: [{ name: 'broker' }],
            content: `deliver parcel #${n}`,
            protocol: 'fipa-request',
            conversationId: `parcel-${n}`,
            replyWith: `parcel-${n}-req`,
          },
        });
      },
      async stop() {
        await serve.stop();
      },
    };
  } catch (err) {
    await serve.stop();
    throw err;
  }
}
