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
 */
import type { StateWrite } from '@caxton/core';
import type { StateRecord } from './state-records.js';

/** Writes this node produced to the partition; `lastOffset` is known once the broker acknowledged. */
export interface PendingWrites {
  agent: string;
  writes: readonly StateWrite[];
  /** The commit marker written with them: its delivery ids, null when cleared, absent when untouched. */
  marker?: readonly string[] | null;
  lastOffset?: number;
}

export class PartitionState {
  private readonly entries = new Map<string, Map<string, string>>();
  private readonly markers = new Map<string, readonly string[]>();
  private pending: PendingWrites[] = [];
  /** Offset of the last record applied (-1: none yet). */
  private position = -1;

  /** Apply the record at `offset`; returns the delivery ids a commit marker names (else []). */
  apply(offset: number, record: StateRecord): readonly string[] {
    if (offset <= this.position) return []; // re-read after a reconnect: already applied
    this.position = offset;
    let ids: readonly string[] = [];
    if (record.kind === 'entry') {
      let view = this.entries.get(record.agent);
      if (record.value !== null) {
        if (!view) this.entries.set(record.agent, (view = new Map()));
        view.set(record.key, record.value);
      } else if (view) {
        view.delete(record.key);
        if (view.size === 0) this.entries.delete(record.agent);
      }
    } else if (record.kind === 'marker') {
      this.markers.set(record.agent, record.ids);
      ids = record.ids;
    } else {
      this.markers.delete(record.agent);
    }
    if (this.pending.length > 0) this.pending = this.pending.filter((p) => p.lastOffset === undefined || p.lastOffset > offset);
    return ids;
  }

  /** Offset of the last record applied, -1 before the first. */
  get at(): number {
    return this.position;
  }

  /** Remember our own writes until the reader reaches them (see the file comment). */
  addPending(p: PendingWrites): void {
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
