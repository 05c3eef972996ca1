/**
 * One cluster node in its own process, on loopback: either `caxton serve` exactly as an operator
 * runs it, or the instrumented node-child (startNode plus a journal of what the bus did). Either way
 * the node prints `{"event":"serving","address":…}` on stdout when its API listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CaxtonClient } from '@caxton/runtime';
import type { ClusterOptions } from '@caxton/runtime';
import { tempDirRemovedAtExit } from '../../support/temp-dir.js';
import { CAXTON_BIN, NODE_CHILD, ROOT } from './paths.js';
import { wasmFeatureNodeFlags } from '@caxton/sandbox';
import { TEST_ENGINE_CACHE } from '../../support/engine-cache.js';

export interface NodeSpec {
  id: string;
  kafka: string;
  etcd: string;
  cluster: ClusterOptions & { name: string };
  /** Default: a fresh temporary directory. */
  dataDir?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class NodeProcess {
  readonly clients: CaxtonClient[] = [];
  private out = '';
  private err = '';
  readonly exited: Promise<Exit>;
  address = '';

  private constructor(
    readonly spec: NodeSpec & { dataDir: string },
    readonly child: ChildProcess,
    readonly journal: string | undefined,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get id(): string {
    return this.spec.id;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * `caxton serve --kafka … --etcd … --cluster … --node-id … --api-port 0 --json --no-auth`, its
   * prepared components in the test tree's shared cache (test/support/engine-cache.ts), as the
   * instrumented node's. `env` is added to the test's environment (a crash test arms a fault point
   * with `CAXTON_FAULT_POINT`; one the test's environment carries is never passed on).
   */
  static cli(spec: NodeSpec, extra: string[] = [], env: Record<string, string> = {}): NodeProcess {
    const s = withDir(spec);
    const args = [
      CAXTON_BIN,
      'serve',
      '--json',
      '--no-auth',
      '--api-port',
      '0',
      '--data-dir',
      s.dataDir,
      '--node-id',
      s.id,
      '--prepare-cache-dir',
      TEST_ENGINE_CACHE,
      '--kafka',
      s.kafka,
      '--etcd',
      s.etcd,
      '--cluster',
      s.cluster.name,
      ...clusterFlags(s.cluster),
      ...extra,
    ];
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    delete childEnv['CAXTON_FAULT_POINT'];
    return new NodeProcess(
      s,
      spawn(process.execPath, [...wasmFeatureNodeFlags(), ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...childEnv, ...env },
      }),
      undefined,
    );
  }

  /** The instrumented node: startNode with these options, writing its journal (node-child.ts, or another child such as bench/lib-kinds-node-child.ts: KINDS_NODE_CHILD). */
  static instrumented(spec: NodeSpec, childScript: string = NODE_CHILD): NodeProcess {
    const s = withDir(spec);
    const journal = path.join(s.dataDir, 'journal.log');
    const options = {
      dataDir: s.dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      nodeId: s.id,
      auth: { mode: 'none' },
      kafka: { brokers: [s.kafka] },
      etcd: { endpoints: [s.etcd] },
      cluster: s.cluster,
      prepare: { cacheDir: TEST_ENGINE_CACHE },
    };
    const child = spawn(process.execPath, [...wasmFeatureNodeFlags(), childScript, JSON.stringify(options), journal], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new NodeProcess(s, child, journal);
  }

  /** Resolves with the API address once the node serves; rejects if it exits first. */
  async ready(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const line of this.out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const e = JSON.parse(line) as { event?: string; address?: string };
          if (e.event === 'serving' && e.address) return (this.address = e.address);
        } catch {
          // a partial line
        }
      }
      if (!this.alive)
        throw new Error(
          `node ${this.id} exited before serving (${this.child.exitCode ?? this.child.signalCode}):\n${this.err.slice(-3000)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`node ${this.id} did not serve within ${timeoutMs} ms:\n${this.err.slice(-3000)}`);
  }

  async client(): Promise<CaxtonClient> {
    const c = await CaxtonClient.connect({ address: this.address });
    this.clients.push(c);
    return c;
  }

  /** Ctrl-C / SIGTERM, as an operator stops it; SIGKILL if it does not exit within `graceMs`. */
  async stop(graceMs = 30_000): Promise<Exit> {
    this.closeClients();
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  /** kill -9: no shutdown code runs, the node's lease and Kafka session are left to expire. */
  async kill(): Promise<Exit> {
    this.closeClients();
    this.child.kill('SIGKILL');
    return this.exited;
  }

  private closeClients(): void {
    for (const c of this.clients.splice(0)) c.close();
  }
}

/**
 * Start-up's wait for Kafka in tests: nodes started together on a loaded test machine can take past
 * the 10 s default to get their first group assignment (a node exited "no answer within 10000 ms"
 * at load 15, the broker answering all along). A spec's own value wins.
 */
const TEST_KAFKA_OPEN_TIMEOUT_MS = 60_000;

function withDir(spec: NodeSpec): NodeSpec & { dataDir: string } {
  return {
    ...spec,
    cluster: { kafkaOpenTimeoutMs: TEST_KAFKA_OPEN_TIMEOUT_MS, ...spec.cluster },
    dataDir: spec.dataDir ?? tempDirRemovedAtExit(`caxton-cluster-${spec.id}-`),
  };
}

function clusterFlags(c: ClusterOptions): string[] {
  const out: string[] = [];
  if (c.leaseTtlSeconds !== undefined) out.push('--lease-ttl', String(c.leaseTtlSeconds));
  if (c.sessionTimeoutMs !== undefined) out.push('--kafka-session-timeout', String(c.sessionTimeoutMs));
  if (c.kafkaOpenTimeoutMs !== undefined) out.push('--kafka-open-timeout', String(c.kafkaOpenTimeoutMs));
  if (c.partitions !== undefined) out.push('--partitions', String(c.partitions));
  return out;
}

/** Starts nodes in parallel and waits until every one serves. */
/**
 * Runs `step`; if it fails, the error carries the end of each node's stderr (where a node logs the
 * cause of an `internal error` it answered), so a failure on a loaded machine can be read after.
 */
export async function withNodeLogs<T>(nodes: readonly NodeProcess[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const logs = nodes.map((n) => `--- ${n.id} stderr (end) ---\n${n.stderr.slice(-3000)}`).join('\n');
    if (err instanceof Error) err.message = `${err.message}\n${logs}`;
    throw err;
  }
}

export async function startAll(nodes: NodeProcess[]): Promise<void> {
  try {
    await Promise.all(nodes.map((n) => n.ready()));
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.kill()));
    throw err;
  }
}
