/**
 * The agent's state view (host/state-view.ts), pure: buffer over view, every refusal typed, quotas
 * counted without the runtime's reserved keys, commit and discard, keys in UTF-8 byte order with
 * paging — checked against a plain model with random operations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StateView, compareUtf8Order, invalidKeyReason } from '../src/host/state-view.js';

const utf8Compare = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('state view', () => {
  it('reads its own buffered writes, commits them to the view, and a discard leaves the view as it was', () => {
    const v = new StateView([['a', '1']]);
    v.begin(false);
    assert.equal(v.set('b', '2'), null);
    assert.equal(v.delete('a'), null);
    assert.equal(v.get('b'), '2');
    assert.equal(v.get('a'), undefined);
    assert.deepEqual(v.commit(), [
      { key: 'b', value: '2' },
      { key: 'a', value: null },
    ]);
    assert.deepEqual(v.entries(), [['b', '2']]);
    v.begin(false);
    v.set('b', 'changed');
    v.set('c', '3');
    v.discard();
    assert.equal(v.get('b'), '2');
    assert.equal(v.get('c'), undefined);
    assert.deepEqual(v.commit(), []);
  });

  it('hands back the last write per key and leaves out writes that change nothing', () => {
    const v = new StateView([['same', 'x']]);
    v.begin(false);
    v.set('k', '1');
    v.set('k', '2');
    v.set('same', 'x');
    v.delete('absent');
    v.set('gone', 'soon');
    v.delete('gone');
    assert.deepEqual(v.commit(), [{ key: 'k', value: '2' }]);
  });

  it('refuses every write in init as read-only, but reads', () => {
    const v = new StateView([['a', '1']]);
    v.begin(true);
    assert.equal(v.get('a'), '1');
    assert.equal(v.set('a', '2')?.kind, 'read-only');
    assert.equal(v.delete('a')?.kind, 'read-only');
    v.begin(false);
    assert.equal(v.set('a', '2'), null);
  });

  it('types every refusal: invalid keys, values too large, byte and key quotas', () => {
    const v = new StateView([], { maxKeyBytes: 8, maxValueBytes: 10, maxTotalBytes: 30, maxKeys: 3 });
    v.begin(false);
    for (const key of ['', 'nine-byte', 'a\u0000b', '\u0000http/x', 'tab\t', 'del\u007f', 'é\ud800', 'ééééé']) {
      assert.equal(v.set(key, 'v')?.kind, 'invalid-key', JSON.stringify(key));
    }
    assert.equal(v.delete('')?.kind, 'invalid-key');
    assert.equal(v.set('k', 'x'.repeat(11))?.kind, 'value-too-large');
    assert.equal(v.set('k', 'é'.repeat(6))?.kind, 'value-too-large', '12 UTF-8 bytes in 6 code units');
    assert.equal(v.set('k1', 'x'.repeat(10)), null); // 12 bytes
    assert.equal(v.set('k2', 'x'.repeat(10)), null); // 24 bytes
    const over = v.set('k3', 'x'.repeat(10)); // 36 > 30
    assert.equal(over?.kind, 'quota-exceeded');
    assert.match(over!.message, /36 bytes, more than its 30/);
    assert.equal(v.set('k3', 'x'), null); // 27 bytes, 3 keys
    assert.match(v.set('k4', '')!.message, /4 keys, more than its 3/);
    assert.equal(v.set('k1', ''), null, 'shrinking is always allowed');
    v.commit();
    assert.deepEqual(v.usage(), { bytes: 2 + 12 + 3, keys: 3 });
  });

  it('keeps reserved keys in the view but hides them from get and keys and leaves them out of the quotas', () => {
    const big = 'r'.repeat(100);
    const v = new StateView(
      [
        ['\u0000http/1', big],
        ['a', '1'],
      ],
      { maxTotalBytes: 10, maxKeys: 2 },
    );
    v.begin(false);
    assert.equal(v.get('\u0000http/1'), undefined);
    assert.deepEqual(v.keys('', undefined, 10).keys, ['a']);
    assert.deepEqual(v.keys('\u0000', undefined, 10).keys, []);
    assert.equal(v.set('b', '2'), null, 'the 100-byte reserved entry does not count');
    v.putReserved('\u0000http/2', 'pending');
    assert.throws(() => v.putReserved('plain', 'x'), TypeError);
    assert.deepEqual(v.commit(), [
      { key: 'b', value: '2' },
      { key: '\u0000http/2', value: 'pending' },
    ]);
    assert.deepEqual(new Map(v.entries()).get('\u0000http/2'), 'pending');
    assert.deepEqual(v.usage(), { bytes: 4, keys: 2 });
  });

  it('lists keys in UTF-8 byte order, by prefix, paged with start-after, capped by maxListLimit', () => {
    const v = new StateView(
      [
        ['b', '1'],
        ['a/2', '1'],
        ['a/1', '1'],
        ['\uffff', '1'],
        ['😀', '1'],
      ],
      { maxListLimit: 2 },
    );
    v.begin(false);
    v.set('a/0', 'new');
    v.delete('a/2');
    assert.deepEqual(v.keys('a/', undefined, 10).keys, ['a/0', 'a/1']);
    assert.deepEqual(v.keys('a/', 'a/0', 10).keys, ['a/1']);
    assert.deepEqual(v.keys('', 'b', 10).keys, ['\uffff', '😀'], 'U+FFFF sorts before U+1F600 in bytes');
    assert.deepEqual(v.keys('', undefined, 0).keys, []);
  });

  it('agrees with a plain model on random operations, commits and discards', () => {
    const key = fc.constantFrom('a', 'ab', 'b', 'b/1', 'b/2', 'é', '\uffff', '😀', 'z');
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), k: key, v: fc.string({ maxLength: 4 }) }),
      fc.record({ t: fc.constant('del' as const), k: key }),
      fc.record({ t: fc.constant('commit' as const) }),
      fc.record({ t: fc.constant('discard' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.constantFrom('', 'b', 'a'), (ops, prefix) => {
        const v = new StateView();
        v.begin(false);
        let committed = new Map<string, string>();
        let current = new Map<string, string>();
        for (const o of ops) {
          if (o.t === 'set') {
            assert.equal(v.set(o.k, o.v), null);
            current.set(o.k, o.v);
          } else if (o.t === 'del') {
            assert.equal(v.delete(o.k), null);
            current.delete(o.k);
          } else if (o.t === 'commit') {
            const writes = v.commit();
            for (const w of writes) assert.notEqual(committed.get(w.key) ?? null, w.value, 'no write that changes nothing');
            committed = new Map(current);
          } else {
            v.discard();
            current = new Map(committed);
          }
          for (const k of ['a', 'b', 'é', 'z']) assert.equal(v.get(k), current.get(k));
          const want = [...current.keys()].filter((k) => k.startsWith(prefix)).sort(utf8Compare);
          assert.deepEqual(v.keys(prefix, undefined, 100).keys, want);
          if (want.length > 1) assert.deepEqual(v.keys(prefix, want[0], 100).keys, want.slice(1));
        }
        v.commit();
        assert.deepEqual(new Map(v.entries()), current);
        let bytes = 0;
        for (const [k, val] of current) bytes += Buffer.byteLength(k) + Buffer.byteLength(val);
        assert.deepEqual(v.usage(), { bytes, keys: current.size });
      }),
      { numRuns: 300 },
    );
  });

  it('compares strings in UTF-8 byte order and validates keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        assert.equal(Math.sign(compareUtf8Order(a, b)), Math.sign(utf8Compare(a, b)));
      }),
      { numRuns: 500 },
    );
    assert.equal(invalidKeyReason('ok', 256), null);
    assert.match(invalidKeyReason('x'.repeat(257), 256)!, /longer than 256/);
  });

  it('reset replaces the view and drops the buffer', () => {
    const v = new StateView([['a', '1']]);
    v.begin(false);
    v.set('b', '2');
    v.reset([['c', '3']]);
    assert.equal(v.get('a'), undefined);
    assert.equal(v.get('b'), undefined);
    assert.equal(v.get('c'), '3');
    assert.deepEqual(v.commit(), []);
  });
});
