/**
 * Blue-green and canary rollouts on this node (decision 1871), the I/O edge around the pure split
 * and controller in @caxton/core: the new version runs as a second sandbox instance of the agent
 * (`<name>#<version>`, a key no deployable name can take) beside the running one; the agent keeps
 * ONE mailbox, one ordering and one registry record, and each piece of work taken from that
 * mailbox is handed to one of the two instances by its conversation. What the new instance did is
 * reported under the agent's own name, so the bus commits, replies and sends exactly as for the
 * running version.
 *
 * No accepted message is lost to the new version: a handling of it that does not complete (a
 * crash, an instance waiting out its restart, a write to durable state) is counted, its effects
 * dropped, and the same work is handed to the running version at once. Promotion is an ordinary
 * upgrade (drain, swap, registry record written once); a rollback removes the new instance and
 * leaves the record as it was. Both are audited like an operator's change (decision 1701).
 *
 * An agent that keeps durable state is rolled out blue-green by a HANDOVER (decision 2170): one
 * writer at any time. The new instance starts on the agent's committed state and, once the agent
 * is drained, takes every piece of its work (timers too) — the running one takes none, its view
 * of the state going stale. A handling the new version does not complete waits for it (it is not
 * an attempt: nothing is dead-lettered for the new version's fault), and a second crash on the
 * same message ends the bake. The end hands the state back: the agent drained again, the new
 * instance removed, the running one's view reset to the state committed by then (a promotion's
 * swap starts the promoted version on it). A canary of such an agent is refused.
 */
import {
  ConversationSplit,
  countOwnStateKeys,
  formatStrategy,
  resolveRolloutThresholds,
  RolloutController,
  RolloutInProgressError,
  RolloutStatefulError,
  RolloutUnsupportedError,
  UnavailableError,
  strategyPercent,
  type RolloutStrategy,
  type RolloutThresholds,
  type RolloutVerdict,
  type RolloutView,
} from '@caxton/core';
import type { ExecutionResult, WorkItem } from '../../bus/executor.js';
import { faultPoint } from '../../faults/fault-points.js';
import type { AgentRecord } from '../../storage/records.js';
import { STATE_UNSUPPORTED } from '../../storage/state-store.js';
import { agentLog, instanceLog } from '../local-agents.js';
import {
  HELD_RECHECK_MS,
  candidateKey,
  rolloutFields,
  countsText,
  notBeside,
  type Rollout,
  type RolloutAudit,
  type RolloutBeside,
  type RolloutsOptions,
} from './rollout-model.js';
import { RolloutRouting } from './rollout-routing.js';

export class Rollouts {
  /** Each batch's work handed to the versions of agents with a rollout. */
  private readonly routing: RolloutRouting;
  /** In progress, and the last one of each agent once it ended (shown until the next). */
  private readonly rollouts = new Map<string, Rollout>();
  /** Rollouts a restart ended (found open in the audit trail at start), shown until the next. */
  private readonly restored = new Map<string, RolloutView>();
  /** Agents whose rollout is starting (its new instance not yet running), with the version. */
  private readonly starting = new Map<string, number>();
  /** The node is shutting down: no verdict is carried out any more. */
  private closed = false;
  /** Unrecorded until the node's audited control hands its recorder in (auditWith). */
  private audit: RolloutAudit = (_method, _agent, _fields, effect) => effect();
  private readonly now: () => number;

  constructor(private readonly o: RolloutsOptions) {
    this.now = o.now ?? Date.now;
    this.routing = new RolloutRouting(o, this.rollouts, this.now, (r, verdict) => this.judge(r, verdict));
  }

  /**
   * The bus's execute for a batch: work of agents without a rollout runs as one batch as before;
   * each agent with one has its items run one by one, in order, on the version it goes to (see RolloutRouting).
   */
  execute(batch: readonly WorkItem[], run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>): Promise<ExecutionResult[]> {
    return this.routing.execute(batch, run);
  }

  /** The node's audited control is built after the lifecycle: it hands its recorder in here. */
  auditWith(audit: RolloutAudit): void {
    this.audit = audit;
  }

  /** The rollout of `name` in progress (phase baking, promoting or rolling back, or an abort still removing its instance), if any. */
  inProgress(name: string): RolloutView | undefined {
    const r = this.rollouts.get(name);
    return r !== undefined && !r.finished ? this.view(r) : undefined;
  }

  /** The phase of `name`'s rollout started here from the record written at `recordedAt`; undefined if none ran here. */
  recordedPhase(name: string, recordedAt: number): RolloutView['phase'] | undefined {
    const r = this.rollouts.get(name);
    return r !== undefined && r.recordedAt === recordedAt ? r.controller.phase : undefined;
  }

  /** Whether a rollout of `name` is starting (its new instance compiling or running init). */
  isStarting(name: string): boolean {
    return this.starting.has(name);
  }

  /**
   * The new version of a rollout of `name` starting or in progress: every change to the agent
   * (upgrade, stop, rollback, state import) checks this, the starting window included.
   */
  busy(name: string): number | undefined {
    return this.starting.get(name) ?? this.inProgress(name)?.candidateVersion;
  }

  /** The rollout of `name`, in progress or the last one that ended. */
  shown(name: string): RolloutView | undefined {
    const r = this.rollouts.get(name);
    return r === undefined ? this.restored.get(name) : this.view(r);
  }

  /** A rollout the node's restart ended (its closing record written at start), shown until the next. */
  restore(name: string, view: RolloutView): void {
    if (!this.rollouts.has(name)) this.restored.set(name, view);
  }

  /**
   * Starts `candidate` beside the running version and begins routing. Refused for an agent whose
   * durable state holds entries (decision 1871). The new instance's init runs now; what it did
   * (services, timers, sends) is not applied — those are the running version's — and runs again
   * at promotion, when it takes effect.
   */
  async start(
    candidate: AgentRecord,
    artifactSize: number,
    strategy: RolloutStrategy,
    given: Partial<RolloutThresholds> | undefined,
    recordedAt?: number,
  ): Promise<RolloutView> {
    const name = candidate.name;
    const thresholds = resolveRolloutThresholds(given ?? {}, 'thresholds');
    // Two rollouts of one agent asked at once: the second is refused here, before anything starts.
    const busy = this.busy(name);
    if (busy !== undefined) throw new RolloutInProgressError(name, busy);
    this.starting.set(name, candidate.version);
    try {
      return await this.startReserved(candidate, artifactSize, strategy, thresholds, recordedAt);
    } finally {
      this.starting.delete(name);
    }
  }

  private async startReserved(
    candidate: AgentRecord,
    artifactSize: number,
    strategy: RolloutStrategy,
    thresholds: RolloutThresholds,
    recordedAt: number | undefined,
  ): Promise<RolloutView> {
    const name = candidate.name;
    const running = this.o.current(name);
    if (running === undefined || running.version !== candidate.version - 1) throw notBeside(name, candidate.version);
    const beside: RolloutBeside = {
      version: running.version,
      digest: running.artifactDigest,
      ...(recordedAt !== undefined ? { recordedAt } : {}),
    };
    const mode = await this.modeOf(running, candidate, strategy);
    if (mode === 'handover') this.o.refuseHandover?.(name);
    if (mode === 'handover' && this.o.host.resetState === undefined)
      throw new RolloutUnsupportedError(name, "this node's sandbox cannot hand a running agent's state over");
    const key = candidateKey(name, candidate.version);
    const init = await this.o.host.start({
      deployment: { ...candidate, name: key },
      identity: this.o.messaging.agentId(key),
      ...(mode === 'handover' ? { stateOf: name } : {}),
    });
    // The new instance's compile and init take time: the agent must still be the one it started beside.
    const still = this.o.current(name);
    if (this.closed || still === undefined || still.version !== beside.version || still.artifactDigest !== beside.digest) {
      await this.o.host.stop(key, true).catch(() => undefined);
      throw notBeside(name, candidate.version);
    }
    instanceLog(this.o.events, name, `version ${candidate.version}`, init.logs);
    const rollout: Rollout = {
      name,
      holding: mode === 'handover',
      key,
      beside,
      strategy,
      candidate,
      artifactSize,
      removed: false,
      finished: false,
      cancel: new AbortController(),
      counted: new Set(),
      ...(recordedAt !== undefined ? { recordedAt } : {}),
      split: new ConversationSplit(key, strategyPercent(strategy)),
      controller: new RolloutController(thresholds, this.now()),
    };
    if (mode === 'handover') await this.takeOver(rollout, beside);
    else this.rollouts.set(name, rollout);
    this.restored.delete(name);
    this.arm(rollout);
    agentLog(
      this.o.events,
      name,
      'info',
      `rollout of version ${candidate.version} (${candidate.artifactDigest.slice(0, 12)}) started beside version ${candidate.version - 1}: ${formatStrategy(strategy)}${mode === 'handover' ? ', the new version holding the state' : ''}, bake ${thresholds.bakeMs} ms`,
    );
    this.o.messaging.wake(name);
    return this.view(rollout);
  }

  /**
   * An operator's rollback (or stop) during a rollout: the new instance is drained and removed,
   * nothing promoted. A promotion still waiting for a held agent is cancelled; a verdict already
   * being carried out is waited for. Resolves with what ended (phase `promoted` only if the swap
   * had begun). `force` (a forced stop): the instance is not drained first.
   */
  async abort(name: string, reason: string, force = false): Promise<RolloutView | undefined> {
    const r = this.rollouts.get(name);
    if (r === undefined || r.finished) return undefined;
    if (r.ending === undefined) {
      r.controller.abort(reason);
      clearTimeout(r.timer);
      r.ending = this.abortAudited(r, reason, force)
        .finally(() => {
          r.finished = true;
          this.release(r);
          agentLog(this.o.events, name, 'warn', `rollout of version ${r.candidate.version} aborted: ${reason}`);
        })
        .then(() => this.unrecord(r));
    } else {
      r.cancel.abort(new Error(reason));
    }
    await r.ending;
    return this.view(r);
  }

  /**
   * The agent's recorded rollout was ended through another node (decision 2171): aborted here
   * (audited) unless it is ending already — a promotion or rollback of this node's own, whose
   * record write is what the caller saw.
   */
  async endedElsewhere(name: string, reason: string, force = false): Promise<void> {
    const r = this.rollouts.get(name);
    if (r === undefined || r.finished) return;
    // A promotion waiting for a held agent is cancelled, not waited for (it waits for the agent's steps, of which this may be one).
    if (r.ending !== undefined) r.cancel.abort(new Error(reason));
    else await this.abort(name, reason, force);
  }

  /**
   * The agent stops running here but goes on elsewhere (a cluster's move, decision 2171): its
   * rollout ends here unaudited and stays recorded, for the next node to run again. A verdict
   * being carried out goes on by itself: not waited for, since a promotion waits for the agent's
   * steps here, of which this is one.
   */
  async leave(name: string, force: boolean): Promise<void> {
    const r = this.rollouts.get(name);
    if (r === undefined || r.finished || r.ending !== undefined) return;
    r.left = true;
    r.controller.abort('the agent moved to another node');
    clearTimeout(r.timer);
    // The agent is stopping here (nothing new handed out): its new instance goes once idle; no
    // state is handed back, the agent's own instance goes next and the next node reads the state.
    r.ending = (async () => {
      r.removed = true;
      if (!force) await this.o.messaging.idle(name);
      r.holding = false;
      await this.o.host.stop(r.key, force);
    })()
      .catch((err: unknown) =>
        agentLog(this.o.events, name, 'warn', `the rollout's new instance was not stopped cleanly: ${(err as Error).message}`),
      )
      .finally(() => {
        r.finished = true;
        this.release(r);
        this.rollouts.delete(name);
      });
    await r.ending;
  }

  /** Drops what is shown of an ended rollout (the name is deployed anew). */
  forget(name: string): void {
    const r = this.rollouts.get(name);
    if (r?.finished) this.rollouts.delete(name);
    this.restored.delete(name);
  }

  /** Stops every timer and every later verdict (node shutdown); the new instances go with the sandbox. */
  close(): void {
    this.closed = true;
    for (const r of this.rollouts.values()) clearTimeout(r.timer);
  }

  /**
   * The sandbox key of the instance holding `name`'s state view when it is not `name`'s own (a
   * handover in progress, decision 2170): a failed commit's rewind resets that view.
   */
  stateHolder(name: string): string | undefined {
    const r = this.rollouts.get(name);
    return r?.holding === true ? r.key : undefined;
  }

  /**
   * Sets the timer that ends the bake (a verdict may also come earlier, from a handling). A `wait`
   * when it fires (the clock stepped back, or the agent is held) always sets it again.
   */
  private arm(r: Rollout, after?: number): void {
    clearTimeout(r.timer);
    const wait = after ?? Math.max(0, r.controller.bakeUntil - this.now()) + 1;
    r.timer = setTimeout(() => {
      if (this.closed || r.ending !== undefined) return;
      const held = this.o.held(r.name);
      const verdict = r.controller.verdict(this.now(), held);
      if (verdict.kind === 'wait') this.arm(r, held ? HELD_RECHECK_MS : undefined);
      else this.judge(r, verdict);
    }, wait);
    r.timer.unref();
  }

  private judge(r: Rollout, verdict: RolloutVerdict): void {
    if (verdict.kind === 'wait' || this.closed) return;
    if (r.ending !== undefined || r.controller.phase === 'aborted') return;
    clearTimeout(r.timer);
    // Not awaited here: carrying it out drains the agent, whose handling may be what called.
    r.ending = (verdict.kind === 'promote' ? this.promote(r) : this.rollBack(r, verdict.reason)).catch((err: unknown) => {
      agentLog(this.o.events, r.name, 'error', `rollout of version ${r.candidate.version}: ${(err as Error).message}`);
    });
  }

  private async promote(r: Rollout): Promise<void> {
    const fields = rolloutFields(r.candidate.version, r.strategy, r.controller);
    try {
      await this.audit('PromoteRollout', r.name, fields, () => this.o.promote(r.candidate, r.artifactSize, r.beside, r.cancel.signal));
      agentLog(this.o.events, r.name, 'info', `rollout promoted version ${r.candidate.version} (${countsText(r.controller)})`);
    } catch (err) {
      // Not promoted (cancelled by an operator, the running version changed, the new one did not
      // start as the agent, or the trail refused): the running one stays.
      const cancelled = r.cancel.signal.aborted;
      r.controller.abort(cancelled ? (r.cancel.signal.reason as Error).message : `promotion failed: ${(err as Error).message}`);
      if (!cancelled) throw err;
      agentLog(
        this.o.events,
        r.name,
        'warn',
        `rollout of version ${r.candidate.version} aborted before its promotion: ${r.controller.reason ?? ''}`,
      );
    } finally {
      await this.finish(r);
      if (r.controller.phase !== 'promoted') await this.unrecord(r);
    }
  }

  private async rollBack(r: Rollout, reason: string): Promise<void> {
    const fields = rolloutFields(r.candidate.version, r.strategy, r.controller, { reason });
    try {
      await this.audit('RollBackRollout', r.name, fields, () => this.removeCandidate(r));
    } catch (err) {
      // The trail could not record it: roll back all the same — keeping a failing version is worse.
      agentLog(this.o.events, r.name, 'error', `rollout rollback not audited: ${(err as Error).message}`);
    } finally {
      await this.finish(r);
    }
    agentLog(this.o.events, r.name, 'warn', `rollout of version ${r.candidate.version} rolled back: ${reason}`);
    await this.unrecord(r);
  }

  /** A rollout ended without a promotion leaves the agent's record (cluster); a failure is logged, the next follow retries. */
  private async unrecord(r: Rollout): Promise<void> {
    if (r.left || r.recordedAt === undefined) return;
    await this.o.ended?.(r.name, r.recordedAt).catch((err: unknown) => {
      agentLog(
        this.o.events,
        r.name,
        'error',
        `rollout of version ${r.candidate.version} ended but still recorded: ${(err as Error).message}`,
      );
    });
  }

  /** The end, whatever happened on the way: the new instance removed, the phase settled, never left in progress. */
  private async finish(r: Rollout): Promise<void> {
    try {
      await this.removeCandidate(r);
    } catch (err) {
      r.controller.abort(`the new instance could not be removed: ${(err as Error).message}`);
      throw err;
    } finally {
      r.controller.settle();
      r.finished = true;
      this.release(r);
    }
  }

  /**
   * An ended rollout keeps only what is shown of it: the conversation split, the handle-time
   * samples and the counted deliveries go at once, not when the next rollout replaces it.
   */
  private release(r: Rollout): void {
    r.split = undefined;
    r.counted.clear();
    r.controller.release();
  }

  /**
   * An abort (operator's rollback, stop, deploy over it) writes its closing record like the
   * controller's steps. One the trail cannot record is carried out anyway (the operator asked for
   * the agent's end state) and logged.
   */
  private async abortAudited(r: Rollout, reason: string, force: boolean): Promise<void> {
    const fields = rolloutFields(r.candidate.version, r.strategy, r.controller, { outcome: 'aborted', reason });
    try {
      await this.audit('AbortRollout', r.name, fields, () => this.removeCandidate(r, force));
    } catch (err) {
      if (r.removed) throw err; // the removal itself failed: the caller hears it
      agentLog(this.o.events, r.name, 'error', `rollout abort not audited: ${(err as Error).message}`);
      await this.removeCandidate(r, force);
    }
  }

  /**
   * Nothing more goes to the new instance; once the agent is idle it is released (`force`: at
   * once). A handover hands the state back while the agent is paused: the running instance's view
   * is reset to what was committed by then, before it takes work again (decision 2170). A forced
   * removal is a forced stop of the agent: its next start reads the committed state.
   */
  private async removeCandidate(r: Rollout, force = false): Promise<void> {
    if (r.removed) return;
    r.removed = true;
    if (r.holding && !force) {
      await this.o.pause(r.name, async () => {
        await this.o.host.stop(r.key, false);
        faultPoint('rollout-handed-back');
        await this.handBack(r);
      });
      return;
    }
    if (!force) await this.o.messaging.idle(r.name);
    await this.o.host.stop(r.key, force);
    // Forced (a forced stop of the agent): its view is still reset before it could take work.
    if (r.holding) await this.handBack(r);
    this.o.messaging.wake(r.name);
  }

  /**
   * The running instance's view becomes the agent's committed state (a handover's end); only then
   * does routing leave the new version. One that cannot be reset fails the agent: it must not run
   * on the view it had before the handover (a start reads the committed state).
   */
  private async handBack(r: Rollout): Promise<void> {
    try {
      const entries = await this.o.state!.readState(r.name);
      if (this.o.host.resetState === undefined || !(await this.o.host.resetState(r.name, entries)))
        agentLog(this.o.events, r.name, 'info', 'the state was handed back; the agent reads it at its next start'); // not running here any more
    } catch (err) {
      this.o.failAgent(r.name, err);
    } finally {
      r.holding = false;
    }
  }

  /**
   * The new instance takes the agent's state over (decision 2170): with the agent paused, its
   * view is reset to the committed state (its start read it before the last handlings committed)
   * and routing begins, so the running instance handles nothing more.
   */
  private async takeOver(r: Rollout, beside: RolloutBeside): Promise<void> {
    const reset = this.o.host.resetState!;
    try {
      await this.o.pause(r.name, async () => {
        const still = this.o.current(r.name);
        if (this.closed || still === undefined || still.version !== beside.version || still.artifactDigest !== beside.digest)
          throw notBeside(r.name, r.candidate.version);
        if (!(await reset.call(this.o.host, r.key, await this.o.state!.readState(r.name))))
          throw new UnavailableError(`the new instance of ${r.name} stopped before it took the state over`, {
            context: { agent: r.name, candidateVersion: r.candidate.version },
            hint: 'check `caxton logs` of the agent (its init or a crash), then upgrade again',
          });
        this.rollouts.set(r.name, r);
        faultPoint('rollout-taken-over');
      });
    } catch (err) {
      await this.o.host.stop(r.key, true).catch(() => undefined);
      throw err;
    }
  }

  /**
   * How a rollout of `candidate` beside `running` goes (decision 2170): `split` for agents without
   * durable state; `handover` for a blue-green of one with entries or a version writing some; a
   * canary of such an agent is refused, as is any rollout where the log keeps no state to hand over.
   */
  private async modeOf(running: AgentRecord, candidate: AgentRecord, strategy: RolloutStrategy): Promise<'split' | 'handover'> {
    if (this.o.state === undefined) return 'split';
    let entries: number;
    try {
      entries = countOwnStateKeys((await this.o.state.readState(running.name)).keys());
    } catch (error) {
      if ((error as { code?: string }).code === STATE_UNSUPPORTED) return 'split';
      throw error;
    }
    const writes = running.writesState === true || candidate.writesState === true;
    if (entries === 0 && !writes) return 'split';
    if (strategy.kind !== 'blue-green') throw new RolloutStatefulError(running.name, entries);
    return 'handover';
  }

  private view(r: Rollout): RolloutView {
    const c = r.controller;
    return {
      strategy: r.strategy,
      phase: c.phase,
      candidateVersion: r.candidate.version,
      candidateDigest: r.candidate.artifactDigest,
      startedAt: c.startedAt,
      bakeUntil: c.bakeUntil,
      thresholds: c.thresholds,
      counts: c.counts(),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
    };
  }
}
