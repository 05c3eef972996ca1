import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, scanFrames, FRAME_HEADER_BYTES } from '../../src/registry/embedded/framing.js';

const frames = (...texts: string[]): Buffer => Buffer.concat(texts.map((t) => encodeFrame(Buffer.from(t))));

test('clean frames read back in order', () => {
  const r = scanFrames(frames('one', 'two', 'three'));
  assert.equal(r.tail, 'clean');
  assert.deepEqual(r.payloads.map(String), ['one', 'two', 'three']);
});

test('a final frame cut anywhere is a torn tail, keeping every earlier frame', () => {
  const whole = frames('alpha', 'beta', 'gamma-gamma');
  const lastStart = whole.length - (FRAME_HEADER_BYTES + 'gamma-gamma'.length);
  for (let cut = lastStart + 1; cut < whole.length; cut++) {
    const r = scanFrames(whole.subarray(0, cut));
    assert.equal(r.tail, 'torn', `cut at ${cut}`);
    assert.equal(r.validBytes, lastStart);
    assert.deepEqual(r.payloads.map(String), ['alpha', 'beta']);
  }
});

test('a final frame whose bytes did not land (zeros or garbage, size already extended) is torn', () => {
  const whole = frames('alpha', 'beta');
  const zeroed = Buffer.from(whole);
  zeroed.fill(0, whole.length - 4); // payload tail never written
  assert.equal(scanFrames(zeroed).tail, 'torn');
  const flipped = Buffer.from(whole);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0xff;
  const r = scanFrames(flipped);
  assert.equal(r.tail, 'torn');
  assert.deepEqual(r.payloads.map(String), ['alpha']);
  // Zero padding after the last good frame (an extended-but-unwritten block).
  const padded = Buffer.concat([whole, Buffer.alloc(4096)]);
  const p = scanFrames(padded);
  assert.equal(p.tail, 'torn');
  assert.equal(p.validBytes, whole.length);
});

test('a damaged frame followed by more data is corruption, not a torn write', () => {
  const whole = frames('alpha', 'beta', 'gamma');
  const damaged = Buffer.from(whole);
  damaged[FRAME_HEADER_BYTES + 1] = damaged[FRAME_HEADER_BYTES + 1]! ^ 0x01; // inside alpha
  const r = scanFrames(damaged);
  assert.equal(r.tail, 'corrupt');
  assert.equal(r.validBytes, 0);
});

test('empty input is clean; empty payloads are refused', () => {
  assert.equal(scanFrames(Buffer.alloc(0)).tail, 'clean');
  assert.throws(() => encodeFrame(Buffer.alloc(0)), RangeError);
});
