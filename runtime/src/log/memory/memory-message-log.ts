/**
 * A MessageLog that keeps nothing on disk: "persistence off". Accepted means "in this process's
 * memory": a crash loses everything pending. For benchmarks that separate routing cost from
 * storage cost, and for embedders who explicitly want a volatile bus; never the default.
 * Memory stays bounded by the mailboxes (completed deliveries are forgotten at once, apart from a
 * bounded window of ids for dedup).
 */
import type { CompletionRecord, DeadLetter, DeadLetterMark, DeliveryHandler, MessageLog } from '../message-log.js';
import type { AgentStateStore } from '../../storage/ports.js';
import type { Delivery, ReplayReach, StateWrite } from '@caxton/core';
import { IdWindow } from '../id-window.js';
import { nothingToReplay } from '../nothing-to-replay.js';
import { callEachInOrder, type InOrderCallback } from '../in-order-callbacks.js';

/** What every in-order call returns: the memory log holds a call's records once it returns. */
const HELD: Promise<void> = Promise.resolve();

/**
 * Agent state lives in memory too (decision 1600): committed with each completion, gone with the
 * process, like everything else in this log.
 */
export class MemoryMessageLog implements MessageLog, AgentStateStore {
  private handler: DeliveryHandler | undefined;
  /** The last `dedupWindow` completed ids, exactly (numbers-only index, decision 2002): every send asks it. */
  private readonly completed: IdWindow;
  private readonly letters: DeadLetter[] = [];
  private readonly marks = new Map<string, DeadLetterMark>();
  private readonly state = new Map<string, Map<string, string>>();
  /**
   * Appends not handed out yet: everything appended in one turn goes to the consumer in one call
   * (the bus appends once per message sent, so a handled batch used to cost one microtask, one
   * handler call and one mailbox pass per message).
   */
  private unhanded: Delivery[] = [];
  /**
   * Callbacks of this turn's in-order calls (`appendInOrder`, `completeInOrder`), called in call
   * order at the end of the turn, after its appends are handed out: the turn is this log's commit
   * group (decision 2125).
   */
  private settling: InOrderCallback[] = [];
  /** The end-of-turn microtask is queued. */
  private turnQueued = false;

  constructor(
    readonly dedupWindow = 100_000,
    private readonly maxDeadLetters = 10_000,
  ) {
    this.completed = new IdWindow(Math.max(1, dedupWindow));
  }

  async open(): Promise<void> {}

  async append(deliveries: readonly Delivery[]): Promise<void> {
    this.hold(deliveries);
  }

  /**
   * `append` in call order (message-log.ts): held at once, so nothing is refused and nothing queued
   * after it can be held without it; `then` is called at the end of the turn (decision 2125). The
   * bus then finishes the send there, with no promise per message.
   */
  appendInOrder(deliveries: readonly Delivery[], then?: InOrderCallback): Promise<void> {
    this.hold(deliveries);
    if (then !== undefined) this.atTurnEnd(then);
    return HELD;
  }

  private hold(deliveries: readonly Delivery[]): void {
    // Deliver on a later tick, like a real log that hands out what it made durable; in append
    // order, one call for all that was appended meanwhile.
    if (this.handler === undefined || deliveries.length === 0) return;
    if (!this.turnQueued) this.queueTurnEnd();
    for (let i = 0; i < deliveries.length; i++) this.unhanded.push(deliveries[i]!);
  }

  private atTurnEnd(then: InOrderCallback): void {
    if (!this.turnQueued) this.queueTurnEnd();
    this.settling.push(then);
  }

  private queueTurnEnd(): void {
    this.turnQueued = true;
    queueMicrotask(this.turnEnd);
  }

  /** The turn's appends handed out, then its in-order calls told, in call order. */
  private readonly turnEnd = (): void => {
    this.turnQueued = false;
    const batch = this.unhanded;
    const told = this.settling;
    if (batch.length > 0) {
      this.unhanded = [];
      this.handler?.(batch);
    }
    if (told.length === 0) return;
    this.settling = [];
    callEachInOrder(told, undefined);
  };

  consume(handler: DeliveryHandler): void {
    this.handler = handler;
  }

  hasCompleted(id: string): boolean {
    return this.completed.has(id);
  }

  async complete(records: readonly CompletionRecord[]): Promise<void> {
    this.record(records);
  }

  /** `complete` in call order (message-log.ts): recorded at once, `then` called at the end of the turn. */
  completeInOrder(records: readonly CompletionRecord[], then?: InOrderCallback): Promise<void> {
    this.record(records);
    if (then !== undefined) this.atTurnEnd(then);
    return HELD;
  }

  private record(records: readonly CompletionRecord[]): void {
    for (const r of records) {
      // A duplicate completion's state was committed by the first one.
      if (!this.remember(r.id)) continue;
      if (r.state !== undefined) this.apply(r.receiver, r.state);
    }
  }

  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    return new Map(this.state.get(agent));
  }

  async commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    this.apply(agent, writes);
  }

  async clearState(agent: string): Promise<void> {
    this.state.delete(agent);
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
    if (this.letters.length > this.maxDeadLetters) this.letters.shift();
    this.remember(letter.delivery.id);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.letters.slice(-limit);
  }

  async markDeadLetters(marks: readonly DeadLetterMark[]): Promise<void> {
    for (const mark of marks) this.marks.set(mark.id, mark);
  }

  async deadLetterMarks(): Promise<ReadonlyMap<string, DeadLetterMark>> {
    return new Map(this.marks);
  }

  /** Nothing here outlives the process, and a replay reads only a log on disk. */
  replayReach(): ReplayReach {
    return nothingToReplay('memory');
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }

  private apply(agent: string, writes: readonly StateWrite[]): void {
    let entries = this.state.get(agent);
    for (const { key, value } of writes) {
      if (value === null) entries?.delete(key);
      else (entries ??= this.state.set(agent, new Map()).get(agent)!).set(key, value);
    }
    if (entries?.size === 0) this.state.delete(agent);
  }

  /** False when the id was remembered already. */
  private remember(id: string): boolean {
    return this.completed.add(id);
  }
}
