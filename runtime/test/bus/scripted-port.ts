/**
 * Unit-test collaborators for the bus: a scripted node port (nothing runs WASM: `execute` answers
 * from a script) and a MemoryMessageLog that records what it was asked, in order, and can hold or
 * fail appends and completions. Shared by bus.test.ts and dispatch-loop.test.ts.
 */
import { CaxtonError, timerDoneStateKey, type AclMessage, type Delivery, type StateWrite } from '@caxton/core';
import { Bus } from '../../src/bus/bus.js';
import { BusEvents, type BusEvent } from '../../src/bus/events.js';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import type { CompletionRecord, DeadLetter } from '../../src/log/message-log.js';
import { KafkaNotOwnerError, KafkaStateNotOwnerError } from '../../src/log/kafka/errors.js';
import type { ClaimedCommit } from '../../src/storage/ports.js';
import type { ExecutionOutcome, ExecutionResult, WorkItem } from '../../src/bus/executor.js';
import type {
  BusPort,
  CommittedEffects,
  DispatchOwnership,
  ProtocolGate,
  ReceiverKind,
  RemoteTransport,
  SendRouting,
} from '../../src/bus/port.js';
import {
  resolutionOf,
  spreadTarget,
  RESOLVED_UNKNOWN,
  type NoActivation,
  type ReplicaChoice,
  type Resolution,
} from '../../src/bus/resolution.js';
import type { DispatchLimits } from '../../src/bus/dispatch-loop.js';
import type { EdgeAdmissionLimits } from '../../src/bus/edge-admission.js';
import type { TextLimits } from '../../src/bus/mailbox-shares.js';
import type { NodeTextLimits } from '../../src/bus/node-text.js';

/** What the script says one item did; unspecified fields are empty, the outcome defaults to ok. */
export interface ScriptedHandling {
  outcome?: ExecutionOutcome;
  outbox?: AclMessage[];
  timers?: ExecutionResult['timers'];
  stateWrites?: StateWrite[];
  /** Fuel the handling used; default 1. */
  fuelUsed?: number;
}

export type Script = (item: WorkItem) => ScriptedHandling | Promise<ScriptedHandling>;

export class ScriptedPort implements BusPort {
  readonly agents = new Set<string>();
  readonly externals = new Set<string>(['operator']);
  /** Agents `isRunnable` refuses (deployed but not running here). */
  readonly notRunnable = new Set<string>();
  gate: ProtocolGate | undefined;
  transport: RemoteTransport | undefined;
  /** Agents absent here (decision 1990) with their bounds; unset: none is. */
  absence: SendRouting['absence'];
  /** A cluster's shared count of absent queues (decision 2157); unset: none. */
  sharedAbsent: SendRouting['sharedAbsent'];
  /** A topic's subscriptions (decision 1960); unset: no topics. */
  subscriptions: SendRouting['subscriptions'];
  ownership: DispatchOwnership | undefined;
  script: Script = () => ({});
  /** Every batch `execute` got, in order. */
  readonly batches: WorkItem[][] = [];
  readonly timersDone: [agent: string, timerId: string][] = [];
  readonly mail: string[] = [];
  /** Every result `effects.apply` got, in order. */
  readonly applied: ExecutionResult[] = [];

  constructor(agents: readonly string[]) {
    for (const a of agents) this.agents.add(a);
  }

  /** Every item handed out, in order. */
  get items(): WorkItem[] {
    return this.batches.flat();
  }

  /** The deliveries `agent` was given, in order (content only). */
  handledBy(agent: string): string[] {
    return this.items
      .filter((i) => i.agent === agent && i.kind === 'delivery')
      .map((i) => (i as { delivery: Delivery }).delivery.message.content ?? '');
  }

  /** Without side effects, as the node's port: the same answer as `route` giving `agent`. */
  isAgent(name: string): boolean {
    return this.agents.has(name);
  }

  /** Where a name lives; tests replace it to script other answers (`activation-limit`…). */
  route(name: string): ReceiverKind {
    if (this.agents.has(name)) return 'agent';
    return this.externals.has(name) ? 'external' : 'unknown';
  }

  /** Where replicas are spread (decision 2093), the unit a send is written to; unset: none are. */
  unitOf: ReplicaChoice | undefined;
  /** The kept answer for a receiver at its activation limit, as the node's port keeps one. */
  atActivationLimit: NoActivation = { kind: 'activation-limit', limit: 4, retryAfterMs: 1000 };

  resolve(name: string, message: AclMessage, messageId: string): Resolution {
    const target = this.unitOf !== undefined ? spreadTarget(name, message, messageId, this.unitOf) : name;
    return target === undefined ? RESOLVED_UNKNOWN : resolutionOf(this.route(target), target, this.atActivationLimit);
  }

  async execute(batch: readonly WorkItem[]): Promise<ExecutionResult[]> {
    this.batches.push([...batch]);
    const results: ExecutionResult[] = [];
    const stopped = new Set<string>();
    // As the sandbox does: an agent's run stops at its first item that did not complete.
    for (const item of batch) {
      const workId = item.kind === 'delivery' ? item.delivery.id : `timer:${item.token}`;
      const base = { agent: item.agent, workId, fuelUsed: 1, outbox: [], timers: [], directory: [], stateWrites: [], http: [], logs: [] };
      if (stopped.has(item.agent)) {
        results.push({ ...base, outcome: { status: 'skipped', reason: 'an earlier item did not complete' } });
        continue;
      }
      const h = await this.script(item);
      const outcome = h.outcome ?? { status: 'ok' };
      if (outcome.status !== 'ok' && outcome.status !== 'rejected') stopped.add(item.agent);
      results.push({
        ...base,
        outcome,
        fuelUsed: h.fuelUsed ?? 1,
        outbox: h.outbox ?? [],
        timers: h.timers ?? [],
        stateWrites: h.stateWrites ?? [],
      });
    }
    return results;
  }

  isRunnable(agent: string): boolean {
    return this.agents.has(agent) && !this.notRunnable.has(agent);
  }

  /** While set, applyEffects waits for it (a slow registry write). */
  holdEffects: Promise<void> | undefined;

  async applyEffects(result: Pick<ExecutionResult, 'agent' | 'timers' | 'directory'>): Promise<void> {
    if (this.holdEffects) await this.holdEffects;
    this.applied.push(result as ExecutionResult);
  }

  async forgetTimer(agent: string, timerId: string): Promise<void> {
    this.timersDone.push([agent, timerId]);
  }

  /** Fired timers left in the registry for their partition's next owner (decision 2060). */
  readonly timersLeft: [agent: string, timerId: string][] = [];

  leaveTimer(agent: string, timerId: string): void {
    this.timersLeft.push([agent, timerId]);
  }

  /** Agents whose state view the applier asked to reset (a rewind), in order. */
  readonly resets: string[] = [];

  async resetState(agent: string): Promise<void> {
    this.resets.push(agent);
  }

  mailArrived(agent: string): void {
    this.mail.push(agent);
  }

  /** The port's groups, read from the members above each time: a test sets or overrides those. */
  get sending(): SendRouting {
    return {
      gate: this.gate,
      transport: this.transport,
      absence: this.absence,
      sharedAbsent: this.sharedAbsent,
      subscriptions: this.subscriptions,
    };
  }

  get effects(): CommittedEffects {
    const port = this as ScriptedPort & Partial<Pick<CommittedEffects, 'releaseHttp' | 'dropHttp'>>;
    return {
      apply: (result) => this.applyEffects(result),
      forgetTimer: (agent, timerId) => this.forgetTimer(agent, timerId),
      leaveTimer: (agent, timerId) => this.leaveTimer(agent, timerId),
      resetState: (agent) => this.resetState(agent),
      ...(port.releaseHttp !== undefined ? { releaseHttp: (key: string) => port.releaseHttp!(key) } : {}),
      ...(port.dropHttp !== undefined ? { dropHttp: (key: string) => port.dropHttp!(key) } : {}),
    };
  }
}

/** A MemoryMessageLog that records its calls (`append:<ids>`, `complete:<ids>`) and can hold or fail them. */
export class RecordingLog extends MemoryMessageLog {
  readonly ops: string[] = [];
  /** Appends of deliveries this matches fail (not durable). */
  failAppend: (d: Delivery) => boolean = () => false;
  /** While set, complete() waits for it (a slow commit). */
  holdCompletions: Promise<void> | undefined;
  readonly completedIds = new Set<string>();
  /** Completions whose state this matches are refused, as a log refuses state it cannot store. */
  refuseState: (write: StateWrite) => boolean = () => false;
  /** commitState fails while set (the log stopped). */
  failCommitState = false;

  constructor(dedupWindow?: number, maxDeadLetters?: number) {
    super(dedupWindow, maxDeadLetters);
    // The calls these tests hold and fail are `append` and `complete`: this log does not commit in
    // call order (as Kafka's), so the memory log's in-order methods (decision 2125) are not offered.
    // A subclass that queues in call order itself (GroupCommitLog) keeps its own.
    for (const method of ['appendInOrder', 'completeInOrder'] as const) {
      if (this[method] === MemoryMessageLog.prototype[method]) Object.defineProperty(this, method, { value: undefined });
    }
  }

  override async append(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.some((d) => this.failAppend(d))) throw new Error('disk on fire');
    this.ops.push(`append:${deliveries.map((d) => d.id).join(',')}`);
    return super.append(deliveries);
  }

  override async complete(records: readonly CompletionRecord[]): Promise<void> {
    if (this.holdCompletions) await this.holdCompletions;
    if (records.some((r) => r.state?.some((w) => this.refuseState(w)))) {
      throw new CaxtonError('log.invalid-state', 'state entry does not fit a record', { kind: 'invalid-argument', hint: 'smaller values' });
    }
    this.ops.push(`complete:${records.map((r) => (r.state ? `${r.id}+state` : r.id)).join(',')}`);
    for (const r of records) this.completedIds.add(r.id);
    return super.complete(records);
  }

  override async commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    if (this.failCommitState)
      throw new CaxtonError('log.failed', 'the log failed: disk on fire', { kind: 'internal', hint: 'check the disk' });
    this.ops.push(`commit-state:${agent}`);
    return super.commitState(agent, writes);
  }

  /** What `counted` answers for a claimed commit (false: another node claimed the partition first, as a zombie's log shows). */
  claimedCounts = true;
  /** commitClaimed refuses `bus.kafka.not-owner` while set (the partition was revoked here). */
  claimRevoked = false;

  /** As the Kafka log's (decision 2060): an instance timer's commit tagged with its partition's claim. */
  async commitClaimed(agent: string, writes: readonly StateWrite[]): Promise<ClaimedCommit> {
    if (this.claimRevoked) throw new KafkaStateNotOwnerError(agent, { partition: 0, reason: 'partition not held here' });
    if (this.failCommitState)
      throw new CaxtonError('log.failed', 'the log failed: disk on fire', { kind: 'internal', hint: 'check the disk' });
    this.ops.push(`commit-claimed:${agent}`);
    await super.commitState(agent, writes);
    return { partition: 0, offset: this.ops.length, claim: 'scripted-claim' };
  }

  /** While set, `counted` waits for it and answers what it resolves to (the reader behind the commit). */
  holdCounted: Promise<boolean> | undefined;

  async counted(commit: ClaimedCommit, _withinMs: number): Promise<boolean> {
    this.ops.push(`counted:${commit.offset}:${this.claimedCounts}`);
    if (this.holdCounted) return this.holdCounted;
    return this.claimedCounts;
  }

  /** While set, `readCounted` lacks timers' done markers (this node's own commits, not read back yet). */
  markersUnread = false;

  async readCounted(agent: string): Promise<ReadonlyMap<string, string>> {
    this.ops.push(`read-counted:${agent}`);
    const view = new Map(await this.readState(agent));
    if (this.markersUnread) for (const key of [...view.keys()]) if (key.startsWith(timerDoneStateKey(''))) view.delete(key);
    return view;
  }

  /** Deliveries whose partition moved to another node: `holds` says so, dead letters are refused. */
  readonly movedAway = new Set<string>();
  /** Dead letters of these are refused `bus.kafka.not-owner` (a revocation `holds` did not see yet). */
  notOwner: (d: Delivery) => boolean = () => false;
  /** Dead letters of these fail for another reason (the log unavailable): not written. */
  failDeadLetter: (d: Delivery) => boolean = () => false;

  holds(d: Pick<Delivery, 'id'>): boolean {
    return !this.movedAway.has(d.id);
  }

  override async deadLetter(letter: DeadLetter): Promise<void> {
    if (this.movedAway.has(letter.delivery.id) || this.notOwner(letter.delivery)) {
      this.ops.push(`dead-letter-refused:${letter.delivery.id}`);
      throw new KafkaNotOwnerError([letter.delivery.id]);
    }
    if (this.failDeadLetter(letter.delivery)) {
      this.ops.push(`dead-letter-failed:${letter.delivery.id}`);
      throw new Error('the log is unavailable');
    }
    this.ops.push(`dead-letter:${letter.delivery.id}`);
    return super.deadLetter(letter);
  }
}

export interface TestBus {
  bus: Bus;
  port: ScriptedPort;
  log: RecordingLog;
  events: BusEvent[];
}

/** An open, consuming bus on a RecordingLog with a ScriptedPort for `agents`. */
export async function openBus(
  agents: readonly string[],
  opts: {
    capacity?: number;
    dispatch?: Partial<DispatchLimits>;
    port?: (p: ScriptedPort) => void;
    noStateStore?: boolean;
    edgeAdmission?: EdgeAdmissionLimits;
    log?: RecordingLog;
    mailboxText?: TextLimits;
    nodeText?: NodeTextLimits;
  } = {},
): Promise<TestBus> {
  const log = opts.log ?? new RecordingLog();
  const port = new ScriptedPort(agents);
  opts.port?.(port);
  const events = new BusEvents();
  const seen: BusEvent[] = [];
  events.on((e) => seen.push(e));
  const bus = new Bus({
    log,
    ...(opts.noStateStore ? {} : { state: log }),
    nodeId: 'n1',
    platform: 'caxton',
    mailboxCapacity: opts.capacity ?? 100,
    events,
    dispatch: { maxAttempts: 3, maxBatch: 64, maxPerAgent: 1, maxInFlight: 2, ...opts.dispatch },
    ...(opts.edgeAdmission ? { edgeAdmission: opts.edgeAdmission } : {}),
    ...(opts.mailboxText ? { mailboxText: opts.mailboxText } : {}),
    ...(opts.nodeText ? { nodeText: opts.nodeText } : {}),
  });
  await bus.open(port);
  await bus.start();
  return { bus, port, log, events: seen };
}

export function inform(to: string | string[], content: string): AclMessage {
  return { performative: 'inform', receivers: (Array.isArray(to) ? to : [to]).map((name) => ({ name })), content };
}

export const operator = { external: { name: 'operator@caxton' } } as const;

/** Let setImmediate/microtask work (the loop's passes, the memory log's hand-outs) run. */
export const ticks = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Poll until `check` holds (the loop runs on its own). */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A promise and the function that resolves it. */
export function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
