/**
 * Helpers for bench/cluster.ts: private Kafka + etcd through scripts/infra, `caxton serve` cluster
 * nodes as child processes (exactly what an operator runs), their API clients, and agent names
 * chosen so placement puts them on the nodes a measurement needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaxtonClient, partitionFor, partitionOwner } from '@caxton/runtime';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CAXTON = path.join(ROOT, 'cli', 'bin', 'caxton.js');

export interface ServerHandle {
  bootstrap?: string;
  endpoint?: string;
  readonly pid?: number | undefined;
  stop(opts?: { keepData?: boolean; graceMs?: number }): Promise<void>;
}

interface Infra {
  productNode(note: (line: string) => void): Promise<{ node: string; version: string; lts: boolean }>;
  startEtcdAndKafka(o?: {
    kafka?: { heap?: string; brokerConfig?: Record<string, string> };
  }): Promise<{ etcd: ServerHandle & { endpoint: string }; kafka: ServerHandle & { bootstrap: string } }>;
}

const infra = (): Promise<Infra> => import(new URL('../../scripts/infra/index.mjs', import.meta.url).href) as Promise<Infra>;

/**
 * The Node the nodes run on: the product's (the current LTS, scripts/infra/node-lts.mjs), whatever
 * Node runs this bench, so `node bench/dist/cluster.js` on an older Node measures what
 * `npm run bench -- cluster` and an operator's `caxton serve` run (decision 2120). Only this
 * process's own Node may need the extended-const flag: the LTS refuses it (as scripts/bench.mjs).
 */
const RUNTIME = await (await infra()).productNode((line) => process.stderr.write(`[bench cluster] note: ${line}\n`));
/** The product's Node binary, for every bench that spawns a node (cluster, sizing, density-cluster). */
export const PRODUCT_NODE = RUNTIME.node;
/** The flags that Node needs before a script: only this process's own Node may need extended-const. */
export const PRODUCT_NODE_FLAGS: readonly string[] = RUNTIME.node === process.execPath ? wasmFeatureNodeFlags() : [];

/** The Node version the cluster's nodes run on (for the bench's notes). */
export const NODE_VERSION = RUNTIME.version;

export interface BenchServers {
  kafka: string;
  etcd: string;
  /** The broker's and etcd's process ids, for their CPU (undefined where the handle does not say). */
  kafkaPid: number | undefined;
  etcdPid: number | undefined;
  stop(): Promise<void>;
}

export async function startServers(brokerConfig: Record<string, string>): Promise<BenchServers> {
  const { etcd, kafka } = await (await infra()).startEtcdAndKafka({ kafka: { heap: '512m', brokerConfig } });
  return {
    kafka: kafka.bootstrap,
    etcd: etcd.endpoint,
    kafkaPid: kafka.pid,
    etcdPid: etcd.pid,
    async stop() {
      await Promise.allSettled([kafka.stop({ graceMs: 5000 }), etcd.stop()]);
    },
  };
}

export interface NodeFlags {
  cluster: string;
  leaseTtl?: number;
  sessionTimeoutMs?: number;
  /** `--cluster-record-key-file` (decision 2185): the nodes sign and check every record. */
  recordKeyFile?: string;
}

export class ServeNode {
  readonly dataDir: string;
  readonly child: ChildProcess;
  address = '';
  client: CaxtonClient | undefined;
  private out = '';
  private err = '';
  readonly exited: Promise<void>;

  constructor(
    readonly id: string,
    kafka: string,
    etcd: string,
    flags: NodeFlags,
  ) {
    this.dataDir = mkdtempSync(path.join(tmpdir(), `caxton-bench-cluster-${id}-`));
    // CAXTON_BENCH_NODE_ARGS: extra node flags for the nodes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const extra = (process.env['CAXTON_BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const args = [
      ...extra,
      ...PRODUCT_NODE_FLAGS,
      CAXTON,
      'serve',
      '--json',
      '--no-auth',
      '--api-port',
      '0',
      '--data-dir',
      this.dataDir,
      '--node-id',
      id,
      '--kafka',
      kafka,
      '--etcd',
      etcd,
      '--cluster',
      flags.cluster,
      ...(flags.leaseTtl ? ['--lease-ttl', String(flags.leaseTtl)] : []),
      ...(flags.sessionTimeoutMs ? ['--kafka-session-timeout', String(flags.sessionTimeoutMs)] : []),
      ...(flags.recordKeyFile ? ['--cluster-record-key-file', flags.recordKeyFile] : []),
    ];
    this.child = spawn(PRODUCT_NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-20_000)));
    this.exited = new Promise((r) => this.child.on('exit', () => r()));
  }

  async ready(): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const line = this.out.split('\n').find((l) => l.includes('"serving"'));
      if (line) {
        this.address = (JSON.parse(line) as { address: string }).address;
        this.client = await CaxtonClient.connect({ address: this.address });
        return;
      }
      if (this.child.exitCode !== null) throw new Error(`node ${this.id} exited: ${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`node ${this.id} did not start: ${this.err}`);
  }

  async stop(): Promise<void> {
    this.client?.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  kill(): void {
    this.client?.close();
    this.child.kill('SIGKILL');
  }
}

export async function startNodes(ids: string[], kafka: string, etcd: string, flags: NodeFlags): Promise<ServeNode[]> {
  const nodes = ids.map((id) => new ServeNode(id, kafka, etcd, flags));
  await Promise.all(nodes.map((n) => n.ready()));
  return nodes;
}

/**
 * A name `<prefix>-<i>-<k>` that placement puts on `node` (the owner of its partition among `ids`),
 * so a measurement can put a sender and its receiver on different nodes on purpose.
 */
export function nameOn(prefix: string, node: string, ids: string[], partitions = 12, taken = new Set<string>()): string {
  for (let k = 0; ; k++) {
    const name = `${prefix}-${k}`;
    if (!taken.has(name) && partitionOwner(partitionFor(name, partitions), ids) === node) {
      taken.add(name);
      return name;
    }
  }
}

export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Agents claimed per node, from one node's status. */
export async function claims(client: CaxtonClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of (await client.status()).nodes) for (const a of n.agents) out.set(a, n.id);
  return out;
}

/** Deploys agents through one node, at most 4 uploads at once. */
export async function deployMany(
  client: CaxtonClient,
  specs: { name: string; bytes: Uint8Array; config: Record<string, string> }[],
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      // a node takes at most 4 uploads at once
      for (let i = next++; i < specs.length; i = next++)
        await client.deploy({ name: specs[i]!.name, config: specs[i]!.config }, specs[i]!.bytes);
    }),
  );
}

/** Messages handled over every agent of every node (each node reports the agents it runs). */
export async function handledTotal(nodes: ServeNode[]): Promise<number> {
  // The nodes asked together: the steady-state window reads this while traffic flows, and three
  // calls in a row would let the count move between the first node's answer and the last one's.
  const counts = await Promise.all(
    nodes.map(async (n) => {
      if (!n.client) return 0;
      // Live figures come from the node running the agent; other nodes report zeros for it.
      let total = 0;
      for (const a of await n.client.listAgents()) total += a.messagesHandled;
      return total;
    }),
  );
  return counts.reduce((sum, c) => sum + c, 0);
}
