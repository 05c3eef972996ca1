/**
 * One shard: a worker thread running many agents, the request/response plumbing to it, and its
 * wall-clock watchdog. While batches are outstanding the watchdog reads the worker's progress
 * cells every tick; an item that has not moved for longer than its agent's wall-clock limit makes
 * the shard report itself stuck, and the pool resets it (worker.terminate() stops even a spinning
 * wasm loop within milliseconds).
 */
import type { ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { SandboxError, type SandboxErrorCode } from '../errors.js';
import type { Work, WorkResult } from '../results.js';
import { workIdOf } from '../results.js';
import type { PreparedAgentSpec } from '../agent-spec.js';
import type { EngineSettings, FromWorker, Request, ShardInit } from './protocol.js';
import { PROGRESS } from './protocol.js';
import { decodeResults, encodeWork, type Flat } from './hand-off-codec.js';
import { WideMessagesSent } from './wide-messages.js';

export interface StuckItem {
  agent: string;
  workId: string;
  elapsedMs: number;
  limitMs: number;
}

export interface ShardHooks {
  /** The agent's wall-clock limit per item. */
  wallClockMs(agent: string): number;
  onStuck(shard: Shard, item: StuckItem): void;
  onWorkerFailure(shard: Shard, error: Error): void;
  /** A batch failed, so the shard's kept wide messages start over (decision 2003). */
  onHandOffResync(shard: Shard, error: Error): void;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface PendingBatch {
  batchId: number;
  batch: Work[];
  resolve(results: WorkResult[]): void;
}

/** What happened to the work that was in flight when a shard was reset. */
export interface ResetReport {
  /**
   * The item the worker was running when it was reset: stuck past its wall clock (reported as timed
   * out), or running when the worker died (reported as crashed and charged to its agent).
   */
  stuck: { batch: Work[]; index: number } | null;
  /** Everything else in flight: not run, or run but its results lost with the worker. */
  interrupted: Work[];
}

const WORKER_URL = new URL('./shard-worker.js', import.meta.url);

export class Shard {
  readonly agents = new Map<string, PreparedAgentSpec>();
  readonly artifacts = new Set<string>();
  /** Incremented every time the worker is replaced. */
  generation = 0;
  /** Resolves when the shard's agents are deployed again after a reset. */
  ready: Promise<void> = Promise.resolve();
  private worker!: Worker;
  private progress!: Int32Array;
  private calls = new Map<number, PendingCall>();
  private batches = new Map<number, PendingBatch>();
  private nextId = 1;
  private nextBatch = 1;
  private watchdog: NodeJS.Timeout | null = null;
  private watchSeq = -1;
  private watchSince = 0;
  private closed = false;
  /** The wide messages this shard's worker keeps between batches (decision 2003). */
  private readonly sent = new WideMessagesSent();

  constructor(
    readonly id: number,
    private readonly settings: EngineSettings,
    private readonly hooks: ShardHooks,
    private readonly tickMs: number,
    private readonly resourceLimits: ResourceLimits | undefined,
    /** The pool's routing epoch cell (decision 2123), the same for every worker this shard spawns. */
    private readonly routing: SharedArrayBuffer,
  ) {
    this.spawn();
  }

  private spawn(): void {
    const sab = new SharedArrayBuffer(PROGRESS.SIZE * 4);
    this.progress = new Int32Array(sab);
    const init: ShardInit = { kind: 'caxton-shard', shardId: this.id, engine: this.settings, progress: sab, routing: this.routing };
    const worker = new Worker(WORKER_URL, { workerData: init, resourceLimits: this.resourceLimits, name: `caxton-shard-${this.id}` });
    this.worker = worker;
    // A new worker keeps nothing yet.
    this.sent.clear();
    worker.unref();
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => {
      if (this.worker === worker && !this.closed) this.hooks.onWorkerFailure(this, err);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker && !this.closed) this.hooks.onWorkerFailure(this, new Error(`shard worker exited with code ${code}`));
    });
  }

  get load(): number {
    return this.agents.size;
  }

  get busy(): boolean {
    return this.batches.size > 0;
  }

  private refresh(): void {
    if (this.calls.size > 0 || this.batches.size > 0) this.worker.ref();
    else this.worker.unref();
    if (this.batches.size > 0 && !this.watchdog) {
      this.watchSeq = -1;
      this.watchdog = setInterval(() => this.check(), this.tickMs);
    } else if (this.batches.size === 0 && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }

  private onMessage(msg: FromWorker): void {
    const call = this.calls.get(msg.id);
    if (!call) return;
    this.calls.delete(msg.id);
    if (msg.ok) call.resolve(msg.value);
    // The worker raised it as a SandboxError; an unknown code still gets a kind (internal).
    else
      call.reject(
        new SandboxError(msg.error.code as SandboxErrorCode, msg.error.message, { context: msg.error.context, hint: msg.error.hint }),
      );
    this.refresh();
  }

  /** `onPostFailure` runs synchronously, before the rejection, when the request cannot be posted. */
  request<T>(req: Request, onPostFailure?: (err: Error) => void): Promise<T> {
    if (this.closed)
      return Promise.reject(new SandboxError('sandbox.shard.closed', 'the shard pool is closed', { context: { shard: this.id } }));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.worker.postMessage({ ...req, id });
      } catch (err) {
        this.calls.delete(id);
        onPostFailure?.(err as Error);
        throw err;
      }
      this.refresh();
    });
  }

  /** After a failed batch the worker's kept wide messages are in doubt: both sides start over. */
  private resynchronise(err: Error): void {
    this.sent.resynchronise();
    this.hooks.onHandOffResync(this, err);
  }

  deliver(batch: Work[]): Promise<WorkResult[]> {
    const batchId = this.nextBatch++;
    let encoded: Flat;
    try {
      encoded = encodeWork(batch, this.sent);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<WorkResult[]>((resolve, reject) => {
      this.batches.set(batchId, { batchId, batch, resolve });
      // A batch that never reached the worker starts both sides over at once, before any later
      // deliver encodes against keys the worker never got.
      let resynced = false;
      const posted = this.request<Flat>({ op: 'deliver', batchId, batch: encoded }, (err) => {
        resynced = true;
        this.resynchronise(err);
      });
      posted.then(
        (flat) => {
          if (this.batches.delete(batchId)) {
            // A malformed reply fails the batch (the pool answers its items as crashes) instead of leaving it unsettled.
            try {
              resolve(decodeResults(flat, batch));
            } catch (err) {
              reject(err as Error);
            }
          }
          this.refresh();
        },
        (err: Error) => {
          // A reset resolves the batch itself (with timeout/unavailable results); other errors surface.
          // After a failed batch the worker's kept wide messages are in doubt: both sides start over.
          if (this.batches.delete(batchId)) {
            if (!resynced) this.resynchronise(err);
            reject(err);
          }
          this.refresh();
        },
      );
    });
  }

  private check(): void {
    const item = Atomics.load(this.progress, PROGRESS.ITEM);
    const seq = Atomics.load(this.progress, PROGRESS.SEQ);
    const now = performance.now();
    if (item === 0 || seq !== this.watchSeq) {
      this.watchSeq = item === 0 ? -1 : seq;
      this.watchSince = now;
      return;
    }
    const pending = this.batches.get(Atomics.load(this.progress, PROGRESS.BATCH));
    const work = pending?.batch[item - 1];
    if (!work) return;
    const limitMs = this.hooks.wallClockMs(work.agent);
    const elapsedMs = now - this.watchSince;
    if (elapsedMs > limitMs) this.hooks.onStuck(this, { agent: work.agent, workId: workIdOf(work), elapsedMs, limitMs });
  }

  /**
   * Terminates the worker and starts a fresh one (with no agents and no artifacts: the pool
   * re-deploys). Pending batches are handed back for the pool to answer; pending calls reject.
   */
  reset(stuck: boolean): { report: ResetReport; batches: PendingBatch[] } {
    const running = Atomics.load(this.progress, PROGRESS.BATCH);
    const item = Atomics.load(this.progress, PROGRESS.ITEM);
    const old = this.worker;
    void old.terminate();
    const batches = [...this.batches.values()];
    this.batches.clear();
    const calls = [...this.calls.values()];
    this.calls.clear();
    let stuckItem: ResetReport['stuck'] = null;
    const interrupted: Work[] = [];
    // The item the worker was running (ITEM is i + 1 while item i runs, 0 between items): the one
    // stuck past its wall clock, or the one running when the worker died — it is the suspect.
    for (const b of batches) {
      b.batch.forEach((w, i) => {
        if (item > 0 && b.batchId === running && i === item - 1) stuckItem = { batch: b.batch, index: i };
        else interrupted.push(w);
      });
    }
    void stuck;
    this.artifacts.clear();
    this.generation++;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (!this.closed) this.spawn();
    for (const c of calls) {
      c.reject(
        new SandboxError('sandbox.shard.reset', `shard ${this.id} was reset while the request was in flight`, {
          context: { shard: this.id },
        }),
      );
    }
    return { report: { stuck: stuckItem, interrupted }, batches };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const c of this.calls.values())
      c.reject(new SandboxError('sandbox.shard.closed', 'the shard pool was closed', { context: { shard: this.id } }));
    this.calls.clear();
    await this.worker.terminate();
  }
}
