/**
 * The consumer side: one member of the cluster's consumer group. Kafka assigns it some partitions
 * of the deliveries topic; it hands their records to the bus in offset order (so in append order
 * per receiver), tracks what is pending, pauses a partition whose pending set is full, and keeps
 * the trackers right across rebalances. Commits go through CommitQueue.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DeliveryHandler } from '../message-log.js';
import type { Instrumentation, Delivery } from '@caxton/core';
import type { KafkaLogEvent, ResolvedKafkaOptions } from './options.js';
import { PartitionTracker } from './partition-tracker.js';
import { CommitQueue } from './commit-queue.js';
import type { CompletedWindow } from './completed-window.js';
import { DecodedBodies, decodeDelivery, deliveryIdOf } from './codec.js';
import type { RecordVerdict } from './record-mac.js';
import { consumerRetry, rootMessage } from './client.js';
import { OneCommitAtATime } from './one-commit-at-a-time.js';
import { ConsumerRestarts } from './consumer-restarts.js';
import { type MoveAside, moveAside } from './move-aside.js';
import { rendezvousAssigner } from './rendezvous-assigner.js';
import { MembershipWatch } from './rejoin.js';
import type { CommitEntry } from './commit-queue.js';
import { tracerRegistered } from '../../telemetry/trace-context.js';
import { recordConsumeSpan } from '../../telemetry/log-spans.js';

/** Why a record's check failed, undefined when it passed. */
function refusal(v: RecordVerdict): string | undefined {
  return v.ok ? undefined : v.reason;
}

type Committed = Map<number, { offset: number; metadata: string | null }>;

/** Writes of a record to the dead letters tried per hand-out, and their backoff (1 s, 2 s, … 30 s). */
const MOVE_ASIDE_ATTEMPTS = 8;
const MOVE_ASIDE_FIRST_DELAY_MS = 1000;
const MOVE_ASIDE_MAX_DELAY_MS = 30_000;

export interface DeliveryConsumerDeps {
  kafka: Kafka;
  admin: Admin;
  o: ResolvedKafkaOptions;
  /** The log's instrumentation (KafkaMessageLog.events). */
  events: Instrumentation<KafkaLogEvent>;
  metadataMaxBytes: number;
  /** Partitions of the deliveries topic (bounds the read-back of a partition taken, decision 1801). */
  partitions: number;
  completed: CompletedWindow;
  /** The group assigned these partitions to this node (all of them, after every join). */
  assigned: (partitions: readonly number[]) => void;
  /**
   * Resolves true once the agents' state of an assigned partition is loaded (its commit markers
   * are then in `completed`), false if the partition is not ours; rejects if loading failed.
   */
  stateLoaded: (partition: number) => Promise<boolean>;
  /** Move an undecodable record aside (the dead-letter topic); resolves when durable. */
  quarantine: (partition: number, message: EachBatchPayload['batch']['messages'][number], reason: string) => Promise<void>;
  /**
   * Move a record that failed its record-key check (decision 2185) to the dead letters, under the
   * id it is tracked by here (its place, never the id it claims); resolves when durable.
   */
  refuse: (partition: number, message: EachBatchPayload['batch']['messages'][number], id: string, reason: string) => Promise<void>;
  /**
   * The partition a receiver's deliveries belong in when a placement key is recorded for it and
   * that is not `partition` (decision 2189); undefined otherwise — a receiver placed by its name
   * (nearly all) costs one lookup. A record read outside its home (written before its key was
   * known, or by a node whose registry mirror had not caught up) is moved there by `relocate`,
   * never handed out here. Only a KNOWN key moves a record: a node whose mirror is behind never
   * moves one back.
   */
  misplaced: (receiver: string, partition: number) => number | undefined;
  /** Append the record, as it is, to `home`; resolves when durable (then it is completed here). */
  relocate: (home: number, message: EachBatchPayload['batch']['messages'][number]) => Promise<void>;
}

export class DeliveryConsumer {
  readonly commits: CommitQueue;
  private readonly consumer: Consumer;
  private readonly topic: string;
  private readonly trackers = new Map<number, PartitionTracker>();
  private assigned = new Set<number>();
  /** Bumped on every group join; a partition's tracker is re-read from the commit once per join. */
  private joinEpoch = 0;
  private readonly syncedAt = new Map<number, number>();
  private committedRead: { epoch: number; result: Promise<Committed> } | undefined;
  private readonly paused = new Set<number>();
  /** Partitions paused until their state load settles (see stateReady), with the wait that resumes them. */
  private readonly loading = new Map<number, Promise<boolean>>();
  private handler: DeliveryHandler | undefined;
  /** Runs the consumer, restarts it after crashes kafkajs leaves, and never behind close(). */
  private readonly restarts: ConsumerRestarts;
  private get closing(): boolean {
    return this.restarts.closed;
  }
  /** A multi-receiver message's records decode its body once and share one message (decision 2003). */
  private readonly bodies = new DecodedBodies();
  /** Writes aside in progress: their retry timers are cleared on close. */
  private readonly asides = new Set<MoveAside>();
  /** A join under a new membership (after a crash, a restart, or removal) revokes everything first. */
  private readonly membership = new MembershipWatch();
  /** Offset commits one at a time, an abandoned one included (see one-commit-at-a-time.ts). */
  private readonly oneCommit = new OneCommitAtATime();

  constructor(private readonly d: DeliveryConsumerDeps) {
    const { o } = d;
    this.topic = o.deliveriesTopic;
    this.consumer = d.kafka.consumer({
      groupId: o.groupId,
      partitionAssigners: [rendezvousAssigner(o.nodeId, o.deliveriesTopic)],
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(o.sessionTimeoutMs / 5)),
      // With minBytes 1 (the default), new records are fetched as they arrive and the wait only
      // bounds how long a resume() waits; a larger minBytes makes the broker gather (decision 2100).
      minBytes: o.fetchMinBytes,
      maxWaitTimeInMs: o.fetchMaxWaitMs,
      maxBytesPerPartition: o.fetchMaxBytesPerPartition,
      allowAutoTopicCreation: false,
      retry: consumerRetry(() => this.closing),
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberId, e.payload.memberAssignment[this.topic] ?? []));
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      // Restarted by kafkajs or by us, the consumer leaves the group and joins as a new member.
      this.membership.interrupted();
      d.events.emit({ type: 'consumer-crash', error: e.payload.error, restart: e.payload.restart });
      // kafkajs only restarts itself after errors it deems retriable; "Failed to find group
      // coordinator" during a broker restart is not one of them, and left alone the node would
      // silently stop consuming. kafkajs has already disconnected when this event fires.
      if (!e.payload.restart) this.restartLater(1);
    });
    this.restarts = new ConsumerRestarts({
      connect: () => this.consumer.connect(),
      run: () => this.run(),
      failed: (error) => {
        this.membership.interrupted();
        d.events.emit({ type: 'consumer-crash', error, restart: false });
      },
      // kafkajs starts with fresh state (nothing paused): our paused set is stale now. (A partition
      // still loading is paused again by its next batch; its pending load resumes it later.)
      beforeRestart: () => this.paused.clear(),
      closeWaitMs: o.sessionTimeoutMs + o.requestTimeoutMs,
    });
    this.commits = new CommitQueue({
      commit: (entries) => this.commit(entries),
      tracker: (p) => (this.assigned.has(p) ? this.trackers.get(p) : undefined),
      metadataMaxBytes: d.metadataMaxBytes,
      timeoutMs: o.commitTimeoutMs,
      lingerMs: o.lingerMs,
      onRetry: (attempt, error) => d.events.emit({ type: 'commit-retry', attempt, error }),
    });
  }

  async connect(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
  }

  start(handler: DeliveryHandler): void {
    if (this.handler) throw new Error('consume() called twice');
    this.handler = handler;
    this.restarts.start();
  }

  /** A crash kafkajs does not restart from: a new membership, joined after a backoff. */
  private restartLater(attempt: number): void {
    this.membership.interrupted();
    this.restarts.later(attempt);
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      // We resolve offsets ourselves: a record not handed out (partition full) must be re-fetched.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * Commit through the group member (the coordinator checks our generation). kafkajs'
   * commitOffsets() returns normally WITHOUT committing when its runner is not running (e.g.
   * while it restarts after a crash); only its COMMIT_OFFSETS event, emitted after the broker
   * acknowledged, proves the commit happened, so that is what we wait for.
   */
  private async commit(entries: CommitEntry[]): Promise<void> {
    // The commit queue took its snapshot of our progress just now, under this assignment.
    const epoch = this.joinEpoch;
    let confirmed = false;
    const off = this.consumer.on(this.consumer.events.COMMIT_OFFSETS, (e) => {
      const t = e.payload.topics.find((x) => x.topic === this.topic);
      if (
        t &&
        entries.every((c) =>
          t.partitions.some(
            (p) =>
              Number(p.partition) === c.partition &&
              String(p.offset) === String(c.offset) &&
              ((p as { metadata?: string | null }).metadata ?? '') === c.metadata,
          ),
        )
      )
        confirmed = true;
    });
    try {
      await this.d.o.beforeOffsetCommit?.();
      await this.oneCommit.run(
        () =>
          this.consumer.commitOffsets(
            entries.map((e) => ({
              topic: this.topic,
              partition: e.partition,
              offset: String(e.offset),
              metadata: e.metadata,
            })),
          ),
        2 * this.d.o.requestTimeoutMs,
        'offset commit',
        // A rebalance while the previous commit was awaited: the broker takes a commit from any
        // member of the group's generation, so a snapshot of partitions another node may own now
        // would overwrite its progress. The queue takes a new snapshot (a partition lost is refused).
        () => epoch === this.joinEpoch,
      );
    } finally {
      off();
    }
    if (!confirmed) throw new Error('offset commit not performed: the consumer is (re)joining its group');
  }

  /**
   * The assigned partition whose pending set holds delivery `id`: `likely` first (the receiver's
   * home, where nearly every delivery is read), then the others — a delivery read before its
   * receiver's placement key was known here sits in another one (decision 2189).
   */
  holding(id: string, likely: number): number | undefined {
    if (this.tracker(likely)?.has(id) === true) return likely;
    for (const p of this.assigned) if (p !== likely && this.trackers.get(p)?.has(id) === true) return p;
    return undefined;
  }

  /** The tracker of a partition this node owns now (for complete()). */
  tracker(partition: number): PartitionTracker | undefined {
    return this.assigned.has(partition) ? this.trackers.get(partition) : undefined;
  }

  ownedPartitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  /** A completion freed room: resume the partition if it was paused for being full. */
  released(partition: number): void {
    if (!this.paused.has(partition) || !(this.trackers.get(partition)?.hasRoom() ?? true)) return;
    this.paused.delete(partition);
    this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
  }

  async close(): Promise<void> {
    for (const aside of this.asides) aside.cancel();
    this.asides.clear();
    await this.restarts.close(() => this.consumer.disconnect());
  }

  private onJoin(memberId: string, partitions: number[]): void {
    // A join that completes after close() began (a restart kafkajs itself started, in flight when
    // the node stopped): take nothing, and disconnect again, or it would run with nobody to stop it.
    if (this.closing) {
      void this.consumer.disconnect().catch(() => {});
      return;
    }
    if (this.membership.joined(memberId) && this.assigned.size > 0) {
      // A new membership: other members may have held these partitions for a generation, claimed
      // them and committed past us. Everything is revoked first (trackers, loads and their claims,
      // the residency's tenures and instances), so partitions got back start afresh: a new claim,
      // a fresh load, new tenures.
      this.trackers.clear();
      this.assigned = new Set();
      this.d.assigned([]);
      this.d.events.emit({ type: 'assignment', partitions: [] });
    }
    this.joinEpoch += 1;
    const now = new Set(partitions);
    // Revoked partitions: another node owns them now; what we knew about them is dropped, and
    // completions of their deliveries will be refused (the new owner hands them out again).
    for (const p of this.trackers.keys()) if (!now.has(p)) this.trackers.delete(p);
    this.assigned = now;
    this.d.assigned(partitions);
    // kafkajs remembers paused partitions across rebalances; un-pause any that are not full.
    const resume = [...this.paused].filter((p) => this.trackers.get(p)?.hasRoom() ?? true);
    for (const p of resume) this.paused.delete(p);
    if (resume.length > 0) this.consumer.resume([{ topic: this.topic, partitions: resume }]);
    // A partition paused while a load of an earlier assignment ran: its next batch waits for the
    // load of this one (setOwned above started it), not for the old one to settle.
    const waiting = [...this.loading.keys()];
    this.loading.clear();
    for (const p of waiting) this.resumeLoaded(p);
    this.d.events.emit({ type: 'assignment', partitions: this.ownedPartitions() });
  }

  private readCommitted(epoch: number): Promise<Committed> {
    if (this.committedRead?.epoch !== epoch) {
      const result = this.d.admin.fetchOffsets({ groupId: this.d.o.groupId, topics: [this.topic] }).then((topics) => {
        const map: Committed = new Map();
        for (const p of topics.find((t) => t.topic === this.topic)?.partitions ?? []) {
          map.set(p.partition, { offset: Number(p.offset), metadata: p.metadata });
        }
        return map;
      });
      result.catch(() => {
        if (this.committedRead?.result === result) this.committedRead = undefined;
      });
      this.committedRead = { epoch, result };
    }
    return this.committedRead.result;
  }

  /** The partition's tracker, re-read from the committed offset once after each join. */
  private async synced(partition: number): Promise<PartitionTracker | undefined> {
    if (!this.assigned.has(partition)) return undefined;
    const epoch = this.joinEpoch;
    if (this.syncedAt.get(partition) === epoch) return this.trackers.get(partition);
    const committed = (await this.readCommitted(epoch)).get(partition);
    if (epoch !== this.joinEpoch || !this.assigned.has(partition)) return undefined; // rebalanced meanwhile
    const fresh = PartitionTracker.fromCommit(
      partition,
      this.d.o.maxPendingPerPartition,
      committed?.offset,
      committed?.metadata,
      this.rebuildRecords(),
    );
    const local = this.trackers.get(partition);
    if (local) {
      fresh.merge(local);
      this.commits.schedule(partition); // local completions the commit may not have yet
    }
    this.trackers.set(partition, fresh);
    this.syncedAt.set(partition, epoch);
    return fresh;
  }

  /**
   * Records read back below the committed offset of a partition taken (decision 1801): the
   * option, or the completed window's share of one partition, so taking every partition at open
   * reads at most as many ids as the window holds.
   */
  private rebuildRecords(): number {
    return this.d.o.windowRebuildRecords ?? Math.ceil(this.d.o.completedWindow / Math.max(1, this.d.partitions));
  }

  /**
   * True if the partition's state is loaded now. If not, the partition is paused until its load
   * settles and false is returned at once (nothing resolved: its records are fetched again after
   * the resume). The wait is kept out of eachBatch on purpose: a load is an owner claim produced
   * with acks=-1 and then a read of the state partition (decision 1800), which can take as long as
   * a broker restart. Waited for inside eachBatch, it held up the runner — a rejoin, or kafkajs
   * stopping the runner after a crash, waits for eachBatch to return — and every offset commit of
   * this node failed meanwhile ("(re)joining its group", then "not initialized").
   */
  private async stateReady(partition: number, pause: () => void): Promise<boolean> {
    const loaded = this.d.stateLoaded(partition);
    // A load already done resolves within microtasks, so before this macrotask turn.
    const now = await Promise.race([loaded, new Promise<'loading'>((r) => setImmediate(() => r('loading')))]).catch((error: unknown) => {
      this.d.events.emit({ type: 'state-load-failed', partition, error: rootMessage(error) });
      return false; // nothing resolved: the batch is fetched again, and starts another load
    });
    if (now !== 'loading') return now && this.assigned.has(partition);
    pause();
    if (this.loading.has(partition)) return false; // already waited for (a re-fetch after a restart)
    this.loading.set(partition, loaded);
    const resume = () => {
      if (this.loading.get(partition) !== loaded) return; // a join already resumed it
      this.loading.delete(partition);
      this.resumeLoaded(partition);
    };
    loaded.then(resume, (error: unknown) => {
      this.d.events.emit({ type: 'state-load-failed', partition, error: rootMessage(error) });
      resume(); // the batch fetched again starts another load
    });
    return false;
  }

  /** Resume a partition paused while its state loaded; one paused for being full stays paused (released() resumes it). */
  private resumeLoaded(partition: number): void {
    if (this.closing || this.paused.has(partition) || !this.assigned.has(partition)) return;
    try {
      this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
    } catch {
      // the runner is restarting: kafkajs starts it with nothing paused
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    const tracker = await this.synced(p);
    if (!tracker || !this.handler) return; // nothing resolved: kafkajs re-fetches after the rebalance
    // Nothing of a partition is handed out before its agents' state is loaded: the state records
    // say which deliveries were completed by a state commit whose offset commit never happened.
    if (!(await this.stateReady(p, pause))) return;
    const first = batch.messages[0];
    const rewind = first === undefined ? undefined : tracker.rewindTo(Number(first.offset), this.joinEpoch);
    if (rewind !== undefined) {
      // Nothing resolved: kafkajs fetches again from `rewind` (the seek is local, no commit).
      this.consumer.seek({ topic: this.topic, partition: p, offset: String(rewind) });
      return;
    }
    const out: Delivery[] = [];
    let commit = false;
    const keys = this.d.o.recordKeys;
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || this.closing) break;
      // Checked before anything in the record is believed, its delivery id included (decision
      // 2185): a forged record tracked under the id it claims could mark a real delivery done.
      const refused = keys === undefined ? undefined : refusal(keys.verify(this.topic, p, m));
      const id = (refused === undefined ? deliveryIdOf(m) : undefined) ?? `kafka:${this.topic}/${p}@${m.offset}`;
      // A done offset read again (the read-back of a partition taken, a re-fetch after a
      // rebalance): its id is a completed delivery, so a later copy of it is not handed out.
      // Not one relocated from here (decision 2189): its id lives on in its home partition's copy.
      if (tracker.isDone(Number(m.offset)) && (m.key === null || this.d.misplaced(m.key.toString(), p) === undefined))
        this.d.completed.add(id);
      const verdict = tracker.admit(Number(m.offset), id, this.d.completed.has(id));
      if (verdict === 'full') {
        pause();
        this.paused.add(p);
        break;
      }
      resolveOffset(m.offset);
      if (verdict === 'done') commit = true;
      if (verdict !== 'deliver') continue;
      if (refused !== undefined) {
        // Not handled; pending until it is safely in the dead letters.
        // After the last attempt, the refusal is still said (and so audited), as not dead-lettered.
        this.moveAside(
          p,
          m.offset,
          id,
          () => this.d.refuse(p, m, id, refused),
          () =>
            this.d.events.emit({
              type: 'record-refused',
              topic: this.topic,
              partition: p,
              offset: m.offset,
              reason: refused,
              deadLettered: false,
            }),
        );
        continue;
      }
      let delivery: Delivery;
      try {
        delivery = decodeDelivery(m, this.bodies);
      } catch (e) {
        const reason = `undecodable record: ${(e as Error).message}`;
        this.d.events.emit({ type: 'undecodable', partition: p, offset: m.offset, error: reason });
        // Stays pending until it is safely in the dead letters.
        this.moveAside(p, m.offset, id, () => this.d.quarantine(p, m, reason));
        continue;
      }
      const home = this.d.misplaced(delivery.receiver, p);
      if (home !== undefined) {
        // Pending until it is durable in its home partition, then completed here (decision 2189).
        const receiver = delivery.receiver;
        this.moveAside(p, m.offset, id, async () => {
          await this.d.relocate(home, m);
          this.d.events.emit({ type: 'relocated', receiver, id, partition: p, offset: m.offset, to: home });
        });
        continue;
      }
      out.push(delivery);
    }
    if (commit) this.commits.schedule(p);
    // Per batch, never per record, and only for a listener or a tracer (decision 1301).
    const observed = this.d.events.wants('consumed');
    if (observed || (out.length > 0 && tracerRegistered())) {
      const lag = Number(batch.offsetLag());
      if (observed) this.d.events.emit({ type: 'consumed', partition: p, records: out.length, lag });
      if (out.length > 0 && tracerRegistered()) recordConsumeSpan(this.topic, p, out, lag);
    }
    if (out.length > 0) {
      try {
        this.handler(out);
      } catch (error) {
        // The deliveries stay pending: handed out again after a restart or rebalance.
        this.d.events.emit({ type: 'handler-error', error });
      }
    }
    await heartbeat();
  }

  /** Writes a record aside (move-aside.ts) and completes it once that is durable; failures said as `dead-letter-failed`. */
  private moveAside(p: number, offset: string, id: string, write: () => Promise<void>, gaveUp?: () => void): void {
    // May end before moveAside returns (the record no longer pending): then it is never kept.
    let aside: MoveAside | undefined;
    let over = false;
    const ended = (): void => {
      over = true;
      if (aside !== undefined) this.asides.delete(aside);
    };
    aside = moveAside(write, {
      attempts: MOVE_ASIDE_ATTEMPTS,
      firstDelayMs: MOVE_ASIDE_FIRST_DELAY_MS,
      maxDelayMs: MOVE_ASIDE_MAX_DELAY_MS,
      stillPending: () => !this.closing && this.trackers.get(p)?.has(id) === true,
      done: () => {
        ended();
        if (this.trackers.get(p)?.complete(id)) this.commits.schedule(p);
      },
      failed: (attempt, error, retrying) =>
        this.d.events.emit({ type: 'dead-letter-failed', partition: p, offset, attempt, error: rootMessage(error), retrying }),
      gaveUp: () => {
        ended();
        gaveUp?.();
      },
      stopped: ended,
    });
    if (!over) this.asides.add(aside);
  }
}
