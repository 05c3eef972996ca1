/**
 * A MessageLog whose consumed deliveries pass a screen before they reach the bus's mailboxes; all
 * else is delegated. The cluster uses it to judge protocol replies on the initiator's node
 * (cluster-protocols.ts) without the bus knowing where conversations are tracked. The agents'
 * state lives in the same log (a completion commits it), so the state port is delegated too.
 */
import type { CompletionRecord, DeadLetter, DeadLetterMark, DeliveryHandler, MessageLog } from '../../log/message-log.js';
import { DeadLettersUnsupportedError } from '../../bus/errors.js';
import type { AgentStateStore, ClaimedCommit } from '../../storage/ports.js';
import type { Delivery, StateWrite } from '@caxton/core';

export class ScreenedLog implements MessageLog, AgentStateStore {
  /** The inner log's, when it has one (decision 2189: a log partitioned by placement key). */
  readonly relocate?: (deliveries: readonly Delivery[]) => Promise<Delivery[]>;

  constructor(
    private readonly inner: MessageLog & AgentStateStore,
    private readonly screen: (batch: readonly Delivery[]) => Delivery[],
  ) {
    if (inner.relocate !== undefined) this.relocate = (deliveries) => inner.relocate!(deliveries);
  }

  readState(agent: string): Promise<ReadonlyMap<string, string>> {
    return this.inner.readState(agent);
  }

  commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    return this.inner.commitState(agent, writes);
  }

  commitRefusal(agent: string, writes: readonly StateWrite[], completes?: string): Error | undefined {
    return this.inner.commitRefusal?.(agent, writes, completes);
  }

  /** The inner log's; one without claims (nothing moves) commits untagged, and that counts (undefined). */
  async commitClaimed(agent: string, writes: readonly StateWrite[]): Promise<ClaimedCommit | undefined> {
    if (this.inner.commitClaimed === undefined) {
      await this.inner.commitState(agent, writes);
      return undefined;
    }
    return this.inner.commitClaimed(agent, writes);
  }

  counted(commit: ClaimedCommit, withinMs: number): Promise<boolean> {
    return this.inner.counted?.(commit, withinMs) ?? Promise.resolve(false);
  }

  /** The inner log's; one without claims has no commit that could be void: its view counts. */
  readCounted(agent: string): Promise<ReadonlyMap<string, string>> {
    return this.inner.readCounted?.(agent) ?? this.inner.readState(agent);
  }

  clearState(agent: string): Promise<void> {
    return this.inner.clearState(agent);
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  append(deliveries: readonly Delivery[]): Promise<void> {
    return this.inner.append(deliveries);
  }

  consume(handler: DeliveryHandler): void {
    this.inner.consume((batch) => {
      const passed = this.screen(batch);
      if (passed.length > 0) handler(passed);
    });
  }

  hasCompleted(id: string): boolean {
    return this.inner.hasCompleted?.(id) ?? false;
  }

  holds(delivery: Pick<Delivery, 'id' | 'receiver'>): boolean {
    return this.inner.holds?.(delivery) ?? true;
  }

  complete(records: readonly CompletionRecord[]): Promise<void> {
    return this.inner.complete(records);
  }

  deadLetter(letter: DeadLetter): Promise<void> {
    return this.inner.deadLetter(letter);
  }

  deadLetters(limit?: number): Promise<DeadLetter[]> {
    return this.inner.deadLetters(limit);
  }

  markDeadLetters(marks: readonly DeadLetterMark[]): Promise<void> {
    if (this.inner.markDeadLetters === undefined) return Promise.reject(new DeadLettersUnsupportedError());
    return this.inner.markDeadLetters(marks);
  }

  deadLetterMarks(): Promise<ReadonlyMap<string, DeadLetterMark>> {
    return this.inner.deadLetterMarks?.() ?? Promise.resolve(new Map());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
