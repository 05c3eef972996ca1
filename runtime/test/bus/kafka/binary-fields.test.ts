import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FieldReader, FieldWriter, RecordFormatError } from '../../../src/bus/kafka/binary-fields.js';

describe('binary fields of the compact record', () => {
  it('round-trips varints, strings of every length class and float64s (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ kind: fc.constant('varint' as const), v: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }),
        fc.record({ kind: fc.constant('string' as const), v: fc.string({ unit: 'grapheme', maxLength: 200 }) }),
        fc.record({ kind: fc.constant('float' as const), v: fc.double({ noNaN: true }) }),
      ), { maxLength: 20 }),
      (fields) => {
        const w = new FieldWriter(4); // tiny start: growth is exercised too
        for (const f of fields) {
          if (f.kind === 'varint') w.varint(f.v);
          else if (f.kind === 'string') w.string(f.v);
          else w.float64(f.v);
        }
        const r = new FieldReader(w.finish());
        for (const f of fields) {
          const got = f.kind === 'varint' ? r.varint() : f.kind === 'string' ? r.string() : r.float64();
          assert.ok(Object.is(got, f.v), `${f.kind}: ${String(got)} !== ${String(f.v)}`);
        }
        assert.ok(r.done);
      },
    ), { numRuns: 300 });
  });

  it('writes strings longer than one length byte can say (2- and 3-byte lengths)', () => {
    for (const s of ['x'.repeat(43), 'é'.repeat(5000), '€'.repeat(60_000)]) {
      const w = new FieldWriter();
      w.string(s);
      w.byte(7);
      const r = new FieldReader(w.finish());
      assert.equal(r.string(), s);
      assert.equal(r.byte(), 7);
    }
  });

  it('refuses truncated input and runaway varints with a RecordFormatError', () => {
    const w = new FieldWriter();
    w.string('hello');
    const bytes = w.finish();
    assert.throws(() => new FieldReader(bytes.subarray(0, 3)).string(), RecordFormatError);
    assert.throws(() => new FieldReader(Buffer.alloc(9, 0xff)).varint(), RecordFormatError);
    assert.throws(() => new FieldReader(Buffer.alloc(3)).float64(), RecordFormatError);
    assert.throws(() => new FieldWriter().varint(-1), RangeError);
  });
});
