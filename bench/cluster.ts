/**
 * Cluster benchmark (`npm run bench -- cluster [--pairs N] [--chains N] [--warmup N] [--rounds N] [--rate R] [--seconds S] [--drain-ms D] [--only a,b]`; `--name=value` works too).
 * `--only` picks phases among throughput, signed, mac, latency, colocation, failover, registry, workers, rollout (all by default), e.g.
 * `--only throughput` to compare builds on the CPU per message alone.
 * Starts its own Kafka broker (KRaft, 512 MB heap) and etcd on loopback and three `caxton serve
 * --kafka … --etcd …` nodes, all on this machine, then measures:
 *
 * - kafka_msgs_per_s: messages between agents on DIFFERENT nodes, every one appended to Kafka
 *   (acks=-1), consumed by the receiver's node, handled by a sandboxed agent and its completion
 *   committed. Pinger/echo pairs, each pinger on one node and its echo on the next, many chains
 *   in flight; counted from the nodes' own messagesHandled, read once a second. Measured after a
 *   warm-up (`--warmup` chains per pair, default 1) and over the steady state: from 20 % to 80 % of
 *   the run's messages, while every chain is live (decision 2155; the nodes speed up over their
 *   first ~10 s of traffic, and the chains' start and tail are not the path).
 * - kafka_cpu_us_per_msg: CPU (user + system, all threads) of the three node processes over the
 *   same window, from /proc/<pid>/stat, per handled message.
 * - kafka_run_msgs_per_s / kafka_run_cpu_us_per_msg: the same over the whole run, start to the last
 *   chain's end (what kafka_msgs_per_s measured before decision 2155).
 * - kafka_p99_ms / kafka_p50_ms: an operator request sent through one node to a probe agent on
 *   another, at a moderate fixed rate: from the API call to the probe's own clock when handling.
 *   Every request is accounted for (kafka_requests_sent / _answered / _late / _lost, decision 1204).
 * - kafka_api_requests_max_per_s, kafka_api_half_load_p99_ms / _p50_ms: the same requests through the
 *   three nodes' APIs, the maximum answered per second with `--outstanding` (96) in a closed loop,
 *   then an open loop at half of it — outside requests (audited changes), not agent traffic.
 * - failover_s: kill -9 of a node running probes under a light load → EVERY one of its agents has
 *   handled a request on its new node (default settings: 5 s lease, 6 s Kafka session);
 *   failover_first_s the first of them. failover_tuned_s / failover_tuned_first_s: the same with a
 *   2 s lease and a 2 s session (broker allowing it).
 * - kafka_signed_* (phase `signed`, decision 2185): the throughput run again on a cluster of nodes
 *   with `--cluster-record-key-file`; kafka_signed_cpu_cost_pct / _throughput_cost_pct compare it
 *   with the plain run of the same invocation. record_mac_us_per_msg (phase `mac`): one record's
 *   tag made and checked, micro-benched on delivery records; record_mac_cost_pct: that over
 *   kafka_cpu_us_per_msg (the issue's bound: ≤ 10 % of the cross-node figure).
 * - colocated_hop_fraction (phase `colocation`, decision 2189): pinger/echo pairs whose names are not
 *   chosen, each pinger deployed `--near` its echo: the fraction of their hops whose sender and
 *   receiver ran on one node (lib-cluster-near.ts); colocated_hop_fraction_baseline the same pairs
 *   placed by their own names.
 * - etcd_registry_ops_per_s: bench/registry.ts against the same etcd.
 * - workers_across_nodes_{1,3}_msgs_per_s / workers_across_nodes_scaling (decision 2163): a stateless
 *   CPU-bound agent (`--worker-spin-ms`, default 2) on three nodes (workers across nodes, the
 *   one cluster mode, decision 2168), as 1 worker and scaled to 3 (one per node), fed closed loop by a
 *   feeder agent on each node; the ratio is 3 over 1 (lib-cluster-workers.ts). `--worker-seconds` per count (20).
 */
import { argText, numberArg } from './lib-args.js';
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import type { StreamHandle } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';
import { drainAndSettle } from './lib-drain.js';
import { RequestLedger, accountSummary, accountingResults, percentileResult } from './lib-latency.js';
import { report } from './lib-output.js';
import { processCpuSeconds } from './lib-proc-stat.js';
import { SteadyWindow, shortCountNote, type RunPoint } from './lib-cluster-window.js';
import {
  NODE_VERSION,
  ROOT,
  claims,
  deployMany,
  handledTotal,
  nameOn,
  startNodes,
  startServers,
  waitUntil,
  type BenchServers,
  type ServeNode,
} from './lib-cluster.js';
import { workersAcrossNodes } from './lib-cluster-workers.js';
import { colocatedHops } from './lib-cluster-near.js';
import type { ThroughputFigures } from './lib-record-mac.js';
import { recordKeyFile, reportMacCost, reportSignedCost } from './lib-record-mac.js';
import { kindCanaryUnderKill, statefulRolloutUnderKill } from './lib-cluster-rollout.js';

const PAIRS = numberArg('pairs', 300);
const CHAINS = numberArg('chains', 4);
/** Chains per pair run before the measured window (0: none). */
const WARMUP = numberArg('warmup', 1);
/** Round trips per chain (and per warm-up chain): long enough that the run passes the nodes' ramp (decision 2155). */
const ROUNDS = numberArg('rounds', 200);
const LATENCY_RATE = numberArg('rate', 200);
/** Requests outstanding in the closed loop that finds the maximum the half-load run takes half of. */
const CLOSED_LOOP_OUTSTANDING = numberArg('outstanding', 96);
const PHASES = ['throughput', 'signed', 'mac', 'latency', 'colocation', 'failover', 'registry', 'workers', 'rollout'];
const ONLY = new Set((argText('only') ?? PHASES.join(',')).split(','));
for (const phase of ONLY) if (!PHASES.includes(phase)) throw new Error(`--only: no phase named "${phase}" (${PHASES.join(', ')})`);
/** The rollout phase's requests and their rate (per second). */
const ROLLOUT_REQUESTS = numberArg('rollout-requests', 1500);
const ROLLOUT_RATE = numberArg('rollout-rate', 100);
/** Busy-wait per message of the workers phase's CPU-bound agent, ms. */
const WORKER_SPIN_MS = numberArg('worker-spin-ms', 2);
/** The workers phase's measured window per worker count, s (after a 5 s warm-up). */
const WORKER_SECONDS = numberArg('worker-seconds', 20);
const LATENCY_SECONDS = numberArg('seconds', 15);
/** After the latency window, how long to wait for stragglers before counting them lost. */
const DRAIN_MS = numberArg('drain-ms', 10_000);
/** Failover: how long to wait for every moved agent to answer on its new node. */
const FAILOVER_MAX_MS = 60_000;
const IDS = ['n1', 'n2', 'n3'];
const bench = 'cluster';
const say = (line: string): void => void process.stderr.write(`[bench cluster] ${line}\n`);

/** How often the throughput run reads the nodes' counters (each read lists every agent on every node; its CPU is in the window). */
const POLL_MS = 1_000;

/**
 * Pinger/echo pairs across nodes: every message crosses from one node to another through Kafka.
 * `prefix` names the metrics (`kafka_`, or `kafka_signed_` for nodes with a record key), `variant`
 * says in each note what the nodes run with.
 */
async function throughput(nodes: ServeNode[], servers: BenchServers, prefix = 'kafka_', variant = ''): Promise<ThroughputFigures> {
  const taken = new Set<string>();
  const pairs = Array.from({ length: PAIRS }, (_, i) => ({
    ping: nameOn(`ping${i}`, IDS[i % 3]!, IDS, 12, taken),
    pong: nameOn(`pong${i}`, IDS[(i + 1) % 3]!, IDS, 12, taken),
  }));
  const pinger = (await artifact('conformance/pinger')).bytes;
  const echo = (await artifact('as-echo')).bytes;
  const c = nodes[0]!.client!;
  await deployMany(
    c,
    pairs.map((p) => ({ name: p.pong, bytes: echo, config: {} })),
  );
  await deployMany(
    c,
    pairs.map((p) => ({ name: p.ping, bytes: pinger, config: { peer: p.pong, rounds: String(ROUNDS), report: 'operator' } })),
  );
  await waitUntil('every pair to be placed', async () => (await claims(c)).size >= PAIRS * 2, 120_000);
  const placed = await claims(c);
  const crossing = pairs.filter((p) => placed.get(p.ping) !== placed.get(p.pong)).length;
  say(`${PAIRS} pairs deployed, ${crossing} of them across nodes; ${CHAINS} chains x ${ROUNDS} round trips each`);

  let done = 0;
  // Set when the measured run's last chain reports its end (not at the next poll: the whole-run
  // figures end there, decision 2155).
  let onAllDone: (() => void) | undefined;
  // Only the pingers' "done" reports, filtered on the node: a tail of every inform would make each
  // node stream half of the measured messages to this process over gRPC, and that streaming was
  // counted in the nodes' CPU per message (decision 2094).
  const tails: StreamHandle[] = nodes.map((n) =>
    n.client!.tail({ agent: 'operator', performatives: ['inform'] }, (e) => {
      if (!e.message.content?.startsWith('done ') || !e.message.receivers.some((r) => r.name.startsWith('operator'))) return;
      done += 1;
      if (done === PAIRS * CHAINS) onAllDone?.();
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  if (WARMUP > 0) {
    // The same traffic, unmeasured, so V8 has compiled the message path before the window opens:
    // without it the optimising compiler's threads took up to half of a node's CPU in the first
    // seconds of the window (decision 2094). One chain of ROUNDS round trips per pair is ~8 s of
    // traffic at the default 200, about the nodes' ramp (decision 2155).
    await Promise.all(
      pairs.map((p, i) =>
        nodes[i % 3]!.client!.send({ structured: { performative: 'request', receivers: [{ name: p.ping }], content: String(WARMUP) } }),
      ),
    );
    await waitUntil('every warm-up chain to finish', () => done >= PAIRS * WARMUP, 600_000);
    done = 0;
    say(`warm-up done: ${WARMUP} chain(s) x ${ROUNDS} round trips per pair`);
  }
  const before = await handledTotal(nodes);
  const expected = PAIRS * CHAINS * ROUNDS * 2;
  // CPU of the three node processes (all their threads), read from /proc around the same window.
  const cpuBefore = nodes.map((n) => processCpuSeconds(n.child.pid!));
  const cpuSince = (): number => nodes.reduce((sum, n, i) => sum + processCpuSeconds(n.child.pid!) - cpuBefore[i]!, 0);
  // The broker's and etcd's CPU over the same readings (the issue's kafka_broker_cpu_us_per_msg).
  const serverCpu = (): { broker: number; etcd: number } => ({
    broker: servers.kafkaPid === undefined ? Number.NaN : processCpuSeconds(servers.kafkaPid),
    etcd: servers.etcdPid === undefined ? Number.NaN : processCpuSeconds(servers.etcdPid),
  });
  const serverCpuAt = new Map<number, { broker: number; etcd: number }>();
  const t0 = performance.now();
  let ended: { ms: number; cpuSeconds: number } | undefined;
  const allEnded = new Promise<void>((resolve) => {
    onAllDone = () => {
      ended = { ms: performance.now() - t0, cpuSeconds: cpuSince() };
      resolve();
    };
  });
  await Promise.all(
    pairs.map((p, i) =>
      nodes[i % 3]!.client!.send({ structured: { performative: 'request', receivers: [{ name: p.ping }], content: String(CHAINS) } }),
    ),
  );
  // The steady-state window (decision 2155), from the counters read every second while the chains
  // run; each reading is also said, so the ramp and the tail show.
  const steady = new SteadyWindow(expected);
  let previous: RunPoint = { handled: 0, ms: 0, cpuSeconds: 0, finished: 0 };
  const deadline = Date.now() + 600_000;
  while (ended === undefined) {
    await Promise.race([allEnded, new Promise((r) => setTimeout(r, POLL_MS))]);
    if (ended !== undefined) break;
    if (Date.now() > deadline) throw new Error(`timed out waiting for every chain to finish: ${done} of ${PAIRS * CHAINS} in 10 minutes`);
    let at: RunPoint;
    try {
      const finished = done;
      at = { handled: (await handledTotal(nodes)) - before, ms: performance.now() - t0, cpuSeconds: cpuSince(), finished };
      serverCpuAt.set(at.ms, serverCpu());
    } catch (err) {
      // A node that does not answer one reading (busy, or restarting): the next one may; the run's
      // own figures do not depend on it.
      say(`a reading of the nodes' counters failed (${(err as Error).message}); skipped`);
      continue;
    }
    const n = at.handled - previous.handled;
    say(
      `${(at.ms / 1000).toFixed(1)} s: ${at.handled} of ${expected} handled, ${at.finished} chains ended; ${Math.round(n / ((at.ms - previous.ms) / 1000))} msgs/s, ${(((at.cpuSeconds - previous.cpuSeconds) * 1e6) / Math.max(1, n)).toFixed(0)} µs CPU a message over the last reading`,
    );
    previous = at;
    steady.add(at);
  }
  const { ms: endedMs, cpuSeconds } = ended;
  const seconds = endedMs / 1000;
  for (const t of tails) t.cancel();
  const handled = (await handledTotal(nodes)) - before;
  const cpuUsPerMsg = (cpuSeconds * 1e6) / Math.max(1, handled);
  const short = shortCountNote(handled, expected);
  if (short !== '')
    say(`throughput window: ${expected - handled} of ${expected} chain messages not counted: agents moved during it (decision 2120)`);
  const shape = `${variant}; ${PAIRS} pinger/echo pairs on 3 nodes, every message appended acks=-1, consumed on the receiver's node, handled in the sandbox, committed; after a warm-up of ${WARMUP} chain(s) of ${ROUNDS} round trips per pair; nodes on Node ${NODE_VERSION}; broker, etcd and the 3 nodes share the machine`;
  const window = steady.result();
  if (window !== undefined) {
    const steadyHandled = window.until.handled - window.from.handled;
    const steadySeconds = (window.until.ms - window.from.ms) / 1000;
    const steadyCpu = window.until.cpuSeconds - window.from.cpuSeconds;
    const span = `from ${window.from.handled} to ${window.until.handled} of the run's ${expected} chain messages, ${window.until.finished} of ${PAIRS * CHAINS} chains ended by its close`;
    report({
      bench,
      metric: `${prefix}msgs_per_s`,
      value: Math.round(window.msgsPerS),
      unit: 'msgs/s',
      target: '>= 50000 (stretch 100000)',
      note: `steady state (decision 2155): ${steadyHandled} agent messages in ${steadySeconds.toFixed(1)} s, ${span}${shape}${short}`,
    });
    report({
      bench,
      metric: `${prefix}cpu_us_per_msg`,
      value: Number(window.cpuUsPerMsg.toFixed(1)),
      unit: 'us',
      target: '<= 40',
      note: `steady state: ${steadyCpu.toFixed(1)} s CPU (user + system, all threads, from /proc/<pid>/stat) of the 3 node processes over the same window / ${steadyHandled} handled messages (the counters' reads, one a second, included); the broker's and etcd's CPU not included${window.cpuUsPerMsg > 40 ? '; above target' : ''}${short}`,
    });
    const from = serverCpuAt.get(window.from.ms);
    const until = serverCpuAt.get(window.until.ms);
    if (from !== undefined && until !== undefined) {
      for (const [metric, who, cpu] of [
        [`${prefix}broker_cpu_us_per_msg`, 'the Kafka broker (its JVM)', until.broker - from.broker],
        [`${prefix}etcd_cpu_us_per_msg`, 'etcd', until.etcd - from.etcd],
      ] as const) {
        report({
          bench,
          metric,
          value: Number(((cpu * 1e6) / Math.max(1, steadyHandled)).toFixed(1)),
          unit: 'us',
          note: `steady state: ${cpu.toFixed(1)} s CPU of ${who} over the same window / ${steadyHandled} handled messages (beside the nodes' kafka_cpu_us_per_msg)`,
        });
      }
    }
  } else {
    // Never silent: the rows with the targets are the whole run's then, and say why.
    const why = steady.whyNone;
    say(`no steady-state window: ${why}`);
    report({
      bench,
      metric: `${prefix}msgs_per_s`,
      value: Math.round(handled / seconds),
      unit: 'msgs/s',
      target: '>= 50000 (stretch 100000)',
      note: `NO steady-state window (${why}): the whole run instead, ${handled} agent messages in ${seconds.toFixed(1)} s${shape}${short}`,
    });
    report({
      bench,
      metric: `${prefix}cpu_us_per_msg`,
      value: Number(cpuUsPerMsg.toFixed(1)),
      unit: 'us',
      target: '<= 40',
      note: `NO steady-state window: the whole run's ${cpuSeconds.toFixed(1)} s CPU of the 3 node processes / ${handled} handled messages${cpuUsPerMsg > 40 ? '; above target' : ''}${short}`,
    });
  }
  report({
    bench,
    metric: `${prefix}run_msgs_per_s`,
    value: Math.round(handled / seconds),
    unit: 'msgs/s',
    note: `the whole run, from the chains' start to the last one's end, their start burst and tail included (kafka_msgs_per_s's method before decision 2155, then with 40 round trips a chain): ${handled} agent messages (${expected} chain messages expected) in ${seconds.toFixed(1)} s${shape}${short}`,
  });
  report({
    bench,
    metric: `${prefix}run_cpu_us_per_msg`,
    value: Number(cpuUsPerMsg.toFixed(1)),
    unit: 'us',
    note: `the whole run: ${cpuSeconds.toFixed(1)} s CPU of the 3 node processes / ${handled} handled messages (the counters' reads included)${short}`,
  });
  return window !== undefined
    ? { msgsPerS: window.msgsPerS, cpuUsPerMsg: window.cpuUsPerMsg, steady: true }
    : { msgsPerS: handled / seconds, cpuUsPerMsg, steady: false };
}

/**
 * Operator requests to probes on n2 and n3, in an open loop: API call → the probe handles it (the
 * probe's own clock). Twice: at a fixed 200 requests/s through n1 (`kafka_p99_ms`, the figure kept
 * since the first runs), and at half the maximum of such requests (`kafka_api_half_load_p99_ms`), as
 * the bus bench does on one node: the maximum measured first in a closed loop (a fixed number
 * outstanding, sent through the three nodes' APIs in turn; `kafka_api_requests_max_per_s`), then an
 * open loop at half of it. Every request of a window is in a ledger: answered, late (handled after
 * the window, within DRAIN_MS) or lost (decision 1204). Outside requests are audited API changes:
 * this is the path of a client's send, not the bus's agent-to-agent latency at half its maximum
 * (which needs a load generator inside the cluster; issue 56).
 */
async function latency(nodes: ServeNode[]): Promise<void> {
  const taken = new Set<string>();
  // Many probes, so each gets a few requests a second: this measures the path, not an agent's queue.
  const probes = Array.from({ length: 48 }, (_, i) => nameOn(`lat${i}`, IDS[1 + (i % 2)]!, IDS, 12, taken));
  const c = nodes[0]!.client!;
  const bytes = (await artifact('cluster/probe')).bytes;
  await deployMany(
    c,
    probes.map((name) => ({ name, bytes, config: {} })),
  );
  await waitUntil(
    'the probes to be placed',
    async () => {
      const now = await claims(c);
      return probes.every((p) => now.has(p));
    },
    60_000,
  );
  // undefined during the warm-up and between the runs, whose answers are not measured.
  let ledger: RequestLedger<string> | undefined;
  const tails = nodes.map((n) =>
    n.client!.tail({ performatives: ['inform'] }, (e) => {
      const [key, , , , at] = (e.message.content ?? '').split('|');
      if (key !== undefined && at !== undefined) ledger?.answer(key, Number(at));
    }),
  );
  // Warm up: every probe answers once before timing starts.
  for (const p of probes) await c.send({ structured: { performative: 'request', receivers: [{ name: p }], content: `${p}:warm` } });
  await new Promise((r) => setTimeout(r, 2000));
  /** One open-loop window at `rate` requests/s, sent in turn through `through`; its account once drained. */
  const openLoop = async (rate: number, through: ServeNode[], tag: string) => {
    const measured = new RequestLedger<string>();
    ledger = measured;
    const total = Math.round(rate * LATENCY_SECONDS);
    const t0 = Date.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const probe = probes[i % probes.length]!;
      const key = `${probe}:${tag}${i}`;
      measured.send(key, Date.now());
      const client = through[i % through.length]!.client!;
      sends.push(
        client
          .send({ structured: { performative: 'request', receivers: [{ name: probe }], content: key } })
          .catch(() => measured.refuse(key)),
      );
    }
    measured.closeWindow(Date.now());
    const sendingS = (Date.now() - t0) / 1000;
    await Promise.all(sends); // every refusal is in the ledger before it settles
    const drained = await drainAndSettle(measured, DRAIN_MS, () => Date.now());
    ledger = undefined;
    return { ...drained, sendingS };
  };
  /** Requests answered per second with CLOSED_LOOP_OUTSTANDING outstanding, over LATENCY_SECONDS. */
  const closedLoop = async (through: ServeNode[]): Promise<number> => {
    let answeredCount = 0;
    let next = 0;
    let sent = 0;
    const t0 = Date.now();
    const until = t0 + LATENCY_SECONDS * 1000;
    // The requests waiting for their answer: key → the wake-up of its lane with `true` (answered).
    const waiting = new Map<string, (answered: boolean) => void>();
    ledger = { answer: (key: string) => waiting.get(key)?.(true) } as unknown as RequestLedger<string>;
    const lane = async (): Promise<void> => {
      while (Date.now() < until) {
        const i = next++;
        const key = `${probes[i % probes.length]!}:c${i}`;
        const done = new Promise<boolean>((resolve) => waiting.set(key, resolve));
        sent++;
        const client = through[i % through.length]!.client!;
        const ok = await client
          .send({ structured: { performative: 'request', receivers: [{ name: probes[i % probes.length]! }], content: key } })
          .then(
            () => true,
            () => false,
          );
        // A refused send, or an answer not seen in 5 s, ends this request unanswered: the lane goes on.
        let timer: NodeJS.Timeout | undefined;
        const answered = ok && (await Promise.race([done, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 5_000)))]));
        clearTimeout(timer);
        waiting.delete(key);
        if (answered && Date.now() <= until) answeredCount++;
      }
    };
    await Promise.all(Array.from({ length: CLOSED_LOOP_OUTSTANDING }, lane));
    ledger = undefined;
    say(`closed loop: ${answeredCount} of ${sent} requests answered in ${LATENCY_SECONDS} s`);
    // Answers counted up to `until`, over the same window (a lane still waiting then is not timed).
    return answeredCount / ((until - t0) / 1000);
  };
  try {
    const fixed = await openLoop(LATENCY_RATE, [nodes[0]!], 'f');
    const note = `operator requests at ${LATENCY_RATE}/s through node n1's API to probes on n2/n3: API call → handled on the other node (probe's clock); ${accountSummary(fixed.account)} (drain ${Math.round(fixed.drainMs)} ms, at most ${DRAIN_MS})`;
    report(percentileResult(fixed.account, { bench, metric: 'kafka_p99_ms', p: 99, unit: 'ms', digits: 1, target: '<= 25', note }));
    report(percentileResult(fixed.account, { bench, metric: 'kafka_p50_ms', p: 50, unit: 'ms', digits: 1, note }));
    for (const r of accountingResults(bench, 'kafka_', fixed.account, `${LATENCY_SECONDS} s at ${LATENCY_RATE} requests/s`)) report(r);
    say(`latency: the maximum of outside requests, closed loop (${CLOSED_LOOP_OUTSTANDING} outstanding, ${LATENCY_SECONDS} s)`);
    const max = await closedLoop(nodes);
    report({
      bench,
      metric: 'kafka_api_requests_max_per_s',
      value: Math.round(max),
      unit: 'requests/s',
      note: `operator requests answered per second with ${CLOSED_LOOP_OUTSTANDING} outstanding, sent in turn through the 3 nodes' APIs to probes on n2/n3 (the sender shares the 2 cores with the broker, etcd and the nodes)`,
    });
    const half = Math.max(1, Math.round(max / 2));
    say(`latency at half load: ${half} requests/s through the three nodes' APIs`);
    const loaded = await openLoop(half, nodes, 'h');
    const behind =
      loaded.sendingS > LATENCY_SECONDS * 1.05
        ? `; the benchmark's own sender fell behind (${LATENCY_SECONDS} s of requests took ${loaded.sendingS.toFixed(1)} s to send)`
        : '';
    const halfNote = `open loop at ${half} requests/s = half of kafka_api_requests_max_per_s (${Math.round(max)}), sent in turn through the 3 nodes' APIs to probes on n2/n3 (probe's clock): outside requests, each an audited API change (its intent and outcome in the cluster's etcd trail) before its append, not agent-to-agent traffic; the sending process shares the 2 cores with the broker, etcd and the nodes${behind}; ${accountSummary(loaded.account)} (drain ${Math.round(loaded.drainMs)} ms, at most ${DRAIN_MS})`;
    report(
      percentileResult(loaded.account, {
        bench,
        metric: 'kafka_api_half_load_p99_ms',
        p: 99,
        unit: 'ms',
        digits: 1,
        target: '<= 15',
        note: halfNote,
      }),
    );
    report(percentileResult(loaded.account, { bench, metric: 'kafka_api_half_load_p50_ms', p: 50, unit: 'ms', digits: 1, note: halfNote }));
    for (const r of accountingResults(bench, 'kafka_api_half_load_', loaded.account, `${LATENCY_SECONDS} s at ${half} requests/s`))
      report(r);
  } finally {
    for (const t of tails) t.cancel();
  }
}

/**
 * kill -9 of n3 (running half of the probes) under a light load through n1. Failover is over when
 * EVERY probe that ran on n3 has handled a request on its new node, not when the first one has:
 * reports the time to the first and to the last (`metric`).
 */
async function failover(nodes: ServeNode[], metric: string, target: string | undefined, note: string): Promise<void> {
  const c = nodes[0]!.client!;
  const taken = new Set<string>();
  const probes = Array.from({ length: 12 }, (_, i) => nameOn(`fo-${metric}-${i}`, IDS[1 + (i % 2)]!, IDS, 12, taken));
  const bytes = (await artifact('cluster/probe')).bytes;
  await deployMany(
    c,
    probes.map((name) => ({ name, bytes, config: {} })),
  );
  await waitUntil(
    'the probes to be placed',
    async () => {
      const now = await claims(c);
      return probes.every((p) => now.has(p));
    },
    60_000,
  );
  const victim = nodes.find((n) => n.id === 'n3')!;
  const before = await claims(c);
  const moved = new Set(probes.filter((p) => before.get(p) === victim.id));
  /** Moved agent → when it first handled a request on another node after the kill (its clock). */
  const recovered = new Map<string, number>();
  let killedAt = Infinity;
  const tails = nodes
    .filter((n) => n !== victim)
    .map((n) =>
      n.client!.tail({ performatives: ['inform'] }, (e) => {
        const [key, node, , , at] = (e.message.content ?? '').split('|');
        const agent = key?.slice(0, key.lastIndexOf(':'));
        if (agent && moved.has(agent) && !recovered.has(agent) && node !== `caxton://${victim.id}` && Number(at) > killedAt)
          recovered.set(agent, Number(at));
      }),
    );
  let sending = true;
  const load = (async () => {
    for (let i = 0; sending; i++) {
      const p = probes[i % probes.length]!;
      await c.send({ structured: { performative: 'request', receivers: [{ name: p }], content: `${p}:${i}` } }).catch(() => {});
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await new Promise((r) => setTimeout(r, 3000));
  killedAt = Date.now();
  victim.kill();
  const everyMovedAnswered = await waitUntil(
    'every moved agent to handle a request on its new node',
    () => recovered.size >= moved.size,
    FAILOVER_MAX_MS,
  ).then(
    () => true,
    () => false,
  );
  sending = false;
  await load;
  for (const t of tails) t.cancel();
  const times = [...recovered.values()].map((at) => (at - killedAt) / 1000);
  const how = `${moved.size} probes on the killed node, ${recovered.size} answered on their new node; ${note}`;
  if (times.length > 0)
    report({
      bench,
      metric: metric.replace(/_s$/, '_first_s'),
      value: Number(Math.min(...times).toFixed(2)),
      unit: 's',
      note: `kill -9 → the FIRST moved agent handles a request on its new node; ${how}`,
    });
  if (everyMovedAnswered) {
    const last = Math.max(...times);
    report({
      bench,
      metric,
      value: Number(last.toFixed(2)),
      unit: 's',
      ...(target ? { target: `<= ${target}` } : {}),
      note: `kill -9 → EVERY moved agent has handled a request on its new node; ${how}${target && last > Number(target) ? '; above target' : ''}`,
    });
  } else {
    // Same rule as a lost request: the value is a lower bound (how long the bench waited), which fails any target.
    const unanswered = [...moved].filter((a) => !recovered.has(a));
    report({
      bench,
      metric,
      value: FAILOVER_MAX_MS / 1000,
      unit: 's',
      ...(target ? { target: `<= ${target}` } : {}),
      note: `LOST: ${unanswered.length} moved agents (${unanswered.join(', ')}) never answered within ${FAILOVER_MAX_MS / 1000} s, so failover is unbounded; the value is a lower bound; ${how}`,
    });
  }
}

function registryBench(etcd: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'dist', 'registry.js'), '--etcd', etcd, '--seconds', '5'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (buf += d));
    child.on('close', () => {
      for (const line of buf.split('\n')) {
        try {
          const r = JSON.parse(line) as { metric?: string };
          if (r.metric === 'etcd_registry_ops_per_s') process.stdout.write(`${line}\n`);
        } catch {
          // not a result line
        }
      }
      resolve();
    });
  });
}

/** Pairs of the colocation phase (decision 2189), each running `--colocation-chains` chains of `--colocation-rounds` round trips. */
const COLOCATION_PAIRS = numberArg('colocation-pairs', 30);
const COLOCATION_CHAINS = numberArg('colocation-chains', 2);
const COLOCATION_ROUNDS = numberArg('colocation-rounds', 50);

/** colocated_hop_fraction (decision 2189): the same pairs placed by their own names, then each pinger `--near` its echo. */
async function colocation(nodes: ServeNode[]): Promise<void> {
  const { baseline, near } = await colocatedHops(nodes, {
    pairs: COLOCATION_PAIRS,
    chains: COLOCATION_CHAINS,
    rounds: COLOCATION_ROUNDS,
    say,
  });
  const shape = `${COLOCATION_PAIRS} pinger/echo pairs with names not chosen, ${COLOCATION_CHAINS} chains x ${COLOCATION_ROUNDS} round trips each, on 3 nodes; a hop is local when the nodes' listings put sender and receiver on one node before and after the chains; hops are the handled counts of the node running each agent`;
  const of = (f: typeof near): string =>
    `${f.together} of ${f.pairs - f.moved} pairs together, ${Math.round(f.fraction * f.hops)} of ${f.hops} hops local, chains ran ${f.seconds.toFixed(1)} s${f.moved > 0 ? `, ${f.moved} pair(s) moved during the run and left out` : ''}`;
  report({
    bench,
    metric: 'colocated_hop_fraction',
    value: Number(near.fraction.toFixed(3)),
    unit: 'ratio',
    target: '= 1',
    note: `each pinger deployed --near its echo: ${of(near)}; ${shape}`,
  });
  report({
    bench,
    metric: 'colocated_hop_fraction_baseline',
    value: Number(baseline.fraction.toFixed(3)),
    unit: 'ratio',
    note: `each agent placed by its own name (no --near): ${of(baseline)}; ${shape}`,
  });
}

async function main(): Promise<void> {
  // The machine is shared: say how busy it was, since every figure depends on it.
  const loadAtStart = loadavg()[0]!;
  // The broker allows sessions down to 1 s so the tuned failover can use 2 s; the default nodes
  // still ask for Kafka's usual 6 s.
  const servers = await startServers({ 'group.min.session.timeout.ms': '1000' });
  let nodes: ServeNode[] = [];
  let keys: { file: string; remove: () => void } | undefined;
  try {
    nodes = await startNodes(IDS, servers.kafka, servers.etcd, { cluster: 'bench' });
    const plain = ONLY.has('throughput') ? await throughput(nodes, servers) : undefined;
    if (ONLY.has('latency')) await latency(nodes);
    if (ONLY.has('colocation')) await colocation(nodes);
    if (ONLY.has('failover')) await failover(nodes, 'failover_s', '5', 'lease 5 s, Kafka session 6 s (the defaults)');
    await Promise.all(nodes.map((n) => n.stop()));
    nodes = [];
    if (ONLY.has('signed')) {
      // The same throughput run on a cluster of nodes with a record key (decision 2185): every
      // record signed where produced, checked where read.
      keys = recordKeyFile();
      nodes = await startNodes(IDS, servers.kafka, servers.etcd, { cluster: 'bench-signed', recordKeyFile: keys.file });
      const signed = await throughput(
        nodes,
        servers,
        'kafka_signed_',
        ' (nodes with --cluster-record-key-file: every record signed and checked)',
      );
      await Promise.all(nodes.map((n) => n.stop()));
      nodes = [];
      if (plain !== undefined) reportSignedCost(bench, plain, signed);
    }
    if (ONLY.has('mac')) reportMacCost(bench, plain);
    if (ONLY.has('failover')) {
      nodes = await startNodes(IDS, servers.kafka, servers.etcd, { cluster: 'bench-tuned', leaseTtl: 2, sessionTimeoutMs: 2000 });
      await failover(
        nodes,
        'failover_tuned_s',
        undefined,
        'lease 2 s, Kafka session 2 s (broker group.min.session.timeout.ms lowered to 1 s)',
      );
      await Promise.all(nodes.map((n) => n.stop()));
      nodes = [];
    }
    if (ONLY.has('registry')) await registryBench(servers.etcd);
    if (ONLY.has('workers')) {
      const w = await workersAcrossNodes(IDS, servers.kafka, servers.etcd, {
        spinMs: WORKER_SPIN_MS,
        seconds: WORKER_SECONDS,
        warmupSeconds: 5,
        say,
      });
      const note = `the conformance sink busy-waiting ${WORKER_SPIN_MS} ms per message (no answer, no log line), fed by a feeder agent on each node over Kafka, workers placed on ${w.placed.join(', ')}; this machine has ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`;
      report({ bench, metric: 'workers_across_nodes_1_msgs_per_s', value: Math.round(w.one), unit: 'msg/s', note });
      report({ bench, metric: 'workers_across_nodes_3_msgs_per_s', value: Math.round(w.three), unit: 'msg/s', note });
      report({
        bench,
        metric: 'workers_across_nodes_scaling',
        value: Number((w.three / Math.max(1, w.one)).toFixed(2)),
        unit: 'x',
        target: '>= 1.7 (two cores bound it)',
        note: `msg/s with 1 and 3 workers across nodes: ${Math.round(w.one)}, ${Math.round(w.three)} (3 over 1; ${note})`,
      });
    }
    if (ONLY.has('rollout')) {
      const shape = { requests: ROLLOUT_REQUESTS, ratePerS: ROLLOUT_RATE, say };
      const r = await statefulRolloutUnderKill(IDS, servers.kafka, servers.etcd, shape);
      const k = await kindCanaryUnderKill(IDS, servers.kafka, servers.etcd, shape);
      const feed = `${ROLLOUT_REQUESTS} requests (at most ${ROLLOUT_RATE}/s, 8 in flight) through two nodes, the third killed -9 half way`;
      const note = `per request, from the counters' ledgers, over two rollouts asked a quarter into ${feed}: blue-green of the state counter as a named agent on the third node (a handover; sent in ${r.sendingS.toFixed(1)} s, ${r.accepted} accepted, lost ${r.lost}, doubled ${r.doubled}, counted but unanswered ${r.unacknowledged}) and a canary:50 by key of it as a kind of 24 keys (${k.keysOnNew} on the new version; sent in ${k.sendingS.toFixed(1)} s, ${k.accepted} accepted, lost ${k.lost}, doubled ${k.doubled}, counted but unanswered ${k.unacknowledged})`;
      report({ bench, metric: 'rollout_stateful_lost', value: r.lost + k.lost, unit: 'requests', target: '= 0', note });
      report({ bench, metric: 'rollout_stateful_doubled', value: r.doubled + k.doubled, unit: 'requests', target: '= 0', note });
      report({
        bench,
        metric: 'rollout_stateful_takeover_s',
        value: Number(r.takeoverS.toFixed(2)),
        unit: 's',
        note: 'blue-green: from the kill -9 to the rollout handed over again on a survivor (default lease and Kafka session)',
      });
    }
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await servers.stop();
    keys?.remove();
  }
  report({
    bench,
    metric: 'host_load_avg_1m',
    value: Number(((loadAtStart + loadavg()[0]!) / 2).toFixed(1)),
    unit: 'runnable',
    note: `1-minute load average on ${cpus().length} cores, mean of start and end of this run (the broker, etcd, the nodes and any other work share them)`,
  });
}

await main();
