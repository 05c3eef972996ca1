/**
 * Memories recycled between instances (decision 2194): a memory given back is zeroed and handed to
 * the next instance of its shape, which starts exactly as on a fresh memory (its data segments
 * written again); a grown memory, a large one, or one past the pool's bounds is not kept; and a
 * released agent instance never runs again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import binaryen from 'binaryen';
import { DEFAULT_MEMORY_POOL_LIMITS, MemoryPool, THREAD_MEMORY_POOL } from '../src/memory-pool.js';
import { InstanceMemories, type GuestInstance } from '../src/instance.js';
import { AgentSandbox } from '../src/agent-sandbox.js';
import { Engine } from '../src/engine.js';
import { TEST_ENGINE_CACHE, asProbe } from './fixtures/build.js';

/** A module on an imported memory, with "hi" at 0 from a data segment: poke, peek and grow. */
function module(): WebAssembly.Module {
  const mod = binaryen.parseText(`(module
    (import "env" "mem" (memory 1 8))
    (data (i32.const 0) "hi")
    (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "grow") (result i32) (memory.grow (i32.const 1))))`);
  const bytes = mod.emitBinary();
  mod.dispose();
  return new WebAssembly.Module(bytes);
}

type Exports = { poke(a: number, v: number): void; peek(a: number): number; grow(): number };
const instance = (m: WebAssembly.Module, memory: WebAssembly.Memory): Exports =>
  new WebAssembly.Instance(m, { env: { mem: memory } }).exports as unknown as Exports;

describe('MemoryPool', () => {
  it('gives a kept memory back zeroed, and the next instance starts as on a fresh one', () => {
    const pool = new MemoryPool();
    const m = module();
    const first = pool.take(1, 8);
    const a = instance(m, first);
    a.poke(100, 7);
    a.poke(0, 0x41);
    a.poke(65_535, 9); // the last byte: another OS page, zeroed on its own
    pool.give(first, 1, 8);
    assert.equal(pool.keptPages(), 1);
    const second = pool.take(1, 8);
    assert.equal(second, first, 'the same memory, recycled');
    assert.deepEqual([pool.reused, pool.created], [1, 1]);
    const b = instance(m, second);
    assert.equal(b.peek(100), 0, 'what the last instance wrote is gone');
    assert.equal(b.peek(65_535), 0, 'on every page it wrote');
    assert.ok(
      new Uint8Array(second.buffer).subarray(2).every((x) => x === 0),
      'every byte but the data segment is zero',
    );
    assert.equal(String.fromCharCode(b.peek(0), b.peek(1)), 'hi', 'the data segments are written again');
  });

  it('keeps only memories of their starting size, small and not empty ones, within its bounds, and each once', () => {
    const m = module();
    const pool = new MemoryPool({ maxPages: 4, perShape: 2, maxKept: 3, maxShapes: 2, idleMs: 60_000 });
    const grown = pool.take(1, 8);
    instance(m, grown).grow();
    pool.give(grown, 1, 8);
    assert.equal(pool.keptMemories(), 0, 'a grown memory is not the shape it was taken as');
    pool.give(new WebAssembly.Memory({ initial: 5, maximum: 8 }), 5, 8);
    assert.equal(pool.keptMemories(), 0, 'too large to keep');
    pool.give(new WebAssembly.Memory({ initial: 0, maximum: 8 }), 0, 8);
    assert.equal(pool.keptMemories(), 0, 'an empty memory is never kept (it would count as nothing)');
    const one = new WebAssembly.Memory({ initial: 1, maximum: 8 });
    pool.give(one, 1, 8);
    pool.give(one, 1, 8);
    assert.equal(pool.keptMemories(), 1, 'a memory given twice is kept once');
    pool.give(new WebAssembly.Memory({ initial: 1, maximum: 8 }), 1, 8);
    pool.give(new WebAssembly.Memory({ initial: 1, maximum: 8 }), 1, 8);
    assert.equal(pool.keptMemories(), 2, 'at most two of one shape');
    pool.give(new WebAssembly.Memory({ initial: 1, maximum: 9 }), 1, 9);
    pool.give(new WebAssembly.Memory({ initial: 1, maximum: 10 }), 1, 10);
    assert.equal(pool.keptMemories(), 3, 'at most two shapes at once');
    pool.give(new WebAssembly.Memory({ initial: 2, maximum: 9 }), 2, 9);
    assert.equal(pool.keptMemories(), 3, 'at most three memories in all');
    assert.notEqual(pool.take(1, 4), one, 'another shape (maximum) is another memory');
    pool.take(1, 9);
    pool.give(new WebAssembly.Memory({ initial: 1, maximum: 10 }), 1, 10);
    assert.equal(pool.keptMemories(), 3, 'a shape whose last memory was taken makes room for another');
  });

  it('lets go of a memory not taken again within its idle time, the oldest first', () => {
    let now = 0;
    const pool = new MemoryPool({ ...DEFAULT_MEMORY_POOL_LIMITS, idleMs: 1000 }, () => now);
    const a = new WebAssembly.Memory({ initial: 1, maximum: 8 });
    const b = new WebAssembly.Memory({ initial: 1, maximum: 8 });
    pool.give(a, 1, 8);
    now = 600;
    pool.give(b, 1, 8);
    now = 1000;
    pool.trim();
    assert.equal(pool.keptMemories(), 1, 'the one kept 1000 ms is let go');
    assert.equal(pool.keptPages(), 1);
    assert.equal(pool.take(1, 8), b, 'the younger one is still there');
    pool.give(b, 1, 8); // kept again at 1000
    now = 1999;
    pool.trim();
    assert.equal(pool.keptMemories(), 1, 'not yet: kept 999 ms');
    now = 2000;
    pool.trim();
    assert.equal(pool.keptMemories(), 0);
    assert.equal(pool.keptPages(), 0);
  });

  it('lets go of every memory it keeps when a new one cannot be reserved, and tries once more', () => {
    let failures = 1;
    const made: WebAssembly.Memory[] = [];
    const pool = new MemoryPool(DEFAULT_MEMORY_POOL_LIMITS, undefined, (initial, maximum) => {
      // V8 when the address space is spent: RangeError "could not allocate memory".
      if (failures-- > 0) throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      const m = new WebAssembly.Memory({ initial, maximum });
      made.push(m);
      return m;
    });
    for (let i = 0; i < 3; i++) pool.give(new WebAssembly.Memory({ initial: 1, maximum: 8 }), 1, 8);
    const other = pool.take(2, 8); // another shape: none kept, so one is made, and the first try fails
    assert.equal(other, made[0], 'made on the second try');
    assert.equal(pool.keptMemories(), 0, 'what it kept was let go for V8 to collect');
    assert.equal(pool.released, 1);
    failures = 1;
    assert.throws(() => pool.take(2, 8), /could not allocate memory/, "with nothing kept, the failure is the caller's");
  });

  it("files an instance's memories by the shape they were made with", () => {
    const pool = new MemoryPool();
    const memories = new InstanceMemories(10, 'a', pool);
    const made = memories.create(1, null);
    memories.release();
    assert.equal(memories.pages(), 0);
    assert.equal(new InstanceMemories(10, 'b', pool).create(1, null), made, 'the same budget: the same shape');
    assert.notEqual(new InstanceMemories(20, 'c', pool).create(1, null), made, 'another budget: another maximum');
  });
});

describe('an agent instance and the pool', () => {
  it("a stopped agent's instance gives its memory to the next instance, and never runs again", async () => {
    const engine = new Engine({ cacheDir: TEST_ENGINE_CACHE });
    const artifact = await engine.loadArtifact(await asProbe());
    assert.equal(artifact.manifest.path, 'direct');
    const env = { directory: () => ({ version: 0, byType: {} }), clock: Date.now, newId: () => 'id' };
    const spec = (name: string) => ({ name, artifact: { digest: artifact.digest } });
    const a = new AgentSandbox(spec('a@test'), artifact, env);
    a.start();
    const released = (a as unknown as { instance: GuestInstance }).instance;
    a.stop();
    const reused = THREAD_MEMORY_POOL.reused;
    const b = new AgentSandbox(spec('b@test'), artifact, env);
    b.start();
    assert.equal(b.metrics().state, 'running');
    assert.equal(THREAD_MEMORY_POOL.reused, reused + 1, "b runs on a's memory, zeroed");
    assert.throws(() => released.onTimer('t'), /this instance was released/);
    b.stop();
  });
});
