/**
 * The host side of fuel: one meter per agent instance. Each instrumented core module keeps its own
 * counter (its exported `caxton:fuel` global); the meter holds the rest of the call's budget in a
 * pool and rebalances when a module runs dry (`refill`), so however many modules a component has,
 * the call traps exactly when the sum of all charges exceeds the budget. Host calls are charged
 * from the same budget. The meter also records `memory.grow` requests, to tell an out-of-memory
 * crash from other traps.
 */
import '../webassembly-types.js';
import { WASM_PAGE_BYTES } from '@caxton/core';
import { OutOfFuel } from '../errors.js';
import { DEBT_FLUSH } from './cost-model.js';

/** A `memory.grow` delta no 32-bit memory can satisfy (as i32: -1): the guest sees growth fail. */
export const REFUSED_GROWTH = -1;

export interface GrowRequest {
  memory: WebAssembly.Memory | null;
  requestedPages: number;
  pagesBefore: number;
}

export class FuelMeter {
  private readonly globals: WebAssembly.Global[] = [];
  private pool = 0n;
  private budget = 0n;
  private budgetNumber = -1;
  private lastGrow: GrowRequest | null = null;
  /** True once a charge could not be covered during the current call. */
  exhausted = false;

  /**
   * Registers a module's counter (its `caxton:fuel` export) once the module is instantiated. The
   * counter starts at 0 and only ever holds fuel handed to it by `refill`, so its current value
   * (fuel its start function has not spent yet) stays part of the budget.
   */
  attach(global: WebAssembly.Global | undefined): void {
    if (global) this.globals.push(global);
  }

  get modules(): number {
    return this.globals.length;
  }

  /** Starts a call (or an instantiation) with a fresh budget. */
  begin(budget: number): void {
    if (budget !== this.budgetNumber) {
      this.budget = BigInt(budget);
      this.budgetNumber = budget;
    }
    this.exhausted = false;
    this.lastGrow = null;
    if (this.globals.length === 1) {
      this.globals[0]!.value = this.budget;
      this.pool = 0n;
    } else {
      for (const g of this.globals) g.value = 0n;
      this.pool = this.budget;
    }
  }

  /**
   * Fuel consumed since `begin`. A call that ran dry may have run at most one debt flush of work
   * past its budget; anything the meter shows beyond that is a charge the call could not pay (a
   * bulk copy, a `memory.grow`, a host call), refused before its work ran, so it is not counted as
   * used (found by the fuzzer: a 1.8-billion-page grow showed ~98k of "use" that never ran).
   */
  used(): number {
    let remaining = this.pool;
    for (const g of this.globals) remaining += g.value as bigint;
    const raw = Number(this.budget - remaining);
    return this.exhausted ? Math.min(raw, Number(this.budget) + DEBT_FLUSH) : raw;
  }

  get budgetValue(): number {
    return Number(this.budget);
  }

  /** Moves every positive module balance into the pool. */
  private reclaim(): void {
    for (const g of this.globals) {
      const v = g.value as bigint;
      if (v > 0n) {
        this.pool += v;
        g.value = 0n;
      }
    }
  }

  /**
   * The `caxton:fuel#refill` import: a module's counter went negative (`current`). Hands it all the
   * fuel left anywhere. When that does not cover the deficit it returns the (negative) total and
   * marks the call exhausted: the instrumented check then executes `unreachable` in the guest. It
   * never throws — a JS exception crossing into wasm can be caught by the guest's `catch_all`.
   */
  refill(current: bigint): bigint {
    this.reclaim();
    const total = this.pool + current;
    this.pool = 0n;
    if (total < 0n) {
      // The module's counter becomes `total`, so used() still shows the whole deficit.
      this.exhausted = true;
    }
    return total;
  }

  /**
   * After a guest call returned: a call that ran dry is out of fuel however it got back (e.g. a
   * host call's charge failed and the guest carried on). Throws OutOfFuel then.
   */
  assertNotExhausted(): void {
    if (this.exhausted) throw new OutOfFuel(Number(this.budget));
  }

  /**
   * Charges a host call: from the pool first, then from the modules' counters (so a single-module
   * guest pays with one read and one write of its counter, and no refill follows). Throws OutOfFuel
   * when the budget cannot cover it.
   */
  charge(amount: number): void {
    // A call that already ran dry is over: a guest that caught the first refusal and calls the host
    // again gets refused again, without piling more (never performed) work onto its bill.
    if (this.exhausted) throw new OutOfFuel(Number(this.budget));
    const a = BigInt(amount);
    if (this.pool >= a) {
      this.pool -= a;
      return;
    }
    let need = a - this.pool;
    this.pool = 0n;
    for (const g of this.globals) {
      const v = g.value as bigint;
      if (v <= 0n) continue;
      if (v >= need) {
        g.value = v - need;
        return;
      }
      need -= v;
      g.value = 0n;
    }
    this.pool = -need;
    this.exhausted = true;
    throw new OutOfFuel(Number(this.budget));
  }

  /** The `caxton:fuel#grow` import, called before every memory.grow. */
  recordGrow(memory: WebAssembly.Memory | null, requestedPages: number, pagesBefore: number): void {
    this.lastGrow = { memory, requestedPages: requestedPages >>> 0, pagesBefore: pagesBefore >>> 0 };
  }

  /** Whether the last memory.grow of this call was refused (memory did not reach the requested size). */
  growRefused(): GrowRequest | null {
    const g = this.lastGrow;
    if (!g || g.requestedPages === 0) return null;
    const now = g.memory ? g.memory.buffer.byteLength / WASM_PAGE_BYTES : g.pagesBefore;
    return now < g.pagesBefore + g.requestedPages ? g : null;
  }

  /**
   * Core imports for one module instance (`caxton:fuel`). `admits(pages)` says whether the agent's
   * memory budget covers growing by that many pages; `grow` answers the delta the guest's
   * `memory.grow` then uses: the request, or REFUSED_GROWTH (which always fails, returning -1).
   */
  importsFor(memory: () => WebAssembly.Memory | null, admits: (pages: number) => boolean): Record<string, (...args: never[]) => unknown> {
    return {
      refill: (current: bigint) => this.refill(current),
      grow: (requested: number, before: number): number => {
        this.recordGrow(memory(), requested, before);
        return admits(requested >>> 0) ? requested : REFUSED_GROWTH;
      },
    };
  }
}
