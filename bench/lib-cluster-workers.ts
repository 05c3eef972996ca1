/**
 * workers_across_nodes_scaling (`npm run bench -- cluster --only workers`, decision 2163): one
 * stateless CPU-bound agent (the conformance sink busy-waiting `--worker-spin-ms`, default 2, per
 * message, as bus.ts's replicas_scaling on one node) on three `caxton serve` nodes (workers
 * across nodes are a cluster's one mode, decision 2168) over Kafka and etcd, named so that its three workers' partitions are on three different
 * nodes. Fed closed loop by three feeder puppets, one per node, each told to send `BURST` messages to
 * the agent at a time with no conversation id (so the sending node spreads them by message id) while
 * fewer than `WORKER_OUTSTANDING` are unhandled: an operator's send per message through gRPC bounded
 * the first runs at ~45 msg/s on a loaded machine, far below one worker's rate. Measured as 1
 * worker, then scaled to 3: handled messages per second over the steady window, and their ratio. Handled counts are the nodes' own: X's on its owner, each unit's on
 * the node running it (`GetAgent`'s per-replica view, decision 2097).
 */
import { partitionFor, partitionOwner, type CaxtonClient } from '@caxton/runtime';
import { replicaUnitName } from '@caxton/core';
import { artifact } from './lib-artifacts.js';
import { nameOn, startNodes, waitUntil, type ServeNode } from './lib-cluster.js';

export interface WorkerRates {
  one: number;
  three: number;
  /** Where the agent's three workers are placed, in replica order. */
  placed: string[];
}

/** Messages in flight (asked of the feeders, not yet handled) the loop keeps. */
const WORKER_OUTSTANDING = 192;
/** Messages one feeder command sends. */
const BURST = 16;
/** The deliveries topic's partitions of a fresh cluster (options.ts: created with 12). */
const PARTITIONS = 12;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An agent name whose workers 1..3 are placed on three different nodes (about 2 names in 9). */
function spreadName(ids: readonly string[]): string {
  for (let i = 0; ; i++) {
    const name = `work-${i}`;
    const nodes = [1, 2, 3].map((k) => partitionOwner(partitionFor(replicaUnitName(name, k), PARTITIONS), [...ids]));
    if (new Set(nodes).size === 3) return name;
  }
}

/** Messages `agent` has handled so far, summed over its workers, each counted by the node running it. */
async function handled(clients: CaxtonClient[], agent: string): Promise<number> {
  const counts = await Promise.all(
    clients.map(async (c) => {
      const status = await c.getAgent(agent);
      const units = status.replicas?.units;
      if (units === undefined) return status.messagesHandled;
      return units.reduce((sum, u) => sum + (u.handled ?? 0), 0);
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Handled messages per second over `seconds`, after `warmupSeconds`, with the feeders running. */
async function measure(
  clients: CaxtonClient[],
  feeders: readonly string[],
  agent: string,
  seconds: number,
  warmupSeconds: number,
  say: (line: string) => void,
): Promise<number> {
  let sent = 0;
  let done = await handled(clients, agent);
  const base = done;
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      done = await handled(clients, agent);
      await sleep(250);
    }
  })();
  const command = `performative=inform\nto=${agent}\ncontent=work\ncount=${BURST}`;
  const feed = async (f: number): Promise<void> => {
    while (!stop) {
      if (sent - (done - base) + BURST > WORKER_OUTSTANDING) {
        await sleep(5);
        continue;
      }
      sent += BURST;
      await clients[f]!.send({
        structured: { performative: 'request', receivers: [{ name: feeders[f]! }], content: command, userParams: { 'X-puppet': 'do' } },
      }).catch(() => {
        sent -= BURST;
      }); // refused (a full mailbox under load): not in flight
    }
  };
  const loops = feeders.map((_, f) => feed(f));
  await sleep(warmupSeconds * 1000);
  const from = done;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const to = done;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all([...loops, poll]);
  const rate = (to - from) / elapsed;
  say(`  ${Math.round(rate)} msg/s (${to - from} handled in ${elapsed.toFixed(1)} s)`);
  // Let what is in flight drain, so the next measurement starts from an idle agent.
  await waitUntil('the outstanding messages to be handled', async () => (await handled(clients, agent)) - base >= sent, 120_000);
  return rate;
}

export async function workersAcrossNodes(
  ids: readonly string[],
  kafka: string,
  etcd: string,
  o: { spinMs: number; seconds: number; warmupSeconds: number; say: (line: string) => void },
): Promise<WorkerRates> {
  const nodes: ServeNode[] = await startNodes([...ids], kafka, etcd, { cluster: 'bench-workers' });
  try {
    const clients = nodes.map((n) => n.client!);
    const agent = spreadName(ids);
    const placed = [1, 2, 3].map((k) => partitionOwner(partitionFor(replicaUnitName(agent, k), PARTITIONS), [...ids])!);
    const puppet = (await artifact('conformance/puppet')).bytes;
    // The worker is the sink busy-waiting: it answers and logs nothing, so a message costs its
    // delivery and its spin (the puppet logs a line per message it is not told to obey).
    const sink = (await artifact('conformance/sink')).bytes;
    await clients[0]!.deploy({ name: agent, config: { 'spin-ms': String(o.spinMs) } }, sink);
    // One feeder per node, each fed through its own node.
    const feeders = ids.map((id) => nameOn('feed', id, [...ids]));
    for (const f of feeders) await clients[0]!.deploy({ name: f, config: {} }, puppet);
    for (const a of [agent, ...feeders])
      await waitUntil(`${a} to run`, async () => (await clients[0]!.getAgent(a)).state === 'running', 60_000);
    o.say(`workers: ${agent} (sink busy ${o.spinMs} ms per message) as 1 worker on ${placed[0]}`);
    const one = await measure(clients, feeders, agent, o.seconds, o.warmupSeconds, o.say);
    await clients[1]!.scale(agent, 3);
    for (const c of clients)
      await waitUntil('every node to see the count', async () => (await c.getAgent(agent)).replicas?.replicas === 3, 30_000);
    o.say(`workers: ${agent} as 3 workers on ${placed.join(', ')}`);
    const three = await measure(clients, feeders, agent, o.seconds, o.warmupSeconds, o.say);
    return { one, three, placed };
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  }
}
