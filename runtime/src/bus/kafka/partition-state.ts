/**
 * The agents' state of one partition of the state topic as this node knows it: the records read
 * from the topic, in offset order, plus the writes this node produced that the reader has not
 * reached yet. Pure (no Kafka calls), so the ordering rules are unit-tested without a broker.
 *
 * Why the overlay: a view must answer at once with this node's own commits (the agent's next
 * handling reads them), while another node (an operator's import on the node that took the API
 * call) may write the same partition. Applying our own writes to the view directly would put them
 * out of offset order with such a write; keeping them aside until the reader passes the offset the
 * broker gave them, and laying them over the read view meanwhile, keeps one order: the topic's.
 *
 * The rebalance fence (decision 1800): the latest owner claim read decides. A record tagged with
 * any other claim was written by a node that no longer owned the partition when it was appended
 * (or by one whose claim a sweep retired): it is ignored — not applied, its marker not reported —
 * by this and every other reader, at any later read from the start. Untagged (operator) records are
 * applied as they come.
 */
import type { StateWrite } from '@caxton/core';
import type { StateRecord } from './state-records.js';

/** Writes this node produced to the partition; `lastOffset` is known once the broker acknowledged. */
export interface PendingWrites {
  agent: string;
  writes: readonly StateWrite[];
  /** The commit marker written with them: its delivery ids, null when cleared, absent when untouched. */
  marker?: readonly string[] | null;
  /** The owner claim the records were tagged with (absent: untagged operator writes). */
  claim?: string;
  lastOffset?: number;
}

/** Stands for an agent's commit marker in the stale list (state keys are strings). */
const STALE_MARKER = Symbol('marker');

export class PartitionState {
  private readonly entries = new Map<string, Map<string, string>>();
  private readonly markers = new Map<string, readonly string[]>();
  private pending: PendingWrites[] = [];
  /** Offset of the last record applied (-1: none yet). */
  private position = -1;
  /** The latest owner claim read (undefined: none yet). */
  private current: string | undefined;
  /** Tagged records ignored so far (diagnostics and tests). */
  private ignoredCount = 0;
  /**
   * Per agent: keys (MARKER for the marker) whose newest record read is an ignored one. Compaction
   * keeps only a key's newest record, so it would drop the value the view holds: the owner re-writes
   * these (kafka-agent-state.ts, repair). A later applied record of the key takes it off the list.
   */
  private readonly stale = new Map<string, Set<string | typeof STALE_MARKER>>();

  /** Apply the record at `offset`; returns the delivery ids a commit marker names (else []). */
  apply(offset: number, record: StateRecord): readonly string[] {
    if (offset <= this.position) return []; // re-read after a reconnect: already applied
    this.position = offset;
    let ids: readonly string[] = [];
    if (record.kind === 'claim') {
      this.current = record.claim;
      // Pending writes under another claim were either read already (before this claim) or will be
      // ignored when read (after it): either way they no longer belong on top of the view.
      this.pending = this.pending.filter((p) => p.claim === undefined || p.claim === record.claim);
    } else if (record.kind === 'claim-cleared') {
      // A sweep retired an old claim; the current one is still the latest claim read.
    } else if (record.kind !== 'marker-cleared' && record.claim !== undefined && record.claim !== this.current) {
      // A stale owner's write (decision 1800). Our own pending writes under that claim are void too.
      this.ignoredCount += 1;
      const stale = record.claim;
      this.pending = this.pending.filter((p) => p.claim !== stale);
      this.markStale(record.agent, record.kind === 'marker' ? STALE_MARKER : record.key, true);
    } else if (record.kind === 'entry') {
      this.markStale(record.agent, record.key, false);
      let view = this.entries.get(record.agent);
      if (record.value !== null) {
        if (!view) this.entries.set(record.agent, (view = new Map()));
        view.set(record.key, record.value);
      } else if (view) {
        view.delete(record.key);
        if (view.size === 0) this.entries.delete(record.agent);
      }
    } else if (record.kind === 'marker') {
      this.markStale(record.agent, STALE_MARKER, false);
      this.markers.set(record.agent, record.ids);
      ids = record.ids;
    } else {
      this.markStale(record.agent, STALE_MARKER, false);
      this.markers.delete(record.agent);
    }
    if (this.pending.length > 0) this.pending = this.pending.filter((p) => p.lastOffset === undefined || p.lastOffset > offset);
    return ids;
  }

  private markStale(agent: string, key: string | typeof STALE_MARKER, stale: boolean): void {
    let keys = this.stale.get(agent);
    if (stale) {
      if (!keys) this.stale.set(agent, (keys = new Set()));
      keys.add(key);
    } else if (keys?.delete(key) && keys.size === 0) {
      this.stale.delete(agent);
    }
  }

  /** True while some key's newest record read is an ignored one (see `stale`). */
  get needsRepair(): boolean {
    return this.stale.size > 0;
  }

  /**
   * The keys to re-write and forget them: per agent, its state keys and whether its marker is one.
   * The caller writes each under the current claim (a later read of those records clears nothing
   * that is still listed, since the list is handed over here).
   */
  takeStale(): { agent: string; keys: string[]; marker: boolean }[] {
    const out = [...this.stale].map(([agent, keys]) => ({
      agent,
      keys: [...keys].filter((k): k is string => k !== STALE_MARKER).sort(),
      marker: keys.has(STALE_MARKER),
    }));
    this.stale.clear();
    return out;
  }

  /** Offset of the last record applied, -1 before the first. */
  get at(): number {
    return this.position;
  }

  /** The latest owner claim read, undefined before the first. */
  get claim(): string | undefined {
    return this.current;
  }

  /** How many tagged records were ignored as stale. */
  get ignored(): number {
    return this.ignoredCount;
  }

  /** Remember our own writes until the reader reaches them (see the file comment). */
  addPending(p: PendingWrites): void {
    // Tagged with a claim that is no longer the latest: the reader will ignore them, so must we.
    if (p.claim !== undefined && p.claim !== this.current) return;
    this.pending.push(p);
  }

  /** The broker stored `p` up to `lastOffset`; already read past it: it is in the view now. */
  acknowledged(p: PendingWrites, lastOffset: number): void {
    p.lastOffset = lastOffset;
    if (lastOffset <= this.position) this.dropPending(p);
  }

  /** The produce failed: the writes never happened. */
  dropPending(p: PendingWrites): void {
    this.pending = this.pending.filter((x) => x !== p);
  }

  /** The agent's committed entries (read view with our not-yet-read writes on top). */
  view(agent: string): Map<string, string> {
    const view = new Map(this.entries.get(agent));
    for (const p of this.pending) {
      if (p.agent !== agent) continue;
      for (const w of p.writes) {
        if (w.value === null) view.delete(w.key);
        else view.set(w.key, w.value);
      }
    }
    return view;
  }

  /** The agent's entries as read from the log (without our writes not read yet): every one counts for every reader. */
  readView(agent: string): Map<string, string> {
    return new Map(this.entries.get(agent));
  }

  /** The delivery ids of the agent's newest commit marker. */
  marker(agent: string): readonly string[] {
    let marker = this.markers.get(agent) ?? [];
    for (const p of this.pending) if (p.agent === agent && p.marker !== undefined) marker = p.marker ?? [];
    return marker;
  }

  /** Agents with entries (read or pending). */
  agents(): string[] {
    return [...new Set([...this.entries.keys(), ...this.pending.map((p) => p.agent)])].sort();
  }
}
