// Scratch memory for canonical-ABI transfers.
//
// Everything that crosses the component boundary is copied into managed AssemblyScript objects (or
// out of them) immediately, so the raw buffers live for a single transfer only. A bump arena fits
// that exactly: the host's `cabi_realloc` calls and the guest's own lowering buffers bump-allocate,
// and `arenaReset()` drops them all once the values have been lifted. That is cheaper than one
// malloc/free per string, and we never need to guess which pointers the host actually allocated
// (a zero-length string may or may not have gone through realloc).
//
// The arena is unmanaged memory (heap.alloc), invisible to the GC, so a collection can never free
// a buffer the host is still writing into.

// @ts-ignore: decorator
@inline const CHUNK_SIZE: usize = 4096;
// The permanent chunk starts this small: it is made while `init` is lowered, between the
// allocator's root and the agent's first objects, and at 4 KiB it spread them over one more 4 KiB
// page of memory for every idle agent (decision 2113). The first call that needs more makes it
// CHUNK_SIZE at its reset, so an agent that transfers more pays for extra chunks once, not per call.
// @ts-ignore: decorator
@inline const FIRST_CHUNK_SIZE: usize = 1024;
// Extra chunks carry a one-word header: the previous extra chunk, so reset can free them all.
// @ts-ignore: decorator
@inline const HEADER: usize = 8;

let base: usize = 0; // the permanent first chunk
let baseSize: usize = 0; // its size: FIRST_CHUNK_SIZE, then CHUNK_SIZE once a call needed more
let top: usize = 0; // next free byte in the current chunk
let end: usize = 0; // end of the current chunk
let extra: usize = 0; // most recent extra chunk (linked list through the header)

function alignUp(p: usize, align: usize): usize {
  const a: usize = align == 0 ? 1 : align;
  return (p + a - 1) & ~(a - 1);
}

/** Allocates `size` bytes aligned to `align` (a power of two <= 8 for our types). */
export function arenaAlloc(size: usize, align: usize): usize {
  if (base == 0) {
    baseSize = FIRST_CHUNK_SIZE;
    base = heap.alloc(baseSize);
    top = base;
    end = base + baseSize;
  }
  let p = alignUp(top, align);
  if (p + size > end) {
    // Big or overflowing request: a dedicated chunk, freed on reset.
    const chunkSize = max<usize>(CHUNK_SIZE, size + HEADER + 8);
    const chunk = heap.alloc(chunkSize);
    store<usize>(chunk, extra);
    extra = chunk;
    p = alignUp(chunk + HEADER, align);
    end = chunk + chunkSize;
  }
  top = p + size;
  return p;
}

/** Grows the most recent allocation in place when possible, otherwise copies. */
export function arenaRealloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (old == 0) return arenaAlloc(newSize, align);
  if (old + oldSize == top && old + newSize <= end) {
    top = old + newSize;
    return old;
  }
  const p = arenaAlloc(newSize, align);
  memory.copy(p, old, min<usize>(oldSize, newSize));
  return p;
}

/** Releases every arena allocation. Call only when no raw transfer buffer is still needed. */
export function arenaReset(): void {
  const overflowed = extra != 0;
  while (extra != 0) {
    const next = load<usize>(extra);
    heap.free(extra);
    extra = next;
  }
  if (overflowed && baseSize < CHUNK_SIZE) {
    heap.free(base);
    baseSize = CHUNK_SIZE;
    base = heap.alloc(baseSize);
  }
  top = base;
  end = base + baseSize;
}
