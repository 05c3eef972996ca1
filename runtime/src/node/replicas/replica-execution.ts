/**
 * Replicas' share of a batch (decision 2010): a scaled agent's items are split over its replicas
 * (each conversation to the least loaded, the balancer's choice), the replicas run at once, each
 * its items in batch order; the results come back in batch order, every item after the first that
 * did not complete `skipped`. A replica that wrote state scales the agent back to one; one whose
 * writes were dropped has its view rewound, or the agent is failed.
 */
import { ownStateWrites, ReplicaRewindError, type ReplicaLoad, type StateWrite } from '@caxton/core';
import { type ExecutionResult, type WorkItem, runSplit, unavailableResult, unrunResult } from '../../bus/executor.js';
import { agentLog } from '../local-agents.js';
import { activeNumbers, type AgentReplicasOptions, type Replica, type Scaled } from './replica-model.js';

/** The scaling steps a batch may start (AgentReplicas gives them). */
export interface ReplicaMoves {
  scaleBackToOne(s: Scaled): void;
  removeFailed(s: Scaled, r: Replica): void;
  queueRemoval(s: Scaled, fields: Record<string, string>, why: string): void;
}

export class ReplicaExecution {
  constructor(
    private readonly o: AgentReplicasOptions,
    /** The scaled agents (AgentReplicas' own map). */
    private readonly agents: ReadonlyMap<string, Scaled>,
    /** Batches on the plain path (AgentReplicas' own set: a scale-up's re-check waits for them). */
    private readonly plainRuns: Set<Promise<void>>,
    private readonly moves: ReplicaMoves,
  ) {}

  /**
   * The bus's execute for a batch: work of agents without replicas runs as one batch as before;
   * each scaled agent has its items split over its replicas, which run at once.
   */
  execute(batch: readonly WorkItem[], run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>): Promise<ExecutionResult[]> {
    if (this.agents.size === 0) return this.runPlain(batch, run);
    return runSplit(
      batch,
      (agent) => this.agents.has(agent),
      (items) => this.runPlain(items, run),
      (agent, indexes, results) => this.runScaled(this.agents.get(agent)!, batch, indexes, results, run),
    );
  }

  /** Runs work of agents not scaled as one batch, known to `plainRuns` until it came back. */
  private runPlain(
    items: readonly WorkItem[],
    run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>,
  ): Promise<ExecutionResult[]> {
    const running = run(items);
    const ended: Promise<void> = running.then(
      () => void this.plainRuns.delete(ended),
      () => void this.plainRuns.delete(ended),
    );
    this.plainRuns.add(ended);
    return running;
  }

  private async runScaled(
    s: Scaled,
    batch: readonly WorkItem[],
    indexes: number[],
    results: ExecutionResult[],
    run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>,
  ): Promise<void> {
    const byReplica = new Map<number, number[]>();
    const chosen = new Map<number, number>();
    for (const i of indexes) {
      const item = batch[i]!;
      // Timers were set by the agent's own instance (its init and its handlings' effects run there first).
      const n =
        item.kind === 'timer' ? 1 : (s.balancer.choose({ conversationId: item.delivery.message.conversationId }, this.load(s)) ?? 1);
      chosen.set(i, n);
      byReplica.set(n, [...(byReplica.get(n) ?? []), i]);
      s.inHand.set(n, (s.inHand.get(n) ?? 0) + 1);
    }
    // Replica 1's view as it is before it runs this batch: a write of it that is dropped is undone
    // from this copy (below), not from the store, which the agent's previous batch may not have
    // reached yet. (A drop needs another replica's item ahead of it, but a copy taken whenever
    // replica 1 runs keeps a wrong guess here from failing the agent; a scaled agent's view is
    // small — own keys scale it back to one — so the copy is cheap.)
    const viewBefore = byReplica.has(1) ? this.o.host.stateView?.(s.name) : undefined;
    await Promise.allSettled(
      [...byReplica].map(async ([n, group]) => {
        const key = s.replicas.get(n)?.key ?? s.name;
        try {
          const rs = await run(group.map((i) => (key === s.name ? batch[i]! : { ...batch[i]!, agent: key })));
          rs.forEach((r, k) => {
            results[group[k]!] = { ...r, agent: s.name };
          });
        } catch (err) {
          for (const i of group) results[i] = unavailableResult(batch[i]!, err);
        } finally {
          s.inHand.set(n, Math.max(0, (s.inHand.get(n) ?? 0) - group.length));
          for (const tell of [...s.settled]) tell();
        }
      }),
    );
    // The executor's contract, over the agent's items in batch order: after the first that did not
    // complete, nothing counts (the dispatcher retries it before anything behind it).
    let stopped: string | undefined;
    let wroteState = false;
    /** Replica 1's writes that will commit, in batch order, and whether a write of it was dropped. */
    const kept: StateWrite[] = [];
    let dropped = false;
    /** An item of replica 1 that writes the agent's own state is kept: the other replicas' views are stale from here on. */
    let written = false;
    const notRunning = new Set<number>();
    for (const i of indexes) {
      const item = batch[i]!;
      const n = chosen.get(i)!;
      const result = results[i]!;
      if (stopped === undefined && written && n !== 1) {
        // Replicas 2..N never see replica 1's writes (their views are their own, empty): an answer
        // computed after a kept write may rest on a stale read. It reruns on replica 1 (the others
        // are taken out below), and, by the contract, so does everything after it.
        stopped = 'not run: an earlier message of the agent wrote durable state, which this replica does not see';
      }
      if (stopped !== undefined) {
        const ran = result.outcome.status === 'ok' || result.outcome.status === 'rejected';
        if (ran && n === 1 && result.stateWrites.length > 0) dropped = true; // reserved records too: the view holds them
        if (result.outcome.status !== 'skipped') results[i] = unrunResult(item, { status: 'skipped', reason: stopped });
        continue;
      }
      const status = result.outcome.status;
      if (status === 'ok' || status === 'rejected') {
        // The runtime's own records (a pending HTTP call, keyed by its call id) commit from any
        // replica: only the agent's own keys are state that replicas cannot share.
        if (ownStateWrites(result.stateWrites).length > 0) {
          wroteState = true;
          s.wrote = true;
          if (n !== 1) {
            // Only the agent's own instance holds the agent's state view: the write is done there.
            results[i] = unrunResult(item, {
              status: 'skipped',
              reason: 'not run: a replica wrote durable state; the agent is scaled back to one',
            });
            stopped = 'not run: an earlier message of the agent did not complete';
            continue;
          }
          written = true;
        }
        if (n === 1) kept.push(...result.stateWrites);
        for (const sent of result.outbox) s.balancer.started(sent.conversationId, n);
        continue;
      }
      stopped = 'not run: an earlier message of the agent did not complete';
      if (status === 'crashed' || status === 'not-running') {
        // The retry goes to another replica: one crash of a replica does not hold a conversation.
        if (item.kind === 'delivery') s.balancer.moveOff(item.delivery.message.conversationId, n, this.load(s));
        if (n !== 1)
          agentLog(
            this.o.events,
            s.name,
            'warn',
            `replica ${n} ${status === 'crashed' ? `crashed (${result.outcome.kind})` : 'is not running'}: the message is retried on another replica`,
          );
        if (status === 'not-running' && n !== 1) notRunning.add(n);
      }
    }
    // The safety action first, synchronously, before this batch is answered: replicas 2..N take
    // nothing from the next batch on. Stopping them, the record and the audit follow (async).
    if (wroteState) this.moves.scaleBackToOne(s);
    // Crash-looped past its restart policy: a failed replica is never available again; it is
    // removed, and its conversations move to the others (all of them failed: the agent's own
    // instance is replica 1, whose failure is the agent's).
    for (const n of notRunning) {
      const r = s.replicas.get(n);
      if (r === undefined || r.draining) continue;
      if ((await this.o.host.stats(r.key).catch(() => undefined))?.state === 'failed') this.moves.removeFailed(s, r);
    }
    // Replica 1 ran a handling that wrote state and is now not committed (another replica did not
    // complete before it): its view must hold exactly what it held before this batch plus the
    // writes of this batch that commit, before it handles anything else (the agent is still in
    // this batch, so nothing else runs, and the bus's own rewind waits until it is out of it).
    if (dropped) await this.rewindView(s, viewBefore, kept);
  }

  /**
   * A view-only rewind of replica 1 (decision 2010, finding 6): its view := `before` (its view when
   * the batch began, the agent's previous batches included whether or not their commits have
   * settled) + `kept` (the writes of this batch that commit), i.e. the dropped handlings' writes
   * undone and nothing else. No store is read, so nothing races the previous batch's commit; if
   * that commit fails, the bus rewinds the agent to the store afterwards as for any agent. A rewind
   * that cannot be done fails the agent (typed, logged) and scales it back to one, audited: it never
   * runs on a view holding writes that did not commit.
   */
  private async rewindView(s: Scaled, before: ReadonlyMap<string, string> | undefined, kept: readonly StateWrite[]): Promise<void> {
    const name = s.name;
    try {
      if (before === undefined)
        throw new Error('the sandbox did not show its view before the batch (not deployed, or this node cannot read a view)');
      if (this.o.host.resetState === undefined) throw new Error('this node cannot reset a state view in place');
      const entries = new Map(before);
      for (const w of kept) {
        if (w.value === null) entries.delete(w.key);
        else entries.set(w.key, w.value);
      }
      // The shard's answer, not the pool's copy (which the reset sets itself before it asks the shard).
      if (!(await this.o.host.resetState(name, entries)))
        throw new Error('its sandbox did not apply the rewound view (its instance is gone, was replaced, or was not known to its shard)');
    } catch (err) {
      this.failOwn(s, new ReplicaRewindError(name, (err as Error).message));
    }
  }

  /**
   * Replica 1 is the agent's own instance: its failure is the agent's. The agent is marked failed
   * (no more work, its mail waits), and its other replicas are taken out at once and removed, audited.
   */
  private failOwn(s: Scaled, err: ReplicaRewindError): void {
    if (this.o.fail !== undefined) this.o.fail(s.name, err);
    else agentLog(this.o.events, s.name, 'error', err.describe());
    const leaving = [...s.replicas.values()].filter((r) => r.n !== 1 && !r.draining);
    if (leaving.length === 0) return;
    for (const r of leaving) r.draining = true;
    s.balancer.setActive(activeNumbers(s));
    this.moves.queueRemoval(
      s,
      { replicas: '1', reason: "replica 1's state view could not be rewound: the agent is failed" },
      "replica 1's state view could not be rewound: the agent is failed; its replicas are removed",
    );
  }

  private load(s: Scaled): ReplicaLoad {
    return { inHand: (r) => s.inHand.get(r) ?? 0, available: (r) => this.available(s, r) };
  }

  /** Replica `n` may take work now: not draining, not waiting out a restart, not failed past its policy. */
  private available(s: Scaled, n: number): boolean {
    const r = s.replicas.get(n);
    if (r === undefined || r.draining || r.failed === true) return false;
    return (this.o.host.restartDelay?.(r.key) ?? 0) <= 0;
  }
}
