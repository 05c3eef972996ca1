/**
 * `caxton upgrade --replay` (issue 57): before a new version replaces the running one, the node runs
 * it on the agent's recorded handlings — the last N, or those of a window — read from its own log,
 * as `caxton replay` does beside it (replayer.ts), and refuses the upgrade (a typed error with the
 * counts and the first refusing handling) when it crashes where the recorded version completed,
 * or differs in a way the operator did not accept. Nothing of the replay is applied anywhere.
 *
 * The replay runs in the node's own thread, so it is bounded three ways: each handling's fuel at
 * GATE_MAX_FUEL (about a second of CPU; a version that needs more is refused as out of fuel), the
 * whole replay at GATE_DEADLINE_MS and the handlings at the `handlings` row's ceiling (a window
 * holding more is refused: give a count); and it yields to the event loop after every handling, so
 * the node's traffic goes on between them. "The last N" takes two passes over the log (one to
 * count, one to run, which stops where the first ended), so memory stays bounded whatever the log
 * holds. A log read incompletely (retention deleted a segment meanwhile, a bound dropped records)
 * refuses the replay rather than judge on a part.
 */
import {
  REPLAY_GATE_LIMIT_TABLE,
  ReplayBusyError,
  ReplayGateUnsupportedError,
  ReplayStepsUnsupportedError,
  UpgradeReplayRefusedError,
  type ConversationReplay,
  type ReplayGateSpec,
  type ReplayGateVerdict,
} from '@caxton/core';
import type { AgentRecord } from '../storage/records.js';
import { deploymentOf } from './deployment-record.js';
import type { Engine } from '@caxton/sandbox';
import type { HistoryReader, RecordedDeployment, RecordedEvent, RecordedHandling } from './recorded.js';
import { Replayer, type HandlingReport } from './replayer.js';
import { ReplayError } from './errors.js';

export interface UpgradeGateOptions {
  engine: Engine;
  /** Where the node's log is read back (its embedded log's directory, its cluster's topics). */
  history: HistoryReader;
  /** The node's platform name (agents are `<name>@<platform>`). */
  platform: string;
  /** What `search-services` answers in the replay (the registry's directory now). */
  servicesByType?: () => Promise<ReadonlyMap<string, readonly { name: string }[]>>;
  /** The agents (and kinds) deployed: a new version's send to one the log lacks differs. */
  localAgents?: () => Promise<ReadonlySet<string>>;
  now?: () => number;
  /** Bounds (tests): the replay's time, and fuel a handling. */
  deadlineMs?: number;
  maxFuelPerHandling?: number;
}

/** Steps one conversation's list shows at most (the CLI's `--trace` shows them all). */
export const TRACE_MAX_STEPS = 200;
/** Step-view replays a node runs at once (each runs in its thread between its handlings). */
export const TRACE_MAX_CONCURRENT = 2;
/** How long a conversation's replay may run in the node's thread before it is refused (use the CLI). */
export const TRACE_DEADLINE_MS = 30_000;

/** Fuel a replayed handling may use in the gate: about a second of CPU in the node's own thread. */
export const GATE_MAX_FUEL = 1_000_000_000;
/** How long a gate's replay may run before the upgrade is refused as too large to prove here. */
export const GATE_DEADLINE_MS = 5 * 60_000;

const replayable = (e: RecordedEvent): e is RecordedHandling =>
  e.kind === 'handled' && !(e.work.kind === 'timer' && e.work.token === undefined);
const workTime = (h: RecordedHandling): number | undefined => (h.work.kind === 'message' ? h.work.delivery.acceptedAt : h.work.dueAt);

async function countReplayable(history: HistoryReader, agent: string): Promise<number> {
  let n = 0;
  for await (const e of history(agent)) if (replayable(e)) n++;
  return n;
}

/**
 * The events of `events`, each after a turn of the event loop (the node's traffic goes on between
 * two handlings, unreported ones included), ended by `signal` (its reason thrown).
 */
async function* paced(events: AsyncIterable<RecordedEvent>, signal: AbortSignal): AsyncGenerator<RecordedEvent> {
  for await (const e of events) {
    signal.throwIfAborted();
    yield e;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** `text` as one POSIX shell word: what a hint's command line may hold of a sender's choosing. */
function shellQuoted(text: string): string {
  return /^[A-Za-z0-9._:@/+=-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The events of `events`, then what its end said (`onEnd`): a `for await` drops a generator's return. */
async function* ended(
  events: AsyncGenerator<RecordedEvent, string | undefined>,
  onEnd: (partial: string | undefined) => void,
): AsyncGenerator<RecordedEvent> {
  onEnd(yield* events);
}

/** The events up to the `total`-th replayable handling: what pass one counted, nothing appended since. */
async function* upTo(events: AsyncIterable<RecordedEvent>, total: number): AsyncGenerator<RecordedEvent> {
  if (total === 0) return;
  let seen = 0;
  for await (const e of events) {
    yield e;
    if (replayable(e) && ++seen === total) return;
  }
}

/** A refusing handling in one line. */
function describe(r: HandlingReport): string {
  const w = r.work;
  const what =
    w.kind === 'timer'
      ? `timer ${w.token}`
      : `${w.performative} ${w.messageId}${w.conversationId ? ` (conversation ${w.conversationId})` : ''}`;
  return `#${r.index} ${what}: ${r.differences.map((d) => (d.what === 'outcome' ? r.outcome : `${d.what} differ`)).join(', ')}`;
}

export class UpgradeGate {
  /** Step-view replays under way (trace). */
  private tracing = 0;

  constructor(private readonly o: UpgradeGateOptions) {}

  /**
   * Replays the span `spec` names on `component` (the new version) under `deployment` (the new
   * version's limits and config, the running deployment's name and creation time); resolves with
   * what it found when the new version may replace the running one, else throws
   * UpgradeReplayRefusedError (what it found) or ReplayGateUnsupportedError (it could not judge).
   */
  async check(
    agent: string,
    version: number,
    deployment: RecordedDeployment,
    component: Uint8Array,
    spec: ReplayGateSpec,
  ): Promise<ReplayGateVerdict> {
    try {
      return await this.judge(agent, version, deployment, component, spec);
    } catch (err) {
      // The log's own refusals (no log yet, a segment this build cannot read) carry a replay tool's
      // hints: to the operator of an upgrade they say the node could not judge.
      if (err instanceof ReplayError) throw new ReplayGateUnsupportedError(agent, err.message);
      throw err;
    }
  }

  /**
   * A conversation, step by step (the console's step view): the agent's recorded version — the
   * component `record` names — runs again on its handlings the log holds, those before the
   * conversation's too (unreported: its memory goes through what it went through), and each of the
   * conversation's handlings becomes a step. Bounded as the gate is, and by TRACE_DEADLINE_MS.
   */
  async trace(agent: string, record: AgentRecord, component: Uint8Array, conversationId: string): Promise<ConversationReplay> {
    // They share the node's thread with its traffic: a few at once, the rest come back shortly.
    if (this.tracing >= TRACE_MAX_CONCURRENT) throw new ReplayBusyError(agent, this.tracing);
    this.tracing++;
    const deadlineMs = this.o.deadlineMs ?? TRACE_DEADLINE_MS;
    // The bound covers the whole read (the records of other agents it crosses too), not only the handlings.
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new ReplayStepsUnsupportedError(
            agent,
            `its replay ran past ${Math.round(deadlineMs / 1000)} s`,
            `run it beside the node: caxton replay ${agent} --conversation ${shellQuoted(conversationId)} --trace`,
          ),
        ),
      deadlineMs,
    );
    const deployment = deploymentOf(record, agent);
    const out: ConversationReplay = {
      agent,
      conversationId,
      version: record.version,
      steps: [],
      recorded: 0,
      replayed: 0,
      truncated: false,
    };
    let replayer: Replayer | undefined;
    try {
      replayer = new Replayer({
        engine: this.o.engine,
        deployment,
        identity: `${agent}@${this.o.platform}`,
        component,
        select: (h) => h.work.kind === 'message' && h.work.delivery.message.conversationId === conversationId,
        runUnselected: true,
        trace: true,
        maxFuelPerHandling: this.o.maxFuelPerHandling ?? GATE_MAX_FUEL,
        ...(this.o.servicesByType === undefined ? {} : { servicesByType: await this.o.servicesByType() }),
        ...(this.o.localAgents === undefined ? {} : { localAgents: await this.o.localAgents() }),
      });
      for await (const r of replayer.run(paced(this.o.history(agent, { signal: timeout.signal }), timeout.signal))) {
        if (out.steps.length >= TRACE_MAX_STEPS) {
          out.truncated = true;
          break;
        }
        out.steps.push({
          agent,
          at: r.work.at ?? 0,
          work: r.work.kind === 'message' ? r.work.messageId : r.work.id,
          outcome: r.outcome,
          fuelUsed: r.fuelUsed,
          differs: r.differences.map((d) => d.what),
          step: r.step!,
        });
      }
    } finally {
      clearTimeout(timer);
      this.tracing--;
      if (replayer !== undefined) {
        const summary = replayer.summaryOf();
        out.recorded = summary.recorded;
        out.replayed = summary.replayed;
        replayer.close();
      }
      this.o.engine.forget(deployment.artifactDigest);
    }
    return out;
  }

  private async judge(
    agent: string,
    version: number,
    deployment: RecordedDeployment,
    component: Uint8Array,
    spec: ReplayGateSpec,
  ): Promise<ReplayGateVerdict> {
    const started = Date.now();
    const deadline = started + (this.o.deadlineMs ?? GATE_DEADLINE_MS);
    const maxHandlings = REPLAY_GATE_LIMIT_TABLE.handlings.ceiling;
    let total = Number.POSITIVE_INFINITY;
    let select: (h: RecordedHandling) => boolean;
    if (spec.handlings !== undefined) {
      total = await countReplayable(this.o.history, agent);
      const first = total - spec.handlings;
      let seen = 0;
      select = () => seen++ >= first;
    } else {
      const from = (this.o.now?.() ?? Date.now()) - spec.sinceMs!;
      select = (h) => (workTime(h) ?? 0) >= from;
    }
    const replayer = new Replayer({
      engine: this.o.engine,
      deployment,
      identity: `${agent}@${this.o.platform}`,
      component,
      select,
      maxFuelPerHandling: this.o.maxFuelPerHandling ?? GATE_MAX_FUEL,
      ...(this.o.servicesByType === undefined ? {} : { servicesByType: await this.o.servicesByType() }),
      ...(this.o.localAgents === undefined ? {} : { localAgents: await this.o.localAgents() }),
    });
    const accept = new Set(spec.accept);
    const verdict: ReplayGateVerdict = { replayed: 0, crashed: 0, sendsDiffer: 0, stateDiffer: 0, first: '' };
    let refused = false;
    let partial: string | undefined;
    const history = ended(this.o.history(agent), (p) => (partial = p));
    try {
      for await (const r of replayer.run(Number.isFinite(total) ? upTo(history, total) : history)) {
        verdict.replayed++;
        const crashed = r.differences.some((d) => d.what === 'outcome');
        const sends = r.differences.some((d) => d.what === 'sends' || d.what === 'timers' || d.what === 'http');
        const state = r.differences.some((d) => d.what === 'state');
        if (crashed) verdict.crashed++;
        if (sends) verdict.sendsDiffer++;
        if (state) verdict.stateDiffer++;
        if (crashed || (sends && !accept.has('sends')) || (state && !accept.has('state'))) {
          if (!refused) verdict.first = describe(r);
          refused = true;
        }
        if (verdict.replayed > maxHandlings)
          throw new ReplayGateUnsupportedError(
            agent,
            `the window holds more than ${maxHandlings.toLocaleString('en-US')} handlings: replay a number of them (--replay N)`,
          );
        if (Date.now() > deadline)
          throw new ReplayGateUnsupportedError(
            agent,
            `its replay ran past ${Math.round((deadline - started) / 1000)} s after ${verdict.replayed} handlings: replay fewer`,
          );
        // The node's own thread: its traffic goes on between two handlings.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      replayer.close();
      this.o.engine.forget(deployment.artifactDigest);
    }
    if (refused) throw new UpgradeReplayRefusedError(agent, version, verdict);
    // Pass two stopped at pass one's count: the reader's end came only if it read to the end.
    if (partial !== undefined)
      throw new ReplayGateUnsupportedError(agent, `its log changed or was cut while it was read (${partial}): try again`);
    if (verdict.replayed === 0)
      throw new ReplayGateUnsupportedError(
        agent,
        'the log holds no handling of it in that span to replay: give a longer window, or upgrade without --replay',
      );
    return verdict;
  }
}
