/**
 * Which agents a shard runs next, by the fuel they burn (issue 25, decision 2136). Pure: fuel, the
 * clock and the number of agents with work are passed in; no I/O.
 *
 * The dispatch loop shares a shard by deliveries: an agent granted a large fuel budget and fed
 * steadily (the hostile bench's stdout flood: ~108 M fuel a message, 20 a second) holds the only
 * shard ~40% of the time and every agent behind it waits. Here the cost is the fuel a run used, as
 * the sandbox reports it: preemption on a loaded host does not inflate it (decision 2104 measured
 * wall time and was not landed for that).
 *
 * - *Debtor.* A run (one agent's consecutive deliveries in a batch) that used more than
 *   `fairQuantumFuel` per delivery makes its agent a debtor. Per delivery, not per run: a run holds up
 *   to 16 deliveries, and a busy agent at an ordinary few million fuel a message is not a debtor.
 *   Cheap runs are never tracked: the hot path adds their fuel to one counter and compares once.
 * - *Heavy mark.* An agent whose last completed run was past the quantum per delivery runs one
 *   delivery at a time, debtor or not (a forgiven debtor's next run is not a 16-delivery burst): a
 *   forced stop waits for at most one of its handlings. Only a completed run under the quantum clears it.
 * - *Share over a window.* The shard's fuel and each debtor's fuel are kept in two buckets of
 *   `fairWindowMs` (the current and the previous, weighed by how much of it is still inside the window),
 *   and so is the most agents seen with work at one pass (ready or running): contenders over a
 *   window, not at an instant (2104's Left). A debtor whose share of the window's fuel is above
 *   1 / contenders yields: the loop skips it while anything else can run.
 * - *Work-conserving.* Yielding is only ever a skip: when the shard has stayed idle for `fairIdleMs`
 *   with only debtors ready, the loop runs one anyway; an agent alone over the window (contenders
 *   1) never yields and runs at full speed. A debtor that stops spending drops out once its fuel has left the window (at most two
 *   windows), so a deferral is bounded by time, not by the others' traffic.
 * - *Restart policy.* Only runs that completed are charged: a run that ended in a crash never makes
 *   a debtor, so a crash-looping agent is left to its restart policy at its own pace (deferring it
 *   would slow its crashes and keep it alive past the policy, 2104's Left); nor does it clear a debt.
 */
import { DEFAULT_TRAFFIC_LIMITS, TRAFFIC_LIMIT_TABLE, type TrafficLimits } from '@caxton/core';

/**
 * The limits it works under: rows of core's TRAFFIC_LIMIT_TABLE (decision 2140), checked where the
 * node reads them (resolveTrafficLimits), set per node with `caxton serve --fair-*`.
 * - `fairQuantumFuel`: fuel per delivery past which a run makes its agent a debtor.
 * - `fairWindowMs`: one bucket of the sliding window.
 * - `fairIdleMs`: how long the shard stays idle, only deferred debtors ready, before they run
 *   anyway. Not zero: between the neighbours' batches the shard is idle for an instant while their
 *   sends are applied, and a debtor run in that instant holds the shard for its whole handling
 *   (measured: the stdout flood ran 18-32 times in a 4 s window that way instead of about once a second).
 */
export type FairnessLimits = Pick<TrafficLimits, 'fairQuantumFuel' | 'fairWindowMs' | 'fairIdleMs'>;

/** The table's defaults, for a loop built without them (an embedder's Bus, tests). */
export function fairnessLimits(given: Partial<FairnessLimits> = {}): FairnessLimits {
  return {
    fairQuantumFuel: given.fairQuantumFuel ?? DEFAULT_TRAFFIC_LIMITS.fairQuantumFuel,
    fairWindowMs: given.fairWindowMs ?? DEFAULT_TRAFFIC_LIMITS.fairWindowMs,
    fairIdleMs: given.fairIdleMs ?? DEFAULT_TRAFFIC_LIMITS.fairIdleMs,
  };
}

/**
 * What a node's dispatch loop shares by: the node's limits with one shard; off (`false`) with
 * several, because the accounting is per loop, i.e. per node (decision 2140: per-shard accounting
 * not built). Only the three fairness rows are kept of `limits`.
 */
export function nodeFairness(limits: Readonly<FairnessLimits>, shardCount: number): FairnessLimits | false {
  return shardCount > 1 ? false : fairnessLimits(limits);
}

/**
 * What a node of several shards says when its operator set fairness limits that `nodeFairness`
 * then turns off (`serve --fair-*` with more than one shard): the limits would otherwise do
 * nothing silently. Undefined when none is set or there is one shard.
 */
export function fairnessIgnoredWarning(given: Readonly<Partial<TrafficLimits>> | undefined, shardCount: number): string | undefined {
  if (shardCount <= 1 || given === undefined) return undefined;
  // The rows are the ones fairnessLimits reads: one list of them, not a second.
  const set = (Object.keys(fairnessLimits()) as (keyof FairnessLimits)[]).filter((row) => given[row] !== undefined);
  if (set.length === 0) return undefined;
  const named = set.map((row) => `traffic.${row} (serve --${TRAFFIC_LIMIT_TABLE[row].serve ?? row})`).join(', ');
  return `${named} set, but fuel-fair sharing is off on a node of ${shardCount} shards (per-shard accounting is not built, decision 2140): it has no effect; run with one shard (--shards 1) for it to apply`;
}

/** A debtor's fuel in the current and the previous bucket. */
interface Spent {
  cur: number;
  prev: number;
}

export class ShardFairness {
  private readonly quantum: number;
  private readonly windowMs: number;
  /** How long the shard stays idle before deferred debtors run anyway (the loop's timer). */
  readonly idleMs: number;
  private readonly debtors = new Map<string, Spent>();
  /** Agents whose last completed run was past the quantum per delivery: they run one delivery at a time. */
  private readonly heavy = new Set<string>();
  /** When a run of an agent that is not a debtor last completed; -Infinity before any. */
  private lastOtherRun = Number.NEGATIVE_INFINITY;
  /** Start of the current bucket; -1 before the first charge. */
  private bucketStart = -1;
  private totalCur = 0;
  private totalPrev = 0;
  private contendersCur = 0;
  private contendersPrev = 0;

  constructor(limits: Readonly<FairnessLimits>) {
    this.quantum = limits.fairQuantumFuel;
    this.windowMs = limits.fairWindowMs;
    this.idleMs = limits.fairIdleMs;
  }

  /** Whether any agent is tracked (a debtor or a heavy mark): with none, the loop asks nothing else (the normal case). */
  hasDebtors(): boolean {
    return this.debtors.size > 0 || this.heavy.size > 0;
  }

  /** Whether the agent runs one delivery at a time: its last completed run was past the quantum per delivery. */
  runsSingly(agent: string): boolean {
    return this.heavy.has(agent);
  }

  /**
   * Whether the others have not run for `idleMs` (only trickling, or none): a deferred debtor need not
   * wait for the shard to stay idle again, it runs at once.
   */
  othersQuietSince(now: number): boolean {
    return now - this.lastOtherRun >= this.idleMs;
  }

  isDebtor(agent: string): boolean {
    return this.debtors.has(agent);
  }

  /** How many agents had work (ready or running) at one pass: the most seen in the window. */
  noteContenders(n: number): void {
    if (n > this.contendersCur) this.contendersCur = n;
  }

  contenders(): number {
    return Math.max(1, this.contendersCur, this.contendersPrev);
  }

  /**
   * One agent's run of `items` deliveries in a batch used `fuel`; `completed` is false when it ended in
   * a crash. `now` is the monotonic clock the loop read for the batch (one read per batch, not per run).
   */
  charge(agent: string, fuel: number, items: number, completed: boolean, now: number): void {
    this.roll(now);
    // A crashed run is not charged (a crash-looping agent goes at its restart policy's pace) and
    // changes nothing of a debt: an occasional cheap trap must not wipe it.
    if (!completed) return;
    this.totalCur += fuel;
    const over = fuel > this.quantum * Math.max(1, items);
    if (!over && this.debtors.size === 0 && this.heavy.size === 0) {
      this.lastOtherRun = now;
      return;
    }
    if (over) this.heavy.add(agent);
    else this.heavy.delete(agent);
    const spent = this.debtors.get(agent);
    if (spent !== undefined) spent.cur += fuel;
    else if (over) this.debtors.set(agent, { cur: fuel, prev: 0 });
    else this.lastOtherRun = now;
  }

  /**
   * Whether a debtor must yield to agents that have not spent their share: its fuel in the window
   * is more than 1 / contenders of the shard's. Not a debtor (or alone): never.
   */
  yields(agent: string, now: number): boolean {
    const spent = this.debtors.get(agent);
    if (spent === undefined) return false;
    this.roll(now);
    const contenders = this.contenders();
    if (contenders <= 1) return false;
    const kept = this.keptOfPrevious(now);
    const total = this.totalCur + this.totalPrev * kept;
    if (total <= 0) return false;
    return (spent.cur + spent.prev * kept) / total > 1 / contenders;
  }

  /** The agent stopped, moved or was undeployed: nothing of it is kept. */
  forget(agent: string): void {
    this.debtors.delete(agent);
    this.heavy.delete(agent);
  }

  /** The share of the previous bucket still inside a sliding window of `windowMs` ending now. */
  private keptOfPrevious(now: number): number {
    return Math.max(0, 1 - (now - this.bucketStart) / this.windowMs);
  }

  /**
   * Starts a new bucket when the current one is over. A debtor whose bucket stayed within one
   * quantum drops out: a debtor's cheap runs alone must not keep it one (its heavy mark stays until a
   * cheap run completes).
   */
  private roll(now: number): void {
    if (this.bucketStart < 0) {
      this.bucketStart = now;
      return;
    }
    const elapsed = now - this.bucketStart;
    if (elapsed < this.windowMs) return;
    const skipped = elapsed >= 2 * this.windowMs;
    this.totalPrev = skipped ? 0 : this.totalCur;
    this.contendersPrev = skipped ? 0 : this.contendersCur;
    this.totalCur = 0;
    this.contendersCur = 0;
    this.bucketStart = skipped ? now : this.bucketStart + this.windowMs;
    for (const [agent, spent] of this.debtors) {
      spent.prev = skipped ? 0 : spent.cur;
      spent.cur = 0;
      if (spent.prev <= this.quantum) this.debtors.delete(agent);
    }
  }
}
