/**
 * Runs instrumentation off the main thread, in a throwaway worker: `instrumentInWorker(modules)`
 * resolves with the instrumented modules or rejects with the first error (typed by name). With a
 * module cache, a module instrumented before (for any artifact) is taken from it instead.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { InstrumentOptions, InstrumentedModule } from './instrument.js';
import { sha256 } from './digest.js';
import { ModuleCache } from './module-cache.js';

export interface InstrumentAllOptions extends InstrumentOptions {
  /** The module cache (module-cache.ts): its directory and the engine's cache key. */
  moduleCache?: { dir: string; engineKey: string };
}

/** An instrumented module, and whether it came from the module cache. */
export type InstrumentedOrReused = InstrumentedModule & { reused: boolean };

interface Request {
  modules: Uint8Array[];
  opts: InstrumentAllOptions;
}

type Reply = { ok: true; modules: InstrumentedOrReused[] } | { ok: false; name: string; message: string; index: number };

export class InstrumentError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly moduleIndex: number,
  ) {
    super(message);
    this.name = 'InstrumentError';
  }
}

export function instrumentInWorker(modules: Uint8Array[], opts: InstrumentAllOptions): Promise<InstrumentedOrReused[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { modules, opts } satisfies Request,
      resourceLimits: { maxOldGenerationSizeMb: 2048 },
    });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if (reply.ok) resolve(reply.modules);
      else reject(new InstrumentError(reply.message, reply.name, reply.index));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(new InstrumentError(err.message, err.name, -1));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new InstrumentError(`instrumentation worker exited with code ${code}`, 'WorkerExit', -1));
      settled = true;
    });
  });
}

/** The same, in this thread (for callers already off the main thread). */
export function instrumentHere(modules: Uint8Array[], opts: InstrumentAllOptions): Promise<InstrumentedOrReused[]> {
  return instrumentAll(modules, opts);
}

/** Where instrumentation failed: the module's index, or the error as it came. */
function at<T>(index: number, step: () => T): T {
  try {
    return step();
  } catch (err) {
    const e = err as Error;
    throw new InstrumentError(e.message, e.name, index);
  }
}

async function instrumentAll(modules: Uint8Array[], opts: InstrumentAllOptions): Promise<InstrumentedOrReused[]> {
  const { instrumentModule, moduleHasHandler } = await import('./instrument.js'); // binaryen loads only here
  const cache = opts.moduleCache ? new ModuleCache(opts.moduleCache.dir, opts.moduleCache.engineKey) : null;
  const digests = cache ? modules.map((m) => sha256(m)) : [];
  // Artifact-wide: a handler in one module can catch what unwinds another (fuel-pass.ts).
  let catches = false;
  for (let index = 0; index < modules.length && !catches; index++) {
    const known = cache?.readHandler(digests[index]!) ?? null;
    const has = known ?? at(index, () => moduleHasHandler(modules[index]!));
    if (cache && known === null) cache.writeHandler(digests[index]!, has);
    catches = has;
  }
  const out: InstrumentedOrReused[] = [];
  for (let index = 0; index < modules.length; index++) {
    const cached = cache?.readInstrumented(digests[index]!, catches) ?? null;
    if (cached) {
      out.push({ ...cached, reused: true });
      continue;
    }
    const made = at(index, () => instrumentModule(modules[index]!, { tableCap: opts.tableCap }, catches));
    cache?.writeInstrumented(digests[index]!, catches, made);
    out.push({ ...made, reused: false });
  }
  return out;
}

async function workerMain(port: NonNullable<typeof parentPort>, req: Request): Promise<void> {
  try {
    const out = await instrumentAll(req.modules, req.opts);
    port.postMessage(
      { ok: true, modules: out } satisfies Reply,
      out.map((m) => m.bytes.buffer as ArrayBuffer),
    );
  } catch (err) {
    const e = err as Error;
    const index = e instanceof InstrumentError ? e.moduleIndex : -1;
    const name = e instanceof InstrumentError ? e.reason : e.name;
    port.postMessage({ ok: false, name, message: e.message, index } satisfies Reply);
  }
}

if (!isMainThread && parentPort && (workerData as Request | undefined)?.modules) {
  void workerMain(parentPort, workerData as Request);
}
