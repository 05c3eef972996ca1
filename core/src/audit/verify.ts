/**
 * Checks an audit trail, record by record as it streams in, and names the first record that is
 * wrong and why (decision 1402). Each stored record comes with its position (the line of the file,
 * the etcd key), so a record whose bytes no longer parse is still named.
 *
 * The checks, in this order, for the record at position p:
 *   unreadable     its bytes are not a record at all
 *   not-canonical  its bytes are not the canonical encoding of what they parse to (a duplicated
 *                  key, reordered keys, added whitespace: bytes the hash does not cover)
 *   hash-mismatch  its hash is not the hash of its fields (it was edited)
 *   segment-missing  positions are absent from storage before p (decision 1790): a segment
 *                  file (or etcd keys) deleted in the middle, or the oldest records gone while the
 *                  signed anchor says retention kept them (or records no retention at all)
 *   gap            its index is not p (records were removed, inserted or reordered)
 *   broken-link    its prev is not the previous record's hash (genesis for record 0)
 *   rewritten      it is an expected head (the signed anchor, a head the operator kept) but its
 *                  hash is not the expected one: the chain was rewritten and re-sealed
 * and at the end (decision 1750):
 *   truncated      the trail ends before an expected head: records were cut off its end
 * A chain cut short at the end passes when nothing is expected of it: nothing in the chain can
 * tell. The signed anchor (anchor.ts) and `--expect-head` are what is expected.
 *
 * Retention (decision 1790): when the anchor says the trail was pruned to start at record `from`,
 * records stored before `from` (a deletion not yet done) are passed over, and record `from` must
 * link to the anchor's `prev` — so expected pruning verifies clean and anything else missing is named.
 */
import type { AuditRetainedFrom } from './anchor.js';
import { isCanonicalJsonOf } from './canonical-json.js';
import { decodeRecord, GENESIS_HASH, recordHash, type AuditRecord, type Sha256Hex } from './record.js';

export type AuditBreak =
  | 'unreadable'
  | 'not-canonical'
  | 'hash-mismatch'
  | 'segment-missing'
  | 'gap'
  | 'broken-link'
  | 'rewritten'
  | 'truncated'
  | 'anchor-invalid';

/** A head the trail must reach and hold: the signed anchor's, or one the operator kept. */
export interface AuditExpectedHead {
  index: number;
  hash: string;
  /** The trail's identity (hash of record 0), when the expectation carries one (an anchor does). */
  trail?: string;
  /** Where the expectation comes from, for messages. */
  source: 'anchor' | 'operator';
}

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
  private passedOver = 0;
  /** Where the trail starts by (signed) retention; 0 when nothing was pruned. */
  private readonly start: number;

  /**
   * `after`: the record before the first one given, when verifying from the middle of a trail;
   * without it the first record must be record 0 and link to the genesis hash — or, given the
   * signed anchor's `retained`, record `retained.from` linking to `retained.prev`.
   */
  constructor(
    private readonly sha256: Sha256Hex,
    after?: AuditChainHead,
    private readonly expectations: readonly AuditExpectedHead[] = [],
    private readonly retained?: AuditRetainedFrom,
  ) {
    if (!after && retained) after = { index: retained.from - 1, hash: retained.prev };
    this.previous = after;
    this.expected = after ? after.index + 1 : 0;
    this.start = this.expected;
  }

  /** Records stored before where retention says the trail starts (pruning not done yet): not checked. */
  get outsideRetention(): number {
    return this.passedOver;
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
    if (this.retained && this.count === 0 && position < this.start) {
      this.passedOver += 1;
      return undefined;
    }
    if (position > this.expected) return fail('segment-missing', this.missing(position));
    if (position !== this.expected) {
      return fail('gap', `record ${this.expected} is missing: the next stored record is at position ${position}`);
    }
    let record: AuditRecord;
    try {
      record = decodeRecord(stored.bytes);
    } catch (err) {
      return fail('unreadable', `record ${position} cannot be read: ${(err as Error).message}`);
    }
    // The hash covers the parsed fields; only canonical bytes make it cover the stored bytes too.
    if (!isCanonicalJsonOf(stored.bytes, record)) {
      return fail(
        'not-canonical',
        `record ${position} is not stored in its canonical encoding (a duplicated or reordered key, or added whitespace): its bytes are not what its hash covers`,
      );
    }
    const computed = recordHash(record, this.sha256);
    if (computed !== record.hash) {
      return fail(
        'hash-mismatch',
        `record ${position} was altered: it says hash ${record.hash.slice(0, 16)}…, its fields hash to ${computed.slice(0, 16)}…`,
      );
    }
    if (record.index !== position) {
      return fail(
        'gap',
        `the record at position ${position} says it is record ${record.index}: records were removed, inserted or reordered`,
      );
    }
    const prev = this.previous?.hash ?? GENESIS_HASH;
    if (this.retained && this.count === 0 && record.prev !== prev) {
      return fail(
        'rewritten',
        `record ${position} links to ${record.prev.slice(0, 16)}…, but the signed anchor says retention kept the trail from record ${position} after a record hashing to ${prev.slice(0, 16)}…: the trail was rewritten from there`,
      );
    }
    if (record.prev !== prev) {
      return fail(
        'broken-link',
        `record ${position} links to ${record.prev.slice(0, 16)}…, but record ${position - 1} hashes to ${prev.slice(0, 16)}…`,
      );
    }
    for (const e of this.expectations) {
      const what = e.source === 'anchor' ? 'the signed anchor' : 'the head given with --expect-head';
      if (e.index === record.index && e.hash !== record.hash) {
        return fail(
          'rewritten',
          `record ${position} hashes to ${record.hash.slice(0, 16)}…, but ${what} says ${e.hash.slice(0, 16)}…: the trail was rewritten and re-sealed up to or past it`,
        );
      }
      if (record.index === 0 && e.trail !== undefined && e.trail !== record.hash) {
        return fail(
          'rewritten',
          `record 0 hashes to ${record.hash.slice(0, 16)}…, but ${what} is of trail ${e.trail.slice(0, 16)}…: the trail was rewritten from its start, or the anchor is another trail's`,
        );
      }
    }
    this.previous = { index: record.index, hash: record.hash };
    this.expected = position + 1;
    this.count += 1;
    return undefined;
  }

  /** What is missing when the next stored record is at `position`, past the one expected. */
  private missing(position: number): string {
    const run = `records ${this.expected}..${position - 1} are missing from storage`;
    if (this.count > 0) return `${run}, between records that are there: a segment of the trail (or its keys) was deleted from the middle`;
    if (this.retained) {
      return `${run}: the signed anchor says retention kept the trail from record ${this.start}, so the oldest kept segment was deleted outside retention`;
    }
    return `${run}: the oldest records were deleted, and the signed anchor records no retention`;
  }

  /**
   * Ends the check once every record was pushed: a trail that ends before an expected head was cut
   * short. Returns the fault, if any (also in `fault`).
   */
  finish(): AuditChainFault | undefined {
    if (this.faultFound) return this.faultFound;
    const reached = this.previous ? this.previous.index : -1;
    for (const e of this.expectations) {
      if (e.index > reached) {
        const what = e.source === 'anchor' ? 'the signed anchor' : 'the head given with --expect-head';
        this.faultFound = {
          position: reached + 1,
          reason: 'truncated',
          detail: `the trail ends at record ${reached}, but ${what} covers records up to ${e.index} (${e.hash.slice(0, 16)}…): ${e.index - reached} records were cut off its end`,
        };
        break;
      }
    }
    return this.faultFound;
  }
}

/** Verifies a whole trail given in order. */
export function verifyAuditChain(
  records: Iterable<StoredAuditRecord>,
  sha256: Sha256Hex,
  after?: AuditChainHead,
  expect: readonly AuditExpectedHead[] = [],
  retained?: AuditRetainedFrom,
): {
  fault: AuditChainFault | undefined;
  verified: number;
  head: AuditChainHead | undefined;
} {
  const verifier = new AuditChainVerifier(sha256, after, expect, retained);
  for (const stored of records) if (verifier.push(stored)) break;
  verifier.finish();
  return { fault: verifier.fault, verified: verifier.verified, head: verifier.head };
}
