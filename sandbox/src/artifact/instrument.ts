/**
 * Instrumentation of one core module: the fuel pass, then the memory/table rewrite. Runs inside a
 * worker (instrument-worker.ts) because binaryen is slow and memory-hungry on big modules and an
 * internal abort would poison binaryen for the whole process.
 */
import { inspectCoreModule } from '../binary/core-module.js';
import type { FuelPassStats } from '../fuel/fuel-pass.js';
import { instrumentFuel } from '../fuel/fuel-pass.js';
export { moduleHasHandler } from '../fuel/fuel-pass.js';
import type { MemoryPlan, TablePlan } from '../limits/rewrite.js';
import { MEMORY_IMPORT_MODULE, rewriteLimits } from '../limits/rewrite.js';
import { FUEL_EXPORT, FUEL_IMPORT_MODULE } from '../fuel/names.js';

export class ReservedNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReservedNameError';
  }
}

export { INSTRUMENTATION_VERSION } from './versions.js';

export interface InstrumentOptions {
  tableCap: number;
}

export interface InstrumentedModule {
  bytes: Uint8Array;
  memories: MemoryPlan[];
  tables: TablePlan[];
  fuel: FuelPassStats;
  originalBytes: number;
}

/** `catches`: some core module of the same artifact has an exception handler (`moduleHasHandler`). */
export function instrumentModule(bytes: Uint8Array, opts: InstrumentOptions, catches = true): InstrumentedModule {
  const info = inspectCoreModule(bytes);
  for (const imp of info.imports) {
    if (imp.module === FUEL_IMPORT_MODULE || imp.module === MEMORY_IMPORT_MODULE) {
      throw new ReservedNameError(`the module imports ${imp.module}#${imp.field}, a namespace reserved for the sandbox`);
    }
  }
  if (info.exports.some((e) => e.name === FUEL_EXPORT)) {
    throw new ReservedNameError(`the module exports "${FUEL_EXPORT}", a name reserved for the sandbox`);
  }
  const fueled = instrumentFuel(bytes, info.importedMemories + info.definedMemories, catches);
  const limited = rewriteLimits(fueled.bytes, opts.tableCap);
  return { bytes: limited.bytes, memories: limited.memories, tables: limited.tables, fuel: fueled.stats, originalBytes: bytes.length };
}
