/**
 * How fast `caxton` answers (`npm run bench -- cli`, issue 28, decision 1780): wall time of a whole
 * process, median of RUNS runs after one warm-up, for
 *  - `node -e 0` (the floor: Node's own start-up on this machine),
 *  - `caxton --help` and `caxton --version` (yargs, core and the CLI; no client, no node),
 *  - `caxton agents` against a real node this bench starts (`caxton serve` in a temporary data dir
 *    on a free loopback port) and stops: the client, a token read, one gRPC round trip.
 * The ratios to bare Node are what issue 28 targets (3×): they cancel most of the machine's speed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { report } from './lib-output.js';

const RUNS = Number(process.env['CAXTON_BENCH_CLI_RUNS'] ?? 15);
const TARGET_RATIO = 3;
// Compiled to bench/dist/: the CLI's bin is two levels up.
const CAXTON = fileURLToPath(new URL('../../cli/bin/caxton.js', import.meta.url));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median wall time of `node <args>` in ms; every run must exit 0 (a failing command measures nothing). */
function timeRuns(label: string, args: string[]): number {
  const samples: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${label} exited ${r.status}: ${r.stderr}`);
    if (i > 0) samples.push(ms); // the first run warms the file cache
  }
  return median(samples);
}

/** `caxton serve` on a free loopback port in a fresh data dir; resolves once it serves. */
async function startNode(dataDir: string): Promise<{ address: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CAXTON, 'serve', '--data-dir', dataDir, '--addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving the API on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('close', (code) => reject(new Error(`caxton serve exited ${code} before serving: ${stderr}`)));
  });
  const stop = async (): Promise<void> => {
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    await closed;
  };
  return { address, stop };
}

function emit(metric: string, value: number, unit: string, note: string, target?: string): void {
  report({ bench: 'cli', metric, value: Math.round(value * 100) / 100, unit, note, ...(target ? { target } : {}) });
}

const bare = timeRuns('node -e 0', ['-e', '0']);
const help = timeRuns('caxton --help', [CAXTON, '--help']);
const version = timeRuns('caxton --version', [CAXTON, '--version']);
const dataDir = await mkdtemp(path.join(tmpdir(), 'caxton-bench-cli-'));
let agents: number;
try {
  const node = await startNode(dataDir);
  try {
    agents = timeRuns('caxton agents', [CAXTON, 'agents', '--addr', node.address, '--data-dir', dataDir]);
  } finally {
    await node.stop();
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

const runs = `median of ${RUNS} runs`;
emit('bare_node_ms', bare, 'ms', `node -e 0, ${runs}`);
emit('help_ms', help, 'ms', `caxton --help, ${runs}`);
emit('version_ms', version, 'ms', `caxton --version, ${runs}`);
emit('agents_ms', agents, 'ms', `caxton agents against a local node (one gRPC call), ${runs}`);
emit('help_vs_bare_node_ratio', help / bare, 'x', 'caxton --help ÷ node -e 0', `<= ${TARGET_RATIO}`);
emit('version_vs_bare_node_ratio', version / bare, 'x', 'caxton --version ÷ node -e 0', `<= ${TARGET_RATIO}`);
emit('agents_vs_bare_node_ratio', agents / bare, 'x', 'caxton agents ÷ node -e 0', `<= ${TARGET_RATIO}`);
