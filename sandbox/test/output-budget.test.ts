/**
 * The per-call stdout/stderr budget (decision 2114): what a write may have read, what is dropped,
 * and the lift guard that cuts a write before jco's glue copies it out of guest memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardStreamImports } from '../src/jco/lift-guard.js';
import { OutputBudget } from '../src/wasi/output-budget.js';

describe('output budget', () => {
  it('admits writes up to the budget, drops and counts the rest, and starts each call afresh', () => {
    const b = new OutputBudget(100);
    assert.equal(b.admit(60), 60);
    assert.equal(b.room(), 40);
    assert.equal(b.admit(60), 40);
    assert.equal(b.admit(5), 0);
    b.drop(7);
    assert.equal(b.end(), 20 + 5 + 7);
    assert.equal(b.room(), 100);
    assert.equal(b.admit(100), 100);
    assert.equal(b.end(), 0);
  });
});

describe('stream lift guard', () => {
  it('hands the glue a write cut to what the call may still write, and counts the cut bytes as dropped', () => {
    const b = new OutputBudget(1000);
    /** jco's glue as the guard calls it: lifts `len` bytes at `ptr` (here: the lengths it was asked to lift). */
    const lifted: number[] = [];
    const glue = (self: number, ptr: number, len: number, ret: number): void => {
      assert.deepEqual([self, ptr, ret], [3, 64, 8]);
      lifted.push(len);
      b.admit(len); // the write that the glue calls reads what it was handed
    };
    const guarded = guardStreamImports({ '[method]output-stream.blocking-write-and-flush': glue, '[method]output-stream.write': glue, other: 1 }, b);
    const write = guarded['[method]output-stream.blocking-write-and-flush'] as typeof glue;
    write(3, 64, 600, 8);
    write(3, 64, 600, 8);
    (guarded['[method]output-stream.write'] as typeof glue)(3, 64, 0xffff_fff0, 8); // a length the guest claims: never lifted
    assert.deepEqual(lifted, [600, 400, 0]);
    assert.equal(b.end(), 200 + 0xffff_fff0);
    assert.equal(guarded['other'], 1);
  });
});
