/** The audit of refused Kafka records (decision 2185): one `call` record each, at a bounded rate, the rest counted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry } from '@caxton/core';
import { RecordRefusalAudit, type RecordRefusal } from '../../../src/topology/cluster/record-refusal-audit.js';

const refusal = (offset: number): RecordRefusal => ({
  type: 'record-refused',
  topic: 'caxton.c.deliveries',
  partition: 3,
  offset: String(offset),
  reason: 'no caxton-mac header',
  deadLettered: true,
});

describe('RecordRefusalAudit', () => {
  it('writes one call record per refusal up to the window budget, then counts them into the next window', async () => {
    const written: AuditEntry[] = [];
    const lines: string[] = [];
    let now = 1_000_000;
    const audit = new RecordRefusalAudit({
      trail: { append: async (e) => (written.push(e), e as never) },
      nodeId: 'n1',
      say: (l) => lines.push(l),
      perWindow: 2,
      windowMs: 60_000,
      now: () => now,
    });
    for (let i = 0; i < 5; i++) audit.refused(refusal(i));
    await new Promise((r) => setImmediate(r));
    assert.equal(written.length, 2, 'the budget');
    assert.equal(lines.length, 5, 'each said');
    const first = written[0]!;
    assert.ok(first.kind === undefined);
    assert.equal(first.method, 'ConsumeRecord');
    assert.equal(first.peer, 'kafka caxton.c.deliveries/3@0');
    assert.deepEqual(first.result, { code: 'UNAUTHENTICATED', error: 'log.record-unauthenticated' });
    assert.deepEqual(first.args.fields, {
      topic: 'caxton.c.deliveries',
      partition: '3',
      offset: '0',
      reason: 'no caxton-mac header',
      deadLettered: 'true',
    });
    now += 60_000;
    audit.refused(refusal(9));
    await new Promise((r) => setImmediate(r));
    assert.equal(written.length, 3);
    const next = written[2]!;
    assert.ok(next.kind === undefined);
    assert.equal(next.args.fields.suppressed, '3', 'the three past the budget are not lost');
  });

  it('a trail that refuses the write is said, and its refusals carried to the next record; nothing thrown', async () => {
    const lines: string[] = [];
    let fail = true;
    const written: AuditEntry[] = [];
    const audit = new RecordRefusalAudit({
      trail: {
        append: async (e) => {
          if (fail) throw new Error('etcd unreachable');
          written.push(e);
          return e as never;
        },
      },
      nodeId: 'n1',
      say: (l) => lines.push(l),
    });
    audit.refused(refusal(1));
    await new Promise((r) => setImmediate(r));
    assert.match(lines.at(-1)!, /not audited: etcd unreachable/);
    fail = false;
    audit.refused(refusal(2));
    await new Promise((r) => setImmediate(r));
    assert.ok(written[0]!.kind === undefined);
    assert.equal(written[0]!.args.fields.suppressed, '1');
  });
});
