/**
 * The set-up every multi-process cluster test repeats, once: Kafka and etcd before the file's tests
 * (the shared servers of `npm test`, or private ones), instrumented nodes started on them, and after
 * the tests every node started through the fixture stopped and its data directory removed, then the
 * servers stopped if they were private. What differs between tests stays an option: the node child
 * (node-child.ts, or the kinds child), the cluster options, a restart on an old data directory.
 */
import { after, before } from 'node:test';
import { rm } from 'node:fs/promises';
import type { StartKafkaOptions } from '../../../scripts/infra/index.d.mts';
import { NodeProcess, startAll, type NodeSpec } from './node-process.js';
import { servers, type Servers } from './servers.js';
import { NODE_CHILD } from './paths.js';

export interface ClusterFixtureOptions {
  /** The instrumented node script every node of this file runs (default: node-child.ts). */
  child?: string;
  /** Private Kafka and etcd, started for this file (a test that restarts or kills them). */
  private?: boolean;
  kafka?: StartKafkaOptions;
  /** How long a node may take to stop cleanly after the tests before it is SIGKILLed. */
  stopGraceMs?: number;
}

/** A node of this fixture: its id, cluster and (for a restart) data directory; the servers are the fixture's. */
export type FixtureNodeSpec = Omit<NodeSpec, 'kafka' | 'etcd'>;

export interface ClusterFixture {
  /** Kafka and etcd; available once the file's `before` ran. */
  readonly servers: Servers;
  /** Every node started through the fixture, in the order started (restarts included). */
  readonly nodes: readonly NodeProcess[];
  /** Starts one instrumented node per id in `cluster`, and waits until every one serves (all killed if one fails). */
  start(ids: string[], cluster: NodeSpec['cluster']): Promise<NodeProcess[]>;
  /** Starts one more node (e.g. a restart: pass the old node's dataDir), serving once `ready()` resolves. */
  spawn(spec: FixtureNodeSpec): NodeProcess;
}

/** Registers the file's `before` and `after` hooks; call it at the top level of a test file. */
export function useCluster(options: ClusterFixtureOptions = {}): ClusterFixture {
  let infra: Servers | undefined;
  const nodes: NodeProcess[] = [];
  const child = options.child ?? NODE_CHILD;

  before(async () => {
    infra = await servers({ ...(options.private ? { private: true } : {}), ...(options.kafka ? { kafka: options.kafka } : {}) });
  });

  after(async () => {
    const grace = options.stopGraceMs ?? 15_000;
    await Promise.allSettled(nodes.map((n) => n.stop(grace)));
    await Promise.allSettled(nodes.map((n) => rm(n.spec.dataDir, { recursive: true, force: true })));
    await infra?.stop();
  });

  const running = (): Servers => {
    if (infra === undefined) throw new Error('the cluster fixture has no servers yet: use it inside a test (its `before` starts them)');
    return infra;
  };

  const fixture: ClusterFixture = {
    get servers() {
      return running();
    },
    nodes,
    spawn(spec) {
      const { kafka, etcd } = running();
      const node = NodeProcess.instrumented({ ...spec, kafka, etcd }, child);
      nodes.push(node);
      return node;
    },
    async start(ids, cluster) {
      const started = ids.map((id) => fixture.spawn({ id, cluster }));
      await startAll(started);
      return started;
    },
  };
  return fixture;
}
