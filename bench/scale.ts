/**
 * Scale-out, measured (`npm run bench -- scale [--nodes 1,2,3,4,6] [--pairs-per-node N] [--chains N]
 * [--warm-seconds S] [--seconds S]`, issue 56). One Kafka broker and one etcd on loopback; for each
 * node count, that many `caxton serve` processes in a fresh cluster (its own topics, 12 partitions),
 * `pairs-per-node` × nodes pinger/echo pairs placed so each pinger's echo is on the next node (on one
 * node, the same), `chains` chains a pair running without end. After `warm-seconds` of traffic (the
 * nodes' ramp, decision 2155) the window opens: messages handled (the nodes' own counters) and CPU
 * (user + system, all threads, /proc/<pid>/stat) of the node processes, the broker's JVM and etcd,
 * over `seconds`. Each count prints msg/s, CPU per message of each and the cores busy (`n<count>.…`); then the
 * count after which msg/s grew by less than 10 % (`scale_stops_after_nodes`), with the machine's
 * whole CPU use at that point, and a projection to ten nodes on twenty cores from the measured
 * per-message costs (`scale_projected_10_nodes_msgs_per_s`): what twenty cores give at the CPU per
 * message the last count measured, nodes, broker and etcd together — a ceiling, not a forecast
 * (docs/cluster.md says what would have to hold).
 */
import { argText, numberArg } from './lib-args.js';
import { cpus, loadavg } from 'node:os';
import { artifact } from './lib-artifacts.js';
import { report } from './lib-output.js';
import { processCpuSeconds } from './lib-proc-stat.js';
import {
  NODE_VERSION,
  claims,
  deployMany,
  handledTotal,
  nameOn,
  startNodes,
  startServers,
  waitUntil,
  type ServeNode,
} from './lib-cluster.js';

const COUNTS = (argText('nodes') ?? '1,2,3,4,6').split(',').map((t) => {
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 12)
    throw new Error(`--nodes: "${t}" is not a node count of 1..12 (the topics have 12 partitions)`);
  return n;
});
/** A count or a duration: a number above zero. */
function positive(name: string, fallback: number): number {
  const n = numberArg(name, fallback);
  if (n <= 0) throw new Error(`--${name}: ${n} is not above zero (e.g. --${name} ${fallback})`);
  return n;
}
const PAIRS_PER_NODE = positive('pairs-per-node', 100);
const CHAINS = positive('chains', 4);
const WARM_S = positive('warm-seconds', 15);
const WINDOW_S = positive('seconds', 15);
/** Round trips per chain: far more than the window holds, so no chain ends inside it. */
const ROUNDS = 1_000_000;
const PARTITIONS = 12;
const bench = 'scale';
const say = (line: string): void => void process.stderr.write(`[bench scale] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface CountFigures {
  nodes: number;
  msgsPerS: number;
  nodeCpuUs: number;
  brokerCpuUs: number;
  etcdCpuUs: number;
  /** Cores busy over the window: nodes, broker and etcd together. */
  coresBusy: number;
}

async function measure(n: number, servers: Awaited<ReturnType<typeof startServers>>): Promise<CountFigures> {
  const ids = Array.from({ length: n }, (_, i) => `s${i + 1}`);
  const nodes: ServeNode[] = await startNodes(ids, servers.kafka, servers.etcd, { cluster: `bench-scale-${n}-${Date.now()}` });
  try {
    const pairsN = PAIRS_PER_NODE * n;
    const taken = new Set<string>();
    const pairs = Array.from({ length: pairsN }, (_, i) => ({
      ping: nameOn(`ping${i}`, ids[i % n]!, ids, PARTITIONS, taken),
      pong: nameOn(`pong${i}`, ids[(i + 1) % n]!, ids, PARTITIONS, taken),
    }));
    const c = nodes[0]!.client!;
    const echo = (await artifact('as-echo')).bytes;
    const pinger = (await artifact('conformance/pinger')).bytes;
    await deployMany(
      c,
      pairs.map((p) => ({ name: p.pong, bytes: echo, config: {} })),
    );
    await deployMany(
      c,
      pairs.map((p) => ({ name: p.ping, bytes: pinger, config: { peer: p.pong, rounds: String(ROUNDS) } })),
    );
    await waitUntil('every pair to be placed', async () => (await claims(c)).size >= pairsN * 2, 180_000);
    say(`${n} node(s): ${pairsN} pairs placed, ${CHAINS} chains each; warming up ${WARM_S} s`);
    await Promise.all(
      pairs.map((p, i) =>
        nodes[i % n]!.client!.send({ structured: { performative: 'request', receivers: [{ name: p.ping }], content: String(CHAINS) } }),
      ),
    );
    await sleep(WARM_S * 1000);
    const cpu = (): { nodes: number; broker: number; etcd: number } => ({
      nodes: nodes.reduce((sum, node) => sum + processCpuSeconds(node.child.pid!), 0),
      broker: servers.kafkaPid === undefined ? Number.NaN : processCpuSeconds(servers.kafkaPid),
      etcd: servers.etcdPid === undefined ? Number.NaN : processCpuSeconds(servers.etcdPid),
    });
    const h0 = await handledTotal(nodes);
    const c0 = cpu();
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const h1 = await handledTotal(nodes);
    const c1 = cpu();
    const seconds = (performance.now() - t0) / 1000;
    const handled = Math.max(1, h1 - h0);
    const us = (s: number): number => (s * 1e6) / handled;
    const figures: CountFigures = {
      nodes: n,
      msgsPerS: handled / seconds,
      nodeCpuUs: us(c1.nodes - c0.nodes),
      brokerCpuUs: us(c1.broker - c0.broker),
      etcdCpuUs: us(c1.etcd - c0.etcd),
      coresBusy: (c1.nodes - c0.nodes + (c1.broker - c0.broker) + (c1.etcd - c0.etcd)) / seconds,
    };
    say(
      `${n} node(s): ${Math.round(figures.msgsPerS)} msg/s; CPU a message: nodes ${figures.nodeCpuUs.toFixed(1)} µs, broker ${figures.brokerCpuUs.toFixed(1)} µs, etcd ${figures.etcdCpuUs.toFixed(1)} µs; ${figures.coresBusy.toFixed(2)} of ${cpus().length} cores busy`,
    );
    return figures;
  } finally {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  }
}

const servers = await startServers({});
const measured: CountFigures[] = [];
try {
  for (const n of COUNTS) measured.push(await measure(n, servers));
} finally {
  await servers.stop();
}

const cores = cpus().length;
const shape = `${PAIRS_PER_NODE} pinger/echo pairs per node (each echo on the next node), ${CHAINS} chains a pair, window ${WINDOW_S} s after ${WARM_S} s of traffic; one broker and etcd; nodes on Node ${NODE_VERSION}; all on this machine's ${cores} cores, load ${loadavg()[0]!.toFixed(1)}`;
// One group of figures a node count (`n<count>.<figure>`: the page shows them as a matrix).
for (const f of measured) {
  const note = `${f.nodes} node process(es); ${shape}`;
  const g = `n${f.nodes}`;
  report({ bench, metric: `${g}.msgs_per_s`, value: Math.round(f.msgsPerS), unit: 'msg/s', note });
  report({ bench, metric: `${g}.node_cpu_us_per_msg`, value: Number(f.nodeCpuUs.toFixed(1)), unit: 'us', note });
  report({ bench, metric: `${g}.broker_cpu_us_per_msg`, value: Number(f.brokerCpuUs.toFixed(1)), unit: 'us', note });
  report({ bench, metric: `${g}.etcd_cpu_us_per_msg`, value: Number(f.etcdCpuUs.toFixed(1)), unit: 'us', note });
  report({
    bench,
    metric: `${g}.cores_busy`,
    value: Number(f.coresBusy.toFixed(2)),
    unit: `of ${cores}`,
    note: `nodes, broker and etcd together; ${note}`,
  });
}
// Where it stops: the first count whose next one adds less than 10 % msg/s (none: it still grew at the largest count).
const sorted = [...measured].sort((a, b) => a.nodes - b.nodes);
const rates = sorted.map((f) => `${f.nodes}: ${Math.round(f.msgsPerS)}`).join(', ');
const stop = sorted.find((f, i) => i + 1 < sorted.length && sorted[i + 1]!.msgsPerS < f.msgsPerS * 1.1);
const why = (f: CountFigures): string =>
  `${f.coresBusy.toFixed(2)} of ${cores} cores were busy: ${f.coresBusy >= cores * 0.85 ? 'the machine is out of CPU, so more node processes only share it' : 'not the CPU: partitions, rebalances, etcd or the broker bound it'}`;
report({
  bench,
  metric: 'scale_stops_after_nodes',
  value: stop?.nodes ?? Number.NaN,
  unit: 'nodes',
  note:
    stop !== undefined
      ? `msg/s grew by less than 10 % past ${stop.nodes} node(s) (${rates}); there ${why(stop)}`
      : `msg/s still grew at the largest count measured (${rates}); there ${why(sorted.at(-1)!)}`,
});
// Projection: twenty cores at the per-message CPU of the largest count measured (nodes + broker + etcd).
const last = sorted.at(-1)!;
const perMsgUs = last.nodeCpuUs + last.brokerCpuUs + last.etcdCpuUs;
report({
  bench,
  metric: 'scale_projected_10_nodes_msgs_per_s',
  value: Math.round((20 * 1e6) / perMsgUs),
  unit: 'msg/s',
  target: 'design: 200000 on 10 nodes',
  note: `twenty cores / ${perMsgUs.toFixed(1)} µs CPU a message (nodes ${last.nodeCpuUs.toFixed(1)}, broker ${last.brokerCpuUs.toFixed(1)}, etcd ${last.etcdCpuUs.toFixed(1)}, measured with ${last.nodes} nodes): a ceiling if every core were busy with messages and the per-message cost held at ten nodes (docs/cluster.md)`,
});
