/**
 * A growable ring buffer of deliveries: O(1) push, unshift and shift (shift() on a large array is
 * O(n)). One per sender inside a Mailbox; it starts small because most senders have one or two
 * deliveries waiting, and doubles when full.
 */
import type { Delivery } from '@caxton/core';

const INITIAL = 8;
/** A ring that never grew past this is kept while its sender has nothing waiting. */
const REUSABLE = 64;

export class DeliveryRing {
  private items: (Delivery | undefined)[] = new Array<Delivery | undefined>(INITIAL);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(d: Delivery): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = d;
    this.count += 1;
  }

  unshift(d: Delivery): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = d;
    this.count += 1;
  }

  /** The delivery `index` places behind the head (0 = the head), without taking it. */
  peekAt(index: number): Delivery | undefined {
    return index < 0 || index >= this.count ? undefined : this.items[(this.head + index) % this.items.length];
  }

  shift(): Delivery | undefined {
    if (this.count === 0) return undefined;
    const d = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count -= 1;
    return d;
  }

  /** Worth keeping once empty, for the next delivery of its sender (a ring grown by a burst is not). */
  small(): boolean {
    return this.items.length <= REUSABLE;
  }

  private grow(): void {
    const next = new Array<Delivery | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
