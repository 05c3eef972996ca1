/**
 * How much memory a node needs (`node bench/dist/sizing.js [--cluster]`), for the resource requests
 * and limits of deploy/k8s and docs/operations.md "Sizing". A real `caxton serve` child per language
 * (its whole process: main thread, worker shards, prepare workers), its resident set read from
 * /proc/<pid>/status:
 *
 * - base_rss_mib: the node serving, no agent deployed yet;
 * - <language>.first_agents_mib: RSS growth from base to the first N agents of that language (the
 *   compiled component, the prepare worker's leftovers, heap growth: one-time costs included);
 * - <language>.rss_per_agent_kib: the slope from N to 2N idle agents (one-time costs cancel);
 * - <language>.peak_rss_mib: VmHWM, the highest RSS the process reached (preparation included).
 *
 * `--cluster` runs the node against a private Kafka and etcd (scripts/infra), as in deploy/k8s;
 * the default is the embedded node. Linux only (/proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CaxtonClient } from '@caxton/runtime';
import { report } from './lib-output.js';
import { PRODUCT_NODE, PRODUCT_NODE_FLAGS, ROOT, startServers } from './lib-cluster.js';

const CAXTON = path.join(ROOT, 'cli', 'bin', 'caxton.js');
/** N per language: small agents need many for a clean slope; Python's 14 MiB ones few. */
const LANGUAGES: ReadonlyArray<{ language: string; example: string; n: number }> = [
  { language: 'assemblyscript', example: 'as-echo', n: 250 },
  { language: 'rust', example: 'rust-echo', n: 250 },
  { language: 'c', example: 'c-echo', n: 250 },
  { language: 'javascript', example: 'js-echo', n: 25 },
  { language: 'go', example: 'go-echo', n: 25 },
  { language: 'python', example: 'py-echo', n: 6 },
];
const bench = 'sizing';

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}

/** RSS once it stops moving (GC and lazy frees settle): the lowest of a few samples 250 ms apart. */
async function settledRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 250));
    samples.push(procStatus(pid, 'VmRSS'));
  }
  return Math.min(...samples);
}

class Node {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'caxton-bench-sizing-'));
  readonly child: ChildProcess;
  private out = '';
  private err = '';

  constructor(cluster: { kafka: string; etcd: string; name: string } | undefined) {
    const args = [
      ...PRODUCT_NODE_FLAGS,
      CAXTON,
      'serve',
      '--json',
      '--no-auth',
      '--api-port',
      '0',
      '--data-dir',
      this.dir,
      ...(cluster ? ['--kafka', cluster.kafka, '--etcd', cluster.etcd, '--cluster', cluster.name, '--node-id', 'sizing'] : []),
    ];
    this.child = spawn(PRODUCT_NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-10_000)));
  }

  async client(): Promise<CaxtonClient> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const line = this.out.split('\n').find((l) => l.includes('"serving"'));
      if (line) return CaxtonClient.connect({ address: (JSON.parse(line) as { address: string }).address });
      if (this.child.exitCode !== null) throw new Error(`caxton serve exited: ${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`caxton serve did not start: ${this.err}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const clustered = process.argv.includes('--cluster');
  const servers = clustered ? await startServers({}) : undefined;
  const mode = clustered ? 'cluster (Kafka + etcd clients)' : 'embedded';
  try {
    for (const [i, { language, example, n }] of LANGUAGES.entries()) {
      let artifact: Uint8Array;
      try {
        artifact = readFileSync(path.join(ROOT, 'examples', example, 'build', `${example}.wasm`));
      } catch {
        process.stderr.write(`sizing: examples/${example} is not built (scripts/build-examples.mjs); ${language} left out\n`);
        continue;
      }
      const node = new Node(servers ? { ...servers, name: `sizing-${process.pid}-${i}` } : undefined);
      try {
        const client = await node.client();
        const pid = node.child.pid!;
        const base = await settledRss(pid);
        if (i === 0)
          report({
            bench,
            metric: 'base_rss_mib',
            value: base / 2 ** 20,
            unit: 'MiB',
            note: `caxton serve (${mode}), serving, no agent; whole process`,
          });
        const deploy = async (from: number, to: number) => {
          for (let k = from; k < to; k++) await client.deploy({ name: `${example}-${k}` }, artifact);
        };
        await deploy(0, n);
        const atN = await settledRss(pid);
        await deploy(n, 2 * n);
        const at2N = await settledRss(pid);
        const answered = (await client.listAgents()).filter((a) => a.state === 'running').length;
        report({
          bench,
          metric: `${language}.first_agents_mib`,
          value: (atN - base) / 2 ** 20,
          unit: 'MiB',
          note: `base to ${n} agents: compiled component, prepare leftovers, heap growth`,
        });
        report({
          bench,
          metric: `${language}.rss_per_agent_kib`,
          value: (at2N - atN) / n / 1024,
          unit: 'KiB',
          note: `slope from ${n} to ${2 * n} idle agents in caxton serve (${mode}); ${answered} running`,
        });
        report({
          bench,
          metric: `${language}.peak_rss_mib`,
          value: procStatus(pid, 'VmHWM') / 2 ** 20,
          unit: 'MiB',
          note: `VmHWM with ${2 * n} agents, preparation included`,
        });
        client.close();
      } finally {
        await node.stop();
      }
    }
  } finally {
    await servers?.stop();
  }
}

await main();
