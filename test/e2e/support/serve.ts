/**
 * A real `caxton serve` child process on a fresh data directory and a free port, found the way a
 * script would: `--api-port 0 --json` and the `{"event":"serving",…}` line on stdout.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { CaxtonClient } from '@caxton/runtime';
import { tempDirRemovedAtExit } from '../../support/temp-dir.js';
import { spawnCaxton } from './cli.js';
import type { Finished, Proc } from './processes.js';
import { TEST_ENGINE_CACHE } from '../../support/engine-cache.js';

export interface Serve {
  proc: Proc;
  address: string;
  nodeId: string;
  dataDir: string;
  /** `--addr <address> --data-dir <dataDir>`: what a user on the node's machine passes. */
  conn: string[];
  token(): string;
  /** A typed gRPC client (the one the CLI uses), for load the CLI cannot generate. */
  client(): Promise<CaxtonClient>;
  /** Ctrl-C, as an operator stops it; the data directory is removed unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<Finished>;
}

/** A scratch or data directory, removed when the test process exits (stop() removes a serve's sooner). */
export async function tempDir(prefix: string): Promise<string> {
  return tempDirRemovedAtExit(prefix);
}

/** `env` is added to the clean environment (a crash test arms `CAXTON_FAULT_POINT`). */
export async function startServe(
  opts: { dataDir?: string; args?: string[]; cwd?: string; env?: Record<string, string> } = {},
): Promise<Serve> {
  const dataDir = opts.dataDir ?? path.join(await tempDir('caxton-e2e-'), 'data');
  // Prepared components go to the test tree's shared cache (test/support/engine-cache.ts) unless
  // the test names its own.
  const args = opts.args ?? [];
  const ownCache = args.some((a) => a === '--prepare-cache-dir' || a.startsWith('--prepare-cache-dir='));
  const cache = ownCache ? [] : ['--prepare-cache-dir', TEST_ENGINE_CACHE];
  const proc = spawnCaxton(['serve', '--json', '--data-dir', dataDir, '--api-port', '0', ...cache, ...args], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    timeoutMs: 30 * 60_000,
  });
  let serving: { address: string; nodeId: string } | undefined;
  await proc.waitFor(
    (p) => {
      for (const line of p.stdout.split('\n')) {
        try {
          const e = JSON.parse(line) as { event?: string; address?: string; nodeId?: string };
          if (e.event === 'serving' && e.address) serving = { address: e.address, nodeId: e.nodeId ?? '' };
        } catch {
          // not a complete JSON line yet
        }
      }
      return serving !== undefined;
    },
    'caxton serve: the serving event',
    60_000,
  );
  const { address, nodeId } = serving!;
  const clients: CaxtonClient[] = [];
  const token = (): string => readFileSync(path.join(dataDir, 'auth-token'), 'utf8').trim();
  return {
    proc,
    address,
    nodeId,
    dataDir,
    conn: ['--addr', address, '--data-dir', dataDir],
    token,
    async client() {
      const c = await CaxtonClient.connect({ address, token: token() });
      clients.push(c);
      return c;
    },
    async stop(o = {}) {
      for (const c of clients) c.close();
      const finished = await proc.stop();
      if (!o.keepData) await rm(path.dirname(dataDir), { recursive: true, force: true });
      return finished;
    },
  };
}
