/**
 * Anchoring (decision 1750), the one piece both trail adapters share: a trail wrapped so that after
 * each append is durable the node signs the new head — {trail, index, hash, time, node} — with its
 * audit key and stores it as the ANCHOR, outside the trail (the registry). Appends resolve once the
 * anchor covers them, so every acknowledged record is vouched for by a signed head kept elsewhere:
 * cutting records off the trail's end, or rewriting one and re-sealing the chain, no longer passes.
 * Concurrent appends share anchor writes (the latest head wanted is the one written).
 *
 * At start (`open`) the trail is held against its anchor. A trail that ends before the anchored
 * head, or holds another hash there, refuses to be continued (`audit.truncated`,
 * `audit.anchor-mismatch`) — continuing would hide the loss — unless the operator accepts it
 * explicitly (`--accept-audit-truncation`), which is itself recorded in the trail. A changed audit
 * key (the file was moved aside) is recorded too.
 *
 * Retention (decision 1790): when the trail has segments past retention, the anchor is first
 * re-signed saying where the trail now starts (`retained`: the first kept record and its
 * predecessor's hash), and only then are the segments deleted — so a verifier can tell records
 * pruned by the node from records an attacker deleted. Every later anchor carries it on.
 */
import {
  checkpointPayload,
  decodeRecord,
  decodeSignedCheckpoint,
  encodeSignedCheckpoint,
  keyFingerprint,
  type AuditChainHead,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRecord,
  type AuditRetainedFrom,
  type SignedAuditCheckpoint,
  type Sink,
  type StoredAuditRecord,
  type Unsubscribe,
} from '@caxton/core';
import { sha256Hex, type AuditAnchorInfo, type AuditAppendOptions, type AuditTrail } from './audit-trail.js';
import type { AuditAnchorStore } from './anchor-store.js';
import type { AuditKey } from './audit-key.js';
import { AuditError } from './errors.js';
import { RenewedSet } from '../collections/renewed-tables.js';

export interface AnchoredAuditTrailOptions {
  trail: AuditTrail;
  anchors: AuditAnchorStore;
  key: AuditKey;
  nodeId: string;
  /** Continue a trail that ends before (or differs from) its anchor, recording that it was accepted. */
  acceptTruncation?: boolean;
  /** Told when an anchor could not be written (the record is durable; the anchor lags behind it). */
  report: (err: unknown, what: string) => void;
}

/** What the trail's start found wrong with it against its anchor. */
interface AnchorProblem {
  code: 'audit.truncated' | 'audit.anchor-mismatch';
  message: string;
}

export class AnchoredAuditTrail implements AuditTrail {
  private trailId: string | undefined;
  private wanted: AuditChainHead | undefined;
  private anchoredIndex = -1;
  private writing: Promise<void> | undefined;
  /** Where the trail starts by retention, as the anchor says (undefined: at record 0). */
  private retained: AuditRetainedFrom | undefined;
  private retaining: Promise<void> | undefined;
  /** Anchors of records appended with `anchor: 'later'`, still being written. */
  /** Renewed (decision 2209): one entry in and out per outside request. */
  private readonly behind = new RenewedSet<Promise<void>>();
  /** The first failure of an anchor written behind that `report` did not take (thrown by close). */
  private behindFailure: unknown;
  /** The index the last anchor write was begun for. */
  private lastWriteFor = -1;
  /** Where the trail starts as the last STORED anchor says (`retained` may be ahead of it). */
  private anchoredRetained: AuditRetainedFrom | undefined;

  private constructor(
    private readonly inner: AuditTrail,
    private readonly options: AnchoredAuditTrailOptions,
  ) {}

  static async open(options: AnchoredAuditTrailOptions): Promise<AnchoredAuditTrail> {
    const trail = new AnchoredAuditTrail(options.trail, options);
    await trail.start();
    return trail;
  }

  get location(): string {
    return this.inner.location;
  }

  get failed(): Error | undefined {
    return this.inner.failed;
  }

  private async start(): Promise<void> {
    const { trail, anchors, key, nodeId } = this.options;
    const head = await trail.currentHead();
    if (head) this.trailId = await this.recordHashAt(0);
    const stored = await anchors.readAuditAnchor();
    let anchor: SignedAuditCheckpoint | undefined;
    if (stored !== undefined) {
      try {
        anchor = decodeSignedCheckpoint(stored);
      } catch (err) {
        throw new AuditError(
          'audit.anchor-mismatch',
          `the audit trail's anchor in the registry cannot be read: ${(err as Error).message}`,
          {
            context: { trail: trail.location },
            cause: err,
            hint: 'the registry was damaged or tampered with; keep it as evidence, run `caxton audit verify` on a copy, and start with --accept-audit-truncation to re-anchor the trail as it is (recorded in the trail)',
          },
        );
      }
    }
    this.retained = anchor?.checkpoint.retained;
    this.anchoredRetained = this.retained;
    // Record 0 deleted by retention: the trail's identity is what the anchor signed.
    if (head && this.trailId === undefined && this.retained) this.trailId = anchor!.checkpoint.trail;
    const problem = anchor ? await this.holdAgainst(anchor, head) : undefined;
    if (problem && anchor) {
      if (!this.options.acceptTruncation) {
        throw new AuditError(problem.code, problem.message, {
          context: { trail: trail.location, anchoredIndex: anchor.checkpoint.index, trailEnd: head?.index ?? -1 },
          hint:
            'the node will not continue a trail that lost records silently. Keep a copy of the trail and the registry as evidence; ' +
            'to continue anyway, start once with --accept-audit-truncation: the node records the acceptance (what was anchored, where the trail ends) as an audit record and re-anchors',
        });
      }
      await this.append(acceptance(anchor, stored!, head, problem, nodeId));
    }
    if (anchor && anchor.checkpoint.node === nodeId && anchor.key !== key.publicKey) {
      await this.append(keyChange(anchor.key, key.publicKey, nodeId));
    }
    // A trail written before anchoring existed (or whose last anchor was lost) is anchored now.
    const now = await trail.currentHead();
    if (now && (!anchor || anchor.checkpoint.index < now.index || problem)) await this.anchorUpTo(now, true);
    await this.retain(); // a deletion a crash interrupted
  }

  /** What is wrong with the trail as it is against its anchor, if anything. */
  private async holdAgainst(anchor: SignedAuditCheckpoint, head: AuditChainHead | undefined): Promise<AnchorProblem | undefined> {
    const cp = anchor.checkpoint;
    const end = head?.index ?? -1;
    if (end < cp.index) {
      return {
        code: 'audit.truncated',
        message: `the audit trail ${this.location} ends at record ${end}, but its anchor (signed ${cp.time} by node ${cp.node}) covers records up to ${cp.index}: ${cp.index - end} records were cut off its end`,
      };
    }
    const hash = await this.recordHashAt(cp.index);
    if (hash !== cp.hash || this.trailId !== cp.trail) {
      return {
        code: 'audit.anchor-mismatch',
        message: `record ${cp.index} of the audit trail ${this.location} is not the record its anchor (signed ${cp.time} by node ${cp.node}) vouches for: the trail was rewritten, or replaced by another`,
      };
    }
    return undefined;
  }

  private async recordHashAt(index: number): Promise<string | undefined> {
    const [stored] = await this.inner.read(index, 1);
    if (stored?.position !== index) return undefined; // gone (a read goes on to the next stored record)
    try {
      return decodeRecord(stored.bytes).hash;
    } catch {
      return undefined; // unreadable: not the anchored record (verify names what is wrong with it)
    }
  }

  async append(entry: AuditEntry, options?: AuditAppendOptions): Promise<AuditRecord> {
    const record = await this.inner.append(entry);
    const anchored = this.anchorUpTo({ index: record.index, hash: record.hash }, false).then(() => this.retain());
    if (options?.anchor !== 'later') {
      await anchored;
      return record;
    }
    // A failed anchor or retention is reported, not thrown; close() waits for what is still behind.
    const behind = anchored
      .catch((err: unknown) => {
        this.behindFailure ??= err;
      })
      .finally(() => this.behind.delete(behind));
    this.behind.add(behind);
    return record;
  }

  /**
   * Deletes the segments past retention, if any: first an anchor saying where the trail now starts
   * is stored (a write begun after `retained` was set), then the deletion. A failure is reported
   * and nothing is deleted; the next append tries again. Concurrent callers share one pass.
   */
  private async retain(): Promise<void> {
    const retention = this.inner.retention;
    if (!retention) return;
    this.retaining ??= (async () => {
      const due = await retention.due();
      if (!due) return;
      if (!this.retained || due.from > this.retained.from) this.retained = due;
      // Only once a stored anchor says where the trail now starts: a failed write of it must not
      // be taken, on the next pass, for one that was stored.
      if ((this.anchoredRetained?.from ?? -1) < due.from) {
        const head = await this.inner.currentHead();
        if (head && (!this.wanted || head.index > this.wanted.index)) this.wanted = head;
        while (this.writing) await this.writing.catch(() => undefined);
        this.writing = this.writeWanted().finally(() => {
          this.writing = undefined;
        });
        await this.writing;
      }
      await retention.prune(due.from);
    })()
      .catch((err: unknown) => this.options.report(err, 'deleting audit segments past retention'))
      .finally(() => {
        this.retaining = undefined;
      });
    await this.retaining;
  }

  /**
   * Resolves once an anchor at `head` or later is stored. A failed write is reported, not thrown,
   * unless `strict`: the record is durable, and refusing the call would misstate what happened.
   */
  private async anchorUpTo(head: AuditChainHead, strict: boolean): Promise<void> {
    if (!this.wanted || head.index > this.wanted.index) this.wanted = head;
    for (let failed = 0; this.anchoredIndex < head.index; ) {
      this.writing ??= this.writeWanted().finally(() => {
        this.writing = undefined;
      });
      try {
        await this.writing;
      } catch (err) {
        // The write awaited may have been begun for an earlier head (another append's): one more,
        // for this head, before it counts as this record's failure.
        if (++failed < 2 && this.lastWriteFor < head.index) continue;
        if (strict) throw err;
        this.options.report(err, `anchoring the audit trail at record ${head.index}`);
        return;
      }
    }
  }

  /** Resolves once an anchor covering `head` is stored (a failed write is reported, as for an append). */
  anchorCovering(head: AuditChainHead): Promise<void> {
    return this.anchorUpTo(head, false);
  }

  private async writeWanted(): Promise<void> {
    const head = this.wanted!;
    this.lastWriteFor = head.index;
    if (this.trailId === undefined) this.trailId = head.index === 0 ? head.hash : await this.recordHashAt(0);
    if (this.trailId === undefined)
      throw new AuditError('audit.corrupt', `record 0 of the audit trail ${this.location} cannot be read`, {
        hint: 'run `caxton audit verify`',
      });
    const checkpoint: AuditCheckpoint = {
      trail: this.trailId,
      index: head.index,
      hash: head.hash,
      time: new Date().toISOString(),
      node: this.options.nodeId,
    };
    if (this.retained) checkpoint.retained = this.retained;
    const signed: SignedAuditCheckpoint = {
      checkpoint,
      key: this.options.key.publicKey,
      sig: this.options.key.sign(checkpointPayload(checkpoint)),
    };
    await this.options.anchors.writeAuditAnchor(encodeSignedCheckpoint(signed), head.index);
    this.anchoredIndex = Math.max(this.anchoredIndex, head.index);
    if (checkpoint.retained) this.anchoredRetained = checkpoint.retained;
  }

  async anchorInfo(): Promise<AuditAnchorInfo> {
    return { key: this.options.key.publicKey, anchor: await this.options.anchors.readAuditAnchor() };
  }

  currentHead(): Promise<AuditChainHead | undefined> {
    return this.inner.currentHead();
  }

  read(from: number, limit: number): Promise<StoredAuditRecord[]> {
    return this.inner.read(from, limit);
  }

  follow(from: number, sink: Sink<StoredAuditRecord>, options?: { ready?: () => Promise<void> }): Unsubscribe {
    return this.inner.follow(from, sink, options);
  }

  async close(): Promise<void> {
    await Promise.all(this.behind);
    await this.retaining;
    await this.writing?.catch(() => undefined);
    await this.inner.close();
    if (this.behindFailure !== undefined) throw this.behindFailure;
  }
}

/** The record of an accepted truncation: what was anchored, where the trail ended. */
function acceptance(
  anchor: SignedAuditCheckpoint,
  stored: string,
  head: AuditChainHead | undefined,
  problem: AnchorProblem,
  nodeId: string,
): AuditEntry {
  return startUpRecord('AcceptAuditTruncation', nodeId, stored, {
    problem: problem.code,
    anchoredIndex: String(anchor.checkpoint.index),
    anchoredHash: anchor.checkpoint.hash,
    anchoredBy: anchor.checkpoint.node,
    trailEnd: String(head?.index ?? -1),
    trailEndHash: head?.hash ?? '',
  });
}

/** The record of a new audit key: later anchors are signed by it. */
function keyChange(previous: string, key: string, nodeId: string): AuditEntry {
  return startUpRecord('ChangeAuditKey', nodeId, `${previous}\n${key}`, { previousKey: keyFingerprint(previous), key });
}

function startUpRecord(method: string, nodeId: string, args: string, fields: Record<string, string>): AuditEntry {
  const bytes = Buffer.from(args, 'utf8');
  return {
    time: new Date().toISOString(),
    node: nodeId,
    method,
    role: 'admin',
    token: '',
    peer: 'in-process start-up',
    args: { sha256: sha256Hex(bytes), bytes: bytes.length, fields },
    result: { code: 'OK', error: '' },
  };
}
