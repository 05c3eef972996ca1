/**
 * Replay benchmark (`npm run bench -- replay [--deliveries N] [--chains C]`), issue 57.
 *
 * Records real traffic, then replays it: a real in-process node on the embedded log (fsync
 * 'always') runs C request chains between an AssemblyScript pinger (a fresh conversation id from
 * `new-id` per request: derived ids are exercised) and the AssemblyScript state-echo counter
 * (`write=1`: every request reads its counter from durable state and writes it back incremented),
 * until the counter has handled N requests. The node stops; the replay then reads its data
 * directory (read-only) and runs each agent's recorded component on every recorded handling, as
 * `caxton replay` does.
 *
 * - replay_deliveries_per_s: the counter's handlings replayed a second (its component prepared
 *   before the clock starts), target ≥ 20,000; replay_pinger_deliveries_per_s the same for the pinger;
 * - replay_divergence: handlings of both agents whose replay differed from the record (target 0);
 * - record_overhead_ratio: what deterministic handling costs the bus, same run. Recording adds
 *   nothing to the log (the log already held every handling; a fired timer's done marker now holds
 *   its due time instead of `1`): the cost is the derivation a handling does instead of reading the
 *   host — its time and id stream set up, ids hashed rather than drawn (`new-id` ×1 here). Measured
 *   per handling against the host's own calls (randomUUID, Date.now) in a tight loop, and set
 *   against the bus's own measured cost of a handling (this run's recording phase, CPU per
 *   handling): handling / (handling + added). Target ≥ 0.95.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, openOfflineAgent, readEmbeddedHistory, Replayer } from '@caxton/runtime/replay';
import { AgentSeed } from '@caxton/sandbox';
import { arg } from './lib-args.js';
import { BenchNode, sleep } from './lib-bus-node.js';
import { report } from './lib-output.js';

const DELIVERIES = Number(arg('deliveries', '20000'));
const CHAINS = Number(arg('chains', '64'));
const progress = (text: string): void => void process.stderr.write(`replay bench: ${text}\n`);

interface Recorded {
  dir: string;
  /** CPU of the node per handling while it recorded (µs). */
  cpuUsPerHandling: number;
  handlingsPerSecond: number;
}

async function record(): Promise<Recorded> {
  const node = await BenchNode.start({ persistence: 'disk', fsync: 'always' });
  const rounds = Math.ceil(DELIVERIES / CHAINS);
  await node.deploy('counter', 'conformance/state-echo', { write: '1' });
  await node.deploy('ping', 'conformance/pinger', { peer: 'counter', rounds: String(rounds), protocol: 'fipa-request' });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const before = node.handledOk;
  await node.sendRetrying({ performative: 'request', receivers: [{ name: 'ping' }], content: String(CHAINS) });
  // Each round trip is two handlings (the counter's, then the pinger's); the starting request one more.
  const total = 2 * rounds * CHAINS + 1;
  let last = -1;
  while (node.handledOk - before < total) {
    await sleep(100);
    const done = node.handledOk - before;
    if (done === last && performance.now() - t0 > 120_000) throw new Error(`recording stalled at ${done} of ${total} handlings`);
    last = done;
  }
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const handled = node.handledOk - before;
  if (node.handledOther > 0) progress(`${node.handledOther} handlings not ok while recording`);
  // Stop the node, keep its data directory: the replay reads it as `caxton replay` would.
  await node.node.stop();
  progress(`recorded ${handled} handlings in ${seconds.toFixed(1)} s`);
  return { dir: node.dir, cpuUsPerHandling: (used.user + used.system) / handled, handlingsPerSecond: handled / seconds };
}

async function replay(dir: string, agent: string, cacheDir: string): Promise<{ replayed: number; diverged: number; perSecond: number }> {
  const offline = await openOfflineAgent(dir, agent);
  const replayer = new Replayer({
    engine: new Engine({ cacheDir }),
    deployment: offline.deployment,
    identity: offline.identity,
    component: await offline.component(),
    servicesByType: offline.servicesByType,
  });
  let first = 0;
  let count = 0;
  for await (const r of replayer.run(readEmbeddedHistory(offline.logDir, agent))) {
    // The clock starts after the first handling: that one prepares the component.
    if (count++ === 0) first = performance.now();
    if (r.differences.length > 0 && r.index <= 3) progress(`${agent} #${r.index} differs: ${JSON.stringify(r.differences).slice(0, 400)}`);
  }
  const seconds = (performance.now() - first) / 1000;
  replayer.close();
  const s = replayer.summaryOf();
  return { replayed: s.replayed, diverged: s.diverged, perSecond: (count - 1) / seconds };
}

/** ns a handling now spends deriving (time and id stream, one id) minus what reading the host cost (Date.now, randomUUID). */
function addedNsPerHandling(): number {
  const n = 200_000;
  const seed = new AgentSeed('counter@caxton', '1795865306705');
  let sink = 0;
  const timeOf = (fn: (i: number) => void): number => {
    for (let i = 0; i < 20_000; i++) fn(i);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  const derived = timeOf((i) => {
    const h = seed.forWork(`d-${i}>counter`, 1_795_865_306_705 + i);
    sink += h.at + h.nextId().length;
  });
  const host = timeOf(() => {
    sink += Date.now() + randomUUID().length;
  });
  if (sink === 0) progress('');
  return Math.max(0, derived - host);
}

const cacheDir = mkdtempSync(join(tmpdir(), 'caxton-bench-replay-cache-'));
let recorded: Recorded | undefined;
try {
  recorded = await record();
  const counter = await replay(recorded.dir, 'counter', cacheDir);
  const ping = await replay(recorded.dir, 'ping', cacheDir);
  progress(`counter: ${counter.replayed} replayed, ${counter.diverged} differ; ping: ${ping.replayed} replayed, ${ping.diverged} differ`);
  const added = addedNsPerHandling();
  const handlingNs = recorded.cpuUsPerHandling * 1000;
  report({
    bench: 'replay',
    metric: 'replay_deliveries_per_s',
    value: Math.round(counter.perSecond),
    unit: 'deliveries/s',
    target: '>= 20000',
    note: `the AssemblyScript state counter, ${counter.replayed} recorded handlings, each on the state the log says it had`,
  });
  report({ bench: 'replay', metric: 'replay_pinger_deliveries_per_s', value: Math.round(ping.perSecond), unit: 'deliveries/s' });
  report({ bench: 'replay', metric: 'replay_divergence', value: counter.diverged + ping.diverged, unit: 'handlings', target: '0' });
  report({ bench: 'replay', metric: 'record_handlings_per_s', value: Math.round(recorded.handlingsPerSecond), unit: 'handlings/s' });
  report({ bench: 'replay', metric: 'determinism_added_ns_per_handling', value: Math.round(added), unit: 'ns' });
  report({
    bench: 'replay',
    metric: 'record_overhead_ratio',
    value: Math.round((handlingNs / (handlingNs + added)) * 1000) / 1000,
    unit: 'ratio',
    target: '>= 0.95',
    note: `a handling cost the node ${Math.round(handlingNs)} ns of CPU while recording; deriving its ids adds ${Math.round(added)} ns over drawing them`,
  });
} finally {
  if (recorded !== undefined && process.env.CAXTON_BENCH_KEEP_DIR === undefined) rmSync(recorded.dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
}
