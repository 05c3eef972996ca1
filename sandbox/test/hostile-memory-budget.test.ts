/**
 * One memory budget per agent, across all its memories: a component with K core modules does not
 * get K × the cap. Real instrumentation (fuel pass + limit rewrite) of hand-written modules, their
 * memories created by InstanceMemories and their growth asked of it through the meter's grow hook.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { instrumentModule } from '../src/artifact/instrument.js';
import { FuelMeter } from '../src/fuel/meter.js';
import { FUEL_EXPORT, FUEL_IMPORT_MODULE } from '../src/fuel/names.js';
import { InstanceMemories } from '../src/instance.js';
import { MEMORY_IMPORT_MODULE } from '../src/limits/rewrite.js';
import { SandboxError } from '../src/errors.js';

let parse: (wat: string) => Promise<Uint8Array>;
before(async () => {
  parse = (await import('@bytecodealliance/jco')).parse;
});

/** A module that grows its own memory (no declared maximum: it would take all it is given). */
const GROWER = `(module (memory 2)
  (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n)))
  (func (export "pages") (result i32) (memory.size)))`;

type Grower = { grow(n: number): number; pages(): number };

async function instantiateAll(
  count: number,
  capPages: number,
): Promise<{ modules: Grower[]; memories: InstanceMemories; meter: FuelMeter }> {
  const instrumented = instrumentModule(await parse(GROWER), { tableCap: 1000 });
  const compiled = new WebAssembly.Module(instrumented.bytes);
  const memories = new InstanceMemories(capPages, 'memory-spreader');
  const meter = new FuelMeter();
  const modules: Grower[] = [];
  for (let i = 0; i < count; i++) {
    const own = instrumented.memories.map((m) => memories.create(m.initialPages, m.declaredMaxPages));
    const instance = new WebAssembly.Instance(compiled, {
      [MEMORY_IMPORT_MODULE]: Object.fromEntries(instrumented.memories.map((m, k) => [m.field, own[k]!])),
      [FUEL_IMPORT_MODULE]: meter.importsFor(
        () => own[0] ?? null,
        (pages) => memories.admits(pages),
      ) as Record<string, WebAssembly.ImportValue>,
    });
    meter.attach(instance.exports[FUEL_EXPORT] as WebAssembly.Global);
    modules.push(instance.exports as unknown as Grower);
  }
  meter.begin(1_000_000_000);
  return { modules, memories, meter };
}

describe('one memory budget per agent', () => {
  it('growth spread over four modules stops at the agent cap, not at four times it', async () => {
    const cap = 64;
    const { modules, memories } = await instantiateAll(4, cap);
    assert.equal(memories.pages(), 8, 'four memories of 2 pages each');
    // Each module grows one page at a time until refused: the total never passes the cap.
    for (let round = 0; round < 100; round++) for (const m of modules) m.grow(1);
    assert.equal(memories.pages(), cap, 'exactly the cap, shared by all four');
    for (const m of modules) assert.equal(m.grow(1), -1, 'every module now sees memory.grow fail');
    assert.equal(
      modules.reduce((s, m) => s + m.pages(), 0),
      cap,
    );
  });

  it('a single large request that would pass the cap fails in the guest before anything is allocated', async () => {
    const { modules, memories } = await instantiateAll(2, 32);
    assert.equal(modules[0]!.grow(20), 2);
    assert.equal(modules[1]!.grow(20), -1, '2 + 22 + 20 would pass 32');
    assert.equal(memories.pages(), 24);
    assert.equal(modules[1]!.grow(8), 2, 'what is left can still be used');
    assert.equal(memories.pages(), 32);
  });

  it('memories that together start above the cap are refused with a typed error naming the cap', async () => {
    await assert.rejects(instantiateAll(3, 5), (err: unknown) => {
      assert.ok(err instanceof SandboxError);
      assert.equal(err.code, 'sandbox.limits.memory-below-initial');
      assert.match(err.message, /memory cap of 5 pages/);
      return true;
    });
  });

  it('a memory created late gets no more than what is left as its maximum', () => {
    const memories = new InstanceMemories(10);
    const a = memories.create(6, null);
    const b = memories.create(1, null);
    assert.equal(a.grow(0), 6);
    assert.throws(() => b.grow(4), RangeError, 'b was created with a maximum of 4 pages');
    assert.equal(b.grow(3), 1);
    assert.equal(memories.admits(0), true);
    assert.equal(memories.admits(1), false);
  });
});
