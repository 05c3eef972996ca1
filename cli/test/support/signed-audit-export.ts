/**
 * A `caxton audit export` file made without a node: two sealed records and an anchor over them,
 * signed with an audit key made by the node's own code (ensureAuditKey), so `audit verify --input`
 * has a genuine signature to check. For tests of what that command loads (startup-imports.test.ts).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  checkpointPayload,
  encodeRecord,
  encodeSignedCheckpoint,
  GENESIS_HASH,
  sealRecord,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditRecord,
} from '@caxton/core';
import { ensureAuditKey } from '@caxton/runtime';
import { EXPORT_FORMAT } from '../../src/commands/audit-export.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface SignedAuditExport {
  file: string;
  /** The audit key's public half, as `--trust-key` takes it. */
  publicKey: string;
  /** The same export with the anchor's signature altered: verify must refuse it (exit 11). */
  forgedFile: string;
}

/** Writes the export (and a forged copy) into `dir`. */
export async function writeSignedAuditExport(dir: string): Promise<SignedAuditExport> {
  await mkdir(dir, { recursive: true });
  const key = await ensureAuditKey(dir);
  const common = {
    time: '2026-01-01T00:00:00.000Z',
    node: 'node-test',
    method: 'Freeze',
    role: 'admin',
    token: 'eb5693fc3335a98e',
    peer: '127.0.0.1:1',
  } as const;
  const entries: AuditEntry[] = [
    { ...common, kind: 'intent', args: { sha256: sha256(Buffer.from('{}')), bytes: 2, fields: { scope: 'node' } } },
    { ...common, kind: 'outcome', intent: { index: 0, hash: '' }, result: { code: 'OK', error: '' } },
  ];
  const records: AuditRecord[] = [];
  for (const entry of entries) {
    const prev = records.at(-1);
    const e = entry.kind === 'outcome' ? { ...entry, intent: { index: 0, hash: records[0]!.hash } } : entry;
    records.push(sealRecord(e, records.length, prev?.hash ?? GENESIS_HASH, sha256));
  }
  const last = records.at(-1)!;
  const checkpoint: AuditCheckpoint = { trail: records[0]!.hash, index: last.index, hash: last.hash, time: common.time, node: common.node };
  const sig = key.sign(checkpointPayload(checkpoint));
  const lines = (anchorSig: string): string =>
    `${[
      JSON.stringify({
        format: EXPORT_FORMAT,
        version: 1,
        publicKey: key.publicKey,
        anchor: encodeSignedCheckpoint({ checkpoint, key: key.publicKey, sig: anchorSig }),
        exportedAt: common.time,
      }),
      ...records.map((r, position) => JSON.stringify({ position, record: Buffer.from(encodeRecord(r)).toString('utf8') })),
    ].join('\n')}\n`;
  const file = path.join(dir, 'trail.jsonl');
  const forgedFile = path.join(dir, 'forged.jsonl');
  await writeFile(file, lines(sig));
  // Another valid-looking signature: the first byte flipped.
  const forged = Buffer.from(sig, 'base64');
  forged[0] = forged[0]! ^ 0xff;
  await writeFile(forgedFile, lines(forged.toString('base64')));
  return { file, publicKey: key.publicKey, forgedFile };
}
