/**
 * Containment under attack (`npm run bench -- hostile`). A real node (startNode, sandbox shards,
 * bus, in-memory persistence to keep the disk out of the comparison) runs 100 well-behaved agents:
 * 50 pinger/echo pairs in endless request → inform chains. For each hostile kind, the neighbours'
 * handled messages per second are measured with the hostile agent deployed and fed a steady stream
 * of messages, and without it, in alternating windows; the ratio is reported (target ≥ 0.9).
 * The progress line adds what the load does not change (decision 2136): the hostile agent's share
 * of the fuel used in its window, its handlings, and the neighbours' handlings per G fuel.
 * Also: the main thread's event-loop delay p99 while hostile components are being prepared
 * (target ≤ 50 ms), and the host's RSS growth an aliasing bomb causes (target ≤ 2 × the agent's
 * memory cap): the peak growth in its window less the lesser peak growth of the windows before and
 * after it, without the bomb, with the same neighbours (decision 2114; all three are printed). Hostile agents: the repository's hostile examples and the sandbox tests' WAT agents.
 * `send_storm` (lib-send-storm.ts): a neighbour's and a bystander's probe p99 against idle while an
 * agent sends its neighbour 1,000 messages per call, operator probes refused, stop --force time.
 * `--only <kinds>` runs only those cases (`preparing`: the event-loop delay one).
 */
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { BenchResult } from './lib-output.js';
import { report } from './lib-output.js';
import { artifact } from './lib-artifacts.js';
import { BenchNode, sleep } from './lib-bus-node.js';
import { sendStorm } from './lib-send-storm.js';
import { type VerifiedArtifact } from '@caxton/core';

const PAIRS = 50;
const CHAINS = 4;
const WINDOW_S = Number(process.env['CAXTON_BENCH_HOSTILE_SECONDS'] ?? 4);
/** Messages per second the hostile agent is fed during its window. */
const FEED_PER_S = 20;
/** Operator probes per second to each of send_storm's neighbour and bystander. */
const STORM_PROBES_PER_S = Number(process.env['CAXTON_BENCH_STORM_PROBES_PER_S'] ?? 10);
/** `--only send_storm,infinite_loop,…,preparing`: run only these cases (default: all). */
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set(process.argv[onlyAt + 1]?.split(',') ?? []) : undefined;
const wanted = (kind: string): boolean => ONLY === undefined || ONLY.has(kind);

interface LiftBombs { liftBombComponent(): Promise<Uint8Array>; ATTACKS: Record<string, string>; MEMORY_CAP_PAGES: number }
interface FuelCatchers { fuelCatcherComponent(name: string): Promise<Uint8Array> }
interface Fixtures { jsProbe(name?: string): Promise<Uint8Array> }
const fixture = <T>(file: string): Promise<T> => import(new URL(`../../sandbox/dist/test/fixtures/${file}`, import.meta.url).href) as Promise<T>;

const verified = (bytes: Uint8Array): VerifiedArtifact => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
const progress = (text: string): void => void process.stderr.write(`hostile: ${text}\n`);

interface Hostile {
  kind: string;
  artifact: () => Promise<VerifiedArtifact>;
  content: string;
  limits?: { fuelPerMessage?: number; memoryPages?: number };
}

async function hostiles(): Promise<Hostile[]> {
  const lift = await fixture<LiftBombs>('lift-bombs.js');
  const fuel = await fixture<FuelCatchers>('fuel-catchers.js');
  const build = await fixture<Fixtures>('build.js');
  const liftBytes = lift.liftBombComponent().then(verified);
  return [
    { kind: 'infinite_loop', artifact: () => artifact('hostile/as-infinite-loop'), content: 'spin' },
    { kind: 'fuel_catch_all', artifact: async () => verified(await fuel.fuelCatcherComponent('catch-all-around-host-call')), content: 'spin' },
    { kind: 'memory_bomb', artifact: () => artifact('hostile/as-memory-bomb'), content: 'bomb' },
    { kind: 'alias_bomb', artifact: () => liftBytes, content: lift.ATTACKS['aliasHugeReceivers']!, limits: { memoryPages: lift.MEMORY_CAP_PAGES } },
    { kind: 'send_flood', artifact: () => liftBytes, content: lift.ATTACKS['sendFlood']!, limits: { memoryPages: lift.MEMORY_CAP_PAGES } },
    { kind: 'timer_storm', artifact: () => liftBytes, content: lift.ATTACKS['timerStorm']!, limits: { memoryPages: lift.MEMORY_CAP_PAGES } },
    { kind: 'stdout_flood', artifact: async () => verified(await build.jsProbe('flood')), content: 'flood:500', limits: { fuelPerMessage: 200_000_000, memoryPages: 160 } },
  ];
}

/**
 * The host's peak RSS growth from now until `stop()` (sampled every 10 ms), in MiB. Taken the same
 * way with and without a hostile agent, so the neighbours' own heap growth (~100k msgs/s on a
 * quiet machine) is in both and the difference is the hostile agent's.
 */
function rssGrowth(): { stop(): number } {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
  return {
    stop() {
      clearInterval(sampler);
      return (peak - before) / 2 ** 20;
    },
  };
}

/** The neighbours' handled rate over one window (deliveries to ping-/echo- agents). */
async function neighbourRate(node: BenchNode, counter: { n: number }, seconds: number): Promise<number> {
  const before = counter.n;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  return (counter.n - before) / ((performance.now() - t0) / 1000);
}

async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const node = await BenchNode.start({ persistence: 'memory' });
  const neighbours = { n: 0 };
  // Fuel on the shard by whom (decision 2136): load-independent, unlike the windows' rates.
  const fuel = { neighbours: 0, hostile: 0, hostileHandled: 0 };
  node.on((e) => {
    if (e.type !== 'handled') return;
    if (e.agent.startsWith('ping-') || e.agent.startsWith('echo-')) {
      fuel.neighbours += e.fuelUsed;
      if (e.outcome.status === 'ok') neighbours.n++;
    } else if (e.agent.startsWith('hostile-')) {
      fuel.hostile += e.fuelUsed;
      fuel.hostileHandled++;
    }
  }, ['handled']);
  try {
    for (let i = 0; i < PAIRS; i++) {
      await node.deploy(`echo-${i}`, 'as-echo');
      await node.deploy(`ping-${i}`, 'conformance/pinger', { peer: `echo-${i}`, rounds: '1000000000' });
    }
    for (let i = 0; i < PAIRS; i++) await node.sendRetrying({ performative: 'request', receivers: [{ name: `ping-${i}` }], content: String(CHAINS) });
    await sleep(1500);

    for (const h of (await hostiles()).filter((x) => wanted(x.kind))) {
      const quiet = rssGrowth();
      const without1 = await neighbourRate(node, neighbours, WINDOW_S);
      const grewWithoutMiB = quiet.stop();
      await node.control.deploy({ name: `hostile-${h.kind}`, config: {}, limits: h.limits ?? {} }, await h.artifact());
      let fed = 0;
      let refused = 0;
      const feeder = setInterval(() => {
        node.control.send({ performative: 'request', receivers: [{ name: `hostile-${h.kind}` }], content: h.content })
          .then(() => fed++, () => refused++);
      }, 1000 / FEED_PER_S);
      await sleep(500);
      const attacked = rssGrowth();
      const fuelBefore = { ...fuel };
      const handledBefore = neighbours.n;
      const withIt = await neighbourRate(node, neighbours, WINDOW_S);
      const hostileFuel = fuel.hostile - fuelBefore.hostile;
      const neighbourFuel = fuel.neighbours - fuelBefore.neighbours;
      const hostileShare = hostileFuel / Math.max(1, hostileFuel + neighbourFuel);
      const perGFuel = (neighbours.n - handledBefore) / Math.max(1, (hostileFuel + neighbourFuel) / 1e9);
      clearInterval(feeder);
      const grewWithMiB = attacked.stop();
      const status = await node.control.getAgent(`hostile-${h.kind}`);
      await node.control.stop(`hostile-${h.kind}`, { force: true });
      const after = rssGrowth();
      const without2 = await neighbourRate(node, neighbours, WINDOW_S);
      const grewAfterMiB = after.stop();
      const baseline = (without1 + without2) / 2;
      const ratio = withIt / baseline;
      progress(`${h.kind}: neighbours ${withIt.toFixed(0)}/s with, ${without1.toFixed(0)} and ${without2.toFixed(0)}/s without; hostile fed ${fed} (${refused} refused), state ${status?.state}, restarts ${status?.restarts}; in its window it used ${(hostileShare * 100).toFixed(1)}% of the shard's fuel (${fuel.hostileHandled - fuelBefore.hostileHandled} handlings), neighbours handled ${perGFuel.toFixed(0)} per G fuel`);
      out.push({ bench: 'hostile', metric: `neighbour_throughput_ratio_${h.kind}`, value: Number(ratio.toFixed(3)), unit: 'ratio', target: '>= 0.9',
        note: `100 neighbours: ${withIt.toFixed(0)} msgs/s with the hostile agent (fed ${FEED_PER_S}/s; ended ${status?.state}, ${status?.restarts ?? 0} restarts) vs ${baseline.toFixed(0)} without` });
      if (h.kind === 'alias_bomb') {
        const capMiB = ((h.limits?.memoryPages ?? 256) * 65536) / 2 ** 20;
        // Below zero (the window without grew more: GC timing) reads as no growth of the bomb's own.
        // The baseline is the lesser of the windows without the bomb: the one before it may hold the
        // neighbours' own warm-up growth when the case runs first (13–47 MiB alone, decision 2114),
        // which must not be credited to the bomb; below zero reads as no growth of the bomb's own.
        const baselineMiB = Math.min(grewWithoutMiB, grewAfterMiB);
        const grewMiB = Math.max(0, grewWithMiB - baselineMiB);
        progress(`alias_bomb: host RSS peak growth ${grewWithMiB.toFixed(1)} MiB in its window, ${grewWithoutMiB.toFixed(1)} and ${grewAfterMiB.toFixed(1)} MiB in the windows before and after it without the bomb`);
        out.push({ bench: 'hostile', metric: 'alias_bomb_rss_growth_mib', value: Number(grewMiB.toFixed(1)), unit: 'MiB', target: `<= ${2 * capMiB}`,
          note: `the bomb's share of the host's peak RSS growth: ${grewWithMiB.toFixed(1)} MiB in ${WINDOW_S} s while 64 aliases of a 4 MiB string were sent ${FEED_PER_S}/s, less ${baselineMiB.toFixed(1)} MiB, the lesser of the ${WINDOW_S} s windows before and after it without the bomb (same neighbours: ${grewWithoutMiB.toFixed(1)} and ${grewAfterMiB.toFixed(1)} MiB; 0 when that was more); the agent's cap is ${capMiB} MiB` });
      }
    }

    if (wanted('send_storm')) {
      progress('send_storm: operator probes to a neighbour and a bystander, without and with a storming agent');
      out.push(...await sendStorm(node, { windowS: WINDOW_S, feedPerS: FEED_PER_S, probesPerS: STORM_PROBES_PER_S, perCall: 1000 }, progress));
    }

    if (!wanted('preparing')) return finish(out);
    // Preparing hostile components while the node runs: the main thread's event-loop delay.
    const jco = await import('@bytecodealliance/jco');
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    for (let k = 0; k < 6; k++) {
      let types = '(type $t0 (tuple u8 u8))';
      for (let i = 1; i <= 60 + k; i++) types += ` (type $t${i} (tuple $t${i - 1} $t${i - 1}))`;
      const bomb = await jco.parse(`(component (import "caxton:agent/host@0.1.0" (instance ${types} (export "send" (func (param "message" $t${60 + k}))))))`);
      await node.control.deploy({ name: `bomb-${k}`, config: {}, limits: {} }, verified(bomb)).catch(() => undefined);
      await node.control.deploy({ name: `js-${k}`, config: {}, limits: {} }, verified(await (await fixture<Fixtures>('build.js')).jsProbe('probe'))).catch(() => undefined);
    }
    delay.disable();
    out.push({ bench: 'hostile', metric: 'event_loop_delay_p99_ms_while_preparing', value: Number((delay.percentile(99) / 1e6).toFixed(1)), unit: 'ms', target: '<= 50',
      note: `6 type-bomb components (60-65 levels of tuple<t, t>) and 6 deploys of a JS agent prepared while 100 agents run; max ${(delay.max / 1e6).toFixed(1)} ms` });
  } finally {
    await node.stop();
  }
  return finish(out);
}

function finish(out: BenchResult[]): BenchResult[] {
  for (const r of out) report(r);
  return out;
}

await run();
