/**
 * Adversarial modules against the fuel pass's bounds (decision 1941): every endless loop and
 * recursion stops at a check, deterministically, and never runs more than a bounded stretch of
 * work past its budget — however deep the stack is when the budget runs out, whether the work
 * sits in loops (debt mode) or in `if` arms, on the way down or on the way back up.
 *
 * Each module counts its own work in an exported global, so what ran past the budget is measured
 * from inside the guest, not inferred from the meter.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import binaryen from 'binaryen';
import { instrumentFuel } from '../src/fuel/fuel-pass.js';
import { childrenOf } from '../src/fuel/expression-kinds.js';
import { FUEL_EXPORT } from '../src/fuel/names.js';
import { DEBT_FLUSH } from '../src/fuel/cost-model.js';
import type { Ref } from '../src/fuel/binaryen-api.js';
import { getId } from '../src/fuel/binaryen-api.js';

let parse: (wat: string) => Promise<Uint8Array>;
before(async () => {
  parse = (await import('@bytecodealliance/jco')).parse;
});

class Exhausted extends Error {}

interface Guest {
  exports: Record<string, (...a: number[]) => unknown>;
  fuel: { value: bigint };
  /** Units of work the guest counted (its exported `work` global). */
  work(): bigint;
}

/**
 * Instruments `core` as the sandbox would for an artifact that can (`catches`) or cannot catch
 * exceptions — without a handler, functions that call keep their loop charges as a debt, the
 * mode these tests attack — and instantiates it with a refill that refuses (as the host does
 * when the budget is spent; a JS exception here ends the call at the first failed check).
 */
function load(core: Uint8Array, catches: boolean): Guest {
  const { bytes } = instrumentFuel(core, 1, catches);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    'caxton:fuel': {
      refill: (v: bigint) => {
        throw new Exhausted(`out of fuel at ${v}`);
      },
      grow: (requested: number) => requested,
    },
  });
  const fuel = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
  const work = instance.exports['work'] as unknown as { value: bigint };
  return { exports: instance.exports as unknown as Guest['exports'], fuel, work: () => work.value };
}

/** Runs `f` on `budget`; returns the work done, asserting it ended at a failed check. */
function runDry(g: Guest, f: () => unknown, budget: bigint): bigint {
  const work0 = g.work();
  g.fuel.value = budget;
  assert.throws(f, Exhausted, 'stopped by a fuel check (not a stack overflow, not a normal return)');
  return g.work() - work0;
}

/** Fuel per unit of work: a finite run of `f(n)` against `f(0)`, with plenty of fuel. */
function fuelPerUnit(g: Guest, f: (n: number) => unknown, n: number): bigint {
  const spend = (k: number): [bigint, bigint] => {
    const w = g.work();
    g.fuel.value = 10n ** 12n;
    f(k);
    return [10n ** 12n - g.fuel.value, g.work() - w];
  };
  const [f0, w0] = spend(0);
  const [fn, wn] = spend(n);
  return (fn - f0) / (wn - w0);
}

const WORK = `(global $work (export "work") (mut i64) (i64.const 0))`;
const TICK = `(global.set $work (i64.add (global.get $work) (i64.const 1)))`;

/** A loop of `$n` iterations, one unit of work each. */
const LOOP = (n: string) => `(local.set $i (i32.const 0))
  (loop $l ${TICK} (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) ${n})))`;

/**
 * The overshoot decision 1941 states: at most one room of debt (DEBT_FLUSH plus the charge that
 * emptied it) and one straight-line stretch (here under 200 fuel) past the budget.
 */
const BOUND = BigInt(DEBT_FLUSH) + 200n;

describe('fuel bounds (decision 1941)', () => {
  for (const catches of [false, true]) {
    describe(catches ? 'an artifact that can catch (no debt in functions that call)' : 'an artifact without handlers (debt mode)', () => {
      it('stops deep recursion through a function whose loop keeps a debt, within one room of the budget', async () => {
        // Each frame runs ~700 fuel of loop (under one room) before recursing: frames that held
        // their debt across the call would do ~700 unpaid fuel each until the stack overflowed.
        const g = load(
          await parse(`(module ${WORK}
          (func $deep (param $n i32) (local $i i32) ${LOOP('(local.get $n)')} (call $deep (local.get $n)))
          (func $once (param $n i32) (local $i i32) ${LOOP('(local.get $n)')})
          (func (export "deep") (param $n i32) (call $deep (local.get $n)))
          (func (export "once") (param $n i32) (call $once (local.get $n))))`),
          catches,
        );
        const unit = fuelPerUnit(g, (n) => g.exports['once']!(n), 1000);
        const budget = 200_000n;
        const done = [0, 1, 2].map(() => runDry(g, () => g.exports['deep']!(100), budget));
        assert.equal(new Set(done).size, 1, `the same work on every run: ${done.join(', ')}`);
        assert.ok(done[0]! * unit <= budget + BOUND, `${done[0]} units × ${unit} fuel within ${budget} + ${BOUND}`);
        assert.ok(done[0]! * unit >= budget - BOUND, 'and it used its budget');
      });

      it('stops a stack that unwinds through loops, within one room of the budget', async () => {
        // Cheap on the way down (a few fuel a frame), ~900 fuel of loop per frame on the way back:
        // exits that settled without a check would let the whole stack unwind past the budget.
        const g = load(
          await parse(`(module ${WORK}
          (func $up (param $d i32) (param $n i32) (local $i i32)
            (if (local.get $d) (then (call $up (i32.sub (local.get $d) (i32.const 1)) (local.get $n))))
            ${LOOP('(local.get $n)')})
          (func (export "up") (param $d i32) (param $n i32) (call $up (local.get $d) (local.get $n))))`),
          catches,
        );
        const unit = fuelPerUnit(g, (n) => g.exports['up']!(0, n), 1000);
        const budget = 300_000n;
        const done = [0, 1, 2].map(() => runDry(g, () => g.exports['up']!(3000, 128), budget));
        assert.equal(new Set(done).size, 1);
        assert.ok(done[0]! * unit <= budget + BOUND, `${done[0]} units × ${unit} fuel within ${budget} + ${BOUND}`);
      });

      it('stops a stack that unwinds through `if` arms charged in place, within one stretch of the budget', async () => {
        // No loop at all: the work after the call is an arm too big to coalesce (40 units).
        const arm = Array.from({ length: 40 }, () => TICK).join(' ');
        const g = load(
          await parse(`(module ${WORK}
          (func $up (param $d i32) (param $k i32)
            (if (local.get $d) (then (call $up (i32.sub (local.get $d) (i32.const 1)) (local.get $k))))
            (if (local.get $k) (then ${arm})))
          (func (export "up") (param $d i32) (param $k i32) (call $up (local.get $d) (local.get $k))))`),
          catches,
        );
        const unit = fuelPerUnit(g, (k) => g.exports['up']!(k, 1), 1000) / 40n; // ≥ 3 fuel per unit
        const budget = 100_000n;
        const done = runDry(g, () => g.exports['up']!(8000, 1), budget);
        assert.ok(done * unit <= budget + BOUND, `${done} units × ${unit} fuel within ${budget} + ${BOUND}`);
      });

      it('stops endless mutual recursion between looping functions whose calls sit in `if` arms', async () => {
        const g = load(
          await parse(`(module ${WORK}
          (func $a (param $n i32) (local $i i32) ${LOOP('(i32.const 50)')} (if (local.get $n) (then (call $b (local.get $n)))))
          (func $b (param $n i32) (local $i i32) ${LOOP('(i32.const 60)')} (if (local.get $n) (then (call $a (local.get $n)))))
          (func (export "once") (param $n i32) (local $i i32) ${LOOP('(local.get $n)')})
          (func (export "ping") (param $n i32) (call $a (local.get $n))))`),
          catches,
        );
        // Units cost the same in $a, $b and once (the same loop body).
        const unit = fuelPerUnit(g, (n) => g.exports['once']!(n), 1000);
        const budget = 150_000n;
        const done = [0, 1, 2].map(() => runDry(g, () => g.exports['ping']!(1), budget));
        assert.equal(new Set(done).size, 1);
        assert.ok(done[0]! * unit <= budget + BOUND, `${done[0]} units × ${unit} within ${budget} + ${BOUND}`);
      });
    });
  }

  it('stops an endless loop whose every iteration settles before calling a leaf that does not check', async () => {
    // Settling before a call does not refill the room (decision 1941): were it refilled, this
    // loop's header would never find it empty, and nothing else on the loop's path checks.
    const g = load(
      await parse(`(module ${WORK}
      (func $leaf (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
      (func (export "spin") (local $i i32) (loop $l (local.set $i (call $leaf (local.get $i))) ${TICK} (br $l))))`),
      false,
    );
    const done = [0, 1, 2].map(() => runDry(g, () => g.exports['spin']!(), 100_000n));
    assert.equal(new Set(done).size, 1);
    assert.ok(done[0]! > 0n && done[0]! * 5n <= 100_000n + BOUND, `${done[0]} iterations of at least 5 fuel`);
  });

  it('charges calls from debt-mode loops exactly, whether settlements refill often or never', async () => {
    const core = await parse(`(module ${WORK}
      (func $leaf (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))
      (func $none ${TICK})
      (func (export "mix") (param $n i32) (result i32) (local $i i32) (local $s i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (call $leaf (local.get $i))))
          (call $none)
          (if (i32.and (local.get $i) (i32.const 7)) (then (drop (call $leaf (block (result i32) (loop $k (br_if $k (i32.const 0))) (local.get $s))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (if (i32.gt_u (local.get $s) (i32.const 1000000)) (then (return (call $leaf (local.get $s)))))
        (local.get $s)))`);
    const { bytes, stats } = instrumentFuel(core, 1, false);
    assert.ok(stats.debtModeFunctions >= 1, 'the calling loop keeps its debt');
    const run = (chunk: bigint | null, n: number): { result: number; charged: bigint; refills: number } => {
      let handed = 0n;
      let refills = 0;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
        'caxton:fuel': { refill: (v: bigint) => (refills++, (handed += (chunk ?? 0n) - v), chunk ?? 0n), grow: (r: number) => r },
      });
      const fuel = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
      fuel.value = chunk === null ? 10n ** 12n : 0n;
      const result = (instance.exports['mix'] as (n: number) => number)(n);
      const charged = chunk === null ? 10n ** 12n - fuel.value : handed - fuel.value;
      return { result, charged, refills };
    };
    for (const n of [3, 2000]) {
      const never = run(null, n);
      const often = run(5n, n);
      assert.equal(never.refills, 0);
      assert.ok(often.refills > (n > 100 ? 10 : 0), `refilled ${often.refills} times`);
      assert.equal(often.result, never.result);
      assert.equal(often.charged, never.charged, `n=${n}: the same fuel to the unit`);
    }
  });

  describe('tail calls and function references', () => {
    /** Legacy exception handling: wasm-tools does not parse it, binaryen does. */
    function fromText(wat: string): Uint8Array {
      const mod = binaryen.parseText(wat);
      mod.setFeatures(binaryen.Features.All);
      const bytes = mod.emitBinary();
      mod.dispose();
      return bytes;
    }

    const TAILS = `(module (type $t (func)) (table 1 funcref) (elem declare func $spin) (tag $e)
      ${WORK}
      (func $spin ${TICK} (return_call_indirect (type $t) (i32.const 0)))
      (func $self ${TICK} (return_call $self))
      (func $loopy (local $i i32) ${LOOP('(i32.const 30)')} (return_call $loopy))
      (func (export "indirect")
        (try (do (table.set (i32.const 0) (ref.func $spin))) (catch_all))
        (return_call_indirect (type $t) (i32.const 0)))
      (func (export "self") (return_call $self))
      ;; $spin is also called directly, so only its ref.func (inside the try) keeps it from being
      ;; caller-paid (decision 1941): missed, nothing would pay its entry on the indirect path.
      (func (export "direct")
        (try (do (table.set (i32.const 0) (ref.func $spin))) (catch_all))
        (call $spin))
      (func (export "loopy") (return_call $loopy)))`;

    for (const f of ['indirect', 'direct', 'self', 'loopy']) {
      for (const catches of [true, false]) {
        it(`stops an endless ${f} tail-call loop (ref.func inside try/catch; artifact ${catches ? 'catches' : 'does not catch'})`, () => {
          const g = load(fromText(TAILS), catches);
          const done = [0, 1, 2].map(() => runDry(g, () => g.exports[f]!(), 50_000n));
          assert.equal(new Set(done).size, 1, 'the same work on every run');
          assert.ok(done[0]! > 0n && done[0]! <= 50_000n, `${done[0]} units, each paying at least 1 fuel`);
        });
      }
    }

    it('walks into every structured instruction: a ref.func inside a try body and a catch body is found', () => {
      const mod = binaryen.parseText(`(module (type $t (func)) (elem declare func $a $b) (tag $e)
        (func $a) (func $b)
        (func $f (result i32)
          (try (do (drop (ref.func $a))) (catch $e (drop (ref.func $b))) (catch_all))
          (loop $l (if (i32.const 0) (then (drop (ref.func $a))) (else (nop))))
          (i32.const 0)))`);
      mod.setFeatures(binaryen.Features.All);
      try {
        const stack: Ref[] = [binaryen.getFunctionInfo(mod.getFunction('f')).body as unknown as Ref];
        let refs = 0;
        while (stack.length > 0) {
          const e = stack.pop()!;
          if (getId(e) === binaryen.RefFuncId) refs++;
          childrenOf(e, stack);
        }
        assert.equal(refs, 3, 'the try body, the catch body and the loop body');
      } finally {
        mod.dispose();
      }
    });
  });
});
