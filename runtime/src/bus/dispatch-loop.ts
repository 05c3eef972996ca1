/**
 * The dispatch loop, the bus's own (created by `Bus.open`, decision 1101): it drains the bus's
 * mailboxes into the port's executor and applies what handling produced, in the order that keeps
 * the guarantees:
 *   1. the outbox (messages the agent sent) is appended durably,
 *   2. only then is the delivery's completion recorded.
 * A crash between 1 and 2 re-handles the delivery; the outbox gets the same derived ids and the
 * duplicates are dropped, so receivers see each message once.
 *
 * An agent is in at most one batch at a time, with a run of up to `maxPerAgent` deliveries from the
 * head of its mailbox; the sandbox stops the run at its first crash (the rest come back `skipped`)
 * and results are applied in order up to the first one that did not complete, so each agent's
 * messages stay strictly ordered (decision 0002). Batches amortise the thread hop to the sandbox
 * shards. Up to `maxInFlight` batches overlap.
 *
 * Without ownership fencing (the embedded node) an agent is let go as soon as its result is in:
 * the handled delivery leaves the queue (keeping its mailbox slot) and steps 1 and 2 complete in
 * the background while the agent handles its next message (decision 0900). Both steps still happen
 * in that order for every delivery, so a crash at any point re-handles exactly what was not
 * completed, and an agent's own messages still leave in the order it handled its input.
 *
 * State (decision 1600): a delivery's `stateWrites` ride in its completion record (step 2), so they
 * are durable exactly when the completion is, and a fenced completion writes no state. A timer has
 * no completion: its writes are committed through the state store after its outbox is durable and
 * before the timer is reported done. A commit that fails or is refused is never dropped silently:
 * a `state-not-committed` event, and the work is not completed, so it is handled again.
 *
 * In a cluster (the port gives `ownership`) step 2 is fenced (decision 0702): the completion is recorded only
 * if this node still owns the agent under the token it held when the work was taken. Otherwise the
 * delivery is left where it is, uncompleted: the agent's next owner hands it out again.
 */
import type { Delivery, StateWrite } from '@caxton/core';
import type { CompletionRecord, MessageLog } from './message-log.js';
import type { AgentStateStore } from '../storage/ports.js';
import { StateUnsupportedError, UnsupportedStateStore } from '../storage/state-store.js';
import type { ExecutionResult, WorkItem } from './executor.js';
import type { Bus } from './bus.js';
import type { Mailboxes } from './mailboxes.js';
import type { BusPort } from './port.js';
import type { BusEvents } from './events.js';
import { derivedMessageId } from './ids.js';
import { startHandleSpan, endSpan, injectMessageContext, tracerRegistered, carriesTraceContext, unsampledContextPolicy, unsampledTraceparent, copyTraceContext, traceIdsOf } from '../telemetry/trace-context.js';
import { CaxtonError, type AclMessage } from '@caxton/core';

/** How the loop sends what handling produced: the bus's own send path. */
export type OutboxSender = Pick<Bus, 'send' | 'sendPlatformReplies' | 'failureFor' | 'refusalFor'>;

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
  private readonly ready = new Set<string>();
  private readonly busy = new Set<string>();
  /** Fired timers waiting for their agent (handed out when its mailbox is empty). */
  private readonly timers = new Map<string, { token: string; timerId?: string }[]>();
  private readonly attempts = new Map<string, number>();
  private inFlight = 0;
  /** Background completions (early release) not recorded yet. */
  private settling = 0;
  /**
   * The same, per agent: an agent started again (upgrade, restart) must read state that includes
   * its last handling's writes, which ride in those completions (decision 1600).
   */
  private readonly settlingAgents = new Map<string, number>();
  private scheduled = false;
  private stopped = false;
  /**
   * The kill switch (decision 1403): while frozen no batch is handed to the sandbox. Agents with
   * work stay in `ready` and fired timers in `timers`, so a thaw picks up exactly where it stopped.
   */
  private frozen = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DispatchLoopOptions) {}

  /** An agent may have work: schedule a pass. */
  wake(agent: string): void {
    this.ready.add(agent);
    this.schedule();
  }

  fireTimer(agent: string, token: string, timerId?: string): void {
    const list = this.timers.get(agent) ?? [];
    list.push(timerId === undefined ? { token } : { token, timerId });
    this.timers.set(agent, list);
    this.wake(agent);
  }

  /** Drop fired timers not handed out yet (the agent stopped or moved; they stay persisted). */
  forgetTimers(agent: string): void {
    this.timers.delete(agent);
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Hand out no more batches; resolves once the batches in flight finished (their results applied),
   * so when it resolves no agent code runs on this node.
   */
  async freeze(): Promise<void> {
    this.frozen = true;
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
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
   * Resolves when nothing is in flight: for one agent, when it is handling nothing (upgrade, stop);
   * for the node, also when every background completion was recorded (shutdown).
   */
  async idle(agent?: string): Promise<void> {
    while (agent === undefined ? this.inFlight > 0 || this.settling > 0 : this.busy.has(agent) || this.settlingAgents.has(agent)) {
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
    for (const agent of this.ready) {
      if (batch.length >= this.opts.maxBatch) break;
      this.ready.delete(agent);
      if (this.busy.has(agent) || !this.opts.port.isRunnable(agent)) continue;
      const queued = this.opts.mailboxes.queued(agent);
      if (queued > 0) {
        const box = this.opts.mailboxes.of(agent);
        const n = Math.min(perAgent, queued, Math.max(1, this.opts.maxBatch - batch.length));
        for (let k = 0; k < n; k++) {
          const delivery = box.peekAt(k)!;
          batch.push({ kind: 'delivery', agent, delivery, attempt: (this.attempts.get(delivery.id) ?? 0) + 1 });
        }
      } else {
        const fired = this.timers.get(agent)?.shift();
        if (fired === undefined) continue;
        batch.push({ kind: 'timer', agent, ...fired });
      }
      this.busy.add(agent);
    }
    return batch;
  }

  private async run(batch: WorkItem[], tokens: (number | undefined)[] | undefined): Promise<void> {
    const recording = tracerRegistered();
    // An unsampled context is copied to what the handling sends rather than spanned (decision 1303).
    const copyUnsampled = unsampledContextPolicy() === 'copy';
    const spans = batch.map((item) =>
      item.kind === 'delivery' && (recording || carriesTraceContext(item.delivery.message))
        && !(copyUnsampled && unsampledTraceparent(item.delivery.message) !== undefined)
        ? startHandleSpan(item.delivery.message, {
            agent: item.agent,
            performative: item.delivery.message.performative,
            conversationId: item.delivery.message.conversationId,
            messageId: item.delivery.messageId,
          })
        : undefined,
    );
    // The executor itself failing (e.g. a shard died) makes every item a crash.
    const results = await this.opts.port.execute(batch).catch((err: unknown) => crashedBatch(batch, err));

    // Early release (decision 0900) needs no fencing: every agent is local and stays so.
    const early = this.opts.port.ownership === undefined;
    const completions: Delivery[] = [];
    /** State writes of the handled deliveries, committed with their completions. */
    const stateOf = new Map<string, readonly StateWrite[]>();
    /** Timers' state writes (agent, timer id, writes): committed before the timer is reported done. */
    const timerStates: [agent: string, timerId: string, writes: readonly StateWrite[]][] = [];
    const fenced = new Set<number>();
    const completionIndex = new Map<string, number>();
    const outboxSends: Promise<unknown>[] = [];
    /** Work whose outbox could not be made durable: not completed (delivery ids; agent+timer). */
    const notDurable = new Set<string>();
    const durable = (d: Delivery): boolean => !notDurable.has(d.id);
    // Agents whose run in this batch stopped at an item that did not complete: their later items
    // were not run (`skipped`) — or, if a shard reset lost them, must be treated as not run — so
    // they stay in the mailbox, in order, behind the retry, and are not attempts.
    const stopped = new Set<string>();
    /** Timers handled in this batch: forgotten only once what they sent is durable. */
    const timersDone: [agent: string, timerId: string][] = [];
    const reportTimersDone = async (): Promise<void> => {
      for (const [agent, id, writes] of timerStates) {
        if (!notDurable.has(`${agent}\u0000${id}`) && !(await this.commitTimerState(agent, id, writes))) notDurable.add(`${agent}\u0000${id}`);
      }
      for (const [agent, id] of timersDone) if (!notDurable.has(`${agent}\u0000${id}`)) this.opts.port.timerDone(agent, id);
    };
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      const result = results[i]!;
      const handle = spans[i];
      if (stopped.has(item.agent)) {
        if (handle) endSpan(handle.span, { kind: 'skipped', message: 'not run: an earlier message of the agent did not complete' });
        continue;
      }
      if (result.outcome.status !== 'ok' && result.outcome.status !== 'rejected') stopped.add(item.agent);
      if (result.outcome.status === 'skipped') {
        // Only an item after a stop is skipped; should one arrive first, it is still not an attempt.
        if (handle) endSpan(handle.span, { kind: 'skipped', message: result.outcome.reason });
        continue;
      }
      // Log lines of a handling without a span (an unsampled context) still name its trace.
      const trace = result.logs.length === 0 ? undefined
        : handle ? handle.span.spanContext()
          : item.kind === 'delivery' ? traceIdsOf(item.delivery.message) : undefined;
      for (const line of result.logs) this.opts.events.emit({ type: 'log', agent: item.agent, line, trace });
      const outcome = result.outcome;
      if (handle) {
        handle.span.setAttribute('caxton.fuel_used', result.fuelUsed);
        handle.span.setAttribute('caxton.fuel', result.fuelUsed);
        endSpan(handle.span, outcome.status === 'crashed' ? { kind: outcome.kind, message: outcome.message } : undefined);
      }
      if (item.kind === 'delivery') {
        this.opts.events.emit({
          type: 'handled', agent: item.agent, deliveryId: item.delivery.id, messageId: item.delivery.messageId,
          outcome, fuelUsed: result.fuelUsed, attempt: item.attempt, durationUs: result.durationUs,
        });
      }
      if (outcome.status === 'ok' || outcome.status === 'rejected') {
        // A durable timer fired again after a crash re-derives the same ids for what it sends.
        const parent = item.kind === 'delivery' ? item.delivery.id
          : item.timerId !== undefined ? `${item.agent}:timer:${item.timerId}` : `${item.agent}:timer:${item.token}:${Date.now()}`;
        // No span but a received context (an unsampled one): the sends carry it on unchanged.
        const carried = handle === undefined && item.kind === 'delivery' && carriesTraceContext(item.delivery.message) ? item.delivery.message : undefined;
        result.outbox.forEach((msg, index) => {
          // Injecting the trace context adds user parameters after the sandbox checked the
          // message: such a message is validated again, whole, by the bus.
          if (handle) injectMessageContext(msg, handle.ctx);
          else if (carried) copyTraceContext(carried, msg);
          outboxSends.push(this.sendOutboxMessage(item, msg, derivedMessageId(parent, index), notDurable, handle === undefined && carried === undefined));
        });
        // A failed effect (e.g. the registry unreachable for a DF change) is reported, not thrown:
        // nobody awaits run(), so a throw here would leave the agent busy forever.
        // Most handlings set no timer and change no directory entry: no promise for them.
        if (result.timers.length > 0 || result.directory.length > 0) {
          outboxSends.push(this.opts.port.applyEffects(result).catch((err: unknown) => {
            this.opts.events.emit({ type: 'log', agent: item.agent, line: { level: 'warn', message: `[caxton] effects not applied: ${(err as Error).message}`, at: Date.now() } });
          }));
        }
        if (item.kind === 'delivery') {
          if (outcome.status === 'rejected') {
            outboxSends.push(this.opts.sender.sendPlatformReplies([this.opts.sender.failureFor(item.delivery, outcome.reason, 'rejected')]));
          }
          completions.push(item.delivery);
          completionIndex.set(item.delivery.id, i);
          if (result.stateWrites.length > 0) stateOf.set(item.delivery.id, result.stateWrites);
          if (early) this.opts.mailboxes.handOff(item.delivery);
        }
      } else if (outcome.status === 'crashed' && item.kind === 'delivery') {
        this.attempts.set(item.delivery.id, item.attempt);
        if (early && item.attempt >= this.opts.maxAttempts) {
          this.opts.mailboxes.handOff(item.delivery);
          outboxSends.push(this.deadLetter(item.delivery, outcome, item.attempt).catch((err: unknown) => {
            // The delivery stays pending in the log (handed out again after a restart); here it only
            // gives its mailbox slot back.
            this.finish(item.delivery);
            this.opts.events.emit({ type: 'log', agent: item.agent, line: { level: 'warn', message: `[caxton] dead-lettering ${item.delivery.id} failed: ${(err as Error).message}`, at: Date.now() } });
          }));
        } else if (item.attempt >= this.opts.maxAttempts && this.fence([item.delivery], new Map([[item.delivery.id, i]]), tokens, fenced).length > 0) {
          // A refusal (e.g. the partition moved) leaves the delivery to whoever owns it next.
          await this.deadLetter(item.delivery, outcome, item.attempt).catch((err: unknown) => {
            this.opts.events.emit({ type: 'log', agent: item.agent, line: { level: 'warn', message: `[caxton] dead-lettering ${item.delivery.id} failed: ${(err as Error).message}`, at: Date.now() } });
          });
        }
      }
      if (item.kind === 'timer' && item.timerId !== undefined) {
        if (outcome.status === 'not-running') {
          // Not run: it waits, first in line, until the agent runs here again.
          const list = this.timers.get(item.agent) ?? [];
          list.unshift({ token: item.token, timerId: item.timerId });
          this.timers.set(item.agent, list);
        } else {
          timersDone.push([item.agent, item.timerId]);
          if ((outcome.status === 'ok' || outcome.status === 'rejected') && result.stateWrites.length > 0) timerStates.push([item.agent, item.timerId, result.stateWrites]);
        }
      }
      // not-running: the delivery stays at the head of the mailbox until the agent runs again.
    }

    if (early) {
      // The agents go now; the batch's outbox, then its completions, become durable meanwhile.
      const settlingAgents = [...new Set(completions.map((d) => d.receiver))];
      for (const agent of settlingAgents) this.settlingAgents.set(agent, (this.settlingAgents.get(agent) ?? 0) + 1);
      this.release(batch, results, fenced);
      this.settling += 1;
      void (async () => {
        await Promise.all(outboxSends);
        await reportTimersDone();
        const done = completions.filter(durable);
        if (done.length > 0) await this.recordCompletions(done, stateOf);
      })().finally(() => {
        this.settling -= 1;
        for (const agent of settlingAgents) {
          const left = this.settlingAgents.get(agent)! - 1;
          if (left === 0) this.settlingAgents.delete(agent);
          else this.settlingAgents.set(agent, left);
        }
        this.wakeIdle();
      });
      return;
    }
    await Promise.all(outboxSends);
    await reportTimersDone();
    const allowed = this.fence(completions.filter(durable), completionIndex, tokens, fenced);
    if (allowed.length > 0) await this.recordCompletions(allowed, stateOf);
    this.release(batch, results, fenced);
  }

  /**
   * Send one message of an agent's outbox. A refusal (it breaks a rule) turns into a failure to the
   * agent; a send that could not be made durable marks the work `notDurable`: what was handled must
   * not complete, or its outbox is lost. It stays pending and is handled again; its sends keep their ids.
   */
  private sendOutboxMessage(item: WorkItem, msg: AclMessage, messageId: string, notDurable: Set<string>, checked: boolean): Promise<unknown> {
    return this.opts.sender.send(msg, { agent: item.agent, checked }, messageId).catch((err: unknown) => {
      const text = (err as Error).message;
      if (isRefusal(err)) {
        this.opts.events.emit({ type: 'log', agent: item.agent, line: { level: 'warn', message: `send refused: ${text}`, at: Date.now() } });
        return this.opts.sender.sendPlatformReplies([this.opts.sender.refusalFor(item.agent, msg, text)]);
      }
      notDurable.add(item.kind === 'delivery' ? item.delivery.id : `${item.agent}\u0000${item.timerId ?? item.token}`);
      this.opts.events.emit({ type: 'log', agent: item.agent, line: { level: 'warn', message: `[caxton] outbox not durable, the work will be handled again: ${text}`, at: Date.now() } });
      return undefined;
    });
  }

  private release(batch: WorkItem[], results: ExecutionResult[], fenced: Set<number>): void {
    // A not-running agent (crash-looped, or not placed here) is parked until something wakes it
    // (new mail, an upgrade): re-polling it would spin. So is one whose completion was fenced:
    // it no longer runs here, and a later activation here wakes it.
    const parked = new Set<string>();
    for (let i = 0; i < batch.length; i++) {
      if (results[i]!.outcome.status === 'not-running' || fenced.has(i)) parked.add(batch[i]!.agent);
    }
    for (const item of batch) {
      const agent = item.agent;
      if (!this.busy.delete(agent) || parked.has(agent)) continue; // several items, one agent: once
      if (this.opts.mailboxes.queued(agent) > 0 || (this.timers.get(agent)?.length ?? 0) > 0) this.ready.add(agent);
    }
  }

  /**
   * The completions this node may still record. A fenced one stays at the head of its mailbox,
   * uncompleted: if the agent comes back here it is handled again; if its partition moved, the
   * new owner hands it out (at-least-once, and never completed by a node that lost the agent).
   */
  private fence(completions: Delivery[], index: Map<string, number>, tokens: (number | undefined)[] | undefined, fenced: Set<number>): Delivery[] {
    const own = this.opts.port.ownership;
    if (!own || !tokens) return completions;
    return completions.filter((d) => {
      const i = index.get(d.id)!;
      const token = tokens[i];
      if (token !== undefined && own.isStillOwner(d.receiver, token, own.completionWithinMs)) return true;
      fenced.add(i);
      this.opts.events.emit({ type: 'log', agent: d.receiver, line: { level: 'warn', message: `[caxton] completion of ${d.id} withheld: this node no longer owns ${d.receiver} (its next owner handles it again)`, at: Date.now() } });
      return false;
    });
  }

  /**
   * Records completions; a failure must not escape (nobody awaits run()) nor leave agents busy.
   * When the log refuses (e.g. Kafka: the partition moved to another node, or the commit kept
   * failing) the deliveries are dropped here without a 'completed' event: they are not known to
   * be durable, so the log hands them out again after a rebalance or restart (at-least-once).
   */
  private async recordCompletions(completions: Delivery[], stateOf: ReadonlyMap<string, readonly StateWrite[]>): Promise<void> {
    if (stateOf.size > 0 && !this.keepsState()) {
      // A log that keeps no state would drop the writes with the completion: such work is not
      // completed (handled again after a restart or rebalance), and says why.
      for (const d of completions.filter((c) => stateOf.has(c.id))) {
        this.finish(d);
        this.stateNotCommitted(d.receiver, d.id, new StateUnsupportedError('commit', d.receiver));
      }
      completions = completions.filter((c) => !stateOf.has(c.id));
      if (completions.length === 0) return;
    }
    const record = (d: Delivery): CompletionRecord => {
      const state = stateOf.get(d.id);
      return state === undefined ? { id: d.id, receiver: d.receiver } : { id: d.id, receiver: d.receiver, state };
    };
    try {
      await this.opts.log.complete(completions.map(record));
    } catch (err) {
      // A refused state commit must not take the batch's other completions with it: each is
      // tried alone, and only the refused ones stay uncompleted.
      if ((err as { code?: string }).code === 'log.invalid-state' && completions.length > 1) {
        for (const d of completions) await this.recordCompletions([d], stateOf);
        return;
      }
      for (const d of completions) this.finish(d);
      const e = err as { code?: string; message?: string };
      for (const d of completions) {
        if (stateOf.has(d.id)) this.stateNotCommitted(d.receiver, d.id, err);
      }
      for (const agent of new Set(completions.map((d) => d.receiver))) {
        this.opts.events.emit({ type: 'log', agent, line: { level: 'warn', message: `[caxton] completion not recorded (${e.code ?? 'error'}: ${e.message ?? String(err)}); the message may be handled again`, at: Date.now() } });
      }
      return;
    }
    for (const d of completions) this.finish(d);
    if (this.opts.events.wants('completed')) this.opts.events.emit({ type: 'completed', deliveryIds: completions.map((d) => d.id) });
  }

  /** Whether the log this loop completes into keeps agents' state (decision 1600). */
  private keepsState(): boolean {
    return this.opts.state !== undefined && !(this.opts.state instanceof UnsupportedStateStore);
  }

  /** Commit a timer's state writes; false (with a warning) if they could not be committed. */
  private async commitTimerState(agent: string, timerId: string, writes: readonly StateWrite[]): Promise<boolean> {
    try {
      if (this.opts.state === undefined) throw new StateUnsupportedError('commit', agent);
      await this.opts.state.commitState(agent, writes);
      return true;
    } catch (err) {
      this.stateNotCommitted(agent, `timer:${timerId}`, err);
      return false;
    }
  }

  private stateNotCommitted(agent: string, workId: string, err: unknown): void {
    const e = err as { code?: string; message?: string; hint?: string };
    const code = e.code ?? 'error';
    const message = e.message ?? String(err);
    const hint = e.hint ?? 'the work was not completed and is handled again after a restart; check the node\'s log storage';
    this.opts.events.emit({ type: 'state-not-committed', agent, workId, code, message, hint });
    this.opts.events.emit({ type: 'log', agent, line: { level: 'warn', message: `[caxton] state of ${workId} not committed (${code}: ${message}); it is handled again`, at: Date.now() } });
  }

  private finish(d: Delivery): void {
    this.attempts.delete(d.id);
    this.opts.mailboxes.finish(d);
  }

  private async deadLetter(d: Delivery, outcome: { kind: string; message: string }, attempts: number): Promise<void> {
    const reason = `handler crashed ${attempts} times (${outcome.kind}: ${outcome.message})`;
    await this.opts.log.deadLetter({ delivery: d, reason, attempts, at: Date.now() });
    this.finish(d);
    this.opts.events.emit({ type: 'dead-lettered', agent: d.receiver, deliveryId: d.id, reason, attempts });
    await this.opts.sender.sendPlatformReplies([this.opts.sender.failureFor(d, `message could not be handled: ${reason}`, 'dead-lettered')]);
  }
}

/** Every item of a batch the executor could not run at all, as a crash (an attempt). */
function crashedBatch(batch: readonly WorkItem[], err: unknown): ExecutionResult[] {
  return batch.map((item) => ({
    agent: item.agent,
    workId: item.kind === 'delivery' ? item.delivery.id : `timer:${item.token}`,
    outcome: { status: 'crashed', kind: 'unavailable', message: String((err as Error).message) },
    fuelUsed: 0, outbox: [], timers: [], directory: [], stateWrites: [], http: [], logs: [],
  }));
}

/** A send the bus refused for good (a rule it breaks), as opposed to one it could not persist. */
function isRefusal(err: unknown): boolean {
  return err instanceof CaxtonError && (err.code.startsWith('bus.') || err.code.startsWith('acl.') || err.code.startsWith('protocol.'));
}
