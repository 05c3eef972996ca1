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
 */
import type { StateWrite } from '@caxton/core';
import type { Message, RecordMetadata } from 'kafkajs';
import type { AgentStateStore } from '../../storage/ports.js';
import type { AppendBatcher } from './append-batcher.js';
import type { StateReader } from './state-reader.js';
import type { PendingWrites } from './partition-state.js';
import { KafkaStateKeyError } from './errors.js';
import { MARKER_STATE_KEY, encodeEntry, encodeMarker, encodeMarkerTombstone, type StateMessage } from './state-records.js';

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
}

export class KafkaAgentState implements AgentStateStore {
  /** Partitions of the deliveries topic this node owns (the consumer group's last assignment). */
  private owned = new Set<number>();
  /** Their state loads (held in the reader), started at assignment; a failed one is forgotten. */
  private readonly loads = new Map<number, Promise<unknown>>();
  /** Per agent: delivery ids committed by state whose offset commit is not confirmed yet. */
  private readonly unconfirmed = new Map<string, string[]>();

  constructor(private readonly d: KafkaAgentStateDeps) {}

  /** The consumer group's assignment changed: hold (load) new partitions, drop revoked ones. */
  setOwned(partitions: readonly number[]): void {
    this.owned = new Set(partitions);
    for (const [p, load] of [...this.loads]) {
      if (this.owned.has(p)) continue;
      this.loads.delete(p);
      // A failed load holds nothing (see load()); a pending or finished one is released.
      void load.then(() => this.d.reader.release(p), () => {});
    }
    for (const p of this.owned) if (!this.loads.has(p)) this.load(p);
  }

  private load(partition: number): Promise<unknown> {
    const load = this.d.reader.hold(partition);
    this.loads.set(partition, load);
    // Failed (broker unreachable): forget it, so the next wait starts another.
    load.catch(() => {
      if (this.loads.get(partition) === load) this.loads.delete(partition);
    });
    return load;
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

  async commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    this.checkKeys(agent, writes);
    await this.produce(agent, writes, writes.map((w) => encodeEntry(agent, w)));
  }

  async clearState(agent: string): Promise<void> {
    const view = await this.readState(agent);
    const writes: StateWrite[] = [...view.keys()].map((key) => ({ key, value: null }));
    await this.produce(agent, writes, [...writes.map((w) => encodeEntry(agent, w)), encodeMarkerTombstone(agent)], null);
    this.unconfirmed.delete(agent);
  }

  /**
   * Commit the state of deliveries' handlings of one agent (in handling order) with its marker, in
   * one record batch. Resolves when the broker has it (all in-sync replicas): the deliveries count
   * as completed from then on, whatever happens to their offset commit.
   */
  async commitDeliveries(agent: string, commits: readonly { id: string; writes: readonly StateWrite[] }[]): Promise<void> {
    const writes = commits.flatMap((c) => c.writes);
    this.checkKeys(agent, writes);
    const fresh = commits.map((c) => c.id).reverse();
    const earlier = (this.unconfirmed.get(agent) ?? []).filter((id) => !fresh.includes(id));
    const ids = [...fresh, ...earlier].slice(0, MAX_UNCONFIRMED);
    await this.produce(agent, writes, [...writes.map((w) => encodeEntry(agent, w)), encodeMarker(agent, ids)], ids);
    // Re-read: another commit of the agent may have been confirmed meanwhile.
    const now = (this.unconfirmed.get(agent) ?? []).filter((id) => !fresh.includes(id));
    this.unconfirmed.set(agent, [...fresh, ...now].slice(0, MAX_UNCONFIRMED));
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
    for (const w of writes) if (w.key === MARKER_STATE_KEY) throw new KafkaStateKeyError(agent, w.key);
  }

  private async produce(agent: string, writes: readonly StateWrite[], records: StateMessage[], marker?: readonly string[] | null): Promise<void> {
    const partition = this.d.partitionOf(agent);
    const pending: PendingWrites = marker === undefined ? { agent, writes } : { agent, writes, marker };
    // Our own commit is visible to the next read at once, before the reader reaches it.
    const view = this.d.reader.holding(partition);
    view?.addPending(pending);
    let offsets: ProducedOffsets;
    try {
      offsets = await this.d.writer.append(records.map((r) => ({ key: r.key, value: r.value, partition })));
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
  }
}
