/**
 * The one line splitter of the node's stream taps (json-log.ts, node-log-export.ts): lines split
 * across writes come out whole, a character split across byte chunks is decoded whole, a string
 * written in another encoding is read in it, the held partial line is bounded, and the rest is given
 * at the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../src/telemetry/line-splitter.js';

test('whole lines across writes, characters across chunks, other encodings, a bounded hold, the rest at the end', () => {
  const s = new LineSplitter(16);
  assert.deepEqual(s.push('one\ntw'), ['one']);
  assert.deepEqual(s.push('o\nthree\n'), ['two', 'three']);
  const euro = Buffer.from('€\n'); // three bytes, then the newline
  assert.deepEqual(s.push(euro.subarray(0, 1)), []);
  assert.deepEqual(s.push(euro.subarray(1)), ['€']);
  assert.deepEqual(s.push(Buffer.from('hé\n').toString('latin1'), 'latin1'), ['hé']);
  assert.deepEqual(s.push('x'.repeat(17)), ['x'.repeat(17)], 'past the bound, the held text is given up as a line');
  assert.deepEqual(s.push('tail'), []);
  assert.equal(s.flush(), 'tail');
  assert.equal(s.flush(), undefined);
});
