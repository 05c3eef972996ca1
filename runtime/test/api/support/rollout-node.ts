/**
 * A real node for the rollout tests (decision 1871): embedded log, token auth, one shard, the
 * example agents they roll out, and `ask`, which sends a request in a conversation and returns
 * the content of the agent's answer in it (answers are matched by conversation, so several
 * conversations may be asked side by side).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaxtonClient } from '@caxton/client';
import { asker, startServedNode } from './served-node.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** A built example's component: `artifact('hostile/as-abort', 'hostile-as-abort')`. */
export const artifact = async (dir: string, name: string): Promise<Uint8Array> =>
  new Uint8Array(await readFile(path.join(repoRoot, 'examples', dir, 'build', `${name}.wasm`)));

export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface RolloutNode {
  client: CaxtonClient;
  ask(agent: string, conversation: string, content: string, inReplyTo?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startRolloutNode(prefix: string): Promise<RolloutNode> {
  const served = await startServedNode(prefix, { shards: 1 });
  return { client: served.client, ask: asker(served), stop: () => served.stop() };
}
