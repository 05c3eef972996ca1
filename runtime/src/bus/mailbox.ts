/**
 * A bounded FIFO of deliveries for one agent. The bound is what keeps memory flat when an agent is
 * slower than its senders: the bus refuses (backpressure) instead of queueing without limit.
 * A ring buffer, because shift() on large arrays is O(n) and mailboxes sit on the hot path.
 */
import type { Delivery } from '@caxton/core';

export class Mailbox {
  private items: (Delivery | undefined)[];
  private head = 0;
  private count = 0;
  /** Deliveries reserved by senders whose append is still in flight. */
  private reserved = 0;
  /**
   * Deliveries handed off (handled, out of the queue) whose completion is not durable yet. They
   * still count against the capacity, so what the node holds for an agent stays bounded.
   */
  private completing = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<Delivery | undefined>(Math.min(capacity, 64));
  }

  /** Accepted and not completed yet: waiting, plus handed off and still completing. */
  get depth(): number {
    return this.count + this.completing;
  }

  /** Waiting to be handled. */
  get queued(): number {
    return this.count;
  }

  /** Room for `n` more, counting reservations of appends in flight and completions in flight. */
  hasRoom(n = 1): boolean {
    return this.count + this.completing + this.reserved + n <= this.capacity;
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

  /** The delivery `index` places behind the head (0 = the head), without taking it. */
  peekAt(index: number): Delivery | undefined {
    return index < 0 || index >= this.count ? undefined : this.items[(this.head + index) % this.items.length];
  }

  shift(): Delivery | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count -= 1;
    return item;
  }

  /** The head was handled: it leaves the queue but keeps its slot until `settle()`. */
  handOff(): Delivery | undefined {
    const d = this.shift();
    if (d !== undefined) this.completing += 1;
    return d;
  }

  /** A handed-off delivery is completed or dead-lettered (or given up): its slot is free again. */
  settle(): void {
    this.completing = Math.max(0, this.completing - 1);
  }

  /** Remove and return everything waiting (used when an agent is removed). */
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

