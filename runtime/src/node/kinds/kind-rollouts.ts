/**
 * Rollouts of a keyed kind (decision 2175): the split is by key, not by conversation. A key's
 * instance runs one version at a time — the one its key resolves to — so each key's durable state
 * has one writer, and the new version reads what the old one wrote. Moving a key between versions
 * is a passivation (after the handling in hand, its commit durable) and an activation on the other
 * version: a handover per key, with nothing kept beside it.
 *
 * The rollout is a field of the kind's registry record on both topologies (the embedded store, or
 * etcd: decision 2171's `RolloutRecord`), so it survives a restart and every node that holds
 * instances follows the same split. Every node judges the handlings of the instances it holds: any
 * node rolls back on a breach, and at the bake's end any node that saw enough handlings within the
 * thresholds promotes; a rollback for too few handlings is left to one node, `judgesHere` (one
 * node: itself; a cluster: the node consuming the kind's own partition), after `tooFewGraceMs`, so
 * a node holding few of the new version's keys does not roll back what another saw enough of. Each
 * verdict is a compare-and-swap on the record, requiring the rollout by its start, so two nodes'
 * verdicts never both apply.
 */
import {
  ROLLOUT_BOUNDS,
  ConflictError,
  NotFoundError,
  RolloutController,
  RolloutInProgressError,
  keyToCandidate,
  formatStrategy,
  type Instrumentation,
  type RolloutPhase,
  type RolloutVerdict,
  type RolloutView,
} from '@caxton/core';
import { unavailableResult, workIdOf, type ExecutionResult, type WorkItem } from '../../bus/executor.js';
import type { AgentRecord, RolloutRecord } from '../../storage/records.js';
import type { AgentStore } from '../../storage/ports.js';
import { agentLog, instanceLog, type AgentLifecycleEvent } from '../local-agents.js';
import { countsText, rolloutFields, type RolloutAudit } from '../rollouts/index.js';

export interface KindRolloutsOptions {
  /** Where kind records live; `updateAgent` (a compare-and-swap) when the store has one. */
  store: AgentStore | undefined;
  events: Instrumentation<AgentLifecycleEvent>;
  /** Held by the kill switch: the bake's end is no promotion meanwhile (a breach still rolls back). */
  held: (kind: string) => boolean;
  /** Whether this node may roll `kind` back for too few handlings at the bake's end (one node: always). */
  judgesHere: (kind: string) => boolean;
  /** How long past the bake's end that node waits for another's promotion first (a cluster; one node: 0). */
  tooFewGraceMs?: () => number;
  /**
   * True: every node bakes from the rollout's recorded start, so their bakes end together (a
   * cluster); false: from when this node began following it (one node after a restart: a bake
   * that ended while it was down would end with nothing seen).
   */
  bakeFromRecord?: () => boolean;
  /** The kind's record as this node wrote it: applied to its instances here (the watch may bring it too). */
  applied: (record: AgentRecord) => Promise<void>;
  now?: () => number;
}

/** A kind's rollout as this node follows it. */
interface Followed {
  readonly kind: string;
  readonly record: RolloutRecord;
  readonly controller: RolloutController;
  /** Delivery ids already counted (a redelivery counts once), bounded. */
  readonly counted: Set<string>;
  timer?: NodeJS.Timeout | undefined;
  /** This node's verdict being written. */
  ending?: Promise<void> | undefined;
  /** It left the record (promoted, rolled back or aborted, here or elsewhere). */
  ended: boolean;
  /** An operator's abort being written here: the record's change (the watch's copy may come first) ends it as aborted. */
  aborting?: string | undefined;
  /** How it ended when another node's verdict ended it (this node's controller never decided). */
  endedAs?: RolloutPhase;
}

/** Delivery ids a rollout remembers as counted. */
const MAX_COUNTED = 10_000;
/** How often a node that does not judge the bake's end, or a held kind, looks again once it ended (ms). */
const RECHECK_MS = 1_000;

/** The version record a key of `kind` runs now: the candidate's when the split gives it the key. */
export function versionForKey(kind: AgentRecord, key: string): AgentRecord {
  const r = kind.rollout;
  return r !== undefined && r.abort === undefined && keyToCandidate(kind.name, key, r.candidate.version, r.strategy) ? r.candidate : kind;
}

export class KindRollouts {
  private readonly followed = new Map<string, Followed>();
  /** The last ended rollout per kind, shown in its status until the next (its counts as this node saw them). */
  private readonly endedViews = new Map<string, RolloutView>();
  /** Unrecorded until the node's audited control hands its recorder in (auditWith). */
  private audit: RolloutAudit = (_method, _agent, _fields, effect) => effect();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: KindRolloutsOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The node's audited control is built after the lifecycle: it hands its recorder in here. */
  auditWith(audit: RolloutAudit): void {
    this.audit = audit;
  }

  /** Any kind rolling out here (the hot path's one check). */
  get active(): boolean {
    return this.followed.size > 0;
  }

  /**
   * The kind's record as it is now (added, adopted, written here): a new rollout is followed from
   * now (its bake from this node's start, as a moved agent's is: decision 2171), one gone ends here.
   */
  follow(record: AgentRecord): void {
    const current = this.followed.get(record.name);
    const r = record.rollout;
    if (r !== undefined && r.abort === undefined && current?.record.startedAt === r.startedAt) return;
    if (current !== undefined) {
      // Gone from the record, or replaced: the record says how it ended — promoted when it is the
      // candidate's version now, whatever this node had decided (another node's verdict may have won).
      this.end(current, record.version >= current.record.candidate.version);
    }
    if (r === undefined || r.abort !== undefined || this.closed) return;
    const f: Followed = {
      kind: record.name,
      record: r,
      controller: new RolloutController(r.thresholds, this.o.bakeFromRecord?.() === true ? r.startedAt : Math.max(r.startedAt, this.now())),
      counted: new Set(),
      ended: false,
    };
    this.followed.set(record.name, f);
    this.endedViews.delete(record.name);
    this.arm(f);
    agentLog(
      this.o.events,
      record.name,
      'info',
      `rollout of kind version ${r.candidate.version} (${formatStrategy(r.strategy)} by key) followed here: keys it gives the new version run it from their next activation`,
    );
  }

  /** The kind was stopped: its rollout ends with it. */
  forget(kind: string): void {
    const f = this.followed.get(kind);
    if (f !== undefined) {
      const reason = 'the kind was stopped';
      f.controller.abort(reason);
      this.end(f, false);
      // Its end in the audit trail, as any rollout's (the stop itself is the operator's record).
      const fields = rolloutFields(f.record.candidate.version, f.record.strategy, f.controller, { reason });
      void this.audit('AbortRollout', kind, fields, async () => undefined).catch((err: unknown) =>
        agentLog(
          this.o.events,
          kind,
          'warn',
          `rollout of kind version ${f.record.candidate.version}: its end not audited (${(err as Error).message})`,
        ),
      );
    }
    this.endedViews.delete(kind); // a kind deployed again under the name starts with no rollout shown
  }

  /** The new version failed in a way no handling shows (its activation): the rollout is rolled back. */
  fail(kind: string, reason: string): void {
    const f = this.followed.get(kind);
    if (f !== undefined) this.judge(f, f.controller.fail(reason));
  }

  /** The rollout shown in the kind's status: the one followed, or the last one ended here. */
  view(kind: string): RolloutView | undefined {
    const f = this.followed.get(kind);
    return f !== undefined ? viewOf(f) : this.endedViews.get(kind);
  }

  /**
   * A handling of an instance on the candidate version, judged as a rollout's are (decision 1871):
   * ok, a failure reply, or a crash of its own (work lost to a shard reset is not the version's
   * fault). A crash of its own while the rollout bakes is no attempt of the message: it waits,
   * requeued, for the new version or — once the rollout ends — the version before it; a second
   * crash on one message ends the bake (a poison message for the new version must not wait for its
   * end). The result to report instead, or undefined to report it as it is.
   */
  observe(kind: string, item: WorkItem, result: ExecutionResult): ExecutionResult | undefined {
    const f = this.followed.get(kind);
    if (f === undefined) return undefined;
    const phase = f.controller.phase;
    const outcome = result.outcome;
    const ownCrash = outcome.status === 'crashed' && outcome.kind !== 'unavailable';
    if (phase !== 'baking') {
      // Being rolled back: the key returns to the version before, which takes the message over.
      return ownCrash && phase === 'rolling-back' ? this.waits(f, item, result, 'is being rolled back') : undefined;
    }
    let sample: 'ok' | 'failure' | 'crashed';
    if (outcome.status === 'ok' || outcome.status === 'rejected')
      sample = outcome.status === 'rejected' || result.outbox.some((s) => s.performative === 'failure') ? 'failure' : 'ok';
    else if (ownCrash) sample = 'crashed';
    else return undefined;
    const durationMs = result.durationUs === undefined ? undefined : result.durationUs / 1000;
    if (this.countOnce(f, item)) this.judge(f, f.controller.observe({ outcome: sample, durationMs }, this.now(), !this.mayEnd(f)));
    else if (sample === 'crashed') this.judge(f, f.controller.fail(`the new version crashed twice on one message (${result.workId})`));
    return sample === 'crashed' ? this.waits(f, item, result, 'crashed on it') : undefined;
  }

  /** True the first time a piece of work is counted (a redelivery counts once), bounded. */
  private countOnce(f: Followed, item: WorkItem): boolean {
    const id = workIdOf(item); // a delivery's id, or a timer's: a timer fired again counts once too
    if (f.counted.has(id)) return false;
    if (f.counted.size >= MAX_COUNTED) f.counted.delete(f.counted.values().next().value!);
    f.counted.add(id);
    return true;
  }

  /** The crashed handling, reported as work to hand out again (not an attempt), its lines in the kind's log. */
  private waits(f: Followed, item: WorkItem, result: ExecutionResult, what: string): ExecutionResult {
    const version = f.record.candidate.version;
    instanceLog(this.o.events, result.agent, `version ${version}`, result.logs);
    const why = result.outcome.status === 'crashed' ? result.outcome.message : result.outcome.status;
    agentLog(
      this.o.events,
      f.kind,
      'warn',
      `[version ${version}] ${result.agent} ${what} (${why}): the message waits, not counted as an attempt`,
    );
    return unavailableResult(item, `kind version ${version} ${what} during its rollout: the message is handed out again`);
  }

  /**
   * Starts a rollout: written beside the kind's record by compare-and-swap, refused when the kind
   * changed since `previous` was read or another rollout is recorded.
   */
  async start(previous: AgentRecord, rollout: RolloutRecord): Promise<AgentRecord> {
    const written = await this.update(previous.name, (current) => {
      if (current === undefined || current.kind === undefined) throw new NotFoundError('agent', previous.name);
      if (current.rollout !== undefined) throw new RolloutInProgressError(previous.name, current.rollout.candidate.version);
      if (current.version !== previous.version)
        throw new ConflictError(
          `kind ${previous.name} changed while its rollout was being prepared (it is version ${current.version} now)`,
          {
            context: { agent: previous.name, version: current.version },
            hint: 'start the rollout again: it is made from the kind as it is now',
          },
        );
      return { ...current, rollout, updatedAt: this.stamp(current) };
    });
    await this.o.applied(written!);
    return written!;
  }

  /**
   * A plain upgrade of the kind (no strategy): written by compare-and-swap from the version it was
   * made from, refused when a rollout was recorded meanwhile or the kind changed.
   */
  async writeUpgrade(next: AgentRecord): Promise<AgentRecord> {
    return (await this.update(next.name, (current) => {
      if (current === undefined || current.kind === undefined) throw new NotFoundError('agent', next.name);
      if (current.rollout !== undefined) throw new RolloutInProgressError(next.name, current.rollout.candidate.version);
      if (current.version !== next.version - 1)
        throw new ConflictError(`kind ${next.name} changed while its upgrade was being prepared (it is version ${current.version} now)`, {
          context: { agent: next.name, version: current.version },
          hint: 'upgrade again: the new version is made from the kind as it is now',
        });
      return { ...next, updatedAt: this.stamp(current) };
    }))!;
  }

  /**
   * An operator's rollback or stop during the rollout: it leaves the record (compare-and-swap on
   * its start), audited; every key runs the version before it again from its next activation,
   * with its state as it is then. Undefined when no rollout is recorded.
   */
  async abort(kind: string, reason: string): Promise<RolloutView | undefined> {
    const f = this.followed.get(kind);
    const fields = (r: RolloutRecord): Record<string, string> => rolloutFields(r.candidate.version, r.strategy, f?.controller, { reason });
    let removed: RolloutRecord | undefined;
    const recorded = f?.record ?? (await this.o.store?.getAgent(kind))?.rollout;
    if (recorded === undefined) return undefined;
    const write = async (): Promise<AgentRecord | undefined> =>
      this.update(kind, (current) => {
        removed = current?.rollout;
        if (removed !== undefined) {
          const { rollout: _ended, ...rest } = current!;
          return { ...rest, updatedAt: this.stamp(current!) };
        }
        // Ended before this abort was written: promoted (the kind runs the new version), or rolled back.
        if (current !== undefined && current.version >= recorded.candidate.version)
          throw new ConflictError(`the rollout of ${kind} was promoted (version ${current.version}) before this rollback was written`, {
            context: { agent: kind, version: current.version },
            hint: `the kind runs the new version now: to go back, upgrade ${kind} to the previous component`,
          });
        throw new Superseded(kind);
      });
    if (f !== undefined) f.aborting = reason;
    let written: AgentRecord | undefined;
    try {
      written = await this.audit('AbortRollout', kind, fields(recorded), write);
    } catch (err) {
      if (err instanceof Superseded) return this.view(kind); // rolled back already: what the operator asked for
      throw err;
    } finally {
      if (f !== undefined && (removed === undefined || removed.startedAt !== f.record.startedAt)) f.aborting = undefined;
    }
    if (removed === undefined) return undefined;
    if (f !== undefined && f.record.startedAt === removed.startedAt) f.controller.abort(reason);
    if (written !== undefined) await this.o.applied(written);
    agentLog(this.o.events, kind, 'warn', `rollout of kind version ${removed.candidate.version} aborted: ${reason}`);
    return this.view(kind);
  }

  close(): void {
    this.closed = true;
    for (const f of this.followed.values()) clearTimeout(f.timer);
  }

  /**
   * May the bake's end be decided here now? Never while the kind is held; with enough handlings
   * seen, on any node (a promotion, or a breach judged on them); with too few, only on the judging
   * node once the grace past the bake's end ran out (a rollback: never promoted blindly). Otherwise
   * a breach still rolls back, and the end waits.
   */
  private mayEnd(f: Followed): boolean {
    if (this.o.held(f.kind)) return false;
    if (f.controller.counts().handled >= ROLLOUT_BOUNDS.minSamples) return true;
    return this.o.judgesHere(f.kind) && this.now() >= f.controller.bakeUntil + (this.o.tooFewGraceMs?.() ?? 0);
  }

  private arm(f: Followed, after?: number): void {
    clearTimeout(f.timer);
    const wait = after ?? Math.max(0, f.controller.bakeUntil - this.now()) + 1;
    f.timer = setTimeout(() => {
      if (this.closed || f.ended || f.ending !== undefined) return;
      const verdict = f.controller.verdict(this.now(), !this.mayEnd(f));
      if (verdict.kind === 'wait') this.arm(f, this.now() >= f.controller.bakeUntil ? RECHECK_MS : undefined);
      else this.judge(f, verdict);
    }, wait);
    f.timer.unref();
  }

  private judge(f: Followed, verdict: RolloutVerdict): void {
    if (verdict.kind === 'wait' || this.closed || f.ending !== undefined || f.ended) return;
    clearTimeout(f.timer);
    f.ending = (verdict.kind === 'promote' ? this.promote(f) : this.rollBack(f, verdict.reason))
      .catch((err: unknown) => {
        if (err instanceof Superseded) return; // another node's verdict or an operator's abort came first: the record says which
        // Not written (the registry, the audit trail): the verdict stands and is written again shortly.
        agentLog(
          this.o.events,
          f.kind,
          'error',
          `rollout of kind version ${f.record.candidate.version}: its ${verdict.kind} was not written (${(err as Error).message}); tried again in ${RECHECK_MS} ms`,
        );
        if (!f.ended && !this.closed) this.arm(f, RECHECK_MS);
      })
      .finally(() => {
        f.ending = undefined;
      });
  }

  private async promote(f: Followed): Promise<void> {
    const r = f.record;
    const fields = rolloutFields(r.candidate.version, r.strategy, f.controller);
    const written = await this.audit('PromoteRollout', f.kind, fields, async () =>
      superseded(
        f.kind,
        await this.update(f.kind, (current) => {
          if (current?.rollout?.startedAt !== r.startedAt || current.rollout.abort !== undefined) return undefined;
          return { ...r.candidate, updatedAt: this.stamp(current) };
        }),
      ),
    );
    f.controller.settle();
    await this.o.applied(written);
    agentLog(
      this.o.events,
      f.kind,
      'info',
      `rollout promoted kind version ${r.candidate.version} (${countsText(f.controller)}): every key runs it from its next activation`,
    );
  }

  private async rollBack(f: Followed, reason: string): Promise<void> {
    const r = f.record;
    const fields = rolloutFields(r.candidate.version, r.strategy, f.controller, { reason });
    const written = await this.audit('RollBackRollout', f.kind, fields, async () =>
      superseded(
        f.kind,
        await this.update(f.kind, (current) => {
          if (current?.rollout?.startedAt !== r.startedAt) return undefined;
          const { rollout: _ended, ...rest } = current;
          return { ...rest, updatedAt: this.stamp(current) };
        }),
      ),
    );
    f.controller.settle();
    await this.o.applied(written);
    agentLog(
      this.o.events,
      f.kind,
      'warn',
      `rollout of kind version ${r.candidate.version} rolled back: ${reason}; its keys run version ${written.version} again from their next activation`,
    );
  }

  /**
   * It left the record: `promoted` when the record is the candidate's version now. The record's
   * word is the outcome shown, whatever this node decided; not promoted, an abort written here is
   * `aborted`, a verdict of this node's `rolled-back`, and one another node wrote `rolled-back`.
   */
  private end(f: Followed, promoted: boolean): void {
    clearTimeout(f.timer);
    f.ended = true;
    if (promoted) f.endedAs = 'promoted';
    else if (f.aborting !== undefined) f.controller.abort(f.aborting);
    else if (f.controller.phase === 'baking' || f.controller.phase === 'promoting') f.endedAs = 'rolled-back';
    f.controller.settle();
    f.controller.release();
    f.counted.clear();
    this.followed.delete(f.kind);
    this.endedViews.set(f.kind, viewOf(f));
  }

  /** A record's next `updatedAt`: now, and past the one it replaces (a clock step or a tie must not look like an older write). */
  private stamp(current: AgentRecord): number {
    return Math.max(this.now(), current.updatedAt + 1);
  }

  /** A compare-and-swap on the kind's record where the store has one; else read, decide, write (one node, one writer). */
  private async update(
    name: string,
    decide: (current: AgentRecord | undefined) => AgentRecord | undefined,
  ): Promise<AgentRecord | undefined> {
    const store = this.o.store;
    if (store === undefined) throw new Error('kind rollouts need the registry the kinds are kept in');
    if (store.updateAgent !== undefined) return store.updateAgent(name, decide);
    const next = decide(await store.getAgent(name));
    if (next !== undefined) await store.putAgent(next);
    return next;
  }
}

function viewOf(f: Followed): RolloutView {
  const r = f.record;
  return {
    strategy: r.strategy,
    phase: f.endedAs ?? f.controller.phase,
    candidateVersion: r.candidate.version,
    candidateDigest: r.candidate.artifactDigest,
    startedAt: r.startedAt,
    bakeUntil: f.controller.bakeUntil,
    thresholds: r.thresholds,
    counts: f.controller.counts(),
    ...(f.endedAs === 'promoted'
      ? {}
      : f.controller.reason !== undefined
        ? { reason: f.controller.reason }
        : f.endedAs === 'rolled-back'
          ? { reason: 'ended through another node (its log says why)' }
          : {}),
  };
}

/** A verdict whose compare-and-swap found the rollout gone: another node's verdict or an operator's abort came first. */
class Superseded extends ConflictError {
  constructor(kind: string) {
    super(`the rollout of ${kind} had already ended when this node's verdict was written`, {
      context: { agent: kind },
      hint: "nothing to do: the kind's record holds the outcome that came first",
    });
  }
}

/** The written record, or Superseded when the compare-and-swap wrote nothing (so the audit trail says it did not happen). */
function superseded(kind: string, written: AgentRecord | undefined): AgentRecord {
  if (written === undefined) throw new Superseded(kind);
  return written;
}
