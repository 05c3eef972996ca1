import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuditChangeReader, encodeRecord, GENESIS_HASH, sealRecord, type AuditEntry } from '@caxton/core';
import { formatAuditChange, formatAuditLine, formatVerdict } from '../src/format/audit.js';

const sha256 = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');
const entry: AuditEntry = {
  time: '2026-01-02T03:04:05.678Z',
  node: 'n1',
  method: 'StopAgent',
  role: 'admin',
  token: '0123456789abcdef',
  peer: '127.0.0.1:5000',
  args: { sha256: 'a'.repeat(64), bytes: 9, fields: { agent: 'echo' } },
  result: { code: 'NOT_FOUND', error: 'agent.not-found' },
};

describe('caxton audit output', () => {
  it('one line per record: index, time, node, method, role and token prefix, peer, fields, result', () => {
    const record = sealRecord(entry, 4, GENESIS_HASH, sha256);
    assert.equal(
      formatAuditLine({ position: 4, bytes: encodeRecord(record) }),
      '#4  2026-01-02T03:04:05.678Z  n1  StopAgent  admin 01234567  127.0.0.1:5000  agent=echo  NOT_FOUND agent.not-found\n',
    );
    const anonymous = sealRecord(
      { ...entry, role: 'none', token: '', args: { ...entry.args, fields: {} }, result: { code: 'OK', error: '' } },
      0,
      GENESIS_HASH,
      sha256,
    );
    assert.equal(
      formatAuditLine({ position: 0, bytes: encodeRecord(anonymous) }),
      '#0  2026-01-02T03:04:05.678Z  n1  StopAgent  none  127.0.0.1:5000  OK\n',
    );
    assert.match(formatAuditLine({ position: 7, bytes: Buffer.from('{"index":') }), /^#7 {2}\(unreadable: not JSON/);
  });

  it('the verdict names the first broken record and why, or the head to keep', () => {
    assert.equal(formatVerdict({ fault: undefined, verified: 0, head: undefined }), 'audit trail intact: no records yet\n');
    assert.equal(
      formatVerdict({ fault: undefined, verified: 3, head: { index: 2, hash: 'f'.repeat(64) } }),
      `audit trail intact: 3 records, head #2 ${'f'.repeat(64)}\n`,
    );
    assert.equal(
      formatVerdict({ fault: { position: 2, reason: 'broken-link', detail: 'record 2 links to x' }, verified: 2, head: undefined }),
      'audit trail BROKEN at record 2: broken link — record 2 links to x (2 records before it are intact)\n',
    );
  });

  it('a trail pruned by retention says from which record it was checked, and a missing segment has its own reason (decision 1790)', () => {
    assert.equal(
      formatVerdict({
        fault: undefined,
        verified: 3,
        head: { index: 9, hash: 'f'.repeat(64) },
        retained: { from: 7, prev: 'e'.repeat(64) },
      }),
      `audit trail intact: 3 records from #7 (records before it deleted by retention, as the signed anchor says), head #9 ${'f'.repeat(64)}\n`,
    );
    assert.match(
      formatVerdict({
        fault: { position: 8, reason: 'segment-missing', detail: 'records 4..7 are missing from storage' },
        verified: 4,
        head: undefined,
      }),
      /^audit trail BROKEN at record 8: records missing — records 4\.\.7/,
    );
  });
});

describe('caxton audit output for write-ahead records (decision 1701)', () => {
  const { time, node, role, token, peer } = entry;
  const base = { time, node, role, token, peer };
  const intent = sealRecord(
    { ...base, kind: 'intent', method: 'DeployAgent', args: { sha256: 'b'.repeat(64), bytes: 3, fields: { agent: 'echo' } } },
    5,
    GENESIS_HASH,
    sha256,
  );
  const outcome = sealRecord(
    { ...base, kind: 'outcome', method: 'DeployAgent', intent: { index: 5, hash: intent.hash }, result: { code: 'OK', error: '' } },
    6,
    intent.hash,
    sha256,
  );

  it('a change is one line with its outcome, or "outcome unknown"', () => {
    const reader = new AuditChangeReader();
    const lines = [
      ...reader.push({ position: 5, bytes: encodeRecord(intent) }),
      ...reader.push({ position: 6, bytes: encodeRecord(outcome) }),
      ...reader.end(),
    ];
    assert.deepEqual(lines.map(formatAuditChange), [
      '#5  2026-01-02T03:04:05.678Z  n1  DeployAgent  admin 01234567  127.0.0.1:5000  agent=echo  OK (#6)\n',
    ]);
    const cut = new AuditChangeReader();
    assert.deepEqual([...cut.push({ position: 5, bytes: encodeRecord(intent) }), ...cut.end()].map(formatAuditChange), [
      '#5  2026-01-02T03:04:05.678Z  n1  DeployAgent  admin 01234567  127.0.0.1:5000  agent=echo  outcome unknown\n',
    ]);
  });

  it('--follow shows each record as it arrives', () => {
    assert.equal(
      formatAuditLine({ position: 5, bytes: encodeRecord(intent) }),
      '#5  2026-01-02T03:04:05.678Z  n1  DeployAgent  admin 01234567  127.0.0.1:5000  agent=echo  started\n',
    );
    assert.equal(
      formatAuditLine({ position: 6, bytes: encodeRecord(outcome) }),
      '#6  2026-01-02T03:04:05.678Z  n1  DeployAgent  admin 01234567  127.0.0.1:5000  OK (of #5)\n',
    );
  });
});
