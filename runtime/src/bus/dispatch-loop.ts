/**
 * The dispatch loop, the bus's own (created by `Bus.open`, decision 1101): it drains the bus's
 * mailboxes into the port's executor, turns what handling produced into plans
 * (`plan/handling-plan.ts`, pure) and hands them to the applier (`applier.ts`), the one place that
 * executes plans and records completions (issue 24). What is left here is scheduling: which agents
 * are ready, batches, spans and the events that describe a handling, early release, freeze.
 *
 * An agent is in at most one batch at a time, with a run of up to `maxPerAgent` deliveries from the
 * head of its mailbox; the sandbox stops the run at its first crash (the rest come back `skipped`)
 * and the plan commits nothing of an agent after an item that did not complete, so each agent's
 * messages stay strictly ordered (decision 0002). Up to `maxInFlight` batches overlap.
 *
 * Without ownership fencing (the embedded node) an agent is let go as soon as its result is in: the
 * handled delivery leaves the queue (keeping its mailbox slot) and its plan is applied in the
 * background while the agent handles its next message (decision 0900). The applier chains each
 * agent's commits, so a later batch of the agent never commits before, or on top of a failure of,
 * an earlier one; a failed commit rewinds the agent to its committed state.
 *
 * In a cluster (the port gives `ownership`) commit points are fenced (decision 0702) by the
 * ownership token read when the work was taken; a fenced item stays where it is, uncompleted.
 */
import { isInstanceName, timerDoneStateKey } from '@caxton/core';
import type { MessageLog } from '../log/message-log.js';
import type { AgentStateStore } from '../storage/ports.js';
import { UnsupportedStateStore } from '../storage/state-store.js';
import { type ExecutionResult, type WorkItem, unavailableResult } from './executor.js';
import type { Mailboxes } from './mailboxes.js';
import type { BusPort } from './port.js';
import type { BusEvents } from './events.js';
import type { OutboxSender } from './outbox-sender.js';
import { PlanApplier } from './applier.js';
import { fairnessLimits, ShardFairness, type FairnessLimits } from './shard-fairness.js';
import { MONOTONIC_CLOCK, type FairnessClock, type FairnessTimer } from './fairness-clock.js';
import { planBatch, planInit, type PlanSettings, type WorkPlan } from './plan/handling-plan.js';
import { uniqueWallClock } from './plan/unique-wall-clock.js';
import { contentBytesOf, stateBytesOf } from './handling-cost.js';
import {
  startHandleSpan,
  endSpan,
  injectMessageContext,
  tracerRegistered,
  carriesTraceContext,
  unsampledContextPolicy,
  unsampledTraceparent,
  copyTraceContext,
  traceIdsOf,
} from '../telemetry/trace-context.js';
import { RenewedSet } from '../collections/renewed-tables.js';

export type { OutboxSender } from './outbox-sender.js';

/** How long an agent whose work was lost to a shard reset it did not cause waits before it is retried. */
const UNAVAILABLE_RETRY_MS = 20;

/** How much work the loop hands out at once. */
export interface DispatchLimits {
  /** Crashes of one delivery before it is dead-lettered (poison message). */
  maxAttempts: number;
  maxBatch: number;
  /**
   * Deliveries of one agent a batch may carry, taken in order from the head of its mailbox
   * (decision 0002). Only without ownership fencing; with it, one (a fenced delivery must stay at
   * the head). Default 1.
   */
  maxPerAgent?: number;
  maxInFlight: number;
  /** Messages of one agent's outbox started per event-loop turn (decision 2099); default from TRAFFIC_LIMIT_TABLE. */
  sendsPerTurn?: number;
  /**
   * Sharing the shard by fuel (decision 2136); its limits are core's TRAFFIC_LIMIT_TABLE rows
   * (decision 2140), the table's defaults for those not given. `false` turns it off: the accounting
   * is per dispatch loop (per node), so it holds only on a node with one shard.
   */
  fairness?: Partial<FairnessLimits> | false;
  /** Not a limit: the fair sharing's monotonic clock and idle timer; default the process's (tests inject a manual one). */
  fairnessClock?: FairnessClock;
}

export interface DispatchLoopOptions extends DispatchLimits {
  mailboxes: Mailboxes;
  sender: OutboxSender;
  port: BusPort;
  log: MessageLog;
  /** Commits timers' state writes; deliveries' go with their completion into `log`. */
  state?: AgentStateStore;
  events: BusEvents;
}

export class DispatchLoop {
  // Renewed (decision 2209): an agent comes and goes in both with every batch it runs.
  private readonly ready = new RenewedSet<string>();
  private readonly busy = new RenewedSet<string>();
  /** Fired timers waiting for their agent (handed out when its mailbox is empty). */
  private readonly timers = new Map<string, { token: string; timerId?: string | undefined; dueAt?: number | undefined }[]>();
  /** Crashes counted per delivery id; the applier records them, the loop reads them when taking work. */
  private readonly attempts = new Map<string, number>();
  private readonly applier: PlanApplier;
  /** Bumped by forgetTimers: a timer fired before that must not be queued after it. */
  private readonly timerGeneration = new Map<string, number>();
  /**
   * Done-marker reads in flight per agent: the generation matters only while one is, so both maps
   * hold an agent only meanwhile (a node passivating a million instances must not keep one entry
   * each, decision 1980).
   */
  private readonly markerReads = new Map<string, number>();
  /**
   * Agents whose last batch sent an outbox large enough to be paced (decision 2099): they get one
   * delivery per batch until a batch of theirs sends less, so neither their run on the shard (which
   * a forced stop waits for) nor the burst that follows it grows with what piled up while they
   * waited for their turns.
   */
  private readonly heavySenders = new Set<string>();
  /** Agents whose runs burn more than their share of the shard's fuel yield to the others (decision 2136). */
  private readonly fairness: ShardFairness | undefined;
  /** Set when the shard stayed idle the fairness's `fairIdleMs` with only deferred debtors ready: they run. */
  private debtorsMayRun = false;
  private debtorTimer: FairnessTimer | undefined;
  private readonly clock: FairnessClock;
  /** Names what a timer fired by hand sends: wall time, never the same reading twice (decision 2140). */
  private readonly handFiredNow = uniqueWallClock();
  /** The log's refusal of a handling's writes, asked when planning (before anything of its batch leaves). */
  private readonly commitRefusal: PlanSettings['commitRefusal'];
  private inFlight = 0;
  private scheduled = false;
  private stopped = false;
  /**
   * The kill switch (decision 1403): while frozen no batch is handed to the sandbox. Agents with
   * work stay in `ready` and fired timers in `timers`, so a thaw picks up exactly where it stopped.
   */
  private frozen = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DispatchLoopOptions) {
    this.fairness = opts.fairness === false ? undefined : new ShardFairness(fairnessLimits(opts.fairness));
    this.clock = opts.fairnessClock ?? MONOTONIC_CLOCK;
    const state = opts.state;
    this.commitRefusal =
      state?.commitRefusal === undefined
        ? undefined
        : (agent, writes, completes, clockAt) => state.commitRefusal!(agent, writes, completes, clockAt);
    this.applier = new PlanApplier({
      sender: opts.sender,
      log: opts.log,
      state: opts.state,
      port: opts.port,
      mailboxes: opts.mailboxes,
      events: opts.events,
      attempts: this.attempts,
      maxAttempts: opts.maxAttempts,
      sendsPerTurn: opts.sendsPerTurn,
      loop: {
        requeueTimer: (agent, token, timerId, dueAt) => this.requeueTimer(agent, token, timerId, dueAt),
        isBusy: (agent) => this.busy.has(agent),
        wake: (agent) => this.wake(agent),
        rewound: () => this.wakeIdle(),
        settled: () => this.wakeIdle(),
      },
    });
  }

  /** An agent may have work: schedule a pass. */
  wake(agent: string): void {
    this.ready.add(agent);
    this.schedule();
  }

  /**
   * A timer fell due. A durable timer whose firing already committed (its done marker is in the
   * agent's state: a crash came between that commit and the timer's deletion) is not handled again,
   * only forgotten (issue 24).
   */
  fireTimer(agent: string, token: string, timerId?: string, dueAt?: number): void {
    if (timerId === undefined || !this.keepsState()) {
      this.queueTimer(agent, token, timerId, dueAt);
      return;
    }
    if (this.droppedWhileCounting(agent, timerId)) return;
    // forgetTimers() while the marker is read must win: the read is tagged with the agent's generation.
    const generation = this.timerGeneration.get(agent) ?? 0;
    this.markerReads.set(agent, (this.markerReads.get(agent) ?? 0) + 1);
    const current = (): boolean => {
      const same = (this.timerGeneration.get(agent) ?? 0) === generation;
      const left = (this.markerReads.get(agent) ?? 1) - 1;
      if (left > 0) this.markerReads.set(agent, left);
      else {
        this.markerReads.delete(agent);
        this.timerGeneration.delete(agent);
      }
      return same;
    };
    void this.opts.state!.readState(agent).then(
      (view) => {
        if (!current() || this.droppedWhileCounting(agent, timerId)) return undefined;
        if (!view.has(timerDoneStateKey(timerId))) return this.queueTimer(agent, token, timerId, dueAt);
        return this.forgetHandled(agent, timerId);
      },
      () => {
        if (current()) this.queueTimer(agent, token, timerId, dueAt);
      },
    );
  }

  /**
   * A firing of a timer whose last firing's commit waits to be known to count (decision 2060) is
   * dropped: that wait decides, deleting the timer or leaving it for the partition's owner.
   */
  private droppedWhileCounting(agent: string, timerId: string): boolean {
    if (!this.applier.isCounting(agent, timerId)) return false;
    this.warn(
      agent,
      `[caxton] timer ${timerId} fired again while its last firing's commit is not yet known to count: this firing is dropped (that firing's outcome deletes the timer or leaves it for the partition's owner)`,
    );
    return true;
  }

  /**
   * A timer whose done marker is in the agent's view: its firing committed, it is only deleted. An
   * instance's in a cluster (decision 2060) only if the marker is read back from the log: one seen
   * only in this node's own commit not read yet may be void (this node a zombie), and deleting the
   * timer would lose the firing. Then it is left in the registry for the partition's owner, which
   * forgets it if the marker counts and fires it if not.
   */
  private async forgetHandled(agent: string, timerId: string): Promise<void> {
    const state = this.opts.state!;
    if (this.opts.port.ownership !== undefined && isInstanceName(agent) && state.readCounted !== undefined) {
      const read = await state.readCounted(agent).catch(() => undefined);
      if (read === undefined || !read.has(timerDoneStateKey(timerId))) {
        this.opts.port.effects.leaveTimer?.(agent, timerId);
        this.warn(
          agent,
          `[caxton] timer ${timerId} already handled here, but its commit is not yet read back from the log: left in the registry for its partition's owner, which forgets it if the commit counted and fires it if not`,
        );
        return;
      }
    }
    await this.opts.port.effects.forgetTimer(agent, timerId).catch((err: unknown) => {
      this.warn(agent, `[caxton] timer ${timerId} already handled but could not be removed: ${(err as Error).message}`);
    });
  }

  /** Start every outbox message of `agent` still waiting for a send turn, now (its stop or forget). */
  flushSends(agent: string): void {
    this.applier.flushSends(agent);
  }

  /** Drop fired timers not handed out yet (the agent stopped or moved; they stay persisted). */
  forgetTimers(agent: string): void {
    this.timers.delete(agent);
    this.heavySenders.delete(agent);
    this.fairness?.forget(agent);
    // A generation only has to outlive the marker reads in flight; with none, there is nothing to invalidate.
    if ((this.markerReads.get(agent) ?? 0) > 0) this.timerGeneration.set(agent, (this.timerGeneration.get(agent) ?? 0) + 1);
  }

  /**
   * What an agent's `init` produced (issue 24: through the applier like any handling): its log
   * lines, its sends, its pending timers re-armed and HTTP calls recovered, then its own effects.
   */
  async applyInit(init: ExecutionResult): Promise<void> {
    for (const line of init.logs) this.opts.events.emit({ type: 'log', agent: init.agent, line });
    await this.applier.applyInit(planInit(init));
  }

  stop(): void {
    this.stopped = true;
    this.clearDebtorTimer();
  }

  /**
   * Hand out no more batches; resolves once the batches in flight finished (their results applied),
   * so when it resolves no agent code runs on this node.
   */
  async freeze(): Promise<void> {
    this.frozen = true;
    this.clearDebtorTimer();
    // Handled work released early is still being applied: freeze means its effects are done too.
    while (this.inFlight > 0 || this.applier.isSettling()) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Hand out work again: everything that waited (mail, fired timers) is scheduled at once. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.schedule();
  }

  isFrozen(): boolean {
    return this.frozen;
  }

  isBusy(agent: string): boolean {
    return this.busy.has(agent);
  }

  /**
   * Resolves when nothing is in flight: for one agent, when it is handling nothing and its plans
   * are applied (upgrade, stop: its state then includes its last handling's writes); for the node,
   * when every batch and every plan is done (shutdown).
   */
  async idle(agent?: string): Promise<void> {
    while (
      agent === undefined
        ? this.inFlight > 0 || this.applier.isSettling()
        : this.busy.has(agent) || this.applier.isSettling(agent) || this.applier.isRewinding(agent)
    ) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.frozen) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    // The freeze check sits here, before a batch is taken and handed to the sandbox: a freeze takes
    // effect for the very next batch (decision 1403).
    while (!this.stopped && !this.frozen && this.inFlight < this.opts.maxInFlight && this.ready.size > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      // Tokens are read when the work is taken: a completion must be fenced by the ownership the
      // handling ran under, not by whatever ownership exists when it finishes.
      const tokens = this.opts.port.ownership ? batch.map((item) => this.opts.port.ownership!.token(item.agent)) : undefined;
      this.inFlight += 1;
      void this.run(batch, tokens).finally(() => {
        this.inFlight -= 1;
        this.wakeIdle();
        this.schedule();
      });
    }
  }

  private takeBatch(): WorkItem[] {
    const batch: WorkItem[] = [];
    // Runs of several deliveries rely on early release: a fenced delivery must stay at the head.
    const perAgent = this.opts.port.ownership === undefined ? Math.max(1, this.opts.maxPerAgent ?? 1) : 1;
    // A debtor past its share of the shard's fuel stays in `ready`, skipped (decision 2136); with no
    // debtor (the normal case) this costs one size check per pass.
    const fairness = this.fairness?.hasDebtors() ? this.fairness : undefined;
    const now = fairness !== undefined ? this.clock.now() : 0;
    // Contenders over the window are seen before any debtor exists too: without debtors by a bound
    // that costs nothing (the larger of the two sets: never more than the distinct agents), with
    // them exactly (an agent fed while it runs is in both sets and counts once).
    if (fairness !== undefined) fairness.noteContenders(this.contenders());
    else this.fairness?.noteContenders(Math.max(this.ready.size, this.busy.size));
    let deferred: string[] | undefined;
    for (const agent of this.ready) {
      if (batch.length >= this.opts.maxBatch) break;
      if (fairness?.yields(agent, now)) {
        (deferred ??= []).push(agent);
        continue;
      }
      this.takeAgent(agent, batch, perAgent);
    }
    // The shard did not stay idle: the wait starts again at the next idle instant.
    if (batch.length > 0) this.clearDebtorTimer();
    // Work-conserving: with nothing else taken and nothing in flight for `fairIdleMs`, the debtors
    // run anyway (one that cannot run leaves `ready` in takeAgent, so the next one is tried: no stall).
    // When the others have not run for `fairIdleMs` (they only trickle), they run at once.
    if (deferred !== undefined && batch.length === 0 && this.inFlight === 0) {
      if (!this.debtorsMayRun && !fairness!.othersQuietSince(now)) {
        this.debtorTimer ??= this.clock.setTimer(() => {
          this.debtorTimer = undefined;
          this.debtorsMayRun = true;
          this.schedule();
        }, fairness!.idleMs);
        return batch;
      }
      this.debtorsMayRun = false; // once: the next idle instant waits again
      for (const agent of deferred) {
        this.takeAgent(agent, batch, perAgent);
        if (batch.length > 0) break;
      }
    }
    return batch;
  }

  /**
   * Agents with work: those running and those ready but not running. One fed while it runs is in
   * both sets and counts once: a lone agent is one contender (it never yields). O(ready), only with debtors.
   */
  private contenders(): number {
    let n = this.busy.size;
    for (const agent of this.ready) if (!this.busy.has(agent)) n++;
    return n;
  }

  private clearDebtorTimer(): void {
    if (this.debtorTimer !== undefined) this.clock.clearTimer(this.debtorTimer);
    this.debtorTimer = undefined;
    this.debtorsMayRun = false;
  }

  /** Takes `agent` out of `ready` and, if it can run, a run of its work into `batch`. */
  private takeAgent(agent: string, batch: WorkItem[], perAgent: number): void {
    this.ready.delete(agent);
    // A rewinding agent gets nothing until its uncommitted work is back in place (issue 24).
    // Nor does one whose last outbox still waits for turns to be sent (decision 2099): it is woken
    // when all of it started, so its sends go at the pace the bus gets through them.
    if (this.busy.has(agent) || this.applier.isRewinding(agent) || this.applier.isPacing(agent) || !this.opts.port.isRunnable(agent))
      return;
    const queued = this.opts.mailboxes.queued(agent);
    if (queued > 0) {
      const box = this.opts.mailboxes.of(agent);
      // A heavy sender (2099) or a fuel debtor (2136) gets one delivery: its run is what others wait for.
      const single = this.heavySenders.has(agent) || (this.fairness?.hasDebtors() && this.fairness.runsSingly(agent));
      const n = Math.min(single ? 1 : perAgent, queued, Math.max(1, this.opts.maxBatch - batch.length));
      for (let k = 0; k < n; k++) {
        const delivery = box.peekAt(k)!;
        batch.push({
          kind: 'delivery',
          agent,
          delivery,
          attempt: (this.attempts.size === 0 ? 0 : (this.attempts.get(delivery.id) ?? 0)) + 1,
        });
      }
    } else {
      const fired = this.timers.get(agent)?.shift();
      if (fired === undefined) return;
      batch.push(
        fired.timerId === undefined
          ? { kind: 'timer', agent, token: fired.token, ...(fired.dueAt === undefined ? {} : { dueAt: fired.dueAt }) }
          : {
              kind: 'timer',
              agent,
              token: fired.token,
              timerId: fired.timerId,
              ...(fired.dueAt === undefined ? {} : { dueAt: fired.dueAt }),
            },
      );
    }
    this.busy.add(agent);
  }

  private async run(batch: WorkItem[], tokens: (number | undefined)[] | undefined): Promise<void> {
    const recording = tracerRegistered();
    // An unsampled context is copied to what the handling sends rather than spanned (decision 1303).
    const copyUnsampled = unsampledContextPolicy() === 'copy';
    const spans = batch.map((item) =>
      item.kind === 'delivery' &&
      (recording || carriesTraceContext(item.delivery.message)) &&
      !(copyUnsampled && unsampledTraceparent(item.delivery.message) !== undefined)
        ? startHandleSpan(item.delivery.message, {
            agent: item.agent,
            performative: item.delivery.message.performative,
            conversationId: item.delivery.message.conversationId,
            messageId: item.delivery.messageId,
          })
        : undefined,
    );
    // The executor itself failing (e.g. a shard died) makes every item a crash it did not cause.
    const results = await this.opts.port.execute(batch).catch((err: unknown) => crashedBatch(batch, err));
    this.noteHeavySenders(batch, results);
    this.chargeFuel(batch, results);

    // Early release (decision 0900) needs no fencing: every agent is local and stays so.
    const early = this.opts.port.ownership === undefined;
    const plans = planBatch(batch, results, {
      maxAttempts: this.opts.maxAttempts,
      fenced: !early,
      keepsState: this.keepsState(),
      wallNow: this.handFiredNow,
      commitRefusal: this.commitRefusal,
    });
    const unchecked = this.observe(plans, results, spans);
    if (early) {
      for (const p of plans) {
        // A refused one too: it goes on as a commit the log refused (put back by its rewind, or dead-lettered).
        if (p.item.kind === 'delivery' && (p.disposition === 'commit' || p.disposition === 'dead-letter' || p.disposition === 'refused'))
          this.opts.mailboxes.handOff(p.item.delivery);
      }
    }
    // The agents' chains are extended synchronously inside apply(): releasing them right after
    // (early) cannot let their next batch settle first.
    const applied = this.applier.apply(plans, { tokens, unchecked });
    if (early) {
      this.release(plans);
      void applied.finally(() => this.wakeIdle());
      return;
    }
    await applied;
    this.release(plans);
  }

  /**
   * What describes a handling, not what makes it durable: spans, log lines, `handled` events, and
   * the trace context every message it sent carries. Returns the items whose outbox changed after
   * the sandbox checked it (trace context added): the bus validates those again, whole.
   */
  private observe(
    plans: readonly WorkPlan[],
    results: readonly ExecutionResult[],
    spans: readonly (ReturnType<typeof startHandleSpan> | undefined)[],
  ): Set<number> {
    const unchecked = new Set<number>();
    const stopped = new Set<string>();
    for (const plan of plans) {
      const i = plan.index;
      const item = plan.item;
      const result = results[i]!;
      const handle = spans[i];
      const outcome = result.outcome;
      if (stopped.has(item.agent) || outcome.status === 'skipped') {
        if (handle)
          endSpan(handle.span, {
            kind: 'skipped',
            message: outcome.status === 'skipped' ? outcome.reason : 'not run: an earlier message of the agent did not complete',
          });
        continue;
      }
      if (outcome.status !== 'ok' && outcome.status !== 'rejected') stopped.add(item.agent);
      // Log lines of a handling without a span (an unsampled context) still name its trace.
      const trace =
        result.logs.length === 0
          ? undefined
          : handle
            ? handle.span.spanContext()
            : item.kind === 'delivery'
              ? traceIdsOf(item.delivery.message)
              : undefined;
      for (const line of result.logs) this.opts.events.emit({ type: 'log', agent: item.agent, line, trace });
      // What the handling cost in bytes (decision 2184): measured once, for its span and its event.
      const bytesSent = contentBytesOf(result.outbox);
      const stateBytesWritten = stateBytesOf(result.stateWrites);
      if (handle) {
        // What the handling cost, on its span (issue 61): a conversation's trace sums to what it cost.
        const span = handle.span;
        span.setAttribute('caxton.fuel_used', result.fuelUsed);
        span.setAttribute('caxton.fuel', result.fuelUsed);
        if (result.durationUs !== undefined) span.setAttribute('caxton.handler_us', result.durationUs);
        span.setAttribute('caxton.messages_sent', result.outbox.length);
        span.setAttribute('caxton.state_keys_written', result.stateWrites.length);
        span.setAttribute('caxton.bytes_sent', bytesSent);
        span.setAttribute('caxton.state_bytes_written', stateBytesWritten);
        span.setAttribute('caxton.http_calls', result.http.length);
        endSpan(span, outcome.status === 'crashed' ? { kind: outcome.kind, message: outcome.message } : undefined);
      }
      if (item.kind === 'delivery') {
        this.opts.events.emit({
          type: 'handled',
          agent: item.agent,
          deliveryId: item.delivery.id,
          messageId: item.delivery.messageId,
          outcome,
          fuelUsed: result.fuelUsed,
          attempt: item.attempt,
          durationUs: result.durationUs,
          conversationId: item.delivery.message.conversationId,
          messagesSent: result.outbox.length,
          bytesSent,
          stateBytesWritten,
          httpCalls: result.http.length,
        });
      } else if (this.opts.events.wants('timer-handled')) {
        // a node always listens (its handled counter, decision 2101): one event object per timer handling
        this.opts.events.emit({
          type: 'timer-handled',
          agent: item.agent,
          timerId: item.timerId,
          outcome,
          fuelUsed: result.fuelUsed,
          durationUs: result.durationUs,
          messagesSent: result.outbox.length,
          bytesSent,
          stateBytesWritten,
          httpCalls: result.http.length,
        });
      }
      if (result.outbox.length === 0 || plan.disposition !== 'commit') continue;
      // No span but a received context (an unsampled one): the sends carry it on unchanged.
      const carried =
        handle === undefined && item.kind === 'delivery' && carriesTraceContext(item.delivery.message) ? item.delivery.message : undefined;
      if (handle === undefined && carried === undefined) continue;
      for (const msg of result.outbox) {
        if (handle) injectMessageContext(msg, handle.ctx);
        else copyTraceContext(carried!, msg);
      }
      unchecked.add(i);
    }
    return unchecked;
  }

  /**
   * An agent whose handling in this batch produced a paced outbox gets one delivery per batch until
   * a batch of its sends less (decision 2099): one, because a forced stop's undeploy waits for the
   * shard's current batch, and a run of 16 piled-up 1,000-send commands would be that batch.
   */
  private noteHeavySenders(batch: readonly WorkItem[], results: readonly ExecutionResult[]): void {
    let heavy: Set<string> | undefined;
    for (const r of results) if (this.applier.isHeavy(r)) (heavy ??= new Set()).add(r.agent);
    if (heavy === undefined && this.heavySenders.size === 0) return;
    for (const item of batch) {
      if (heavy?.has(item.agent)) this.heavySenders.add(item.agent);
      else this.heavySenders.delete(item.agent);
    }
  }

  /**
   * Each agent's run in the batch (its items are consecutive, takeBatch puts them so) is charged
   * the fuel it used: one addition per result and one call per run, no allocation.
   */
  private chargeFuel(batch: readonly WorkItem[], results: readonly ExecutionResult[]): void {
    const fairness = this.fairness;
    if (fairness === undefined) return;
    // The batch's one clock read (monotonic: a wall clock stepped back would freeze the buckets'
    // roll); the plan reads the wall clock only for a timer fired by hand (decision 2140).
    const now = this.clock.now();
    let i = 0;
    while (i < results.length) {
      const agent = batch[i]!.agent;
      const start = i;
      let fuel = 0;
      let completed = true;
      for (; i < results.length && batch[i]!.agent === agent; i++) {
        const r = results[i]!;
        fuel += r.fuelUsed;
        if (r.outcome.status === 'crashed') completed = false;
      }
      fairness.charge(agent, fuel, i - start, completed, now);
    }
  }

  private release(plans: readonly WorkPlan[]): void {
    // A not-running agent (crash-looped, or not placed here) is parked until something wakes it
    // (new mail, an upgrade): re-polling it would spin. One whose work was lost to a shard reset
    // it did not cause is retried shortly, not at once (a dead executor must not spin the loop).
    const parked = new Set<string>();
    const later = new Set<string>();
    for (let k = plans.length - 1; k >= 0; k--) {
      const p = plans[k]!;
      if (p.disposition === 'park') parked.add(p.agent);
      if (p.lostToReset === true) later.add(p.agent);
      // A timer not run (or lost to a reset) waits, first in line, until the agent runs again.
      if (p.item.kind === 'timer' && (p.disposition === 'park' || p.disposition === 'requeue'))
        this.requeueTimer(p.agent, p.item.token, p.item.timerId, p.item.dueAt);
    }
    for (const p of plans) {
      const agent = p.agent;
      if (!this.busy.delete(agent)) continue; // several items, one agent: once
      // A rewinding agent is woken by its rewind once its work is back in place (or stays parked).
      const rewinding = this.applier.isRewinding(agent);
      this.applier.released(agent);
      if (parked.has(agent) || rewinding) continue;
      if (later.has(agent)) {
        setTimeout(() => this.wake(agent), UNAVAILABLE_RETRY_MS).unref();
        continue;
      }
      if (this.opts.mailboxes.queued(agent) > 0 || (this.timers.get(agent)?.length ?? 0) > 0) this.ready.add(agent);
    }
  }

  private queueTimer(agent: string, token: string, timerId: string | undefined, dueAt: number | undefined): void {
    const list = this.timers.get(agent) ?? [];
    list.push({ token, timerId, dueAt });
    this.timers.set(agent, list);
    this.wake(agent);
  }

  private requeueTimer(agent: string, token: string, timerId: string | undefined, dueAt: number | undefined): void {
    const list = this.timers.get(agent) ?? [];
    list.unshift({ token, timerId, dueAt });
    this.timers.set(agent, list);
  }

  /** Whether the log this loop completes into keeps agents' state (decision 1600). */
  private keepsState(): boolean {
    return this.opts.state !== undefined && !(this.opts.state instanceof UnsupportedStateStore);
  }

  private warn(agent: string, message: string): void {
    this.opts.events.emit({ type: 'log', agent, line: { level: 'warn', message, at: Date.now() } });
  }
}

/** Every item of a batch the executor could not run at all: lost, not the agents' fault (no attempt). */
function crashedBatch(batch: readonly WorkItem[], err: unknown): ExecutionResult[] {
  return batch.map((item) => unavailableResult(item, err));
}
