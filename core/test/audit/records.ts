/** Audit records for the verifier's tests: sample entries, a sealed chain of them, their stored bytes. */
import { createHash } from 'node:crypto';
import { encodeRecord, GENESIS_HASH, sealRecord, type AuditEntry, type AuditRecord, type StoredAuditRecord } from '../../src/index.js';

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function entry(method: string, agent = 'echo'): AuditEntry {
  return {
    time: '2026-01-02T03:04:05.678Z',
    node: 'node-a',
    method,
    role: 'admin',
    token: 'a1b2c3d4e5f60718',
    peer: '127.0.0.1:40000',
    args: { sha256: sha256(Buffer.from(method)), bytes: method.length, fields: { agent } },
    result: { code: 'OK', error: '' },
  };
}

/** Records sealed one after another from the genesis hash, one per method. */
export function chain(methods: string[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const [i, m] of methods.entries()) out.push(sealRecord(entry(m), i, out[i - 1]?.hash ?? GENESIS_HASH, sha256));
  return out;
}

/** The records as a trail stores them: canonical bytes at their index. */
export function stored(records: AuditRecord[]): StoredAuditRecord[] {
  return records.map((r, position) => ({ position, bytes: encodeRecord(r) }));
}
