/**
 * The applier (issue 24): the one place that executes handling plans (`plan/handling-plan.ts`)
 * against the log, the registry and the HTTP gateway, and the only writer of completions.
 *
 * Per item it runs the plan's steps in order. Per agent, commit points are chained: an agent's
 * commit waits for the outcome of its previous one (`AgentChains`), so two batches of one agent
 * can never become durable out of order, and a commit that fails takes down every later handling
 * of the agent that saw its writes. Such an agent is *rewound*: once nothing of it is in flight,
 * its sandbox's state view is reset to what is committed, the handlings that did not commit go
 * back to the head of its mailbox in their order (timers to the head of its fired timers), and it
 * runs again — so the next handling sees exactly the committed state and messages stay in order.
 *
 * Nothing the durability path needs is an event subscription: HTTP release, timer deletion and
 * mailbox bookkeeping are direct calls here; events are only told.
 */
import type { AclMessage, Delivery, StateWrite } from '@caxton/core';
import { isInstanceName, KIND_LIMITS } from '@caxton/core';
import type { CompletionRecord, MessageLog } from '../log/message-log.js';
import type { AgentStateStore, ClaimedCommit } from '../storage/ports.js';
import { StateUnsupportedError, UnsupportedStateStore } from '../storage/state-store.js';
import type { Mailboxes } from './mailboxes.js';
import type { BusPort } from './port.js';
import type { BusEvents } from './events.js';
import type { OutboxSender } from './outbox-sender.js';
import { httpKeyOf, type Step, type WorkPlan } from './plan/handling-plan.js';
import type { TimerIntent } from './plan/timer-intents.js';
import { AgentChains } from './agent-chains.js';
import { faultPoint } from '../faults/fault-points.js';
import { isSendRefusal as isRefusal } from './refusal.js';
import { SendPacer } from './send-pacer.js';
import { workIdOf } from './executor.js';

export interface ApplierDeps {
  sender: OutboxSender;
  log: MessageLog;
  /** Commits timers' state writes (deliveries' ride in their completion). */
  state?: AgentStateStore | undefined;
  port: BusPort;
  mailboxes: Mailboxes;
  events: BusEvents;
  /** Crashes counted per delivery id (shared with the loop, which reads them when taking work). */
  attempts: Map<string, number>;
  /** Attempts of one delivery (crashes, refused commits) before it is dead-lettered. */
  maxAttempts: number;
  /** Messages of one agent's outbox started per event-loop turn (decision 2099); default from TRAFFIC_LIMIT_TABLE. */
  sendsPerTurn?: number | undefined;
  /** The loop's side of a rewind. */
  loop: {
    /** Hand a fired timer out again, first in line for its agent. */
    requeueTimer(agent: string, token: string, timerId: string | undefined, dueAt: number | undefined): void;
    isBusy(agent: string): boolean;
    wake(agent: string): void;
    /** The agent's rewind is done (it may run again): whoever waits for it to be idle looks again. */
    rewound?(agent: string): void;
    /** A fired timer's counted wait ended (the agent may be idle now): whoever waits for it looks again. */
    settled?(agent: string): void;
  };
}

/** How one batch is applied. */
export interface ApplyOptions {
  /** Ownership tokens the work was taken under (cluster), by batch index. */
  tokens?: readonly (number | undefined)[] | undefined;
  /** Items whose outbox was changed after the sandbox checked it (trace context added): validate again. */
  unchecked: ReadonlySet<number>;
}

/** What a rewind puts back, and whether the agent runs again at once (not when it was fenced). */
interface Rewind {
  deliveries: Delivery[];
  timers: { token: string; timerId: string | undefined; dueAt: number | undefined }[];
  park: boolean;
  /** Its view is being reset and its work put back: still rewinding until that is done. */
  finishing?: true;
}

/** How long a rewound agent waits before it runs again (a failing log must not be hammered). */
const REWIND_RETRY_MS = 25;

/** The warning of a send from an outbox the log could not make durable. */
const OUTBOX_NOT_DURABLE = '[caxton] outbox not durable, the work will be handled again';

/** A delivery plan's commit point (a run holds only plans that have one). */
function completionOf(steps: readonly Step[]): Extract<Step, { kind: 'complete' }> {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.kind === 'complete') return step;
  }
  throw new Error('a completion run holds a plan without a completion (internal invariant broken)');
}

/** A handling's outcome inside its agent's chain. */
type Settled = 'committed' | 'failed';

export class PlanApplier {
  private readonly chains = new AgentChains();
  /** Agents being rewound: what goes back, in handled order. */
  private readonly rewinding = new Map<string, Rewind>();
  /**
   * Per agent, fired instance timers whose registry delete waits for the log to say their commit
   * counted (decision 2060), with how many waits each. The agent is settling meanwhile: passivation,
   * eviction, an upgrade's swap and stop wait (`idle`), so the fired entry is not re-armed from the
   * registry while its fate is open, and a firing of it meanwhile is dropped (`isCounting`).
   */
  private readonly counting = new Map<string, Map<string, number>>();

  /** One agent's large outbox is started a turn's worth at a time (decision 2099). */
  private readonly pacer: SendPacer;

  constructor(private readonly d: ApplierDeps) {
    // The agent was held back while its burst waited for turns: it may take new work now.
    this.pacer = new SendPacer(d.sendsPerTurn, (agent) => d.loop.wake(agent));
  }

  /** Would an outbox of `n` messages be paced? */
  paces(n: number): boolean {
    return this.pacer.paces(n);
  }

  /** Did this handling make its agent a heavy sender (its outbox is paced)? The one place of that rule. */
  isHeavy(result: { outbox: readonly unknown[] }): boolean {
    return this.pacer.paces(result.outbox.length);
  }

  /** Has the agent outbox messages still waiting for a turn (no new work for it until they started)? */
  isPacing(agent: string): boolean {
    return this.pacer.busy(agent);
  }

  /** Is the agent being rewound (no new work for it until it is)? */
  isRewinding(agent: string): boolean {
    return this.rewinding.has(agent);
  }

  /** Does the agent have handlings whose plans are not fully applied? */
  isSettling(agent?: string): boolean {
    return this.chains.pending(agent) > 0 || (agent === undefined ? this.counting.size > 0 : this.counting.has(agent));
  }

  /** Is a firing of this timer waiting for the log to say whether its commit counted? That wait decides its fate. */
  isCounting(agent: string, timerId: string): boolean {
    return this.counting.get(agent)?.has(timerId) ?? false;
  }

  /**
   * Apply a batch's plans. Agents' chains are extended synchronously (before this returns its
   * promise), so a loop that releases an agent right after calling this never lets a later batch
   * of the agent overtake this one.
   */
  apply(plans: readonly WorkPlan[], opts: ApplyOptions): Promise<void> {
    const byAgent = new Map<string, WorkPlan[]>();
    for (const p of plans) {
      // A crash counts at once, not when the agent's chain reaches it: the loop lets the agent go
      // right after this returns and hands the same delivery out again, possibly before an earlier
      // commit of the agent settled — it must be taken as the next attempt, not the same one.
      if (p.disposition === 'retry' && p.item.kind === 'delivery') this.d.attempts.set(p.item.delivery.id, p.item.attempt);
      const list = byAgent.get(p.agent);
      if (list === undefined) byAgent.set(p.agent, [p]);
      else list.push(p);
    }
    const runs: Promise<unknown>[] = [];
    // forEach, not for…of: iterating a map's entries made a [key, value] pair per agent of the batch.
    byAgent.forEach((list, agent) => {
      runs.push(
        this.chains
          .extend(agent, (previous, submitted) => this.applyAgent(agent, list, previous, submitted, opts))
          .finally(() => this.maybeFinishRewind(agent)),
      );
    });
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * An agent's `init` plan: sends (new ids, not checked by the sandbox's send call), the agent's
   * resumption, its effects — in that order. Refusals and failures are reported, not thrown:
   * the agent runs either way.
   */
  async applyInit(plan: { agent: string; steps: readonly Step[] }): Promise<void> {
    for (const step of plan.steps) {
      if (step.kind === 'send') {
        await Promise.all(
          step.messages.map(({ message, id }) =>
            this.d.sender.send(message, { agent: plan.agent }, id).catch(async (err: unknown) => {
              this.warn(plan.agent, `[caxton] init send not accepted: ${(err as Error).message}`);
              // An init is not re-run: a failure that knows how to answer its sender (a forwarding to a
              // peer platform that could not be made durable, decision 1910) does so now, not silently.
              const answer = (err as { answerSender?: unknown }).answerSender;
              if (typeof answer === 'function') await (answer as () => Promise<void>)().catch(() => undefined);
            }),
          ),
        );
      } else if (step.kind === 'resume') {
        await this.d.port.effects.resumeAgent?.(plan.agent).catch((err: unknown) => {
          this.warn(plan.agent, `[caxton] pending timers or http calls could not be read: ${(err as Error).message}`);
        });
      } else if (step.kind === 'effects') {
        await this.d.port.effects
          .apply({ agent: plan.agent, timers: [...step.timers], directory: [...step.directory] })
          .catch((err: unknown) => {
            this.warn(plan.agent, `[caxton] effects not applied: ${(err as Error).message}`);
          });
      }
    }
  }

  /** The loop released `agent` (its batch returned): a rewind waiting for it may finish now. */
  released(agent: string): void {
    this.maybeFinishRewind(agent);
  }

  private async applyAgent(
    agent: string,
    plans: readonly WorkPlan[],
    previous: Promise<Settled>,
    submitted: (outcome: Settled) => void,
    opts: ApplyOptions,
  ): Promise<Settled> {
    // Nothing this batch produced leaves before the agent's previous commit is known to be in the
    // log (queued, on a log that commits in call order; durable otherwise): it was computed on that
    // commit's writes, and if that commit fails this batch is rewound and handled again — what it
    // sent would already be out, under the same derived ids, computed on writes that never counted.
    let state: Settled = await previous;
    if (this.rewinding.has(agent)) state = 'failed';
    if (state === 'failed') {
      for (const plan of plans) this.abort(plan);
      return 'failed';
    }
    // Before the commit point: sends (issued in handled order, so an agent's messages leave in that
    // order), failure replies, effects. Most handlings of a hot path send one message and nothing
    // else: no promise for those without steps.
    let before: boolean[] | Promise<boolean[]>;
    if (this.inOrderCandidate(agent, plans)) {
      // Every send of the batch queued in the log's call order and its whole outcome: the batch's
      // completions follow them into the same commit group, without waiting for it (decision 2111).
      const durable = this.sendInOrder(plans, opts);
      if (durable === undefined && !this.rewinding.has(agent)) {
        faultPoint('before-commit');
        return this.completeLastRun(plans, submitted);
      }
      before = durable === undefined ? new Array<boolean>(plans.length).fill(true) : durable();
    } else {
      before = this.allBeforeCommit(plans, opts);
    }
    const durable = Array.isArray(before) ? before : await before;
    faultPoint('before-commit');
    if (this.rewinding.has(agent)) state = 'failed';
    let k = 0;
    while (k < plans.length) {
      const plan = plans[k]!;
      if (state === 'failed') {
        this.abort(plan);
        k += 1;
        continue;
      }
      if (!durable[k]) {
        // What it sent is not durable: it must not complete, and nothing it let its agent see may.
        state = 'failed';
        this.startRewind(agent);
        this.abort(plan);
        k += 1;
        continue;
      }
      if (plan.steps.some((s) => s.kind === 'fence') && !this.stillOwner(plan, opts)) {
        // Fenced: left where it is, uncompleted; the agent's next owner hands it out again.
        state = 'failed';
        this.startRewind(agent, true);
        this.abort(plan, { keepInPlace: true });
        k += 1;
        continue;
      }
      if (plan.disposition === 'commit' && plan.item.kind === 'delivery') {
        // A run of the agent's completions goes to the log in one call (one group commit).
        let end = k + 1;
        while (
          end < plans.length &&
          durable[end] &&
          plans[end]!.disposition === 'commit' &&
          plans[end]!.item.kind === 'delivery' &&
          !plans[end]!.steps.some((s) => s.kind === 'fence')
        )
          end += 1;
        const run = plans.slice(k, end);
        // The last run of the batch on a log that commits in call order: the rest of the batch runs
        // in the log's callback (decision 2111). Nothing of the loop is left after it, and `state`
        // is 'committed' here (a failed state never reaches a commit), so its outcome is the batch's.
        // Not a run that sets timers: what its agent does next waits until they are in the registry.
        if (end === plans.length && this.d.log.completeInOrder !== undefined && !run.some(setsTimers))
          return this.completeLastRun(run, submitted);
        const committed = await this.completeRun(run, undefined);
        faultPoint('after-commit');
        const after = this.afterRun(run, committed);
        if (after !== undefined) await after;
        if (committed < run.length) state = 'failed';
        k = end;
        continue;
      }
      state = await this.settle(plan, opts);
      k += 1;
    }
    return state;
  }

  /**
   * Record a run of completions (with their state) in one log call; returns how many of them, from
   * the first, are durable. A refused state commit is retried alone so it does not take earlier
   * ones with it; the first one that fails and every one after it are not committed.
   */
  private async completeRun(run: readonly WorkPlan[], submitted?: (outcome: Settled) => void): Promise<number> {
    const { records, limit } = this.completionRecords(run);
    const committed = await this.completeRecords(run, records, limit === run.length ? submitted : undefined);
    this.abortUncommitted(run, limit, committed);
    return committed;
  }

  /**
   * The batch's last run of completions, on a log that commits in call order (decision 2111). The
   * records are queued now, and `submitted` is told at once, as in `completeRun`. What follows the
   * commit — the run's after-commit steps, its `completed` event, the batch's outcome — runs in the
   * log's callback, synchronously as the group becomes durable and while this batch's data is hot,
   * in the order the runs were queued. Awaiting instead resumed three async frames per batch
   * (completeRecords, completeRun, applyAgent), breadth-first behind every other waiter of the
   * group. Nothing of the agent's next batch can overtake it: that batch commits behind this one in
   * the same log (call order), and anything it does after its commit runs in its own callback, later.
   */
  private completeLastRun(run: readonly WorkPlan[], submitted: (outcome: Settled) => void): Promise<Settled> {
    const { records, limit } = this.completionRecords(run);
    return new Promise<Settled>((resolve, reject) => {
      // Everything after the commit point, once `committed` of the run (from the first) are durable.
      const carryOn = (committed: number): void => {
        try {
          this.abortUncommitted(run, limit, committed);
          faultPoint('after-commit');
          const outcome: Settled = committed < run.length ? 'failed' : 'committed';
          const after = this.afterRun(run, committed);
          if (after === undefined) resolve(outcome);
          else after.then(() => resolve(outcome), reject);
        } catch (err) {
          reject(err);
        }
      };
      if (records.length === 0) {
        carryOn(0);
        return;
      }
      try {
        // The promise is dropped: the callback carries the same outcome (log/message-log.ts).
        void this.d.log.completeInOrder!(records, (error) => {
          if (error === undefined) carryOn(records.length);
          else this.recoverCommit(run, records, error).then(carryOn, reject);
        });
      } catch (err) {
        // Refused before anything was queued (e.g. `log.invalid-state`): the agent's next commit
        // waits for this one's end, as in `completeRecords`.
        this.recoverCommit(run, records, err).then(carryOn, reject);
        return;
      }
      if (limit === run.length) submitted('committed');
    });
  }

  /** The completion records of a run, up to the first one whose state this log cannot keep (`limit`). */
  private completionRecords(run: readonly WorkPlan[]): { records: CompletionRecord[]; limit: number } {
    // One pass, one list (this runs for every handled message's completion): the run's commit
    // points up to the first whose state this log cannot keep, as records.
    const records = new Array<CompletionRecord>(run.length);
    let limit = run.length;
    for (let j = 0; j < run.length; j++) {
      const plan = run[j]!;
      const pt = completionOf(plan.steps);
      // A log that keeps no state would drop the writes with the completion: such work stops the run.
      if (pt.state.length > 0 && !this.keepsState()) {
        limit = j;
        records.length = j;
        break;
      }
      const record: CompletionRecord =
        pt.state.length === 0 ? { id: pt.deliveryId, receiver: plan.agent } : { id: pt.deliveryId, receiver: plan.agent, state: pt.state };
      if (pt.clockAt !== undefined) record.clockAt = pt.clockAt;
      records[j] = record;
    }
    return { records, limit };
  }

  /** After `committed` of a run's first `limit` records are durable: the rest of the run did not commit. */
  private abortUncommitted(run: readonly WorkPlan[], limit: number, committed: number): void {
    if (committed === limit && limit < run.length) this.commitFailed(run[limit]!, new StateUnsupportedError('commit', run[limit]!.agent));
    const firstLost = committed === limit && limit < run.length ? limit + 1 : committed + 1;
    for (let i = firstLost; i < run.length; i++) this.abort(run[i]!);
  }

  /**
   * After-commit steps of the `committed` first plans of a run (from `from`), then its `completed`
   * event. Synchronous (undefined) unless an after-commit step must be awaited (a timer's registry
   * delete, never a delivery's completion).
   */
  private afterRun(run: readonly WorkPlan[], committed: number, from = 0): Promise<void> | undefined {
    for (let j = from; j < committed; j++) {
      const after = this.afterCommit(run[j]!);
      if (after !== undefined) return after.then(() => this.afterRun(run, committed, j + 1));
    }
    if (committed > 0 && this.d.events.wants('completed')) {
      this.d.events.emit({
        type: 'completed',
        deliveryIds: run.slice(0, committed).map((p) => (p.item as { delivery: Delivery }).delivery.id),
      });
    }
    return undefined;
  }

  /**
   * The log call itself: all of `records`, or (a refused state commit) one by one up to the first
   * refusal. On a log that commits in call order, `submitted` is told as soon as the records are
   * queued, so the agent's next commit need not wait for this one's fsync: if this one fails after
   * all, that one fails too (decision 1703).
   */
  private async completeRecords(
    run: readonly WorkPlan[],
    records: readonly CompletionRecord[],
    submitted?: (outcome: Settled) => void,
  ): Promise<number> {
    if (records.length === 0) return 0;
    const log = this.d.log;
    try {
      if (log.completeInOrder !== undefined) {
        const durable = log.completeInOrder(records);
        submitted?.('committed');
        await durable;
      } else {
        await log.complete(records);
      }
      return records.length;
    } catch (err) {
      return this.recoverCommit(run, records, err);
    }
  }

  /**
   * A run's log call failed with `err`: how many of its records, from the first, are committed
   * after all. A refused state commit (`log.invalid-state`) is retried one by one up to the first
   * refusal; any other failure commits none of them.
   */
  private async recoverCommit(run: readonly WorkPlan[], records: readonly CompletionRecord[], err: unknown): Promise<number> {
    const log = this.d.log;
    if ((err as { code?: string }).code === 'log.invalid-state' && records.length > 1) {
      for (let j = 0; j < records.length; j++) {
        try {
          await log.complete([records[j]!]);
        } catch (one) {
          this.commitFailed(run[j]!, one);
          return j;
        }
      }
      return records.length;
    }
    this.commitFailed(run[0]!, err);
    return 0;
  }

  /**
   * May the batch's completions follow its sends into their commit group (decision 2111)? Only on
   * a log that queues both in call order, and only for a batch that is one run of delivery commits
   * whose only steps before the commit point are sends none of which waits for a pacer turn (2099):
   * no fence (its ownership check is made once the sends are durable), no failure reply, no effects
   * (awaited, not appended), no timer. Whether each send was appended in full is known only once it
   * was started (`sendInOrder`).
   */
  private inOrderCandidate(agent: string, plans: readonly WorkPlan[]): boolean {
    const log = this.d.log;
    if (log.completeInOrder === undefined || log.appendInOrder === undefined || this.pacer.busy(agent)) return false;
    for (const plan of plans) {
      if (plan.disposition !== 'commit' || plan.item.kind !== 'delivery' || setsTimers(plan)) return false;
      for (const step of plan.steps) {
        // Only sends may precede the commit here (`sendInOrder` starts nothing else): any other
        // before-commit step, now or added later, takes the awaited path (review of decision 2111).
        if (step.kind === 'fence' || (step.kind !== 'send' && isBeforeCommitStep(step))) return false;
        if (step.kind === 'send' && this.pacer.paces(step.messages.length)) return false;
      }
    }
    return true;
  }

  /**
   * Start a candidate batch's sends, in handled order, as `allBeforeCommit` would (none is paced);
   * `inOrder` when every one of them was queued in the log's call order as its whole outcome
   * (`OutboxSender.sendInOrder`, decision 2118): those leave no waiter — the log calls back when
   * their group settles. Otherwise `durable()` is what `allBeforeCommit` returns for the sends that
   * did return a promise (the caller awaits them and takes the old path); the in-order ones of such
   * a batch are durable before its completions are queued, since they were queued before those
   * sends in the same log. No promise is made beyond the sends' own unless it is asked for.
   */
  private sendInOrder(plans: readonly WorkPlan[], opts: ApplyOptions): (() => Promise<boolean[]>) | undefined {
    const sender = this.d.sender;
    // Made only for a send that returned a promise: an in-order batch allocates no list (decision 2125).
    let sends: Promise<boolean>[] | undefined;
    let of: number[] | undefined;
    for (let k = 0; k < plans.length; k++) {
      const plan = plans[k]!;
      const origin = { agent: plan.agent, checked: !opts.unchecked.has(plan.index) };
      for (const step of plan.steps) {
        if (step.kind !== 'send') continue;
        for (const { message, id } of step.messages) {
          const pending =
            sender.sendInOrder === undefined ? sender.send(message, origin, id) : sender.sendInOrder(message, origin, id, this.notDurable);
          if (pending === undefined) continue;
          (sends ??= []).push(this.sendOutcome(plan, message, pending));
          (of ??= []).push(k);
        }
      }
    }
    if (sends === undefined || of === undefined) return undefined;
    const awaited = sends;
    const at = of;
    return () =>
      Promise.all(awaited).then((ok) => {
        const durable = new Array<boolean>(plans.length).fill(true);
        for (let i = 0; i < ok.length; i++) if (!ok[i]) durable[at[i]!] = false;
        return durable;
      });
  }

  /**
   * The callback of every agent's sends queued in order (one function, not one per handling): a
   * failed append warns as `sendOutcome` does. Nothing else is owed: the handling's completion is
   * queued after the send in the same log, so it fails with it (the log stopped) and
   * `recoverCommit` rewinds the agent.
   */
  private readonly notDurable = (error: unknown, agent: string): void => {
    if (error !== undefined) this.warn(agent, `${OUTBOX_NOT_DURABLE}: ${(error as Error).message}`);
  };

  private allBeforeCommit(plans: readonly WorkPlan[], opts: ApplyOptions): boolean[] | Promise<boolean[]> {
    const durable = new Array<boolean>(plans.length).fill(true);
    // The usual case is one handling with something to send: its promise alone, no Promise.all.
    let only = -1;
    let pending: Promise<boolean>[] | undefined;
    for (let k = 0; k < plans.length; k++) {
      if (!plans[k]!.steps.some(isBeforeCommitStep)) continue;
      if (only < 0 && pending === undefined) {
        only = k;
        continue;
      }
      if (pending === undefined) {
        const first = only;
        pending = [this.beforeCommit(plans[first]!, opts).then((ok) => (durable[first] = ok))];
        only = -1;
      }
      pending.push(this.beforeCommit(plans[k]!, opts).then((ok) => (durable[k] = ok)));
    }
    if (pending !== undefined) return Promise.all(pending).then(() => durable);
    if (only < 0) return durable;
    const k = only;
    return this.beforeCommit(plans[k]!, opts).then((ok) => {
      durable[k] = ok;
      return durable;
    });
  }

  /** Steps before the commit point. False when the outbox could not be made durable. */
  private beforeCommit(plan: WorkPlan, opts: ApplyOptions): Promise<boolean> {
    const steps = plan.steps;
    const first = steps[0]!;
    // The hot path: a handling that sent one message and has nothing else to do before its commit
    // point. One promise, no collection of pending work (this runs once per message handled).
    if (first.kind === 'send' && first.messages.length === 1 && !steps.some((s, i) => i > 0 && isBeforeCommitStep(s))) {
      const { message, id } = first.messages[0]!;
      // Behind the agent's sends still waiting for a turn, if any: nothing of it overtakes them.
      const turn = this.pacer.busy(plan.agent) ? this.pacer.take(plan.agent) : undefined;
      if (turn !== undefined) return turn.then(() => this.sendFromOutbox(plan, message, id, opts));
      return this.sendFromOutbox(plan, message, id, opts);
    }
    return this.allStepsBeforeCommit(plan, opts);
  }

  /**
   * Every step before the commit point is started here without awaiting anything: the applier
   * calls this for all of an agent's handlings in handled order, so each send takes its turn of the
   * pacer synchronously, in that order, before any of them waits (decision 2099). An outbox larger
   * than a turn is started a turn at a time, behind everything else queued on the bus thread; a
   * smaller one, or a later handling's, goes behind what of the agent still waits. The agent's sends
   * start in handled order, each outbox in its own order, as they did when all started at once.
   */
  private async allStepsBeforeCommit(plan: WorkPlan, opts: ApplyOptions): Promise<boolean> {
    let durable = true;
    const pending: Promise<unknown>[] = [];
    // The last send of this plan that waits for a turn: the steps after it start once it has.
    let started: Promise<void> | undefined;
    const after = (start: () => Promise<unknown>): Promise<unknown> => (started === undefined ? start() : started.then(start));
    for (const step of plan.steps) {
      if (step.kind === 'send') {
        const paced = this.pacer.paces(step.messages.length) || this.pacer.busy(plan.agent);
        for (const { message, id } of step.messages) {
          const turn = paced ? this.pacer.take(plan.agent) : undefined;
          if (turn !== undefined) started = turn;
          const send = (): Promise<void> =>
            this.sendFromOutbox(plan, message, id, opts).then((ok) => {
              if (!ok) durable = false;
            });
          pending.push(turn === undefined ? send() : turn.then(send));
        }
      } else if (step.kind === 'reply-failure' && plan.item.kind === 'delivery') {
        const delivery = plan.item.delivery;
        pending.push(after(() => this.d.sender.sendPlatformReplies([this.d.sender.failureFor(delivery, step.reason, 'rejected')])));
      } else if (step.kind === 'effects') {
        // A failed effect (e.g. the registry unreachable for a DF change) is reported, not retried.
        pending.push(
          after(() =>
            this.d.port.effects
              .apply({ agent: plan.agent, timers: [...step.timers], directory: [...step.directory] })
              .catch((err: unknown) => {
                this.warn(plan.agent, `[caxton] effects not applied: ${(err as Error).message}`);
              }),
          ),
        );
      }
    }
    await Promise.all(pending);
    return durable;
  }

  /**
   * Start every send of `agent` still waiting for a turn, now (forced stop, forget, rewind): its
   * outbox is started in one go, as an unpaced one is, so nothing of it is left to leave later.
   */
  flushSends(agent: string): void {
    this.pacer.flush(agent);
  }

  /**
   * One outbox message, under its derived id. True once it is durable, or refused for good (the
   * agent is told with a failure: a refusal is an answer, the work completes); false when it could
   * not be made durable (the work will be handled again).
   */
  private sendFromOutbox(plan: WorkPlan, message: AclMessage, id: string | undefined, opts: ApplyOptions): Promise<boolean> {
    return this.sendOutcome(
      plan,
      message,
      this.d.sender.send(message, { agent: plan.agent, checked: !opts.unchecked.has(plan.index) }, id),
    );
  }

  /** What a send's promise means for its handling (`sendFromOutbox`). */
  private sendOutcome(plan: WorkPlan, message: AclMessage, send: Promise<unknown>): Promise<boolean> {
    return send.then(
      () => true,
      (err: unknown) => {
        const text = (err as Error).message;
        if (isRefusal(err)) {
          this.warn(plan.agent, `send refused: ${text}`);
          return this.d.sender.sendPlatformReplies([this.d.sender.refusalFor(plan.agent, message, text)]).then(() => true);
        }
        this.warn(plan.agent, `${OUTBOX_NOT_DURABLE}: ${text}`);
        return false;
      },
    );
  }

  /** The commit point (a timer's) or the other ways out, for one item that is not a delivery's completion. */
  private async settle(plan: WorkPlan, opts: ApplyOptions): Promise<Settled> {
    switch (plan.disposition) {
      case 'commit':
        return this.commit(plan, opts);
      case 'dead-letter': {
        await this.deadLetter(plan);
        // A handling refused whole after it ran (decision 2096): its view is reset, and the agent's
        // later work of this batch, run on that view, is put back and handled again.
        if (plan.steps.some((st) => st.kind === 'dead-letter' && st.rewind === true)) {
          this.d.port.effects.dropHttp?.(httpKeyOf(plan.item)); // its calls never leave
          this.startRewind(plan.agent);
          return 'failed';
        }
        return 'committed';
      }
      case 'retry':
        return 'committed'; // its attempt was counted when the plan was handed over (apply)
      case 'forget':
        if (plan.warning !== undefined) this.warn(plan.agent, plan.warning);
        await this.afterCommit(plan);
        return 'committed';
      case 'requeue':
      case 'park':
        // Nothing to apply: the loop leaves it where it is (park: until something wakes the agent).
        return 'committed';
      case 'refused':
        // Planned (the log's refusal known before anything of the batch left): nothing of it was
        // applied, and it goes on as a commit the log refused; its agent's later items are requeued.
        this.commitFailed(plan, plan.refusal);
        return 'failed';
    }
  }

  /** A timer's commit point (its writes and done marker), then what follows it. */
  private async commit(plan: WorkPlan, opts: ApplyOptions): Promise<Settled> {
    const point = plan.steps.find((s): s is Extract<Step, { kind: 'commit-timer' }> => s.kind === 'commit-timer');
    let claimed: ClaimedCommit | undefined;
    if (point !== undefined) {
      try {
        claimed = await this.commitTimer(plan, point.state);
      } catch (err) {
        this.commitFailed(plan, err);
        return 'failed';
      }
      faultPoint('after-commit');
    }
    const forget = plan.steps.find((s): s is Extract<Step, { kind: 'forget-timer' }> => s.kind === 'forget-timer');
    if (forget !== undefined && this.instanceFenced(plan) && !this.stillHere(plan, opts)) {
      // The partition left while the commit was under way: if its claim was superseded the commit
      // is void, and deleting the timer from the registry would lose it for the new owner. Left in
      // place: the new owner fires it, or forgets it unhandled if its done marker is committed.
      this.leaveTimer(plan.agent, forget.timerId, 'its partition left during the commit');
      await this.afterCommit(withoutForget(plan));
      return 'committed';
    }
    if (forget !== undefined && claimed !== undefined) {
      // A claimed commit counts only if no other node claimed the partition before it landed, and
      // a zombie (its session over, not told yet) passes every check above. Deleting the timer
      // before that is known could lose the firing: the registry delete waits until the log shows
      // the commit counted; otherwise the timer is left for the partition's owner. The wait is off
      // the agent's chain (its later handlings do not wait) but the agent is settling meanwhile
      // (`counting`): `idle` waits, so it is not passivated and re-armed from the registry while the
      // timer's fate is open, and a firing of the timer meanwhile is dropped (`isCounting`). The
      // registry delete's marker clear lands after later commits of the agent: it writes only
      // `timer-done:<id>`, which no handling writes.
      const agent = plan.agent;
      const timerId = forget.timerId;
      this.startCounting(agent, timerId);
      void this.forgetWhenCounted(agent, timerId, claimed)
        .catch((err: unknown) => {
          this.warn(
            agent,
            `[caxton] timer ${timerId} fired and committed here, but whether its commit counts could not be learnt (${(err as Error).message}): left in the registry`,
          );
        })
        .finally(() => this.endCounting(agent, timerId));
      await this.afterCommit(withoutForget(plan));
      return 'committed';
    }
    await this.afterCommit(plan);
    return 'committed';
  }

  /** The timer's writes; for an instance's timer in a cluster, tagged with its partition's claim (where it landed). */
  private async commitTimer(plan: WorkPlan, writes: readonly StateWrite[]): Promise<ClaimedCommit | undefined> {
    const agent = plan.agent;
    const state = this.d.state;
    if (state === undefined) throw new StateUnsupportedError('commit', agent);
    // An instance's timer (a key of a kind, placed by its partition, decision 2060): the fence step
    // checked the partition's tenure already, but a node not yet told of a revocation passes it.
    // The commit is tagged with the partition's claim, so such a late firing is void for every
    // reader and the new owner, whose view lacks its done marker, fires the timer. No await
    // between the fence check and this call: commitClaimed reads the claim of the tenure checked.
    if (this.instanceFenced(plan) && state.commitClaimed !== undefined && state.counted !== undefined) {
      return state.commitClaimed(agent, writes);
    }
    await state.commitState(agent, writes);
    return undefined;
  }

  private startCounting(agent: string, timerId: string): void {
    const ids = this.counting.get(agent) ?? new Map<string, number>();
    ids.set(timerId, (ids.get(timerId) ?? 0) + 1);
    this.counting.set(agent, ids);
  }

  private endCounting(agent: string, timerId: string): void {
    const ids = this.counting.get(agent);
    if (ids === undefined) return;
    const left = (ids.get(timerId) ?? 1) - 1;
    if (left > 0) ids.set(timerId, left);
    else ids.delete(timerId);
    if (ids.size === 0) this.counting.delete(agent);
    this.d.loop.settled?.(agent);
  }

  /** Delete a fired instance timer from the registry once its claimed commit is known to count; else leave it. */
  private async forgetWhenCounted(agent: string, timerId: string, claimed: ClaimedCommit): Promise<void> {
    const counted = await this.d.state!.counted!(claimed, KIND_LIMITS.countedWithinMs).catch(() => false);
    if (counted) await this.forgetTimer(agent, timerId);
    else
      this.leaveTimer(
        agent,
        timerId,
        `its commit is not known to count (partition ${claimed.partition} claimed by another node, released here, or not read within ${KIND_LIMITS.countedWithinMs} ms)`,
      );
  }

  /** A fired timer stays in the registry for its partition's next owner; this node stops tracking it. */
  private leaveTimer(agent: string, timerId: string, why: string): void {
    this.d.port.effects.leaveTimer?.(agent, timerId);
    this.warn(
      agent,
      `[caxton] timer ${timerId} fired and committed here, but ${why}: left in the registry for its partition's owner, which forgets it if the commit counted and fires it if not`,
    );
  }

  /**
   * After the commit point: timers set, HTTP release, timer deletion, the mailbox slot. Synchronous
   * (undefined) unless a registry write must be awaited: a delivery's completion usually has none,
   * and runs once per message.
   */
  private afterCommit(plan: WorkPlan): Promise<void> | undefined {
    if (plan.steps.some((s) => s.kind === 'forget-timer' || s.kind === 'set-timers')) return this.afterCommitAwaiting(plan);
    for (const step of plan.steps) {
      if (step.kind === 'release-http') this.d.port.effects.releaseHttp?.(step.key);
    }
    if (plan.item.kind === 'delivery' && plan.disposition === 'commit') this.finish(plan.item.delivery);
    return undefined;
  }

  private async afterCommitAwaiting(plan: WorkPlan): Promise<void> {
    for (const step of plan.steps) {
      if (step.kind === 'set-timers') await this.setTimers(plan.agent, step.timers);
      else if (step.kind === 'release-http') this.d.port.effects.releaseHttp?.(step.key);
      else if (step.kind === 'forget-timer') await this.forgetTimer(plan.agent, step.timerId);
    }
    if (plan.item.kind === 'delivery' && plan.disposition === 'commit') this.finish(plan.item.delivery);
  }

  /** The timers a committed handling set: into the registry, armed, their records removed (a failure is reported). */
  private async setTimers(agent: string, timers: readonly TimerIntent[]): Promise<void> {
    const port = this.d.port;
    const set =
      port.effects.setCommittedTimers !== undefined
        ? port.effects.setCommittedTimers(agent, timers)
        : port.effects.apply({ agent, timers: timers.map((t) => ({ ...t })), directory: [] });
    await set.catch((err: unknown) => {
      this.warn(agent, `[caxton] timers not set: ${(err as Error).message}`);
    });
  }

  /** Delete a fired timer from the registry, then its done marker (a leftover marker is swept at resume). */
  private async forgetTimer(agent: string, timerId: string): Promise<void> {
    try {
      await this.d.port.effects.forgetTimer(agent, timerId);
    } catch (err) {
      this.warn(
        agent,
        `[caxton] timer ${timerId} fired but could not be removed (${(err as Error).message}): its done marker keeps it from being handled again`,
      );
    }
  }

  private async deadLetter(plan: WorkPlan): Promise<void> {
    if (plan.item.kind !== 'delivery') return;
    const d = plan.item.delivery;
    const step = plan.steps.find((s): s is Extract<Step, { kind: 'dead-letter' }> => s.kind === 'dead-letter')!;
    try {
      await this.d.log.deadLetter({ delivery: d, reason: step.reason, attempts: step.attempts, at: Date.now() });
    } catch (err) {
      // It stays pending in the log (handed out again after a restart); here it gives its slot back.
      this.finish(d);
      this.warn(plan.agent, `[caxton] dead-lettering ${d.id} failed: ${(err as Error).message}`);
      return;
    }
    this.finish(d);
    this.d.events.emit({ type: 'dead-lettered', agent: d.receiver, deliveryId: d.id, reason: step.reason, attempts: step.attempts });
    await this.d.sender.sendPlatformReplies([this.d.sender.failureFor(d, `message could not be handled: ${step.reason}`, 'dead-lettered')]);
  }

  /**
   * A commit point failed (refused or not made). Nothing of it applied; the agent's view has its
   * writes, so it is rewound. A refusal of the writes themselves (invalid, unsupported) would be
   * refused again: for a delivery it counts as an attempt (so a poison handling ends dead-lettered),
   * a timer is forgotten with a warning.
   */
  private commitFailed(plan: WorkPlan, err: unknown): void {
    const e = err as { code?: string; message?: string; hint?: string };
    const code = e.code ?? 'error';
    const refused = code === 'log.invalid-state' || code === 'state.unsupported' || code === 'bus.kafka.state-key';
    const id = workId(plan);
    const message = e.message ?? String(err);
    this.d.events.emit({
      type: 'state-not-committed',
      agent: plan.agent,
      workId: id,
      code,
      message,
      hint: e.hint ?? 'the work was not completed; the agent is rewound to its committed state and handles it again',
    });
    this.startRewind(plan.agent);
    if (plan.item.kind === 'delivery') {
      const attempt = plan.item.attempt;
      if (refused && attempt >= this.d.maxAttempts) {
        // Refused every time: a poison handling. It leaves through the dead letters, with why.
        this.warn(plan.agent, `[caxton] ${id} not committed (${code}: ${message}) ${attempt} times; dead-lettered`);
        const reason = `its commit was refused ${attempt} times (${code}: ${message})`;
        this.d.port.effects.dropHttp?.(httpKeyOf(plan.item)); // its calls never leave
        void this.deadLetter({ ...plan, steps: [{ kind: 'dead-letter', reason, attempts: attempt }], disposition: 'dead-letter' });
        return;
      }
      if (refused) this.d.attempts.set(plan.item.delivery.id, attempt);
      this.warn(
        plan.agent,
        `[caxton] ${id} not committed (${code}: ${message}); the agent is rewound to its committed state and handles it again`,
      );
      this.abort(plan);
    } else if (refused) {
      // The writes of this firing can never be stored here: the timer stays persisted (it fires
      // again after a restart) and is not retried meanwhile.
      this.d.port.effects.dropHttp?.(httpKeyOf(plan.item));
      this.warn(
        plan.agent,
        `[caxton] ${id} not committed (${code}: ${message}); the timer stays persisted and fires again after a restart`,
      );
    } else {
      this.warn(
        plan.agent,
        `[caxton] ${id} not committed (${code}: ${message}); the agent is rewound to its committed state and handles it again`,
      );
      this.abort(plan);
    }
  }

  /** The item did not commit: remember what must go back when the agent is rewound. */
  private abort(plan: WorkPlan, o: { keepInPlace?: boolean } = {}): void {
    const r = this.rewinding.get(plan.agent);
    if (plan.item.kind === 'delivery') {
      this.d.port.effects.dropHttp?.(httpKeyOf(plan.item));
      // Still at the head (not handed off): nothing to put back.
      if (!o.keepInPlace && r !== undefined && this.d.mailboxes.isHandedOff(plan.item.delivery.id)) r.deliveries.push(plan.item.delivery);
    } else if (r !== undefined && plan.disposition !== 'forget') {
      this.d.port.effects.dropHttp?.(httpKeyOf(plan.item));
      // One planned requeue or park the loop puts back itself (first in line): not twice.
      if (plan.disposition !== 'requeue' && plan.disposition !== 'park')
        r.timers.push({ token: plan.item.token, timerId: plan.item.timerId, dueAt: plan.item.dueAt });
    } else if (o.keepInPlace && plan.disposition === 'forget' && plan.item.timerId !== undefined) {
      // A crashed firing withheld (fenced, named agents too): the timer stays in the registry for
      // the agent's next owner; this node stops tracking it, so it holds no slot nor a past due time.
      this.d.port.effects.leaveTimer?.(plan.agent, plan.item.timerId);
    }
  }

  private startRewind(agent: string, park = false): void {
    // Its waiting sends start at once rather than a turn at a time (the handlings are re-run under
    // the same ids, so what is sent twice is a duplicate the log drops): the rewind is not held
    // behind a paced tail.
    this.pacer.flush(agent);
    const r = this.rewinding.get(agent);
    if (r === undefined) this.rewinding.set(agent, { deliveries: [], timers: [], park });
    else if (park) r.park = true;
  }

  /** Once nothing of the agent is in flight: reset its view, put its work back, let it run. */
  private maybeFinishRewind(agent: string): void {
    const r = this.rewinding.get(agent);
    if (r === undefined || r.finishing || this.chains.pending(agent) > 0 || this.d.loop.isBusy(agent)) return;
    // The agent stays rewinding (the loop hands it nothing) until its view is reset AND its work is
    // back at the head of its mailbox: a delivery still queued behind the rewound ones, handed out
    // in between, would run on the view with the failed writes, commit on top of them, and overtake
    // the work put back.
    r.finishing = true;
    const stopped = this.d.log.stoppedBy?.();
    void (async () => {
      try {
        await this.d.port.effects.resetState?.(agent);
      } catch (err) {
        this.warn(
          agent,
          `[caxton] state view of ${agent} could not be reset (${(err as Error).message}); it is restarted on its committed state`,
        );
      }
      // A log stopped for good takes nothing more: the work is handed out again after a restart.
      if (stopped === undefined) {
        this.putBackStranded(this.d.mailboxes.rewind(r.deliveries));
        for (let i = r.timers.length - 1; i >= 0; i--)
          this.d.loop.requeueTimer(agent, r.timers[i]!.token, r.timers[i]!.timerId, r.timers[i]!.dueAt);
      }
      this.rewinding.delete(agent);
      this.d.loop.rewound?.(agent);
      // Fenced: it no longer runs here; whatever activates it here again wakes it.
      if (!r.park) setTimeout(() => this.d.loop.wake(agent), REWIND_RETRY_MS).unref();
    })();
  }

  /**
   * Deliveries a rewind found outside their receiver's current mailbox: it was forgotten while they
   * were being handled (the agent stopped or went, maybe redeployed since). Each goes once, in
   * handled order: to another node's owner (the log's `holds` false: dropped here, handed out
   * there), back to the front of the agent's current mailbox if it is an agent again, or to the
   * dead letters with the reason a stop gives what it finds in the mailbox. A letter that cannot be
   * written stays pending in the log (handed out again after a restart), as a stop's would.
   */
  private putBackStranded(stranded: readonly Delivery[]): void {
    if (stranded.length === 0) return;
    const back: Delivery[] = [];
    const gone: Delivery[] = [];
    for (const d of stranded) {
      if (this.d.log.holds?.(d) === false) continue;
      if (this.d.mailboxes.hasMailbox(d.receiver) || this.d.port.isAgent?.(d.receiver) === true) back.push(d);
      else gone.push(d);
    }
    this.d.mailboxes.restore(back);
    // As for mail the log hands out: an instance of a kind retired meanwhile is activated for it.
    for (const receiver of new Set(back.map((d) => d.receiver))) this.d.port.mailArrived(receiver);
    for (const d of gone) {
      const reason = `agent ${d.receiver} was stopped before handling it`;
      void this.d.log.deadLetter({ delivery: d, reason, attempts: 0, at: Date.now() }).then(
        () => this.d.events.emit({ type: 'dead-lettered', agent: d.receiver, deliveryId: d.id, reason, attempts: 0 }),
        (err: unknown) =>
          this.warn(
            d.receiver,
            `[caxton] ${d.id} (rewound after ${d.receiver} stopped) could not be dead-lettered: ${(err as Error).message}; it stays pending in the log`,
          ),
      );
    }
  }

  /** An instance of a kind (placed by its partition, decision 2060) whose work is fenced (a cluster). */
  private instanceFenced(plan: WorkPlan): boolean {
    return isInstanceName(plan.agent) && plan.steps.some((s) => s.kind === 'fence');
  }

  private stillOwner(plan: WorkPlan, opts: ApplyOptions): boolean {
    if (this.stillHere(plan, opts)) return true;
    this.warn(
      plan.agent,
      `[caxton] completion of ${workId(plan)} withheld: this node no longer owns ${plan.agent} (its next owner handles it again)`,
    );
    return false;
  }

  /** Does this node still own the plan's agent under the token its work was taken with? */
  private stillHere(plan: WorkPlan, opts: ApplyOptions): boolean {
    const own = this.d.port.ownership;
    if (own === undefined) return true;
    const token = opts.tokens?.[plan.index];
    return token !== undefined && own.isStillOwner(plan.agent, token, own.completionWithinMs);
  }

  private keepsState(): boolean {
    return this.d.state !== undefined && !(this.d.state instanceof UnsupportedStateStore);
  }

  private finish(d: Delivery): void {
    // Attempts are recorded only after a crash or a refused commit: usually there is nothing to look up.
    if (this.d.attempts.size > 0) this.d.attempts.delete(d.id);
    this.d.mailboxes.finish(d);
  }

  private warn(agent: string, message: string): void {
    this.d.events.emit({ type: 'log', agent, line: { level: 'warn', message, at: Date.now() } });
  }
}

function isBeforeCommitStep(step: Step): boolean {
  return step.kind === 'send' || step.kind === 'reply-failure' || step.kind === 'effects';
}

/** Does the plan set timers after its commit point (awaited before its agent's next work goes on)? */
function setsTimers(plan: WorkPlan): boolean {
  return plan.steps.some((s) => s.kind === 'set-timers');
}

/** The plan without its registry delete of the fired timer (left, or deleted later). */
function withoutForget(plan: WorkPlan): WorkPlan {
  return { ...plan, steps: plan.steps.filter((s) => s.kind !== 'forget-timer') };
}

function workId(plan: WorkPlan): string {
  return workIdOf(plan.item);
}
