/**
 * The fuel pass: a binaryen.js transformation of one core module that makes it pay for what it
 * runs, following the cost model in cost-model.ts.
 *
 * It adds a module-internal mutable i64 global (exported as `caxton:fuel` so the host can set and
 * read it between calls) that counts down, and two imports from `caxton:fuel`:
 * - `refill(i64) -> i64` is called when a check finds the counter negative; the host hands over
 *   the rest of the call's budget, and when that is not enough the counter stays negative and the
 *   check executes `unreachable` — a trap guest exception handlers cannot catch (decision 0406);
 * - `grow(i32 requested, i32 current) -> i32` is called before every `memory.grow` (after its
 *   per-page charge) and answers the delta to use: the request, or 0xFFFFFFFF — a growth that
 *   always fails — when the agent's one memory budget across all its memories cannot cover it. It
 *   also lets the host tell an out-of-memory crash from other traps.
 * Bulk memory operations get a run-time charge proportional to their length.
 */
import binaryen from 'binaryen';
import { ByteReader, concatBytes, readSections } from '../binary/reader.js';
import { kinds } from './expression-kinds.js';
import type { CallerPaid } from './function-pass.js';
import { FUEL_GLOBAL, FunctionPass, GROW_FN, OUT_OF_FUEL_FN, REFILL_FN, callerPays, refillOrTrapBody } from './function-pass.js';
import { CALLER_PAID_ENTRY_LIMIT, callerPaidFunctions } from './caller-paid.js';
import { i64c } from './binaryen-api.js';
import { FUEL_EXPORT, FUEL_IMPORT_MODULE } from './names.js';
import { moduleCatches } from './catch-scan.js';
import { mergeDataSegments } from './data-segments.js';

export { FUEL_EXPORT, FUEL_IMPORT_MODULE };

/**
 * Features binaryen may read and write: what V8 in Node 20 runs. Not `All`: newer features change
 * binaryen's output encoding (e.g. compact imports) in ways V8 cannot read.
 */
const FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 |
  binaryen.Features.RelaxedSIMD |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt |
  binaryen.Features.ExceptionHandling |
  binaryen.Features.TailCall |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue |
  binaryen.Features.ExtendedConst |
  binaryen.Features.Atomics |
  binaryen.Features.CallIndirectOverlong;

export class FuelPassError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuelPassError';
  }
}

export interface FuelPassStats {
  functions: number;
  expressions: number;
  chargePoints: number;
  checks: number;
  bulkMemorySites: number;
  growSites: number;
  /** Functions whose loops charge through the debt local. */
  debtModeFunctions: number;
  /** Exported caller-paid functions given a charging wrapper (decision 1941). */
  exportWrappers?: number;
  /** Data segments before and after merging the close ones (decision 2113). */
  dataSegments?: { before: number; after: number };
}

/**
 * Runs the fuel pass over every function the module defines (imports have no body), in index
 * order, and hands each finished pass to `each`. Shared by the measuring run and the real one, so
 * both place charges over the same functions. A body nested deeper than the pass can recurse is
 * refused typed rather than as the engine's RangeError.
 */
function passDefinedFunctions(
  m: binaryen.Module,
  table: ReturnType<typeof kinds>,
  artifactCatches: boolean,
  paid: CallerPaid,
  each: (name: string, pass: FunctionPass) => void,
): void {
  const n = m.getNumFunctions();
  for (let i = 0; i < n; i++) {
    const fn = m.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(fn);
    if (info.module) continue; // an import
    const pass = new FunctionPass(m, fn as unknown as number, table, artifactCatches, paid);
    try {
      pass.run();
    } catch (err) {
      if (err instanceof RangeError) throw new FuelPassError(`function ${info.name} is nested too deeply to instrument`);
      throw err;
    }
    each(info.name, pass);
  }
}

/**
 * The measuring run (decision 1941): every function's own entry-segment cost, computed on a
 * separate copy of the module with the same placement decisions and nothing folded, so the real
 * run can charge each direct call for its callee's entry before any callee is instrumented; and
 * the caller-paid functions some direct call reaches from a segment paid without a check, which
 * keep their entry check (decision 2137; the others' callers checked right before calling them).
 */
function measureEntryCosts(
  bytes: Uint8Array,
  table: ReturnType<typeof kinds>,
  artifactCatches: boolean,
): { entryCost: Map<string, number>; entryChecks: Set<string> } {
  const m = readForPass(bytes);
  try {
    const paid: CallerPaid = { functions: callerPaidFunctions(m), entryCost: null, entryChecks: null };
    m.addFunctionImport(REFILL_FN, FUEL_IMPORT_MODULE, 'refill', binaryen.i64, binaryen.i64);
    m.addFunctionImport(GROW_FN, FUEL_IMPORT_MODULE, 'grow', binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.i32);
    m.addGlobal(FUEL_GLOBAL, binaryen.i64, true, i64c(m, 0));
    const entryCost = new Map<string, number>();
    const entryChecks = new Set<string>();
    passDefinedFunctions(m, table, artifactCatches, paid, (name, pass) => {
      entryCost.set(name, pass.entryCost);
      for (const callee of pass.uncheckedCallees) entryChecks.add(callee);
    });
    return { entryCost, entryChecks };
  } finally {
    m.dispose();
  }
}

/**
 * Functions whose callers pay their entry: of those only called directly, the ones whose entry
 * segment costs at most CALLER_PAID_ENTRY_LIMIT. A caller pays in advance, with the rest of its
 * segment, and a branch out of that segment before the call pays for a call never made; a small
 * limit bounds that overcharge (measured on QuickJS: without it a message cost 28 % more fuel),
 * and a big entry segment gains little from saving one store. The costs were measured with every
 * candidate caller-paid; a function left out here can only make its callers' arms coalesce again,
 * which adds to a caller's own entry cost and never takes from it, so what the callers pay stays
 * covered (the rest is charged at the callee's entry: function-pass.ts, run).
 */
function callerPaidSet(candidates: ReadonlySet<string>, entryCost: ReadonlyMap<string, number>): Set<string> {
  return new Set([...candidates].filter((name) => (entryCost.get(name) ?? 0) <= CALLER_PAID_ENTRY_LIMIT));
}

/**
 * Exported caller-paid functions are entered by the host too: their exports now name a wrapper
 * that pays the entry as a direct caller would (with the check) and calls the function.
 */
function wrapExports(
  m: binaryen.Module,
  table: ReturnType<typeof kinds>,
  functions: ReadonlySet<string>,
  entryCost: ReadonlyMap<string, number>,
): number {
  const wrapped: { exportName: string; target: string }[] = [];
  for (let i = 0; i < m.getNumExports(); i++) {
    const info = binaryen.getExportInfo(m.getExportByIndex(i));
    if (info.kind === binaryen.ExternalFunction && functions.has(info.value)) wrapped.push({ exportName: info.name, target: info.value });
  }
  wrapped.forEach(({ exportName, target }, i) => {
    const fn = binaryen.getFunctionInfo(m.getFunction(target));
    const name = `caxton$fuel_entry${i}`;
    // The body uses one scratch local, declared here (the pass never adds locals to it).
    const body = new FunctionPass(m, 0, table).exportWrapperBody(target, fn.params, fn.results, callerPays(entryCost, target));
    m.addFunction(name, fn.params, fn.results, [binaryen.i64], body);
    m.removeExport(exportName);
    m.addFunctionExport(name, exportName);
  });
  return wrapped.length;
}

/**
 * The name section is dropped before binaryen reads the module: binaryen would not write it back
 * (no debug info) and prints warnings about subsections it does not know.
 */
function withoutNames(bytes: Uint8Array): Uint8Array {
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  let dropped = false;
  for (const s of readSections(bytes)) {
    if (s.id === 0) {
      const r = new ByteReader(bytes, s.bodyStart, s.end);
      if (r.name() === 'name') {
        dropped = true;
        continue;
      }
    }
    keep.push(bytes.subarray(s.start, s.end));
  }
  return dropped ? concatBytes(keep) : bytes;
}

/** Reads a module the way the pass does: names dropped, the pass's feature set, no optimisation. */
function readForPass(bytes: Uint8Array): binaryen.Module {
  let m: binaryen.Module;
  try {
    // binaryen.js takes the feature set as readBinary's optional second argument.
    m = (binaryen.readBinary as (data: Uint8Array, features?: number) => binaryen.Module)(withoutNames(bytes), FEATURES);
  } catch (err) {
    throw new FuelPassError(`binaryen cannot read the module: ${(err as Error).message}`);
  }
  m.setFeatures(FEATURES);
  return m;
}

/**
 * The module exactly as the pass would read and write it, without the pass: the baseline that
 * isolates the pass's cost from binaryen's own rewriting (which can make code faster or slower).
 * Used by the fuel overhead benchmark.
 */
export function roundTripWithoutFuel(bytes: Uint8Array): Uint8Array {
  const m = readForPass(bytes);
  try {
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

export interface FuelPassResult {
  bytes: Uint8Array;
  stats: FuelPassStats;
}

/**
 * Whether a core module has an exception handler (a legacy `try`). An artifact "catches" if any of
 * its core modules does; that answer is passed to instrumentFuel for each of them. One extra parse
 * per module, paid once per artifact when it is prepared.
 */
export function moduleHasHandler(bytes: Uint8Array): boolean {
  const m = readForPass(bytes);
  try {
    return moduleCatches(m);
  } finally {
    m.dispose();
  }
}

/**
 * Instruments one core module. `memories` is the number of memories the module has (imported or
 * defined); modules with more than one memory are refused because `memory.grow` sites could not be
 * attributed. `artifactCatches`: whether any core module of the artifact can catch an exception
 * (`moduleHasHandler()` of any of them); without one, functions that call may keep loop charges as a debt.
 * Defaults to true, the safe answer. Throws FuelPassError for anything it cannot meter.
 */
export function instrumentFuel(bytes: Uint8Array, memories: number, artifactCatches = true): FuelPassResult {
  if (memories > 1) throw new FuelPassError('modules with more than one memory are not supported');
  const table = kinds();
  const { entryCost, entryChecks } = measureEntryCosts(bytes, table, artifactCatches);
  const m = readForPass(bytes);
  try {
    m.addFunctionImport(REFILL_FN, FUEL_IMPORT_MODULE, 'refill', binaryen.i64, binaryen.i64);
    m.addFunctionImport(GROW_FN, FUEL_IMPORT_MODULE, 'grow', binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.i32);
    m.addGlobal(FUEL_GLOBAL, binaryen.i64, true, i64c(m, 0));
    if (m.getExport(FUEL_EXPORT)) throw new FuelPassError(`the module already exports "${FUEL_EXPORT}", a name reserved for the sandbox`);
    m.addGlobalExport(FUEL_GLOBAL, FUEL_EXPORT);
    const stats: FuelPassStats = {
      functions: 0,
      expressions: 0,
      chargePoints: 0,
      checks: 0,
      bulkMemorySites: 0,
      growSites: 0,
      debtModeFunctions: 0,
    };
    const paid: CallerPaid = { functions: callerPaidSet(callerPaidFunctions(m), entryCost), entryCost, entryChecks };
    let dataRefs = 0;
    passDefinedFunctions(m, table, artifactCatches, paid, (_name, pass) => {
      stats.functions++;
      stats.expressions += pass.expressions;
      stats.chargePoints += pass.charges;
      stats.checks += pass.checks;
      stats.bulkMemorySites += pass.bulk;
      stats.growSites += pass.grows;
      if (pass.debtMode) stats.debtModeFunctions++;
      dataRefs += pass.dataRefs;
    });
    stats.exportWrappers = wrapExports(m, table, paid.functions, entryCost);
    // Each wrapper charges and checks once.
    stats.chargePoints += stats.exportWrappers;
    stats.checks += stats.exportWrappers;
    // Added last, so the loop above did not meter it: every check calls it (function-pass.ts).
    m.addFunction(OUT_OF_FUEL_FN, binaryen.i64, binaryen.i64, [], refillOrTrapBody(m));
    const emitted = m.emitBinary();
    // Segments are merged only when no instruction names one by index (merging renumbers them).
    if (dataRefs > 0) return { bytes: emitted, stats };
    const merged = mergeDataSegments(emitted);
    stats.dataSegments = { before: merged.before, after: merged.after };
    return { bytes: merged.bytes, stats };
  } finally {
    m.dispose();
  }
}
