/**
 * `caxton audit verify`: checks the trail here, on the client (decisions 1402, 1750) — every
 * record's stored bytes, hash and link, then the trail against its signed anchor and any head the
 * operator kept (`--expect-head`). The anchor is read before the records: it is written after the
 * records it covers are durable, so the listing that follows holds them.
 *
 * Which keys are trusted: those given with `--trust-key` (pinned by the operator), or else the key
 * the node reports — printed so that it can be pinned; a node that lies about its key can only be
 * caught by a pinned one.
 */
import { createHash } from 'node:crypto';
import {
  AuditChainVerifier,
  checkSignedCheckpoint,
  decodeSignedCheckpoint,
  keyFingerprint,
  type AuditChainFault,
  type AuditExpectedHead,
  type AuditRetainedFrom,
  type SignedAuditCheckpoint,
  type StoredAuditRecord,
} from '@caxton/core';
import type { CaxtonClient } from '@caxton/client';
import { UsageError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { runtimeLibrary } from '../runtime-library.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface AuditVerdict {
  fault: AuditChainFault | undefined;
  verified: number;
  head: { index: number; hash: string } | undefined;
  anchor: SignedAuditCheckpoint | undefined;
  /** Where the trail starts by retention, as the (trusted) anchor says; records before it are not checked. */
  retained: AuditRetainedFrom | undefined;
  /** Records still stored before `retained.from` (a deletion not done yet), passed over. */
  outsideRetention: number;
  /** The keys trusted, and whether they came from the node (not pinned). */
  trusted: readonly string[];
  keyFromNode: boolean;
}

/** `<index>:<64 hex>` as given to --expect-head. */
export function parseExpectHead(text: string): AuditExpectedHead {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!m || !Number.isSafeInteger(Number(m[1])))
    throw new UsageError(
      `--expect-head takes <index>:<sha256 hex>, as \`caxton audit verify\` prints the head; got ${JSON.stringify(text)}`,
    );
  return { index: Number(m[1]), hash: m[2]!, source: 'operator' };
}

/** Where a verification reads from: a node (the API), or an export file (audit-export.ts). */
export interface AuditSource {
  /** The public key the source reports and the stored anchor; read before the records. */
  anchor(): Promise<{ publicKey: string; anchor: string | undefined }>;
  /** Calls `onRecord` with each stored record in order until it returns true (stop). */
  records(onRecord: (stored: StoredAuditRecord) => boolean): Promise<void>;
}

/** A node, through its API: the anchor first (GetAuditAnchor), then ListAudit. */
export function nodeSource(client: CaxtonClient): AuditSource {
  return {
    anchor: () => client.getAuditAnchor(),
    async records(onRecord) {
      const handle = client.listAudit({}, (stored) => {
        if (onRecord(stored)) handle.cancel();
      });
      await handle.done;
    },
  };
}

export async function verifyAudit(
  source: AuditSource,
  options: { trustKeys: readonly string[]; expect: readonly AuditExpectedHead[] },
): Promise<AuditVerdict> {
  const info = await source.anchor();
  const trusted = options.trustKeys.length > 0 ? options.trustKeys : [info.publicKey];
  const expect = [...options.expect];
  let anchor: SignedAuditCheckpoint | undefined;
  let anchorFault: AuditChainFault | undefined;
  if (info.anchor !== undefined) {
    try {
      anchor = decodeSignedCheckpoint(info.anchor);
      const { verifyEd25519 } = await runtimeLibrary();
      const wrong = checkSignedCheckpoint(anchor, trusted, verifyEd25519);
      if (wrong)
        anchorFault = {
          position: anchor.checkpoint.index,
          reason: 'anchor-invalid',
          detail: `the anchor (record ${anchor.checkpoint.index}) cannot be trusted: ${wrong}`,
        };
      else expect.push({ index: anchor.checkpoint.index, hash: anchor.checkpoint.hash, trail: anchor.checkpoint.trail, source: 'anchor' });
    } catch (err) {
      anchorFault = {
        position: 0,
        reason: 'anchor-invalid',
        detail: `the anchor stored in the registry cannot be read: ${(err as Error).message}`,
      };
    }
  }
  // Retention is believed only from a genuine anchor: an attacker cannot claim old records were pruned.
  const retained = anchorFault ? undefined : anchor?.checkpoint.retained;
  const verifier = new AuditChainVerifier(sha256, undefined, expect, retained);
  // The first fault ends the check: nothing after a broken record can be trusted.
  await source.records((stored) => verifier.push(stored) !== undefined);
  let fault = verifier.fault ?? anchorFault ?? verifier.finish();
  // The node anchors any trail with records when it starts, so records without an anchor means the
  // anchor was removed from the registry.
  if (!fault && !anchor && verifier.verified > 0) {
    fault = {
      position: verifier.verified - 1,
      reason: 'anchor-invalid',
      detail: `the trail holds ${verifier.verified} records but the registry holds no anchor for it: the anchor was removed`,
    };
  }
  return {
    fault,
    verified: verifier.verified,
    head: verifier.head,
    anchor,
    retained,
    outsideRetention: verifier.outsideRetention,
    trusted,
    keyFromNode: options.trustKeys.length === 0,
  };
}

export function verdictExitCode(fault: AuditChainFault | undefined): ExitCode {
  switch (fault?.reason) {
    case undefined:
      return EXIT.OK;
    case 'truncated':
      return EXIT.AUDIT_TRUNCATED;
    case 'rewritten':
      return EXIT.AUDIT_REWRITTEN;
    case 'anchor-invalid':
      return EXIT.AUDIT_ANCHOR;
    case 'segment-missing':
      return EXIT.AUDIT_SEGMENT_MISSING;
    default:
      return EXIT.FAILURE;
  }
}

/** What an operator can do about each fault. */
export function verdictHint(fault: AuditChainFault): string {
  switch (fault.reason) {
    case 'truncated':
      return 'records acknowledged earlier are gone: restore the trail from a backup, or keep it as evidence; `caxton audit --json` lists what is left';
    case 'rewritten':
      return 'the records from this one on were rewritten and re-sealed: compare with a backup or an export; whoever did it could write the trail but not sign with the audit key';
    case 'anchor-invalid':
      return "the registry's anchor was replaced, altered or removed: check who wrote the registry; pin the node's key with --trust-key (`caxton audit key`) on a machine you trust";
    case 'segment-missing':
      return 'records the node did not delete by retention are gone (a segment file or keys deleted): restore them from a backup or an export; deletion by retention is signed in the anchor, so this was not it. If the node was pruning just now, run verify again';
    case 'not-canonical':
      return "the stored bytes were edited in a way the record's hash does not cover (a duplicated or reordered key): treat the record as altered";
    default:
      return 'the record was altered, removed or inserted: compare with a backup or an export';
  }
}

export function formatKeyLine(verdict: AuditVerdict): string {
  const keys = verdict.trusted.map(keyFingerprint).join(', ');
  return verdict.keyFromNode
    ? `audit key (as the node or export reports it; pin it with --trust-key): ${verdict.trusted[0]}\n`
    : `trusted audit keys: ${keys}\n`;
}

export function formatAnchorLine(anchor: SignedAuditCheckpoint | undefined): string {
  if (!anchor) return 'anchor: none\n';
  const cp = anchor.checkpoint;
  return `anchor: #${cp.index} ${cp.hash} signed ${cp.time} by node ${cp.node} (key ${keyFingerprint(anchor.key)})\n`;
}
