/**
 * Bytes allocated on this thread's JavaScript heap over a window (decision 2125): the bus bench's
 * figure of what the message path allocates per message, steadier than CPU on a shared machine.
 * Node has no allocation counter (`v8.getHeapStatistics()` has no total allocated on Node 24), so
 * the count is the heap's growth over the window plus what each garbage collection in it freed:
 * V8's GC profiler gives the used size before and after every collection. Only this isolate's
 * heap: a worker's (the sandbox shards') is its own.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** The used heap size around one collection, as the GC profiler reports it. */
export interface CollectionSizes {
  before: number;
  after: number;
}

/**
 * What was allocated between two readings of the used heap size with these collections between
 * them: growth plus what the collections freed (a collection that grew the heap, e.g. by promoting
 * into a fresh page's accounting, counts as having freed nothing, not as negative allocation).
 */
export function allocatedBytes(usedAtStart: number, usedAtEnd: number, collections: readonly CollectionSizes[]): number {
  let freed = 0;
  for (const c of collections) freed += Math.max(0, c.before - c.after);
  return usedAtEnd - usedAtStart + freed;
}

interface ProfiledCollection {
  beforeGC: { heapStatistics: { usedHeapSize: number } };
  afterGC: { heapStatistics: { usedHeapSize: number } };
}

/** Starts counting; the function returned stops and gives the bytes allocated and the collections seen. */
export function countAllocation(): () => { bytes: number; collections: number } {
  const profiler = new GCProfiler();
  profiler.start();
  const usedAtStart = getHeapStatistics().used_heap_size;
  return () => {
    const usedAtEnd = getHeapStatistics().used_heap_size;
    const stats = (profiler.stop()?.statistics ?? []) as ProfiledCollection[];
    const collections = stats.map((s) => ({
      before: s.beforeGC.heapStatistics.usedHeapSize,
      after: s.afterGC.heapStatistics.usedHeapSize,
    }));
    return { bytes: allocatedBytes(usedAtStart, usedAtEnd, collections), collections: collections.length };
  };
}
