/**
 * A rollout's routing (decision 1871): the bus's execute for a batch, each piece of work of an
 * agent with a rollout handed to one of its two versions by its conversation (a split), or to the
 * new one for every piece while it holds the state (a handover, decision 2170). What the new
 * version does not complete is counted against it and handed to the running version (a split) or
 * waits for it (a handover); every handling observed feeds the controller's verdict.
 */
import { ownStateWrites, type RolloutSide, type RolloutVerdict } from '@caxton/core';
import { type ExecutionResult, type WorkItem, runSplit, unavailableResult, unrunResult } from '../../bus/executor.js';
import { agentLog, instanceLog } from '../local-agents.js';
import { MAX_COUNTED_DELIVERIES, ms, type Rollout, type RolloutsOptions } from './rollout-model.js';

export class RolloutRouting {
  constructor(
    private readonly o: RolloutsOptions,
    /** In progress, and the last one of each agent once it ended (the Rollouts' own map). */
    private readonly rollouts: ReadonlyMap<string, Rollout>,
    private readonly now: () => number,
    /** Carries out a verdict (Rollouts.judge). */
    private readonly judge: (r: Rollout, verdict: RolloutVerdict) => void,
  ) {}

  /**
   * The bus's execute for a batch: work of agents without a rollout runs as one batch as before;
   * each agent with one has its items run one by one, in order, each on the version its
   * conversation goes to. Once an item of an agent does not complete, its later items come back
   * `skipped` (the executor's contract).
   */
  execute(batch: readonly WorkItem[], run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>): Promise<ExecutionResult[]> {
    if (this.rollouts.size === 0) return run(batch);
    return runSplit(
      batch,
      (agent) => this.routing(agent),
      run,
      async (_agent, indexes, results) => {
        let stopped: string | undefined;
        for (const i of indexes) {
          const item = batch[i]!;
          if (stopped !== undefined) {
            results[i] = unrunResult(item, { status: 'skipped', reason: stopped });
            continue;
          }
          const result = await this.runOne(item, run).catch((err: unknown) => unavailableResult(item, err));
          results[i] = result;
          if (result.outcome.status !== 'ok' && result.outcome.status !== 'rejected')
            stopped = 'not run: an earlier message of the agent did not complete';
        }
      },
    );
  }

  private routing(agent: string): boolean {
    const r = this.rollouts.get(agent);
    return r !== undefined && (!r.removed || r.holding);
  }

  private async runOne(item: WorkItem, run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>): Promise<ExecutionResult> {
    const r = this.rollouts.get(item.agent)!;
    if (r.holding) return this.runHolding(r, item, run);
    const side: RolloutSide =
      r.controller.phase !== 'baking' || r.removed || r.split === undefined
        ? 'current'
        : item.kind === 'timer'
          ? 'current' // timers were set by the running version
          : (this.o.host.restartDelay?.(r.key) ?? 0) > 0
            ? 'current' // backing off: the mailbox does not wait for it
            : r.split.route({
                conversationId: item.delivery.message.conversationId,
                inReplyTo: item.delivery.message.inReplyTo,
                messageId: item.delivery.messageId,
              });
    if (side === 'candidate') {
      // A run that rejects (the pool closing, a shard error) is a crash of the new version: the running one handles the item.
      const tried = await run([{ ...item, agent: r.key }]).then(
        ([t]) => t!,
        (err: unknown) => unavailableResult(item, err),
      );
      const result = { ...tried, agent: item.agent };
      const outcome = result.outcome.status;
      const wroteState = ownStateWrites(result.stateWrites).length > 0; // a pending HTTP call's record is the runtime's, not state
      const held = this.o.held(r.name);
      if ((outcome === 'ok' || outcome === 'rejected') && !wroteState) {
        this.pinSends(r, result, 'candidate');
        // A failure reply: the handler returned an error (the bus answers `failure`), or the agent sent one itself.
        const failed = outcome === 'rejected' || result.outbox.some((sent) => sent.performative === 'failure');
        // A redelivery of a message already counted (a poison message retried) is not counted again.
        if (this.countOnce(r, item))
          this.judge(r, r.controller.observe({ outcome: failed ? 'failure' : 'ok', durationMs: ms(result.durationUs) }, this.now(), held));
        return result;
      }
      // Not completed on the new version: counted, its effects dropped, the running version handles it.
      // Work lost to a shard reset (`unavailable`: another agent's runaway, the pool closing) is no
      // fault of the new version (decision 0900): handed over like a crash, not counted as one.
      const crash = result.outcome.status === 'crashed' ? result.outcome : undefined;
      const ownCrash = crash !== undefined && crash.kind !== 'unavailable';
      // Marked counted only when it counts: a reset's hand-over leaves the delivery's own crash, if it comes back, to count.
      if (ownCrash && this.countOnce(r, item))
        this.judge(r, r.controller.observe({ outcome: 'crashed', durationMs: ms(result.durationUs) }, this.now(), held));
      if (wroteState) this.judge(r, r.controller.fail('the new version wrote durable state, which the two versions cannot share'));
      // Crash-looped past its restart policy, the new instance will never run again.
      if (outcome === 'not-running' && (await this.o.host.stats(r.key).catch(() => undefined))?.state === 'failed') {
        this.judge(r, r.controller.fail('the new version is failed (it crashed past its restart policy)'));
      }
      this.logCandidateLines(r, item.agent, result.logs);
      if (crash !== undefined && ownCrash)
        agentLog(
          this.o.events,
          item.agent,
          'warn',
          `[version ${r.candidate.version}] crashed (${crash.kind}): the running version handles the message instead`,
        );
      // The kind only: a reset's message names the other agent and its limit, which are not this agent's log's to show.
      else if (crash !== undefined)
        agentLog(
          this.o.events,
          item.agent,
          'info',
          `[version ${r.candidate.version}] not completed (its shard was reset, or the pool closed): not counted against it, the running version handles the message instead`,
        );
    }
    const [result] = await run([item]);
    // The two versions share no state (decision 1871): the running version writing some ends the rollout.
    if (ownStateWrites(result!.stateWrites).length > 0 && r.controller.phase === 'baking' && !r.removed) {
      this.judge(r, r.controller.fail('the running version wrote durable state, which the two versions cannot share'));
    }
    return result!;
  }

  /**
   * A handover's work (decision 2170): every item runs on the new version, which holds the state.
   * One it does not complete waits for it, requeued as work lost to a reset (not an attempt): the
   * running version's view is stale, so it never takes the item over. A second crash on one
   * message ends the bake (a poison message for the new version must not wait for the bake's end).
   */
  private async runHolding(
    r: Rollout,
    item: WorkItem,
    run: (items: readonly WorkItem[]) => Promise<ExecutionResult[]>,
  ): Promise<ExecutionResult> {
    const version = r.candidate.version;
    if ((this.o.host.restartDelay?.(r.key) ?? 0) > 0)
      return unavailableResult(item, `version ${version} holds the state and is waiting out its restart backoff`);
    const result = await run([{ ...item, agent: r.key }]).then(
      ([t]) => ({ ...t!, agent: item.agent }),
      (err: unknown) => unavailableResult(item, err),
    );
    const outcome = result.outcome;
    const baking = r.controller.phase === 'baking';
    const held = this.o.held(r.name);
    if (outcome.status === 'ok' || outcome.status === 'rejected') {
      const failed = outcome.status === 'rejected' || result.outbox.some((sent) => sent.performative === 'failure');
      if (baking && this.countOnce(r, item))
        this.judge(r, r.controller.observe({ outcome: failed ? 'failure' : 'ok', durationMs: ms(result.durationUs) }, this.now(), held));
      return result;
    }
    const ownCrash = outcome.status === 'crashed' && outcome.kind !== 'unavailable';
    if (ownCrash && baking) {
      if (this.countOnce(r, item))
        this.judge(r, r.controller.observe({ outcome: 'crashed', durationMs: ms(result.durationUs) }, this.now(), held));
      else this.judge(r, r.controller.fail(`the new version crashed twice on one message (${result.workId})`));
    }
    if (outcome.status === 'not-running' && baking && (await this.o.host.stats(r.key).catch(() => undefined))?.state === 'failed')
      this.judge(r, r.controller.fail('the new version is failed (it crashed past its restart policy)'));
    this.logCandidateLines(r, item.agent, result.logs);
    const why = outcome.status === 'crashed' ? `crashed (${outcome.kind})` : `not completed (${outcome.status})`;
    if (ownCrash)
      agentLog(
        this.o.events,
        item.agent,
        'warn',
        `[version ${version}] ${why}: it holds the state, so the message waits for it (or for the version before it, if the rollout ends)`,
      );
    return unavailableResult(item, `version ${version} holds the state and did not complete the handling: ${why}`);
  }

  /** The new version's log lines of a handling that did not reach the bus (it reports the ones that did), marked with its version. */
  private logCandidateLines(r: Rollout, agent: string, logs: ExecutionResult['logs']): void {
    instanceLog(this.o.events, agent, `version ${r.candidate.version}`, logs);
  }

  /** Conversations the new version started by sending: their answers come back to it (the running version's need no pin). */
  private pinSends(r: Rollout, result: ExecutionResult, side: RolloutSide): void {
    for (const sent of result.outbox) r.split?.started(sent.conversationId, side);
  }

  /** True the first time a delivery is counted against the new version (bounded, oldest forgotten). */
  private countOnce(r: Rollout, item: WorkItem): boolean {
    if (item.kind !== 'delivery') return true;
    const id = item.delivery.id;
    if (r.counted.has(id)) return false;
    if (r.counted.size >= MAX_COUNTED_DELIVERIES) r.counted.delete(r.counted.values().next().value!);
    r.counted.add(id);
    return true;
  }
}
