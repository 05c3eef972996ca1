/**
 * The two shapes the parity suite runs every scenario on (issue 55): one `caxton serve` on the
 * embedded defaults, and three `caxton serve` nodes on one real Kafka and one real etcd — each
 * exactly as an operator starts it, reached only through the typed gRPC client.
 */
import { CaxtonClient } from '@caxton/runtime';
import { startServe, type Serve } from '../e2e/support/serve.js';
import { groupSettled } from '../cluster/support/cluster.js';
import { NodeProcess, startAll } from '../cluster/support/node-process.js';
import { servers, uniqueCluster, type Servers } from '../cluster/support/servers.js';

export type TopologyName = 'one node' | 'three Kafka nodes';

export interface Topology {
  readonly name: TopologyName;
  /** One client per node, in node order (one for the embedded node). */
  readonly clients: readonly CaxtonClient[];
  stop(): Promise<void>;
}

export async function oneNode(): Promise<Topology> {
  const serve: Serve = await startServe({ args: ['--no-auth'] });
  const client = await CaxtonClient.connect({ address: serve.address });
  return {
    name: 'one node',
    clients: [client],
    async stop() {
      client.close();
      await serve.stop();
    },
  };
}

export async function threeKafkaNodes(): Promise<Topology> {
  const infra: Servers = await servers();
  const cluster = { name: uniqueCluster('parity') };
  const nodes = ['p1', 'p2', 'p3'].map((id) => NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
  await startAll(nodes);
  // Serving is not settled: until each node consumes its own partitions, a late join moves every
  // partition (an eager rebalance), and the first scenario's instances would leave memory with
  // them rather than be passivated (a CI run saw both go so, none passivated).
  await groupSettled(nodes, 90_000);
  const clients = await Promise.all(nodes.map((n) => n.client()));
  return {
    name: 'three Kafka nodes',
    clients,
    async stop() {
      await Promise.allSettled(nodes.map((n) => n.stop(15_000)));
      await infra.stop();
    },
  };
}
