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
 * - only small memories are kept (at most 4 pages), never an empty one, and a bounded number: each
 *   holds V8's address-space reservation (8–10 GiB), which the whole process shares; zeroing writes
 *   only the pages the guest wrote, so a recycled memory is no more resident than the fresh one it
 *   replaces.
 *
 * How many (decision 2208): enough for a kind's passivation sweep, which gives back hundreds of
 * memories at once while activations take them one by one after it (kept too few, nearly every
 * activation reserved and later unmapped a memory of its own: two system calls of ~30 µs each on
 * the shard). What that costs is bounded three ways: a memory not taken again within `idleMs` is
 * let go (checked every half of it); a thread whose new memory cannot be reserved lets go of every
 * memory it keeps and tries once more (V8 collects them to make room); and `maxKept` is one
 * thread's share of a process-wide 1,024 (by the cores, a shard per core: 512 on two cores, 32 on
 * thirty-two), so the pools together hold ~1,024 reservations of 8–10 GiB: ~8 % of the space.
 */
import { Buffer } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { WASM_PAGE_BYTES } from './limits/rewrite.js';

export interface MemoryPoolLimits {
  /** Largest memory kept, in pages: zeroing makes its pages resident, for the next agent's life too. */
  maxPages: number;
  /** Memories kept of one shape. */
  perShape: number;
  /** Memories kept in all: each holds V8's address-space reservation (8–10 GiB), a process-wide budget. */
  maxKept: number;
  /** Shapes kept at once (an agent's memory budget sets its memories' maximum, so shapes vary by deployment). */
  maxShapes: number;
  /** A memory kept this long without being taken again is let go (its reservation and its zeroed pages). */
  idleMs: number;
}

/** Memories all threads' pools keep at most together, with a shard per core (see `maxKept`). */
const PROCESS_KEPT = 1024;

export const DEFAULT_MEMORY_POOL_LIMITS: MemoryPoolLimits = Object.freeze({
  maxPages: 4,
  perShape: 512,
  maxKept: Math.min(512, Math.max(32, Math.floor(PROCESS_KEPT / availableParallelism()))),
  maxShapes: 16,
  idleMs: 10_000,
});

/** What makes a memory (a test makes one fail as V8 does when the address space is spent). */
export type MemoryFactory = (initial: number, maximum: number) => WebAssembly.Memory;

const newMemory: MemoryFactory = (initial, maximum) => new WebAssembly.Memory({ initial, maximum });

interface Kept {
  memory: WebAssembly.Memory;
  /** When it was given back (the pool's clock): let go once `idleMs` older than now. */
  at: number;
}

export class MemoryPool {
  /** By shape, oldest first: taken from the end, let go from the front. */
  private readonly free = new Map<string, Kept[]>();
  private readonly keptSet = new Set<WebAssembly.Memory>();
  private pages = 0;
  private trimTimer: NodeJS.Timeout | undefined;
  /** Memories handed out again, and memories created because none was kept (for tests and benches). */
  reused = 0;
  created = 0;
  /** Times a memory could not be reserved until the pool let go of what it kept. */
  released = 0;

  constructor(
    private readonly limits: MemoryPoolLimits = DEFAULT_MEMORY_POOL_LIMITS,
    private readonly now: () => number = () => performance.now(),
    private readonly create: MemoryFactory = newMemory,
  ) {}

  /** A zeroed memory of this shape, kept or new. */
  take(initialPages: number, maximumPages: number): WebAssembly.Memory {
    const key = shapeKey(initialPages, maximumPages);
    const list = this.free.get(key);
    const kept = list?.pop();
    if (kept !== undefined) {
      if (list!.length === 0) this.free.delete(key);
      this.keptSet.delete(kept.memory);
      this.pages -= initialPages;
      this.reused++;
      return kept.memory;
    }
    this.created++;
    try {
      return this.create(initialPages, maximumPages);
    } catch (err) {
      // The address space is spent (V8: "could not allocate memory"): what this pool keeps holds
      // some of it. Let go of all of it; V8 collects what nothing references before it gives up.
      if (!(err instanceof RangeError) || this.keptSet.size === 0) throw err;
      this.clear();
      this.released++;
      return this.create(initialPages, maximumPages);
    }
  }

  /** Keeps `memory` (of the shape it was taken with) for the next instance, if it may be kept. */
  give(memory: WebAssembly.Memory, initialPages: number, maximumPages: number): void {
    // An empty memory costs nothing to make and would count as nothing here: never kept.
    if (initialPages === 0 || initialPages > this.limits.maxPages || this.keptSet.size >= this.limits.maxKept) return;
    if (memory.buffer.byteLength !== initialPages * WASM_PAGE_BYTES) return; // grown: not the shape any more
    if (this.keptSet.has(memory)) return;
    const key = shapeKey(initialPages, maximumPages);
    let list = this.free.get(key);
    if (list === undefined) {
      if (this.free.size >= this.limits.maxShapes) return;
      this.free.set(key, (list = []));
    }
    if (list.length >= this.limits.perShape) return;
    zeroWrittenPages(memory.buffer);
    list.push({ memory, at: this.now() });
    this.keptSet.add(memory);
    this.pages += initialPages;
    this.armTrim();
  }

  /** Lets go of the memories kept past `idleMs` (the oldest of each shape first). */
  trim(): void {
    const before = this.now() - this.limits.idleMs;
    for (const [key, list] of this.free) {
      let n = 0;
      while (n < list.length && list[n]!.at <= before) n++;
      if (n === 0) continue;
      for (const k of list.splice(0, n)) this.forget(k.memory);
      if (list.length === 0) this.free.delete(key);
    }
  }

  /** Pages kept now. */
  keptPages(): number {
    return this.pages;
  }

  /** Memories kept now. */
  keptMemories(): number {
    return this.keptSet.size;
  }

  private forget(memory: WebAssembly.Memory): void {
    this.keptSet.delete(memory);
    this.pages -= memory.buffer.byteLength / WASM_PAGE_BYTES;
  }

  private clear(): void {
    this.free.clear();
    this.keptSet.clear();
    this.pages = 0;
  }

  /** While anything is kept, a timer lets idle memories go (unref'd: it keeps no thread alive). */
  private armTrim(): void {
    if (this.trimTimer !== undefined) return;
    this.trimTimer = setInterval(() => {
      this.trim();
      if (this.keptSet.size === 0) {
        clearInterval(this.trimTimer);
        this.trimTimer = undefined;
      }
    }, this.limits.idleMs / 2);
    this.trimTimer.unref();
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
