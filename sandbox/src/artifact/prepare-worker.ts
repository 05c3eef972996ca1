/**
 * Preparation runs in a killable worker, never on the main thread: decoding, the world check, jco
 * transpile and instrumentation of an untrusted component are CPU- and memory-hungry in ways its
 * author controls. The worker has a deadline (terminated past it), a cap on its JS heap (where
 * decoding, type checking and transpiling allocate) and the engine runs one preparation at a time
 * by default (PrepareQueue), so neither a slow nor a hostile component freezes the node or
 * starves it: the API and the agents keep running while it is prepared, and it fails with a typed
 * error naming the limit.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ArtifactError, artifactError, type ArtifactErrorCode } from '../errors.js';
import { prepareArtifact, type PrepareOptions, type Prepared } from './prepare.js';

export interface PrepareLimits {
  /** Wall-clock budget of one preparation. */
  deadlineMs: number;
  /** Cap on the preparing worker's JS heap (old generation), MiB. */
  maxHeapMb: number;
}

interface Request {
  kind: 'caxton-prepare';
  bytes: Uint8Array;
  digest: string;
  opts: PrepareOptions;
}

type Reply =
  | { ok: true; prepared: Prepared }
  | { ok: false; code: string | null; message: string; context: Record<string, unknown>; hint: string | null };

export function prepareInWorker(bytes: Uint8Array, digest: string, opts: PrepareOptions, limits: PrepareLimits): Promise<Prepared> {
  const ctx = { digest, bytes: bytes.length };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { kind: 'caxton-prepare', bytes, digest, opts: { ...opts, instrumentInThread: true } } satisfies Request,
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            artifactError(
              'prepare-timeout',
              `preparing the component took longer than ${limits.deadlineMs} ms and was stopped`,
              { ...ctx, deadlineMs: limits.deadlineMs },
              "A component this slow to check is hostile or far too large; if it is genuine, raise the engine's prepareDeadlineMs (caxton serve --prepare-timeout-s).",
            ),
          ),
        ),
      limits.deadlineMs,
    );
    worker.once('message', (reply: Reply) =>
      settle(() => {
        if (reply.ok) resolve(reply.prepared);
        else if (reply.code?.startsWith('sandbox.artifact.')) {
          // The worker raised it with artifactError, so the suffix is an ArtifactErrorCode.
          reject(
            artifactError(
              reply.code.slice('sandbox.artifact.'.length) as ArtifactErrorCode,
              reply.message,
              reply.context,
              reply.hint ?? undefined,
            ),
          );
        } else {
          reject(artifactError('invalid', `preparing the component failed: ${reply.message.slice(0, 500)}`, ctx));
        }
      }),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? artifactError(
                'too-complex',
                `preparing the component needed more than the ${limits.maxHeapMb} MiB it may use`,
                { ...ctx, maxHeapMb: limits.maxHeapMb },
                "A component this expensive to check is hostile or far too large; if it is genuine, raise the engine's prepareMaxHeapMb (caxton serve --prepare-heap-mib).",
              )
            : artifactError('invalid', `preparing the component failed: ${err.message.slice(0, 500)}`, ctx),
        ),
      ),
    );
    worker.once('exit', (code) => settle(() => reject(artifactError('invalid', `the preparation worker exited with code ${code}`, ctx))));
  });
}

/** Runs preparations one (or `concurrency`) at a time, in arrival order. */
export class PrepareQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly concurrency = 1) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((wake) => this.waiting.push(wake));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Preparations waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }
}

async function workerMain(port: NonNullable<typeof parentPort>, req: Request): Promise<void> {
  try {
    const prepared = await prepareArtifact(req.bytes, req.digest, req.opts);
    // Copied, not transferred: module views may share one buffer (a transfer list must not repeat one).
    port.postMessage({ ok: true, prepared } satisfies Reply);
  } catch (err) {
    const e = err as Error & { code?: string; context?: Record<string, unknown>; hint?: string };
    const context = e instanceof ArtifactError ? (JSON.parse(JSON.stringify(e.context ?? {})) as Record<string, unknown>) : {};
    port.postMessage({ ok: false, code: e.code ?? null, message: e.message, context, hint: e.hint ?? null } satisfies Reply);
  }
}

if (!isMainThread && parentPort && (workerData as Request | undefined)?.kind === 'caxton-prepare') {
  void workerMain(parentPort, workerData as Request);
}
