/**
 * One agent's recorded events out of the Kafka log's records (replay, issue 57), pure: decoded
 * records in, events out (kafka-history.ts reads the topics). The matching of deliveries, sends and
 * timers is history-matcher.ts's, shared with the embedded log's reader.
 *
 * The Kafka log keeps a handling in three places with no order between them:
 * - the delivery: a record of the deliveries topic keyed by the agent's local name (its partition);
 * - what it sent: records of the deliveries topic under ids derived from the delivery, anywhere;
 * - its commit point: with state writes, one produce to the agent's partition of the compacted
 *   state topic — the entries, then the commit marker naming the deliveries — whose last record
 *   carries the `caxton-tx` header (state-records.ts TX_HEADER: which entries are which delivery's,
 *   and each handling's first clock read); with none, only the consumer group's offset commit.
 *
 * So the reader takes the agent's deliveries and sends first (`delivery`, `message`), learns which
 * deliveries a state commit completes (`markerIds`, a first pass over the state partition), then
 * reads the state partition again (`stateRecord`) and emits the events in its order. A delivery
 * completed with no state writes (the group's committed offsets say it is done: `prepare`) has no
 * record of its own in the state partition: the agent's next state commit names it in its header
 * (the node that completed it kept the order: completed-since.ts), and it is emitted there, in that
 * order; not named (its node's list was full, or a node that predates the header), in delivery
 * order before the first state commit of a later delivery.
 *
 * Fencing as the state's readers do it (partition-state.ts, decision 1800): a record tagged with a
 * claim other than the partition's latest read so far is a stale owner's and is ignored; a sweep's
 * tombstones (the count its header names) delete what is deleted already and are skipped.
 */
import type { AclMessage, Delivery, StateWrite } from '@caxton/core';
import { ORDER_STATE_KEY, type StateRecord, type TxHeader } from '../log/kafka/state-records.js';
import type { RecordedEvent } from './recorded.js';
import { HistoryMatcher, type AgentHistoryCounts, type AgentHistoryLimits } from './history-matcher.js';

export interface KafkaHistoryCounts extends AgentHistoryCounts {
  /** Records ignored as a stale owner's (tagged with a claim that is not the partition's latest). */
  fencedRecords: number;
  /** Offsets missing inside the state partition read: compaction removed records there, so a state before them may lack writes. */
  compactedGaps: number;
  /** Commits of a node that predates the `caxton-tx` header: their writes are given to the newest delivery they complete. */
  unattributedCommits: number;
  /**
   * Handlings that committed only an offset and that no header named (their node's list was lost:
   * it stopped, or the order record is not written yet): placed by their offset, which is not always
   * the order they ran.
   */
  unorderedHandlings: number;
}

/** Skips a sweep's tombstones and stale owners' records, in the order the partition holds them. */
class Fence {
  private claim: string | undefined;
  /** A sweep's tombstones take the offsets up to here (by offset, as partition-state.ts: compaction may have removed some). */
  private sweepTo = -1;
  fenced = 0;

  /** Whether `record`, at `offset`, counts (false: a stale owner's, a sweep's, bookkeeping). */
  admits(record: StateRecord, offset: number): boolean {
    switch (record.kind) {
      case 'claim':
        this.claim = record.claim;
        return false;
      case 'sweep':
        this.sweepTo = offset + record.count;
        return false;
      case 'claim-cleared':
      case 'sweep-cleared':
        return false;
      default:
        // A sweep deletes what is deleted already (its tombstones change no state): skipped.
        if (offset <= this.sweepTo) return false;
        if (record.kind !== 'marker-cleared' && record.claim !== undefined && record.claim !== this.claim) {
          this.fenced++;
          return false;
        }
        return true;
    }
  }
}

export class KafkaAgentHistory extends HistoryMatcher {
  /** The agent's deliveries in delivery (offset) order. */
  private readonly order: { id: string; offset: number }[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly byOffset = new Map<number, string>();
  private readonly deadLetters = new Set<string>();
  private readonly marked = new Set<string>();
  /** Offsets (of the agent's partition) some admitted header names in its `before` list. */
  private readonly named = new Set<number>();
  private readonly markerFence = new Fence();
  private readonly fence = new Fence();
  /** Deliveries done with no state commit, in delivery order, and the next to emit. */
  private queue: { id: string; dead: boolean; offset: number }[] = [];
  private head = 0;
  /** The agent's entries and marker since its last commit's end. */
  private entries: StateWrite[] = [];
  private marker: readonly string[] | undefined;
  private lastStateOffset: number | undefined;
  private extra = { compactedGaps: 0, unattributedCommits: 0, unorderedHandlings: 0 };
  /** The deliveries `prepare` found done with no state commit: those a header may name. */
  private readonly done = new Set<string>();

  constructor(agent: string, out: RecordedEvent[], limits: AgentHistoryLimits = {}) {
    super(agent, out, limits);
  }

  // ---- first: the deliveries topic, the dead letters ----

  /** A delivery record of the agent's partition (any receiver: the agent's are kept), in offset order. */
  delivery(delivery: Delivery, offset: number): void {
    if (delivery.receiver === this.local && !this.isPending(delivery.id)) {
      this.delivered(delivery);
      this.order.push({ id: delivery.id, offset });
      this.offsets.set(delivery.id, offset);
      this.byOffset.set(offset, delivery.id);
      // Those the matcher dropped past its bound go too, so this stays bounded as it is.
      if (this.order.length > 2 * this.limits.maxPendingDeliveries) this.forgetDropped();
    }
    this.message(delivery.messageId, delivery.message);
  }

  private forgetDropped(): void {
    const kept = this.order.filter(({ id }) => this.isPending(id));
    this.order.length = 0;
    this.order.push(...kept);
    this.offsets.clear();
    this.byOffset.clear();
    for (const { id, offset } of kept) {
      this.offsets.set(id, offset);
      this.byOffset.set(offset, id);
    }
  }

  /** A message of any partition: kept if the agent sent it (one copy per message id). */
  message(messageId: string, message: AclMessage): void {
    this.sent(messageId, message, true);
  }

  /** A delivery of the agent was dead-lettered. */
  deadLetter(id: string): void {
    if (this.isPending(id)) this.deadLetters.add(id);
  }

  // ---- then: the state partition, twice ----

  /** First pass: the deliveries a (counted) commit marker of the agent completes, and those a header names. */
  markerIds(offset: number, record: StateRecord, tx: TxHeader | undefined): void {
    if (!this.markerFence.admits(record, offset) || !isOwn(record, this.local)) return;
    // Named by a header: it runs where that header is, whatever its offset (prepare).
    // Only offsets of deliveries held here: bounded as they are, whatever the partition's length.
    if ((tx?.kind === 'deliveries' || tx?.kind === 'state') && tx.before !== undefined)
      for (const o of tx.before) if (this.byOffset.has(o)) this.named.add(o);
    if (record.kind !== 'marker') return;
    const fresh = tx?.kind === 'deliveries' ? record.ids.slice(0, tx.counts.length) : tx === undefined ? record.ids.slice(0, 1) : [];
    for (const id of fresh) if (this.isPending(id)) this.marked.add(id);
  }

  /**
   * Between the passes: which of the agent's deliveries the group's committed offsets say are done
   * (`done(offset)`). Those no marker completes are emitted in delivery order as the state records
   * go by; the others stay pending (counted at the end).
   */
  prepare(done: (offset: number) => boolean): void {
    for (const { id, offset } of this.order) {
      if (!this.isPending(id) || this.marked.has(id)) continue;
      const dead = this.deadLetters.has(id);
      if (dead || done(offset)) {
        if (!dead) this.done.add(id);
        // One a header names runs there (runBefore), not by its offset.
        if (dead || !this.named.has(offset)) this.queue.push({ id, dead, offset });
      }
    }
    this.order.length = 0;
    this.named.clear();
  }

  /** Second pass: one record of the agent's state partition, in offset order. */
  stateRecord(offset: number, record: StateRecord, tx: TxHeader | undefined): void {
    if (this.lastStateOffset !== undefined && offset > this.lastStateOffset + 1) this.extra.compactedGaps++;
    this.lastStateOffset = offset;
    if (!this.fence.admits(record, offset)) return;
    // A clear's marker tombstone (kind 'marker-cleared') only ends its produce: the header says reset.
    if ((record.kind !== 'entry' && record.kind !== 'marker' && record.kind !== 'marker-cleared') || record.agent !== this.local) return;
    // An order record's delete of nothing (state-records.ts ORDER_STATE_KEY) is no write: only its header counts.
    if (record.kind === 'entry' && record.key !== ORDER_STATE_KEY) this.entries.push({ key: record.key, value: record.value });
    else if (record.kind === 'marker') this.marker = record.ids;
    if (tx !== undefined) this.commit(tx, `state@${offset}`);
    else if (record.kind === 'marker') this.legacyCommit(`state@${offset}`);
  }

  /** The end of the read: what is left emitted, and what could not be matched counted. */
  end(): void {
    if (this.entries.length > 0) this.loose(`state@${this.lastStateOffset ?? 0}`);
    this.flushBefore(Number.POSITIVE_INFINITY);
  }

  countedKafka(): KafkaHistoryCounts {
    return { ...this.counted(), fencedRecords: this.fence.fenced, ...this.extra };
  }

  // ---- commits ----

  private commit(tx: TxHeader, position: string): void {
    const entries = this.entries;
    const marker = this.marker;
    this.entries = [];
    this.marker = undefined;
    switch (tx.kind) {
      case 'deliveries': {
        const total = tx.counts.reduce((a, b) => a + b, 0);
        if (marker === undefined || total > entries.length) {
          // Not what this build writes: its writes still make the agent's state.
          this.malformed();
          if (entries.length > 0) this.committed({ writes: entries, reset: false }, position);
          return;
        }
        if (entries.length > total) this.committed({ writes: entries.slice(0, entries.length - total), reset: false }, position);
        this.runBefore(tx.before);
        // The marker names the batch newest first: handling order is the reverse.
        const ids = marker.slice(0, tx.counts.length).reverse();
        let at = entries.length - total;
        for (let i = 0; i < ids.length; i++) {
          const writes = entries.slice(at, at + tx.counts[i]!);
          at += tx.counts[i]!;
          const id = ids[i]!;
          // A delivery retention deleted has no offset here: nothing can be placed before it.
          const offset = this.offsets.get(id);
          if (offset !== undefined) this.flushBefore(offset);
          const clock = tx.clocks[i]!;
          this.committed({ writes, reset: false, completes: id, clockAt: clock >= 0 ? clock : undefined }, position);
        }
        return;
      }
      case 'reset':
        this.committed({ writes: entries, reset: true }, position);
        return;
      case 'state':
        this.runBefore(tx.before);
        if (entries.length > 0) this.committed({ writes: entries, reset: false }, position);
        return;
      case 'rewrite':
        // The owner's repair or sweep writing again what is held: no commit of a handling.
        if (entries.length > 0) this.restated(entries, position);
        return;
    }
  }

  /** A marker without the header (a node that predates it): the writes go to the newest delivery it names. */
  private legacyCommit(position: string): void {
    const entries = this.entries;
    const id = this.marker?.[0];
    this.entries = [];
    this.marker = undefined;
    if (id === undefined) return;
    this.extra.unattributedCommits++;
    const at = this.offsets.get(id);
    if (at !== undefined) this.flushBefore(at);
    this.committed({ writes: entries, reset: false, completes: id }, position);
  }

  /** Entries with no commit after them (a node's commit cut off, damage): their writes still count. */
  private loose(position: string): void {
    const entries = this.entries;
    this.entries = [];
    this.committed({ writes: entries, reset: false }, position);
  }

  /**
   * The deliveries a commit names as completed by their offset alone since the agent's previous
   * state commit, in the order they ran (completed-since.ts): emitted now, before the commit.
   */
  private runBefore(offsets: readonly number[] | undefined): void {
    if (offsets === undefined) return;
    for (const offset of offsets) {
      const id = this.byOffset.get(offset);
      if (id !== undefined && this.done.has(id) && this.isPending(id)) this.completed(id, `deliveries@${offset}`);
    }
  }

  /** Emit the deliveries done without a state commit that were handed out before `offset`. */
  private flushBefore(offset: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.offset < offset) {
      const { id, dead, offset: at } = this.queue[this.head++]!;
      if (!this.isPending(id)) continue; // a header named it, and it ran there
      if (dead) this.deadLettered(id, `deliveries@${at}`);
      else {
        this.extra.unorderedHandlings++;
        this.completed(id, `deliveries@${at}`);
      }
    }
    if (this.head === this.queue.length && this.head > 0) {
      this.queue = [];
      this.head = 0;
    }
  }
}

/** A record of the agent's own (an entry, its marker, its marker's clear), as opposed to bookkeeping or another agent's. */
function isOwn(record: StateRecord, agent: string): boolean {
  return (record.kind === 'entry' || record.kind === 'marker' || record.kind === 'marker-cleared') && record.agent === agent;
}
