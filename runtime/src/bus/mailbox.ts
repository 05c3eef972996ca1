/**
 * A bounded mailbox of deliveries for one agent, handed out by priority (decision 1920) and, within
 * a priority, in fair order (decision 1830): each sender's deliveries of one priority stay FIFO,
 * and senders with something waiting are served round robin, one delivery each per turn, so one
 * sender's backlog cannot delay another's (issue 25's send_storm).
 *
 * Priorities: one lane per level (high, normal, low; `X-caxton-priority`). The highest lane with
 * something waiting is served, except that a lane passed over for `aging` dispatches in a row
 * while it had something waiting is served next (lowest such lane first): lower priorities are
 * slowed, never starved.
 *
 * The bound is what keeps memory flat when an agent is slower than its senders: the bus refuses
 * (backpressure) instead of queueing without limit. Per-sender shares (decision 1730) bound what
 * each sender may put in; this class decides the order it comes out.
 *
 * Hot path, O(1) per push/shift: one ring buffer per sender and lane (reused, so no allocation per
 * message), and the senders with something waiting on an intrusive circular list per lane (the
 * active ring) whose head is served next. A mailbox holding only normal messages takes one
 * comparison more per push and shift than before priorities.
 */
import { DEFAULT_TRAFFIC_LIMITS, NORMAL_RANK, priorityRank, type Delivery, type PriorityRank } from '@caxton/core';
import { DeliveryRing } from './delivery-ring.js';

/** The stamped sender of a delivery: the key of its sub-queue. */
export function senderOf(d: Delivery): string {
  return d.message.sender?.name ?? '';
}

/** One sender's FIFO in one lane, linked into the lane's active ring while it holds something. */
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

/** The deliveries of one priority: per-sender FIFOs served round robin (decision 1830). */
class Lane {
  /** Every sender with a queue: the active ones, and up to IDLE_KEPT idle ones. */
  readonly senders = new Map<string, SenderQueue>();
  /** Senders in the active ring. */
  active = 0;
  /** The active ring's head (served next); `head.prev` is its tail. */
  head: SenderQueue | undefined;
  count = 0;
  /** Dispatches in a row served from other lanes while this one had something waiting (aging). */
  passedOver = 0;

  push(delivery: Delivery): void {
    const q = this.queueOf(senderOf(delivery));
    q.ring.push(delivery);
    this.count += 1;
    if (!q.active) this.link(q, false);
  }

  unshift(delivery: Delivery): void {
    const q = this.queueOf(senderOf(delivery));
    q.ring.unshift(delivery);
    this.count += 1;
    if (q.active) this.unlink(q);
    this.link(q, true);
  }

  /** The lane's `index`-th delivery in fair order (see Mailbox.peekAt). */
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

  /** Take `d` if it is first of its sender's queue (see Mailbox.take). */
  take(d: Delivery): boolean {
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

const LANES = 3;

export class Mailbox {
  /** One lane per priority rank: 0 high, 1 normal, 2 low. */
  private readonly lanes: readonly [Lane, Lane, Lane] = [new Lane(), new Lane(), new Lane()];
  private readonly normal: Lane = this.lanes[NORMAL_RANK];
  private count = 0;
  /** Deliveries reserved by senders whose append is still in flight. */
  private reserved = 0;
  /**
   * Deliveries handed off (handled, out of the queue) whose completion is not durable yet. They
   * still count against the capacity, so what the node holds for an agent stays bounded.
   */
  private completing = 0;
  /** peekAt's simulation of the next dispatches across lanes: taken per lane, then passed-over per lane. */
  private readonly scratch = new Int32Array(LANES * 2);

  /**
   * `aging`: a lane passed over this many dispatches in a row while it has something waiting is
   * served next (TRAFFIC_LIMIT_TABLE.priorityAgingDispatches).
   */
  constructor(
    readonly capacity: number,
    readonly aging: number = DEFAULT_TRAFFIC_LIMITS.priorityAgingDispatches,
  ) {}

  /** Accepted and not completed yet: waiting, plus handed off and still completing. */
  get depth(): number {
    return this.count + this.completing;
  }

  /** Waiting to be handled. */
  get queued(): number {
    return this.count;
  }

  /** Waiting to be handled at one priority rank (0 high, 1 normal, 2 low). */
  queuedAt(rank: PriorityRank): number {
    return this.lanes[rank].count;
  }

  /** Senders with something waiting (a sender waiting in two priorities counts twice). */
  get activeSenders(): number {
    return this.lanes[0].active + this.lanes[1].active + this.lanes[2].active;
  }

  /** Slots taken: waiting, completing, and reserved by appends in flight. */
  get occupied(): number {
    return this.count + this.completing + this.reserved;
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
   * Enqueue at the end of its sender's queue in its priority's lane, even past capacity (replays
   * were accepted before). A sender with nothing waiting there joins the lane's ring at the tail:
   * it is served after the senders of that priority waiting now.
   */
  push(delivery: Delivery): void {
    this.laneOf(delivery).push(delivery);
    this.count += 1;
  }

  /**
   * Put a delivery back in front of its sender's queue, and that sender at its lane's head: it is
   * the next one of its priority handed out (a delivery taken and to be handled again keeps its turn).
   */
  unshift(delivery: Delivery): void {
    this.laneOf(delivery).unshift(delivery);
    this.count += 1;
  }

  /** The delivery handed out next. */
  peek(): Delivery | undefined {
    return this.nextLane()?.head?.ring.peekAt(0);
  }

  /**
   * The delivery `index` places behind the head in handing-out order (0 = the head), without taking
   * it. Within a lane, round r holds the r-th delivery of every active sender that has more than r,
   * in ring order; across lanes, the choice `shift` would make (priority, then aging) is simulated.
   * O(index × (index + active senders)) — it is used for small batches. A push may change what lies
   * past index 0 before it is taken; `take` removes by identity for that.
   */
  peekAt(index: number): Delivery | undefined {
    if (index < 0 || index >= this.count) return undefined;
    if (this.normal.count === this.count) return this.normal.peekAt(index);
    const s = this.scratch;
    for (let r = 0; r < LANES; r++) {
      s[r] = 0;
      s[LANES + r] = this.lanes[r]!.passedOver;
    }
    for (let i = 0; ; i++) {
      let pick = -1;
      for (let r = LANES - 1; r >= 0; r--)
        if (this.lanes[r]!.count > s[r]! && s[LANES + r]! >= this.aging) {
          pick = r;
          break;
        }
      if (pick < 0)
        for (let r = 0; r < LANES; r++)
          if (this.lanes[r]!.count > s[r]!) {
            pick = r;
            break;
          }
      if (i === index) return this.lanes[pick]!.peekAt(s[pick]!);
      s[pick] = s[pick]! + 1;
      for (let r = 0; r < LANES; r++) {
        if (r === pick) s[LANES + r] = 0;
        else if (this.lanes[r]!.count > s[r]!) s[LANES + r] = s[LANES + r]! + 1;
        else s[LANES + r] = 0;
      }
    }
  }

  /** Take the head of the lane served next: its sender moves to the lane's tail (or leaves it). */
  shift(): Delivery | undefined {
    const lane = this.nextLane();
    if (lane === undefined) return undefined;
    const d = lane.shift();
    this.count -= 1;
    this.served(lane);
    return d;
  }

  /**
   * Take `d` if it is the first waiting delivery of its sender in its lane (where a batch taken by
   * `peekAt` finds it, whatever arrived meanwhile). Served from the lane's head, the sender moves
   * to the tail; otherwise it keeps its place. False when `d` is not there (taken or forgotten).
   * It counts as a dispatch of its lane for aging, as `shift` does.
   */
  take(d: Delivery): boolean {
    // Only normal traffic waiting: `d` can be nowhere else (no priority to read).
    const lane = this.normal.count === this.count ? this.normal : this.laneOf(d);
    if (!lane.take(d)) return false;
    this.count -= 1;
    this.served(lane);
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

  /** Remove and return everything waiting, in handing-out order (used when an agent is removed). */
  drain(): Delivery[] {
    const out: Delivery[] = [];
    for (let d = this.shift(); d !== undefined; d = this.shift()) out.push(d);
    return out;
  }

  private laneOf(d: Delivery): Lane {
    return this.lanes[priorityRank(d.message)];
  }

  /** The lane `shift` serves: the lowest lane aged past `aging`, else the highest with something waiting. */
  private nextLane(): Lane | undefined {
    // Only normal traffic (the common case): no choice to make.
    if (this.normal.count === this.count) return this.count === 0 ? undefined : this.normal;
    for (let r = LANES - 1; r >= 0; r--) {
      const lane = this.lanes[r]!;
      if (lane.count > 0 && lane.passedOver >= this.aging) return lane;
    }
    for (let r = 0; r < LANES; r++) if (this.lanes[r]!.count > 0) return this.lanes[r];
    return undefined;
  }

  /** One dispatch from `lane`: its aging restarts, every other lane with something waiting was passed over once more. */
  private served(lane: Lane): void {
    lane.passedOver = 0;
    // Only normal traffic (the common case): the other lanes were empty, and reset when they emptied.
    if (lane === this.normal && this.normal.count === this.count) return;
    for (let r = 0; r < LANES; r++) {
      const l = this.lanes[r]!;
      if (l === lane) continue;
      if (l.count > 0) l.passedOver += 1;
      else l.passedOver = 0;
    }
  }
}
