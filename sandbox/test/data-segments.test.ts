/** Close data segments merged by the fuel pass (decision 2113): fewer segments, the same memory. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MAX_MERGE_GAP, mergeDataSegments } from '../src/fuel/data-segments.js';
import { instrumentFuel } from '../src/fuel/fuel-pass.js';
import { ByteReader, readSections } from '../src/binary/reader.js';

let parse: (wat: string) => Promise<Uint8Array>;
before(async () => {
  parse = (await import('@bytecodealliance/jco')).parse;
});

/** The data segment count (data section) and the data count section's value, if any. */
function counts(bytes: Uint8Array): { segments: number; dataCount: number | undefined } {
  let segments = 0;
  let dataCount: number | undefined;
  for (const s of readSections(bytes)) {
    if (s.id === 11) segments = new ByteReader(bytes, s.bodyStart, s.end).u32();
    if (s.id === 12) dataCount = new ByteReader(bytes, s.bodyStart, s.end).u32();
  }
  return { segments, dataCount };
}

const fuelImports = { 'caxton:fuel': { refill: (v: bigint) => v + 1_000_000n, grow: (requested: number) => requested } };

/** The memory an instance of `bytes` starts with (the module exports it as "memory"). */
function memoryOf(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Uint8Array {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  return new Uint8Array((instance.exports['memory'] as WebAssembly.Memory).buffer);
}

/** `n` small segments a few bytes apart, as AssemblyScript lays out its static strings. */
function closeSegments(n: number, from = 1024): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `(data (i32.const ${from + i * 12}) "s${String(i).padStart(3, '0')}")\n`;
  return out;
}

describe('merging data segments', () => {
  it('merges close segments into one that starts the memory with the same bytes', async () => {
    const core = await parse(`(module (memory (export "memory") 1) ${closeSegments(40)} (data (i32.const 2000) "tail"))`);
    const merged = mergeDataSegments(core);
    assert.deepEqual([merged.before, merged.after], [41, 1]);
    assert.equal(counts(merged.bytes).segments, 1);
    assert.ok(WebAssembly.validate(merged.bytes));
    assert.deepEqual(memoryOf(merged.bytes), memoryOf(core));
  });

  it('keeps apart segments farther apart than the gap limit, passive ones and those at a computed offset', async () => {
    const far = 1024 + 8 + MAX_MERGE_GAP + 1;
    const core = await parse(`(module (import "env" "g" (global $g i32)) (memory (export "memory") 1)
      (data (i32.const 1024) "a") (data (i32.const 1028) "b")
      (data (i32.const ${far}) "far") (data (i32.const ${far + 4}) "c")
      (data "passive")
      (data (i32.const ${far + 8}) "d")
      (data (global.get $g) "global") (data (i32.const 9100) "e"))`);
    const merged = mergeDataSegments(core);
    // a+b | far+c | passive | d | global | e
    assert.deepEqual([merged.before, merged.after], [8, 6]);
    const c = counts(merged.bytes);
    assert.ok(c.dataCount === undefined || c.dataCount === c.segments);
    const env = { env: { g: 9000 } };
    assert.deepEqual(memoryOf(merged.bytes, env), memoryOf(core, env));
  });

  it('never writes zeros over what an earlier segment wrote: overlapping and descending ones stay apart', async () => {
    const core = await parse(`(module (memory (export "memory") 1)
      (data (i32.const 100) "aaaaaaaa") (data (i32.const 104) "BB") (data (i32.const 90) "cc")
      (data (i32.const 120) "d") (data (i32.const 124) "e"))`);
    const merged = mergeDataSegments(core);
    // 104 overlaps 100's; 90 is below both; 90+120 would zero 100's bytes; 120 and 124 start
    // above everything before them and merge.
    assert.deepEqual([merged.before, merged.after], [5, 4]);
    assert.deepEqual(memoryOf(merged.bytes), memoryOf(core));
    assert.equal(new TextDecoder().decode(memoryOf(merged.bytes).subarray(100, 108)), 'aaaaBBaa');
  });

  it('updates the data count section with the new number of segments', async () => {
    // memory.init needs the data count section; a module without code references keeps it valid too.
    const core = await parse(`(module (memory (export "memory") 1) ${closeSegments(5)} (func (export "f") (data.drop 0)))`);
    assert.equal(counts(core).dataCount, 5);
    const merged = mergeDataSegments(core);
    assert.deepEqual(counts(merged.bytes), { segments: 1, dataCount: 1 });
  });

  it('is done by the fuel pass when no instruction names a segment, and not when one does', async () => {
    const plain = await parse(`(module (memory (export "memory") 1) ${closeSegments(30)} (func (export "f")))`);
    const fueled = instrumentFuel(plain, 1);
    assert.deepEqual(fueled.stats.dataSegments, { before: 30, after: 1 });
    assert.equal(counts(fueled.bytes).segments, 1);
    assert.deepEqual(memoryOf(fueled.bytes, fuelImports), memoryOf(plain));

    // memory.init copies segment 1 by index: merging would renumber it, so nothing is merged.
    const indexed = await parse(`(module (memory (export "memory") 1) ${closeSegments(3)} (data "passive!")
      (func (export "init") (memory.init 3 (i32.const 4000) (i32.const 0) (i32.const 8))))`);
    const kept = instrumentFuel(indexed, 1);
    assert.equal(kept.stats.dataSegments, undefined);
    assert.equal(counts(kept.bytes).segments, 4);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(kept.bytes), fuelImports);
    (instance.exports['caxton:fuel'] as unknown as { value: bigint }).value = 1_000_000n;
    (instance.exports['init'] as () => void)();
    const mem = new Uint8Array((instance.exports['memory'] as WebAssembly.Memory).buffer);
    assert.equal(new TextDecoder().decode(mem.subarray(4000, 4008)), 'passive!');
  });
});
