/**
 * The hostile bench's measuring windows (decision 2139): a window without the hostile agent (the
 * neighbours' rate and the host's RSS growth) and one with it deployed and fed (the same, plus
 * what the load does not change: the hostile agent's fuel, handlings, crashes and handling time).
 * hostile.ts alternates them, ABAB…A, and reports the median of the rounds' ratios.
 */
import { loadavg } from 'node:os';

import type { VerifiedArtifact } from '@caxton/core';

import { type BenchNode, sleep } from './lib-bus-node.js';
import type { RoundRates } from './lib-hostile-ratio.js';

export interface Hostile {
  kind: string;
  /** Built once per case, before its rounds (hostile.ts): a build must not land in a window. */
  artifact: () => Promise<VerifiedArtifact>;
  content: string;
  limits?: { fuelPerMessage?: number; memoryPages?: number };
  /** Not hostile: the method's reference (the control), held to no target. */
  reference?: boolean;
}

/** Running totals from the node's `handled` events, by whom (decision 2136). */
export interface ShardTally {
  /** Neighbours' handlings that completed ok. */
  neighbourHandled: number;
  neighbourFuel: number;
  hostileFuel: number;
  hostileHandled: number;
  hostileCrashed: number;
  /** The hostile agent's handling time (the sandbox's duration, instantiation included). */
  hostileBusyUs: number;
}

export const newTally = (): ShardTally => ({
  neighbourHandled: 0,
  neighbourFuel: 0,
  hostileFuel: 0,
  hostileHandled: 0,
  hostileCrashed: 0,
  hostileBusyUs: 0,
});

/** Keeps `tally` current: neighbours are `ping-`/`echo-` agents, the hostile one `hostile-`. */
export function tallyHandlings(node: BenchNode, tally: ShardTally): void {
  node.on(
    (e) => {
      if (e.type !== 'handled') return;
      if (e.agent.startsWith('ping-') || e.agent.startsWith('echo-')) {
        tally.neighbourFuel += e.fuelUsed;
        if (e.outcome.status === 'ok') tally.neighbourHandled++;
      } else if (e.agent.startsWith('hostile-')) {
        tally.hostileFuel += e.fuelUsed;
        tally.hostileHandled++;
        tally.hostileBusyUs += e.durationUs ?? 0;
        if (e.outcome.status === 'crashed') tally.hostileCrashed++;
      }
    },
    ['handled'],
  );
}

/** One window without the hostile agent. */
export interface QuietWindow {
  /** Neighbours' handled messages per second. */
  rate: number;
  /**
   * Neighbours' handled messages per CPU second of this process (all threads: the shard, the bus,
   * V8's compilers): what other processes on a shared host take moves it less than the rate per
   * second (decision 2139: adjacent windows without the agent ×1.8 per CPU second, ×3.6 per
   * second), what the hostile agent costs the process moves it.
   */
  perCpuS: number;
  /** The host's 1-minute load at the window's end. */
  load: number;
  /** The host's peak RSS growth in the window, MiB. */
  grewMiB: number;
}

/** One window with it, and the windows without it either side. */
export interface Round extends RoundRates {
  loads: [number, number, number];
  grewWithMiB: number;
  grewWithoutMiB: [number, number];
  fed: number;
  refused: number;
  state: string | undefined;
  restarts: number;
  windowMs: number;
  neighbourHandled: number;
  neighbourFuel: number;
  hostileFuel: number;
  hostileHandled: number;
  hostileCrashed: number;
  hostileBusyMs: number;
}

export interface WindowPlan {
  windowS: number;
  /** Settling before every window, with the agent (after its deploy) and without (after the stop before it). */
  settleMs: number;
  /** Messages per second the hostile agent is fed during its window. */
  feedPerS: number;
}

/**
 * The host's peak RSS growth from now until `stop()` (sampled every 10 ms), in MiB. Taken the same
 * way with and without a hostile agent, so the neighbours' own heap growth (~100k msgs/s on a
 * quiet machine) is in both and the difference is the hostile agent's.
 */
function rssGrowth(): { stop(): number } {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(sampler);
      return (peak - before) / 2 ** 20;
    },
  };
}

/** CPU seconds (user + system, all threads) this process used since `since` (process.cpuUsage()). */
const cpuSecondsSince = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};

/** One window without the agent, after the same settling as a window with it (decision 2139). */
export async function quietWindow(tally: ShardTally, plan: WindowPlan): Promise<QuietWindow> {
  await sleep(plan.settleMs);
  const rss = rssGrowth();
  const before = tally.neighbourHandled;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(plan.windowS * 1000);
  const handled = tally.neighbourHandled - before;
  const rate = handled / ((performance.now() - t0) / 1000);
  return { rate, perCpuS: handled / Math.max(1e-3, cpuSecondsSince(cpu0)), load: loadavg()[0]!, grewMiB: rss.stop() };
}

/**
 * Deploys `hostile-<kind>-<round>` from `bytes` (built once per case; a fresh agent each round: a
 * crash-looper goes through its restart policy in every window alike), feeds it, measures one window
 * after the plan's settling and stops it (force).
 */
export async function attackedWindow(
  node: BenchNode,
  tally: ShardTally,
  h: Hostile,
  bytes: VerifiedArtifact,
  round: number,
  plan: WindowPlan,
): Promise<Omit<Round, 'without' | 'withoutPerCpuS' | 'loads' | 'grewWithoutMiB'> & { load: number }> {
  const name = `hostile-${h.kind}-${round}`;
  await node.control.deploy({ name, config: {}, limits: h.limits ?? {} }, bytes);
  let fed = 0;
  let refused = 0;
  const feeder = setInterval(() => {
    node.control.send({ performative: 'request', receivers: [{ name }], content: h.content }).then(
      () => fed++,
      () => refused++,
    );
  }, 1000 / plan.feedPerS);
  await sleep(plan.settleMs);
  const rss = rssGrowth();
  const before = { ...tally };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(plan.windowS * 1000);
  const windowMs = performance.now() - t0;
  const cpuS = cpuSecondsSince(cpu0);
  const load = loadavg()[0]!;
  const d = (k: keyof ShardTally): number => tally[k] - before[k];
  clearInterval(feeder);
  const grewWithMiB = rss.stop();
  const status = await node.control.getAgent(name);
  await node.control.stop(name, { force: true });
  return {
    withIt: d('neighbourHandled') / (windowMs / 1000),
    withItPerCpuS: d('neighbourHandled') / Math.max(1e-3, cpuS),
    load,
    grewWithMiB,
    fed,
    refused,
    state: status?.state,
    restarts: status?.restarts ?? 0,
    windowMs,
    neighbourHandled: d('neighbourHandled'),
    neighbourFuel: d('neighbourFuel'),
    hostileFuel: d('hostileFuel'),
    hostileHandled: d('hostileHandled'),
    hostileCrashed: d('hostileCrashed'),
    hostileBusyMs: d('hostileBusyUs') / 1000,
  };
}
