/**
 * Agents' durable state on Kafka (decision 1602): the AgentStateStore half of KafkaMessageLog.
 *
 * - Where: the compacted state topic, an agent's records in the partition of its deliveries, so the
 *   node owning the agent's deliveries owns its state, and the state moves with the partition.
 * - Commit: one produce per agent commit, all its records to one partition in one record batch
 *   (Kafka appends a batch whole or not at all). A delivery's commit also carries the commit
 *   marker (state-records.ts) and is produced BEFORE the offset commit that completes the delivery:
 *   the state record is the commit point. A crash in between redelivers the delivery; the new
 *   owner read the marker while loading the partition and completes it without handling it.
 * - Views: partitions this node owns are held by the StateReader (read to the end at assignment,
 *   then followed). A read of an agent living elsewhere (an operator on this node) holds its
 *   partition just for that read.
 * - Fence (decision 1800): on taking a partition the node first produces an owner claim to it
 *   (acks=-1), and only then loads it, so the load reads up to and including its own claim. Every
 *   record of a handling commit is tagged with the claim of the tenure it was checked in; readers
 *   ignore records tagged with any claim but the partition's latest, so a commit that lands after
 *   another node claimed the partition is void everywhere. Operator writes stay untagged.
 * - Sweep (decision 1800, state-sweep.ts): the owner turns tagged deletes into tombstones and,
 *   once a partition keeps too many claims, re-writes what older claims tagged and retires them.
 */
import { randomBytes } from 'node:crypto';
import type { StateWrite } from '@caxton/core';
import { STATE_CLAIM_READ_POLL_MS } from '@caxton/core';
import type { Message, RecordMetadata } from 'kafkajs';
import type { AgentStateStore, ClaimedCommit } from '../../storage/ports.js';
import type { AppendBatcher } from './append-batcher.js';
import type { StateReader } from './state-reader.js';
import type { PartitionState, PendingWrites } from './partition-state.js';
import { KafkaNotOwnerError, KafkaStateKeyError, KafkaStateNotOwnerError, KafkaStateReadBoundError } from './errors.js';
import {
  MARKER_STATE_KEY,
  ORDER_STATE_KEY,
  encodeClaim,
  encodeEntryTombstone,
  encodeEntry,
  encodeMarker,
  encodeMarkerTombstone,
  withTxHeader,
  type StateMessage,
  type TxHeader,
} from './state-records.js';
import { StateSweeper, type StateSweepDeps } from './state-sweep.js';

const stateTx = (before: readonly number[] | undefined): TxHeader => (before === undefined ? { kind: 'state' } : { kind: 'state', before });
const REWRITE: TxHeader = { kind: 'rewrite' };

/** Earlier ids a marker repeats at most (normally 0: the offset commit follows within milliseconds). */
const MAX_UNCONFIRMED = 64;

/** Offsets the broker gave the last record of each partition in one produce request. */
export type ProducedOffsets = Map<number, number>;

/** Turn a produce response into the last offset per partition (messages must name their partition). */
export function lastOffsets(messages: readonly Message[], meta: readonly RecordMetadata[]): ProducedOffsets {
  const counts = new Map<number, number>();
  for (const m of messages) counts.set(m.partition!, (counts.get(m.partition!) ?? 0) + 1);
  const out: ProducedOffsets = new Map();
  for (const r of meta) {
    const base = Number(r.baseOffset ?? r.offset);
    const n = counts.get(r.partition);
    if (Number.isFinite(base) && n !== undefined) out.set(r.partition, base + n - 1);
  }
  return out;
}

export interface KafkaAgentStateDeps {
  reader: StateReader;
  writer: AppendBatcher<ProducedOffsets>;
  partitionOf: (agent: string) => number;
  /** This node's id, written into its claims (diagnostics: who claimed a partition when). */
  nodeId: string;
  /** A repair (see repair()) could not be produced; it is tried again when the partition is next loaded. */
  repairFailed?: (partition: number, error: unknown) => void;
  /** The sweep of old claims and tagged deletes (state-sweep.ts); absent: no sweep. */
  sweep?: Omit<StateSweepDeps, 'reader' | 'writer' | 'owner' | 'produce'>;
}

/** A claim id: the node, then 128 random bits, so two tenures (even of one node) never share one. */
export function newClaimId(nodeId: string): string {
  return `${nodeId}/${randomBytes(16).toString('base64url')}`;
}

export class KafkaAgentState implements AgentStateStore {
  /** Partitions of the deliveries topic this node owns (the consumer group's last assignment). */
  private owned = new Set<number>();
  /** Their state loads (claim, then hold in the reader), started at assignment; a failed one is forgotten. */
  private readonly loads = new Map<number, Promise<unknown>>();
  /**
   * Per partition: the claim of this node's latest tenure (resolves once the broker has it). Kept
   * after the partition is revoked: a commit checked in that tenure and produced late is tagged with
   * it, and so ignored by every reader once another node claimed the partition.
   */
  private readonly claims = new Map<number, Promise<string>>();
  private repaired = 0;
  /** Per agent: delivery ids committed by state whose offset commit is not confirmed yet. */
  private readonly unconfirmed = new Map<string, string[]>();

  private readonly sweeper: StateSweeper | undefined;

  constructor(private readonly d: KafkaAgentStateDeps) {
    this.sweeper =
      d.sweep &&
      new StateSweeper({
        ...d.sweep,
        reader: d.reader,
        writer: d.writer,
        owner: (partition) => (this.owned.has(partition) ? this.claims.get(partition) : undefined),
        produce: (agent, writes, records, marker, claim) => this.produce(agent, writes, records, REWRITE, marker, claim),
      });
  }

  /** The state reader read a batch of the partition (or its load finished): a sweep may be due. */
  afterRead(partition: number): void {
    this.sweeper?.schedule(partition);
  }

  /** No more sweeps (the log is closing); resolves when a run under way has finished. */
  stop(): Promise<void> {
    return this.sweeper?.stop() ?? Promise.resolve();
  }

  /** The consumer group's assignment changed: hold (load) new partitions, drop revoked ones. */
  setOwned(partitions: readonly number[]): void {
    this.owned = new Set(partitions);
    for (const [p, load] of [...this.loads]) {
      if (this.owned.has(p)) continue;
      this.loads.delete(p);
      // A failed load holds nothing (see load()); a pending or finished one is released.
      void load.then(
        () => this.d.reader.release(p),
        () => {},
      );
    }
    for (const p of this.owned) if (!this.loads.has(p)) this.load(p);
  }

  private load(partition: number): Promise<unknown> {
    // Claim first: the load's high watermark is taken after the claim is acknowledged, so the load
    // includes it and every record of an earlier owner that lands later is ignored (decision 1800).
    const claim = this.claim(partition);
    const load = claim.then(async ({ offset }) => {
      const state = await this.d.reader.hold(partition);
      await this.untilRead(partition, state, offset);
      this.repair(partition); // stale records the load met (an old owner's, read after our claim)
      this.afterRead(partition);
      return state;
    });
    this.loads.set(partition, load);
    // Failed (broker unreachable): forget it, so the next wait starts another.
    load.catch(() => {
      if (this.loads.get(partition) === load) this.loads.delete(partition);
    });
    return load;
  }

  /** Produce a new owner claim to the state partition (acks=-1); resolves with its offset. */
  private claim(partition: number): Promise<{ offset: number | undefined }> {
    const id = newClaimId(this.d.nodeId);
    const { key, value } = encodeClaim(id, this.d.nodeId);
    const produced = this.d.writer.append([{ key, value, partition }]).then((offsets) => ({ offset: offsets.get(partition) }));
    const claim = produced.then(() => id);
    this.claims.set(partition, claim);
    claim.catch(() => {
      // Never acknowledged: commits cannot be tagged with it (the next load claims again).
      if (this.claims.get(partition) === claim) this.claims.delete(partition);
    });
    return produced;
  }

  /**
   * A hold that joined one already under way (an operator's read, or the release of a revoked
   * tenure not done yet) counts as loaded at a high watermark taken before our claim: wait until
   * the reader is past the claim, so nothing is handed out on a view that lacks an earlier owner's
   * last batch. Rare and short (the reader follows held partitions), so a poll is enough.
   */
  private async untilRead(partition: number, state: PartitionState, offset: number | undefined): Promise<void> {
    if (offset === undefined) return;
    while (state.at < offset) {
      if (this.d.reader.holding(partition) !== state || !this.owned.has(partition)) return; // released: nothing to wait for
      await new Promise((r) => setTimeout(r, STATE_CLAIM_READ_POLL_MS));
    }
  }

  /**
   * The claim of this node's current (or last) tenure of the partition, to be captured when a
   * commit's ownership is checked and handed to commitDeliveries; undefined if never claimed here.
   */
  tenure(partition: number): Promise<string> | undefined {
    return this.claims.get(partition);
  }

  /**
   * The owner's repair (decision 1800): keys of the owned, loaded partition whose newest record is
   * an ignored (stale) one are written again from the view, under this node's claim, so the newest
   * record of each is the owner's again and compaction keeps it. A node that is not the partition's
   * current claimant repairs nothing (the list is dropped: the next owner's load finds it again).
   * A failed produce is reported through `repairFailed`; its keys are found again at the next load.
   */
  repair(partition: number): void {
    const state = this.d.reader.loaded(partition);
    if (!state || !this.owned.has(partition) || !state.needsRepair) return;
    const tenure = this.claims.get(partition);
    const stale = state.takeStale();
    if (!tenure) return;
    void tenure
      .then(async (claim) => {
        if (state.claim !== claim) return; // someone claimed since: theirs to repair
        for (const { agent, keys, marker } of stale) {
          // Only what the view holds: a key (or marker) the view lacks is lacking after compaction
          // too (the stale record that survives is ignored), so it needs no record.
          const view = state.view(agent);
          const writes: StateWrite[] = keys.filter((key) => view.has(key)).map((key) => ({ key, value: view.get(key)! }));
          const ids = marker ? state.marker(agent) : [];
          const records = writes.map((w) => encodeEntry(agent, w, claim));
          if (ids.length > 0) records.push(encodeMarker(agent, ids, claim));
          if (records.length === 0) continue;
          this.repaired += records.length;
          await this.produce(agent, writes, records, REWRITE, ids.length > 0 ? ids : undefined, claim);
        }
      })
      .catch((e: unknown) => this.d.repairFailed?.(partition, e));
  }

  /** Records re-written by repair() so far (diagnostics and tests). */
  get repairs(): number {
    return this.repaired;
  }

  /** True once the partition is owned and read to the end it had at assignment. */
  isLoaded(partition: number): boolean {
    return this.owned.has(partition) && this.d.reader.loaded(partition) !== undefined;
  }

  /**
   * Resolves true when the owned partition's state is loaded, false if it is not owned here;
   * rejects when loading failed (the next call starts it again).
   */
  async whenLoaded(partition: number): Promise<boolean> {
    if (!this.owned.has(partition)) return false;
    await (this.loads.get(partition) ?? this.load(partition));
    return this.owned.has(partition);
  }

  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    const p = this.d.partitionOf(agent);
    if (this.owned.has(p) && (await this.whenLoaded(p).catch(() => false))) {
      const view = this.d.reader.loaded(p);
      if (view) return view.view(agent);
    }
    // Not ours: read the partition as it is now.
    const state = await this.d.reader.hold(p);
    try {
      return state.view(agent);
    } finally {
      this.d.reader.release(p);
    }
  }

  /**
   * readState, bounded: the partition read here (not loaded, nor being read by another holder) is
   * read only if it spans at most `maxRecords` records, else refused before any is read. No read
   * stops at the agent's first key: a later tombstone or fenced record can undo it (file comment).
   */
  async readStateWithin(agent: string, maxRecords: number): Promise<ReadonlyMap<string, string>> {
    const p = this.d.partitionOf(agent);
    const local = this.owned.has(p) || this.d.reader.holding(p) !== undefined;
    if (!local) {
      const records = await this.d.reader.records(p);
      if (records > maxRecords) throw new KafkaStateReadBoundError(agent, { partition: p, records, maxRecords });
    }
    return this.readState(agent);
  }

  /**
   * The agent's entries as read from the log, without this node's commits not read yet (decision
   * 2060): a record the reader applied was tagged with the partition's latest claim when read, so
   * it landed before any later claim and counts for every reader, now and after compaction.
   */
  async readCounted(agent: string): Promise<ReadonlyMap<string, string>> {
    const p = this.d.partitionOf(agent);
    if (this.owned.has(p) && (await this.whenLoaded(p).catch(() => false))) {
      const view = this.d.reader.loaded(p);
      if (view) return view.readView(agent);
    }
    const state = await this.d.reader.hold(p);
    try {
      return state.readView(agent);
    } finally {
      this.d.reader.release(p);
    }
  }

  /** The delivery ids the agent's newest commit marker names (for tests and diagnostics). */
  async committedMarker(agent: string): Promise<readonly string[]> {
    const p = this.d.partitionOf(agent);
    const state = await this.d.reader.hold(p);
    try {
      return state.marker(agent);
    } finally {
      this.d.reader.release(p);
    }
  }

  /** `before`: the agent's deliveries completed here by their offset alone since its last state commit (CompletedSince), for replay. */
  async commitState(agent: string, writes: readonly StateWrite[], before?: readonly number[]): Promise<void> {
    if (writes.length === 0) return;
    this.checkKeys(agent, writes);
    await this.produce(
      agent,
      writes,
      writes.map((w) => encodeEntry(agent, w)),
      stateTx(before),
    );
  }

  /**
   * A commit outside a delivery fenced like a delivery's (an instance's timer firing, decision
   * 2060): refused `bus.kafka.not-owner` before anything is produced when the partition is no
   * longer held here (revoked) or was never claimed, and otherwise tagged with this node's claim on
   * the partition, so that if another node claimed it meanwhile (this node a zombie not yet told)
   * every reader ignores the writes (decision 1800) and the new owner fires the timer again.
   * Returns where it landed: whether it counts is known once the reader passed it (`counted`).
   *
   * The claim is the partition's claim now, not one captured earlier: the caller checked the
   * tenure (the work's ownership token) in the same synchronous stretch as this call reads it
   * (the applier's fence check, then its commit, with no await between them), so the two agree.
   */
  async commitClaimed(agent: string, writes: readonly StateWrite[], before?: readonly number[]): Promise<ClaimedCommit> {
    this.checkKeys(agent, writes);
    const partition = this.d.partitionOf(agent);
    const pending = this.claims.get(partition);
    if (!this.owned.has(partition)) throw new KafkaStateNotOwnerError(agent, { partition, reason: 'partition not held here' });
    if (pending === undefined) throw new KafkaStateNotOwnerError(agent, { partition, reason: 'no claim on the partition' });
    const claim = await pending;
    if (writes.length === 0) return { partition, offset: undefined, claim };
    const offset = await this.produce(
      agent,
      writes,
      writes.map((w) => encodeEntry(agent, w, claim)),
      stateTx(before),
      undefined,
      claim,
    );
    return { partition, offset, claim };
  }

  /**
   * Does a claimed commit count for every reader (decision 2060)? Waits until the reader holding
   * the partition has passed the commit's offset (it follows held partitions, a zombie's too: the
   * reader is not in the consumer group), then true if the partition's latest claim there is still
   * the commit's. Claim ids are unique per tenure, so no other claim came before the commit: every
   * reader applies it, now and after compaction. False when another claim is read first (the commit
   * is void, or may be), when the partition is released here (revoked), or not within `withinMs`.
   */
  async counted(commit: ClaimedCommit, withinMs: number): Promise<boolean> {
    if (commit.offset === undefined) return false;
    const state = this.d.reader.holding(commit.partition);
    if (state === undefined) return false;
    const deadline = Date.now() + withinMs;
    while (state.at < commit.offset) {
      if (this.d.reader.holding(commit.partition) !== state || Date.now() >= deadline) return false;
      // Unref'd: a wait pending when the node stops must not keep the process alive to its bound.
      await new Promise((r) => setTimeout(r, STATE_CLAIM_READ_POLL_MS).unref());
    }
    return this.d.reader.holding(commit.partition) === state && state.claim === commit.claim;
  }

  async clearState(agent: string): Promise<void> {
    const view = await this.readState(agent);
    const writes: StateWrite[] = [...view.keys()].map((key) => ({ key, value: null }));
    await this.produce(agent, writes, [...writes.map((w) => encodeEntry(agent, w)), encodeMarkerTombstone(agent)], { kind: 'reset' }, null);
    this.unconfirmed.delete(agent);
  }

  /**
   * Commit the state of deliveries' handlings of one agent (in handling order) with its marker, in
   * one record batch. Resolves when the broker has it (all in-sync replicas): the deliveries count
   * as completed from then on, whatever happens to their offset commit — unless another node claimed
   * the partition first, in which case every reader ignores the batch (decision 1800).
   *
   * `tenure`: the claim captured when the deliveries' ownership was checked (tenure()); by default
   * the partition's claim now. Waits for it to be acknowledged. Throws KafkaNotOwnerError if this
   * node never claimed the partition.
   */
  async commitDeliveries(
    agent: string,
    commits: readonly { id: string; writes: readonly StateWrite[]; clockAt?: number }[],
    tenure?: Promise<string>,
    before?: readonly number[],
  ): Promise<void> {
    const writes = commits.flatMap((c) => c.writes);
    this.checkKeys(agent, writes);
    const partition = this.d.partitionOf(agent);
    const pending = tenure ?? this.claims.get(partition);
    if (pending === undefined)
      throw new KafkaNotOwnerError(
        commits.map((c) => c.id),
        { partition, reason: 'no claim on the partition' },
      );
    const claim = await pending;
    const fresh = commits.map((c) => c.id).reverse();
    const earlier = (this.unconfirmed.get(agent) ?? []).filter((id) => !fresh.includes(id));
    const ids = [...fresh, ...earlier].slice(0, MAX_UNCONFIRMED);
    // The header splits the batch's entries by delivery again, for replay (state-records.ts TX_HEADER).
    const tx: TxHeader = {
      kind: 'deliveries',
      counts: commits.map((c) => c.writes.length),
      clocks: commits.map((c) => c.clockAt ?? -1),
      ...(before === undefined ? {} : { before }),
    };
    await this.produce(
      agent,
      writes,
      [...writes.map((w) => encodeEntry(agent, w, claim)), encodeMarker(agent, ids, claim)],
      tx,
      ids,
      claim,
    );
    // Re-read: another commit of the agent may have been confirmed meanwhile.
    const now = (this.unconfirmed.get(agent) ?? []).filter((id) => !fresh.includes(id));
    this.unconfirmed.set(agent, [...fresh, ...now].slice(0, MAX_UNCONFIRMED));
  }

  /**
   * An order record (state-records.ts ORDER_STATE_KEY): names `before`, the agent's deliveries
   * completed by their offset alone, in the order they ran, when no state commit of the agent came
   * to carry them. Untagged and no marker: it changes no state and no reader's view, so it needs no
   * fence. Not written for a partition no longer held here (the order is then not recorded).
   */
  async commitOrder(agent: string, before: readonly number[]): Promise<void> {
    const partition = this.d.partitionOf(agent);
    if (before.length === 0 || !this.owned.has(partition)) return;
    // Not through produce(): it changes no view, so it needs no pending overlay.
    const [record] = withTxHeader([encodeEntryTombstone(agent, ORDER_STATE_KEY)], { kind: 'state', before });
    await this.d.writer.append([{ key: record!.key, value: record!.value, headers: record!.headers!, partition }]);
  }

  /**
   * Whether the agent's marker list has room left: below its bound, no id has been pushed out of
   * it, so a delivery whose offset commit is deferred (decision 1602) stays named by the marker.
   */
  markerHasRoom(agent: string): boolean {
    return (this.unconfirmed.get(agent)?.length ?? 0) < MAX_UNCONFIRMED;
  }

  /** An offset commit covering every completion of the agent made so far succeeded: its marker need repeat none. */
  allOffsetsCommitted(agent: string): void {
    this.unconfirmed.delete(agent);
  }

  /** The offset commit covering these deliveries succeeded: later markers need not repeat them. */
  offsetsCommitted(agent: string, ids: readonly string[]): void {
    const list = this.unconfirmed.get(agent);
    if (!list) return;
    const rest = list.filter((id) => !ids.includes(id));
    if (rest.length === 0) this.unconfirmed.delete(agent);
    else this.unconfirmed.set(agent, rest);
  }

  private checkKeys(agent: string, writes: readonly StateWrite[]): void {
    const refusal = stateKeyRefusal(agent, writes);
    if (refusal !== undefined) throw refusal;
  }

  /** Produce one agent's records in one batch; resolves with the offset of the last one (if the broker said). */
  private async produce(
    agent: string,
    writes: readonly StateWrite[],
    records: StateMessage[],
    tx: TxHeader,
    marker?: readonly string[] | null,
    claim?: string,
  ): Promise<number | undefined> {
    const partition = this.d.partitionOf(agent);
    const pending: PendingWrites = { agent, writes };
    if (marker !== undefined) pending.marker = marker;
    if (claim !== undefined) pending.claim = claim;
    // Our own commit is visible to the next read at once, before the reader reaches it.
    const view = this.d.reader.holding(partition);
    view?.addPending(pending);
    let offsets: ProducedOffsets;
    try {
      offsets = await this.d.writer.append(
        withTxHeader(records, tx).map((r) =>
          r.headers === undefined
            ? { key: r.key, value: r.value, partition }
            : { key: r.key, value: r.value, headers: r.headers, partition },
        ),
      );
    } catch (e) {
      this.d.reader.holding(partition)?.dropPending(pending);
      throw e;
    }
    const after = this.d.reader.holding(partition);
    const last = offsets.get(partition);
    if (after && last !== undefined) {
      if (after !== view) after.addPending(pending); // held (again) since the produce started
      after.acknowledged(pending, last);
    } else {
      view?.dropPending(pending);
    }
    return last;
  }
}

/** The refusal of a commit writing the key the layout keeps for the commit marker (AgentStateStore.commitRefusal). */
export function stateKeyRefusal(agent: string, writes: readonly StateWrite[]): KafkaStateKeyError | undefined {
  for (const w of writes) if (w.key === MARKER_STATE_KEY) return new KafkaStateKeyError(agent, w.key);
  return undefined;
}
