/**
 * Write-ahead records (decision 1701): intent and outcome records share the chain with the older
 * one-record calls, each kind's shape is checked, and a listing joins each intent with its outcome.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AuditChangeReader,
  decodeRecord,
  encodeRecord,
  GENESIS_HASH,
  sealRecord,
  verifyAuditChain,
  type AuditEntry,
  type AuditLine,
  type AuditRecord,
  type StoredAuditRecord,
} from '../../src/index.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const who = {
  time: '2026-01-02T03:04:05.678Z',
  node: 'node-a',
  role: 'admin',
  token: 'a1b2c3d4e5f60718',
  peer: '127.0.0.1:40000',
} as const;
const args = (agent: string) => ({ sha256: sha256(Buffer.from(agent)), bytes: agent.length, fields: { agent } });

/** Seals entries in order; `outcome(i)` entries point at the record `i` sealed before. */
function chain(entries: ((sealed: AuditRecord[]) => AuditEntry)[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const make of entries) out.push(sealRecord(make(out), out.length, out.at(-1)?.hash ?? GENESIS_HASH, sha256));
  return out;
}
const call =
  (method: string, code = 'OK') =>
  (): AuditEntry => ({ ...who, method, args: args('x'), result: { code, error: code === 'OK' ? '' : 'api.unauthenticated' } });
const intent = (method: string, agent: string) => (): AuditEntry => ({ ...who, kind: 'intent', method, args: args(agent) });
const outcome =
  (of: number, code = 'OK', error = '') =>
  (sealed: AuditRecord[]): AuditEntry => ({
    ...who,
    kind: 'outcome',
    method: sealed[of]!.method,
    intent: { index: of, hash: sealed[of]!.hash },
    result: { code, error },
  });

function stored(records: AuditRecord[]): StoredAuditRecord[] {
  return records.map((r, position) => ({ position, bytes: encodeRecord(r) }));
}

function lines(records: StoredAuditRecord[], window?: number): string[] {
  const reader = new AuditChangeReader(window);
  const out: AuditLine[] = [];
  for (const r of records) out.push(...reader.push(r));
  out.push(...reader.end());
  return out.map((l) => {
    switch (l.type) {
      case 'call':
        return `call #${l.record.index} ${l.record.method} ${l.record.result.code}`;
      case 'change':
        return `change #${l.intent.index} ${l.intent.method} ${l.outcome ? `${l.outcome.result.code} #${l.outcome.index}` : 'unknown'}`;
      case 'outcome':
        return `outcome #${l.outcome.index} of #${l.outcome.intent.index} ${l.outcome.result.code}`;
      case 'unreadable':
        return `unreadable #${l.position}`;
    }
  });
}

describe('write-ahead record kinds', () => {
  // An old trail's calls, then interleaved changes (two in flight at once), one cut by a crash.
  const mixed = chain([
    call('DeployAgent'),
    call('ListAgents', 'UNAUTHENTICATED'),
    intent('DeployAgent', 'a'),
    intent('StopAgent', 'b'),
    outcome(3, 'NOT_FOUND', 'agent.not-found'),
    outcome(2),
    intent('UpgradeAgent', 'a'),
  ]);

  it('one chain holds every kind: it verifies, and a call record keeps its old shape (no kind field)', () => {
    const result = verifyAuditChain(stored(mixed), sha256);
    assert.equal(result.fault, undefined);
    assert.equal(result.verified, 7);
    assert.ok(!Buffer.from(encodeRecord(mixed[0]!)).toString().includes('"kind"'));
    assert.deepEqual(decodeRecord(encodeRecord(mixed[4]!)), mixed[4]);
  });

  it('editing where an outcome points, or its result, breaks the chain at that record', () => {
    for (const edit of [
      (r: Record<string, unknown>) => {
        (r.intent as { index: number }).index = 2;
      },
      (r: Record<string, unknown>) => {
        (r.result as { code: string }).code = 'OK';
      },
    ]) {
      const copy = stored(mixed);
      const value = JSON.parse(Buffer.from(copy[4]!.bytes).toString()) as Record<string, unknown>;
      edit(value);
      copy[4] = { position: 4, bytes: Buffer.from(JSON.stringify(value)) };
      const { fault } = verifyAuditChain(copy, sha256);
      assert.deepEqual([fault?.position, fault?.reason], [4, 'hash-mismatch']);
    }
  });

  it("checks each kind's shape", () => {
    const bytes = (r: AuditRecord, change: (v: Record<string, unknown>) => void): Buffer => {
      const v = JSON.parse(Buffer.from(encodeRecord(r)).toString()) as Record<string, unknown>;
      change(v);
      return Buffer.from(JSON.stringify(v));
    };
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[2]!, (v) => {
            v.kind = 'guess';
          }),
        ),
      /kind "guess" is not intent or outcome/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[2]!, (v) => {
            delete v.args;
          }),
        ),
      /args is not/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[4]!, (v) => {
            delete v.intent;
          }),
        ),
      /intent is not \{index, hash\}/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[4]!, (v) => {
            (v.intent as { index: number }).index = 9;
          }),
        ),
      /not before it/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[4]!, (v) => {
            delete v.result;
          }),
        ),
      /result is not/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[0]!, (v) => {
            delete v.result;
          }),
        ),
      /result is not/,
      'a call record needs its result',
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[4]!, (v) => {
            (v.result as Record<string, unknown>).fields = { messageId: 7 };
          }),
        ),
      /result.fields is not an object of strings/,
    );
    assert.throws(
      () =>
        decodeRecord(
          bytes(mixed[4]!, (v) => {
            (v.result as Record<string, unknown>).fields = ['m-1'];
          }),
        ),
      /result.fields is not/,
    );
    const named = decodeRecord(
      bytes(mixed[4]!, (v) => {
        (v.result as Record<string, unknown>).fields = { messageId: 'm-1' };
      }),
    );
    assert.ok(named.kind === 'outcome');
    assert.deepEqual(named.result.fields, { messageId: 'm-1' });
  });

  it('lists one line per change with its outcome, in the order changes began; an intent without outcome is unknown', () => {
    assert.deepEqual(lines(stored(mixed)), [
      'call #0 DeployAgent OK',
      'call #1 ListAgents UNAUTHENTICATED',
      'change #2 DeployAgent OK #5',
      'change #3 StopAgent NOT_FOUND #4',
      'change #6 UpgradeAgent unknown',
    ]);
  });

  it('gives up waiting after the window; an outcome whose intent is not in view gets its own line', () => {
    const late = chain([intent('DeployAgent', 'a'), call('X'), call('Y'), outcome(0)]);
    assert.deepEqual(lines(stored(late), 2), ['change #0 DeployAgent unknown', 'call #1 X OK', 'call #2 Y OK', 'outcome #3 of #0 OK']);
    assert.deepEqual(lines(stored(late).slice(1)), ['call #1 X OK', 'call #2 Y OK', 'outcome #3 of #0 OK']);
    assert.deepEqual(lines([{ position: 0, bytes: Buffer.from('{') }]), ['unreadable #0']);
  });
});
