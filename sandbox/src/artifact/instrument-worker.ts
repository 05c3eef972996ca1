/**
 * Runs instrumentation off the main thread, in a throwaway worker: `instrumentInWorker(modules)`
 * resolves with the instrumented modules or rejects with the first error (typed by name).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { InstrumentOptions, InstrumentedModule } from './instrument.js';

interface Request {
  modules: Uint8Array[];
  opts: InstrumentOptions;
}

type Reply = { ok: true; modules: InstrumentedModule[] } | { ok: false; name: string; message: string; index: number };

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

export function instrumentInWorker(modules: Uint8Array[], opts: InstrumentOptions): Promise<InstrumentedModule[]> {
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
export async function instrumentHere(modules: Uint8Array[], opts: InstrumentOptions): Promise<InstrumentedModule[]> {
  const { instrumentModule, moduleHasHandler } = await import('./instrument.js');
  const out: InstrumentedModule[] = [];
  // Artifact-wide: a handler in one module can catch what unwinds another (fuel-pass.ts).
  let catches = false;
  for (let index = 0; index < modules.length; index++) {
    try {
      catches ||= moduleHasHandler(modules[index]!);
    } catch (err) {
      const e = err as Error;
      throw new InstrumentError(e.message, e.name, index);
    }
  }
  for (let index = 0; index < modules.length; index++) {
    try {
      out.push(instrumentModule(modules[index]!, opts, catches));
    } catch (err) {
      const e = err as Error;
      throw new InstrumentError(e.message, e.name, index);
    }
  }
  return out;
}

async function workerMain(port: NonNullable<typeof parentPort>, req: Request): Promise<void> {
  const { instrumentModule, moduleHasHandler } = await import('./instrument.js'); // binaryen loads only here
  const out: InstrumentedModule[] = [];
  let index = 0;
  try {
    // Artifact-wide: a handler in one module can catch what unwinds another (fuel-pass.ts).
    let catches = false;
    for (; index < req.modules.length; index++) catches ||= moduleHasHandler(req.modules[index]!);
    for (index = 0; index < req.modules.length; index++) out.push(instrumentModule(req.modules[index]!, req.opts, catches));
    port.postMessage({ ok: true, modules: out } satisfies Reply, out.map((m) => m.bytes.buffer as ArrayBuffer));
  } catch (err) {
    const e = err as Error;
    port.postMessage({ ok: false, name: e.name, message: e.message, index } satisfies Reply);
  }
}

if (!isMainThread && parentPort && (workerData as Request | undefined)?.modules) {
  void workerMain(parentPort, workerData as Request);
}
