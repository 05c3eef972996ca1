/**
 * MessageLog on Apache Kafka, for clusters (the embedded log is the single-node default).
 *
 * Layout (docs/decisions/0600-kafka-bus-partitioning.md):
 * - `<prefix>.deliveries`: one record per delivery, key = receiver, partition = partitionFor(receiver)
 *   so one agent's deliveries stay in order in one partition; written by an idempotent producer
 *   with acks=-1 (append resolves only once all in-sync replicas have it).
 * - `<prefix>.dead-letters`: dead-lettered deliveries, kept until deleted.
 * - Completions: the consumer group's committed offset per partition (the lowest pending offset)
 *   plus, in the commit's metadata, the pending offsets above it — out-of-order completions
 *   survive restarts without a third topic.
 * - `<prefix>.state`: agents' durable state, compacted, partitioned like the deliveries
 *   (kafka-agent-state.ts, decision 1602). A completion carrying state writes produces them first,
 *   with a commit marker naming the delivery; the offset commit follows.
 * Nodes of one cluster share one consumer group: each node is handed only the partitions it owns.
 */
import type { Delivery, ReplayReach, StateWrite } from '@caxton/core';
import type { Admin, Kafka, KafkaMessage, Message, RecordMetadata } from 'kafkajs';
import { CompletedSince } from './completed-since.js';
import type { CompletionRecord, DeadLetter, DeadLetterMark, DeliveryHandler, MessageLog } from '../message-log.js';
import type { AgentStateStore, ClaimedCommit } from '../../storage/ports.js';
import { nothingToReplay } from '../nothing-to-replay.js';
import { Instrumentation } from '@caxton/core';
import { resolveOptions, type KafkaLogEvent, type KafkaMessageLogOptions, type ResolvedKafkaOptions } from './options.js';
import { createKafka, isTooLarge, receiverPartitioner, rootMessage, securityFailure, withTimeout } from './client.js';
import { ensureTopics, type TopicLayout } from './topics.js';
import { isSettlingError } from './topic-readiness.js';
import {
  decodeDelivery,
  encodeDeadLetter,
  encodeDeadLetterMark,
  encodeDelivery,
  encodeMessageBody,
  encodeQuarantined,
  encodeQuarantinedPlace,
} from './codec.js';
import { PartitionCache, partitionFor } from './partitioner.js';
import { MAC_HEADER } from './record-mac.js';
import { AppendBatcher } from './append-batcher.js';
import { ProducerSlot } from './producer-slot.js';
import { DeliveryConsumer } from './delivery-consumer.js';
import { CompletedWindow } from './completed-window.js';
import { readDeadLetterTopic, readDeadLetters } from './dead-letter-reader.js';
import { StateReader } from './state-reader.js';
import { KafkaAgentState, lastOffsets, stateKeyRefusal, type ProducedOffsets } from './kafka-agent-state.js';
import {
  KafkaCommitError,
  KafkaLogStateError,
  KafkaMisconfiguredError,
  KafkaNotOwnerError,
  KafkaSecurityError,
  KafkaUnreachableError,
  RecordUnauthenticatedError,
} from './errors.js';
import { rootMessage as describeError } from './client.js';
import { tracerRegistered } from '../../telemetry/trace-context.js';
import { recordAppendSpan } from '../../telemetry/log-spans.js';

interface Open {
  kafka: Kafka;
  admin: Admin;
  producer: ProducerSlot;
  consumer: DeliveryConsumer;
  layout: TopicLayout;
  partitionOf: PartitionCache;
  deliveries: AppendBatcher<RecordMetadata[]>;
  deadLetters: AppendBatcher<RecordMetadata[]>;
  stateWrites: AppendBatcher<ProducedOffsets>;
  stateReader: StateReader;
  agentState: KafkaAgentState;
}

/**
 * How far back in the dead-letter topic marks are looked for: the node lists at most its newest
 * 10,000 letters (dead-letter-operations.ts), and a letter's mark is newer than the letter.
 */
const DEAD_LETTER_MARKS_WINDOW = 20_000;

/**
 * How long an agent completes nothing by offset alone before its list waits no more for a state
 * commit of the agent to name it and an order record does (completed-since.ts): short, so a replay
 * soon after the traffic finds it ordered; a busy agent's list is written when full instead.
 */
const ORDER_FLUSH_MS = 500;

/**
 * Whether a completion goes through the state topic: one with state writes (its commit point), and
 * one whose handling read the clock (decision 2178): the time rides in the commit's `caxton-tx`
 * header, for replay, so a handling that read the clock and wrote nothing commits a marker alone.
 */
function commitsState(r: CompletionRecord): boolean {
  return (r.state !== undefined && r.state.length > 0) || r.clockAt !== undefined;
}

/** The agents with a record that commits state in this call; undefined when none has (the common case: no set is made). */
function committingAgents(records: readonly CompletionRecord[]): Set<string> | undefined {
  let agents: Set<string> | undefined;
  for (const r of records) if (commitsState(r)) (agents ??= new Set()).add(r.receiver);
  return agents;
}

export class KafkaMessageLog implements MessageLog, AgentStateStore {
  /** Assignments, consumer crashes, retries, undecodable records: `events.on(listener, types?)` (decision 1106). */
  readonly events = new Instrumentation<KafkaLogEvent>();
  private readonly o: ResolvedKafkaOptions;
  private readonly completed: CompletedWindow;
  private readonly completedSince = new CompletedSince();
  private orderTimer: NodeJS.Timeout | undefined;
  private state: Open | undefined;
  private closed = false;

  constructor(options: KafkaMessageLogOptions) {
    this.o = resolveOptions(options);
    this.completed = new CompletedWindow(this.o.completedWindow);
  }

  /**
   * Times each produce request of deliveries for a `produced` listener (metrics) and a tracer (the
   * append span); with neither, the send is used as is.
   */
  private timed<T>(send: (messages: Message[]) => Promise<T>): (messages: Message[]) => Promise<T> {
    return async (messages) => {
      const observed = this.events.wants('produced');
      const traced = tracerRegistered();
      if (!observed && !traced) return send(messages);
      const started = performance.now();
      const result = await send(messages);
      const seconds = (performance.now() - started) / 1000;
      if (observed) this.events.emit({ type: 'produced', records: messages.length, seconds });
      if (traced) recordAppendSpan('kafka', messages.length, undefined, seconds);
      return result;
    };
  }

  /** Partitions of the deliveries topic (known after open()). */
  /** How long the deliveries topic keeps a record (its `retention.ms`, as created). */
  get retentionMs(): number {
    return this.o.retentionMs;
  }

  get partitionCount(): number {
    return this.live().layout.partitions;
  }

  /** The partition holding `receiver`'s deliveries: its owner in the group is the agent's node. */
  partitionOf(receiver: string): number {
    return this.live().partitionOf.of(receiver);
  }

  /** Partitions this node owns right now (changes on rebalance; see the `assignment` event). */
  ownedPartitions(): number[] {
    return this.live().consumer.ownedPartitions();
  }

  async open(): Promise<void> {
    // Nodes of a new cluster start together, and topics another node created a moment ago answer
    // "This server does not host this topic-partition" until their leaders are elected: two CLI
    // nodes started side by side on a loaded machine refused to start that way. Each attempt
    // cleans up after itself, so the whole sequence is simply tried again while the cluster
    // settles, up to the open deadline (topic-readiness.ts).
    const deadlineAt = Date.now() + this.o.openTimeoutMs;
    for (let delay = 200; ; delay = Math.min(2000, delay * 2)) {
      try {
        return await this.openOnce();
      } catch (e) {
        if (this.closed || !isSettlingError(e) || Date.now() + delay >= deadlineAt) throw e;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async openOnce(): Promise<void> {
    if (this.closed) throw new KafkaLogStateError('the Kafka message log is closed');
    if (this.state) return;
    const kafka = createKafka(this.o);
    const admin = kafka.admin({ retry: { initialRetryTime: 200, maxRetryTime: 1000, retries: 2 } });
    const producer = new ProducerSlot(() =>
      kafka.producer({
        idempotent: true, // broker-side dedup of our retries; implies acks=-1
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: receiverPartitioner,
        retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 3 },
      }),
    );
    let consumer: DeliveryConsumer | undefined;
    let reader: StateReader | undefined;
    // Built once open() has the layout; the consumer's callbacks only run after consume().
    let agentState: KafkaAgentState | undefined;
    // On timeout the connect sequence is still running: every step checks this flag, so nothing it
    // creates afterwards stays connected behind our back.
    let abandoned = false;
    const step = async <T>(p: Promise<T>): Promise<T> => {
      const v = await p;
      if (abandoned) throw new Error('open() abandoned');
      return v;
    };
    const connect = async () => {
      await step(admin.connect());
      const layout = await step(ensureTopics(admin, this.o));
      await step(producer.connect());
      reader = new StateReader({
        kafka,
        admin,
        o: this.o,
        events: this.events,
        partitions: layout.partitions,
        committedByState: (ids) => {
          for (const id of ids) this.completed.add(id);
        },
        staleRead: (partition) => agentState?.repair(partition),
        batchRead: (partition) => agentState?.afterRead(partition),
      });
      await step(reader.connect());
      consumer = new DeliveryConsumer({
        kafka,
        admin,
        o: this.o,
        events: this.events,
        metadataMaxBytes: layout.metadataMaxBytes,
        partitions: layout.partitions,
        completed: this.completed,
        assigned: (partitions) => agentState?.setOwned(partitions),
        stateLoaded: (partition) => agentState?.whenLoaded(partition) ?? Promise.resolve(false),
        quarantine: (partition, m, reason) => this.quarantine(partition, m, reason),
        refuse: (partition, m, id, reason) => this.refuseRecord(partition, m, id, reason),
        misplaced: (receiver, partition) => {
          const key = this.o.placementKeyOf?.(receiver);
          if (key === undefined || key === receiver) return undefined;
          const home = this.live().partitionOf.of(receiver);
          return home === partition ? undefined : home;
        },
        relocate: (home, m) => this.relocateRecord(home, m),
      });
      await step(consumer.connect());
      return layout;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.o.openTimeoutMs} ms`)), this.o.openTimeoutMs);
    });
    const connecting = connect();
    try {
      const layout = await Promise.race([connecting, timeout]);
      // Every record this node produces, whatever the topic, is signed here (decision 2185): the
      // one place all produces pass. A retry signs again (the same tag: the tag covers no header it sets).
      // The tag binds the partition, so the node picks it here, before signing, and the partitioner
      // (receiverPartitioner) keeps it: a delivery or state record goes where partitionFor(key)
      // says, as before; the dead-letter topic's records all go to its partition 0 (its letters always did).
      const keys = this.o.recordKeys;
      const send =
        (topic: string) =>
        (messages: Message[]): Promise<RecordMetadata[]> => {
          if (keys !== undefined)
            for (const m of messages) {
              m.partition ??= topic === this.o.deadLetterTopic ? 0 : partitionFor(String(m.key ?? ''), layout.partitions);
              keys.sign(topic, m.partition, m);
            }
          return withTimeout(
            producer.send({ topic, acks: -1, timeout: this.o.requestTimeoutMs, messages }),
            3 * this.o.requestTimeoutMs,
            'produce',
          );
        };
      const common = {
        resetProducer: () => producer.reset(),
        onRetry: (attempt: number, error: string) => this.events.emit({ type: 'append-retry', attempt, error }),
      };
      const partitionOf = new PartitionCache(layout.partitions, this.o.placementKeyOf);
      const sendState = send(this.o.stateTopic);
      const stateWrites = new AppendBatcher<ProducedOffsets>({
        ...common,
        send: async (messages) => lastOffsets(messages, await sendState(messages)),
        maxBatch: this.o.maxAppendBatch,
        timeoutMs: this.o.commitTimeoutMs,
        lingerMs: this.o.lingerMs,
      });
      agentState = new KafkaAgentState({
        reader: reader!,
        writer: stateWrites,
        partitionOf: (a) => partitionOf.of(a),
        nodeId: this.o.nodeId,
        repairFailed: (partition, error) => this.events.emit({ type: 'state-repair-failed', partition, error: describeError(error) }),
        sweep: {
          limits: this.o.stateSweep,
          readWaitMs: this.o.commitTimeoutMs,
          swept: (report) => this.events.emit({ type: 'state-swept', ...report }),
          failed: (partition, error) => this.events.emit({ type: 'state-sweep-failed', partition, error: describeError(error) }),
          ...(this.o.beforeStateSweep ? { beforeProduce: this.o.beforeStateSweep } : {}),
        },
      });
      this.state = {
        kafka,
        admin,
        producer,
        consumer: consumer!,
        layout,
        partitionOf,
        deliveries: new AppendBatcher({
          ...common,
          send: this.timed(send(this.o.deliveriesTopic)),
          maxBatch: this.o.maxAppendBatch,
          timeoutMs: this.o.appendTimeoutMs,
          lingerMs: this.o.lingerMs,
        }),
        deadLetters: new AppendBatcher({ ...common, send: send(this.o.deadLetterTopic), maxBatch: 100, timeoutMs: this.o.commitTimeoutMs }),
        stateWrites,
        stateReader: reader!,
        agentState,
      };
      // Unref'd: order records are for replay; they never keep a stopping process alive. Not armed
      // for a log closed while it opened (close() found no state to clear it with).
      if (!this.closed)
        this.orderTimer = setInterval(() => this.writeDueOrders(this.state, performance.now() - ORDER_FLUSH_MS), ORDER_FLUSH_MS).unref();
    } catch (e) {
      abandoned = true;
      const cleanup = () => Promise.allSettled([consumer?.close(), reader?.close(), admin.disconnect()]);
      // Not awaited: the producer's connect may be what timed out, and open() must fail by its
      // deadline; the slot disconnects that producer once its connect settles.
      void producer.close();
      await cleanup();
      // The abandoned sequence stops at its next step; whatever it connected meanwhile goes too.
      void connecting.then(cleanup, cleanup);
      if (e instanceof KafkaMisconfiguredError) throw e;
      const refused = securityFailure(e);
      if (refused)
        throw new KafkaSecurityError(this.o.brokers, refused, rootMessage(e), {
          cause: e,
          mechanism: this.o.sasl?.mechanism,
          username: this.o.sasl?.username,
        });
      throw new KafkaUnreachableError(this.o.brokers, rootMessage(e), { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  async append(deliveries: readonly Delivery[]): Promise<void> {
    const s = this.live();
    if (deliveries.length === 0) return;
    // One encoding per message object: the bus appends a multi-receiver message's deliveries
    // together, all pointing at the same message (decision 1202).
    const bodies = new Map<Delivery['message'], Buffer>();
    const body = (d: Delivery): Buffer => {
      let b = bodies.get(d.message);
      if (b === undefined) bodies.set(d.message, (b = encodeMessageBody(d.message)));
      return b;
    };
    await s.deliveries.append(deliveries.map((d) => encodeDelivery(d, s.partitionOf.of(d.receiver), body(d))));
  }

  consume(handler: DeliveryHandler): void {
    this.live().consumer.start(handler);
  }

  hasCompleted(id: string): boolean {
    return this.completed.has(id);
  }

  /**
   * Record completions. A record with state writes (or a clock read: commitsState) commits them
   * first (one record batch per agent to the state topic, with the commit marker, and with it the
   * agent's other records of this call, so the marker gives their order): from then on the delivery
   * is completed, even if the offset commit below never happens (a crash: the next owner finds the
   * marker). The other records complete by the offset commit alone (CompletedSince). A record
   * whose state could not be produced is not completed (it is handed out again) and is named in
   * the KafkaCommitError thrown after the others are recorded.
   */
  async complete(records: readonly CompletionRecord[]): Promise<void> {
    const s = this.live();
    const committing = committingAgents(records);
    const stateFailed = await this.commitStates(s, records, committing);
    const byPartition = new Map<number, string[]>();
    const notOwned: string[] = [];
    const now = performance.now();
    for (const r of records) {
      if (stateFailed.ids.has(r.id)) continue;
      // Its state was not committed (its home partition is not this node's): never completed without it.
      if (committing?.has(r.receiver) === true && !stateFailed.committed.has(r.id)) {
        if (!this.completed.has(r.id)) notOwned.push(r.id);
        continue;
      }
      // Where it was read: its receiver's home, or the partition it was read from before its
      // placement key was known here (decision 2189).
      const p = s.consumer.holding(r.id, s.partitionOf.of(r.receiver));
      const offset = p === undefined ? undefined : s.consumer.tracker(p)?.completeAt(r.id);
      if (offset !== undefined) {
        this.completed.add(r.id);
        if (committing?.has(r.receiver) !== true) {
          const full = this.completedSince.add(r.receiver, offset, now);
          if (full !== undefined) this.writeOrder(s, r.receiver, full);
        }
        byPartition.set(p!, [...(byPartition.get(p!) ?? []), r.id]);
      } else if (!this.completed.has(r.id)) {
        notOwned.push(r.id); // completing twice is fine; completing what we never handed out is not
      }
    }
    for (const p of byPartition.keys()) s.consumer.released(p);
    let offsetsCommitted = true;
    let waits = 0;
    while (byPartition.size > 0) {
      try {
        await s.consumer.commits.wait(byPartition);
        break;
      } catch (err) {
        // An offset commit that did not happen in time (the coordinator away, a broker outage, a
        // rebalance still settling) fails only the records it alone completes. A record whose state
        // commit is durable is completed by its marker whatever the offsets do (decision 1602): the
        // marker keeps naming it (it stays unconfirmed below), the commit queue goes on committing
        // the partition, and failing it here would rewind the agent and handle it again on top of
        // its own writes. (Had another node claimed the partition before that state commit landed,
        // readers ignore it and the new owner handles the delivery, decision 1800, either way.)
        // A revoke already seen (KafkaNotOwnerError) fails as before.
        const durable =
          err instanceof KafkaCommitError &&
          committing !== undefined &&
          [...byPartition.values()].every((ids) => ids.every((id) => stateFailed.committed.has(id)));
        if (!durable || this.closed) throw err;
        // Deferred while the marker's bounded list has room; past it an earlier id would drop out
        // of the marker, so the agent waits for the offsets instead (it goes no further meanwhile).
        if ([...committing].every((agent) => s.agentState.markerHasRoom(agent))) {
          this.events.emit({ type: 'commit-deferred', ids: [...byPartition.values()].flat(), error: describeError(err) });
          offsetsCommitted = false;
          break;
        }
        this.events.emit({ type: 'commit-awaited', agents: [...committing], waits: ++waits, error: describeError(err) });
      }
    }
    // Confirmed: this call's ids and every earlier one its agents' markers still repeat (an agent's
    // completions are made one call after another, so this commit's snapshot covers every one
    // applied before it, a deferred one included).
    if (committing !== undefined && offsetsCommitted) for (const agent of committing) s.agentState.allOffsetsCommitted(agent);
    if (stateFailed.ids.size > 0)
      throw new KafkaCommitError([...stateFailed.ids], `state not committed: ${describeError(stateFailed.error)}`, {
        cause: stateFailed.error,
      });
    if (notOwned.length > 0) throw new KafkaNotOwnerError(notOwned);
  }

  /** Produce the state of the `committing` agents' records pending here; the ids that failed. */
  private async commitStates(
    s: Open,
    records: readonly CompletionRecord[],
    committing: ReadonlySet<string> | undefined,
  ): Promise<{ ids: Set<string>; committed: Set<string>; error?: unknown }> {
    if (committing === undefined) return { ids: new Set(), committed: new Set() };
    const byAgent = new Map<string, { id: string; writes: readonly StateWrite[]; clockAt?: number }[]>();
    // The claim of the tenure each check passed in: the commit is tagged with it (decision 1800).
    const tenures = new Map<string, Promise<string> | undefined>();
    for (const r of records) {
      if (!committing.has(r.receiver)) continue;
      // Only deliveries this node handed out and still owns: anything else is refused below. The
      // state goes to the agent's home partition, under the claim of this node's tenure there.
      const p = s.partitionOf.of(r.receiver);
      if (s.consumer.tracker(p) === undefined || s.consumer.holding(r.id, p) === undefined) continue;
      const writes = r.state ?? [];
      const commit = r.clockAt === undefined ? { id: r.id, writes } : { id: r.id, writes, clockAt: r.clockAt };
      byAgent.set(r.receiver, [...(byAgent.get(r.receiver) ?? []), commit]);
      tenures.set(r.receiver, s.agentState.tenure(p));
    }
    const failed = new Set<string>();
    let error: unknown;
    const hook = this.o.beforeStateCommit;
    await Promise.all(
      [...byAgent].map(async ([agent, commits]) => {
        let before: number[] | undefined;
        try {
          if (hook)
            await hook(
              agent,
              commits.map((c) => c.id),
            );
          before = this.completedSince.take(agent);
          await s.agentState.commitDeliveries(agent, commits, tenures.get(agent), before);
        } catch (e) {
          // Not written: the order of what ran before goes with the agent's next commit.
          if (before !== undefined) this.completedSince.restore(agent, before, performance.now());
          error ??= e;
          for (const c of commits) failed.add(c.id);
        }
      }),
    );
    const committed = new Set<string>();
    for (const commits of byAgent.values()) for (const c of commits) if (!failed.has(c.id)) committed.add(c.id);
    return { ids: failed, committed, error };
  }

  /** The order records of the agents whose list was started before `before` with no state commit to carry it (completed-since.ts). */
  private writeDueOrders(s: Open | undefined, before: number): void {
    if (s === undefined || this.completedSince.size === 0) return;
    for (const [agent, ids] of this.completedSince.due(before)) this.writeOrder(s, agent, ids);
  }

  /**
   * Not awaited by anything: an order record is for replay only. One that is not written (the
   * partition moved, the broker refused past the append's deadline) leaves those handlings to be
   * placed by their offsets (the reader counts them); the log's own work is unaffected.
   */
  private writeOrder(s: Open, agent: string, offsets: readonly number[]): void {
    s.agentState.commitOrder(agent, offsets).catch(() => {});
  }

  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    return this.live().agentState.readState(agent);
  }

  async commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    // An empty commit is no produce: the list waits for the next one.
    return this.live().agentState.commitState(agent, writes, writes.length === 0 ? undefined : this.completedSince.take(agent));
  }

  commitRefusal(agent: string, writes: readonly StateWrite[]): Error | undefined {
    return stateKeyRefusal(agent, writes);
  }

  async commitClaimed(agent: string, writes: readonly StateWrite[]): Promise<ClaimedCommit> {
    return this.live().agentState.commitClaimed(agent, writes, this.completedSince.take(agent));
  }

  async counted(commit: ClaimedCommit, withinMs: number): Promise<boolean> {
    return this.live().agentState.counted(commit, withinMs);
  }

  async readCounted(agent: string): Promise<ReadonlyMap<string, string>> {
    return this.live().agentState.readCounted(agent);
  }

  async readStateWithin(agent: string, maxRecords: number): Promise<ReadonlyMap<string, string>> {
    return this.live().agentState.readStateWithin(agent, maxRecords);
  }

  async clearState(agent: string): Promise<void> {
    return this.live().agentState.clearState(agent);
  }

  /**
   * Resolves true once this node owns `agent`'s partition and has read its state (the view
   * readState returns is then the moved state), false if the partition is not assigned here.
   */
  stateLoaded(agent: string): Promise<boolean> {
    const s = this.live();
    return s.agentState.whenLoaded(s.partitionOf.of(agent));
  }

  /** The delivery ids of the agent's newest commit marker (diagnostics and tests). */
  committedMarker(agent: string): Promise<readonly string[]> {
    return this.live().agentState.committedMarker(agent);
  }

  /** Handed out here and its partition still assigned here (or completed here already). */
  holds(delivery: Pick<Delivery, 'id' | 'receiver'>): boolean {
    const s = this.live();
    return s.consumer.holding(delivery.id, s.partitionOf.of(delivery.receiver)) !== undefined || this.completed.has(delivery.id);
  }

  async relocate(deliveries: readonly Delivery[]): Promise<Delivery[]> {
    const s = this.live();
    const kept: Delivery[] = [];
    const moved = new Map<number, string[]>();
    let i = 0;
    try {
      for (; i < deliveries.length; i++) {
        const d = deliveries[i]!;
        const home = s.partitionOf.of(d.receiver);
        const held = s.consumer.holding(d.id, home);
        if (held === home) kept.push(d);
        if (held === undefined || held === home) continue;
        // Durable at home before it is completed here: a crash in between can leave two copies under
        // one delivery id (at least once, never none).
        await s.deliveries.append([encodeDelivery(d, home)]);
        if (s.consumer.tracker(held)?.completeAt(d.id) === undefined) continue;
        moved.set(held, [...(moved.get(held) ?? []), d.id]);
        this.events.emit({ type: 'relocated', receiver: d.receiver, id: d.id, partition: held, to: home });
      }
    } catch {
      // Not appended: this one and the rest stay here, pending, for the next sweep to try again.
      kept.push(...deliveries.slice(i));
    }
    for (const p of moved.keys()) s.consumer.released(p);
    if (moved.size > 0) await s.consumer.commits.wait(moved).catch(() => {}); // completed; the offset commit follows with the next
    return kept;
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    const s = this.live();
    // Fenced before the letter is written (decision 1990, *Cluster*): a delivery whose partition
    // moved is the next owner's, which hands it out again; a letter written here would be a second
    // fate for it. (The window left is this one write: a revocation during it.)
    if (!this.holds(letter.delivery)) throw new KafkaNotOwnerError([letter.delivery.id]);
    await s.deadLetters.append([encodeDeadLetter(letter)]);
    try {
      await this.complete([{ id: letter.delivery.id, receiver: letter.delivery.receiver }]);
    } catch (err) {
      // The letter is durable: that is the delivery's fate. An offset commit not confirmed in time is
      // the commit queue's to retry; failing the dead-lettering would have the caller put the
      // delivery back and hand it to its agent as well (a second fate).
      if (!(err instanceof KafkaCommitError)) throw err;
      this.events.emit({ type: 'commit-deferred', ids: [letter.delivery.id], error: describeError(err) });
    }
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const s = this.live();
    return readDeadLetters(s.kafka, s.admin, this.o, limit);
  }

  /** Marks go to the dead-letter topic, keyed by the letter's id (decision 1860). */
  async markDeadLetters(marks: readonly DeadLetterMark[]): Promise<void> {
    const s = this.live();
    await s.deadLetters.append(marks.map(encodeDeadLetterMark));
  }

  /** The marks among the newest `DEAD_LETTER_MARKS_WINDOW` records of the dead-letter topic. */
  async deadLetterMarks(): Promise<ReadonlyMap<string, DeadLetterMark>> {
    const s = this.live();
    return (await readDeadLetterTopic(s.kafka, s.admin, this.o, DEAD_LETTER_MARKS_WINDOW)).marks;
  }

  /**
   * A replay reads the cluster's topics (`caxton replay --kafka`, decision 2180): their history is
   * the deliveries topic's retention, the `historySeconds` said here (the node's setting when it
   * creates the topic). The oldest record's time would take a fetch: not said (status is cheap).
   */
  replayReach(): ReplayReach {
    return { ...nothingToReplay('kafka'), historySeconds: Math.floor(this.o.retentionMs / 1000) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const s = this.state;
    this.state = undefined;
    if (!s) return;
    // Settle in-flight work first (each is bounded by its own deadline), then leave the group so
    // our partitions move to the other nodes at once instead of after the session timeout.
    clearInterval(this.orderTimer);
    this.writeDueOrders(s, Number.POSITIVE_INFINITY); // the last lists, with the state writes drained below
    await s.agentState.stop();
    await s.deliveries.drain();
    await s.deadLetters.drain();
    await s.stateWrites.drain();
    // Waiters are bounded by commitTimeoutMs; a retry loop with nobody waiting is not worth more.
    await Promise.race([s.consumer.commits.drain(), new Promise((r) => setTimeout(r, this.o.commitTimeoutMs).unref())]);
    // Completions that finished meanwhile: their order too, before the producer goes.
    this.writeDueOrders(s, Number.POSITIVE_INFINITY);
    await s.stateWrites.drain();
    await Promise.allSettled([s.consumer.close(), s.stateReader.close(), s.producer.close()]);
    await s.admin.disconnect().catch(() => {});
  }

  private live(): Open {
    if (this.closed) throw new KafkaLogStateError('the Kafka message log is closed');
    if (!this.state) throw new KafkaLogStateError('the Kafka message log is not open');
    return this.state;
  }

  /**
   * A delivery record that failed its record-key check (decision 2185): a dead letter with the
   * reason `log.record-unauthenticated: …` and its place as its delivery id (the id it claims is the
   * writer's: a letter under it could hide a real one in the list), so an operator sees it, can
   * read it and decide (purge, or redrive by its id: then the node vouches for it; a redrive of an
   * agent's letters leaves it out). A value that is not a delivery at all is quarantined (inside a
   * record of the node's own: quarantine()). Said, once durable, as a `record-refused` event (the
   * node audits it); a failed write is retried by the consumer (move-aside.ts).
   */
  private async refuseRecord(partition: number, m: KafkaMessage, id: string, why: string): Promise<void> {
    const s = this.live();
    const reason = `${new RecordUnauthenticatedError(this.o.deliveriesTopic, partition, m.offset, why).code}: ${why}`;
    let delivery: Delivery | undefined;
    try {
      delivery = { ...decodeDelivery(m), id };
    } catch {
      delivery = undefined;
    }
    if (delivery === undefined) await this.quarantine(partition, m, reason);
    else {
      const letter = encodeDeadLetter({ delivery, reason, attempts: 0, at: Date.now() });
      const source = `${this.o.deliveriesTopic}/${partition}@${m.offset}`;
      letter.headers = { ...letter.headers, 'caxton-dl-source': source };
      try {
        await s.deadLetters.append([letter]);
      } catch (e) {
        // Refused as too large: its place only (as quarantine()), so the partition moves on.
        if (!isTooLarge(e)) throw e;
        await s.deadLetters.append([encodeQuarantinedPlace(m, reason, source)]);
      }
    }
    this.events.emit({
      type: 'record-refused',
      topic: this.o.deliveriesTopic,
      partition,
      offset: m.offset,
      reason: why,
      deadLettered: true,
    });
  }

  /**
   * A record read outside its receiver's home partition (decision 2189), appended there as it is:
   * same key, value and headers, signed again for its new place (the tag binds the partition). Only
   * a record that passed its own check is moved (a refused one is dead-lettered first), so the
   * headers carried under this node's tag are a node's own.
   */
  private async relocateRecord(home: number, m: KafkaMessage): Promise<void> {
    const headers = m.headers === undefined ? undefined : { ...m.headers };
    if (headers !== undefined) delete headers[MAC_HEADER];
    await this.live().deliveries.append([{ key: m.key, value: m.value, partition: home, ...(headers !== undefined ? { headers } : {}) }]);
  }

  /**
   * An undecodable record is moved to the dead-letter topic as a record of the node's own: its value
   * as read, its key and headers in one header the node writes, with a reason and source header
   * (codec.ts encodeQuarantined). Never copied as-is: the node signs what it writes (decision 2185),
   * and a copy would carry the record's headers — a forged `caxton-dl-mark` among them — under the
   * node's tag. A copy the broker refuses as too large (a value near the limit, with the headers
   * added) becomes a place-only record (its source, the value's SHA-256 and length), so the record
   * is still completed and its partition's commits move on.
   */
  private async quarantine(partition: number, m: KafkaMessage, reason: string): Promise<void> {
    const s = this.live();
    const source = `${this.o.deliveriesTopic}/${partition}@${m.offset}`;
    try {
      await s.deadLetters.append([encodeQuarantined(m, reason, source)]);
    } catch (e) {
      if (!isTooLarge(e)) throw e;
      await s.deadLetters.append([encodeQuarantinedPlace(m, reason, source)]);
    }
  }
}
