/**
 * The per-call stdout/stderr budget (decision 2114): what a write may have read, what is dropped,
 * and the lift guard that cuts a write before jco's glue copies it out of guest memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DROPPED_OUTPUT_FUEL_PER_BYTE,
  HOST_CALL_COST,
  OUTPUT_FUEL_PER_BYTE,
  droppedOutputFuel,
  outputFuel,
} from '../src/fuel/cost-model.js';
import { guardStreamImports, LogStreamHandles } from '../src/jco/lift-guard.js';
import { createDenyWasi } from '../src/wasi/deny-wasi.js';
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

describe('bytes offered past the budget are charged (decision 2129)', () => {
  /** A WASI instance with a 100-byte budget whose output charges are recorded as [read, dropped]. */
  function wasiWithBudget(): { wasi: ReturnType<typeof createDenyWasi>; charged: Array<[number, number]> } {
    const charged: Array<[number, number]> = [];
    const wasi = createDenyWasi({
      charge: () => {},
      output: () => {},
      maxOutputBytes: 100,
      chargeOutput: (bytes, dropped) => charged.push([bytes, dropped]),
      chargeDropped: (bytes) => charged.push([0, bytes]),
    });
    return { wasi, charged };
  }

  it('a stream write past the budget pays its read bytes and its dropped bytes', () => {
    const { wasi, charged } = wasiWithBudget();
    const stdout = (wasi.imports['wasi:cli/stdout'] as { getStdout(): { blockingWriteAndFlush(b: Uint8Array): void } }).getStdout();
    stdout.blockingWriteAndFlush(new Uint8Array(60));
    stdout.blockingWriteAndFlush(new Uint8Array(70));
    stdout.blockingWriteAndFlush(new Uint8Array(5));
    assert.deepEqual(charged, [
      [60, 0],
      [40, 30],
      [0, 5],
    ]);
  });

  it("the guard's cut and whole drops pay their bytes, the whole drop one host call too", () => {
    const { wasi, charged } = wasiWithBudget();
    wasi.output.drop(30);
    wasi.output.dropWrite(65536);
    assert.deepEqual(charged, [
      [0, 30],
      [0, 65536],
    ]);
  });

  it('the price: a host call, 8 a byte read, 3 a byte dropped', () => {
    assert.equal(outputFuel(0, 65536), HOST_CALL_COST + 65536 * DROPPED_OUTPUT_FUEL_PER_BYTE);
    assert.equal(outputFuel(40, 30), HOST_CALL_COST + 40 * OUTPUT_FUEL_PER_BYTE + 30 * DROPPED_OUTPUT_FUEL_PER_BYTE);
    assert.equal(droppedOutputFuel(30), 30 * DROPPED_OUTPUT_FUEL_PER_BYTE);
    assert.equal(droppedOutputFuel(-1), 0);
    assert.ok(
      DROPPED_OUTPUT_FUEL_PER_BYTE > 0 && DROPPED_OUTPUT_FUEL_PER_BYTE < OUTPUT_FUEL_PER_BYTE,
      'a dropped byte costs the host less than a byte read',
    );
  });
});

/** The budget as the guard asks it, with the host calls `dropWrite` charged counted. */
function guardOutput(b: OutputBudget): { room(): number; drop(bytes: number): void; dropWrite(bytes: number): void; charged: number } {
  return {
    charged: 0,
    room: () => b.room(),
    drop: (bytes) => b.drop(bytes),
    dropWrite(bytes) {
      b.drop(bytes);
      this.charged++;
    },
  };
}

/** The log's handles of an instance whose guest got stdout as `handle`. */
function stdoutAt(handle: number): LogStreamHandles {
  const logs = new LogStreamHandles();
  (logs.guardGetters({ 'get-stdout': () => handle })['get-stdout'] as () => number)();
  return logs;
}

describe('stream lift guard', () => {
  it("never cuts a write to a stream that is not stdout's or stderr's (a file's, decision 2191), also once a dropped stdout's handle is reused", () => {
    const b = new OutputBudget(10);
    const lifted: [number, number][] = [];
    const glue = (self: number, _ptr: number, len: number, _ret: number): void => void lifted.push([self, len]);
    const dropped: number[] = [];
    const logs = stdoutAt(3);
    const guarded = guardStreamImports(
      { '[method]output-stream.write': glue, '[resource-drop]output-stream': (h: number) => void dropped.push(h) },
      guardOutput(b),
      () => [],
      logs,
    );
    const write = guarded['[method]output-stream.write'] as typeof glue;
    write(5, 64, 4096, 8); // a file's stream: whole
    write(3, 64, 4096, 8); // stdout: cut to the budget
    (guarded['[resource-drop]output-stream'] as (h: number) => void)(3);
    write(3, 64, 4096, 8); // the number reused by a file's stream: whole
    assert.deepEqual(lifted, [
      [5, 4096],
      [3, 10],
      [3, 4096],
    ]);
    assert.deepEqual(dropped, [3], 'the drop reaches the glue');
  });

  it('answers a write past a spent budget itself, ok stored at its retptr, without entering the glue', () => {
    const b = new OutputBudget(1000);
    const output = guardOutput(b);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = new Uint8Array(memory.buffer);
    const lifted: number[] = [];
    const glue = (_self: number, _ptr: number, len: number, ret: number): void => {
      lifted.push(len);
      b.admit(len);
      bytes[ret] = 0;
    };
    const guarded = guardStreamImports({ '[method]output-stream.blocking-write-and-flush': glue }, output, () => [memory], stdoutAt(3));
    const write = guarded['[method]output-stream.blocking-write-and-flush'] as typeof glue;
    write(3, 64, 600, 8);
    write(3, 64, 600, 8); // cut to the 400 left: through the glue
    bytes[16] = 0xff;
    write(3, 64, 65536, 16); // nothing left: answered here
    write(3, 64, 65536, 16);
    assert.deepEqual(lifted, [600, 400]);
    assert.equal(bytes[16], 0, 'ok (discriminant 0) stored at the retptr');
    assert.equal(output.charged, 2, 'each write answered here is charged one host call');
    assert.equal(b.end(), 200 + 2 * 65536);
  });

  it('with several memories, learns the one the glue stores results in from a write it answers, and leaves the others as they were', () => {
    const b = new OutputBudget(100);
    const output = guardOutput(b);
    const engine = new WebAssembly.Memory({ initial: 1 });
    const adapter = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(engine.buffer)[8] = 7;
    new Uint8Array(adapter.buffer)[8] = 9;
    const lifted: number[] = [];
    const glue = (_self: number, _ptr: number, len: number, ret: number): void => {
      lifted.push(len);
      b.admit(len);
      new Uint8Array(adapter.buffer)[ret] = 0; // jco's memory0 is the adapter's here
    };
    const guarded = guardStreamImports({ '[method]output-stream.write': glue }, output, () => [engine, adapter], stdoutAt(3));
    const write = guarded['[method]output-stream.write'] as (...a: number[]) => void;
    write(3, 64, 100, 8); // within the budget: through the glue, which shows where results go
    assert.equal(new Uint8Array(engine.buffer)[8], 7, "the other memory's byte is restored");
    new Uint8Array(adapter.buffer)[8] = 9;
    write(3, 64, 100, 8); // past it: answered here, in the learnt memory
    assert.deepEqual(lifted, [100]);
    assert.deepEqual([new Uint8Array(engine.buffer)[8], new Uint8Array(adapter.buffer)[8]], [7, 0]);
    assert.equal(output.charged, 1);
  });

  it('goes through the glue cut to nothing while the memory results go to is not known', () => {
    for (const known of [[], [new WebAssembly.Memory({ initial: 1 }), new WebAssembly.Memory({ initial: 1 })]]) {
      const b = new OutputBudget(0);
      const output = guardOutput(b);
      const lifted: number[] = [];
      const glue = (_self: number, _ptr: number, len: number): void => void lifted.push(len); // stores no result
      const guarded = guardStreamImports({ '[method]output-stream.write': glue }, output, () => known, stdoutAt(3));
      const write = guarded['[method]output-stream.write'] as (...a: number[]) => void;
      write(3, 64, 100, 8);
      write(3, 64, 100, 8);
      assert.deepEqual(lifted, [0, 0]);
      assert.equal(output.charged, 0);
      assert.equal(b.end(), 200);
      for (const m of known) assert.equal(new Uint8Array(m.buffer)[8], 0, 'bytes the glue did not write are restored');
    }
  });

  it('a retptr outside the memory goes through the glue (which traps on it as it would have)', () => {
    const b = new OutputBudget(0);
    const output = guardOutput(b);
    const lifted: number[] = [];
    const glue = (_self: number, _ptr: number, len: number): void => void lifted.push(len);
    const guarded = guardStreamImports(
      { '[method]output-stream.write': glue },
      output,
      () => [new WebAssembly.Memory({ initial: 1 })],
      stdoutAt(3),
    );
    (guarded['[method]output-stream.write'] as (...a: number[]) => void)(3, 64, 100, 65536);
    assert.deepEqual(lifted, [0]);
  });

  it('hands the glue a write cut to what the call may still write, and counts the cut bytes as dropped', () => {
    const b = new OutputBudget(1000);
    /** jco's glue as the guard calls it: lifts `len` bytes at `ptr` (here: the lengths it was asked to lift). */
    const lifted: number[] = [];
    const glue = (self: number, ptr: number, len: number, ret: number): void => {
      assert.deepEqual([self, ptr, ret], [3, 64, 8]);
      lifted.push(len);
      b.admit(len); // the write that the glue calls reads what it was handed
    };
    // No memory known: every write goes through the glue, cut to what is left.
    const guarded = guardStreamImports(
      { '[method]output-stream.blocking-write-and-flush': glue, '[method]output-stream.write': glue, other: 1 },
      guardOutput(b),
      () => [],
      stdoutAt(3),
    );
    const write = guarded['[method]output-stream.blocking-write-and-flush'] as typeof glue;
    write(3, 64, 600, 8);
    write(3, 64, 600, 8);
    (guarded['[method]output-stream.write'] as typeof glue)(3, 64, 0xffff_fff0, 8); // a length the guest claims: never lifted
    assert.deepEqual(lifted, [600, 400, 0]);
    assert.equal(b.end(), 200 + 0xffff_fff0);
    assert.equal(guarded['other'], 1);
  });
});
