/**
 * The handling plan (issue 24): a pure function from (the batch the sandbox ran, what it returned,
 * the loop's settings) to the ordered steps of each work item. It decides everything about
 * durability and ordering — which messages leave under which derived ids, which effects apply,
 * where the one commit point is and what rides in it, what may only happen after it — and nothing
 * here performs any of it: the applier (`../applier.ts`) is the one place that executes steps
 * against the log, the registry and the HTTP gateway (Temporal's split: the workflow returns
 * commands, the worker applies them).
 *
 * The guarantees are properties of plans, tested without a log or a clock (handling-plan.test.ts):
 * - every outbox message and effect of an item comes before its commit point;
 * - state is written only by a commit point (a delivery's completion, or a durable timer's commit
 *   together with its done marker), never on its own;
 * - HTTP calls are released, timers a handling set are put in the registry (recorded in its commit
 *   point where the log keeps state), and a fired timer forgotten, only after the commit point;
 * - per agent, once an item does not complete, nothing after it in the batch commits;
 * - an item whose commit point the log would refuse sends and sets nothing, nor do its agent's later
 *   items in the batch (run on its writes): no reply computed on a write that never counts leaves;
 * - a crash the agent did not cause (its shard was reset for another agent) is no attempt.
 */
import {
  httpPendingStateKey,
  isInstanceName,
  isReplicaUnitName,
  ReplicaUnitEffectError,
  timerDoneStateKey,
  type AclMessage,
  type StateWrite,
} from '@caxton/core';
import type { DirectoryEffect, ExecutionResult, WorkItem } from '../executor.js';
import { derivedMessageId } from '../ids.js';
import { timerIntentRemoval, timerIntentWrite, type TimerIntent } from './timer-intents.js';

/** One message of an outbox, with the id it is sent under (derived: a re-handling re-sends the same ids). */
export interface PlannedSend {
  message: AclMessage;
  /** Undefined for an agent's `init`, which runs anew at every start: its sends are new messages. */
  id: string | undefined;
}

export type Step =
  /** Append the messages the handling sent; durable before any later step of the item. */
  | { kind: 'send'; messages: readonly PlannedSend[] }
  /** The handler rejected the message: the platform tells the sender (`failure`). */
  | { kind: 'reply-failure'; reason: string }
  /** The agent (re)started: re-arm its pending timers and recover its lost HTTP calls (before its own effects). */
  | { kind: 'resume' }
  /**
   * Timers set and directory changes asked for (registry writes), before the commit point. Timers
   * only where the log keeps no state (nothing to record them in) and for init (no commit point).
   */
  | { kind: 'effects'; timers: readonly { delayMs: number; token: string; id?: string }[]; directory: readonly DirectoryEffect[] }
  /**
   * After the commit point that recorded them (issue 55): put the handling's timers in the registry
   * and arm them, then remove their records. A killed handling that never committed set nothing.
   */
  | { kind: 'set-timers'; timers: readonly TimerIntent[] }
  /** Cluster: may this node still commit work taken under the ownership it held? */
  | { kind: 'fence' }
  /**
   * THE commit point of a delivery: its completion, with the handling's state writes, in one durable
   * step; `clockAt`, the handling's first wall-clock read, recorded with it (decision 2178).
   */
  | { kind: 'complete'; deliveryId: string; state: readonly StateWrite[]; clockAt?: number }
  /**
   * THE commit point of a durable timer's firing: its state writes and its done marker in one
   * durable step (so a firing seen again after a crash is recognised), or just its writes when the
   * log keeps no state (then the firing is at-least-once, as any effect without a commit record).
   */
  | { kind: 'commit-timer'; timerId: string | undefined; state: readonly StateWrite[] }
  /** Let the HTTP calls the handling made leave (decision 1601): after the commit point only. */
  | { kind: 'release-http'; key: string }
  /** Delete the fired timer from the registry, then its done marker. */
  | { kind: 'forget-timer'; timerId: string }
  /**
   * Move the delivery aside for good (poison message), then tell its sender. `rewind`: the handling
   * ran and is refused whole (a replica unit's state writes, decision 2096): the agent's view holds
   * what it wrote, so it is reset to its committed state before it handles anything else.
   */
  | { kind: 'dead-letter'; reason: string; attempts: number; rewind?: true };

/**
 * How the item leaves the loop.
 * - `commit`: it has a commit point; a delivery leaves its queue (early release hands it off first).
 * - `dead-letter`: it leaves through its dead-letter step.
 * - `retry`: it crashed; the attempt counts and it stays at the head of its mailbox.
 * - `requeue`: not run, or run and lost to a shard reset it did not cause: it stays, no attempt.
 * - `park`: the agent does not run here now; its work waits until something wakes it.
 * - `forget`: a timer whose handling crashed: it is gone (a crashing timer is not retried).
 * - `refused`: it ran, but the log refuses its commit point (`refusal`, known before anything of the
 *   batch is applied): nothing of it is applied, and it is taken as a commit the log refused — an
 *   attempt (a delivery is dead-lettered at maxAttempts; a timer stays persisted), its agent rewound.
 */
export type Disposition = 'commit' | 'dead-letter' | 'retry' | 'requeue' | 'park' | 'forget' | 'refused';

export interface WorkPlan {
  /** Position in the batch (and in the results). */
  index: number;
  agent: string;
  item: WorkItem;
  steps: readonly Step[];
  disposition: Disposition;
  /** A `requeue` because its shard was reset for another agent (retried shortly, not at once). */
  lostToReset?: true;
  /** Said in the agent's log when the plan is applied: why a `forget` dropped what the handling did (never silent). */
  warning?: string;
  /** Why the log refuses the commit point of a `refused` plan (its typed error). */
  refusal?: Error;
}

export interface PlanSettings {
  /** Crashes of one delivery before it is dead-lettered. */
  maxAttempts: number;
  /** Completions are fenced by ownership (a cluster). */
  fenced: boolean;
  /** The log keeps agents' state: a durable timer's commit carries its done marker. */
  keepsState: boolean;
  /**
   * The wall clock, read only to name what a timer fired by hand (no timer id) sends: those ids are
   * persisted and must differ across restarts, which a monotonic clock (reset with the process) does
   * not give. A function, so a batch of deliveries and durable timers reads no clock (decision 2140).
   */
  wallNow: () => number;
  /**
   * The log's refusal of a commit of these writes (AgentStateStore.commitRefusal), asked only for a
   * handling that writes state (a timer's done marker included): deterministic, so asked once here.
   */
  commitRefusal?: ((agent: string, writes: readonly StateWrite[], completes?: string, clockAt?: number) => Error | undefined) | undefined;
}

/** The work key under which a handling's HTTP calls are held (delivery id, or agent + timer). */
export function httpKeyOf(item: WorkItem): string {
  return item.kind === 'delivery' ? item.delivery.id : `${item.agent}\u0000${item.timerId ?? `token:${item.token}`}`;
}

/** The parent of the derived ids of what an item sends (stable across re-handlings of the same work). */
export function sendParentOf(item: WorkItem, wallNow: () => number): string {
  if (item.kind === 'delivery') return item.delivery.id;
  return item.timerId !== undefined ? `${item.agent}:timer:${item.timerId}` : `${item.agent}:timer:${item.token}:${wallNow()}`;
}

/** Plan a whole batch: one plan per item, in batch order. */
export function planBatch(batch: readonly WorkItem[], results: readonly ExecutionResult[], settings: PlanSettings): WorkPlan[] {
  // Agents whose run stopped at an item that did not complete: their later items stay queued.
  const stopped = new Set<string>();
  const plans: WorkPlan[] = [];
  for (let index = 0; index < batch.length; index++) {
    const item = batch[index]!;
    const result = results[index]!;
    if (stopped.has(item.agent)) {
      plans.push({ index, agent: item.agent, item, steps: [], disposition: 'requeue' });
      continue;
    }
    const plan = planItem(index, item, result, settings);
    if (plan.disposition !== 'commit') stopped.add(item.agent);
    plans.push(plan);
  }
  return plans;
}

function planItem(index: number, item: WorkItem, result: ExecutionResult, s: PlanSettings): WorkPlan {
  const outcome = result.outcome;
  switch (outcome.status) {
    case 'skipped':
      return { index, agent: item.agent, item, steps: [], disposition: 'requeue' };
    case 'not-running':
      return { index, agent: item.agent, item, steps: [], disposition: 'park' };
    case 'crashed':
      return planCrash({ index, agent: item.agent, item }, item, outcome, s);
    case 'ok':
    case 'rejected': {
      if (result.stateWrites.length > 0 && isReplicaUnitName(item.agent)) return planUnitWithState(index, item, result, s);
      const steps = completedSteps(item, result, s);
      // Only a handling that commits state can be refused (a message without writes is not asked; a
      // clock read alone is never refused: a log that cannot record it completes without it).
      if ((result.stateWrites.length > 0 || result.timers.length > 0 || item.kind === 'timer') && s.commitRefusal !== undefined) {
        const refusal = commitRefusalOf(item, steps, s.commitRefusal);
        if (refusal !== undefined)
          return { index, agent: item.agent, item, steps: s.fenced ? [{ kind: 'fence' }] : [], disposition: 'refused', refusal };
      }
      // Built in place, not spread from a base: this is the plan of every message handled.
      return { index, agent: item.agent, item, steps, disposition: 'commit' };
    }
  }
}

/** The log's refusal of the state an item's commit point carries, if it has one with state. */
function commitRefusalOf(item: WorkItem, steps: readonly Step[], refusal: NonNullable<PlanSettings['commitRefusal']>): Error | undefined {
  for (const step of steps) {
    if (step.kind === 'complete') return step.state.length > 0 ? refusal(item.agent, step.state, step.deliveryId, step.clockAt) : undefined;
    if (step.kind === 'commit-timer') return step.state.length > 0 ? refusal(item.agent, step.state) : undefined;
  }
  return undefined;
}

/** The reserved keys of pending HTTP calls (decision 1601) and of timer-done markers (issue 24). */
const PENDING_CALL_PREFIX = httpPendingStateKey('');
const TIMER_DONE_PREFIX = timerDoneStateKey('');

/**
 * Reserved writes a worker's handling keeps under its own id `X#r<k>` (decision 2163): pending-call
 * records (its HTTP answers come back to `X#r<k>`, and its next activation answers `interrupted`
 * those cut by a crash) and timer-done markers (its timers are its own). Both are read back only
 * by the runtime, for that same id. Any other write — the agent's own or a reserved record read
 * under X (an MTP outbox record) — would land where nothing reads it: refused.
 */
function keptForUnit(w: StateWrite): boolean {
  return w.key.startsWith(PENDING_CALL_PREFIX) || w.key.startsWith(TIMER_DONE_PREFIX);
}

/**
 * A replica unit `X#r<k>` across nodes (decision 2096) whose handling wrote state. Its own writes
 * would land under `X#r<k>`, which neither X nor its other workers ever read, so the handling is
 * refused whole — nothing it sent, set or wrote is applied, its view is rewound — and its delivery
 * is dead-lettered with the typed refusal and its hint. Only the runtime's records (`keptForUnit`):
 * the handling completes as any other.
 */
function planUnitWithState(index: number, item: WorkItem, result: ExecutionResult, s: PlanSettings): WorkPlan {
  if (result.stateWrites.every(keptForUnit)) {
    return { index, agent: item.agent, item, steps: completedSteps(item, result, s), disposition: 'commit' };
  }
  const refusal = new ReplicaUnitEffectError(item.agent, ['state writes']);
  if (item.kind !== 'delivery') {
    // A worker's timer whose handling wrote state: nothing of it is applied, and the unit's log says why.
    return {
      index,
      agent: item.agent,
      item,
      steps: [],
      disposition: 'forget',
      warning: `[caxton] a timer's handling was not applied: ${refusal.code}: ${refusal.message} (hint: ${refusal.hint})`,
    };
  }
  const steps: Step[] = s.fenced ? [{ kind: 'fence' }] : [];
  steps.push({
    kind: 'dead-letter',
    reason: `${refusal.code}: ${refusal.message} (hint: ${refusal.hint})`,
    attempts: item.attempt,
    rewind: true,
  });
  return { index, agent: item.agent, item, steps, disposition: 'dead-letter' };
}

function planCrash(
  base: Omit<WorkPlan, 'steps' | 'disposition'>,
  item: WorkItem,
  outcome: { kind: string; message: string },
  s: PlanSettings,
): WorkPlan {
  // Its shard was reset because of another agent: not this agent's fault, so not an attempt.
  if (outcome.kind === 'unavailable') return { ...base, steps: [], disposition: 'requeue', lostToReset: true };
  if (item.kind === 'timer') {
    if (item.timerId === undefined) return { ...base, steps: [], disposition: 'forget' };
    // In a cluster the registry delete is fenced like the rest: a node no longer owning the agent
    // leaves the timer to its next owner (decision 2060).
    const steps: Step[] = s.fenced ? [{ kind: 'fence' }] : [];
    steps.push({ kind: 'forget-timer', timerId: item.timerId });
    return { ...base, steps, disposition: 'forget' };
  }
  if (item.attempt < s.maxAttempts) return { ...base, steps: [], disposition: 'retry' };
  const reason = `handler crashed ${item.attempt} times (${outcome.kind}: ${outcome.message})`;
  const steps: Step[] = s.fenced ? [{ kind: 'fence' }] : [];
  steps.push({ kind: 'dead-letter', reason, attempts: item.attempt });
  return { ...base, steps, disposition: 'dead-letter' };
}

function completedSteps(item: WorkItem, result: ExecutionResult, s: PlanSettings): Step[] {
  // The plan of almost every message handled: its sends (if any), then its completion. Built as
  // one literal of its final length: pushing onto an empty list gave each plan a backing store of
  // 17 slots, and the shared closure that named the parent was an allocation per message too.
  if (
    item.kind === 'delivery' &&
    result.outcome.status === 'ok' &&
    result.timers.length === 0 &&
    result.directory.length === 0 &&
    !s.fenced &&
    result.http.length === 0
  ) {
    const complete: Step =
      result.clockAt === undefined
        ? { kind: 'complete', deliveryId: item.delivery.id, state: result.stateWrites }
        : { kind: 'complete', deliveryId: item.delivery.id, state: result.stateWrites, clockAt: result.clockAt };
    return result.outbox.length === 0 ? [complete] : [{ kind: 'send', messages: plannedSends(result.outbox, item.delivery.id) }, complete];
  }
  const steps: Step[] = [];
  // Named once per item, and only if it sends or sets timers: a hand-fired timer's name reads the
  // wall clock, and its sends and its timers must share the one reading (decision 2140).
  let sendParent: string | undefined;
  if (result.outbox.length > 0) {
    sendParent = sendParentOf(item, s.wallNow);
    steps.push({ kind: 'send', messages: plannedSends(result.outbox, sendParent) });
  }
  if (result.outcome.status === 'rejected') steps.push({ kind: 'reply-failure', reason: result.outcome.reason });
  // Timers recorded in the commit point and put in the registry after it (decision 2161): where the
  // log keeps state, for a named agent. Not for a kind's instance or a worker (X#r<k>): a record
  // left by a crash between the commit and the registry write is set at the agent's start, and
  // those start on mail, not when their partition arrives, so the timer would wait for mail. Theirs
  // go to the registry before the commit point, as before: at least once, maybe twice after a crash.
  let committedTimers: TimerIntent[] | undefined;
  if (result.timers.length > 0 || result.directory.length > 0) {
    // Timers get ids derived from the work, like sends: a handling run again (after a crash before
    // its commit point, or a rewind) sets the same timers, not a second copy of each.
    const parent = `${sendParent ?? sendParentOf(item, s.wallNow)}#timer`;
    const timers = result.timers.map((t, i) => ({ ...t, id: derivedMessageId(parent, i) }));
    if (timers.length > 0 && s.keepsState && !isInstanceName(item.agent) && !isReplicaUnitName(item.agent)) {
      committedTimers = timers;
      if (result.directory.length > 0) steps.push({ kind: 'effects', timers: [], directory: result.directory });
    } else {
      steps.push({ kind: 'effects', timers, directory: result.directory });
    }
  }
  const intents = committedTimers === undefined ? [] : committedTimers.map(timerIntentWrite);
  if (s.fenced) steps.push({ kind: 'fence' });
  if (item.kind === 'delivery') {
    const complete: Extract<Step, { kind: 'complete' }> = {
      kind: 'complete',
      deliveryId: item.delivery.id,
      state: intents.length === 0 ? result.stateWrites : [...result.stateWrites, ...intents],
    };
    if (result.clockAt !== undefined) complete.clockAt = result.clockAt;
    steps.push(complete);
  } else {
    // A firing's commit also removes its own timer's record, should it still be there (its removal
    // after the registry write failed): a record left behind would set the timer again at a start.
    const marker =
      item.timerId !== undefined && s.keepsState
        ? [{ key: timerDoneStateKey(item.timerId), value: doneMarkerValue(item.dueAt, result.clockAt) }, timerIntentRemoval(item.timerId)]
        : [];
    if (marker.length > 0 || result.stateWrites.length > 0 || intents.length > 0) {
      steps.push({ kind: 'commit-timer', timerId: item.timerId, state: [...result.stateWrites, ...marker, ...intents] });
    }
  }
  if (committedTimers !== undefined) steps.push({ kind: 'set-timers', timers: committedTimers });
  if (result.http.length > 0) steps.push({ kind: 'release-http', key: httpKeyOf(item) });
  if (item.kind === 'timer' && item.timerId !== undefined) steps.push({ kind: 'forget-timer', timerId: item.timerId });
  return steps;
}

/**
 * The value of a fired timer's done marker: when the timer was due (ms since epoch), the time its
 * handling saw (decision 2174) — what a replay reads back to see it again; `1` when not known —
 * then, after a space, what its handling's first wall-clock read returned, when it read one
 * (decision 2178). Whoever reads the marker only asks whether it is there.
 */
export function doneMarkerValue(dueAt: number | undefined, clockAt?: number): string {
  const due = dueAt === undefined ? '1' : String(dueAt);
  return clockAt === undefined ? due : `${due} ${clockAt}`;
}

/** What a done marker's value records: the due time and the first clock read, each undefined when not recorded (or unreadable). */
export function readDoneMarker(value: string): { dueAt: number | undefined; clockAt: number | undefined } {
  const space = value.indexOf(' ');
  return space < 0
    ? { dueAt: timeOf(value), clockAt: undefined }
    : { dueAt: timeOf(value.slice(0, space)), clockAt: timeOf(value.slice(space + 1)) };
}

/** A time in a done marker: ms since epoch, digits only; `1` (not known) and anything else undefined. */
function timeOf(text: string): number | undefined {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(n) && n > 1 ? n : undefined;
}

/** An outbox's messages under the ids derived from `parent`, in outbox order. */
function plannedSends(outbox: readonly AclMessage[], parent: string): PlannedSend[] {
  const messages = new Array<PlannedSend>(outbox.length);
  for (let i = 0; i < messages.length; i++) messages[i] = { message: outbox[i]!, id: derivedMessageId(parent, i) };
  return messages;
}

/**
 * The plan of an agent's `init` (run at every start): its sends, then its pending timers re-armed
 * (so a timer init sets again is rescheduled, not doubled), then its own effects. No commit point:
 * init has no message to complete, and runs again at the next start.
 */
export function planInit(init: Pick<ExecutionResult, 'agent' | 'outbox' | 'timers' | 'directory'>): { agent: string; steps: Step[] } {
  const steps: Step[] = [];
  if (init.outbox.length > 0) steps.push({ kind: 'send', messages: init.outbox.map((message) => ({ message, id: undefined })) });
  steps.push({ kind: 'resume' });
  if (init.timers.length > 0 || init.directory.length > 0) steps.push({ kind: 'effects', timers: init.timers, directory: init.directory });
  return { agent: init.agent, steps };
}

/** Whether a step is a commit point (the one durable step that makes the work done). */
export function isCommitPoint(step: Step): boolean {
  return step.kind === 'complete' || step.kind === 'commit-timer';
}
