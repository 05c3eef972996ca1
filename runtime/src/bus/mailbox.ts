/**
 * A bounded FIFO of deliveries for one agent. The bound is what keeps memory flat when an agent is
 * slower than its senders: the bus refuses (backpressure) instead of queueing without limit.
 * A ring buffer, because shift() on large arrays is O(n) and mailboxes sit on the hot path.
 */
import type { Delivery } from './message-log.js';

export class Mailbox {
  private items: (Delivery | undefined)[];
  private head = 0;
  private count = 0;
  /** Deliveries reserved by senders whose append is still in flight. */
  private reserved = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<Delivery | undefined>(Math.min(capacity, 64));
  }

  get depth(): number {
    return this.count;
  }

  /** Room for `n` more, counting reservations of appends still in flight. */
  hasRoom(n = 1): boolean {
    return this.count + this.reserved + n <= this.capacity;
  }

  reserve(n: number): void {
    this.reserved += n;
  }

  release(n: number): void {
    this.reserved = Math.max(0, this.reserved - n);
  }

  /** Enqueue even past capacity: used for replayed deliveries, which were accepted before. */
  push(delivery: Delivery): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = delivery;
    this.count += 1;
  }

  unshift(delivery: Delivery): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = delivery;
    this.count += 1;
  }

  peek(): Delivery | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): Delivery | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count -= 1;
    return item;
  }

  /** Remove and return everything (used when an agent is removed). */
  drain(): Delivery[] {
    const out: Delivery[] = [];
    for (let d = this.shift(); d !== undefined; d = this.shift()) out.push(d);
    return out;
  }

  private grow(): void {
    const next = new Array<Delivery | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

