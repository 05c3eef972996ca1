/**
 * The most recent delivery ids completed through this node, for `hasCompleted(id)` and to drop a
 * duplicate record of an already completed delivery (a producer retry that did land twice).
 * Bounded: a ring of ids beside a Set, oldest evicted first. It knows this node's completions, the
 * ids named by the state commit markers it read (decision 1602), and the done deliveries it read
 * back below the committed offset of each partition it took (decision 1801) — in a cluster, a
 * delivery's completions all happen on the node owning its partition.
 */
export class CompletedWindow {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity === 0 || this.ids.has(id)) return;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.ids.delete(evicted);
    this.ring[this.next] = id;
    this.ids.add(id);
    this.next = (this.next + 1) % this.capacity;
  }
}
