import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FieldReader, FieldWriter, RecordFormatError } from '../../../src/log/records/binary-fields.js';

describe('binary fields of the compact record', () => {
  it('round-trips varints, strings of every length class and float64s (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('varint' as const), v: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }),
            fc.record({ kind: fc.constant('string' as const), v: fc.string({ unit: 'grapheme', maxLength: 200 }) }),
            fc.record({ kind: fc.constant('float' as const), v: fc.double({ noNaN: true }) }),
          ),
          { maxLength: 20 },
        ),
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
      ),
      { numRuns: 300 },
    );
  });

  it('writes strings longer than one length byte can say (2- and 3-byte lengths)', () => {
    // 'x' × 128 is the shortest ASCII string with a 2-byte length; the others go through Buffer.write.
    for (const s of ['x'.repeat(128), 'é'.repeat(5000), 'x'.repeat(6000), '€'.repeat(60_000)]) {
      const w = new FieldWriter();
      w.string(s);
      w.byte(7);
      const r = new FieldReader(w.finish());
      assert.equal(r.string(), s);
      assert.equal(r.byte(), 7);
    }
  });

  it('writes exact bytes: 1-byte lengths up to 127 ASCII characters, padded widths past the fast path (golden)', () => {
    const bytes = (s: string) => {
      const w = new FieldWriter(1);
      w.string(s);
      return [...w.finish()];
    };
    const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
    assert.deepEqual(bytes(''), [0]);
    assert.deepEqual(bytes('x'.repeat(43)), [43, ...ascii('x'.repeat(43))]);
    assert.deepEqual(bytes('x'.repeat(127)), [127, ...ascii('x'.repeat(127))]);
    // 128 characters: a 2-byte length (0x80 0x01), as every build wrote it.
    assert.deepEqual(bytes('x'.repeat(128)), [0x80, 0x01, ...ascii('x'.repeat(128))]);
    // A non-ASCII character within the first 127 falls back to the sized write: the length is given
    // the width 3 bytes per unit would need (101 units → 2 bytes), 0x80|102 then 0x00.
    assert.deepEqual(bytes(`${'a'.repeat(100)}é`), [0x80 | 102, 0x00, ...ascii('a'.repeat(100)), 0xc3, 0xa9]);
  });

  it('reads strings as the previous build wrote them: lengths padded to a fixed width (golden)', () => {
    // Before decision 2092 every string's length took the width 3 bytes per unit would need, so
    // ASCII strings of 43–127 characters had a 2-byte length 0x80|n, 0x00; Kafka still holds them.
    const x43 = Buffer.concat([Buffer.from([0xab, 0x00]), Buffer.alloc(43, 'x'), Buffer.from([7])]);
    const r43 = new FieldReader(x43);
    assert.equal(r43.string(), 'x'.repeat(43));
    assert.equal(r43.byte(), 7);
    assert.ok(r43.done);
    const r127 = new FieldReader(Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.alloc(127, 'y')]));
    assert.equal(r127.string(), 'y'.repeat(127));
    assert.ok(r127.done);
    // 6000 ASCII characters: old and new builds both pad to 3 bytes (0xf0 0xae 0x00 = 6000).
    const old6000 = Buffer.concat([Buffer.from([0xf0, 0xae, 0x00]), Buffer.alloc(6000, 'z')]);
    assert.equal(new FieldReader(old6000).string(), 'z'.repeat(6000));
    const w = new FieldWriter(1);
    w.string('z'.repeat(6000));
    assert.deepEqual(w.finish(), old6000);
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
