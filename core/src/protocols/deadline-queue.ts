/**
 * A min-heap of due times keyed by an identity, with O(log n) set/delete. The tracker keeps one entry
 * per active conversation (its earliest pending deadline), so `nextDeadline()` is O(1) and the bus
 * needs a single timer however many conversations are in flight. Keys are replaced in place rather
 * than pushed again, so the heap never holds stale entries and its size is bounded by the number of
 * active conversations.
 */
interface Entry<K> {
  key: K;
  at: number;
}

export class DeadlineQueue<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly position = new Map<K, number>();

  get size(): number {
    return this.heap.length;
  }

  /** Schedule (or reschedule) `key` at `at`; `undefined` removes it. */
  set(key: K, at: number | undefined): void {
    if (at === undefined || !Number.isFinite(at)) {
      this.delete(key);
      return;
    }
    const index = this.position.get(key);
    if (index === undefined) {
      this.heap.push({ key, at });
      this.position.set(key, this.heap.length - 1);
      this.siftUp(this.heap.length - 1);
      return;
    }
    const entry = this.heap[index]!;
    const earlier = at < entry.at;
    entry.at = at;
    if (earlier) this.siftUp(index);
    else this.siftDown(index);
  }

  delete(key: K): void {
    const index = this.position.get(key);
    if (index === undefined) return;
    this.position.delete(key);
    const last = this.heap.pop()!;
    if (index === this.heap.length) return;
    this.heap[index] = last;
    this.position.set(last.key, index);
    this.siftUp(index);
    this.siftDown(index);
  }

  /** The earliest scheduled time, if any. */
  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Remove and return every key due at or before `now`, earliest first. */
  takeDue(now: number): K[] {
    const due: K[] = [];
    for (let top = this.heap[0]; top !== undefined && top.at <= now; top = this.heap[0]) {
      due.push(top.key);
      this.delete(top.key);
    }
    return due;
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (this.heap[parent]!.at <= this.heap[child]!.at) return;
      this.swap(parent, child);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = parent * 2 + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.heap[left]!.at < this.heap[smallest]!.at) smallest = left;
      if (right < this.heap.length && this.heap[right]!.at < this.heap[smallest]!.at) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a]!;
    const second = this.heap[b]!;
    this.heap[a] = second;
    this.heap[b] = first;
    this.position.set(second.key, a);
    this.position.set(first.key, b);
  }
}
