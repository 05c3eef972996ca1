/**
 * State frames of the embedded log (format version 3, decision 1600), pure: writes in, frame
 * payloads out, and back.
 *
 * One state transaction = the state changes of one commit (a handling's writes with its completion,
 * a `commitState`, a `clearState`, or a compaction snapshot). It is normally ONE frame, so the frame
 * checksum makes it atomic. A transaction larger than a record is split over consecutive frames:
 * every frame but the last says "more follow" (`m`), every frame but the first says "continues the
 * previous one" (`c`). Recovery applies a transaction only when its last frame is read; the frames
 * of one transaction are queued in one synchronous step, so they are contiguous within one commit
 * group (and a group never spans two files).
 *
 * Payload = UTF-8 JSON `{ a: agent, d?: delivery id completed by this transaction (last frame
 * only), t?: what the handling's first wall-clock read returned, ms since epoch (with `d`,
 * decision 2178; a handling that read the clock and wrote nothing completes with a transaction of
 * no writes, so the time is recorded), r?: 1 = reset (clear the agent's entries first; first frame only), m?: 1, c?: 1,
 * w: [[key, value | null], …] }`. JSON because state frames are rare next to appends and
 * completions, and it keeps the format readable with any tool.
 */
import type { StateWrite } from '@caxton/core';
import { parseJson } from '@caxton/core';
import { EmbeddedLogError } from './errors.js';

export interface StateTransaction {
  agent: string;
  /** Clear the agent's entries before applying `writes` (clearState, snapshots). */
  reset: boolean;
  writes: StateWrite[];
  /** The delivery this transaction completes, if it rides with a completion. */
  completes?: string;
  /** With `completes`: the handling's first wall-clock read (decision 2178), if it read the clock. */
  clockAt?: number;
}

/** One decoded state frame. */
export interface StateFramePart {
  agent: string;
  reset: boolean;
  more: boolean;
  continues: boolean;
  completes: string | undefined;
  /** Set only where the frame records one. */
  clockAt?: number;
  writes: StateWrite[];
}

interface Envelope {
  a: string;
  d?: string;
  t?: number;
  r?: 1;
  m?: 1;
  c?: 1;
  w: [string, string | null][];
}

/**
 * Check the shape of an agent's writes (strings; null deletes). The sandbox enforces the key rules
 * and quotas; the log only refuses what it could not store and read back.
 */
export function checkStateWrites(agent: unknown, writes: readonly StateWrite[] | undefined): void {
  if (typeof agent !== 'string' || agent.length === 0) throw invalidState('state needs a non-empty agent name', undefined);
  if (!Array.isArray(writes)) throw invalidState('state writes must be an array of { key, value }', agent);
  for (const write of writes) {
    if (write === null || typeof write !== 'object' || typeof write.key !== 'string' || write.key.length === 0) {
      throw invalidState('every state write needs a non-empty string key', agent);
    }
    if (write.value !== null && typeof write.value !== 'string')
      throw invalidState(`state value of key ${JSON.stringify(write.key.slice(0, 64))} must be a string or null`, agent);
  }
}

/** Last write per key, in first-write order: what a transaction changes (smaller frames, same result). */
export function lastWritePerKey(writes: readonly StateWrite[]): StateWrite[] {
  if (writes.length <= 1) return [...writes];
  const byKey = new Map<string, string | null>();
  for (const { key, value } of writes) {
    byKey.delete(key);
    byKey.set(key, value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/**
 * An upper bound of the UTF-8 bytes of a transaction's one-frame payload, without encoding it: JSON
 * writes a UTF-16 unit as at most 6 bytes (`\u001f`), an entry adds at most 11 fixed characters
 * (`["",null],`) and the envelope at most 64. Within `maxPayloadBytes` it is one frame, never refused.
 */
export function stateTransactionBytesBound(agent: string, writes: readonly StateWrite[], completes: string | undefined): number {
  let units = agent.length + (completes === undefined ? 0 : completes.length);
  for (const w of writes) units += w.key.length + (w.value === null ? 0 : w.value.length);
  return 6 * units + 11 * writes.length + 64;
}

/**
 * Encode a transaction as frame payloads of at most `maxPayloadBytes` each (one payload unless it
 * cannot fit). Throws `log.invalid-state` if a single entry cannot fit a record.
 */
export function encodeStateTransaction(tx: StateTransaction, maxPayloadBytes: number): string[] {
  const entries = tx.writes.map(({ key, value }) => JSON.stringify([key, value]));
  // The usual case, one frame: encoded and measured once.
  const whole = `${header({ a: tx.agent, d: tx.completes, t: tx.clockAt, r: tx.reset ? 1 : undefined }).slice(0, -1)},"w":[${entries.join(',')}]}`;
  if (whole.length * 3 <= maxPayloadBytes || Buffer.byteLength(whole) <= maxPayloadBytes) return [whole];
  const payloads: string[] = [];
  let start = 0;
  // Header size with every flag a frame of this transaction may carry: an upper bound for each.
  const worstHead = header({ a: tx.agent, d: tx.completes, t: tx.clockAt, r: tx.reset ? 1 : undefined, m: 1, c: 1 });
  const headBytes = Buffer.byteLength(worstHead) + 8; // + `,"w":[` and `]}`
  do {
    const first = payloads.length === 0;
    let end = start;
    let bytes = headBytes;
    while (end < entries.length) {
      const size = Buffer.byteLength(entries[end]!) + 1;
      if (bytes + size > maxPayloadBytes) break;
      bytes += size;
      end++;
    }
    if (end === start && start < entries.length) {
      throw invalidState(
        `state entry ${JSON.stringify(tx.writes[start]!.key.slice(0, 64))} does not fit a record (maxRecordBytes)`,
        tx.agent,
      );
    }
    if (bytes > maxPayloadBytes) throw invalidState('state transaction header does not fit a record (maxRecordBytes)', tx.agent);
    const last = end === entries.length;
    const head = header({
      a: tx.agent,
      d: last ? tx.completes : undefined,
      t: last ? tx.clockAt : undefined,
      r: first && tx.reset ? 1 : undefined,
      m: last ? undefined : 1,
      c: first ? undefined : 1,
    });
    payloads.push(`${head.slice(0, -1)},"w":[${entries.slice(start, end).join(',')}]}`);
    start = end;
  } while (start < entries.length);
  return payloads;
}

/** The envelope without its writes (`{…}`; undefined fields are left out by JSON). */
function header(fields: Omit<Envelope, 'w'>): string {
  return JSON.stringify(fields);
}

/** Decode one state frame payload, or undefined if it is not a well-formed one (treated as damage). */
export function decodeStateFrame(text: string): StateFramePart | undefined {
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const envelope = parsed as Partial<Envelope>;
  if (typeof envelope.a !== 'string' || !Array.isArray(envelope.w)) return undefined;
  if (envelope.d !== undefined && typeof envelope.d !== 'string') return undefined;
  const writes: StateWrite[] = [];
  for (const entry of envelope.w) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || (entry[1] !== null && typeof entry[1] !== 'string')) return undefined;
    writes.push({ key: entry[0], value: entry[1] });
  }
  // A time that is not one is left out, not taken as damage: it only informs a replay.
  const part: StateFramePart = {
    agent: envelope.a,
    reset: envelope.r === 1,
    more: envelope.m === 1,
    continues: envelope.c === 1,
    completes: envelope.d,
    writes,
  };
  if (Number.isSafeInteger(envelope.t) && envelope.t! >= 0) part.clockAt = envelope.t!;
  return part;
}

/**
 * Reassembles transactions from decoded frames in file order (recovery). A transaction whose last
 * frame never came (a torn tail cut it off, or damage skipped under `skip`) is dropped whole.
 */
export class StateTransactionReader {
  private open: StateTransaction | undefined;
  /** Transactions dropped because they were incomplete (reported by recovery). */
  dropped = 0;
  /** Inside the remaining parts of a transaction whose head was lost. */
  private headless = false;

  /** A state frame: returns the finished transaction when this was its last frame. */
  part(part: StateFramePart): StateTransaction | undefined {
    if (part.continues) {
      if (this.open === undefined || this.open.agent !== part.agent) {
        // The head of this transaction was lost: drop the rest of it too (counted once).
        if (!this.headless) this.dropped++;
        this.headless = part.more;
        this.open = undefined;
        return undefined;
      }
      this.open.writes.push(...part.writes);
    } else {
      this.interrupt();
      this.headless = false;
      this.open = { agent: part.agent, reset: part.reset, writes: part.writes };
    }
    if (part.more) return undefined;
    const tx = this.open!;
    this.open = undefined;
    if (part.completes !== undefined) tx.completes = part.completes;
    if (part.clockAt !== undefined) tx.clockAt = part.clockAt;
    return tx;
  }

  /** Any other frame, or the end of a file: a transaction still open can never complete. */
  interrupt(): void {
    if (this.open !== undefined) this.dropped++;
    this.open = undefined;
    this.headless = false;
  }
}

/**
 * Whether a transaction changes the agent's state: one of no writes that does not reset (a
 * completion recording only its clock read, decision 2178) does not, so the agent's state does not
 * come to depend on its segment (else an agent's first clock-reading handling would pin that
 * segment against retention for as long as the agent lives).
 */
export function changesState(tx: Pick<StateTransaction, 'reset' | 'writes'>): boolean {
  return tx.reset || tx.writes.length > 0;
}

export function invalidState(message: string, agent: string | undefined): EmbeddedLogError {
  return new EmbeddedLogError('log.invalid-state', message, {
    context: { agent },
    hint: 'state keys are non-empty strings, values strings (null deletes), each entry within maxRecordBytes',
  });
}
