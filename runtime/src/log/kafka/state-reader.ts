/**
 * Reads partitions of the state topic into PartitionStates. kafkajs can only read through a
 * consumer group, so the reader is the only member of a group of its own (random id, never commits,
 * deleted at close): it is handed every partition, keeps the ones nobody asked for paused, and on
 * `hold(p)` seeks p to its start and reads it — to the high watermark taken at that moment before
 * `hold` resolves ("loaded"), and on from there for as long as p is held, so writes by other nodes
 * (an operator's import) reach the view too. Held by this node's ownership of the deliveries
 * partition, or briefly by a read of an agent living elsewhere.
 *
 * One long-lived member instead of a group per load: joining a new group costs the broker's
 * group.initial.rebalance.delay.ms (3 s by default) on every partition move.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { CaxtonError, type Instrumentation } from '@caxton/core';
import type { KafkaLogEvent, ResolvedKafkaOptions } from './options.js';
import { PartitionState } from './partition-state.js';
import { decodeStateRecord, type StateRecord } from './state-records.js';
import { consumerRetry, rootMessage } from './client.js';
import { ConsumerRestarts } from './consumer-restarts.js';
import { KafkaLogStateError, KafkaUnreachableError } from './errors.js';
import { topicOffsets } from './topic-readiness.js';

const STALL_CHECK_MS = 1000;

interface Held {
  holders: number;
  state: PartitionState;
  /** Read up to here (exclusive) before the partition counts as loaded. */
  target: number;
  start: number;
  loaded: Promise<void>;
  markLoaded: () => void;
  markFailed: (e: unknown) => void;
  isLoaded: boolean;
}

export interface StateReaderDeps {
  kafka: Kafka;
  admin: Admin;
  o: ResolvedKafkaOptions;
  events: Instrumentation<KafkaLogEvent>;
  /** Partitions of the state topic (the same count as the deliveries topic). */
  partitions: number;
  /** Delivery ids committed by state (commit markers read): the log's dedup window learns them. */
  committedByState: (ids: readonly string[]) => void;
  /** A batch left keys whose newest record is a stale owner's (decision 1800): the owner repairs. */
  staleRead?: (partition: number) => void;
  /** A batch of a held partition was applied (the owner's sweep may have work). */
  batchRead?: (partition: number) => void;
}

export class StateReader {
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly topic: string;
  private readonly held = new Map<number, Held>();
  /** Restarts the reader after crashes kafkajs leaves, and never behind close(). */
  private readonly restarts: ConsumerRestarts;
  private get closing(): boolean {
    return this.restarts.closed;
  }

  constructor(private readonly d: StateReaderDeps) {
    this.topic = d.o.stateTopic;
    this.groupId = `${d.o.groupId}.state-reader.${randomUUID()}`;
    this.consumer = d.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: d.o.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(d.o.sessionTimeoutMs / 5)),
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
      retry: consumerRetry(() => this.closing),
    });
    // After a (re)join kafkajs fetches everything again from the start: keep what is not held
    // paused, and go on reading the held ones after the last record applied.
    // A join completing after close() began is disconnected again (see DeliveryConsumer.onJoin).
    this.consumer.on(this.consumer.events.GROUP_JOIN, () =>
      this.closing ? void this.consumer.disconnect().catch(() => {}) : this.afterJoin(),
    );
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      d.events.emit({ type: 'consumer-crash', error: e.payload.error, restart: e.payload.restart });
      // As for the delivery consumer: kafkajs gives up for good on some errors (no coordinator
      // during a broker restart); loads waiting meanwhile fail on their stall timer and retry.
      if (!e.payload.restart) this.restarts.later(1);
    });
    this.restarts = new ConsumerRestarts({
      connect: () => this.consumer.connect(),
      run: () => this.run(),
      failed: (error) => d.events.emit({ type: 'consumer-crash', error, restart: false }),
      closeWaitMs: d.o.sessionTimeoutMs + d.o.requestTimeoutMs,
    });
  }

  async connect(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.run();
  }

  private async run(): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.afterJoin();
  }

  async close(): Promise<void> {
    await this.restarts.close(() => this.consumer.disconnect().catch(() => {}));
    await this.d.admin.deleteGroups([this.groupId]).catch(() => {});
  }

  /** The partition's state once loaded, else undefined. */
  loaded(partition: number): PartitionState | undefined {
    const h = this.held.get(partition);
    return h?.isLoaded ? h.state : undefined;
  }

  /** The partition's state, loaded or loading, while held. */
  holding(partition: number): PartitionState | undefined {
    return this.held.get(partition)?.state;
  }

  /**
   * Start (or join) reading `partition`; resolves when it is read to the high watermark of now.
   * Each resolved hold is one holder until release(); a rejected one holds nothing.
   */
  async hold(partition: number): Promise<PartitionState> {
    const existing = this.held.get(partition);
    if (existing) {
      existing.holders += 1;
      await existing.loaded;
      return existing.state;
    }
    let markLoaded!: () => void;
    let markFailed!: (e: unknown) => void;
    const loaded = new Promise<void>((resolve, reject) => {
      markLoaded = resolve;
      markFailed = reject;
    });
    loaded.catch(() => {}); // rejections reach the holders through their own await
    const h: Held = { holders: 1, state: new PartitionState(), target: 0, start: 0, loaded, markLoaded, markFailed, isLoaded: false };
    this.held.set(partition, h);
    try {
      const range = await this.offsets(partition);
      h.start = Number(range?.low ?? 0);
      h.target = Number(range?.high ?? 0);
      if (this.held.get(partition) !== h) return h.state; // released meanwhile
      if (h.target <= h.start) this.done(h);
      try {
        this.consumer.seek({ topic: this.topic, partition, offset: String(h.start) });
        this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
      } catch (e) {
        if (this.closing) throw e; // no rejoin will come: refuse the hold
        // not running (restarting): afterJoin seeks every held partition once it has rejoined
      }
      this.watch(partition, h);
    } catch (e) {
      if (this.held.get(partition) === h) this.held.delete(partition);
      h.markFailed(
        e instanceof CaxtonError
          ? e
          : new KafkaUnreachableError(this.d.o.brokers, `reading ${this.topic}/${partition}: ${rootMessage(e)}`, { cause: e }),
      );
    }
    await h.loaded;
    return h.state;
  }

  /**
   * A load that stops making progress (the reader's group never joins, the broker went away) fails
   * after STALL_MS without a new record, so its waiters can retry instead of hanging; a big
   * partition that keeps arriving is never cut off.
   */
  private watch(partition: number, h: Held): void {
    let seen = h.state.at;
    let still = 0;
    const timer = setInterval(() => {
      if (h.isLoaded || this.held.get(partition) !== h) return clearInterval(timer);
      if (this.closing) {
        // A load the closed reader will never finish: its waiters are refused, not left waiting.
        clearInterval(timer);
        this.held.delete(partition);
        return h.markFailed(new KafkaLogStateError(`the state reader of ${this.topic} closed while reading partition ${partition}`));
      }
      if (h.state.at !== seen) {
        seen = h.state.at;
        still = 0;
        return;
      }
      still += STALL_CHECK_MS;
      if (still < this.d.o.openTimeoutMs) return;
      clearInterval(timer);
      this.held.delete(partition);
      this.pause(partition);
      h.markFailed(new KafkaUnreachableError(this.d.o.brokers, `reading ${this.topic}/${partition} made no progress for ${still} ms`));
    }, STALL_CHECK_MS);
    timer.unref();
  }

  /** Records the partition spans now (high watermark less log start), without reading any. */
  async records(partition: number): Promise<number> {
    const range = await this.offsets(partition);
    return Math.max(0, Number(range?.high ?? 0) - Number(range?.low ?? 0));
  }

  /** The partition's log start and high watermark (topic-readiness.ts `topicOffsets`). */
  private async offsets(partition: number): Promise<{ low: string; high: string } | undefined> {
    return (await topicOffsets(this.d.admin, this.topic, this.d.o)).find((x) => x.partition === partition);
  }

  /** One holder less; the last one stops the reading and drops the state from memory. */
  release(partition: number): void {
    const h = this.held.get(partition);
    if (!h) return;
    h.holders -= 1;
    if (h.holders > 0) return;
    this.held.delete(partition);
    h.markLoaded(); // a load nobody waits for any more
    this.pause(partition);
  }

  private pause(partition: number): void {
    try {
      this.consumer.pause([{ topic: this.topic, partitions: [partition] }]);
    } catch {
      // not running (closing, or restarting: afterJoin pauses it)
    }
  }

  private done(h: Held): void {
    if (h.isLoaded) return;
    h.isLoaded = true;
    h.markLoaded();
  }

  private afterJoin(): void {
    if (this.closing) return;
    try {
      const all = Array.from({ length: this.d.partitions }, (_, p) => p);
      const idle = all.filter((p) => !this.held.has(p));
      if (idle.length > 0) this.consumer.pause([{ topic: this.topic, partitions: idle }]);
      // kafkajs starts a rejoined member at the log start (no commits): go on where we were.
      for (const [p, h] of this.held) {
        this.consumer.seek({ topic: this.topic, partition: p, offset: String(Math.max(h.start, h.state.at + 1)) });
        this.consumer.resume([{ topic: this.topic, partitions: [p] }]);
      }
    } catch {
      // the runner is not up yet: connect() calls this again once it is
    }
  }

  private async onBatch({ batch, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    const h = this.held.get(batch.partition);
    if (!h) return; // fetched before the pause took effect
    const keys = this.d.o.recordKeys;
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || this.closing) return;
      const offset = Number(m.offset);
      // A record without a valid tag of the cluster's record keys is no agent state (decision
      // 2185): not applied — the key keeps the value its last authenticated record gave it, and the
      // owner re-writes that value (PartitionState.refused) so compaction keeps it, not the forgery.
      const check = keys?.verify(this.topic, batch.partition, m);
      if (check !== undefined && !check.ok) {
        this.d.events.emit({
          type: 'record-refused',
          topic: this.topic,
          partition: batch.partition,
          offset: m.offset,
          reason: check.reason,
          deadLettered: false,
        });
        let named: StateRecord | undefined;
        try {
          named = decodeStateRecord(m.key, m.value);
        } catch {
          named = undefined; // not even shaped like ours: nothing to repair
        }
        h.state.refused(offset, named);
        if (offset >= h.target - 1) this.done(h);
        continue;
      }
      try {
        const ids = h.state.apply(offset, decodeStateRecord(m.key, m.value));
        if (ids.length > 0) this.d.committedByState(ids);
      } catch (e) {
        // Not ours (a tool wrote to the topic): skipped, said once per record.
        this.d.events.emit({
          type: 'undecodable',
          partition: batch.partition,
          offset: m.offset,
          error: `state record: ${(e as Error).message}`,
        });
      }
      if (offset >= h.target - 1) this.done(h);
    }
    if (h.state.needsRepair) this.d.staleRead?.(batch.partition);
    this.d.batchRead?.(batch.partition);
    await heartbeat();
  }
}
