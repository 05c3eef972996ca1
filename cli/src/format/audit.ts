/** How `caxton audit` shows records and what `caxton audit verify` found (pure). */
import { decodeRecord, type AuditChainFault, type AuditChainHead, type AuditRecord, type StoredAuditRecord } from '@caxton/core';

/** The record, or why its bytes are not one (verify says more). */
export function readStored(stored: StoredAuditRecord): { record: AuditRecord } | { unreadable: string } {
  try {
    return { record: decodeRecord(stored.bytes) };
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
}

/** One line: `#3  2026-…Z  node-a  StopAgent  admin a1b2c3d4  ipv4:127.0.0.1:5555  agent=echo  OK`. */
export function formatAuditLine(stored: StoredAuditRecord): string {
  const read = readStored(stored);
  if ('unreadable' in read) return `#${stored.position}  (unreadable: ${read.unreadable})\n`;
  const r = read.record;
  const who = r.token ? `${r.role} ${r.token.slice(0, 8)}` : r.role;
  const fields = Object.entries(r.args.fields).map(([k, v]) => `${k}=${v}`).join(' ');
  const result = r.result.code === 'OK' ? 'OK' : `${r.result.code}${r.result.error ? ` ${r.result.error}` : ''}`;
  return `#${r.index}  ${r.time}  ${r.node}  ${r.method}  ${who}  ${r.peer}${fields ? `  ${fields}` : ''}  ${result}\n`;
}

const REASONS: Record<AuditChainFault['reason'], string> = {
  unreadable: 'unreadable record',
  'hash-mismatch': 'hash mismatch',
  gap: 'gap',
  'broken-link': 'broken link',
};

export function formatVerdict(result: { fault: AuditChainFault | undefined; verified: number; head: AuditChainHead | undefined }): string {
  if (result.fault) {
    return `audit trail BROKEN at record ${result.fault.position}: ${REASONS[result.fault.reason]} — ${result.fault.detail} (${result.verified} records before it are intact)\n`;
  }
  if (!result.head) return 'audit trail intact: no records yet\n';
  return `audit trail intact: ${result.verified} records, head #${result.head.index} ${result.head.hash}\n`;
}
