/**
 * Agent timers (`set-timer`), durable (decision 0960). Each timer is written to the registry
 * (embedded: the node's journal; cluster: etcd) before it is armed, and removed once its on-timer
 * handling finished. Where the log keeps state, a handling's timers are written only after its
 * commit point, which records them (issue 55: a killed, uncommitted handling sets nothing); a
 * record found at the agent's start was committed but not written yet, and is written then. So a timer survives a restart of the node, and in a cluster it follows its
 * agent: whichever node starts the agent next re-arms what is pending (`resume`), firing at once
 * what fell due meanwhile. A crash between a timer's firing and the end of its handling fires it
 * again; where the log keeps state, a firing whose commit was durable is recognised by its done
 * marker and only forgotten, and a handling run again sets its timers under the same (derived) ids,
 * so each timer is handled, and counted, once (issue 24).
 *
 * Bounded per agent so a guest cannot create unbounded host timers or registry entries.
 */
import { randomUUID } from 'node:crypto';
import type { TimerRecord } from '../storage/records.js';
import type { AgentStateStore, TimerStore } from '../storage/ports.js';
import { isInstanceName, timerDoneStateKey, timerIdOfDoneKey, timerIdOfSetKey, type StateWrite } from '@caxton/core';
import { faultPoint } from '../faults/fault-points.js';
import { timerIntentOf, timerIntentRemoval, type TimerIntent } from '../bus/plan/timer-intents.js';

export type { TimerStore } from '../storage/ports.js';

export interface AgentTimersOptions {
  store: TimerStore;
  /**
   * Where a fired timer's done marker lives (issue 24): the bus commits it with the on-timer
   * handling's writes; `done` clears it after the registry delete, `resume` sweeps leftovers.
   */
  state?: AgentStateStore | undefined;
  /** Pending timers one agent may have; more are refused (and the agent's log says so). */
  maxPerAgent: number;
  /**
   * Pending timers one kind instance (`<kind>/<key>`) may have: their records outlive the instance
   * in the registry (decision 1980), and a kind can create keys, so far fewer than `maxPerAgent`.
   */
  maxPerInstance?: number;
  /** A timer fell due: hand it to the dispatcher. `done(agent, id)` is expected once it was handled. */
  fire: (agent: string, token: string, id: string, dueAt: number) => void;
  /** Something about an agent's timers its operator should know (refused, not persisted…). */
  warn: (agent: string, message: string) => void;
  now?: () => number;
  /**
   * Real elapsed time, ms, monotonic (default `performance.now`): how long a setTimeout really
   * waited, which tells a clock standing still (`caxton test`) from one that only has not reached
   * the next millisecond yet.
   */
  monotonic?: () => number;
}

/** setTimeout's ceiling (~24.8 days); a guest may ask for up to 2^32-1 ms, so longer waits re-arm. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A timer this node knows of: waiting for its time (armed once the node started), or fired and
 * being handled. Only a waiting one can be rescheduled by setting its token again.
 */
interface Live {
  record: TimerRecord;
  fired: boolean;
  handle: NodeJS.Timeout | undefined;
  /** Who waits for this timer to be gone (handled, or no longer tracked here): clockMoved. */
  waiters?: Array<() => void>;
  /**
   * Its registry write, while in flight (settled, never rejecting): a delete must not overtake it,
   * or the record lands after the delete and fires again at the agent's next start.
   */
  written?: Promise<void>;
}

export class AgentTimers {
  private readonly byAgent = new Map<string, Map<string, Live>>();
  private readonly now: () => number;
  private readonly monotonic: () => number;
  /** Until start(): timers are tracked but not armed (the node's bus is not up to take their sends). */
  private started = false;

  constructor(private readonly o: AgentTimersOptions) {
    this.now = o.now ?? Date.now;
    this.monotonic = o.monotonic ?? (() => performance.now());
  }

  /**
   * Set a timer for `agent`: persisted, then armed. A timer of the agent with the same token that
   * has not fired yet is rescheduled instead (so an agent may re-arm its timers in init after every
   * start without piling them up). False when the agent already has `maxPerAgent` pending (the
   * request is dropped and reported). A registry that refuses the write still gets the timer armed
   * in memory, with a warning that it will not survive a restart.
   *
   * `id` (issue 24): the id the bus derived from the handling that set the timer. A handling run
   * again (its commit point was not reached before a crash, or it was rewound) sets the same ids;
   * a timer with that id that this node knows of (waiting, or fired and being handled — its
   * firing cannot commit before the handling that set it) is that same timer, already set:
   * nothing changes. Without `id` (init) a new id is drawn.
   */
  async set(agent: string, delayMs: number, token: string, id?: string): Promise<boolean> {
    return (await this.place(agent, delayMs, token, id)) !== 'dropped';
  }

  /**
   * `set`, saying what became of the timer: dropped (the bound), armed but not persisted (the
   * registry refused the write), or persisted (in the registry, or already known here).
   */
  private async place(agent: string, delayMs: number, token: string, id?: string): Promise<'dropped' | 'unpersisted' | 'persisted'> {
    const mine = this.live(agent);
    if (id !== undefined && mine.has(id)) return 'persisted';
    let waiting: Live | undefined;
    for (const e of mine.values()) if (!e.fired && e.record.token === token) waiting = e;
    const max = isInstanceName(agent) ? (this.o.maxPerInstance ?? this.o.maxPerAgent) : this.o.maxPerAgent;
    if (!waiting && mine.size >= max) {
      this.o.warn(
        agent,
        `timer dropped: ${max} timers already pending${max < this.o.maxPerAgent ? ' (the bound of a kind instance)' : ''}`,
      );
      return 'dropped';
    }
    if (waiting) clearTimeout(waiting.handle);
    const timerId = waiting?.record.id ?? id ?? randomUUID();
    const now = this.now();
    const record: TimerRecord = { agent, id: timerId, token, dueAt: now + Math.max(0, delayMs) };
    const entry: Live = { record, fired: false, handle: undefined };
    if (waiting?.waiters?.length) {
      // A clockMoved waits for the timer this one replaces: still due, it waits for this one;
      // moved past the clock, it is no longer due and that wait is over (else it never would be).
      if (record.dueAt <= now) entry.waiters = waiting.waiters;
      else release(waiting);
    }
    mine.set(timerId, entry); // counted against the bound (and found by a reschedule) while the write is in flight
    let persisted = true;
    entry.written = this.o.store.putTimer(record).catch((err: unknown) => {
      persisted = false;
      this.o.warn(agent, `timer ${timerId} is armed but not persisted (${(err as Error).message}): a restart would lose it`);
    });
    await entry.written;
    const outcome = persisted ? 'persisted' : 'unpersisted';
    if (this.byAgent.get(agent)?.get(timerId) !== entry) return outcome; // forgotten or rescheduled meanwhile
    this.arm(entry);
    return outcome;
  }

  /**
   * The timers a committed handling recorded (issue 55), in the registry and armed (as `set`, under
   * their derived ids); then their records are removed. A timer that cannot be set (the agent's
   * bound) is reported by `set`; its record goes too. One the registry refused stays armed here and
   * keeps its record: the record is then its only durable copy (set again at the next start).
   */
  async setCommitted(agent: string, timers: readonly TimerIntent[]): Promise<void> {
    const done: string[] = [];
    for (const t of timers) if ((await this.place(agent, t.delayMs, t.token, t.id)) !== 'unpersisted') done.push(t.id);
    await this.commitReserved(agent, done.map(timerIntentRemoval), `record(s) of timer(s) ${done.join(', ')} not removed`);
  }

  /**
   * The agent (re)started on this node: arm every pending timer of its that is not armed here yet,
   * and set those its committed handlings recorded but the registry lacks (the node stopped between
   * a commit and its registry write). Called after every start (deploy, restart, upgrade, arrival
   * from another node).
   */
  async resume(agent: string): Promise<number> {
    const pending = await this.o.store.listTimers(agent);
    const view = await this.committedView(agent);
    await this.sweepMarkers(agent, pending, view);
    const mine = this.live(agent);
    let armed = 0;
    for (const record of pending) {
      if (mine.has(record.id)) continue;
      const entry: Live = { record, fired: false, handle: undefined };
      mine.set(record.id, entry);
      this.arm(entry);
      armed += 1;
    }
    return armed + (await this.setRecorded(agent, pending, view));
  }

  /**
   * The earliest due time of the timers this node holds for `agent` (fired ones not yet done
   * included: their handling may not have run), or undefined. Read when an instance is passivated,
   * just before `forget`, so the node can wake it when the timer is due (decision 1980).
   */
  nextDue(agent: string): number | undefined {
    let due: number | undefined;
    for (const e of this.byAgent.get(agent)?.values() ?? []) if (due === undefined || e.record.dueAt < due) due = e.record.dueAt;
    return due;
  }

  /**
   * The earliest due time of the timers waiting on this node (not fired yet), any agent: how far
   * a moved clock may jump before one of them must fire (`caxton test`'s `advance` steps through
   * them in due order).
   */
  nextWaitingDue(): number | undefined {
    let due: number | undefined;
    for (const mine of this.byAgent.values())
      for (const e of mine.values()) if (!e.fired && (due === undefined || e.record.dueAt < due)) due = e.record.dueAt;
    return due;
  }

  /** Timers of `agent` armed on this node and not fired yet (metrics). */
  pending(agent: string): number {
    return this.byAgent.get(agent)?.size ?? 0;
  }

  /**
   * The timer's on-timer handling is settled (its commit point, if any, is durable): it is gone for
   * good. The registry delete is awaited (it is what keeps the timer from firing again after a
   * restart); only then is the done marker cleared, so a crash in between leaves a marker that
   * keeps a re-fired timer from being handled twice (the next `resume` sweeps it).
   */
  async done(agent: string, id: string): Promise<void> {
    const mine = this.byAgent.get(agent);
    const entry = mine?.get(id);
    mine?.delete(id);
    if (mine?.size === 0) this.byAgent.delete(agent);
    try {
      // Fired while its own write was in flight (a moved clock, the node's start): delete after it.
      await entry?.written;
      await this.o.store.deleteTimer(agent, id);
      faultPoint('after-forget-timer');
      await this.clearMarkers(agent, [id]);
    } finally {
      release(entry);
    }
  }

  /**
   * A fired timer whose registry record is left for its partition's next owner (decision 2060: its
   * firing's commit is not known to count): no longer tracked here — it frees its slot of the
   * agent's bound and its past due time — but kept in the registry, with its done marker if the
   * commit did count. Whoever resumes the agent next arms it again, and forgets it unhandled if its
   * marker is there (issue 24). A timer waiting (not fired) or set again meanwhile is untouched.
   */
  forgetFired(agent: string, id: string): void {
    const mine = this.byAgent.get(agent);
    const entry = mine?.get(id);
    if (entry === undefined || !entry.fired) return;
    mine!.delete(id);
    if (mine!.size === 0) this.byAgent.delete(agent);
    release(entry);
  }

  /**
   * The injected clock jumped forward (a test's virtual clock: `caxton test`'s `advance`): every
   * waiting timer is armed again against the new time, so one now due fires at once instead of
   * after its real-time wait. Resolves once every timer due at the new time is gone (its handling
   * done, or the agent stopped here), so what those handlings wrote can be read right after.
   */
  async clockMoved(): Promise<void> {
    const now = this.now();
    const gone: Promise<void>[] = [];
    for (const mine of this.byAgent.values()) {
      for (const entry of mine.values()) {
        if (entry.record.dueAt <= now) gone.push(new Promise<void>((resolve) => (entry.waiters ??= []).push(resolve)));
        if (!entry.fired) this.arm(entry);
      }
    }
    await Promise.all(gone);
  }

  /** Clear done markers (best effort: a marker left behind only costs its bytes until the next sweep). */
  private async clearMarkers(agent: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.commitReserved(
      agent,
      ids.map((id) => ({ key: timerDoneStateKey(id), value: null })),
      `done marker of timer(s) ${ids.join(', ')} not cleared`,
    );
  }

  /** Commit bookkeeping writes to the agent's state; a failure is reported (what is left is dealt with at the next start). */
  private async commitReserved(agent: string, writes: readonly StateWrite[], what: string): Promise<void> {
    if (this.o.state === undefined || writes.length === 0) return;
    try {
      await this.o.state.commitState(agent, writes);
    } catch (err) {
      this.o.warn(agent, `${what} (${(err as Error).message}); dealt with at the agent's next start`);
    }
  }

  /** The agent's committed state, or undefined where the log keeps none. */
  private async committedView(agent: string): Promise<ReadonlyMap<string, string> | undefined> {
    if (this.o.state === undefined) return undefined;
    try {
      return await this.o.state.readState(agent);
    } catch {
      return undefined; // a log that keeps no state has no markers and no records
    }
  }

  /**
   * Timers recorded by committed handlings: one the registry lacks, not fired either (no done
   * marker; a firing's commit removes the record anyway), is set now, under its id; then every
   * record found is removed. How many were set.
   */
  private async setRecorded(
    agent: string,
    pending: readonly TimerRecord[],
    view: ReadonlyMap<string, string> | undefined,
  ): Promise<number> {
    if (view === undefined) return 0;
    const inRegistry = new Set(pending.map((t) => t.id));
    const found: string[] = [];
    let set = 0;
    for (const [key, value] of view) {
      const id = timerIdOfSetKey(key);
      if (id === undefined) continue;
      found.push(id);
      const intent = timerIntentOf(key, value);
      if (intent === undefined) {
        this.o.warn(agent, `timer ${id}: its committed record cannot be read, the timer is not set`);
        continue;
      }
      if (inRegistry.has(id) || view.has(timerDoneStateKey(id))) continue;
      const placed = await this.place(agent, intent.delayMs, intent.token, intent.id);
      if (placed !== 'dropped') set += 1;
      // Not in the registry yet: the record stays its only durable copy.
      if (placed === 'unpersisted') found.pop();
    }
    if (found.length > 0)
      await this.commitReserved(agent, found.map(timerIntentRemoval), `record(s) of timer(s) ${found.join(', ')} not removed`);
    return set;
  }

  /** Markers of timers no longer in the registry: their deletion completed, their marker did not. */
  private async sweepMarkers(agent: string, pending: readonly TimerRecord[], view: ReadonlyMap<string, string> | undefined): Promise<void> {
    if (view === undefined) return;
    const live = new Set(pending.map((t) => t.id));
    const stale: string[] = [];
    for (const key of view.keys()) {
      const id = timerIdOfDoneKey(key);
      if (id !== undefined && !live.has(id)) stale.push(id);
    }
    await this.clearMarkers(agent, stale);
  }

  /**
   * The node is ready (its bus started): arm what was resumed or set meanwhile. Agents start before
   * the bus on an embedded node, and a timer that fell due while the node was down would otherwise
   * fire into a bus that cannot send yet and lose what its handling sends.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const mine of this.byAgent.values()) for (const entry of mine.values()) if (!entry.fired) this.arm(entry);
  }

  /** Stop tracking the agent's timers here (it stopped on this node or moved); they stay persisted. */
  forget(agent: string): void {
    const entries = [...(this.byAgent.get(agent)?.values() ?? [])];
    this.byAgent.delete(agent);
    for (const entry of entries) {
      clearTimeout(entry.handle);
      release(entry);
    }
  }

  /** The agent was undeployed: its timers go, here and in the registry. */
  async drop(agent: string): Promise<void> {
    const writes = [...(this.byAgent.get(agent)?.values() ?? [])].map((e) => e.written);
    this.forget(agent);
    await Promise.all(writes); // a write still in flight would land after the delete and outlive the agent
    await this.o.store.deleteTimers(agent);
  }

  /** Node shutdown: disarm everything (the registry keeps them for the next start). */
  clearAll(): void {
    for (const agent of [...this.byAgent.keys()]) this.forget(agent);
  }

  private live(agent: string): Map<string, Live> {
    let mine = this.byAgent.get(agent);
    if (!mine) this.byAgent.set(agent, (mine = new Map()));
    return mine;
  }

  /**
   * (Re)arms a waiting timer; before start() it stays tracked and start() arms it. A timer that
   * fired is never armed again: `set` arms its timer once the registry write returns, and a moved
   * clock (or the node's start) may have armed and fired it while that write was in flight — arming
   * it then fired it twice, and its handling ran twice (a `caxton test` scenario counted 2 for one
   * timer when the journal's write was slow).
   */
  private arm(entry: Live): void {
    clearTimeout(entry.handle);
    entry.handle = undefined;
    if (!this.started || entry.fired) return;
    const armedAt = this.now();
    const armedReal = this.monotonic();
    const wait = entry.record.dueAt - armedAt;
    const timeout = Math.min(Math.max(0, wait), MAX_TIMEOUT_MS);
    entry.handle = setTimeout(() => {
      if (this.byAgent.get(entry.record.agent)?.get(entry.record.id) !== entry) return;
      const now = this.now();
      if (entry.record.dueAt - now > 0) {
        // Not due yet: a wait longer than setTimeout allows (in steps), or setTimeout's own
        // millisecond (libuv's loop clock, truncated) turned over before the clock's did — a 1 ms
        // wait can end a few µs after it began, with Date.now() still where it was (issue 25:
        // that timer was never armed again and never fired). A clock that did not move although
        // the whole wait really passed is an injected one standing still (`caxton test`): waiting
        // again would poll it every few ms for as long as it stands; clockMoved arms it when it moves.
        entry.handle = undefined;
        if (now !== armedAt || this.monotonic() - armedReal < timeout) this.arm(entry);
        return;
      }
      entry.handle = undefined;
      entry.fired = true;
      this.o.fire(entry.record.agent, entry.record.token, entry.record.id, entry.record.dueAt);
    }, timeout);
    entry.handle.unref();
  }
}

/** Whoever waits for this timer to be gone (clockMoved) goes on. */
function release(entry: Live | undefined): void {
  for (const resolve of entry?.waiters ?? []) resolve();
  if (entry) entry.waiters = [];
}
