/** How `caxton audit` shows records and what `caxton audit verify` found (pure). */
import {
  decodeRecord,
  type AuditArgs,
  type AuditChainFault,
  type AuditChainHead,
  type AuditLine,
  type AuditRecord,
  type AuditResult,
  type AuditRetainedFrom,
  type StoredAuditRecord,
} from '@caxton/core';

/** The record, or why its bytes are not one (verify says more). */
export function readStored(stored: StoredAuditRecord): { record: AuditRecord } | { unreadable: string } {
  try {
    return { record: decodeRecord(stored.bytes) };
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
}

function who(r: AuditRecord): string {
  return r.token ? `${r.role} ${r.token.slice(0, 8)}` : r.role;
}

function fieldsOf(args: AuditArgs): string {
  const fields = Object.entries(args.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return fields ? `  ${fields}` : '';
}

function resultText(result: AuditResult): string {
  const produced = Object.entries(result.fields ?? {})
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  return result.code === 'OK' ? `OK${produced}` : `${result.code}${result.error ? ` ${result.error}` : ''}`;
}

/** `set=<id>` closes the head when the call named a change set (`caxton apply`'s steps). */
function head(r: AuditRecord): string {
  return `#${r.index}  ${r.time}  ${r.node}  ${r.method}  ${who(r)}  ${r.peer}${r.changeSet !== undefined ? `  set=${r.changeSet}` : ''}`;
}

/**
 * One record per line, as it arrives (`caxton audit --follow`):
 *   `#3  2026-…Z  node-a  StopAgent  admin a1b2c3d4  ipv4:127.0.0.1:5555  agent=echo  OK` (a call)
 *   `#4  …  DeployAgent  …  agent=echo artifact=…  started` (an intent)
 *   `#5  …  DeployAgent  …  OK (of #4)` (its outcome)
 */
export function formatAuditLine(stored: StoredAuditRecord): string {
  const read = readStored(stored);
  if ('unreadable' in read) return `#${stored.position}  (unreadable: ${read.unreadable})\n`;
  const r = read.record;
  if (r.kind === 'intent') return `${head(r)}${fieldsOf(r.args)}  started\n`;
  if (r.kind === 'outcome') return `${head(r)}  ${resultText(r.result)} (of #${r.intent.index})\n`;
  return `${head(r)}${fieldsOf(r.args)}  ${resultText(r.result)}\n`;
}

/**
 * One line per change (`caxton audit`): the intent's line with its outcome's result, and `outcome
 * unknown` when the trail holds none (the node stopped between the two, or the change is running).
 */
export function formatAuditChange(line: AuditLine): string {
  switch (line.type) {
    case 'unreadable':
      return `#${line.position}  (unreadable: ${line.reason})\n`;
    case 'call':
      return `${head(line.record)}${fieldsOf(line.record.args)}  ${resultText(line.record.result)}\n`;
    case 'outcome':
      return `${head(line.outcome)}  ${resultText(line.outcome.result)} (outcome of #${line.outcome.intent.index})\n`;
    case 'change': {
      const { intent, outcome } = line;
      const ended = outcome ? `${resultText(outcome.result)} (#${outcome.index})` : 'outcome unknown';
      return `${head(intent)}${fieldsOf(intent.args)}  ${ended}\n`;
    }
  }
}

const REASONS: Record<AuditChainFault['reason'], string> = {
  unreadable: 'unreadable record',
  'hash-mismatch': 'hash mismatch',
  'segment-missing': 'records missing',
  gap: 'gap',
  'broken-link': 'broken link',
  'not-canonical': 'not canonical',
  rewritten: 'rewritten and re-sealed',
  truncated: 'truncated',
  'anchor-invalid': 'anchor not genuine',
};

export function formatVerdict(result: {
  fault: AuditChainFault | undefined;
  verified: number;
  head: AuditChainHead | undefined;
  retained?: AuditRetainedFrom | undefined;
}): string {
  if (result.fault) {
    return `audit trail BROKEN at record ${result.fault.position}: ${REASONS[result.fault.reason]} — ${result.fault.detail} (${result.verified} records before it are intact)\n`;
  }
  if (!result.head) return 'audit trail intact: no records yet\n';
  // Pruned records are not vouched for by this check: say so, and by whom they were pruned.
  const pruned = result.retained
    ? ` from #${result.retained.from} (records before it deleted by retention, as the signed anchor says)`
    : '';
  return `audit trail intact: ${result.verified} records${pruned}, head #${result.head.index} ${result.head.hash}\n`;
}
