/**
 * Linear memories recycled between instances (decision 2194; wasmtime's pooling allocator is the
 * model). Creating a `WebAssembly.Memory` is most of what instantiating a small agent costs
 * (~12 µs of ~34 on Node 24: V8 reserves the memory's address range and its guard region);
 * zeroing a page is ~0.5 µs. So a memory its instance no longer uses is zeroed and kept for the
 * next instance that asks for one of the same shape (initial and maximum pages), on this thread.
 *
 * What makes reuse safe:
 * - only a memory of its starting size comes back (never grown: a fresh one would start smaller);
 * - every byte is zeroed before it is kept, and instantiation writes the module's data segments
 *   again, so the next instance starts exactly as it would on a fresh memory;
 * - the instance that gave it back is dead first (GuestInstance.release: any later call throws),
 *   so no two instances ever run on one memory;
 * - only small memories are kept, and few: zeroing makes every page resident, and a fresh memory
 *   costs no resident pages until used.
 */
import { WASM_PAGE_BYTES } from './limits/rewrite.js';

export interface MemoryPoolLimits {
  /** Largest memory kept, in pages: zeroing makes its pages resident. */
  maxPages: number;
  /** Memories kept of one shape. */
  perShape: number;
  /** Pages kept in all. */
  totalPages: number;
}

export const DEFAULT_MEMORY_POOL_LIMITS: MemoryPoolLimits = Object.freeze({ maxPages: 32, perShape: 16, totalPages: 512 });

export class MemoryPool {
  private readonly free = new Map<string, WebAssembly.Memory[]>();
  private pages = 0;
  /** Memories handed out again, and memories created because none was kept (for tests and benches). */
  reused = 0;
  created = 0;

  constructor(private readonly limits: MemoryPoolLimits = DEFAULT_MEMORY_POOL_LIMITS) {}

  /** A zeroed memory of this shape, kept or new. */
  take(initialPages: number, maximumPages: number): WebAssembly.Memory {
    const kept = this.free.get(shapeKey(initialPages, maximumPages))?.pop();
    if (kept !== undefined) {
      this.pages -= initialPages;
      this.reused++;
      return kept;
    }
    this.created++;
    return new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
  }

  /** Keeps `memory` (of the shape it was taken with) for the next instance, if it may be kept. */
  give(memory: WebAssembly.Memory, initialPages: number, maximumPages: number): void {
    if (memory.buffer.byteLength !== initialPages * WASM_PAGE_BYTES) return; // grown: not the shape any more
    if (initialPages > this.limits.maxPages || this.pages + initialPages > this.limits.totalPages) return;
    const key = shapeKey(initialPages, maximumPages);
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, (list = []));
    if (list.length >= this.limits.perShape || list.includes(memory)) return;
    new Uint8Array(memory.buffer).fill(0);
    list.push(memory);
    this.pages += initialPages;
  }

  /** Pages kept now. */
  keptPages(): number {
    return this.pages;
  }
}

function shapeKey(initialPages: number, maximumPages: number): string {
  return `${initialPages}/${maximumPages}`;
}

/** This thread's pool (a shard is a worker thread: memories never cross threads). */
export const THREAD_MEMORY_POOL = new MemoryPool();
