/**
 * When passivated instances must wake (decision 1980, "timers of a passivated instance"): one entry
 * per passivated instance with a pending timer, its earliest due time, in a min-heap. Pure: no
 * clock, no I/O. The node arms ONE JS timer at `nextAt()` for all of them, not one per key.
 *
 * Bounded: at most `capacity` entries. An instance that does not fit is not lost: its timers are
 * durable in the registry, and the index only remembers the earliest due time it had to leave out
 * (`spillFloor`). Every entry left out is due at or after that floor, so when the clock reaches it
 * the node rebuilds the index from the registry (`refill`) with the earliest `capacity` instances,
 * and nothing is woken late. A full index costs rebuilds, never a missed wake.
 */
export interface DueEntry {
  readonly name: string;
  readonly dueAt: number;
}

export class TimerWakes {
  /** The live due time per instance (an entry of the heap that disagrees with it is stale). */
  private readonly due = new Map<string, number>();
  private heap: DueEntry[] = [];
  private spillFloor = Infinity;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.due.size;
  }

  /** True when some instance's wake was left out of the index (its due time is >= the floor). */
  get spilled(): boolean {
    return this.spillFloor !== Infinity;
  }

  /** Remember that `name` must wake at `dueAt` (replacing what was known of it). */
  add(name: string, dueAt: number): void {
    if (!this.due.has(name) && this.due.size >= this.capacity) {
      this.spillFloor = Math.min(this.spillFloor, dueAt);
      return;
    }
    this.due.set(name, dueAt);
    this.push({ name, dueAt });
    this.compactIfStale();
  }

  /** The due time remembered for `name`; undefined when none is. */
  dueOf(name: string): number | undefined {
    return this.due.get(name);
  }

  /** `name` is in memory again (activated by mail): its own timers are armed, no wake needed. */
  remove(name: string): void {
    if (this.due.delete(name)) this.compactIfStale();
  }

  /** Forget every instance `matches` says yes to (a kind was stopped: its timers were deleted). */
  removeWhere(matches: (name: string) => boolean): void {
    for (const name of [...this.due.keys()]) if (matches(name)) this.due.delete(name);
    this.compactIfStale();
  }

  /** When the next wake (or the rebuild of a spilled index) is due; Infinity when nothing is. */
  nextAt(): number {
    this.dropStaleTop();
    return Math.min(this.heap[0]?.dueAt ?? Infinity, this.spillFloor);
  }

  /** Does the index need rebuilding from the registry at `now` (an entry left out may be due)? */
  needsRefill(now: number): boolean {
    return this.spillFloor <= now;
  }

  /** Takes the instances due at `now`, soonest first, at most `max` of them (the rest stay for the next call). */
  takeDue(now: number, max = Infinity): DueEntry[] {
    const out: DueEntry[] = [];
    while (out.length < max) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (top === undefined || top.dueAt > now) return out;
      this.pop();
      this.due.delete(top.name);
      out.push(top);
    }
    return out;
  }

  /**
   * Rebuilds the index from every pending wake (the registry's earliest due time per instance, the
   * instances in memory excluded by the caller): the soonest `capacity` are kept, and the floor
   * becomes the earliest of those left out (or `leftOutFloor`, the earliest the caller left out
   * before, if sooner).
   */
  refill(entries: Iterable<DueEntry>, leftOutFloor = Infinity): void {
    const all = [...entries].sort((a, b) => a.dueAt - b.dueAt);
    this.due.clear();
    this.heap = [];
    this.spillFloor = Infinity;
    for (const e of all) {
      if (this.due.size >= this.capacity) {
        this.spillFloor = e.dueAt;
        break;
      }
      this.due.set(e.name, e.dueAt);
      this.heap.push(e); // sorted: already a heap
    }
    // Entries the caller left out already (it kept only the soonest, reading page by page).
    this.spillFloor = Math.min(this.spillFloor, leftOutFloor);
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && this.due.get(this.heap[0]!.name) !== this.heap[0]!.dueAt) this.pop();
  }

  /** Stale heap entries (removed or replaced instances) are bounded: past twice the live ones, the heap is rebuilt. */
  private compactIfStale(): void {
    if (this.heap.length <= 2 * this.due.size + 64) return;
    this.heap = [...this.due].map(([name, dueAt]) => ({ name, dueAt })).sort((a, b) => a.dueAt - b.dueAt);
  }

  private push(e: DueEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.dueAt <= e.dueAt) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.dueAt < h[l]!.dueAt ? r : l;
      if (h[c]!.dueAt >= last.dueAt) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
