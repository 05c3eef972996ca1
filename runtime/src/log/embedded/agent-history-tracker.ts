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
 * The tracker also follows the agent's state through what it keeps, so that each history file can
 * start with the state as it was there (a reset transaction per instance, `headFrames`): once older
 * files are dropped, a replay of what is left still starts on the right state. A view larger than
 * MAX_VIEW_UNITS is given up (`partial`): files written after that start with no state, as the log
 * itself does after retention.
 */
import { replicaOwner, type StateWrite } from '@caxton/core';
import { readDeliveryBody } from './delivery-body.js';
import { isWellFormedKeyedPayload, keyedBodyStart, readIdPayload, readKeyedId } from './payload.js';
import { encodeFrame, type FrameReader, RecordType } from './record-format.js';
import { parseSharedBody, readSharedEntries } from './shared-payload.js';
import { StateTransactionReader, decodeStateFrame, encodeStateTransaction, type StateTransaction } from './state-frames.js';

/** The state view's bound, in UTF-16 code units of keys and values (~64 MiB). */
export const MAX_VIEW_UNITS = 32 * 1024 * 1024;
/** Open delivery ids one agent's tracker holds; past it the oldest is forgotten (its completion is then not kept). */
export const MAX_OPEN_IDS = 200_000;

/** The deployment a name belongs to: `echo@p` → `echo`, `X#r2` → `X`, `counter/alice` → `counter`. */
export function deploymentOf(name: string): string {
  const at = name.indexOf('@');
  const local = at < 0 ? name : name.slice(0, at);
  const slash = local.indexOf('/');
  return replicaOwner(slash < 0 ? local : local.slice(0, slash));
}

/** What a tracker carries from one segment to the next (agent-history-store.ts persists it). */
export interface TrackedProgress {
  /** Deliveries of the agent appended and not yet completed or dead-lettered, oldest first. */
  open: string[];
  /** The state view was given up (too large, or not rebuilt): files start with no state. */
  partial: boolean;
}

export class AgentHistoryTracker {
  private readonly open = new Set<string>();
  /** Each instance's state as the kept frames leave it. */
  private readonly view = new Map<string, Map<string, string>>();
  private viewUnits = 0;
  private partialView: boolean;
  private readonly transactions = new StateTransactionReader();
  /** Ranges [start, end) of the current segment's buffer kept, in order. */
  private ranges: number[] = [];
  /** Open ids forgotten past MAX_OPEN_IDS. */
  forgotten = 0;

  constructor(
    readonly deployment: string,
    progress: TrackedProgress = { open: [], partial: false },
  ) {
    for (const id of progress.open) this.open.add(id);
    this.partialView = progress.partial;
  }

  progress(): TrackedProgress {
    return { open: [...this.open], partial: this.partialView };
  }

  get partial(): boolean {
    return this.partialView;
  }

  /** Give the view up (its file is gone, or it grew too large). */
  losePartialView(): void {
    this.partialView = true;
    this.view.clear();
    this.viewUnits = 0;
  }

  /**
   * The state the kept frames leave, as frames: one reset transaction per instance holding state,
   * payloads of at most `maxPayloadBytes`. None while the view is partial.
   */
  headFrames(maxPayloadBytes: number): Buffer[] {
    if (this.partialView) return [];
    const frames: Buffer[] = [];
    for (const [agent, entries] of this.view) {
      const writes: StateWrite[] = [...entries].map(([key, value]) => ({ key, value }));
      for (const payload of encodeStateTransaction({ agent, reset: true, writes }, maxPayloadBytes))
        frames.push(encodeFrame(RecordType.State, Buffer.from(payload, 'utf8')));
    }
    return frames;
  }

  /** A new segment's frames follow. */
  startSegment(): void {
    this.ranges = [];
    this.transactions.interrupt();
  }

  /** The kept ranges of the segment since `startSegment`, [start, end) pairs. */
  keptRanges(): readonly number[] {
    return this.ranges;
  }

  /**
   * One checksum-valid frame (the reader positioned on it, `start` its offset). `viewOnly`: only
   * the state view follows (rebuilding it from a history file, whose open ids were saved apart).
   */
  frame(reader: FrameReader, start: number, viewOnly = false): void {
    const { buf, payloadStart, payloadEnd } = reader;
    if (reader.type !== RecordType.State) this.transactions.interrupt();
    let keep = false;
    switch (reader.type) {
      case RecordType.Appended:
        keep = this.appended(buf, payloadStart, payloadEnd, viewOnly);
        break;
      case RecordType.AppendedShared:
        keep = this.appendedShared(buf, payloadStart, payloadEnd, viewOnly);
        break;
      case RecordType.Completed:
      case RecordType.DeadLettered:
        keep = this.settled(readIdPayload(buf, payloadStart, payloadEnd), viewOnly);
        break;
      case RecordType.State:
        keep = this.state(buf, payloadStart, payloadEnd, viewOnly);
        break;
    }
    if (!keep) return;
    const last = this.ranges.length - 1;
    // Adjacent frames are one range: fewer buffers to write.
    if (last > 0 && this.ranges[last] === start) this.ranges[last] = reader.next;
    else this.ranges.push(start, reader.next);
  }

  private mine(name: string | undefined): boolean {
    return name !== undefined && deploymentOf(name) === this.deployment;
  }

  private appended(buf: Buffer, payloadStart: number, payloadEnd: number, viewOnly: boolean): boolean {
    if (!isWellFormedKeyedPayload(buf, payloadStart, payloadEnd)) return false;
    const id = readKeyedId(buf, payloadStart);
    let receiver: string;
    let sender: string | undefined;
    try {
      const delivery = readDeliveryBody(buf, keyedBodyStart(buf, payloadStart), payloadEnd, id);
      receiver = delivery.receiver;
      sender = delivery.message?.sender?.name;
    } catch {
      return false; // a body no writer writes: the replay reader skips it too
    }
    const delivered = this.mine(receiver);
    if (delivered && !viewOnly) this.opened(id);
    return delivered || this.mine(sender);
  }

  private appendedShared(buf: Buffer, payloadStart: number, payloadEnd: number, viewOnly: boolean): boolean {
    const shared = readSharedEntries(buf, payloadStart, payloadEnd);
    if (shared === undefined) return false;
    let keep = false;
    for (const entry of shared.entries) {
      if (!this.mine(entry.receiver)) continue;
      keep = true;
      if (!viewOnly) this.opened(entry.id);
    }
    if (keep) return true;
    try {
      return this.mine((parseSharedBody(buf, shared.bodyStart, payloadEnd).message as { sender?: { name?: string } })?.sender?.name);
    } catch {
      return false;
    }
  }

  private opened(id: string): void {
    this.open.delete(id); // a compaction copy of a delivery still open moves to the end
    this.open.add(id);
    if (this.open.size > MAX_OPEN_IDS) {
      this.open.delete(this.open.values().next().value!);
      this.forgotten++;
    }
  }

  private settled(id: string, viewOnly: boolean): boolean {
    if (viewOnly) return false;
    return this.open.delete(id);
  }

  private state(buf: Buffer, payloadStart: number, payloadEnd: number, viewOnly: boolean): boolean {
    const agent = stateAgentOf(buf, payloadStart, payloadEnd);
    if (agent === undefined || !this.mine(agent)) {
      this.transactions.interrupt();
      return false;
    }
    const part = decodeStateFrame(buf.toString('utf8', payloadStart, payloadEnd));
    if (part === undefined || !this.mine(part.agent)) {
      this.transactions.interrupt();
      return false;
    }
    const tx = this.transactions.part(part);
    if (tx !== undefined) {
      if (tx.completes !== undefined && !viewOnly) this.open.delete(tx.completes);
      this.apply(tx);
    }
    return true;
  }

  private apply(tx: StateTransaction): void {
    if (this.partialView) return;
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
