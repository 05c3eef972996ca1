/**
 * Which frames of a segment are one agent's, for its own replay history (decision 2182), pure:
 * frames in, byte ranges out, no I/O (agent-history-store.ts reads and writes the files).
 *
 * An agent's history is what its replay reads (replay/agent-history.ts): its deliveries (Appended,
 * AppendedShared naming it), what it sent (appends whose sender it is), the completions and dead
 * letters of its deliveries (by id: an id is "open" from its append until then, across segments),
 * and its state transactions. "The agent" is a deployment: its replicas (`X#r<k>`) and, for a kind,
 * every key's instance (`counter/<key>`) are kept with it.
 *
 * A segment is read in two steps so that nothing moves until its copy is durable: `frame` records
 * what the segment holds for the agent (a `SegmentFinding`), the store writes the copy, and only
 * then `commit` applies it. A copy that fails leaves the tracker as it was, so the retry copies the
 * same segment from the same state.
 *
 * The tracker follows the agent's state through what it keeps, so that each history file can start
 * with the state as it was there (a reset transaction per instance, `headFrames`): once older files
 * are dropped, a replay of what is left still starts on the right state. An instance's state is
 * known from its first reset transaction on (a retention snapshot, a clearState) unless the tracker
 * saw the agent from its very start; a view larger than MAX_VIEW_UNITS is given up, and each
 * instance is known again from its next reset.
 */
import { replicaOwner, type StateWrite } from '@caxton/core';
import { readDeliveryBody } from './delivery-body.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readIdPayload, readKeyedId } from './payload.js';
import { encodeFrame, type FrameReader, RecordType } from './record-format.js';
import { parseSharedBody, readSharedEntries } from './shared-payload.js';
import {
  StateTransactionReader,
  decodeStateFrame,
  encodeStateTransaction,
  type StateFramePart,
  type StateTransaction,
} from './state-frames.js';

/** The state view's bound, in UTF-16 code units of keys and values (~8 MiB). */
export const MAX_VIEW_UNITS = 4 * 1024 * 1024;
/** Open delivery ids one agent's tracker holds; past it the oldest is forgotten (its completion is then not kept). */
export const MAX_OPEN_IDS = 200_000;

/** The deployment a name belongs to: `echo@p` → `echo`, `X#r2` → `X`, `counter/alice` → `counter`. */
export function deploymentOf(name: string): string {
  const at = name.indexOf('@');
  const local = at < 0 ? name : name.slice(0, at);
  const slash = local.indexOf('/');
  return replicaOwner(slash < 0 ? local : local.slice(0, slash));
}

/**
 * What one frame says, decoded once for every tracker (`frameFacts`): the deployments it concerns.
 */
export type FrameFacts =
  | { kind: 'append'; deliveries: { id: string; deployment: string }[]; sender: string | undefined }
  | { kind: 'settle'; id: string }
  | { kind: 'state'; deployment: string; part: StateFramePart | undefined }
  | { kind: 'other' };

const OTHER: FrameFacts = { kind: 'other' };

/**
 * The facts of the frame `reader` is on. A state frame is decoded only when its agent's deployment
 * is in `tracked` (most are other agents'); a body no writer writes concerns no one.
 */
export function frameFacts(reader: FrameReader, tracked: ReadonlySet<string>): FrameFacts {
  const { buf, payloadStart, payloadEnd } = reader;
  switch (reader.type) {
    case RecordType.Appended: {
      if (!isWellFormedKeyedPayload(buf, payloadStart, payloadEnd)) return OTHER;
      const id = readKeyedId(buf, payloadStart);
      try {
        const d = readDeliveryBody(buf, keyedBodyStart(buf, payloadStart), payloadEnd, id);
        return { kind: 'append', deliveries: [{ id, deployment: deploymentOf(d.receiver) }], sender: senderOf(d.message) };
      } catch {
        return OTHER; // the replay reader skips it too
      }
    }
    case RecordType.AppendedShared: {
      const shared = readSharedEntries(buf, payloadStart, payloadEnd);
      if (shared === undefined) return OTHER;
      let sender: string | undefined;
      try {
        sender = senderOf(parseSharedBody(buf, shared.bodyStart, payloadEnd).message);
      } catch {
        return OTHER;
      }
      return { kind: 'append', deliveries: shared.entries.map((e) => ({ id: e.id, deployment: deploymentOf(e.receiver) })), sender };
    }
    case RecordType.Completed:
    case RecordType.DeadLettered:
      return { kind: 'settle', id: readIdPayload(buf, payloadStart, payloadEnd) };
    case RecordType.State: {
      const agent = stateAgentOf(buf, payloadStart, payloadEnd);
      if (agent === undefined) return OTHER;
      const deployment = deploymentOf(agent);
      if (!tracked.has(deployment)) return { kind: 'state', deployment, part: undefined };
      return { kind: 'state', deployment, part: decodeStateFrame(buf.toString('utf8', payloadStart, payloadEnd)) };
    }
    default:
      return OTHER;
  }
}

function senderOf(message: unknown): string | undefined {
  const name = (message as { sender?: { name?: unknown } } | null)?.sender?.name;
  return typeof name === 'string' ? deploymentOf(name) : undefined;
}

/** What a tracker carries from one segment to the next (agent-history-store.ts persists it). */
export interface TrackedProgress {
  /** Deliveries of the agent appended and not yet completed or dead-lettered, oldest first. */
  open: string[];
  /** Instances whose state is known (every one, when `partial` is false). */
  partial: boolean;
  known?: string[];
}

/** What one segment holds for the agent, not yet applied. */
interface SegmentFinding {
  /** Ranges [start, end) of the segment's buffer kept, in order. */
  ranges: number[];
  /** Delivery ids appended, in order (and as a set), and those settled (completed, dead-lettered). */
  opened: string[];
  openedHere: Set<string>;
  settled: Set<string>;
  transactions: StateTransaction[];
}

export class AgentHistoryTracker {
  private readonly open = new Set<string>();
  /** Each instance's state as the kept frames leave it. */
  private readonly view = new Map<string, Map<string, string>>();
  private viewUnits = 0;
  /** Set: only the instances in `known` are followed (each from its first reset transaction). */
  private partialView: boolean;
  private readonly known = new Set<string>();
  private readonly transactions = new StateTransactionReader();
  private finding: SegmentFinding = emptyFinding();
  /** Open ids forgotten past MAX_OPEN_IDS. */
  forgotten = 0;

  constructor(
    readonly deployment: string,
    progress: TrackedProgress = { open: [], partial: false },
  ) {
    for (const id of progress.open) this.open.add(id);
    this.partialView = progress.partial;
    for (const agent of progress.known ?? []) this.known.add(agent);
  }

  get partial(): boolean {
    return this.partialView;
  }

  /** The state view from here on is not known: each instance is known again from its next reset. */
  losePartialView(): void {
    this.partialView = true;
    this.view.clear();
    this.known.clear();
    this.viewUnits = 0;
  }

  /**
   * The state the kept frames left before the current segment, as frames: one reset transaction per
   * instance whose state is known, payloads of at most `maxPayloadBytes`.
   */
  headFrames(maxPayloadBytes: number): Buffer[] {
    const frames: Buffer[] = [];
    for (const [agent, entries] of this.view) {
      const writes: StateWrite[] = [...entries].map(([key, value]) => ({ key, value }));
      for (const payload of encodeStateTransaction({ agent, reset: true, writes }, maxPayloadBytes))
        frames.push(encodeFrame(RecordType.State, Buffer.from(payload, 'utf8')));
    }
    return frames;
  }

  /** A new segment's frames follow; what the last one found, if not committed, is dropped. */
  startSegment(): void {
    this.finding = emptyFinding();
    this.transactions.interrupt();
  }

  /** The kept ranges of the segment since `startSegment`, [start, end) pairs. */
  keptRanges(): readonly number[] {
    return this.finding.ranges;
  }

  /** The progress as it will be once the segment's finding is committed. */
  progressAfter(): TrackedProgress {
    const { opened, settled } = this.finding;
    const open = [...this.open].filter((id) => !settled.has(id));
    for (const id of opened) if (!settled.has(id)) open.push(id);
    const progress: TrackedProgress = { open: open.slice(-MAX_OPEN_IDS), partial: this.partialView };
    if (this.partialView) progress.known = [...this.knownAfter()];
    return progress;
  }

  /** Apply what the segment held: its open ids, its state transactions. */
  commit(): void {
    const { opened, settled, transactions } = this.finding;
    for (const id of settled) this.open.delete(id);
    for (const id of opened) {
      if (settled.has(id)) continue;
      this.open.delete(id); // a compaction copy of a delivery still open moves to the end
      this.open.add(id);
      if (this.open.size > MAX_OPEN_IDS) {
        this.open.delete(this.open.values().next().value!);
        this.forgotten++;
      }
    }
    for (const tx of transactions) this.apply(tx);
    this.finding = emptyFinding();
  }

  /** Apply only the state transactions found (rebuilding the view from a history file: its open ids were saved apart). */
  commitView(): void {
    for (const tx of this.finding.transactions) this.apply(tx);
    this.finding = emptyFinding();
  }

  /**
   * One checksum-valid frame (the reader positioned on it, `start` its offset, `facts` what it says).
   */
  frame(reader: FrameReader, start: number, facts: FrameFacts): void {
    if (facts.kind !== 'state') this.transactions.interrupt();
    if (!this.concerns(facts)) return;
    const ranges = this.finding.ranges;
    const last = ranges.length - 1;
    // Adjacent frames are one range: fewer buffers to write.
    if (last > 0 && ranges[last] === start) ranges[last] = reader.next;
    else ranges.push(start, reader.next);
  }

  /** Whether the frame is the agent's; records what it opens, settles or commits. */
  private concerns(facts: FrameFacts): boolean {
    const f = this.finding;
    switch (facts.kind) {
      case 'append': {
        let mine = facts.sender === this.deployment;
        for (const d of facts.deliveries) {
          if (d.deployment !== this.deployment) continue;
          mine = true;
          f.opened.push(d.id);
          f.openedHere.add(d.id);
          f.settled.delete(d.id); // a compaction copy after a completion in this segment: open again
        }
        return mine;
      }
      case 'settle': {
        if (!(this.open.has(facts.id) || f.openedHere.has(facts.id)) || f.settled.has(facts.id)) return false;
        f.settled.add(facts.id);
        return true;
      }
      case 'state': {
        if (facts.deployment !== this.deployment || facts.part === undefined || deploymentOf(facts.part.agent) !== this.deployment) {
          this.transactions.interrupt();
          return false;
        }
        const tx = this.transactions.part(facts.part);
        if (tx !== undefined) {
          if (tx.completes !== undefined && (this.open.has(tx.completes) || f.openedHere.has(tx.completes))) f.settled.add(tx.completes);
          f.transactions.push(tx);
        }
        return true;
      }
      default:
        return false;
    }
  }

  private knownAfter(): Set<string> {
    const known = new Set(this.known);
    for (const tx of this.finding.transactions) if (tx.reset) known.add(tx.agent);
    return known;
  }

  private apply(tx: StateTransaction): void {
    if (this.partialView) {
      if (tx.reset) this.known.add(tx.agent);
      else if (!this.known.has(tx.agent)) return;
    }
    let entries = this.view.get(tx.agent);
    if (tx.reset && entries !== undefined) {
      for (const [key, value] of entries) this.viewUnits -= key.length + value.length;
      entries.clear();
    }
    for (const { key, value } of tx.writes) {
      entries ??= this.view.set(tx.agent, new Map()).get(tx.agent)!;
      const old = entries.get(key);
      if (old !== undefined) this.viewUnits -= key.length + old.length;
      if (value === null) entries.delete(key);
      else {
        entries.set(key, value);
        this.viewUnits += key.length + value.length;
      }
    }
    if (entries !== undefined && entries.size === 0) this.view.delete(tx.agent);
    if (this.viewUnits > MAX_VIEW_UNITS) this.losePartialView();
  }
}

function emptyFinding(): SegmentFinding {
  return { ranges: [], opened: [], openedHere: new Set(), settled: new Set(), transactions: [] };
}

const PREFIX = Buffer.from('{"a":"', 'utf8');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The agent a state frame names (state-frames.ts writes `{"a":"<name>"` first), read without
 * parsing the frame: most state frames are other agents'. Undefined when the frame does not start
 * so, or the name is escaped: no deployment's name needs escaping (AGENT_NAME), so neither is kept.
 */
function stateAgentOf(buf: Buffer, payloadStart: number, payloadEnd: number): string | undefined {
  const from = payloadStart + PREFIX.length;
  if (from >= payloadEnd || buf.compare(PREFIX, 0, PREFIX.length, payloadStart, from) !== 0) return undefined;
  for (let i = from; i < payloadEnd; i++) {
    const c = buf[i];
    if (c === BACKSLASH) return undefined;
    if (c === QUOTE) return buf.toString('utf8', from, i);
  }
  return undefined;
}
