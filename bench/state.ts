/**
 * State benchmark (`npm run bench -- state [--seconds S] [--pairs P] [--chains C] [--rounds R]
 * [--latency-rate M] [--only throughput,latency,http]`), issue 16. Like with like: the same agent
 * (examples/conformance/state-echo) answers every request; with `write=1` it first reads its
 * counter from durable state and writes it back incremented — one state write committed with each
 * message's completion — and with `write=0` it touches no state. Everything else is the same: real
 * AssemblyScript agents in the sandbox, a real in-process node on the embedded log with fsync
 * 'always'.
 *
 * - stateless_msgs_per_s / state_msgs_per_s: P pinger/state-echo pairs, C request chains each,
 *   handled deliveries per second; the two variants alternate R times (A B A B …) so drift in a
 *   shared machine's load hits both, and the best window of each is reported with the ratio
 *   (target: state ≥ 0.8 × stateless).
 * - stateless_p50_us/p99_us, state_p50_us/p99_us: request → reply latency, open loop at the same
 *   rate for both, every request accounted for: by default half the maximum of outside requests
 *   measured closed loop on the stateless node, as `bench -- bus` does (an outside request is
 *   written ahead to the audit trail: the agents' ping-pong maximum is not its maximum, and half of
 *   that was past what the edge admits — a third of the requests refused at the send).
 * - http_*: the outbound HTTP gateway's round trip against a direct keep-alive Node request to the
 *   same local server (bench/http-gateway.ts, run as a child process; target: overhead ≤ 1 ms p50).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { report, type BenchResult } from './lib-output.js';
import { BenchNode, sleep } from './lib-bus-node.js';
import { closedLoopMax } from './lib-overload.js';
import { drainAndSettle } from './lib-drain.js';
import { RequestLedger, accountSummary, accountingResults, percentileResult } from './lib-latency.js';
import { readHostCpuTicks, stealPercent } from './lib-proc-stat.js';
import { arg } from './lib-args.js';

const SECONDS = Number(arg('seconds', '4'));
const PAIRS = Number(arg('pairs', '32'));
const CHAINS = Number(arg('chains', '8'));
const ROUNDS = Number(arg('rounds', '2'));
const LATENCY_RATE = Number(arg('latency-rate', 'NaN'));
const ONLY = arg('only', 'throughput,latency,http').split(',');
const DRAIN_MS = 5000;
const AGENT = 'conformance/state-echo';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const progress = (text: string): void => void process.stderr.write(`state bench: ${text}\n`);
type Variant = 'stateless' | 'state';
const writeFlag = (v: Variant): string => (v === 'state' ? '1' : '0');

interface Rate {
  perSecond: number;
  cpuUs: number;
  stealPct: number;
}

async function throughput(variant: Variant): Promise<Rate> {
  const node = await BenchNode.start({ persistence: 'disk', fsync: 'always' });
  try {
    for (let i = 0; i < PAIRS; i++) {
      await node.deploy(`echo-${i}`, AGENT, { write: writeFlag(variant) });
      await node.deploy(`ping-${i}`, 'conformance/pinger', { peer: `echo-${i}`, rounds: '1000000000' });
    }
    for (let i = 0; i < PAIRS; i++)
      await node.sendRetrying({ performative: 'request', receivers: [{ name: `ping-${i}` }], content: String(CHAINS) });
    await sleep(1000);
    const before = node.handledOk;
    const cpu = process.cpuUsage();
    const host = readHostCpuTicks();
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const used = process.cpuUsage(cpu);
    const n = node.handledOk - before;
    if (node.handledOther > 0) progress(`${node.handledOther} deliveries not ok (${variant})`);
    return {
      perSecond: n / ((performance.now() - t0) / 1000),
      cpuUs: (used.user + used.system) / Math.max(1, n),
      stealPct: stealPercent(host, readHostCpuTicks()),
    };
  } finally {
    await node.stop();
  }
}

/**
 * Open-loop requests at `messagesPerSecond` (request + reply = 2), or, when undefined, at half the
 * maximum of outside requests measured closed loop on this node first (then returned as `rate`).
 */
async function latency(variant: Variant, given: number | undefined) {
  const node = await BenchNode.start({ persistence: 'disk', fsync: 'always' });
  try {
    for (let i = 0; i < PAIRS; i++) {
      await node.deploy(`echo-${i}`, AGENT, { write: writeFlag(variant) });
      await node.deploy(`sink-${i}`, 'conformance/sink');
    }
    let maxRequestsPerS: number | undefined;
    let messagesPerSecond = given ?? Number.NaN;
    if (given === undefined) {
      progress(`latency ${variant}: measuring the maximum of outside requests (closed loop, ${2 * PAIRS} outstanding, ${SECONDS} s)`);
      maxRequestsPerS = await closedLoopMax(node, PAIRS, 2 * PAIRS, SECONDS);
      messagesPerSecond = maxRequestsPerS; // half the requests' maximum, two messages each
      await sleep(500);
    }
    progress(`latency ${variant} at ${Math.round(messagesPerSecond)} msg/s`);
    const nowUs = (): number => performance.now() * 1000;
    let ledger: RequestLedger<string> | undefined;
    node.on(
      (e) => {
        if (e.type !== 'accepted' || e.message.performative !== 'inform' || e.message.inReplyTo === undefined) return;
        ledger?.answer(e.message.inReplyTo, nowUs());
      },
      ['accepted'],
    );
    let sent = 0;
    const run = async (seconds: number, track: RequestLedger<string> | undefined): Promise<void> => {
      const start = performance.now();
      let issued = 0;
      while (performance.now() - start < seconds * 1000) {
        const due = Math.floor(((performance.now() - start) / 1000) * (messagesPerSecond / 2));
        for (; issued < due; issued++) {
          const key = `r${sent++}`;
          const pair = sent % PAIRS;
          track?.send(key, nowUs());
          node.control
            .send({
              performative: 'request',
              receivers: [{ name: `echo-${pair}` }],
              replyTo: [{ name: `sink-${pair}` }],
              replyWith: key,
              content: key,
            })
            .catch(() => track?.refuse(key));
        }
        await sleep(1);
      }
    };
    await run(1, undefined);
    await sleep(200);
    const measured = new RequestLedger<string>();
    ledger = measured;
    const t0 = performance.now();
    await run(SECONDS, measured);
    measured.closeWindow(nowUs());
    const windowS = (performance.now() - t0) / 1000;
    const { account, drainMs } = await drainAndSettle(measured, DRAIN_MS, nowUs);
    return { account, windowS, drainMs, rate: messagesPerSecond, maxRequestsPerS };
  } finally {
    await node.stop();
  }
}

const loadAtStart = loadavg()[0]!;
if (ONLY.includes('throughput')) {
  const best: Record<Variant, Rate | undefined> = { stateless: undefined, state: undefined };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of ['stateless', 'state'] as const) {
      progress(`throughput ${variant}, round ${round + 1}/${ROUNDS}: ${PAIRS} pairs × ${CHAINS} chains, ${SECONDS} s`);
      const r = await throughput(variant);
      progress(`  ${Math.round(r.perSecond)} msg/s, ${r.cpuUs.toFixed(1)} us CPU/msg, steal ${r.stealPct.toFixed(0)}%`);
      if (best[variant] === undefined || r.perSecond > best[variant]!.perSecond) best[variant] = r;
      gc();
    }
  }
  const a = best.stateless!;
  const b = best.state!;
  {
    const how = `${PAIRS} pinger/state-echo pairs x ${CHAINS} chains, embedded log, fsync always; best of ${ROUNDS} alternating windows of ${SECONDS} s`;
    report({
      bench: 'state',
      metric: 'stateless_msgs_per_s',
      value: Math.round(a.perSecond),
      unit: 'msg/s',
      note: `${how}; write=0 (no state); ${a.cpuUs.toFixed(1)} us CPU/msg; steal ${a.stealPct.toFixed(0)}%`,
    });
    report({
      bench: 'state',
      metric: 'state_msgs_per_s',
      value: Math.round(b.perSecond),
      unit: 'msg/s',
      note: `${how}; write=1 (get + set of one key per request, committed with the completion); ${b.cpuUs.toFixed(1)} us CPU/msg; steal ${b.stealPct.toFixed(0)}%`,
    });
    const ratio = b.perSecond / a.perSecond;
    report({
      bench: 'state',
      metric: 'state_to_stateless_ratio',
      value: Number(ratio.toFixed(3)),
      unit: 'ratio',
      target: '>= 0.8',
      note: `state_msgs_per_s / stateless_msgs_per_s, same run${ratio < 0.8 ? '; below target' : ''}`,
    });
  }
}
if (ONLY.includes('latency')) {
  // The stateless node measures the maximum; the state variant runs at the same rate (like with like).
  let rate: number | undefined = Number.isFinite(LATENCY_RATE) ? LATENCY_RATE : undefined;
  let why = '--latency-rate';
  for (const variant of ['stateless', 'state'] as const) {
    const l = await latency(variant, rate);
    if (l.maxRequestsPerS !== undefined)
      why = `half the maximum of outside requests, ${Math.round(l.maxRequestsPerS)} requests/s measured closed loop on the stateless node`;
    rate = l.rate;
    gc();
    const how = `open loop at ${Math.round(rate)} msg/s (${why}), ${PAIRS} state-echo agents write=${writeFlag(variant)}, embedded log, fsync always; ${accountSummary(l.account)} (drain ${Math.round(l.drainMs)} ms)`;
    for (const [p, name] of [
      [50, 'p50_us'],
      [99, 'p99_us'],
    ] as const) {
      report(percentileResult(l.account, { bench: 'state', metric: `${variant}_${name}`, p, unit: 'us', digits: 0, note: how }));
    }
    for (const r of accountingResults('state', `${variant}_`, l.account, `open-loop requests, ${l.windowS.toFixed(1)} s window`)) report(r);
  }
}
if (ONLY.includes('http')) {
  // The gateway benchmark runs in its own process (its server and client must not share this
  // event loop with the node stopped above); its lines are reported here under this bench's name.
  progress('http: the gateway against a direct Node request (bench/http-gateway)');
  for (const r of await runChildBench('http-gateway.js')) report({ ...r, bench: 'state' });
}

report({
  bench: 'state',
  metric: 'host_load_avg_1m',
  value: Number(((loadAtStart + loadavg()[0]!) / 2).toFixed(1)),
  unit: 'runnable',
  note: `1-minute load average on ${cpus().length} cores, mean of start and end of this run`,
});

/** Runs another benchmark of bench/dist in a child process and collects its result lines. */
function runChildBench(script: string): Promise<BenchResult[]> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), script);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as BenchResult),
      );
    });
  });
}
