/**
 * `caxton audit export`: the trail as a file that can be verified later without the node
 * (decision 1750). JSON lines: a header with the node's audit public key and its signed anchor
 * (read first, like verify does), then one line per stored record, position and exact stored bytes
 * (as text; base64 when they are not UTF-8, so nothing is lost). `caxton audit verify --input
 * <file>` checks an export as it checks a node: same faults, same exit codes.
 */
import { readFile } from 'node:fs/promises';
import type { StoredAuditRecord } from '@caxton/core';
import { UsageError } from '../cli-error.js';
import type { AuditSource } from './audit-verify.js';

export const EXPORT_FORMAT = 'caxton-audit-export';

interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: 1;
  publicKey: string;
  /** The stored anchor, verbatim (canonical JSON), or null when the node had none. */
  anchor: string | null;
  exportedAt: string;
}

/** The lines of an export, header first. */
export async function* exportLines(source: AuditSource, now: () => Date = () => new Date()): AsyncGenerator<string> {
  const info = await source.anchor();
  const header: ExportHeader = {
    format: EXPORT_FORMAT,
    version: 1,
    publicKey: info.publicKey,
    anchor: info.anchor ?? null,
    exportedAt: now().toISOString(),
  };
  yield JSON.stringify(header);
  const lines: string[] = [];
  await source.records((stored) => {
    lines.push(recordLine(stored));
    return false;
  });
  yield* lines;
}

function recordLine(stored: StoredAuditRecord): string {
  const bytes = Buffer.from(stored.bytes);
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes)
    ? JSON.stringify({ position: stored.position, record: text })
    : JSON.stringify({ position: stored.position, recordBase64: bytes.toString('base64') });
}

/** An export file as a verification source. */
export async function exportSource(file: string): Promise<AuditSource> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  const bad = (line: number, why: string): UsageError => new UsageError(`${file}:${line} is not a caxton audit export: ${why}`);
  let header: Partial<ExportHeader>;
  try {
    header = JSON.parse(lines[0] ?? '') as Partial<ExportHeader>;
  } catch {
    throw bad(1, 'the first line is not JSON');
  }
  if (header.format !== EXPORT_FORMAT || header.version !== 1 || typeof header.publicKey !== 'string')
    throw bad(1, `the header is not {"format":"${EXPORT_FORMAT}","version":1,…}`);
  const records: StoredAuditRecord[] = lines.slice(1).map((line, i) => {
    let r: { position?: unknown; record?: unknown; recordBase64?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      throw bad(i + 2, 'not JSON');
    }
    if (!Number.isSafeInteger(r.position)) throw bad(i + 2, 'no position');
    if (typeof r.record === 'string') return { position: r.position as number, bytes: Buffer.from(r.record, 'utf8') };
    if (typeof r.recordBase64 === 'string') return { position: r.position as number, bytes: Buffer.from(r.recordBase64, 'base64') };
    throw bad(i + 2, 'no record');
  });
  const publicKey = header.publicKey;
  const anchor = typeof header.anchor === 'string' ? header.anchor : undefined;
  return {
    anchor: async () => ({ publicKey, anchor }),
    async records(onRecord) {
      for (const stored of records) if (onRecord(stored)) return;
    },
  };
}
