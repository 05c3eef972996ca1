/**
 * What each host call costs the shard, against what it is charged (`npm run bench -- host-call-cost`,
 * decision 2133). In-thread sandbox, direct path, the AssemblyScript host-call agent
 * (sandbox/test/fixtures/as/host-calls.as), no node around it. Time is this thread's CPU time
 * (Linux schedstat, or `process.threadCpuUsage`), not wall time: on a shared machine another process's slice is not the call's cost.
 *  - compute: `fib:<n>` → CPU ns per fuel while the guest computes (what fuel is meant to stand for);
 *  - per call: `<call>:<n>` makes the call n times in a loop whose arguments are built once, next to
 *    `none:<n>` (the same loop without the call). The differences, ÷ n, are the call's CPU and the
 *    fuel it added (its host price plus the few guest instructions around it).
 * undercharge = (CPU per call ÷ CPU per fuel) ÷ fuel per call: 1 = the call holds the shard as long
 * as the compute its fuel would buy; 10 = ten times longer. Each figure is a batch of messages
 * (BATCH_CPU_NS); median of ROUNDS rounds (each round runs every call and its baseline, the order
 * flipped every round), range in the note.
 */
import { Engine, Sandbox, type WorkResult } from '@caxton/sandbox';

import { messageWork } from './lib-message-work.js';
import { percentile, report } from './lib-output.js';
import { readMainThreadSched } from './lib-proc-stat.js';

const ROUNDS = Number(process.env['CAXTON_BENCH_HOST_CALL_ROUNDS'] ?? 7);
const CALLS_PER_MESSAGE = 500;
const FIB = 27;
/**
 * Each figure is one batch of messages run until it has used this much CPU: the thread CPU clocks
 * Linux gives a process about itself advance in scheduler ticks (1–4 ms), so a single message is
 * far below their resolution; a 100 ms batch is within a few per cent.
 */
const BATCH_CPU_NS = 100e6;
/**
 * The messages of a batch go round this many agents (the same artifact): the directory-change
 * quota is a per-agent token bucket of at most 10,000 a second, which one agent making directory
 * changes as fast as it can would drain within a batch (and a refused change is a cheaper path).
 * 32 were too few on a fast machine: a round of four directory batches (100 changes a message,
 * tens of µs a message) asked each agent for past its bucket, and the bench stopped at
 * `deregister-service: quota exceeded`. 512 keep each agent's share under a tenth of its bucket.
 */
const AGENTS = 512;
/** Agents whose instances the warm-up runs every path of (the rest share the compiled code). */
const WARM_AGENTS = 32;

/**
 * Directory changes (services, topics) make fewer calls per message: all four together stay under
 * the per-second directory quota at its ceiling (10,000), so none of them is refused.
 */
const DIRECTORY_CALLS_PER_MESSAGE = 100;

interface Call {
  call: string;
  /** The effect list its calls must fill (so a refused call is never what is timed). */
  effect?: (r: WorkResult) => number;
  /** Calls per message (default CALLS_PER_MESSAGE). */
  n?: number;
}

const CALLS: readonly Call[] = [
  { call: 'now' },
  { call: 'new-id' },
  { call: 'log', effect: (r) => r.logs.length },
  { call: 'set-timer', effect: (r) => r.timers.length },
  { call: 'send', effect: (r) => r.outbox.length },
  { call: 'register-service', effect: (r) => r.directory.length, n: DIRECTORY_CALLS_PER_MESSAGE },
  { call: 'deregister-service', effect: (r) => r.directory.length, n: DIRECTORY_CALLS_PER_MESSAGE },
  { call: 'search-services' },
  { call: 'state.get' },
  { call: 'state.set' },
  { call: 'state.delete' },
  { call: 'state.keys' },
  { call: 'topics.subscribe', effect: (r) => r.directory.length, n: DIRECTORY_CALLS_PER_MESSAGE },
  { call: 'topics.unsubscribe', effect: (r) => r.directory.length, n: DIRECTORY_CALLS_PER_MESSAGE },
  { call: 'message-info.receiver-count' },
];

interface Fixtures {
  asHostCalls(): Promise<Uint8Array>;
  TEST_ENGINE_CACHE: string;
}
const fixtures = (): Promise<Fixtures> =>
  import(new URL('../../sandbox/dist/test/fixtures/build.js', import.meta.url).href) as Promise<Fixtures>;

type CpuUsage = () => { user: number; system: number };
const threadCpuUsage = (process as unknown as { threadCpuUsage?: CpuUsage }).threadCpuUsage?.bind(process);
/**
 * This thread's CPU time, ns: Linux schedstat where there is one (the sandbox runs on the main
 * thread here), else `threadCpuUsage`, else the process's (the same thread, nothing else runs).
 */
const cpuClock =
  readMainThreadSched() !== undefined
    ? 'thread CPU (schedstat)'
    : threadCpuUsage !== undefined
      ? 'thread CPU (threadCpuUsage)'
      : 'process CPU';
function cpuNs(): number {
  const sched = readMainThreadSched();
  if (sched !== undefined) return sched.runNs;
  const u = (threadCpuUsage ?? (() => process.cpuUsage()))();
  return (u.user + u.system) * 1000;
}

const median = (xs: number[]): number => percentile(xs, 50);
const range = (xs: number[], digits: number): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const agentName = (i: number): string => `calls-${i % AGENTS}@bench`;

/** One message, checked: it must end ok and (for a call with effects) every call must have taken effect. */
function runChecked(
  sandbox: Sandbox,
  agent: string,
  content: string,
  effect: ((r: WorkResult) => number) | undefined,
  calls: number,
): WorkResult {
  const r = sandbox.run(messageWork(agent, content));
  if (r.status !== 'ok')
    throw new Error(
      `${content}: ended ${r.status}${r.status === 'crashed' ? ` (${r.kind}: ${r.message})` : r.status === 'rejected' ? ` (${r.reason})` : ''}`,
    );
  if (effect !== undefined && effect(r) !== calls)
    throw new Error(`${content}: ${effect(r)} effects, expected ${calls} (a call was refused: raise the bench agents' limits)`);
  return r;
}

/**
 * Messages `content` until BATCH_CPU_NS of CPU is used: CPU ns and fuel per message (an average:
 * the AssemblyScript runtime's collector runs at different points in different instances).
 */
function batch(
  sandbox: Sandbox,
  content: string,
  effect: ((r: WorkResult) => number) | undefined,
  calls: number,
): { ns: number; fuel: number } {
  let messages = 0;
  let fuel = 0;
  const t0 = cpuNs();
  let t = t0;
  while (t - t0 < BATCH_CPU_NS) {
    const r = runChecked(sandbox, agentName(messages), content, effect, calls);
    fuel += r.fuelUsed;
    messages++;
    t = cpuNs();
  }
  return { ns: (t - t0) / messages, fuel: fuel / messages };
}

async function main(): Promise<void> {
  const fx = await fixtures();
  let n = 0;
  const sandbox = new Sandbox({ engine: new Engine({ cacheDir: fx.TEST_ENGINE_CACHE }), newId: () => `id-${++n}` });
  const artifact = await fx.asHostCalls();
  // Limits high enough that no call of a batch is refused (refusals are a cheaper path).
  for (let i = 0; i < AGENTS; i++) {
    await sandbox.deploy({
      name: agentName(i),
      artifact,
      limits: {
        fuelPerMessage: 10_000_000_000,
        maxOutbox: 100_000,
        sendsPerSecond: 1_000_000,
        maxTimers: 10_000,
        maxLogLines: 100_000,
        maxDirectoryOps: 10_000,
        directoryChangesPerSecond: 10_000,
      },
    });
  }
  const content = (call: string, calls: number): string => `${call}:${calls}`;
  // Warm-up: every path compiled and its caches filled before anything is timed.
  for (let i = 0; i < 2 * WARM_AGENTS; i++) {
    runChecked(sandbox, agentName(i), `fib:${FIB}`, undefined, 0);
    for (const c of [{ call: 'none' }, ...CALLS])
      runChecked(sandbox, agentName(i), content(c.call, c.n ?? CALLS_PER_MESSAGE), c.effect, c.n ?? CALLS_PER_MESSAGE);
  }
  const nsPerFuel: number[] = [];
  const samples = new Map<string, { ns: number[]; fuel: number[] }>(CALLS.map((c) => [c.call, { ns: [], fuel: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const fib = batch(sandbox, `fib:${FIB}`, undefined, 0);
    nsPerFuel.push(fib.ns / fib.fuel);
    const order = round % 2 === 0 ? CALLS : [...CALLS].reverse();
    for (const c of order) {
      const calls = c.n ?? CALLS_PER_MESSAGE;
      const runBase = (): { ns: number; fuel: number } => batch(sandbox, content('none', calls), undefined, calls);
      const runCall = (): { ns: number; fuel: number } => batch(sandbox, content(c.call, calls), c.effect, calls);
      let base, withCall;
      if (round % 2 === 0) {
        base = runBase();
        withCall = runCall();
      } else {
        withCall = runCall();
        base = runBase();
      }
      const s = samples.get(c.call)!;
      s.ns.push((withCall.ns - base.ns) / calls);
      s.fuel.push((withCall.fuel - base.fuel) / calls);
    }
  }
  const computeNsPerFuel = median(nsPerFuel);
  const how = `in-thread sandbox, direct path (AssemblyScript), ${cpuClock}, median of ${ROUNDS} rounds of ${BATCH_CPU_NS / 1e6} ms batches, ${CALLS_PER_MESSAGE} calls a message (directory changes ${DIRECTORY_CALLS_PER_MESSAGE})`;
  report({
    bench: 'host-call-cost',
    metric: 'compute_ns_per_fuel',
    value: Number(computeNsPerFuel.toFixed(3)),
    unit: 'ns/fuel',
    note: `fib(${FIB}); range ${range(nsPerFuel, 3)}; ${how}`,
  });
  for (const c of CALLS) {
    const s = samples.get(c.call)!;
    const fuel = median(s.fuel);
    const ns = median(s.ns);
    // Each round's own ratio (its call time over its fib's time per fuel), for the range.
    const ratios = s.ns.map((x, i) => x / nsPerFuel[i]! / s.fuel[i]!);
    report({
      bench: 'host-call-cost',
      metric: `${c.call}_undercharge`,
      value: Number((ns / computeNsPerFuel / fuel).toFixed(2)),
      unit: 'x',
      target: '<= 2',
      note: `${ns.toFixed(0)} ns CPU per call (range ${range(s.ns, 0)}) = ${(ns / computeNsPerFuel).toFixed(0)} fuel of compute; charged ${fuel.toFixed(1)} fuel per call (guest loop included); rounds' ratios ${range(ratios, 1)}`,
    });
  }
}

await main();
