/**
 * A node a command starts for itself (`caxton dev`, `caxton test`): in-process, on loopback, any
 * free port unless given, token auth, in a fresh temporary data directory removed when it stops
 * (or in the one the user named, kept). The same `startNode` as `caxton serve`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CaxtonClient, readTokenFile, tokenFilePath } from '@caxton/client';
import { UsageError } from './cli-error.js';
import { loadStartNode, type RunningNode } from './commands/serve-run.js';
import type { ScenarioNode } from './commands/test-scenario.js';

export interface LocalNode {
  client: CaxtonClient;
  address: string;
  dataDir: string;
  /** Only with `virtualClock`: see ScenarioNode.advance (the one statement of its contract). */
  advance?: ScenarioNode['advance'];
  /** Closes the client, stops the node, removes a temporary data directory. */
  stop(): Promise<void>;
}

/**
 * `virtualClock` (`caxton test`, decision 2030): the node's clock stands still from its start and
 * moves only by `advance` (runtime's VirtualClock: through the due timers in due order), so a timer
 * fires when a scenario says, never by the real time a slow machine took.
 */
export async function startLocalNode(opts: {
  apiPort: number;
  dataDir?: string;
  timeoutMs: number;
  prefix: string;
  virtualClock?: boolean;
}): Promise<LocalNode> {
  if (!Number.isInteger(opts.apiPort) || opts.apiPort < 0 || opts.apiPort > 65535)
    throw new UsageError(`--api-port ${opts.apiPort} is not a port`);
  const temporary = opts.dataDir === undefined ? await mkdtemp(path.join(tmpdir(), opts.prefix)) : undefined;
  const dataDir = temporary ?? opts.dataDir!;
  const removeTemporary = async (): Promise<void> => {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  };
  const startNode = await loadStartNode();
  let node: RunningNode;
  // Loaded once startNode was: the same package, present.
  const clock = opts.virtualClock ? new (await import('@caxton/runtime')).VirtualClock(Date.now()) : undefined;
  try {
    node = await startNode({
      dataDir,
      apiHost: '127.0.0.1',
      apiPort: opts.apiPort,
      auth: { mode: 'token' },
      ...(clock ? { busClock: clock.now } : {}),
    });
  } catch (err) {
    await removeTemporary();
    throw err;
  }
  const address = `127.0.0.1:${node.apiPort}`;
  let client: CaxtonClient;
  try {
    client = await CaxtonClient.connect({ address, timeoutMs: opts.timeoutMs, token: await readTokenFile(tokenFilePath(dataDir)) });
  } catch (err) {
    await node.stop();
    await removeTemporary();
    throw err;
  }
  const running = node;
  return {
    client,
    address,
    dataDir,
    ...(clock ? { advance: (ms: number) => clock.advance(ms, running) } : {}),
    async stop() {
      client.close();
      await node.stop();
      await removeTemporary();
    },
  };
}
