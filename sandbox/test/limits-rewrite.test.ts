/** The memory/table rewrite: pure byte surgery, checked by compiling and instantiating the result. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { LimitRewriteError, MEMORY_IMPORT_MODULE, rewriteLimits } from '../src/limits/rewrite.js';

let parse: (wat: string) => Promise<Uint8Array>;
before(async () => {
  parse = (await import('@bytecodealliance/jco')).parse;
});

describe('memory rewrite', () => {
  it("turns a defined memory into a host-provided import with the module's own limits", async () => {
    const src = await parse(`(module (memory (export "memory") 2 10) (data (i32.const 16) "hi")
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const { bytes, memories } = rewriteLimits(src, 1000);
    assert.deepEqual(memories, [{ field: 'memory0', initialPages: 2, declaredMaxPages: 10 }]);
    const mod = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: MEMORY_IMPORT_MODULE, name: 'memory0', kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 4 });
    const inst = new WebAssembly.Instance(mod, { [MEMORY_IMPORT_MODULE]: { memory0: memory } });
    assert.equal(inst.exports['memory'], memory, 'the module exports the host memory');
    assert.equal(new TextDecoder().decode(new Uint8Array(memory.buffer, 16, 2)), 'hi', 'data segments land in it');
    const grow = inst.exports['grow'] as unknown as (n: number) => number;
    assert.equal(grow(2), 2);
    assert.equal(grow(1), -1, "the host memory's maximum is the cap");
  });

  it('keeps other imports and their indices, appending the memory last', async () => {
    const src = await parse(`(module (import "env" "f" (func $f (param i32))) (memory 1)
      (func (export "g") (call $f (i32.load (i32.const 0)))))`);
    const { bytes } = rewriteLimits(src, 1000);
    const mod = new WebAssembly.Module(bytes);
    assert.deepEqual(
      WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`),
      ['env.f', `${MEMORY_IMPORT_MODULE}.memory0`],
    );
    let seen = -1;
    const inst = new WebAssembly.Instance(mod, {
      env: { f: (v: number) => void (seen = v) },
      [MEMORY_IMPORT_MODULE]: { memory0: new WebAssembly.Memory({ initial: 1 }) },
    });
    (inst.exports['g'] as unknown as () => void)();
    assert.equal(seen, 0);
  });

  it('leaves modules without memories alone', async () => {
    const src = await parse('(module (func (export "f") (result i32) (i32.const 3)))');
    const { bytes, memories } = rewriteLimits(src, 1000);
    assert.deepEqual(memories, []);
    assert.deepEqual(bytes, src);
  });

  it('refuses shared memories and memory64', async () => {
    assert.throws(() => rewriteLimits(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 3, 1, 2]), 10), LimitRewriteError);
    assert.throws(() => rewriteLimits(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 1]), 10), /64-bit/);
  });
});

describe('table rewrite', () => {
  it("caps a table's declared maximum so table.grow fails past it", async () => {
    const src = await parse(`(module (table (export "t") 2 funcref)
      (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))`);
    const { bytes, tables } = rewriteLimits(src, 5);
    assert.deepEqual(tables, [{ initial: 2, declaredMax: null, cappedMax: 5 }]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const grow = inst.exports['grow'] as unknown as (n: number) => number;
    assert.equal(grow(3), 2);
    assert.equal(grow(1), -1);
  });

  it('refuses a table that starts above the cap', async () => {
    const src = await parse('(module (table 50 funcref))');
    assert.throws(() => rewriteLimits(src, 10), /starts with 50 elements/);
  });
});
