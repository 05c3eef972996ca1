/**
 * Containment under attack (`npm run bench -- hostile`). A real node (startNode, sandbox shards,
 * bus, in-memory persistence to keep the disk out of the comparison) runs 100 well-behaved agents:
 * 50 pinger/echo pairs in endless request → inform chains. For each hostile kind, the neighbours'
 * handled messages per second are measured in ROUNDS windows with the hostile agent deployed (a
 * fresh one each round) and fed a steady stream of messages, alternating with windows without it
 * (ABAB…A); the ratio is the median of the rounds' ratios, each window with it against the mean of
 * the two without it either side (target ≥ 0.9), and the range is printed (decision 2139). So is
 * the same ratio per CPU second of the node's process, which what other processes on a shared host
 * take moves less. The progress line adds what the load does not change (decision 2136): the
 * hostile agent's share of the fuel used in its windows, its handlings, crashes and handling time,
 * and the neighbours' handlings per G fuel.
 * Also: the main thread's event-loop delay p99 while hostile components are being prepared
 * (target ≤ 50 ms), and the host's RSS growth an aliasing bomb causes (target ≤ 2 × the agent's
 * memory cap): the peak growth in its window less the lesser peak growth of the windows before and
 * after it, without the bomb, with the same neighbours (decision 2114; all are printed), the worst
 * round reported. Hostile agents: the repository's hostile examples and the sandbox tests' WAT agents.
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
import { cpuRatio, roundsFrom, summarizeRounds, wallRatio } from './lib-hostile-ratio.js';
import { type Hostile, type Round, attackedWindow, newTally, quietWindow, tallyHandlings } from './lib-hostile-windows.js';
import { sendStorm } from './lib-send-storm.js';
import type { VerifiedArtifact } from '@caxton/core';

const PAIRS = 50;
const CHAINS = 4;
const WINDOW_S = Number(process.env['CAXTON_BENCH_HOSTILE_SECONDS'] ?? 4);
/** Windows with the hostile agent per case, each between two without it (odd: the median is one of them). */
const ROUNDS = roundsFrom(process.env['CAXTON_BENCH_HOSTILE_ROUNDS']);
/** Before every window, with the agent (after its deploy) and without it (after the stop before it) alike. */
const SETTLE_MS = 500;
/** Messages per second the hostile agent is fed during its window. */
const FEED_PER_S = 20;
/** Operator probes per second to each of send_storm's neighbour and bystander. */
const STORM_PROBES_PER_S = Number(process.env['CAXTON_BENCH_STORM_PROBES_PER_S'] ?? 10);
/** `--only send_storm,infinite_loop,…,preparing`: run only these cases (default: all). */
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? new Set(process.argv[onlyAt + 1]?.split(',') ?? []) : undefined;
const wanted = (kind: string): boolean => ONLY === undefined || ONLY.has(kind);

interface LiftBombs {
  liftBombComponent(): Promise<Uint8Array>;
  ATTACKS: Record<string, string>;
  MEMORY_CAP_PAGES: number;
}
interface FuelCatchers {
  fuelCatcherComponent(name: string): Promise<Uint8Array>;
}
interface Fixtures {
  jsProbe(name?: string): Promise<Uint8Array>;
}
const fixture = <T>(file: string): Promise<T> =>
  import(new URL(`../../sandbox/dist/test/fixtures/${file}`, import.meta.url).href) as Promise<T>;

const verified = (bytes: Uint8Array): VerifiedArtifact => ({ bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
const progress = (text: string): void => void process.stderr.write(`hostile: ${text}\n`);

async function hostiles(): Promise<Hostile[]> {
  const lift = await fixture<LiftBombs>('lift-bombs.js');
  const fuel = await fixture<FuelCatchers>('fuel-catchers.js');
  const build = await fixture<Fixtures>('build.js');
  const liftBytes = lift.liftBombComponent().then(verified);
  return [
    // Not hostile: an echo agent deployed, fed and stopped like the others. Its ratio is what the
    // method itself reads when the agent costs the neighbours nothing measurable (decision 2139).
    { kind: 'control', artifact: () => artifact('as-echo'), content: 'ping', reference: true },
    { kind: 'infinite_loop', artifact: () => artifact('hostile/as-infinite-loop'), content: 'spin' },
    {
      kind: 'fuel_catch_all',
      artifact: async () => verified(await fuel.fuelCatcherComponent('catch-all-around-host-call')),
      content: 'spin',
    },
    { kind: 'memory_bomb', artifact: () => artifact('hostile/as-memory-bomb'), content: 'bomb' },
    {
      kind: 'alias_bomb',
      artifact: () => liftBytes,
      content: lift.ATTACKS['aliasHugeReceivers']!,
      limits: { memoryPages: lift.MEMORY_CAP_PAGES },
    },
    { kind: 'send_flood', artifact: () => liftBytes, content: lift.ATTACKS['sendFlood']!, limits: { memoryPages: lift.MEMORY_CAP_PAGES } },
    {
      kind: 'timer_storm',
      artifact: () => liftBytes,
      content: lift.ATTACKS['timerStorm']!,
      limits: { memoryPages: lift.MEMORY_CAP_PAGES },
    },
    {
      kind: 'stdout_flood',
      artifact: async () => verified(await build.jsProbe('flood')),
      content: 'flood:500',
      limits: { fuelPerMessage: 200_000_000, memoryPages: 160 },
    },
  ];
}

async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const node = await BenchNode.start({ persistence: 'memory' });
  // Fuel and handlings on the shard by whom (decision 2136): load-independent, unlike the windows' rates.
  const tally = newTally();
  tallyHandlings(node, tally);
  const plan = { windowS: WINDOW_S, feedPerS: FEED_PER_S, settleMs: SETTLE_MS };
  try {
    for (let i = 0; i < PAIRS; i++) {
      await node.deploy(`echo-${i}`, 'as-echo');
      await node.deploy(`ping-${i}`, 'conformance/pinger', { peer: `echo-${i}`, rounds: '1000000000' });
    }
    for (let i = 0; i < PAIRS; i++)
      await node.sendRetrying({ performative: 'request', receivers: [{ name: `ping-${i}` }], content: String(CHAINS) });
    await sleep(1500);
    const ratioCases = (await hostiles()).filter((x) => wanted(x.kind));
    // One more window, discarded: at a third of the machine's speed the neighbours still warmed up
    // through the first case's first window (×2 below the next per CPU second, decision 2139).
    if (ratioCases.length > 0) await quietWindow(tally, plan);

    for (const h of ratioCases) {
      // Built once, before the rounds: fuel_catch_all's build (binaryen, jco) takes 30–590 ms of the
      // main thread and would otherwise land in windows with the agent only (decision 2139).
      const bytes = await h.artifact();
      // ABAB…A: ROUNDS windows with the agent, each between two without it (shared with the next
      // round). One window pair cannot resolve 0.9 against 1.0 on a shared host (decision 2139:
      // adjacent windows without differed up to ×3.6 in messages per second, ×1.8 per CPU second);
      // the median of the rounds' ratios moves less, and their range, printed, says how far a run resolves.
      let before = await quietWindow(tally, plan);
      const rounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const attacked = await attackedWindow(node, tally, h, bytes, r, plan);
        const after = await quietWindow(tally, plan);
        const { load, ...rest } = attacked;
        rounds.push({
          ...rest,
          without: [before.rate, after.rate],
          withoutPerCpuS: [before.perCpuS, after.perCpuS],
          loads: [before.load, load, after.load],
          grewWithoutMiB: [before.grewMiB, after.grewMiB],
        });
        before = after;
      }
      const { ratio, range, perCpu, cpuRange } = summarizeRounds(rounds);
      const sum = (f: (x: Round) => number): number => rounds.reduce((a, x) => a + f(x), 0);
      const hostileFuel = sum((x) => x.hostileFuel);
      const shardFuel = hostileFuel + sum((x) => x.neighbourFuel);
      const hostileShare = hostileFuel / Math.max(1, shardFuel);
      const perGFuel = sum((x) => x.neighbourHandled) / Math.max(1, shardFuel / 1e9);
      const busyShare =
        sum((x) => x.hostileBusyMs) /
        Math.max(
          1,
          sum((x) => x.windowMs),
        );
      for (const x of rounds) {
        progress(
          `${h.kind}: neighbours ${x.withIt.toFixed(0)}/s with, ${x.without[0].toFixed(0)} and ${x.without[1].toFixed(0)}/s without (ratio ${wallRatio(x).toFixed(3)}); per CPU s ${x.withItPerCpuS.toFixed(0)} with, ${x.withoutPerCpuS[0].toFixed(0)} and ${x.withoutPerCpuS[1].toFixed(0)} without (ratio ${cpuRatio(x).toFixed(3)}); load ${x.loads.map((l) => l.toFixed(1)).join('/')}; hostile fed ${x.fed} (${x.refused} refused), state ${x.state}, restarts ${x.restarts}, ${x.hostileHandled} handlings (${x.hostileCrashed} crashed) using ${(x.hostileFuel / 1e6).toFixed(0)} M fuel, ${x.hostileBusyMs.toFixed(0)} ms of handling`,
        );
      }
      progress(
        `${h.kind}: ratio ${ratio.toFixed(3)} (median of ${ROUNDS}, range ${range}), per CPU s ${perCpu.toFixed(3)} (range ${cpuRange}); in its windows it used ${(hostileShare * 100).toFixed(1)}% of the shard's fuel and ${(busyShare * 100).toFixed(1)}% of the time in handlings (${sum((x) => x.hostileHandled)} handlings, ${sum((x) => x.hostileCrashed)} crashed), neighbours handled ${perGFuel.toFixed(0)} per G fuel`,
      );
      const last = rounds[rounds.length - 1]!;
      // The control is the reference the hostile cases are read against, not held to a target.
      const target = h.reference === true ? {} : { target: '>= 0.9' };
      out.push({
        bench: 'hostile',
        metric: `neighbour_throughput_ratio_${h.kind}`,
        value: Number(ratio.toFixed(3)),
        unit: 'ratio',
        ...target,
        note: `100 neighbours, median of ${ROUNDS} ${WINDOW_S} s windows with the agent (fed ${FEED_PER_S}/s; ended ${last.state}, ${last.restarts} restarts; a window includes any time after the restart policy failed the agent) each against the mean of the windows without it before and after, all after ${SETTLE_MS} ms of settling; range ${range}; handlings per CPU second of the node's process: ${perCpu.toFixed(3)} (range ${cpuRange})`,
      });
      if (h.kind === 'alias_bomb') {
        const capMiB = ((h.limits?.memoryPages ?? 256) * 65536) / 2 ** 20;
        // Below zero (the window without grew more: GC timing) reads as no growth of the bomb's own.
        // The baseline is the lesser of the windows without the bomb: the one before it may hold the
        // neighbours' own warm-up growth when the case runs first (13–47 MiB alone, decision 2114),
        // which must not be credited to the bomb. The worst round is reported: the cap is a bound.
        const grown = rounds.map((x) => Math.max(0, x.grewWithMiB - Math.min(...x.grewWithoutMiB)));
        const worst = grown.indexOf(Math.max(...grown));
        const w = rounds[worst]!;
        for (const x of rounds)
          progress(
            `alias_bomb: host RSS peak growth ${x.grewWithMiB.toFixed(1)} MiB in its window, ${x.grewWithoutMiB[0].toFixed(1)} and ${x.grewWithoutMiB[1].toFixed(1)} MiB in the windows before and after it without the bomb`,
          );
        out.push({
          bench: 'hostile',
          metric: 'alias_bomb_rss_growth_mib',
          value: Number(grown[worst]!.toFixed(1)),
          unit: 'MiB',
          target: `<= ${2 * capMiB}`,
          note: `the bomb's share of the host's peak RSS growth, the worst of ${ROUNDS} rounds: ${w.grewWithMiB.toFixed(1)} MiB in ${WINDOW_S} s while 64 aliases of a 4 MiB string were sent ${FEED_PER_S}/s, less ${Math.min(...w.grewWithoutMiB).toFixed(1)} MiB, the lesser of the ${WINDOW_S} s windows before and after it without the bomb (same neighbours: ${w.grewWithoutMiB[0].toFixed(1)} and ${w.grewWithoutMiB[1].toFixed(1)} MiB; 0 when that was more); the agent's cap is ${capMiB} MiB`,
        });
      }
    }

    if (wanted('send_storm')) {
      progress('send_storm: operator probes to a neighbour and a bystander, without and with a storming agent');
      out.push(
        ...(await sendStorm(node, { windowS: WINDOW_S, feedPerS: FEED_PER_S, probesPerS: STORM_PROBES_PER_S, perCall: 1000 }, progress)),
      );
    }

    if (!wanted('preparing')) return finish(out);
    // Preparing hostile components while the node runs: the main thread's event-loop delay.
    const jco = await import('@bytecodealliance/jco');
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    for (let k = 0; k < 6; k++) {
      let types = '(type $t0 (tuple u8 u8))';
      for (let i = 1; i <= 60 + k; i++) types += ` (type $t${i} (tuple $t${i - 1} $t${i - 1}))`;
      const bomb = await jco.parse(
        `(component (import "caxton:agent/host@0.1.0" (instance ${types} (export "send" (func (param "message" $t${60 + k}))))))`,
      );
      await node.control.deploy({ name: `bomb-${k}`, config: {}, limits: {} }, verified(bomb)).catch(() => undefined);
      await node.control
        .deploy({ name: `js-${k}`, config: {}, limits: {} }, verified(await (await fixture<Fixtures>('build.js')).jsProbe('probe')))
        .catch(() => undefined);
    }
    delay.disable();
    out.push({
      bench: 'hostile',
      metric: 'event_loop_delay_p99_ms_while_preparing',
      value: Number((delay.percentile(99) / 1e6).toFixed(1)),
      unit: 'ms',
      target: '<= 50',
      note: `6 type-bomb components (60-65 levels of tuple<t, t>) and 6 deploys of a JS agent prepared while 100 agents run; max ${(delay.max / 1e6).toFixed(1)} ms`,
    });
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
