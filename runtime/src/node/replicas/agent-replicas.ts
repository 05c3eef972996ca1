/**
 * Replicas behind one name on this node (decision 2010), the I/O edge around core's pure
 * `ReplicaBalancer`. Replica 1 is the agent's own sandbox instance; replicas 2..N are further
 * instances of the same version keyed `<name>#r<n>` (`#` is not allowed in agent names, so the key
 * is never a deployment), each placed on the least loaded shard. The agent keeps ONE mailbox, one
 * registry record and one identity on the bus: each work item the dispatcher hands out for the
 * agent goes to one replica, and its result is reported under the agent's own name, so commits,
 * replies, sends, attempts and dead letters are those of an agent without replicas.
 *
 * Within one batch the items of an agent are split by replica and the replicas run at once (that is
 * the throughput); each replica runs its items in batch order. The results are then read in batch
 * order and, as the executor's contract says, every item after the first that did not complete comes
 * back `skipped` (its effects dropped: the dispatcher hands it out again after the retry). Replicas
 * share no durable state, so an agent with state is refused and one that writes state while scaled
 * is scaled back to one.
 */
import {
  ConflictError,
  countOwnStateKeys,
  parseReplicaCount,
  REPLICA_LIMITS,
  ReplicaBalancer,
  ReplicaStartError,
  ReplicasBudgetError,
  ReplicasStatefulError,
  parseReplicaInstanceCap,
  type ReplicasView,
} from '@caxton/core';
import type { ExecutionResult, WorkItem } from '../../bus/executor.js';
import type { AgentRecord } from '../../storage/records.js';
import { STATE_UNSUPPORTED } from '../../storage/state-store.js';
import { ReplicaExecution } from './replica-execution.js';
import {
  activeNumbers,
  replicaKey,
  REPLICA_CONFIG_KEY,
  untilFinished,
  type AgentReplicasOptions,
  type Replica,
  type ReplicasAudit,
  type Scaled,
} from './replica-model.js';
import { agentLog, instanceLog } from '../local-agents.js';

export class AgentReplicas {
  private readonly agents = new Map<string, Scaled>();
  /**
   * One change at a time per agent (scale, the node's scale-back, removing a failed replica, and —
   * through `exclusive` — upgrade, rollback, rollout start, state import): a second waits for the
   * first and sees its outcome, so versions never mix and no replica is started into a scaling
   * that another change is removing.
   */
  private readonly changing = new Map<string, Promise<unknown>>();
  /** Agents with a scale-back or removal queued and not yet run (repeated triggers collapse into it). */
  private readonly pendingRemoval = new Set<string>();
  private audit: ReplicasAudit | undefined;
  private readonly maxInstances: number;
  /**
   * Replica instances scale-ups have been granted and not yet started: taken from the node's budget
   * at the check, synchronously, so two agents scaling at once (the lock is per agent, and an
   * instance joins `replicas` only once its init is done) cannot both pass it.
   */
  private reserved = 0;
  /** Replica units this node runs (decision 2096): they hold the same budget; set by the cluster residency. */
  private unitsHeld: () => number = () => 0;
  /**
   * Batches running on the plain path (their agents not scaled when they began): their writes are
   * in no store, no view and no `Scaled.wrote` until they come back, so a scale-up's re-check waits
   * for the ones that began before its agent was registered (decision 2010). One entry per batch,
   * not per agent: the message path pays one Set add and delete per batch, and a scale (rare) may
   * wait for a few other agents' batches too, each of which ends within one batch's handling.
   */
  private readonly plainRuns = new Set<Promise<void>>();

  /** Each batch's work handed to the replicas of scaled agents. */
  private readonly execution: ReplicaExecution;

  constructor(private readonly o: AgentReplicasOptions) {
    this.maxInstances = o.maxInstances === undefined ? REPLICA_LIMITS.maxReplicaInstances : parseReplicaInstanceCap(o.maxInstances);
    this.execution = new ReplicaExecution(o, this.agents, this.plainRuns, {
      scaleBackToOne: (s) => this.scaleBackToOne(s),
      removeFailed: (s, r) => this.removeFailed(s, r),
      queueRemoval: (s, fields, why) => this.queueRemoval(s, fields, why),
    });
  }

  /**
   * The bus's execute for a batch: items of agents not scaled run as one batch as before; each
   * scaled agent's items are split over its replicas (see ReplicaExecution).
   */
  execute(batch: readonly WorkItem[], run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>): Promise<ExecutionResult[]> {
    return this.execution.execute(batch, run);
  }

  /**
   * The node's audited control is built after the lifecycle: it hands its recorder in here, before
   * the topology restores the agents and consumes (so a start-up downgrade, and a scale-back or a
   * failed replica's removal of a restored agent, are audited from the first).
   */
  auditWith(audit: ReplicasAudit): void {
    this.audit = audit;
  }

  /**
   * `name` could not run as the `recorded` replicas of its record (`reason`): the count it runs now
   * is recorded instead, as an audited change (peer `replicas`). Start-up (above) and, in a cluster,
   * the owner following its registry record (decision 2091). No trail, or the trail refuses: the
   * record is left as it is — no change unaudited.
   */
  settleAt(name: string, recorded: number, reason: string): void {
    const audit = this.audit;
    if (audit === undefined) {
      agentLog(
        this.o.events,
        name,
        'error',
        `its record still says ${recorded} replicas, it runs as ${this.count(name)}: no audit trail to record the change in`,
      );
      return;
    }
    const at = this.count(name);
    void this.exclusive(name, async () => {
      const running = this.count(name);
      if (running !== at || running === recorded) return; // scaled again meanwhile: that scale recorded its count
      // Audit only what is written (decision 2091, review finding 7; one rule with `persist`, decision
      // 2101): an agent stopped meanwhile — the likely reason its follow failed — is no longer here, or
      // its record says what runs (a stop that keeps the queue drops the count), or the node keeps no
      // count: the trail would tell a settle that did not happen.
      if (this.o.writes?.(name, running) === false) {
        const now = this.o.current?.(name);
        const why =
          now === undefined
            ? 'stopped: nothing to settle'
            : (now.replicas ?? 1) === running
              ? `its record already says ${running}: nothing to settle`
              : 'this node keeps no replica count: nothing to settle';
        agentLog(this.o.events, name, 'info', `its record said ${recorded} replicas, ${why}`);
        return;
      }
      const fields = { replicas: String(running), recorded: String(recorded), reason };
      await audit(name, fields, async () => this.o.persist?.(name, running));
    }).catch((err: unknown) =>
      agentLog(
        this.o.events,
        name,
        'error',
        `its record still says ${recorded} replicas, it runs as ${this.count(name)}: ${(err as Error).message}`,
      ),
    );
  }

  /** The node's budget of replica instances (decision 2010), the operator's cap parsed once. */
  budget(): number {
    return this.maxInstances;
  }

  /** Replica units (decision 2096) hold this budget too: a scale counts them before it starts instances. */
  shareBudgetWith(units: () => number): void {
    this.unitsHeld = units;
  }

  /** Replica instances beyond the agents' own running on this node now, draining and starting ones included. */
  instances(): number {
    let total = this.reserved;
    for (const s of this.agents.values()) total += [...s.replicas.values()].filter((r) => r.n !== 1).length;
    return total;
  }

  /** Replicas taking new conversations (1 for an agent not scaled). */
  count(name: string): number {
    const s = this.agents.get(name);
    return s === undefined ? 1 : [...s.replicas.values()].filter((r) => !r.draining).length;
  }

  /** What `caxton agents` shows; undefined while the agent runs as one. */
  view(name: string): ReplicasView | undefined {
    const s = this.agents.get(name);
    if (s === undefined) return undefined;
    const draining = [...s.replicas.values()].filter((r) => r.draining).length;
    return { replicas: s.replicas.size - draining, draining };
  }

  /**
   * Runs `record` (the version running here) as `wanted` replicas. Up: the new replicas are started
   * (their init runs; what it did — services, timers, sends — is the agent's own instance's and is
   * not applied again). Down: the highest-numbered replicas drain (no new work; the handling in hand
   * finishes) and stop. Refused for an agent whose durable state holds entries.
   */
  async scale(record: AgentRecord, wanted: number): Promise<void> {
    const n = parseReplicaCount(wanted);
    await this.exclusive(record.name, () => this.scaleNow(record, n));
  }

  /**
   * Runs `change` once every earlier change of `name` has ended, and before any later one: the
   * per-agent operation lock. `scaleNow` must be called inside it.
   */
  async exclusive<T>(name: string, change: () => Promise<T>): Promise<T> {
    const before = this.changing.get(name) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(change);
    this.changing.set(name, run);
    try {
      return await run;
    } finally {
      if (this.changing.get(name) === run) this.changing.delete(name);
    }
  }

  /** A change of `name` is running or queued (a scale under way counts as scaled for rollouts and imports). */
  busy(name: string): boolean {
    return this.changing.has(name);
  }

  /** The scale itself; the caller holds `exclusive(record.name)`. */
  async scaleNow(record: AgentRecord, wanted: number): Promise<void> {
    const n = parseReplicaCount(wanted);
    await this.scaleInMemory(record, n);
    await this.o.persist?.(record.name, n);
  }

  /**
   * `hold`: places in the budget held for this scale already (an upgrade's drained replicas): given
   * back as the budget is checked, in the same step as the new ones are reserved.
   */
  private async scaleInMemory(record: AgentRecord, n: number, hold?: { slots: number }): Promise<void> {
    const name = record.name;
    if (n > 1) await this.refuseStateful(name);
    let s = this.agents.get(name);
    const current = this.count(name);
    if (n === current) return;
    if (n > current) {
      // The node's budget of replica instances, before any starts (every instance counts until it
      // has stopped: a draining one still holds its memory).
      if (hold !== undefined) {
        this.reserved -= hold.slots;
        hold.slots = 0;
      }
      const running = this.instances() + this.unitsHeld();
      if (running + (n - current) > this.maxInstances) throw new ReplicasBudgetError(name, n - current, running, this.maxInstances);
      // Reserved before anything awaits: what this call still holds goes back when it ends, started or not.
      let held = n - current;
      this.reserved += held;
      let inFlight: Promise<void>[] = [];
      if (s === undefined) {
        s = {
          name,
          replicas: new Map([[1, { n: 1, key: name, draining: false }]]),
          balancer: new ReplicaBalancer(REPLICA_LIMITS.maxPinnedConversations),
          inHand: new Map(),
          settled: new Set(),
          wrote: false,
        };
        this.agents.set(name, s);
        // From here on its batches run through `runScaled` (where `s.wrote` sees their writes); the
        // ones already running do not, so the re-check below waits for them to come back.
        inFlight = [...this.plainRuns];
      }
      try {
        // A replica still draining from an earlier scale-down is not taken back: new numbers go above it.
        const started: number[] = [];
        for (let i = 2; this.count(name) < n; i++) {
          if (s.replicas.has(i)) continue;
          try {
            await this.startReplica(s, record, i);
          } catch (err) {
            // All or nothing: the replicas this call started go (they have taken no work: the
            // balancer does not know them yet), so the record and what runs stay the same count.
            const before = this.count(name) - started.length;
            await this.stopDraining(
              s,
              started.map((k) => {
                const r = s!.replicas.get(k)!;
                r.draining = true;
                return r;
              }),
              `replica ${i} did not start`,
              true,
            );
            throw new ReplicaStartError(name, i, started.length, before, err);
          }
          this.reserved--;
          held--;
          started.push(i);
        }
        // Init of each replica is slow: what was checked before it may no longer hold. A state write
        // or import, or a new version, meanwhile: the new replicas go before they take any work.
        try {
          const now = this.o.current?.(name);
          if (now !== undefined && now.version !== record.version) {
            throw new ConflictError(`agent ${name} changed to version ${now.version} while its replicas started`, {
              context: { agent: name },
              hint: 'scale it again: the replicas run the version running now',
            });
          }
          // A handling that began before the scale (not yet in the view when it was first checked)
          // has come back before the view is read again: its writes are in it.
          await Promise.all(inFlight);
          if (s.wrote) throw new ReplicasStatefulError(name, 'it wrote durable state while its replicas started');
          await this.refuseStateful(name);
        } catch (err) {
          const leaving = started.map((i) => s!.replicas.get(i)!);
          for (const r of leaving) r.draining = true;
          s.balancer.setActive(activeNumbers(s));
          await this.stopDraining(s, leaving, 'the scale was refused after its replicas started', true);
          throw err;
        }
        agentLog(this.o.events, name, 'info', `scaled to ${n} replicas`);
      } finally {
        this.reserved -= held;
        // A replica that failed to start leaves the ones that did start taking work (the call is refused with why).
        s.balancer.setActive(activeNumbers(s));
        if (s.replicas.size <= 1 && this.agents.get(name) === s) this.agents.delete(name);
        this.o.messaging.wake(name);
      }
      return;
    }
    await this.drainTo(s!, n, `scaled to ${n} replica${n === 1 ? '' : 's'}`);
  }

  /** Replicas above `n` take nothing new, then stop once what they hold is finished. */
  private async drainTo(s: Scaled, n: number, why: string, force = false): Promise<void> {
    const leaving = [...s.replicas.values()]
      .filter((r) => !r.draining)
      .sort((a, b) => a.n - b.n)
      .slice(n);
    for (const r of leaving) r.draining = true;
    s.balancer.setActive(activeNumbers(s));
    await this.stopDraining(s, leaving, why, force);
  }

  /** Stops `leaving` (already marked draining and out of the balancer) once their handling in hand finished. */
  private async stopDraining(s: Scaled, leaving: readonly Replica[], why: string, force: boolean): Promise<void> {
    // Draining replicas get nothing new (the balancer skips them): once what they hold is finished
    // they can go. Only they are waited for, not the whole agent, which under sustained traffic is
    // nearly never idle. Their results are in the batch by then; the completion needs no instance.
    if (!force) await untilFinished(s, leaving);
    for (const r of leaving) {
      await this.o.host.stop(r.key, force).catch((err: unknown) => {
        agentLog(this.o.events, s.name, 'warn', `replica ${r.n} did not stop cleanly: ${(err as Error).message}`);
      });
      s.replicas.delete(r.n);
      s.inHand.delete(r.n);
    }
    if (s.replicas.size <= 1 && this.agents.get(s.name) === s) this.agents.delete(s.name);
    agentLog(this.o.events, s.name, 'info', `${why}: ${leaving.length} replica${leaving.length === 1 ? '' : 's'} drained and stopped`);
    this.o.messaging.wake(s.name);
  }

  /**
   * An upgrade or rollback of a scaled agent (decision 2176): its other replicas drain first (the
   * handlings in hand finish on the old version), `swap` replaces its own instance, and the agent
   * runs as the same count again on the version running then — the new one, or the old one when the
   * swap was refused. Never two versions at once; the count dips to one for the swap. A count that
   * cannot be started again (a replica's init, its state) is settled as what runs, audited; the
   * drained replicas' places in the node's budget stay held for them meanwhile, so another agent's
   * scale cannot take them. `after`: the record the agent runs after the swap, or why no replica
   * starts — it runs nothing (failed, stopped), or it is held by the kill switch (its count stays
   * recorded, as at a start-up while held). The caller holds `exclusive(name)`.
   */
  async aroundSwap<T>(name: string, swap: () => Promise<T>, after: () => { record: AgentRecord } | { none: string }): Promise<T> {
    const s = this.agents.get(name);
    const n = this.count(name);
    if (s === undefined || n <= 1) return swap();
    await this.drainTo(s, 1, `its version is being replaced: ${n - 1} replica${n === 2 ? '' : 's'} drain first`);
    const hold = { slots: n - 1 };
    this.reserved += hold.slots;
    try {
      return await swap();
    } finally {
      const next = after();
      if ('record' in next)
        await this.scaleInMemory(next.record, n, hold).catch((err: unknown) => {
          agentLog(this.o.events, name, 'error', `runs as ${this.count(name)} after its swap, not ${n}: ${(err as Error).message}`);
          this.settleAt(name, n, `not started again after the swap: ${(err as Error).message}`);
        });
      else agentLog(this.o.events, name, 'warn', `runs as one after its swap, its record still says ${n} replicas: ${next.none}`);
      this.reserved -= hold.slots; // what scaleInMemory did not take over
    }
  }

  /**
   * The agent stops, is upgraded away or is deployed anew: every replica but its own instance goes
   * (`force`: without waiting for the handling in hand).
   */
  async removeAll(name: string, force: boolean): Promise<void> {
    // A scale under way ends first: a replica it is starting must not outlive the agent.
    await this.exclusive(name, async () => {
      const s = this.agents.get(name);
      if (s !== undefined) await this.drainTo(s, 1, 'the agent is stopping', force);
    }).catch((err: unknown) => agentLog(this.o.events, name, 'error', `removing its replicas: ${(err as Error).message}`));
  }

  private async startReplica(s: Scaled, record: AgentRecord, n: number): Promise<void> {
    const key = replicaKey(s.name, n);
    const deployment: AgentRecord = { ...record, name: key, config: { ...record.config, [REPLICA_CONFIG_KEY]: String(n) } };
    const init = await this.o.host.start({ deployment, identity: this.o.messaging.agentId(key) });
    instanceLog(this.o.events, s.name, `replica ${n}`, init.logs);
    s.replicas.set(n, { n, key, draining: false });
  }

  /**
   * The agent wrote durable state while scaled: replicas share none, so it runs as one again. The
   * routing change is synchronous (replicas 2..N are out of the balancer before the batch is
   * answered, so a skipped item reruns on replica 1, not on the replica that wrote); stopping them,
   * the record and the audit follow in the agent's operation lock. Repeated triggers collapse.
   */
  private scaleBackToOne(s: Scaled): void {
    const leaving = [...s.replicas.values()].filter((r) => r.n !== 1 && !r.draining);
    if (leaving.length === 0) return;
    for (const r of leaving) r.draining = true;
    s.balancer.setActive(activeNumbers(s));
    this.queueRemoval(
      s,
      { replicas: '1', reason: 'the agent wrote durable state, which replicas cannot share' },
      'the agent wrote durable state, which replicas cannot share: scaled back to one',
    );
  }

  /** Replica `r` crash-looped past its restart policy: out of the balancer now, then stopped and the lower count recorded. */
  private removeFailed(s: Scaled, r: Replica): void {
    r.failed = true;
    r.draining = true;
    s.balancer.setActive(activeNumbers(s));
    agentLog(
      this.o.events,
      s.name,
      'error',
      `replica ${r.n} is failed (it crashed past its restart policy): it takes no more work and is removed`,
    );
    this.queueRemoval(
      s,
      { replicas: String(this.count(s.name)), reason: `replica ${r.n} failed (crashed past its restart policy)` },
      `replica ${r.n} failed: removed`,
    );
  }

  /**
   * Stops every draining replica of `s` and records the count that runs, in the agent's operation
   * lock, once (a second trigger before it ran joins it). Audited: if the audit trail cannot record
   * the intent, the removal still happens (the routing already changed; leaving replicas running
   * helps no one) and the failure is logged.
   */
  private queueRemoval(s: Scaled, fields: Record<string, string>, why: string): void {
    if (this.pendingRemoval.has(s.name)) return;
    this.pendingRemoval.add(s.name);
    void this.exclusive(s.name, async () => {
      this.pendingRemoval.delete(s.name);
      if (this.agents.get(s.name) !== s) return; // stopped or redeployed meanwhile: removeAll took them
      let ran = false;
      const effect = async (): Promise<void> => {
        ran = true;
        const leaving = [...s.replicas.values()].filter((r) => r.draining);
        await this.stopDraining(s, leaving, why, false);
        await this.o.persist?.(s.name, this.count(s.name));
      };
      try {
        await (this.audit === undefined ? effect() : this.audit(s.name, { ...fields, replicas: String(this.count(s.name)) }, effect));
      } catch (err) {
        if (ran) throw err;
        agentLog(this.o.events, s.name, 'error', `not audited (${(err as Error).message}): ${why}`);
        await effect();
      }
    }).catch((err: unknown) => {
      agentLog(this.o.events, s.name, 'error', `removing replicas: ${(err as Error).message}`);
    });
  }

  /**
   * Refuses a scale-up of an agent with state: own keys in its committed state (the store) or in
   * replica 1's view, which holds every write of a handling that came back, committed or still
   * settling (with early release, decision 0900, the store may not have it yet). A replica loads
   * its view from the store once, at its start: a write only in the view would stay unseen by it
   * for as long as the agent stays scaled. `elsewhere`: asked on a cluster node the agent does not
   * run on, whose read of the agent's partition is bounded (`bus.kafka.state-read-bound` past it).
   */
  async refuseStateful(name: string, elsewhere = false): Promise<void> {
    const keys = new Set<string>();
    if (this.o.state !== undefined) {
      try {
        // On a node the agent does not run on, a read of its whole partition: bounded (REPLICA_LIMITS).
        const state =
          elsewhere && this.o.state.readStateWithin !== undefined
            ? await this.o.state.readStateWithin(name, REPLICA_LIMITS.maxStateRecordsReadElsewhere)
            : await this.o.state.readState(name);
        for (const key of state.keys()) keys.add(key);
      } catch (error) {
        if ((error as { code?: string }).code !== STATE_UNSUPPORTED) throw error;
      }
    }
    // Read after the store: a write that settled meanwhile is in one or the other.
    for (const key of this.o.host.stateView?.(name)?.keys() ?? []) keys.add(key);
    // The runtime's own records (pending HTTP calls, timer-done markers) are not the agent's state.
    const entries = countOwnStateKeys(keys);
    if (entries > 0)
      throw new ReplicasStatefulError(name, `it keeps durable state (${entries}+ entries), and each replica would see its own copy`);
  }
}
