/**
 * Runs an agent's component again on the handlings the log recorded (issue 57), offline: an
 * in-thread sandbox with the deployment's fuel and memory limits, its state view kept on the
 * RECORDED path (each handling runs on the state the log says it had), nothing sent, no HTTP call
 * made, nothing written. Each handling's effects are compared with its record (compare.ts): with
 * the recorded component a difference is a determinism bug; with another version it is what that
 * version would have done differently.
 *
 * What the replay does not reproduce, and says so: the time a handling read (the log does not
 * record it: the replay gives it its work's acceptance time, and counts the reads), the node's
 * per-second quotas (not applied),
 * the directory (`search-services` answers from the registry as it is now), secure randomness (counted per
 * handling), and an instance's memory from before the span (one instance runs the whole span).
 */
import { isInstanceName, isReplicaUnitName, type Delivery, type HandlingStep, type StateWrite } from '@caxton/core';
import type { Engine, Work, WorkResult } from '@caxton/sandbox';
import { outcomeOf, ReplaySandbox } from './replay-sandbox.js';
import { differences, ownWrites, type Difference } from './compare.js';
import { faultPoint } from '../faults/fault-points.js';
import type { RecordedDeployment, RecordedEvent, RecordedHandling } from './recorded.js';

export interface ReplayOptions {
  engine: Engine;
  deployment: RecordedDeployment;
  /** The agent's identity as its sandbox knew it (`name@platform`, or `kind/key@platform`). */
  identity: string;
  /** The component to run: the recorded version's bytes, or another version's. */
  component: Uint8Array;
  /**
   * What `search-services` answers: the directory the log does not record, as the registry holds
   * it now (a service registered or withdrawn since the span is seen as it is now). Default: empty.
   */
  servicesByType?: ReadonlyMap<string, readonly { name: string }[]>;
  /** Which recorded handlings to report (the others still move the state on). Default: all. */
  select?: (h: RecordedHandling) => boolean;
  /**
   * Run the handlings not selected too, unreported, so the instance's memory goes through what it
   * went through (an agent that keeps a conversation in memory). Default: they are not run.
   */
  runUnselected?: boolean;
  /** The names of the agents deployed where the log was recorded (bare): sends to them are in the log. */
  localAgents?: ReadonlySet<string>;
  /** Put each reported handling's step in its report: its input, the state before, what it did. */
  trace?: boolean;
  /** At most this fuel a handling (and an init), whatever the deployment allows: a replay in a node's own thread. */
  maxFuelPerHandling?: number;
}

/** What one replayed handling did against its record. */
export interface HandlingReport {
  /** 1-based, among the handlings selected. */
  index: number;
  position: string;
  work:
    | {
        kind: 'message';
        id: string;
        messageId: string;
        performative: string;
        sender: string | undefined;
        conversationId: string | undefined;
        at: number;
      }
    | { kind: 'timer'; id: string; token: string; at: number | undefined };
  outcome: string;
  fuelUsed: number;
  /** Secure random bytes it read (real randomness: a difference there may not be a bug). */
  secureRandomBytes: number;
  /** Times it read a clock (the host's time: a difference there may not be a bug unless `clockRecorded`). */
  clockReads: number;
  /**
   * The log recorded its first clock read and the replay's first read returned it (decision 2178):
   * only a later read that moved on differently can then explain a difference.
   */
  clockRecorded: boolean;
  /** Recorded before the version replayed was deployed (`versionSince`): an earlier version ran it. */
  beforeVersion?: true;
  /** With `trace`: the handling as a step — what it was handed, the state before, what it did. */
  step?: HandlingStep;
  differences: Difference[];
}

export interface ReplaySummary {
  /** Handlings the log holds for the agent in what was read. */
  recorded: number;
  replayed: number;
  diverged: number;
  crashed: number;
  deadLettered: number;
  /** Recorded handlings whose replay read secure random bytes. */
  readSecureRandom: number;
  /** Handlings that differ and read a clock whose time the log did not record (the replay gave them their work's). */
  differedReadingClock: number;
  /** Handlings that differ and were recorded under an earlier version than the one replayed. */
  differedBeforeVersion: number;
  /** Recorded handlings that cannot be run again: a timer firing whose token the log does not hold. */
  unreplayable: number;
  fuelUsed: number;
  elapsedMs: number;
  deliveriesPerSecond: number;
}

/** One handling as a step of a conversation (`caxton replay --trace`). */
export type { HandlingStep } from '@caxton/core';

export class Replayer {
  private readonly sandbox: ReplaySandbox;
  private readonly state = new Map<string, string>();
  private readonly platform: string | undefined;
  private deployed = false;
  /** Whether a receiver is an agent of the recording node (`name`, `name@platform`, `kind/key`), when the options say which are. */
  private readonly isLocal: { isLocal?: (name: string) => boolean };
  /** The sandbox's state view is not the recorded one: reset it before the next handling. */
  private stale = false;
  private readonly summary: ReplaySummary = {
    recorded: 0,
    replayed: 0,
    diverged: 0,
    crashed: 0,
    deadLettered: 0,
    readSecureRandom: 0,
    differedReadingClock: 0,
    differedBeforeVersion: 0,
    unreplayable: 0,
    fuelUsed: 0,
    elapsedMs: 0,
    deliveriesPerSecond: 0,
  };

  constructor(private readonly o: ReplayOptions) {
    this.sandbox = new ReplaySandbox(o.engine, o.identity, o.servicesByType);
    const at = o.identity.lastIndexOf('@');
    this.platform = at < 0 ? undefined : o.identity.slice(at + 1);
    const local = o.localAgents;
    const suffix = this.platform === undefined ? undefined : `@${this.platform}`;
    this.isLocal =
      local === undefined
        ? {}
        : {
            isLocal: (name) => {
              const bare = suffix !== undefined && name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
              if (bare.includes('@')) return false;
              const slash = bare.indexOf('/');
              return local.has(slash < 0 ? bare : bare.slice(0, slash));
            },
          };
  }

  /** Replays `events` in order, yielding a report per selected handling; `summary()` after. */
  async *run(events: AsyncIterable<RecordedEvent>): AsyncGenerator<HandlingReport> {
    const t0 = performance.now();
    let index = 0;
    try {
      for await (const event of events) {
        if (event.kind === 'state') {
          this.applyRecorded(event.writes, event.reset, true);
          continue;
        }
        if (event.kind === 'dead-lettered') {
          this.summary.deadLettered++;
          continue;
        }
        this.summary.recorded++;
        if (event.work.kind === 'timer' && event.work.token === undefined) {
          // Its token is not in the log: what the agent was handed cannot be known. Its writes still count.
          this.summary.unreplayable++;
          this.applyRecorded(event.state, false, true);
          continue;
        }
        if (this.o.select !== undefined && !this.o.select(event)) {
          if (this.o.runUnselected === true) await this.runUnreported(event);
          else this.applyRecorded(event.state, false, true);
          continue;
        }
        const report = await this.replayOne(event, ++index);
        faultPoint('replay-handled');
        yield report;
      }
    } finally {
      this.summary.elapsedMs = performance.now() - t0;
      this.summary.deliveriesPerSecond = this.summary.elapsedMs > 0 ? (this.summary.replayed * 1000) / this.summary.elapsedMs : 0;
    }
  }

  summaryOf(): ReplaySummary {
    return { ...this.summary };
  }

  close(): void {
    if (this.deployed) this.sandbox.undeploy();
  }

  private async ensureDeployed(): Promise<void> {
    if (this.deployed) return;
    await this.sandbox.deploy(this.o.deployment, this.o.component, [...this.state], this.o.maxFuelPerHandling);
    this.deployed = true;
  }

  /** A handling not selected, run only for what it leaves in the instance; back on the recorded path after. */
  private async runUnreported(h: RecordedHandling): Promise<void> {
    await this.ensureDeployed();
    this.syncState();
    const result = this.sandbox.run(this.workOf(h), workTime(h), h.clockAt);
    const completed = result.status === 'ok' || result.status === 'rejected';
    this.applyRecorded(h.state, false, !completed || !sameOwn(h.state, result.stateWrites));
  }

  /** Before a handling runs: the sandbox's view is reset to the recorded state if it went elsewhere. */
  private syncState(): void {
    if (!this.stale) return;
    this.stale = false;
    this.sandbox.resetState([...this.state]);
  }

  private async replayOne(h: RecordedHandling, index: number): Promise<HandlingReport> {
    await this.ensureDeployed();
    this.syncState();
    const work = this.workOf(h);
    const before = this.o.trace === true ? new Map(this.state) : undefined;
    const result = this.sandbox.run(work, workTime(h), h.clockAt);
    this.summary.replayed++;
    this.summary.fuelUsed += result.fuelUsed;
    const completed = result.status === 'ok' || result.status === 'rejected';
    if (!completed) this.summary.crashed++;
    const secureRandomBytes = result.secureRandomBytes ?? 0;
    if (secureRandomBytes > 0) this.summary.readSecureRandom++;
    const diffs = differences(
      {
        sends: h.sends,
        sendIndexes: h.sendIndexes,
        ...this.isLocal,
        state: h.state,
        timersRecorded: !isInstanceName(this.localName()) && !isReplicaUnitName(this.localName()),
      },
      {
        completed,
        outcome: outcomeOf(result),
        outbox: completed ? result.outbox : [],
        stateWrites: completed ? result.stateWrites : [],
        timers: completed ? result.timers : [],
        http: completed ? result.http : [],
      },
      this.platform,
    );
    const clockReads = result.clockReads ?? 0;
    if (diffs.length > 0) this.summary.diverged++;
    if (diffs.length > 0 && clockReads > 0 && h.clockAt === undefined) this.summary.differedReadingClock++;
    const at = workTime(h);
    const beforeVersion = this.o.deployment.versionSince !== undefined && at !== undefined && at < this.o.deployment.versionSince;
    if (diffs.length > 0 && beforeVersion) this.summary.differedBeforeVersion++;
    // Back on the recorded path: the next handling runs on the state the log says it had.
    this.applyRecorded(h.state, false, diffs.some((d) => d.what === 'state') || !completed);
    return {
      index,
      position: h.position,
      work: describe(h),
      outcome: outcomeOf(result),
      fuelUsed: result.fuelUsed,
      secureRandomBytes,
      clockReads,
      clockRecorded: h.clockAt !== undefined,
      ...(beforeVersion ? { beforeVersion: true as const } : {}),
      ...(before === undefined ? {} : { step: stepOf(h, before, result) }),
      differences: diffs,
    };
  }

  private localName(): string {
    const at = this.o.identity.lastIndexOf('@');
    return at < 0 ? this.o.identity : this.o.identity.slice(0, at);
  }

  private workOf(h: RecordedHandling): Work {
    const w = h.work;
    if (w.kind === 'message') return { kind: 'message', agent: this.o.identity, delivery: w.delivery };
    return {
      kind: 'timer',
      id: `timer:${w.timerId}`,
      agent: this.o.identity,
      token: w.token ?? '',
      ...(w.dueAt === undefined ? {} : { dueAt: w.dueAt }),
    };
  }

  /**
   * Applies recorded writes to the replay's view of the state; `resync`: the sandbox's view took
   * other writes (or none) than the log did, so it is reset to the recorded one.
   */
  private applyRecorded(writes: readonly { key: string; value: string | null }[], reset: boolean, resync: boolean): void {
    if (reset) this.state.clear();
    for (const w of writes) {
      if (w.value === null) this.state.delete(w.key);
      else this.state.set(w.key, w.value);
    }
    // A handling whose own writes matched left the sandbox's view as the log's; the reserved
    // bookkeeping (timer records, done markers) differs, but no agent can read it. Otherwise the
    // view is reset before the next handling runs (once, however many records came between).
    if (resync) this.stale = true;
  }
}

function describe(h: RecordedHandling): HandlingReport['work'] {
  const w = h.work;
  if (w.kind === 'timer') return { kind: 'timer', id: w.timerId, token: w.token ?? '', at: w.dueAt };
  const d: Delivery = w.delivery;
  return {
    kind: 'message',
    id: d.id,
    messageId: d.messageId,
    performative: d.message.performative,
    sender: d.message.sender?.name,
    conversationId: d.message.conversationId,
    at: d.acceptedAt,
  };
}

/** Whether a run wrote the same own state as the record (reserved bookkeeping left out). */
function sameOwn(recorded: readonly StateWrite[], replayed: readonly StateWrite[]): boolean {
  const a = ownWrites(recorded);
  const b = ownWrites(replayed);
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v || !b.has(k)) return false;
  return true;
}

/** A handling as a step: its input, the state before of every key it or its record wrote, and what the replay did. */
function stepOf(h: RecordedHandling, before: ReadonlyMap<string, string>, result: WorkResult): HandlingStep {
  const w = h.work;
  const recordedWrites = Object.fromEntries(ownWrites(h.state));
  const replayedWrites =
    result.status === 'ok' || result.status === 'rejected' ? ownWrites(result.stateWrites) : new Map<string, string | null>();
  const stateBefore: Record<string, string | null> = {};
  for (const key of new Set([...Object.keys(recordedWrites), ...replayedWrites.keys()])) stateBefore[key] = before.get(key) ?? null;
  return {
    input:
      w.kind === 'timer'
        ? { timer: w.token ?? '' }
        : {
            performative: w.delivery.message.performative,
            sender: w.delivery.message.sender?.name,
            content: w.delivery.message.content,
            conversationId: w.delivery.message.conversationId,
          },
    stateBefore,
    recordedWrites,
    sent: result.outbox.map((m) => ({ performative: m.performative, receivers: m.receivers.map((r) => r.name), content: m.content })),
    timers: result.timers.map((t) => ({ token: t.token, delayMs: t.delayMs })),
    http: result.http.map((c) => ({ method: c.request.method, url: c.request.url })),
    logs: result.logs.map((l) => `${l.level}: ${l.message}`),
  };
}

/** A recorded handling's work time: its delivery's acceptance, its timer's due time (undefined: not recorded). */
function workTime(h: RecordedHandling): number | undefined {
  return h.work.kind === 'message' ? h.work.delivery.acceptedAt : h.work.dueAt;
}
