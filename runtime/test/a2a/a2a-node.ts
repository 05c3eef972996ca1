/**
 * The node the A2A endpoint tests share: embedded, token auth, one shard, the A2A endpoint on a free
 * loopback port with the options given, the named example agents deployed through the API, on a
 * temporary directory. `admin` and `reader` are the node's own tokens (full and read-only).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import type { StartNodeOptions } from '../../src/start/options.js';
import { readTokenFile, readTokenFilePath, tokenFilePath } from '../../src/api/auth.js';
import { TEST_ENGINE_CACHE } from '../support/engine-cache.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** A built example's component by its folder under examples/ (`as-service`: examples/as-service/build/as-service.wasm). */
export const exampleWasm = (name: string): string => path.join(ROOT, 'examples', name, 'build', `${name}.wasm`);

export interface A2aNode {
  node: RunningNode;
  admin: string;
  reader: string;
  /** Stops the node and removes its directory. */
  stop(): Promise<void>;
}

/** `agents`: agent name → example folder, deployed in this order. */
export async function startA2aNode(
  prefix: string,
  a2a: Omit<NonNullable<StartNodeOptions['a2a']>, 'host' | 'port'>,
  agents: Record<string, string>,
): Promise<A2aNode> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(dir, 'data');
  let node: RunningNode | undefined;
  try {
    node = await startNode({
      dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      a2a: { host: '127.0.0.1', port: 0, ...a2a },
      prepare: { cacheDir: TEST_ENGINE_CACHE },
    });
    const admin = await readTokenFile(tokenFilePath(dataDir));
    const reader = await readTokenFile(readTokenFilePath(dataDir));
    const api = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
    try {
      for (const [name, example] of Object.entries(agents)) await api.deploy({ name }, await readFile(exampleWasm(example)));
    } finally {
      api.close();
    }
    const running = node;
    return {
      node: running,
      admin,
      reader,
      async stop() {
        try {
          await running.stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
