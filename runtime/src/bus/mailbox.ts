/**
 * A bounded mailbox of deliveries for one agent, handed out in fair order (decision 1830): each
 * sender's deliveries stay FIFO, and senders with something waiting are served round robin, one
 * delivery each per turn, so one sender's backlog cannot delay another's (issue 25's send_storm).
 *
 * The bound is what keeps memory flat when an agent is slower than its senders: the bus refuses
 * (backpressure) instead of queueing without limit. Per-sender shares (decision 1730) bound what
 * each sender may put in; this class decides the order it comes out.
 *
 * Hot path, O(1) per push/shift: one ring buffer per sender (reused, so no allocation per message),
 * and the senders with something waiting on an intrusive circular list (the active ring) whose
 * head is served next.
 */
import type { Delivery } from '@caxton/core';
import { DeliveryRing } from './delivery-ring.js';

/** The stamped sender of a delivery: the key of its sub-queue. */
export function senderOf(d: Delivery): string {
  return d.message.sender?.name ?? '';
}

/** One sender's FIFO, linked into the active ring while it holds something. */
class SenderQueue {
  readonly ring = new DeliveryRing();
  next: SenderQueue | undefined;
  prev: SenderQueue | undefined;
  active = false;
  constructor(readonly sender: string) {}
}

/**
 * Emptied sender queues stay in the map (a sender sending one message at a time then costs one map
 * lookup, no allocation, no map churn) until more than this many are idle; then the idle ones are
 * dropped at once (amortised O(1); many one-off senders cannot grow a mailbox without bound).
 */
const IDLE_KEPT = 64;

export class Mailbox {
  /** Every sender with a queue: the active ones, and up to IDLE_KEPT idle ones. */
  private readonly senders = new Map<string, SenderQueue>();
  /** Senders in the active ring. */
  private active = 0;
  /** The active ring's head (served next); `head.prev` is its tail. */
  private head: SenderQueue | undefined;
  private count = 0;
  /** Deliveries reserved by senders whose append is still in flight. */
  private reserved = 0;
  /**
   * Deliveries handed off (handled, out of the queue) whose completion is not durable yet. They
   * still count against the capacity, so what the node holds for an agent stays bounded.
   */
  private completing = 0;

  constructor(readonly capacity: number) {}

  /** Accepted and not completed yet: waiting, plus handed off and still completing. */
  get depth(): number {
    return this.count + this.completing;
  }

  /** Waiting to be handled. */
  get queued(): number {
    return this.count;
  }

  /** Senders with something waiting. */
  get activeSenders(): number {
    return this.active;
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

  /**
   * Enqueue at the end of its sender's queue, even past capacity (replays were accepted before). A
   * sender with nothing waiting joins the ring's tail: it is served after the senders waiting now.
   */
  push(delivery: Delivery): void {
    const q = this.queueOf(senderOf(delivery));
    q.ring.push(delivery);
    this.count += 1;
    if (!q.active) this.link(q, false);
  }

  /**
   * Put a delivery back in front of its sender's queue, and that sender at the ring's head: it is
   * the next one handed out (a delivery that was taken and must be handled again keeps its turn).
   */
  unshift(delivery: Delivery): void {
    const q = this.queueOf(senderOf(delivery));
    q.ring.unshift(delivery);
    this.count += 1;
    if (q.active) this.unlink(q);
    this.link(q, true);
  }

  /** The delivery handed out next. */
  peek(): Delivery | undefined {
    return this.head?.ring.peekAt(0);
  }

  /**
   * The delivery `index` places behind the head in fair order (0 = the head), without taking it:
   * round r holds the r-th delivery of every active sender that has more than r, in ring order.
   * O(index + active senders) — it is used for small batches. A push from a sender not waiting now
   * may change what lies past index 0 before it is taken; `take` removes by identity for that.
   */
  peekAt(index: number): Delivery | undefined {
    if (index < 0 || index >= this.count || this.head === undefined) return undefined;
    for (let round = 0; ; round++) {
      let q: SenderQueue = this.head;
      let any = false;
      do {
        if (q.ring.length > round) {
          any = true;
          if (index === 0) return q.ring.peekAt(round);
          index -= 1;
        }
        q = q.next!;
      } while (q !== this.head);
      if (!any) return undefined;
    }
  }

  /** Take the head: its sender moves to the ring's tail (or leaves it, if it has nothing more). */
  shift(): Delivery | undefined {
    const q = this.head;
    if (q === undefined) return undefined;
    const d = q.ring.shift();
    this.count -= 1;
    this.head = q.next;
    if (q.ring.length === 0) this.retire(q);
    return d;
  }

  /**
   * Take `d` if it is the first waiting delivery of its sender (where a batch taken by `peekAt`
   * finds it, whatever arrived meanwhile). Served from the ring's head, the sender moves to the
   * tail; otherwise it keeps its place. False when `d` is not there (taken or forgotten meanwhile).
   */
  take(d: Delivery): boolean {
    // The common case, the head itself, needs no lookup.
    if (this.head !== undefined && this.head.ring.peekAt(0) === d) {
      this.shift();
      return true;
    }
    const q = this.senders.get(senderOf(d));
    if (q === undefined || q.ring.peekAt(0)?.id !== d.id) return false;
    if (q === this.head) {
      this.shift();
      return true;
    }
    q.ring.shift();
    this.count -= 1;
    if (q.ring.length === 0) this.retire(q);
    return true;
  }

  /** `d` was handled: it leaves the queue (see `take`) but keeps its slot until `settle()`. */
  handOff(d: Delivery): boolean {
    if (!this.take(d)) return false;
    this.completing += 1;
    return true;
  }

  /** A handed-off delivery is completed or dead-lettered (or given up): its slot is free again. */
  settle(): void {
    this.completing = Math.max(0, this.completing - 1);
  }

  /** Remove and return everything waiting, in fair order (used when an agent is removed). */
  drain(): Delivery[] {
    const out: Delivery[] = [];
    for (let d = this.shift(); d !== undefined; d = this.shift()) out.push(d);
    return out;
  }

  private queueOf(sender: string): SenderQueue {
    let q = this.senders.get(sender);
    if (q === undefined) {
      q = new SenderQueue(sender);
      this.senders.set(sender, q);
    }
    return q;
  }

  /** An emptied sender queue leaves the ring; idle queues are dropped once there are too many. */
  private retire(q: SenderQueue): void {
    this.unlink(q);
    if (!q.ring.small()) this.senders.delete(q.sender); // a ring grown by a burst is left to the collector
    if (this.senders.size - this.active > IDLE_KEPT) {
      for (const [sender, idle] of this.senders) if (!idle.active) this.senders.delete(sender);
    }
  }

  private link(q: SenderQueue, atHead: boolean): void {
    q.active = true;
    this.active += 1;
    const head = this.head;
    if (head === undefined) {
      q.next = q.prev = q;
      this.head = q;
      return;
    }
    const tail = head.prev!;
    q.prev = tail;
    q.next = head;
    tail.next = q;
    head.prev = q;
    if (atHead) this.head = q;
  }

  private unlink(q: SenderQueue): void {
    if (!q.active) return;
    q.active = false;
    this.active -= 1;
    if (q.next === q) {
      this.head = undefined;
    } else {
      q.prev!.next = q.next;
      q.next!.prev = q.prev;
      if (this.head === q) this.head = q.next;
    }
    q.next = q.prev = undefined;
  }
}
