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
 * - only small memories are kept (at most 4 pages), never an empty one, and few: each holds V8's
 *   address-space reservation, which the whole process shares; zeroing writes only the pages the
 *   guest wrote, so a recycled memory is no more resident than the fresh one it replaces.
 */
import { Buffer } from 'node:buffer';
import { WASM_PAGE_BYTES } from './limits/rewrite.js';

export interface MemoryPoolLimits {
  /** Largest memory kept, in pages: zeroing makes its pages resident, for the next agent's life too. */
  maxPages: number;
  /** Memories kept of one shape. */
  perShape: number;
  /** Memories kept in all: each holds V8's address-space reservation (~10 GiB), a process-wide budget. */
  maxKept: number;
  /** Shapes kept at once (an agent's memory budget sets its memories' maximum, so shapes vary by deployment). */
  maxShapes: number;
}

export const DEFAULT_MEMORY_POOL_LIMITS: MemoryPoolLimits = Object.freeze({ maxPages: 4, perShape: 16, maxKept: 64, maxShapes: 16 });

export class MemoryPool {
  private readonly free = new Map<string, WebAssembly.Memory[]>();
  private kept = 0;
  private pages = 0;
  /** Memories handed out again, and memories created because none was kept (for tests and benches). */
  reused = 0;
  created = 0;

  constructor(private readonly limits: MemoryPoolLimits = DEFAULT_MEMORY_POOL_LIMITS) {}

  /** A zeroed memory of this shape, kept or new. */
  take(initialPages: number, maximumPages: number): WebAssembly.Memory {
    const key = shapeKey(initialPages, maximumPages);
    const list = this.free.get(key);
    const memory = list?.pop();
    if (memory !== undefined) {
      if (list!.length === 0) this.free.delete(key);
      this.kept--;
      this.pages -= initialPages;
      this.reused++;
      return memory;
    }
    this.created++;
    return new WebAssembly.Memory({ initial: initialPages, maximum: maximumPages });
  }

  /** Keeps `memory` (of the shape it was taken with) for the next instance, if it may be kept. */
  give(memory: WebAssembly.Memory, initialPages: number, maximumPages: number): void {
    // An empty memory costs nothing to make and would count as nothing here: never kept.
    if (initialPages === 0 || initialPages > this.limits.maxPages || this.kept >= this.limits.maxKept) return;
    if (memory.buffer.byteLength !== initialPages * WASM_PAGE_BYTES) return; // grown: not the shape any more
    const key = shapeKey(initialPages, maximumPages);
    let list = this.free.get(key);
    if (list === undefined) {
      if (this.free.size >= this.limits.maxShapes) return;
      this.free.set(key, (list = []));
    }
    if (list.length >= this.limits.perShape || list.includes(memory)) return;
    zeroWrittenPages(memory.buffer);
    list.push(memory);
    this.kept++;
    this.pages += initialPages;
  }

  /** Pages kept now. */
  keptPages(): number {
    return this.pages;
  }

  /** Memories kept now. */
  keptMemories(): number {
    return this.kept;
  }
}

/** The operating system's page: what a first write makes resident. */
const OS_PAGE_BYTES = 4096;
const ZERO_PAGE = Buffer.alloc(OS_PAGE_BYTES);

/**
 * Every byte of `buffer` zero, writing only the OS pages that hold something: comparing a page
 * the guest never touched reads the kernel's shared zero page, so it stays out of the resident set
 * (filling the whole memory would make every page resident, for the next agent's whole life).
 */
function zeroWrittenPages(buffer: ArrayBuffer): void {
  const bytes = Buffer.from(buffer); // one view, no copy; the pages are compared in place
  for (let offset = 0; offset < bytes.length; offset += OS_PAGE_BYTES) {
    const end = Math.min(offset + OS_PAGE_BYTES, bytes.length);
    if (ZERO_PAGE.compare(bytes, offset, end, 0, end - offset) !== 0) bytes.fill(0, offset, end);
  }
}

function shapeKey(initialPages: number, maximumPages: number): string {
  return `${initialPages}/${maximumPages}`;
}

/** This thread's pool (a shard is a worker thread: memories never cross threads). */
export const THREAD_MEMORY_POOL = new MemoryPool();
