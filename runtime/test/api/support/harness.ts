/**
 * Starts a real API server (loopback, free port, token auth, fresh data dir) over a MemoryNode,
 * and hands out real clients. Every test closes what it started.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CaxtonClient, type CaxtonClientOptions } from '@caxton/client';
import { readTokenFile, tokenFilePath } from '../../../src/api/auth.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { MemoryNode } from './memory-node.js';

export interface Harness {
  node: MemoryNode;
  server: ApiServer;
  dataDir: string;
  address: string;
  token: string;
  /** A client with the right token (closed by close()). */
  client: CaxtonClient;
  connect(options?: Partial<CaxtonClientOptions>): Promise<CaxtonClient>;
  internalErrors: unknown[];
  close(): Promise<void>;
}

const made: string[] = [];

/**
 * A fresh directory under the OS temp dir, removed when this test process exits whatever the
 * tests' outcome (decision 2128: `npm test` leaves nothing in the temp dir); close() removes a
 * harness's data dir sooner.
 */
export async function tempDir(prefix = 'caxton-api-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  if (made.push(dir) === 1)
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    });
  return dir;
}

export async function startHarness(overrides: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const dataDir = overrides.dataDir ?? (await tempDir());
  const node = (overrides.node as MemoryNode | undefined) ?? new MemoryNode();
  const internalErrors: unknown[] = [];
  const server = await startApiServer({
    node,
    host: '127.0.0.1',
    port: 0,
    dataDir,
    auth: { mode: 'token' },
    maxArtifactBytes: 1024 * 1024,
    maxMessageBytes: 256 * 1024,
    onInternalError: (err) => internalErrors.push(err),
    ...overrides,
  });
  const address = `127.0.0.1:${server.port}`;
  const auth = overrides.auth?.mode ?? 'token';
  const token = auth === 'token' ? await readTokenFile(tokenFilePath(dataDir)) : '';
  const clients: CaxtonClient[] = [];
  const connect = async (options: Partial<CaxtonClientOptions> = {}): Promise<CaxtonClient> => {
    const c = await CaxtonClient.connect({ address, token, ...options });
    clients.push(c);
    return c;
  };
  const client = await connect();
  return {
    node,
    server,
    dataDir,
    address,
    token,
    client,
    connect,
    internalErrors,
    async close() {
      for (const c of clients) c.close();
      await server.close(1000);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` holds (a condition reached asynchronously), failing after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
