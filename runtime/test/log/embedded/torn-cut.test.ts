/** Where the `group-torn` fault point cuts a commit group (crash tests only): always inside a frame. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FRAME_HEADER_BYTES, RecordType } from '../../../src/log/embedded/record-format.js';
import { tornCut } from '../../../src/log/embedded/segment-writer.js';

const frame = (bytes: number): Buffer => encodeFrame(RecordType.Completed, Buffer.alloc(bytes - FRAME_HEADER_BYTES, 0x61));

/** The frame ends of a group: the cut must be none of them. */
function ends(sizes: number[]): number[] {
  let at = 0;
  return sizes.map((n) => (at += n));
}

test('a group of two frames of one size is cut one byte before its middle, inside the first frame', () => {
  const group = Buffer.concat([frame(40), frame(40)]);
  assert.equal(tornCut(group), 39);
});

test('a middle inside a frame is the cut; no cut ever lands on a frame end', () => {
  assert.equal(tornCut(Buffer.concat([frame(30), frame(50)])), 40, 'the middle, inside the second frame');
  assert.equal(tornCut(frame(64)), 32, 'one frame: its middle');
  for (const sizes of [
    [20, 20, 20, 20],
    [10, 30, 25, 15],
    [12, 12],
    [100, 9, 91],
    [9, 9, 9, 9, 9, 9],
  ]) {
    const group = Buffer.concat(sizes.map(frame));
    const cut = tornCut(group);
    assert.ok(cut > 0 && cut < group.length, `${sizes}: inside the group`);
    assert.ok(!ends(sizes).includes(cut), `${sizes}: cut at ${cut} is not a frame end (${ends(sizes)})`);
  }
});
