/**
 * Bus benchmark (`npm run bench -- bus [--seconds S] [--pairs P] [--chains C] [--only a,b]`).
 * Real AssemblyScript agents in the sandbox (fuel-metered, default limits) on a real in-process
 * node; every figure counts deliveries handled by agents (outcome ok) per second of wall clock.
 *
 * - persisted_msgs_per_s: P pinger/echo pairs exchanging request/inform (C request chains per
 *   pinger) on the embedded log, fsync 'always' (group commit): every message is durable before
 *   it is delivered and its completion is durable before it is forgotten.
 * - memory_msgs_per_s: the same with persistence 'memory' (no disk).
 * - p50_us / p99_us / p999_us: request → reply latency on the embedded log at half the measured
 *   persisted maximum: the operator sends requests open-loop at a fixed rate to P echo agents, each
 *   with :reply-to its own sink agent; latency is from the send call to the reply's acceptance by
 *   the bus (durable, in the sink's mailbox). memory_p50_us… : the same with persistence 'memory'.
 * - fanout_msgs_per_s: one sender (a conformance puppet) notifying 1,000 sink agents, one message
 *   per receiver, on the embedded log. fanout_multi_receiver_deliveries_per_s: the same sender
 *   with each message addressed to all 1,000 (one message, 1,000 deliveries).
 */
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { percentile, report } from './lib-output.js';
import { BenchNode, sleep } from './lib-bus-node.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const SECONDS = Number(arg('seconds', '5'));
const PAIRS = Number(arg('pairs', '64'));
const CHAINS = Number(arg('chains', '8'));
const ONLY = arg('only', 'persisted,memory,latency,fanout').split(',');
const FANOUT = Number(arg('fanout', '1000'));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const progress = (text: string): void => void process.stderr.write(`bus bench: ${text}\n`);

interface Rate {
  perSecond: number;
  /** Process CPU time (all threads: bus, sandbox shard, log I/O) per handled delivery, µs. */
  cpuUs: number;
}

/** Handled deliveries per second over `seconds`, after a one-second warm-up. */
async function rate(node: BenchNode, seconds: number): Promise<Rate> {
  await sleep(1000);
  const before = node.handledOk;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const used = process.cpuUsage(cpu);
  const n = node.handledOk - before;
  return { perSecond: n / ((performance.now() - t0) / 1000), cpuUs: (used.user + used.system) / Math.max(1, n) };
}

async function pingPong(persistence: 'disk' | 'memory'): Promise<Rate> {
  const node = await BenchNode.start({ persistence, fsync: 'always' });
  try {
    for (let i = 0; i < PAIRS; i++) {
      await node.deploy(`echo-${i}`, 'as-echo');
      await node.deploy(`ping-${i}`, 'conformance/pinger', { peer: `echo-${i}`, rounds: '1000000000' });
    }
    for (let i = 0; i < PAIRS; i++) await node.control.send({ performative: 'request', receivers: [{ name: `ping-${i}` }], content: String(CHAINS) });
    const r = await rate(node, SECONDS);
    if (node.handledOther > 0) progress(`${node.handledOther} deliveries not ok`);
    return r;
  } finally {
    await node.stop();
  }
}

/** Open-loop requests at `perSecond` (messages: request + reply = 2 × requests). */
async function latency(persistence: 'disk' | 'memory', messagesPerSecond: number): Promise<{ p50: number; p99: number; p999: number; achieved: number; samples: number }> {
  const node = await BenchNode.start({ persistence, fsync: 'always' });
  const echoes = PAIRS;
  try {
    // One sink per echo: an agent handles one message per batch, so a single sink would be the
    // bottleneck of the whole measurement.
    for (let i = 0; i < echoes; i++) {
      await node.deploy(`echo-${i}`, 'as-echo');
      await node.deploy(`sink-${i}`, 'conformance/sink');
    }
    const sentAt = new Map<string, number>();
    const samples: number[] = [];
    let measuring = false;
    node.on((e) => {
      if (e.type !== 'accepted' || e.message.performative !== 'inform' || e.message.inReplyTo === undefined) return;
      const t0 = sentAt.get(e.message.inReplyTo);
      if (t0 === undefined) return;
      sentAt.delete(e.message.inReplyTo);
      if (measuring) samples.push((performance.now() - t0) * 1000);
    }, ['accepted']);
    const requestsPerSecond = messagesPerSecond / 2;
    let sent = 0;
    let refused = 0;
    const run = async (seconds: number): Promise<void> => {
      const start = performance.now();
      let issued = 0;
      while (performance.now() - start < seconds * 1000) {
        const due = Math.floor(((performance.now() - start) / 1000) * requestsPerSecond);
        for (; issued < due; issued++) {
          const key = `r${sent++}`;
          const pair = sent % echoes;
          sentAt.set(key, performance.now());
          node.control.send({ performative: 'request', receivers: [{ name: `echo-${pair}` }], replyTo: [{ name: `sink-${pair}` }], replyWith: key, content: key })
            .catch(() => {
              refused++;
              sentAt.delete(key);
            });
        }
        await sleep(1);
      }
    };
    await run(1); // warm-up
    await sleep(200);
    measuring = true;
    const t0 = performance.now();
    const before = samples.length;
    await run(SECONDS);
    await sleep(500);
    measuring = false;
    if (refused > 0) progress(`${refused} requests refused`);
    const achieved = ((samples.length - before) * 2) / ((performance.now() - t0 - 500) / 1000);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), p999: percentile(samples, 99.9), achieved, samples: samples.length };
  } finally {
    await node.stop();
  }
}

/**
 * One sender, FANOUT sink receivers, closed loop: a command makes the sender (a conformance puppet)
 * send `count` messages to every sink — one message per receiver (`split`, the way a publisher
 * notifies subscribers) or one message addressed to all of them. A new command goes out whenever
 * fewer than `window` commands' worth of deliveries are outstanding.
 */
async function fanout(split: boolean): Promise<Rate> {
  const node = await BenchNode.start({ persistence: 'disk', fsync: 'always' });
  try {
    await node.deploy('sender', 'conformance/puppet');
    const names: string[] = [];
    for (let i = 0; i < FANOUT; i++) {
      names.push(`sink-${i}`);
      await node.deploy(`sink-${i}`, 'conformance/sink');
    }
    const count = split ? 1 : 4;
    const window = split ? 4 : 2;
    const perCommand = count * FANOUT;
    let commands = 0;
    let stop = false;
    const content = [`to=${names.join(',')}`, 'performative=inform', 'content=news', `count=${count}`, `split=${split}`].join('\n');
    const feeder = (async () => {
      while (!stop) {
        if (commands * perCommand - node.handledOk < window * perCommand) {
          commands++;
          await node.control.send({ performative: 'request', receivers: [{ name: 'sender' }], content, userParams: { 'X-puppet': 'do' } });
        } else {
          await sleep(1);
        }
      }
    })();
    const r = await rate(node, SECONDS);
    stop = true;
    await feeder;
    return r;
  } finally {
    await node.stop();
  }
}

// The machine is shared: say how busy it was, since every figure below depends on it.
const loadAtStart = loadavg()[0]!;
process.on('beforeExit', () => {
  if (reported) return;
  reported = true;
  report({ bench: 'bus', metric: 'host_load_avg_1m', value: Number(((loadAtStart + loadavg()[0]!) / 2).toFixed(1)), unit: 'runnable', note: `1-minute load average on ${cpus().length} cores, mean of start and end of this run (other work on the machine competes for the same cores)` });
});
let reported = false;

const below = (measured: number, target: number, higherIsBetter = true): boolean => (higherIsBetter ? measured < target : measured > target);

let persisted = Number.NaN;
if (ONLY.includes('persisted') || ONLY.includes('latency')) {
  progress(`persisted: ${PAIRS} pairs × ${CHAINS} chains, ${SECONDS} s`);
  const r = await pingPong('disk');
  persisted = r.perSecond;
  gc();
  if (ONLY.includes('persisted')) {
    const how = `${PAIRS} pinger/echo pairs x ${CHAINS} chains, embedded log, fsync always`;
    report({ bench: 'bus', metric: 'persisted_msgs_per_s', value: Math.round(persisted), unit: 'msg/s', target: '>= 100000 (stretch 250000)', note: `${how}${below(persisted, 100_000) ? '; below target' : ''}` });
    report({ bench: 'bus', metric: 'persisted_cpu_us_per_msg', value: Number(r.cpuUs.toFixed(1)), unit: 'us', note: `process CPU (all threads) per handled message, same run` });
  }
}
let memory = Number.NaN;
if (ONLY.includes('memory') || ONLY.includes('latency')) {
  progress(`memory: ${PAIRS} pairs × ${CHAINS} chains, ${SECONDS} s`);
  const r = await pingPong('memory');
  memory = r.perSecond;
  gc();
  if (ONLY.includes('memory')) {
    const how = `${PAIRS} pinger/echo pairs x ${CHAINS} chains, persistence memory`;
    report({ bench: 'bus', metric: 'memory_msgs_per_s', value: Math.round(memory), unit: 'msg/s', target: '>= 500000', note: `${how}${below(memory, 500_000) ? '; below target' : ''}` });
    report({ bench: 'bus', metric: 'memory_cpu_us_per_msg', value: Number(r.cpuUs.toFixed(1)), unit: 'us', note: `process CPU (all threads) per handled message, same run` });
  }
}
if (ONLY.includes('latency')) {
  for (const [persistence, max, prefix] of [['disk', persisted, ''], ['memory', memory, 'memory_']] as const) {
    const load = max / 2;
    progress(`latency (${persistence}) at ${Math.round(load)} msg/s`);
    const l = await latency(persistence, load);
    gc();
    const how = `${persistence === 'disk' ? 'embedded log, fsync always' : 'persistence memory'}; open loop at ${Math.round(load)} msg/s (half of max), achieved ${Math.round(l.achieved)}, ${l.samples} samples`;
    report({ bench: 'bus', metric: `${prefix}p50_us`, value: Math.round(l.p50), unit: 'us', note: how });
    report({ bench: 'bus', metric: `${prefix}p99_us`, value: Math.round(l.p99), unit: 'us', target: '<= 1000', note: `${how}${below(l.p99, 1000, false) ? '; above target' : ''}` });
    report({ bench: 'bus', metric: `${prefix}p999_us`, value: Math.round(l.p999), unit: 'us', note: how });
  }
}
if (ONLY.includes('fanout')) {
  progress(`fanout: 1 sender, ${FANOUT} receivers, one message per receiver, ${SECONDS} s`);
  const f = await fanout(true);
  gc();
  report({ bench: 'bus', metric: 'fanout_msgs_per_s', value: Math.round(f.perSecond), unit: 'msg/s', note: `one sender, one message per receiver to ${FANOUT} sink agents (publisher style), embedded log, fsync always; ${f.cpuUs.toFixed(1)} us CPU per message` });
  progress(`fanout: 1 sender, one message addressed to all ${FANOUT} receivers, ${SECONDS} s`);
  const m = await fanout(false);
  report({ bench: 'bus', metric: 'fanout_multi_receiver_deliveries_per_s', value: Math.round(m.perSecond), unit: 'deliveries/s', note: `one sender, each message addressed to all ${FANOUT} sinks (the message is stored once; each delivery still lowers the ${FANOUT}-name receiver list into its agent, decision 1202), embedded log, fsync always` });
}
