/** The binaryen fuel pass on small hand-written modules: exact, deterministic, and it stops loops. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import binaryen from 'binaryen';
import { instrumentFuel, moduleHasHandler } from '../src/fuel/fuel-pass.js';
import { instrumentHere } from '../src/artifact/instrument-worker.js';
import { FUEL_EXPORT } from '../src/fuel/names.js';
import { BULK_BYTES_SHIFT, DEBT_FLUSH, GROW_PAGE_COST } from '../src/fuel/cost-model.js';
import { FuelMeter } from '../src/fuel/meter.js';

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
  return meterModule(await parse(wat));
}

function meterModule(core: Uint8Array, artifactCatches = true): Metered {
  const { bytes } = instrumentFuel(core, 1, artifactCatches);
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

/** fib(20)'s fuel under decision 1941's charges, measured on the pass before decision 2137 (which moved no charge). */
const FIB20_FUEL = 120_399n;

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
    assert.equal(
      spend(m, () => m.exports['sum']!(1000)),
      costs[4],
      'deterministic',
    );
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
    assert.equal(
      spend(m, () => m.exports['dispatch']!(5)),
      one,
      'cases of equal size cost the same',
    );
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
    assert.deepEqual(m.grows, [
      [1, 1],
      [5, 2],
    ]);
    assert.equal(m.exports['grow']!(5), -1, 'growth past the declared maximum still fails in the guest');
    assert.equal(refused - one, BigInt(4 * GROW_PAGE_COST));
  });

  describe('loops settled outside the loop (debt mode)', () => {
    // Loops of every block type, nested, left by `return` from inside; each charges per iteration.
    const SHAPES = `(module
      (func (export "valued") (param $n i32) (result i32) (local $i i32)
        (loop $l (result i32)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n)))
          (local.get $i)))
      (func (export "unreachable-typed") (param $n i32) (result i32) (local $i i32)
        (loop $l
          (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (i32.mul (local.get $i) (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
      (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
        (block $done
          (loop $outer
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $j (i32.const 0))
            (loop $inner
              (local.set $s (i32.add (local.get $s) (local.get $j)))
              (if (i32.gt_u (local.get $s) (i32.const 1000000)) (then (return (i32.const -1))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $inner (i32.lt_u (local.get $j) (i32.const 10))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $outer)))
        (local.get $s))
      (func (export "pair") (param $n i32) (result i32) (local $i i32)
        (loop $l (result i32 i32)
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n)))
          (local.get $i) (local.get $n))
        (i32.add)))`;

    /**
     * A meter whose refill covers the deficit plus `chunk` fuel: the counter runs dry at almost
     * every settlement, which then calls refill and re-enters its loop.
     */
    async function chunked(chunk: bigint): Promise<{ run(f: string, n: number): { result: number; charged: bigint; refills: number } }> {
      const { bytes } = instrumentFuel(await parse(SHAPES), 1);
      let handed = 0n;
      let refills = 0;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
        'caxton:fuel': { refill: (v: bigint) => (refills++, (handed += chunk - v), chunk), grow: (r: number) => r },
      });
      const fuel = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
      return {
        run(f, n) {
          handed = 0n;
          refills = 0;
          fuel.value = 0n;
          const result = (instance.exports[f] as (n: number) => number)(n);
          return { result, charged: handed - fuel.value, refills };
        },
      };
    }

    for (const [f, expect] of [
      ['valued', (n: number) => Math.max(n, 1)],
      ['unreachable-typed', (n: number) => 2 * n],
      ['nested', (n: number) => 45 * n],
      ['pair', (n: number) => Math.max(n, 1) + n],
    ] as const) {
      it(`${f}: same result and exactly the same fuel whether settlements refill often or never`, async () => {
        const m = await meter(SHAPES);
        const costs = [10, 20, 3000, 6000].map((n) => spend(m, () => assert.equal(m.exports[f]!(n), expect(n))));
        const perTen = costs[1]! - costs[0]!;
        assert.ok(perTen > 0n);
        assert.equal(costs[3]! - costs[2]!, perTen * 300n, 'linear across many settlements');
        // Tiny chunks make every settlement call refill and re-enter its loop: nothing is charged twice or lost.
        const often = await chunked(7n);
        const r = often.run(f, 6000);
        assert.equal(r.result, expect(6000));
        assert.ok(r.refills > 10, `settlements refilled ${r.refills} times`);
        assert.equal(r.charged, costs[3]!);
      });
    }

    it('stops an endless loop inside a valued, nested loop within one settlement of the budget', async () => {
      const m = await meter(`(module (func (export "spin") (result i32) (local $i i32)
        (loop $o (result i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))))`);
      m.fuel.value = 50_000n;
      assert.throws(() => m.exports['spin']!(), Exhausted);
      assert.ok(m.refills[0]! < 0n && m.refills[0]! > -BigInt(DEBT_FLUSH + 10));
    });
  });

  it('charges every loop iteration of a function an exception leaves, when the module can catch it', async () => {
    // Legacy exception handling: wasm-tools does not parse it, binaryen does.
    const binaryen = (await import('binaryen')).default;
    const mod = binaryen.parseText(`(module
      (tag $t)
      (func $work (param $n i32) (local $i i32)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (throw $t))
      (func (export "rounds") (param $r i32) (param $n i32) (local $k i32)
        (loop $again
          (try (do (call $work (local.get $n))) (catch_all))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $k) (local.get $r))))))`);
    mod.setFeatures(binaryen.Features.All);
    const core = mod.emitBinary();
    mod.dispose();
    assert.equal(instrumentFuel(core, 1).stats.debtModeFunctions, 0, 'no function that can be unwound keeps a debt');
    const m = meterModule(core);
    const rounds = (n: number) => spend(m, () => m.exports['rounds']!(10, n));
    // Each round's loop stays under one settlement: kept as debt, all of it would be lost to the unwind.
    const [a, b, c] = [100, 200, 300].map(rounds);
    assert.ok(b! - a! > 0n, `100 more iterations per round cost ${b! - a!}`);
    assert.equal(c! - b!, b! - a!, 'every iteration is paid');
    assert.ok(b! - a! >= 10n * 100n, 'at least 1 fuel per iteration, in all 10 rounds');
  });

  it('keeps no debt in a function that calls out when any module of the artifact can catch', async () => {
    // The handler can live in another core module of the same component: the answer is
    // artifact-wide (instrument-worker.ts asks moduleHasHandler of every module first).
    const calls = await parse(`(module (import "env" "f" (func $f))
      (func (export "w") (param $n i32) (local $i i32)
        (loop $l (call $f) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`);
    assert.equal(moduleHasHandler(calls), false);
    assert.equal(instrumentFuel(calls, 0).stats.debtModeFunctions, 0, 'by default (the safe answer) it pays at its headers');
    assert.equal(instrumentFuel(calls, 0, true).stats.debtModeFunctions, 0, 'another module of the artifact can catch');
    assert.equal(instrumentFuel(calls, 0, false).stats.debtModeFunctions, 1, 'no module can catch: its debt is safe');
    const leaf = await parse(`(module
      (func (export "w") (param $n i32) (local $i i32)
        (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`);
    assert.equal(instrumentFuel(leaf, 0, true).stats.debtModeFunctions, 1, 'a leaf loop keeps its debt even where handlers exist');

    const binaryen = (await import('binaryen')).default;
    const mod = binaryen.parseText(`(module (import "env" "f" (func $f)) (func (export "c") (try (do (call $f)) (catch_all))))`);
    mod.setFeatures(binaryen.Features.All);
    const catcher = mod.emitBinary();
    mod.dispose();
    assert.equal(moduleHasHandler(catcher), true);
    const [, loopModule] = await instrumentHere([catcher, calls], { tableCap: 1000 });
    assert.equal(loopModule!.fuel.debtModeFunctions, 0, 'the catcher in module 0 takes debt mode away from module 1');
    const [alone] = await instrumentHere([calls], { tableCap: 1000 });
    assert.equal(alone!.fuel.debtModeFunctions, 1, 'without it, module 1 keeps its debt');
  });

  it('refuses modules with several memories', async () => {
    await assert.rejects(async () => instrumentFuel(await parse('(module (memory 1) (memory 1))'), 2), /more than one memory/);
  });
});

describe('caller-paid entries (decision 1941)', () => {
  /** Runs `f` on a fresh budget; returns whether it ran dry (the refill import was reached). */
  function exhausts(m: Metered, f: () => unknown, budget: bigint): boolean {
    m.fuel.value = budget;
    try {
      f();
      return false;
    } catch (err) {
      if (err instanceof Exhausted) return true;
      throw err; // a stack overflow here would mean a recursion ran past every check
    }
  }

  it('stops endless recursion through functions only called directly, before the stack runs out', async () => {
    const m = await meter(`(module
      (func $self (call $self))
      (func $a (param $n i32) (if (local.get $n) (then (call $b (local.get $n)))))
      (func $b (param $n i32) (if (local.get $n) (then (call $a (local.get $n)))))
      (func $looping (param $n i32) (loop $l (call $looping (local.get $n)) (br_if $l (local.get $n))))
      (func (export "self") (call $self))
      (func (export "mutual") (call $a (i32.const 1)))
      (func (export "looping") (call $looping (i32.const 1))))`);
    // "looping" recurses from inside a loop whose header charges a debt the frame never settles:
    // only the entry check of the function stops it.
    for (const f of ['self', 'mutual', 'looping']) {
      for (let run = 0; run < 3; run++)
        assert.ok(
          exhausts(m, () => m.exports[f]!(), 5_000n),
          `${f} ran dry`,
        );
      assert.ok(m.fuel.value < 0n && m.fuel.value > -100n, `${f}: stopped at the first check past the budget (${m.fuel.value})`);
    }
  });

  it('stops endless recursion through a table (those functions pay their own entry)', async () => {
    const m = await meter(`(module (type $t (func)) (table 1 funcref) (elem (i32.const 0) $r)
      (func $r (call_indirect (type $t) (i32.const 0)))
      (func (export "go") (call $r)))`);
    assert.ok(exhausts(m, () => m.exports['go']!(), 5_000n));
  });

  it('charges a recursion the same on every run, its base case nothing itself, and an export its entry', async () => {
    const m = await meter(`(module
      (func $fib (param $n i32) (result i32)
        (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
          (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
      (func (export "fib") (param $n i32) (result i32) (call $fib (local.get $n)))
      (func (export "leaf") (param $n i32) (result i32) (i32.add (local.get $n) (i32.const 1))))`);
    const charged = [15, 20].map((n) => {
      const runs = new Set([0, 1, 2].map(() => spend(m, () => m.exports['fib']!(n))));
      assert.equal(runs.size, 1, `fib(${n}) charged identically on every run`);
      return [...runs][0]!;
    });
    // fib(20) makes 21,891 calls and fib(15) 1,973: the charge grows with the calls made.
    assert.ok(charged[1]! > charged[0]! * 10n, `fib(20) ${charged[1]} vs fib(15) ${charged[0]}`);
    assert.ok(charged[1]! >= 21_891n * 2n, 'every call pays at least its entry');
    assert.ok(spend(m, () => m.exports['leaf']!(1)) > 0n, 'an exported leaf pays through its wrapper');
    assert.equal(
      spend(m, () => m.exports['fib']!(0)),
      spend(m, () => m.exports['fib']!(1)),
      'both base cases cost the same',
    );
  });

  it('leaves functions the host or a table can enter charging their own entry', async () => {
    const core = await parse(`(module (table 1 funcref) (elem (i32.const 0) $t)
      (func $t (result i32) (i32.const 1))
      (func $internal (export "i") (result i32) (i32.const 2))
      (func $dead (result i32) (i32.const 3))
      (func (export "e") (result i32) (i32.add (call $t) (call $internal))))`);
    const { bytes, stats } = instrumentFuel(core, 1);
    // Only "i" is caller-paid: "e" is called by no one but the host, $t sits in a table, and $dead
    // is entered by nothing (it keeps its own charge).
    assert.equal(stats.exportWrappers, 1, 'the export of the caller-paid function is wrapped');
    assert.equal(stats.chargePoints, 4, 'e, $t and $dead charge at entry; the wrapper of i charges');
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes))
      .map((e) => e.name)
      .sort();
    assert.deepEqual(names, [FUEL_EXPORT, 'e', 'i'].sort(), 'exports keep their names');
    const m = meterModule(core);
    assert.ok(spend(m, () => m.exports['i']!()) > 0n, 'the host entering i pays its entry');
    assert.equal(m.exports['e']!(), 3);
  });
});

describe("the checks' out-of-line slow path (decision 2116)", () => {
  /** The instrumented module as text, one entry per function: its name and body. */
  function functionsOf(bytes: Uint8Array): { name: string; body: string }[] {
    const m = binaryen.readBinary(bytes);
    try {
      const out: { name: string; body: string }[] = [];
      for (let i = 0; i < m.getNumFunctions(); i++) {
        const info = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
        // Named as the text names it.
        if (!info.module) out.push({ name: `$${info.name}`, body: binaryen.emitText(info.body) });
      }
      return out;
    } finally {
      m.dispose();
    }
  }

  it('calls refill from one function, which every check calls, the guest cannot name, and is not metered', async () => {
    // Every kind of check: a loop header (a function that calls keeps no debt in a module that
    // catches), caller-paid entries and their export wrapper, calls, memory.grow, bulk memory.
    const core = await parse(`(module (memory 1)
      (func $fib (param $n i32) (result i32)
        (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
          (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
      (func (export "fib") (param $n i32) (result i32) (call $fib (local.get $n)))
      (func (export "loop") (param $n i32) (loop $l (drop (call $fib (i32.const 3))) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
      (func (export "grow") (result i32) (memory.fill (i32.const 0) (i32.const 0) (i32.const 100)) (memory.grow (i32.const 1))))`);
    const { bytes, stats } = instrumentFuel(core, 1);
    const whole = binaryen.readBinary(bytes);
    const text = whole.emitText();
    whole.dispose();
    const refill = /\(import "caxton:fuel" "refill" \(func (\$\S+)/.exec(text)?.[1];
    assert.ok(refill, 'the module imports refill');
    const callsTo = (body: string, fn: string): number => body.split(`(call ${fn}\n`).length - 1 + body.split(`(call ${fn})`).length - 1;
    const functions = functionsOf(bytes);
    const callers = functions.filter((f) => callsTo(f.body, refill) > 0);
    assert.equal(callers.length, 1, `refill is called from one function only, not from ${callers.length}`);
    const slow = callers[0]!;
    assert.equal(callsTo(slow.body, refill), 1);
    assert.ok(!slow.body.includes('(call $') || slow.body.split('(call $').length === 2, 'the slow path calls nothing but refill');
    assert.ok(slow.body.includes('unreachable'), 'the slow path traps when refill cannot cover the deficit');
    assert.ok(!slow.body.includes('i64.sub'), 'the slow path is not metered itself');
    const checks = functions.reduce((n, f) => n + callsTo(f.body, slow.name), 0);
    assert.equal(checks, stats.checks, 'every check calls the slow path, once');
    assert.ok(!text.includes(`(elem`) && !text.includes(`ref.func ${slow.name}`), 'no table or ref.func can reach it');
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes))
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    assert.deepEqual(exported, ['fib', 'grow', 'loop'], 'it is not exported');
    // And it still stops the guest: out of fuel in a loop of calls, and at a recursion's entry.
    const m = meterModule(core);
    m.fuel.value = 1_000_000n;
    assert.equal(m.exports['fib']!(10), 55);
    m.fuel.value = 1_000n;
    assert.throws(() => m.exports['loop']!(1_000_000), Exhausted);
    m.fuel.value = 1_000n;
    assert.throws(() => m.exports['fib']!(30), Exhausted);
  });

  it("leaves the counter at refill's answer when it traps, so the meter sees the whole deficit with several counters", async () => {
    // A real meter with two counters (a component's core modules): the other module holds the whole
    // budget when this one runs dry, refill moves it over and answers the deficit; the slow path
    // must store that answer before it traps (review of decision 2116: the caller's store never runs).
    const { bytes } = instrumentFuel(
      await parse(`(module (memory 1)
      (func (export "fill") (param $n i32) (memory.fill (i32.const 0) (i32.const 0) (local.get $n))))`),
      1,
    );
    const meter = new FuelMeter();
    const other = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      'caxton:fuel': meter.importsFor(
        () => null,
        () => true,
      ),
    });
    const counter = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
    meter.attach(other);
    meter.attach(counter as unknown as WebAssembly.Global);
    meter.begin(1000);
    other.value = meter.refill(0n);
    // The fill of 16,384 bytes is charged 1,025 (its size in 16-byte units and the instruction), 25
    // past the budget: before the fix the counter kept its value before refill (-1,025) and used()
    // read 2,024.
    assert.throws(() => (instance.exports['fill'] as (n: number) => void)(16_384), /unreachable/);
    assert.equal(counter.value, -25n, 'the counter holds the deficit refill answered');
    assert.equal(meter.used(), 1025, 'used() is what the call was charged');
  });
});

describe('entry checks only where a caller may not have checked (decision 2137)', () => {
  /**
   * Whether the `index`th function the module defines (source order; the pass keeps it, and its
   * output has no names) begins with a check of the counter.
   */
  function entryChecks(bytes: Uint8Array, index: number): boolean {
    const m = binaryen.readBinary(bytes);
    try {
      const defined = [];
      for (let i = 0; i < m.getNumFunctions(); i++) {
        const f = m.getFunctionByIndex(i);
        if (!binaryen.getFunctionInfo(f).module) defined.push(f);
      }
      const fn = defined[index]!;
      const body = binaryen.getExpressionInfo(binaryen.getFunctionInfo(fn).body) as binaryen.BlockInfo;
      const first = body.children?.[0];
      if (!first || binaryen.getExpressionId(first) !== binaryen.IfId) return false;
      const cond = binaryen.getExpressionInfo((binaryen.getExpressionInfo(first) as binaryen.IfInfo).condition) as binaryen.BinaryInfo;
      return cond.op === binaryen.LtSInt64 && binaryen.getExpressionId(cond.left) === binaryen.GlobalGetId;
    } finally {
      m.dispose();
    }
  }

  const FIB = `(func $fib (param $n i32) (result i32)
      (if (result i32) (i32.lt_s (local.get $n) (i32.const 2)) (then (local.get $n))
        (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
    (func (export "fib") (param $n i32) (result i32) (call $fib (local.get $n)))`;

  it('drops the entry check of a function whose every direct caller checked right before the call, and charges the same', async () => {
    const core = await parse(`(module ${FIB})`);
    assert.equal(entryChecks(instrumentFuel(core, 1).bytes, 0), false, 'the recursion checks in its arm, the export at its entry');
    const m = meterModule(core);
    // The charges are those of decision 1941's model, unchanged: only a check went.
    const runs = new Set([0, 1, 2].map(() => spend(m, () => m.exports['fib']!(20))));
    assert.deepEqual([...runs], [FIB20_FUEL], 'fib(20) charged as before, on every run');
  });

  it('keeps it where a caller settles a debt without a check, and both paths still run dry', async () => {
    const core = await parse(`(module ${FIB}
      (func $r (param $n i32) (if (local.get $n) (then (call $d (local.get $n)))))
      (func $d (param $n i32) (loop $l (call $r (local.get $n)) (br_if $l (local.get $n))))
      (func (export "arm") (call $r (i32.const 1)))
      (func (export "debt") (call $d (i32.const 1))))`);
    // Without a handler in the artifact $d keeps its loop's charges as a debt, settled before the
    // call without a check; with one, its header checks (decision 1941).
    for (const catches of [false, true]) {
      const { bytes } = instrumentFuel(core, 1, catches);
      assert.equal(entryChecks(bytes, 2), !catches, `$r checks at entry only where $d's loop keeps a debt (catches: ${catches})`);
      assert.equal(entryChecks(bytes, 3), false, `$r's arm checks before calling $d (catches: ${catches})`);
      const m = meterModule(core, catches);
      for (const f of ['arm', 'debt']) {
        m.fuel.value = 5_000n;
        assert.throws(() => m.exports[f]!(), Exhausted, `${f}: endless recursion runs dry, not off the stack`);
        assert.ok(m.fuel.value < 0n && m.fuel.value > -100n, `${f}: stopped at the first check past the budget (${m.fuel.value})`);
      }
    }
  });

  it('stops endless mutual recursion whose calls sit in checked arms, with no entry check on the way', async () => {
    const core = await parse(`(module
      (func $a (param $n i32) (if (local.get $n) (then (call $b (local.get $n)))))
      (func $b (param $n i32) (if (local.get $n) (then (call $a (local.get $n)))))
      (func (export "mutual") (call $a (i32.const 1))))`);
    const { bytes } = instrumentFuel(core, 1);
    assert.equal(entryChecks(bytes, 0) || entryChecks(bytes, 1), false, 'neither entry checks');
    const m = meterModule(core);
    for (let run = 0; run < 3; run++) {
      m.fuel.value = 5_000n;
      assert.throws(() => m.exports['mutual']!(), Exhausted, "each frame passes its caller's check");
      assert.ok(m.fuel.value < 0n && m.fuel.value > -100n, `stopped at the first check past the budget (${m.fuel.value})`);
    }
  });
});
