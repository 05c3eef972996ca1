/**
 * What the fuel pass alone costs. Both sides are the same binaryen-processed module (read and
 * written back by binaryen with the pass's own feature set, `roundTripWithoutFuel`), one with the
 * fuel pass and one without, so the ratio is the pass and nothing else; the compiler's raw output is
 * timed too, for context (binaryen's rewrite alone can move the time either way).
 *
 * Every run gets a fresh instance (instantiation is not timed), so each starts from the same state:
 * the sieve allocates, and a heap that grew in an earlier run would change what \`memory.grow\`
 * charges. Runs are interleaved (the order alternates every round, so a slow moment on a busy machine hits
 * both sides alike), the best of N is kept, results are compared, and the fuel charged is read on
 * every metered run: a run that charges differently from the others fails the benchmark
 * (deterministic fuel is a guarantee, not a hope).
 */
import { setFlagsFromString } from 'node:v8';
import { FUEL_EXPORT, instrumentFuel, moduleHasHandler, roundTripWithoutFuel } from '@caxton/sandbox/fuel';
import type { BenchResult } from './lib-output.js';

export interface OverheadWorkload {
  /** Export to call, and its argument. */
  fn: string;
  arg: number;
  metric: string;
  description: string;
}

export interface OverheadOptions {
  warmup: number;
  rounds: number;
}

type Run = () => number;
type Side = 'compiler' | 'baseline' | 'metered';

/** A fuel budget no workload here comes near: refill is never needed. */
const PLENTY = 10n ** 15n;

function compile(bytes: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(bytes);
}

function exportOf(instance: WebAssembly.Instance, fn: string, arg: number): Run {
  const f = instance.exports[fn] as unknown as ((n: number) => number) | undefined;
  if (typeof f !== 'function') throw new Error(`the fuel benchmark module has no export "${fn}"`);
  return () => f(arg);
}

function timed(run: Run): { ms: number; result: number } {
  const t = performance.now();
  const result = run();
  return { ms: performance.now() - t, result };
}

/**
 * Measures every workload of `core` (a plain core module with no imports, one memory at most).
 * Returns one ratio metric per workload, metered / round-tripped, with the absolute times and the
 * fuel charged in its note.
 */
export function measureFuelOverhead(core: Uint8Array, workloads: readonly OverheadWorkload[], opts: OverheadOptions): BenchResult[] {
  const baselineBytes = roundTripWithoutFuel(core);
  const { bytes: meteredBytes, stats } = instrumentFuel(core, 1, moduleHasHandler(core));
  // Compile straight to optimised code: with dynamic tiering, when each module's functions reach
  // TurboFan depends on background threads on a busy machine, which is noise, not overhead.
  setFlagsFromString('--no-wasm-dynamic-tiering');
  const modules = { compiler: compile(core), baseline: compile(baselineBytes), metered: compile(meteredBytes) };
  setFlagsFromString('--wasm-dynamic-tiering');
  const out: BenchResult[] = [];
  for (const w of workloads) {
    const runs: Record<Side, () => { ms: number; result: number; fuel: bigint | null }> = {
      compiler: () => ({ ...timed(exportOf(new WebAssembly.Instance(modules.compiler, {}), w.fn, w.arg)), fuel: null }),
      baseline: () => ({ ...timed(exportOf(new WebAssembly.Instance(modules.baseline, {}), w.fn, w.arg)), fuel: null }),
      metered: () => {
        const instance = new WebAssembly.Instance(modules.metered, {
          // refill answers "no more fuel" (the check then traps); grow grants what is asked, as the
          // unmetered modules' memory.grow does.
          'caxton:fuel': { refill: (current: bigint) => current, grow: (requested: number) => requested },
        });
        const fuel = instance.exports[FUEL_EXPORT] as unknown as { value: bigint };
        fuel.value = PLENTY;
        const run = timed(exportOf(instance, w.fn, w.arg));
        return { ...run, fuel: PLENTY - fuel.value };
      },
    };
    const best = { compiler: Infinity, baseline: Infinity, metered: Infinity };
    const charged = new Set<bigint>();
    let expected: number | null = null;
    const order: Side[] = ['baseline', 'metered', 'compiler'];
    for (let round = 0; round < opts.warmup + opts.rounds; round++) {
      // Alternate the order every round (b m c, c m b, …).
      const sequence = round % 2 === 0 ? order : [...order].reverse();
      for (const side of sequence) {
        const { ms, result, fuel } = runs[side]();
        if (expected === null) expected = result;
        else if (result !== expected)
          throw new Error(`${w.fn}(${w.arg}): ${side} returned ${result}, expected ${expected}: the pass changed what the code computes`);
        if (fuel !== null) charged.add(fuel);
        if (round >= opts.warmup) best[side] = Math.min(best[side], ms);
      }
    }
    if (charged.size !== 1) throw new Error(`${w.fn}(${w.arg}) charged different fuel on identical runs: ${[...charged].join(', ')}`);
    const [fuelCharged] = [...charged];
    const ratio = best.metered / best.baseline;
    out.push({
      bench: 'sandbox',
      metric: w.metric,
      value: Number(ratio.toFixed(3)),
      unit: 'ratio',
      target: '<= 1.3',
      note:
        `${w.description}; the fuel pass alone: metered / the same module round-tripped through binaryen, best of ${opts.rounds} interleaved runs: ` +
        `${best.metered.toFixed(2)} / ${best.baseline.toFixed(2)} ms; ${fuelCharged} fuel per run (identical on all ${opts.warmup + opts.rounds}); ` +
        `raw compiler output ${best.compiler.toFixed(2)} ms (metered / raw ${(best.metered / best.compiler).toFixed(3)}); ` +
        `module: ${stats.chargePoints} charge points, ${stats.checks} checks, ${stats.debtModeFunctions} debt-mode functions`,
    });
  }
  return out;
}
