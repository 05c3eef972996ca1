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
 * applied as they come, except the tombstones of a sweep whose claim was retired by a later claim.
 *
 * The sweep (kafka-agent-state.ts) needs, per key, what its newest record read is (`newest`): a
 * key whose newest record is tagged with an older claim, ignored, or a tagged delete is one an old
 * claim still decides or one a tombstone would retire; sweepPlan() lists them.
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
type KeyOrMarker = string | typeof STALE_MARKER;

/** A key's newest record read when it is not a plain applied untagged one. */
interface Newest {
  /** The claim it was tagged with (undefined: an ignored sweep tombstone). */
  claim: string | undefined;
  applied: boolean;
  deleted: boolean;
}

/** One bounded run of the sweep: what to write under the current claim, computed from the view. */
export interface SweepPlan {
  /** Keys to tombstone behind a sweep header (`marker`: the agent's commit marker). */
  tombstones: { agent: string; key: string | null }[];
  /** Per agent, values (and marker) to re-write under the current claim. */
  rewrites: { agent: string; writes: StateWrite[]; marker?: readonly string[] }[];
  /** Older claims and their sweep headers to tombstone: nothing they tagged decides anything now. */
  retire: { claims: string[]; headers: string[] };
}

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
  /** Claims read and not retired, in offset order. */
  private readonly claimsRead = new Set<string>();
  /** Claims whose sweep header was read and not retired. */
  private readonly headers = new Set<string>();
  /** The last sweep header read: its tombstones take the offsets up to `to`; void if its claim was retired. */
  private sweepRange: { to: number; void: boolean } | undefined;
  /** Per agent, keys whose newest record read is tagged or ignored (see the file comment). */
  private readonly newest = new Map<string, Map<KeyOrMarker, Newest>>();
  /** How many `newest` entries are deletes or ignored: a sweep has tombstones to write. */
  private toTombstone = 0;

  /** Apply the record at `offset`; returns the delivery ids a commit marker names (else []). */
  apply(offset: number, record: StateRecord): readonly string[] {
    if (offset <= this.position) return []; // re-read after a reconnect: already applied
    this.position = offset;
    let ids: readonly string[] = [];
    if (record.kind === 'claim') {
      this.current = record.claim;
      this.claimsRead.add(record.claim);
      // Pending writes under another claim were either read already (before this claim) or will be
      // ignored when read (after it): either way they no longer belong on top of the view.
      this.pending = this.pending.filter((p) => p.claim === undefined || p.claim === record.claim);
    } else if (record.kind === 'claim-cleared') {
      // A sweep retired an old claim: nothing it tagged decides anything any more.
      this.claimsRead.delete(record.claim);
    } else if (record.kind === 'sweep') {
      this.headers.add(record.claim);
      // Void when written under a claim a later claim retired (a node that lost the partition).
      // An unknown claim is one a sweep retired: its header's tombstones were read as valid before.
      this.sweepRange = { to: offset + record.count, void: this.claimsRead.has(record.claim) && record.claim !== this.current };
    } else if (record.kind === 'sweep-cleared') {
      this.headers.delete(record.claim);
    } else if (this.sweepRange !== undefined && offset <= this.sweepRange.to && this.sweepRange.void) {
      // A tombstone of a void sweep deletes nothing; the owner re-writes the key it held (repair).
      this.ignoredCount += 1;
      const key = record.kind === 'entry' ? record.key : STALE_MARKER;
      this.markStale(record.agent, key, true);
      this.note(record.agent, key, { claim: undefined, applied: false, deleted: true });
    } else if (record.kind !== 'marker-cleared' && record.claim !== undefined && record.claim !== this.current) {
      // A stale owner's write (decision 1800). Our own pending writes under that claim are void too.
      this.ignoredCount += 1;
      const stale = record.claim;
      this.pending = this.pending.filter((p) => p.claim !== stale);
      const key = record.kind === 'marker' ? STALE_MARKER : record.key;
      this.markStale(record.agent, key, true);
      this.note(record.agent, key, { claim: stale, applied: false, deleted: record.kind === 'entry' && record.value === null });
    } else if (record.kind === 'entry') {
      this.markStale(record.agent, record.key, false);
      this.note(
        record.agent,
        record.key,
        record.claim === undefined ? undefined : { claim: record.claim, applied: true, deleted: record.value === null },
      );
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
      this.note(
        record.agent,
        STALE_MARKER,
        record.claim === undefined ? undefined : { claim: record.claim, applied: true, deleted: false },
      );
      this.markers.set(record.agent, record.ids);
      ids = record.ids;
    } else {
      this.markStale(record.agent, STALE_MARKER, false);
      this.note(record.agent, STALE_MARKER, undefined);
      this.markers.delete(record.agent);
    }
    if (this.pending.length > 0) this.pending = this.pending.filter((p) => p.lastOffset === undefined || p.lastOffset > offset);
    return ids;
  }

  /**
   * A record at `offset` that failed its record-key check (decision 2185): read past, and nothing in
   * it decides anything — as a stale owner's write is ignored. When it names an agent's key or
   * marker (`record`, decoded from it, may be undefined) that the view holds, that key is marked
   * for repair: the owner re-writes the value the view holds, so compaction keeps that, not the
   * refused record. Nothing else: it is not noted as the key's newest record, so the sweep never
   * tombstones a key for it — a refused record may be a real one signed with a key this node lacks
   * (a rotation's last step done early, keys enabled on a cluster with state, a keyless node), and
   * deleting what it names would lose state that putting the key back restores. A key the view
   * lacks is left as it is (compaction may keep the refused record; every reader refuses it).
   * A forged claim or sweep header is no claim: it voids nothing.
   */
  refused(offset: number, record: StateRecord | undefined): void {
    if (offset <= this.position) return;
    this.position = offset;
    this.ignoredCount += 1;
    if (record?.kind === 'entry' || record?.kind === 'marker' || record?.kind === 'marker-cleared') {
      const held = record.kind === 'entry' ? this.view(record.agent).has(record.key) : this.marker(record.agent).length > 0;
      if (held) this.markStale(record.agent, record.kind === 'entry' ? record.key : STALE_MARKER, true);
    }
    if (this.pending.length > 0) this.pending = this.pending.filter((p) => p.lastOffset === undefined || p.lastOffset > offset);
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

  /** Record what a key's newest record is (undefined: a plain applied untagged one, nothing to sweep). */
  private note(agent: string, key: KeyOrMarker, n: Newest | undefined): void {
    let keys = this.newest.get(agent);
    const before = keys?.get(key);
    if (before !== undefined && (before.deleted || !before.applied)) this.toTombstone -= 1;
    if (n === undefined) {
      if (keys?.delete(key) && keys.size === 0) this.newest.delete(agent);
      return;
    }
    if (!keys) this.newest.set(agent, (keys = new Map()));
    keys.set(key, n);
    if (n.deleted || !n.applied) this.toTombstone += 1;
  }

  /** Claims read and not retired, oldest first (the last one read is `claim`). */
  get claims(): readonly string[] {
    return [...this.claimsRead];
  }

  /** Does a sweep have work: more than `maxClaims` claims kept, or deletes to turn into tombstones? */
  needsSweep(maxClaims: number): boolean {
    return this.current !== undefined && (this.toTombstone > 0 || this.claimsRead.size > maxClaims);
  }

  /**
   * At most `max` records of sweeping, to be written under the current claim: tombstones for keys
   * whose newest record is a delete or ignored (and that the view, our pending writes included,
   * lacks); when more than `maxClaims` claims are kept, re-writes of keys and markers whose newest
   * record is tagged with an older claim — with their values as read, and none of a key or marker
   * one of our commits is still writing (its commit may fail: a re-write must not make it durable;
   * once read, that write is of the current claim anyway); and once no key's newest record is
   * anything but untagged or of the current claim, the older claims and their headers to retire.
   */
  sweepPlan(maxClaims: number, max: number): SweepPlan {
    const plan: SweepPlan = { tombstones: [], rewrites: [], retire: { claims: [], headers: [] } };
    const current = this.current;
    if (current === undefined) return plan;
    const retiring = this.claimsRead.size > maxClaims;
    let records = 1; // a sweep header, if there are tombstones
    let settled = !this.needsRepair;
    for (const [agent, keys] of this.newest) {
      if (records >= max) break;
      const view = this.view(agent);
      const marker = this.marker(agent);
      const read = this.entries.get(agent);
      const readMarker = this.markers.get(agent) ?? [];
      const { keys: inFlight, marker: markerInFlight } = this.pendingOf(agent);
      const writes: StateWrite[] = [];
      let rewriteMarker = false;
      for (const [key, n] of keys) {
        if (n.applied && !n.deleted && n.claim === current) continue;
        settled = false;
        if (records >= max) break;
        const held = key === STALE_MARKER ? marker.length > 0 : view.has(key);
        if (n.deleted || !n.applied) {
          // A delete (or an ignored record) the view agrees with; a key held again (a pending
          // write, a repair to come) is left to that write.
          if (held) continue;
          plan.tombstones.push({ agent, key: key === STALE_MARKER ? null : key });
          records += 1;
        } else if (retiring && held) {
          if (key === STALE_MARKER ? markerInFlight : inFlight.has(key)) continue;
          if (key === STALE_MARKER) {
            if (readMarker.length === 0) continue;
            rewriteMarker = true;
          } else {
            const value = read?.get(key);
            if (value === undefined) continue;
            writes.push({ key, value });
          }
          records += 1;
        }
      }
      if (writes.length > 0 || rewriteMarker) plan.rewrites.push({ agent, writes, ...(rewriteMarker ? { marker: readMarker } : {}) });
    }
    if (retiring && settled) {
      // Nothing else in this plan: every key's newest record is untagged or of the current claim.
      let retired = 0;
      for (const claim of this.claimsRead) if (claim !== current && retired++ < max) plan.retire.claims.push(claim);
      for (const claim of this.headers) if (claim !== current && retired++ < max) plan.retire.headers.push(claim);
    }
    return plan;
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

  /** The keys our commits not read back yet are writing for `agent`, and whether one writes its marker. */
  private pendingOf(agent: string): { keys: Set<string>; marker: boolean } {
    const keys = new Set<string>();
    let marker = false;
    for (const p of this.pending) {
      if (p.agent !== agent) continue;
      for (const w of p.writes) keys.add(w.key);
      if (p.marker !== undefined) marker = true;
    }
    return { keys, marker };
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
