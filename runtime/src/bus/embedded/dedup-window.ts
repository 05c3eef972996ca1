/**
 * The last N completed (or dead-lettered) delivery ids, for `hasCompleted(id)`: a producer that
 * retries an append with the same delivery id after a timeout must not get the message handed out
 * twice. Bounded so a long-running node does not remember every id forever; oldest ids fall out
 * first (a ring buffer beside a Set keeps add/has/evict O(1)).
 */
import { IdFilter } from '../id-filter.js';

export class DedupWindow {
  private readonly ids = new Set<string>();
  /** Answers most misses without the Set (decision 2000): nearly every lookup is one. */
  private readonly filter: IdFilter;
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
    this.filter = new IdFilter(capacity);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.filter.mayHave(id) && this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity === 0) return;
    // One hash lookup instead of has() + add(): this runs once per completed delivery.
    const before = this.ids.size;
    this.ids.add(id);
    if (this.ids.size === before) return;
    this.filter.added(id);
    const evicted = this.ring[this.next];
    if (evicted !== undefined && this.ids.delete(evicted)) this.filter.removed(evicted);
    this.ring[this.next] = id;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
  }
}
