/**
 * EmbeddedMessageLog: the bus's default durable MessageLog, on local disk.
 *
 * Append-only segment files of checksummed frames (record-format.ts), written by group commit
 * (group-committer.ts): append() resolves once its group is durable under the fsync policy.
 * open() rebuilds the pending set from the segments (segment-recovery.ts) and hands it to the
 * consumer before any new delivery. Retention deletes the oldest segments once nothing in them is
 * pending, compacting a few stragglers forward first (retention-plan.ts).
 *
 * In-memory state: one small entry per pending delivery (sequence number and where its append frame
 * is; the delivery body is NOT kept once handed to the consumer), a counter pair per segment, and
 * the bounded window of completed ids.
 */
import type { Delivery, ReplayReach, StateWrite } from '@caxton/core';
import * as fs from 'node:fs/promises';
import type {
  CompletionRecord,
  DeadLetter,
  DeadLetterMark,
  DeliveryHandler,
  HistoryPage,
  HistoryQuery,
  MessageLog,
} from '../message-log.js';
import { readSegmentHistory } from './history-reader.js';
import type { AgentStateStore } from '../../storage/ports.js';
import { StateCommits, stateDroppedWarning } from './state-commits.js';
import { CommitGroup, Op } from './commit-group.js';
import { DeadLetterFile, MARKS_LAYOUT } from './dead-letter-file.js';
import { IdWindow } from '../id-window.js';
import { DirLock } from './dir-lock.js';
import { EmbeddedLogError, closedError, failedError, notOpenError } from './errors.js';
import { ChunkPool } from './frame-batch.js';
import { GroupCommitter, type CommitTarget } from './group-committer.js';
import { resolveOptions, type EmbeddedLogEvent, type EmbeddedMessageLogOptions, type ResolvedOptions } from './options.js';
import { Instrumentation } from '@caxton/core';
import { FILE_HEADER_BYTES, FORMAT_VERSION, FRAME_HEADER_BYTES, FileKind, RecordType, decodeFileHeader } from './record-format.js';
import { KEYED_PREFIX_BYTES, MAX_ID_BYTES } from './payload.js';
import { MAX_RECEIVER_BYTES, SHARED_COUNT_BYTES, sharedEntryBytes, type SharedBody, type SharedEntry } from './shared-payload.js';
import type { PendingEntry } from './pending-entry.js';
import { FieldWriter } from '../records/binary-fields.js';
import { writeBinaryBody } from './delivery-body.js';
import { AgentHistoryStore } from './agent-history-store.js';
import { RetentionRunner } from './retention-runner.js';
import { createLogFile } from './segment-files.js';
import { recoverSegments } from './segment-recovery.js';
import { SegmentWriter, newSegment, type Segment } from './segment-writer.js';
import { tracerRegistered } from '../../telemetry/trace-context.js';
import { recordAppendSpan } from '../../telemetry/log-spans.js';
import type { InOrderCallback } from '../in-order-callbacks.js';

export interface EmbeddedLogStats {
  /** Segment files on disk, including the active one. */
  segments: number;
  /** Bytes of the segment files (what retention keeps on disk). */
  bytes: number;
  activeSegment: number;
  /** Accepted deliveries not yet completed or dead-lettered. */
  pending: number;
  /** Completed ids `hasCompleted` currently remembers. */
  completedIdsRemembered: number;
  deadLetters: number;
  /** Commit groups written and fsyncs issued by the segment writer since open. */
  commitGroups: number;
  fsyncs: number;
  segmentsDeleted: number;
  compactions: number;
  /** Pending deliveries copied forward by compaction. */
  movedDeliveries: number;
  /** What open() found: records read, deliveries replayed, time taken. */
  recovery: { records: number; pending: number; ms: number } | undefined;
  /** Agents with state, their entries, and state snapshots written by retention (decision 1600). */
  state: { agents: number; entries: number; snapshots: number };
}

type State = 'new' | 'opening' | 'open' | 'closing' | 'closed' | 'failed';

export class EmbeddedMessageLog implements MessageLog, AgentStateStore {
  /** Warnings: `events.on(listener, ['warning'])` (decision 1106). */
  readonly events = new Instrumentation<EmbeddedLogEvent>();
  private readonly options: ResolvedOptions;
  private state: State = 'new';
  private failure: EmbeddedLogError | undefined;
  private lock: DirLock | undefined;
  private writer: SegmentWriter | undefined;
  private committer: GroupCommitter<CommitGroup> | undefined;
  private deadLetterFile: DeadLetterFile | undefined;
  /** Marks of dead letters (decision 1860) and, in memory, the newest per letter (few: one per operator action). */
  private deadLetterMarksFile: DeadLetterFile | undefined;
  private readonly marks = new Map<string, DeadLetterMark>();
  private readonly pool = new ChunkPool();
  /** Accepted (or being accepted) deliveries not completed yet, in append order. */
  private pending = new Map<string, PendingEntry>();
  private readonly completedIds: IdWindow;
  /** Segments on disk, oldest first; the last one is the active segment. */
  private segments: Segment[] = [];
  private nextSeq = 0;
  private handler: DeliveryHandler | undefined;
  /** Durable deliveries waiting for a consumer (replayed ones first). */
  private backlog: Delivery[][] = [];
  private readonly deadLettering = new Set<Promise<void>>();
  private movedDeliveries = 0;
  private readonly retention: RetentionRunner;
  /** Agents' own replay histories (decision 2182), when any is kept. */
  private readonly agentHistory: AgentHistoryStore | undefined;
  private recoveryReport: EmbeddedLogStats['recovery'];
  private readonly stateCommits: StateCommits;
  /**
   * The binary bodies of the append being encoded (delivery-body.ts), reused by every append: all
   * of a call's deliveries are encoded here before any is queued, then copied into the group's
   * frames. Replaced when one huge message grew it past STAGING_KEEP_BYTES.
   */
  private staging = new FieldWriter(STAGING_INITIAL_BYTES);

  constructor(options: EmbeddedMessageLogOptions) {
    this.options = resolveOptions(options);
    this.completedIds = new IdWindow(this.options.dedupWindow);
    this.stateCommits = new StateCommits(this.options.maxRecordBytes);
    if (this.options.agentHistory.size > 0)
      this.agentHistory = new AgentHistoryStore({
        logDir: this.options.dir,
        agents: this.options.agentHistory,
        durable: this.options.fsync !== 'never',
        maxPayloadBytes: this.options.maxRecordBytes,
        warn: this.warn,
      });
    this.retention = new RetentionRunner({
      dir: this.options.dir,
      fsync: this.options.fsync,
      compactionRatio: this.options.compactionRatio,
      history: { ms: this.options.historyMs, bytes: this.options.historyBytes },
      segments: () => this.segments,
      pending: () => this.pending,
      isOpen: () => this.state === 'open',
      currentGroup: () => this.committer!.current(),
      requestSync: () => this.committer!.requestSync(),
      carryState: (deleting) => {
        const group = this.committer!.current();
        return this.stateCommits.carryForward(group, deleting) ? group.done : undefined;
      },
      ...(this.agentHistory === undefined ? {} : { keepHistory: (segment: Segment) => this.agentHistory!.keep(segment) }),
      warn: this.warn,
    });
  }

  async open(): Promise<void> {
    if (this.state !== 'new')
      throw new EmbeddedLogError('log.invalid-options', `open() called on a log that is ${this.state}`, {
        hint: 'create one EmbeddedMessageLog per open/close cycle',
      });
    this.state = 'opening';
    const { dir, fsync } = this.options;
    const durable = fsync !== 'never';
    const started = performance.now();
    try {
      await fs.mkdir(dir, { recursive: true });
      this.lock = await DirLock.acquire(dir, this.warn);
      const recovered = await recoverSegments({
        dir,
        policy: this.options.onCorruption,
        durable,
        warn: this.warn,
        completedIds: this.completedIds,
        state: this.stateCommits.view,
      });
      if (recovered.droppedStateTransactions > 0) this.warn(stateDroppedWarning(recovered.droppedStateTransactions));
      await this.agentHistory?.open();
      this.nextSeq = recovered.nextSeq;
      this.segments = recovered.segments;
      if (this.segments.length === 0) {
        const first = newSegment(dir, 1, FILE_HEADER_BYTES, Date.now());
        await (await createLogFile(first.path, FileKind.Segment, this.nextSeq, durable)).close();
        this.segments.push(first);
      }
      let tail = this.segments[this.segments.length - 1]!;
      // A tail written by an older build promises only the frame types of its version: new frames
      // (AppendedShared) go into a fresh segment, so a build of that version reading this directory
      // after a downgrade refuses the new file by its header instead of taking unknown frames at
      // the tail for a torn write and cutting them off (decision 1202).
      if ((await headerVersion(tail.path)) < FORMAT_VERSION) {
        const next = newSegment(dir, tail.no + 1, FILE_HEADER_BYTES, Date.now());
        await (await createLogFile(next.path, FileKind.Segment, this.nextSeq, durable)).close();
        tail.closedAt = Date.now();
        this.segments.push(next);
        tail = next;
      }
      this.writer = new SegmentWriter(
        dir,
        tail,
        await SegmentWriter.open(tail.path, fsync),
        this.options.segmentBytes,
        fsync,
        () => this.nextSeq,
        (segment) => this.segments.push(segment),
      );
      this.committer = new GroupCommitter<CommitGroup>(
        this.commitTarget,
        () => new CommitGroup(this.pool),
        fsync,
        this.options.fsyncIntervalMs,
        (g) => {
          // Once per group (never per record), and only for a listener or a tracer (decision 1301).
          if (this.events.wants('group-committed'))
            this.events.emit({ type: 'group-committed', frames: g.frames, bytes: g.bytes, seconds: g.seconds });
          if (tracerRegistered()) recordAppendSpan('embedded', g.frames, g.bytes, g.seconds);
        },
      );

      const deadLetters = await DeadLetterFile.open(dir, { fsync, onCorruption: this.options.onCorruption, warn: this.warn });
      this.deadLetterFile = deadLetters.file;
      const deadLettered = new Set(deadLetters.ids);
      const marks = await DeadLetterFile.open(dir, { fsync, onCorruption: this.options.onCorruption, warn: this.warn }, MARKS_LAYOUT);
      this.deadLetterMarksFile = marks.file;
      for (const mark of await marks.file.read<DeadLetterMark>(marks.file.count)) this.marks.set(mark.id, mark);

      this.pending = recovered.pending;
      let replay: Delivery[] = [];
      const stranded: string[] = [];
      for (const delivery of recovered.replay) {
        if (deadLettered.has(delivery.id)) {
          stranded.push(delivery.id);
          continue;
        }
        replay.push(delivery);
        if (replay.length === this.options.replayBatchSize) {
          this.backlog.push(replay);
          replay = [];
        }
      }
      if (replay.length > 0) this.backlog.push(replay);
      this.state = 'open';
      if (stranded.length > 0) await this.reconcileDeadLetters(stranded);
      this.recoveryReport = { records: recovered.records, pending: this.pending.size, ms: performance.now() - started };
    } catch (error) {
      this.state = 'failed';
      this.failure = error instanceof EmbeddedLogError ? error : failedError(error, dir);
      await this.releaseResources();
      throw error;
    }
    this.flushBacklog();
    this.retention.run();
  }

  append(deliveries: readonly Delivery[]): Promise<void> {
    try {
      return this.appendInOrder(deliveries);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Queued into the current commit group now, behind everything queued before and ahead of
   * everything queued after (groups are written in order, and a failed write stops the log); a
   * refusal throws before anything is queued (message-log.ts, decision 2111). `then`, when given,
   * is called as the group settles (decision 2118).
   */
  appendInOrder(deliveries: readonly Delivery[], then?: InOrderCallback): Promise<void> {
    try {
      const committer = this.writable();
      // Everything is validated and encoded before anything is queued: a bad delivery rejects the
      // whole append and leaves no trace.
      this.staging.reset();
      // The usual append (one message to one receiver): no runs to collect.
      if (deliveries.length === 1) {
        const delivery = deliveries[0]!;
        checkDeliveryId(delivery);
        const body = this.encodeDelivery(delivery);
        const group = committer.current();
        this.queueAppend(group, delivery, body === undefined ? this.staging.view(0, this.staging.length) : body);
        if (then !== undefined) group.whenSettled(then);
        return group.done;
      }
      const runs = this.encodeRuns(deliveries);
      const group = committer.current();
      for (const run of runs) {
        if (run.shared) this.appendShared(group, run);
        else this.queueAppend(group, run.deliveries[0]!, run.json ?? this.staging.view(run.start, run.end));
      }
      if (then !== undefined) group.whenSettled(then);
      return group.done;
    } finally {
      if (this.staging.length > STAGING_KEEP_BYTES) this.staging = new FieldWriter(STAGING_INITIAL_BYTES);
    }
  }

  /**
   * Idempotent per delivery id: a retried append of a pending or recently completed delivery is
   * not stored (nor handed out) twice.
   */
  private queueAppend(group: CommitGroup, delivery: Delivery, body: string | Uint8Array): void {
    if (this.pending.has(delivery.id) || this.completedIds.has(delivery.id)) return;
    const entry: PendingEntry = { seq: this.nextSeq++, segment: undefined, offset: -1, completing: false };
    this.pending.set(delivery.id, entry);
    group.append(delivery, body, entry);
  }

  consume(handler: DeliveryHandler): void {
    if (this.handler !== undefined) {
      throw new EmbeddedLogError('log.already-consuming', 'the message log already has a consumer', {
        hint: 'call consume() once; the bus fans deliveries out to mailboxes',
      });
    }
    this.handler = handler;
    if (this.state === 'open') this.flushBacklog();
  }

  complete(records: readonly CompletionRecord[]): Promise<void> {
    try {
      return this.completeInOrder(records);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Queued into the current commit group now (groups are written in order, and a failed write stops
   * the log, so later calls fail too); a refusal throws before anything is queued. `then`, when
   * given, is called as the group settles (decision 2111; message-log.ts).
   */
  completeInOrder(records: readonly CompletionRecord[], then?: InOrderCallback): Promise<void> {
    const committer = this.writable();
    // State is encoded (and refused) before anything is queued: all of the call, or none of it. A
    // handling that read the clock completes with a transaction too (of no writes, if it wrote
    // none): its time rides in it (decision 2178) — where that fits a record; a clock read is
    // never a reason to refuse a completion, so one that would not fit completes without it.
    const encoded = records.map((r) =>
      r.state !== undefined && r.state.length > 0
        ? this.stateCommits.encode(r.receiver, r.state, false, r.id, r.clockAt)
        : r.clockAt !== undefined && this.stateCommits.fitsOneRecord(r.receiver, r.id)
          ? this.stateCommits.encode(r.receiver, undefined, false, r.id, r.clockAt)
          : undefined,
    );
    const group = committer.current();
    for (let i = 0; i < records.length; i++) {
      const state = encoded[i];
      const id = records[i]!.id;
      if (state === undefined) this.finish(group, RecordType.Completed, id);
      else this.stateCommits.complete(group, id, this.pending.get(id), state);
    }
    if (then !== undefined) group.whenSettled(then);
    return group.done;
  }

  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    this.writable();
    return this.stateCommits.view.read(agent);
  }

  commitRefusal(agent: string, writes: readonly StateWrite[], completes?: string, clockAt?: number): Error | undefined {
    return this.stateCommits.refusal(agent, writes, completes, clockAt);
  }

  commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    return this.stateCommits.commit(() => this.writable(), agent, writes, false);
  }

  clearState(agent: string): Promise<void> {
    return this.stateCommits.commit(() => this.writable(), agent, [], true);
  }

  deadLetter(letter: DeadLetter): Promise<void> {
    const work = this.deadLetterDurably(letter);
    this.deadLettering.add(work);
    const forget = (): void => void this.deadLettering.delete(work);
    work.then(forget, forget);
    return work;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    this.writable();
    return this.deadLetterFile!.read<DeadLetter>(limit);
  }

  async markDeadLetters(marks: readonly DeadLetterMark[]): Promise<void> {
    this.writable();
    const encoded = marks.map((mark) => {
      const json = JSON.stringify(mark);
      this.checkRecordSize(json, mark.id);
      return { mark, json };
    });
    // Every mark of the call is queued in one commit group, so they become durable together.
    await Promise.all(encoded.map(({ mark, json }) => this.deadLetterMarksFile!.append(mark.id, json)));
    for (const { mark } of encoded) this.marks.set(mark.id, mark);
  }

  async deadLetterMarks(): Promise<ReadonlyMap<string, DeadLetterMark>> {
    this.writable();
    return new Map(this.marks);
  }

  /**
   * True if `id` was completed or dead-lettered recently: the last `dedupWindow` such ids that
   * became durable in this process, plus those whose records were still on disk at open().
   */
  hasCompleted(id: string): boolean {
    return this.completedIds.has(id);
  }

  stats(): EmbeddedLogStats {
    return {
      segments: this.segments.length,
      bytes: this.segments.reduce((sum, segment) => sum + segment.size, 0),
      activeSegment: this.writer?.active.no ?? 0,
      pending: this.pending.size,
      completedIdsRemembered: this.completedIds.size,
      deadLetters: this.deadLetterFile?.count ?? 0,
      commitGroups: this.committer?.stats.groups ?? 0,
      fsyncs: this.committer?.stats.fsyncs ?? 0,
      ...this.retention.stats,
      movedDeliveries: this.movedDeliveries,
      recovery: this.recoveryReport,
      state: { ...this.stateCommits.view.stats(), snapshots: this.stateCommits.snapshots },
    };
  }

  /** Accepted messages, newest first from `query.before` (the web console's history; history-reader.ts). */
  history(query: HistoryQuery): Promise<HistoryPage> {
    this.writable();
    return readSegmentHistory(
      this.segments.map((s) => ({ no: s.no, path: s.path, size: s.size })),
      query,
    );
  }

  sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  /**
   * How far back a replay of this log reaches: to the creation of the oldest segment holding a
   * record (replay reads the handlings committed from the oldest segment on; embedded-history.ts),
   * from what is in memory — O(segments), no file read.
   */
  replayReach(): ReplayReach {
    const oldest = this.segments.find((s) => s.size > FILE_HEADER_BYTES);
    return {
      source: 'embedded',
      // Whole ms: a file time has a fraction, and the status carries it as an integer.
      ...(oldest?.openedAt !== undefined ? { oldestRecordAt: Math.floor(oldest.openedAt) } : {}),
      segments: this.segments.length,
      heldBytes: this.sizeBytes(),
      historySeconds: Math.floor(this.options.historyMs / 1000),
      historyBytes: this.options.historyBytes,
      ...(this.agentHistory === undefined ? {} : { agents: this.agentHistory.reach() }),
    };
  }

  stoppedBy(): Error | undefined {
    return this.state === 'failed' ? (this.failure ?? notOpenError()) : undefined;
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (this.state === 'new' || this.state === 'opening') {
      this.state = 'closed';
      return;
    }
    const wasFailed = this.state === 'failed';
    this.state = 'closing';
    await Promise.allSettled([...this.deadLettering]);
    await this.retention.idle();
    let drainError: unknown;
    if (!wasFailed) await this.committer?.drain().catch((error: unknown) => (drainError = error));
    await this.releaseResources();
    this.state = 'closed';
    if (drainError !== undefined) throw drainError;
  }

  // ---- internals ----

  private readonly warn = (warning: EmbeddedLogError): void => {
    // A faulty listener is removed by the emitter: it cannot break recovery or the write path.
    if (this.events.wants('warning')) this.events.emit({ type: 'warning', warning });
    else console.warn(`[caxton log] ${warning.code}: ${warning.describe()}`);
  };

  private writable(): GroupCommitter<CommitGroup> {
    if (this.state === 'open') return this.committer!;
    if (this.state === 'failed') throw this.failure ?? notOpenError();
    if (this.state === 'closing' || this.state === 'closed') throw closedError();
    throw notOpenError();
  }

  /**
   * Splits an append into runs: consecutive deliveries of one message (the same message object,
   * message id and acceptance time: what the bus appends for a multi-receiver send) become one
   * shared run whose message is encoded once; any other delivery is a run of its own, encoded whole
   * as before (decision 1202).
   */
  private encodeRuns(deliveries: readonly Delivery[]): EncodedRun[] {
    const runs: EncodedRun[] = [];
    let i = 0;
    while (i < deliveries.length) {
      const first = deliveries[i]!;
      checkDeliveryId(first);
      let j = i + 1;
      while (j < deliveries.length && sharesMessage(first, deliveries[j]!)) checkDeliveryId(deliveries[j++]!);
      if (j - i > 1) runs.push(this.encodeShared(deliveries.slice(i, j)));
      else {
        const start = this.staging.length;
        const json = this.encodeDelivery(first);
        runs.push({ shared: false, deliveries: [first], json, bodyBytes: 0, start, end: this.staging.length });
      }
      i = j;
    }
    return runs;
  }

  /**
   * One delivery's Appended body: binary, written at the staging writer's end (returns undefined),
   * or its JSON when it is not exactly the typed shape (delivery-body.ts). Size-checked either way.
   */
  private encodeDelivery(delivery: Delivery): string | undefined {
    const id = delivery.id;
    const start = this.staging.length;
    if (writeBinaryBody(this.staging, delivery)) {
      this.checkBodySize(this.staging.length - start, id);
      return undefined;
    }
    let json: string;
    try {
      json = JSON.stringify(delivery);
    } catch (error) {
      throw invalidDelivery(`delivery cannot be serialised: ${(error as Error).message}`, id);
    }
    this.checkRecordSize(json, id);
    return json;
  }

  /** The message once; each delivery then costs only its id, receiver and sequence number. */
  private encodeShared(deliveries: Delivery[]): EncodedRun {
    const first = deliveries[0]!;
    const body: SharedBody = { messageId: first.messageId, acceptedAt: first.acceptedAt, message: first.message };
    let json: string;
    try {
      json = JSON.stringify(body);
    } catch (error) {
      throw invalidDelivery(`delivery cannot be serialised: ${(error as Error).message}`, first.id);
    }
    const bodyBytes = Buffer.byteLength(json, 'utf8');
    // Checked now, so splitting the run into frames while queueing can never fail half-way.
    const limit = this.options.maxRecordBytes - FRAME_HEADER_BYTES - SHARED_COUNT_BYTES - bodyBytes;
    for (const delivery of deliveries) {
      const receiver = delivery.receiver;
      if (receiver.length * 3 > MAX_RECEIVER_BYTES && Buffer.byteLength(receiver) > MAX_RECEIVER_BYTES)
        throw invalidDelivery(`receiver name longer than ${MAX_RECEIVER_BYTES} bytes`, delivery.id);
      if (sharedEntryBytes(delivery.id, receiver) > limit)
        throw invalidDelivery(`record larger than maxRecordBytes (${this.options.maxRecordBytes})`, delivery.id);
    }
    return { shared: true, deliveries, json, bodyBytes, start: 0, end: 0 };
  }

  /**
   * Queue a shared run's new deliveries (ids already pending or completed are skipped, as for single
   * appends) in as few AppendedShared frames as maxRecordBytes allows: one, unless the receivers'
   * entries alone outgrow a record.
   */
  private appendShared(group: CommitGroup, run: EncodedRun): void {
    const limit = this.options.maxRecordBytes - FRAME_HEADER_BYTES;
    let fresh: Delivery[] = [];
    let entries: SharedEntry[] = [];
    let pendingEntries: PendingEntry[] = [];
    let bytes = SHARED_COUNT_BYTES + run.bodyBytes;
    const flush = (): void => {
      if (fresh.length === 0) return;
      group.appendShared(fresh, entries, pendingEntries, run.json!, bytes); // a shared run's body is always JSON
      fresh = [];
      entries = [];
      pendingEntries = [];
      bytes = SHARED_COUNT_BYTES + run.bodyBytes;
    };
    for (const delivery of run.deliveries) {
      if (this.pending.has(delivery.id) || this.completedIds.has(delivery.id)) continue;
      const size = sharedEntryBytes(delivery.id, delivery.receiver);
      if (bytes + size > limit) flush();
      const entry: PendingEntry = { seq: this.nextSeq++, segment: undefined, offset: -1, completing: false };
      this.pending.set(delivery.id, entry);
      fresh.push(delivery);
      entries.push({ seq: entry.seq, id: delivery.id, receiver: delivery.receiver });
      pendingEntries.push(entry);
      bytes += size;
    }
    flush();
  }

  private checkBodySize(bodyBytes: number, id: string): void {
    const limit = this.options.maxRecordBytes - KEYED_PREFIX_BYTES - FRAME_HEADER_BYTES;
    if (bodyBytes + id.length * 3 > limit && bodyBytes + Buffer.byteLength(id) > limit) {
      throw invalidDelivery(`record larger than maxRecordBytes (${this.options.maxRecordBytes})`, id);
    }
  }

  private checkRecordSize(json: string, id: string): void {
    const limit = this.options.maxRecordBytes - KEYED_PREFIX_BYTES - FRAME_HEADER_BYTES;
    if ((json.length + id.length) * 3 > limit && Buffer.byteLength(json) + Buffer.byteLength(id) > limit) {
      throw invalidDelivery(`record larger than maxRecordBytes (${this.options.maxRecordBytes})`, id);
    }
  }

  /** Queue a Completed/DeadLettered record unless the delivery is unknown or already finishing. */
  private finish(group: CommitGroup, type: RecordType.Completed | RecordType.DeadLettered, id: string): void {
    const entry = this.pending.get(id);
    if (entry === undefined || entry.completing) return;
    entry.completing = true;
    group.finish(type, id, entry);
  }

  private async deadLetterDurably(letter: DeadLetter): Promise<void> {
    this.writable();
    const id: unknown = letter?.delivery?.id;
    if (typeof id !== 'string' || id.length === 0)
      throw invalidDelivery('a dead letter needs a delivery with a non-empty string id', undefined);
    let json: string;
    try {
      json = JSON.stringify(letter);
    } catch (error) {
      throw invalidDelivery(`dead letter cannot be serialised: ${(error as Error).message}`, id);
    }
    this.checkRecordSize(json, id);
    // The letter is durable in its own file before the segment says "dead-lettered" (see dead-letter-file.ts).
    await this.deadLetterFile!.append(id, json);
    const group = this.writable().current();
    this.finish(group, RecordType.DeadLettered, id);
    await group.done;
  }

  /** Deliveries whose dead letter was written but whose segment record was lost in a crash. */
  private async reconcileDeadLetters(ids: string[]): Promise<void> {
    const group = this.committer!.current();
    for (const id of ids) this.finish(group, RecordType.DeadLettered, id);
    await group.done;
    this.warn(
      new EmbeddedLogError(
        'log.dead-letter-reconciled',
        `${ids.length} dead-lettered deliveries were still pending after a crash; marked dead-lettered now`,
        {
          context: { count: ids.length, first: ids[0] },
          hint: 'expected after a crash between writing a dead letter and marking its delivery; nothing is lost',
        },
      ),
    );
  }

  private dispatch(batch: Delivery[]): void {
    if (this.handler === undefined || this.backlog.length > 0) {
      this.backlog.push(batch);
      return;
    }
    this.deliver(batch);
  }

  private flushBacklog(): void {
    if (this.handler === undefined) return;
    const backlog = this.backlog;
    this.backlog = [];
    for (const batch of backlog) this.deliver(batch);
  }

  private deliver(batch: Delivery[]): void {
    try {
      this.handler!(batch);
    } catch (error) {
      this.warn(
        new EmbeddedLogError(
          'log.handler-threw',
          `the consumer threw while taking ${batch.length} deliveries: ${(error as Error)?.message ?? String(error)}`,
          {
            context: { count: batch.length, first: batch[0]?.id },
            cause: error,
            hint: 'the deliveries stay pending in the log and are handed out again after a restart; fix the consumer',
          },
        ),
      );
    }
  }

  /** The segment writer plus the state changes a durable group implies. */
  private readonly commitTarget: CommitTarget<CommitGroup> = {
    write: (group) => this.writer!.write(group),
    sync: () => this.writer!.sync(),
    applied: (group) => this.applyGroup(group),
    durable: () => this.retention.run(),
    failed: (error) => {
      this.failure = failedError(error, this.options.dir);
      this.state = this.state === 'open' ? 'failed' : this.state;
      return this.failure;
    },
  };

  private applyGroup(group: CommitGroup): void {
    const segment = group.segment;
    const { ops, ids, entries, offsets } = group;
    for (let i = 0; i < ops.length; i++) {
      const entry = entries[i];
      switch (ops[i]) {
        case Op.Append:
          entry!.segment = segment;
          entry!.offset = group.base + offsets[i]!;
          segment!.live++;
          segment!.appended++;
          break;
        case Op.Move:
          entry!.segment!.live--;
          entry!.segment = segment;
          entry!.offset = group.base + offsets[i]!;
          segment!.live++;
          segment!.appended++;
          this.movedDeliveries++;
          break;
        case Op.Finish: {
          const id = ids[i]!;
          if (entry !== undefined && this.pending.get(id) === entry) {
            entry.segment!.live--;
            this.pending.delete(id);
          }
          this.completedIds.add(id);
          break;
        }
      }
    }
    if (group.stateTransactions.length > 0) this.stateCommits.placed(group);
    if (group.handOut.length > 0) this.dispatch(group.handOut);
  }

  private async releaseResources(): Promise<void> {
    this.committer?.stop();
    await this.writer?.close().catch(() => {});
    await this.deadLetterFile?.close().catch(() => {});
    await this.deadLetterMarksFile?.close().catch(() => {});
    await this.lock?.release().catch(() => {});
    this.writer = undefined;
    this.deadLetterFile = undefined;
    this.deadLetterMarksFile = undefined;
    this.marks.clear();
    this.lock = undefined;
  }
}

/** A run of deliveries encoded for append: one delivery whole, or several sharing one message. */
interface EncodedRun {
  shared: boolean;
  deliveries: Delivery[];
  /** The shared body's JSON, or a single delivery's JSON; undefined: its binary body is staged. */
  json: string | undefined;
  /** UTF-8 size of a shared body (0 for single deliveries). */
  bodyBytes: number;
  /** Where a single delivery's binary body lies in the staging writer. */
  start: number;
  end: number;
}

/** The staging writer's first size, and the size past which it is not kept for the next append. */
const STAGING_INITIAL_BYTES = 16 * 1024;
const STAGING_KEEP_BYTES = 1024 * 1024;

function checkDeliveryId(delivery: Delivery): void {
  const id: unknown = delivery?.id;
  if (typeof id !== 'string' || id.length === 0) throw invalidDelivery('a delivery needs a non-empty string id', undefined);
  if (id.length * 3 > MAX_ID_BYTES && Buffer.byteLength(id) > MAX_ID_BYTES)
    throw invalidDelivery(`delivery id longer than ${MAX_ID_BYTES} bytes`, id.slice(0, 64));
}

/** Can `next` share `first`'s stored message? Only the bus's own multi-receiver appends do. */
function sharesMessage(first: Delivery, next: Delivery): boolean {
  return (
    next !== null &&
    typeof next === 'object' &&
    typeof first.message === 'object' &&
    first.message !== null &&
    next.message === first.message &&
    next.messageId === first.messageId &&
    next.acceptedAt === first.acceptedAt &&
    typeof next.receiver === 'string' &&
    typeof first.receiver === 'string' &&
    typeof first.messageId === 'string' &&
    // The shared body must read back as what was written (JSON turns NaN into null).
    Number.isFinite(first.acceptedAt)
  );
}

function invalidDelivery(message: string, deliveryId: string | undefined): EmbeddedLogError {
  return new EmbeddedLogError('log.invalid-delivery', message, {
    context: { deliveryId },
    hint: 'deliveries need a string id (≤ 65535 UTF-8 bytes) and must be JSON-serialisable within maxRecordBytes',
  });
}

/** The format version in a log file's header (recovery has already checked the header is sound). */
async function headerVersion(file: string): Promise<number> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(FILE_HEADER_BYTES);
    await handle.read(buf, 0, FILE_HEADER_BYTES, 0);
    const decoded = decodeFileHeader(buf);
    return decoded.ok ? decoded.header.version : FORMAT_VERSION;
  } finally {
    await handle.close();
  }
}
