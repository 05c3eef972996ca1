/**
 * Checks an audit trail, record by record as it streams in, and names the first record that is
 * wrong and why (decision 1402). Each stored record comes with its position (the line of the file,
 * the etcd key), so a record whose bytes no longer parse is still named.
 *
 * The checks, in this order, for the record at position p:
 *   unreadable     its bytes are not a record at all
 *   hash-mismatch  its hash is not the hash of its fields (it was edited)
 *   gap            its index is not p (records were removed, inserted or reordered)
 *   broken-link    its prev is not the previous record's hash (genesis for record 0)
 * A chain cut short at the end passes: nothing in the chain can tell. Operators who need to detect
 * that keep the head (index and hash, which `caxton audit verify` prints) somewhere else.
 */
import { decodeRecord, GENESIS_HASH, recordHash, type AuditRecord, type Sha256Hex } from './record.js';

export type AuditBreak = 'unreadable' | 'hash-mismatch' | 'gap' | 'broken-link';

export interface AuditChainFault {
  /** Position of the first record that is wrong. */
  position: number;
  reason: AuditBreak;
  /** One sentence: what was expected and what was found. */
  detail: string;
}

export interface AuditChainHead {
  index: number;
  hash: string;
}

export interface StoredAuditRecord {
  /** Where the record is stored: its index if nothing was tampered with. */
  position: number;
  /** The stored bytes (canonical JSON). */
  bytes: Uint8Array;
}

export class AuditChainVerifier {
  private previous: AuditChainHead | undefined;
  private expected: number;
  private faultFound: AuditChainFault | undefined;
  private count = 0;

  /**
   * `after`: the record before the first one given, when verifying from the middle of a trail;
   * without it the first record must be record 0 and link to the genesis hash.
   */
  constructor(private readonly sha256: Sha256Hex, after?: AuditChainHead) {
    this.previous = after;
    this.expected = after ? after.index + 1 : 0;
  }

  /** The first fault, once one was found (later records are not checked). */
  get fault(): AuditChainFault | undefined {
    return this.faultFound;
  }

  /** Records checked and found good. */
  get verified(): number {
    return this.count;
  }

  /** The last good record. */
  get head(): AuditChainHead | undefined {
    return this.previous;
  }

  /** Checks the next stored record; returns the fault it revealed, if any. */
  push(stored: StoredAuditRecord): AuditChainFault | undefined {
    if (this.faultFound) return this.faultFound;
    const position = stored.position;
    const fail = (reason: AuditBreak, detail: string): AuditChainFault => (this.faultFound = { position, reason, detail });
    if (position !== this.expected) {
      return fail('gap', `record ${this.expected} is missing: the next stored record is at position ${position}`);
    }
    let record: AuditRecord;
    try {
      record = decodeRecord(stored.bytes);
    } catch (err) {
      return fail('unreadable', `record ${position} cannot be read: ${(err as Error).message}`);
    }
    const computed = recordHash(record, this.sha256);
    if (computed !== record.hash) {
      return fail('hash-mismatch', `record ${position} was altered: it says hash ${record.hash.slice(0, 16)}…, its fields hash to ${computed.slice(0, 16)}…`);
    }
    if (record.index !== position) {
      return fail('gap', `the record at position ${position} says it is record ${record.index}: records were removed, inserted or reordered`);
    }
    const prev = this.previous?.hash ?? GENESIS_HASH;
    if (record.prev !== prev) {
      return fail('broken-link', `record ${position} links to ${record.prev.slice(0, 16)}…, but record ${position - 1} hashes to ${prev.slice(0, 16)}…`);
    }
    this.previous = { index: record.index, hash: record.hash };
    this.expected = position + 1;
    this.count += 1;
    return undefined;
  }
}

/** Verifies a whole trail given in order. */
export function verifyAuditChain(records: Iterable<StoredAuditRecord>, sha256: Sha256Hex, after?: AuditChainHead): {
  fault: AuditChainFault | undefined; verified: number; head: AuditChainHead | undefined;
} {
  const verifier = new AuditChainVerifier(sha256, after);
  for (const stored of records) if (verifier.push(stored)) break;
  return { fault: verifier.fault, verified: verifier.verified, head: verifier.head };
}
