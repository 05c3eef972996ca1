/**
 * The owner's sweep of a state partition (decision 1800). Each takeover leaves a claim, and each
 * delete inside a handling commit a tagged "deleted" value, on the compacted state topic; neither is
 * ever removed by compaction. A run, by the node whose claim is the partition's latest as read:
 *
 * - tombstones keys whose newest record is a delete (or an ignored record the view agrees with),
 *   behind a sweep header under its claim in the same record batch: readers apply them only while
 *   that claim is not retired, so a run that lands after another node claimed the partition deletes
 *   nothing (the new owner re-writes what it holds, as for any ignored record);
 * - once the partition keeps more than `maxClaims` claims, re-writes under its own claim every key
 *   and marker whose newest record an older claim tagged, and, when the view as read shows none
 *   left, tombstones the older claims and their headers. Those decide nothing any more: every key's
 *   newest record is untagged or of the current claim, so a read with or without them (compaction
 *   removes them at its own pace) applies the same records. A late retirement is harmless for the
 *   same reason.
 *
 * Bounded: at most `batch` records per run, runs of one partition `intervalMs` apart, one at a time;
 * each run waits until the reader has passed what it wrote, so the next plans from it. A plan is made
 * and produced in one turn, so a commit made later lands after it (a re-write never overwrites a
 * newer value). Reported through `swept` (log line and metric) and `failed`.
 */
import { STATE_CLAIM_READ_POLL_MS, type StateSweepLimits, type StateWrite } from '@caxton/core';
import type { AppendBatcher } from './append-batcher.js';
import type { StateReader } from './state-reader.js';
import type { PartitionState, SweepPlan } from './partition-state.js';
import {
  encodeClaimTombstone,
  encodeEntry,
  encodeEntryTombstone,
  encodeMarker,
  encodeMarkerTombstone,
  encodeSweepHeader,
  encodeSweepHeaderTombstone,
  type StateMessage,
} from './state-records.js';

/** What one run wrote. */
export interface SweepReport {
  partition: number;
  /** Keys (and markers) tombstoned. */
  tombstones: number;
  /** Records re-written under the owner's claim. */
  rewritten: number;
  /** Older claims and sweep headers tombstoned. */
  retired: number;
  /** Claims the partition keeps as read when the run started. */
  claims: number;
}

export interface StateSweepDeps {
  limits: StateSweepLimits;
  reader: StateReader;
  writer: AppendBatcher<Map<number, number>>;
  /** This node's claim on the partition while it owns it (resolves once acknowledged), else undefined. */
  owner: (partition: number) => Promise<string> | undefined;
  /** Produce one agent's tagged records with our own-writes overlay (KafkaAgentState.produce). */
  produce: (
    agent: string,
    writes: readonly StateWrite[],
    records: StateMessage[],
    marker: readonly string[] | undefined,
    claim: string,
  ) => Promise<number | undefined>;
  swept?: (report: SweepReport) => void;
  failed?: (partition: number, error: unknown) => void;
  /** How long a run waits for the reader to pass what it wrote. */
  readWaitMs: number;
  /**
   * Test seam: awaited between a run's plan and its produce, so a test can hold a sweep while
   * another node takes the partition. Unset in production (the plan is produced in its own turn).
   */
  beforeProduce?: (partition: number) => Promise<void>;
}

export class StateSweeper {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly running = new Map<number, Promise<void>>();
  private readonly lastRun = new Map<number, number>();
  private stopped = false;

  constructor(private readonly d: StateSweepDeps) {}

  /** Run a sweep of the partition after `intervalMs` if it is ours, loaded, has work and none is due. */
  schedule(partition: number): void {
    if (this.stopped || this.timers.has(partition) || this.running.has(partition)) return;
    const state = this.d.reader.loaded(partition);
    if (!state || this.d.owner(partition) === undefined || !state.needsSweep(this.d.limits.maxClaims)) return;
    const wait = Math.max(0, (this.lastRun.get(partition) ?? Date.now()) + this.d.limits.intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(partition);
      const run = this.run(partition)
        .then(
          (report) => report && this.d.swept?.(report),
          (e: unknown) => this.d.failed?.(partition, e),
        )
        .finally(() => {
          this.running.delete(partition);
          this.lastRun.set(partition, Date.now());
          this.schedule(partition);
        });
      this.running.set(partition, run);
    }, wait);
    timer.unref();
    this.timers.set(partition, timer);
  }

  /** No more runs; resolves when those under way have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }

  /** One bounded run; undefined when it wrote nothing (not the owner, nothing to do). */
  async run(partition: number): Promise<SweepReport | undefined> {
    const state = this.d.reader.loaded(partition);
    const tenure = this.d.owner(partition);
    if (!state || !tenure) return undefined;
    const claim = await tenure;
    // Only the partition's latest claimant as read sweeps: the plan is judged by what that claim decides.
    if (this.stopped || state.claim !== claim || this.d.reader.loaded(partition) !== state || this.d.owner(partition) !== tenure)
      return undefined;
    const claims = state.claims.length;
    const plan = state.sweepPlan(this.d.limits.maxClaims, this.d.limits.batch);
    if (this.d.beforeProduce) await this.d.beforeProduce(partition);
    const { writes, report } = this.produce(partition, claim, plan, claims);
    if (writes.length === 0) return undefined;
    const offsets = (await Promise.all(writes)).filter((o): o is number => o !== undefined);
    if (offsets.length > 0) await this.untilRead(partition, state, Math.max(...offsets));
    return report;
  }

  /** Append every record of the plan in this turn (appends keep their order in the batcher). */
  private produce(
    partition: number,
    claim: string,
    plan: SweepPlan,
    claims: number,
  ): { writes: Promise<number | undefined>[]; report: SweepReport } {
    const writes: Promise<number | undefined>[] = [];
    const append = (records: StateMessage[]): Promise<number | undefined> =>
      this.d.writer.append(records.map((r) => ({ key: r.key, value: r.value, partition }))).then((offsets) => offsets.get(partition));
    if (plan.tombstones.length > 0) {
      // One append: the header and its tombstones go out in one record batch, at consecutive offsets.
      const tombstones = plan.tombstones.map((t) =>
        t.key === null ? encodeMarkerTombstone(t.agent) : encodeEntryTombstone(t.agent, t.key),
      );
      writes.push(append([encodeSweepHeader(claim, tombstones.length), ...tombstones]));
    }
    let rewritten = 0;
    for (const r of plan.rewrites) {
      const records = r.writes.map((w) => encodeEntry(r.agent, w, claim));
      if (r.marker !== undefined) records.push(encodeMarker(r.agent, r.marker, claim));
      rewritten += records.length;
      writes.push(this.d.produce(r.agent, r.writes, records, r.marker, claim));
    }
    const retired = [...plan.retire.claims.map(encodeClaimTombstone), ...plan.retire.headers.map(encodeSweepHeaderTombstone)];
    if (retired.length > 0) writes.push(append(retired));
    return { writes, report: { partition, tombstones: plan.tombstones.length, rewritten, retired: retired.length, claims } };
  }

  private async untilRead(partition: number, state: PartitionState, offset: number): Promise<void> {
    const deadline = Date.now() + this.d.readWaitMs;
    while (state.at < offset && this.d.reader.holding(partition) === state && Date.now() < deadline && !this.stopped) {
      await new Promise((r) => setTimeout(r, STATE_CLAIM_READ_POLL_MS).unref());
    }
  }
}
