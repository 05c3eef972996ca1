/**
 * Reading a trail as changes (decision 1701): each `intent` record joined with the `outcome` record
 * that points at it, so a listing shows one line per change with how it ended. Pure and streaming:
 * records go in in trail order and lines come out in the order their first record was written.
 *
 * An intent waits for its outcome for at most `window` later records; past that (or at the end) it
 * comes out with no outcome — after a crash between the two, "outcome unknown" is the truth. An
 * outcome whose intent is not among the records read (a listing that starts after it, an intent
 * given up on) comes out on its own line.
 */
import { decodeRecord, type AuditCallEntry, type AuditIntentEntry, type AuditOutcomeEntry, type AuditSeal } from './record.js';
import type { StoredAuditRecord } from './verify.js';

export type AuditCallRecord = AuditCallEntry & AuditSeal;
export type AuditIntentRecord = AuditIntentEntry & AuditSeal;
export type AuditOutcomeRecord = AuditOutcomeEntry & AuditSeal;

export type AuditLine =
  | { type: 'call'; record: AuditCallRecord }
  /** `outcome` undefined: none found (the node crashed between the two, or the change is still running). */
  | { type: 'change'; intent: AuditIntentRecord; outcome: AuditOutcomeRecord | undefined }
  | { type: 'outcome'; outcome: AuditOutcomeRecord }
  | { type: 'unreadable'; position: number; reason: string };

interface Slot {
  position: number;
  line: AuditLine;
  ready: boolean;
}

export const DEFAULT_PAIRING_WINDOW = 4096;

export class AuditChangeReader {
  private readonly queue: Slot[] = [];
  private head = 0;
  private readonly waiting = new Map<number, Slot>();
  private last = -1;

  constructor(private readonly window = DEFAULT_PAIRING_WINDOW) {}

  /** Takes the next stored record; returns the lines that are now complete. */
  push(stored: StoredAuditRecord): AuditLine[] {
    this.last = stored.position;
    let record;
    try {
      record = decodeRecord(stored.bytes);
    } catch (err) {
      this.queue.push({
        position: stored.position,
        line: { type: 'unreadable', position: stored.position, reason: (err as Error).message },
        ready: true,
      });
      return this.flush(false);
    }
    if (record.kind === 'intent') {
      const slot: Slot = { position: stored.position, line: { type: 'change', intent: record, outcome: undefined }, ready: false };
      this.queue.push(slot);
      this.waiting.set(record.index, slot);
    } else if (record.kind === 'outcome') {
      const slot = this.waiting.get(record.intent.index);
      if (slot && slot.line.type === 'change' && slot.line.intent.hash === record.intent.hash) {
        slot.line.outcome = record;
        slot.ready = true;
        this.waiting.delete(record.intent.index);
      } else {
        this.queue.push({ position: stored.position, line: { type: 'outcome', outcome: record }, ready: true });
      }
    } else {
      this.queue.push({ position: stored.position, line: { type: 'call', record }, ready: true });
    }
    return this.flush(false);
  }

  /** The lines still held: intents whose outcome never came. */
  end(): AuditLine[] {
    return this.flush(true);
  }

  private flush(all: boolean): AuditLine[] {
    const out: AuditLine[] = [];
    while (this.head < this.queue.length) {
      const slot = this.queue[this.head]!;
      if (!slot.ready && !all && this.last - slot.position < this.window) break;
      if (!slot.ready && slot.line.type === 'change') this.waiting.delete(slot.line.intent.index);
      out.push(slot.line);
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }
}
