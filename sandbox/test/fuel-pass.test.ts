/** The binaryen fuel pass on small hand-written modules: exact, deterministic, and it stops loops. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { instrumentFuel } from '../src/fuel/fuel-pass.js';
import { FUEL_EXPORT } from '../src/fuel/names.js';
import { BULK_BYTES_SHIFT, DEBT_FLUSH, GROW_PAGE_COST } from '../src/fuel/cost-model.js';

let parse: (wat: string) => Promise<Uint8Array>;
before(async () => {
  parse = (await import('@bytecodealliance/jco')).parse;
});

class Exhausted extends Error {}

interface Metered {
  exports: Record<string, (...a: number[]) => number>;
  fuel: { value: bigint };
  refills: bigint[];
  grows: [number, number][];
}

async function meter(wat: string): Promise<Metered> {
  const { bytes } = instrumentFuel(await parse(wat), 1);
  const refills: bigint[] = [];
  const grows: [number, number][] = [];
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    'caxton:fuel': {
      refill: (v: bigint) => {
        refills.push(v);
        throw new Exhausted(`out of fuel at ${v}`);
      },
      // Answers the delta to use: the request (the host's agent-wide budget is tested elsewhere).
      grow: (requested: number, current: number) => (grows.push([requested, current]), requested),
    },
  });
  const fuel = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
  return { exports: instance.exports as unknown as Metered['exports'], fuel, refills, grows };
}

function spend(m: Metered, f: () => unknown, budget = 1_000_000_000n): bigint {
  m.fuel.value = budget;
  f();
  return budget - m.fuel.value;
}

const LOOP = `(module
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func (export "forever") (loop $l (br $l))))`;

describe('fuel pass', () => {
  it('charges a counted loop linearly and identically on every run', async () => {
    const m = await meter(LOOP);
    const costs = [0, 10, 20, 30, 1000].map((n) => spend(m, () => m.exports['sum']!(n)));
    const perIteration = costs[2]! - costs[1]!;
    assert.ok(perIteration > 0n);
    assert.equal(costs[3]! - costs[2]!, perIteration);
    assert.equal(costs[4]! - costs[0]!, perIteration * 100n);
    assert.equal(spend(m, () => m.exports['sum']!(1000)), costs[4], 'deterministic');
    assert.equal(m.exports['sum']!(4), 0 + 1 + 4 + 9, 'semantics unchanged');
  });

  it('stops an infinite loop through the refill import once the budget is spent', async () => {
    const m = await meter(LOOP);
    m.fuel.value = 10_000n;
    assert.throws(() => m.exports['forever']!(), Exhausted);
    assert.equal(m.refills.length, 1);
    assert.ok(m.refills[0]! < 0n && m.refills[0]! > -BigInt(DEBT_FLUSH + 10), `traps within ${DEBT_FLUSH} fuel after the budget ran out`);
  });

  it('makes an interpreter-style br_table dispatch pay for the case it runs, not every case', async () => {
    // Eight nested blocks; br_table jumps to the end of block $c{op}, where case op's handler is.
    // Handlers appear innermost first: the code after `$c7` closes is case 7's, …, after `$c0`, case 0's.
    const opens = Array.from({ length: 8 }, (_, k) => `(block $c${k}`).join(' ');
    const handler = (k: number) =>
      `) ${Array.from({ length: 20 }, () => `(local.set $acc (i32.add (local.get $acc) (i32.const ${k + 1})))`).join(' ')} (br $out)`;
    const handlers = Array.from({ length: 8 }, (_, i) => handler(7 - i)).join(' ');
    const wat = `(module (func (export "dispatch") (param $op i32) (result i32) (local $acc i32)
      (block $out ${opens} (br_table ${Array.from({ length: 8 }, (_, k) => `$c${k}`).join(' ')} (local.get $op)) ${handlers})
      (local.get $acc)))`;
    const m = await meter(wat);
    const one = spend(m, () => m.exports['dispatch']!(3));
    assert.equal(m.exports['dispatch']!(3), 80);
    assert.ok(one < 2n * 8n * 20n, `one case cost ${one}, far below the sum of all eight`);
    assert.equal(spend(m, () => m.exports['dispatch']!(5)), one, 'cases of equal size cost the same');
  });

  it('charges bulk memory by length, before the copy runs', async () => {
    const m = await meter(`(module (memory 32)
      (func (export "fill") (param $n i32) (memory.fill (i32.const 0) (i32.const 7) (local.get $n))))`);
    const small = spend(m, () => m.exports['fill']!(16));
    const big = spend(m, () => m.exports['fill']!(1 << 20));
    assert.equal(big - small, BigInt(((1 << 20) >> BULK_BYTES_SHIFT) - (16 >> BULK_BYTES_SHIFT)));
    m.fuel.value = 100n;
    assert.throws(() => m.exports['fill']!(1 << 20), Exhausted, 'a huge fill cannot outrun its budget');
  });

  it('reports every memory.grow to the host with the size before it, and charges per page', async () => {
    const m = await meter(`(module (memory 1 3)
      (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n))))`);
    const one = spend(m, () => m.exports['grow']!(1));
    const refused = spend(m, () => m.exports['grow']!(5));
    assert.deepEqual(m.grows, [[1, 1], [5, 2]]);
    assert.equal(m.exports['grow']!(5), -1, 'growth past the declared maximum still fails in the guest');
    assert.equal(refused - one, BigInt(4 * GROW_PAGE_COST));
  });

  it('refuses modules with several memories', async () => {
    await assert.rejects(async () => instrumentFuel(await parse('(module (memory 1) (memory 1))'), 2), /more than one memory/);
  });
});
