/**
 * Idempotent sends under SIGKILL (decision 1700, issue 24). A real node (`caxton serve`, embedded
 * log, default fsync) runs examples/as-state-counter, whose count lives in durable state committed
 * with each handling — so every handled request counts exactly once, and the final count says how
 * many messages the bus ACCEPTED. An independent client sends N logical "increment" requests, W at
 * a time, and retries each on every error until acknowledged, while the node is killed with
 * SIGKILL K times and restarted on the same data directory. Without keys a retry after a lost
 * acknowledgement is a new message (count > N); with a key per logical request it must be N.
 *
 *   npm run bench -- idempotent-retries [--requests N] [--workers W] [--kills K] [--mode none|keys|both]
 *   (or node bench/dist/idempotent-retries.js with the same flags)
 *
 * Needs examples/as-state-counter built (`node scripts/build-examples.mjs as-state-counter`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaxtonClient } from '@caxton/runtime';
import { report } from './lib-output.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CAXTON = path.join(root, 'cli', 'bin', 'caxton.js');
const WASM = path.join(root, 'examples', 'as-state-counter', 'build', 'as-state-counter.wasm');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const N = Number(arg('requests', '2000'));
const W = Number(arg('workers', '8'));
const K = Number(arg('kills', '6'));
const MODE = arg('mode', 'both');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function serve(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, [CAXTON, 'serve', '--data-dir', dataDir, '--api-port', String(port), '--shards', '1'], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

async function untilServing(client: CaxtonClient): Promise<void> {
  for (;;) {
    try {
      await client.status();
      return;
    } catch {
      await sleep(50);
    }
  }
}

async function run(withKeys: boolean): Promise<{ count: number; retries: number; seconds: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-idem-bench-'));
  const dataDir = path.join(dir, 'node');
  const port = await freePort();
  let child = serve(dataDir, port);
  try {
    let token: string | undefined;
    while (token === undefined) {
      token = await readFile(path.join(dataDir, 'auth-token'), 'utf8').then(
        (t) => t.trim(),
        () => undefined,
      );
      if (token === undefined || token === '') {
        token = undefined;
        await sleep(50);
      }
    }
    const client = await CaxtonClient.connect({ address: `127.0.0.1:${port}`, token, timeoutMs: 3000 });
    await untilServing(client);
    await client.deploy({ name: 'counter' }, new Uint8Array(await readFile(WASM)));

    const started = Date.now();
    let next = 0;
    let retries = 0;
    let acknowledged = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= N) return;
        for (;;) {
          try {
            await client.send(
              { structured: { performative: 'request', receivers: [{ name: 'counter' }], content: `req-${i}` } },
              withKeys ? { idempotencyKey: `req-${i}` } : {},
            );
            acknowledged += 1;
            break;
          } catch {
            retries += 1;
            await sleep(20);
          }
        }
      }
    };
    const killer = async (): Promise<void> => {
      for (let k = 0; k < K; k++) {
        // Kill at spread-out points of the run, while sends are in flight.
        const target = Math.floor(((k + 1) * N) / (K + 1));
        while (acknowledged < target) await sleep(5);
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        child = serve(dataDir, port);
      }
    };
    await Promise.all([...Array.from({ length: W }, worker), killer()]);
    const seconds = (Date.now() - started) / 1000;
    await untilServing(client);
    // Everything accepted is handled eventually: wait until the count stops moving.
    let count = -1;
    for (let stable = 0; stable < 10; ) {
      await sleep(200);
      const agent = await client.getAgent('counter').catch(() => undefined);
      const now = Number((await client.getState('counter', 'count').catch(() => ({ value: '-1' }))).value ?? -1);
      if (agent !== undefined && agent.mailboxDepth === 0 && now === count) stable += 1;
      else stable = 0;
      count = now;
    }
    client.close();
    return { count, retries, seconds };
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

for (const withKeys of MODE === 'both' ? [false, true] : [MODE === 'keys']) {
  const r = await run(withKeys);
  const mode = withKeys ? 'keys' : 'none';
  const note = `${N} logical requests, ${W} at a time, ${K} SIGKILLs, ${r.retries} retried calls, ${r.seconds.toFixed(1)} s; counted ${r.count}`;
  // One JSON line per figure (`npm run bench -- idempotent-retries --record` keeps them in bench/results/).
  report({
    bench: 'idempotent-retries',
    metric: `${mode}_counted_twice`,
    value: r.count - N,
    unit: 'requests',
    ...(withKeys ? { target: '= 0' } : {}),
    note,
  });
  report({ bench: 'idempotent-retries', metric: `${mode}_retried_calls`, value: r.retries, unit: 'calls' });
  report({ bench: 'idempotent-retries', metric: `${mode}_seconds`, value: r.seconds, unit: 's' });
}
