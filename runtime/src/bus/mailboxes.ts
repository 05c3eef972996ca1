/**
 * The bus's mailbox state, in one place: every agent's bounded queue, the set of deliveries pending
 * on this node (in a queue or handed off; an append of an id in here is a duplicate), and the
 * deliveries handed off early whose completion is not recorded yet (decision 0900).
 *
 * Bus-internal: the send path and the dispatch loop share this object; nothing outside
 * runtime/src/bus sees a Mailbox.
 *
 * One record per pending delivery (decision 2070) holds its mailbox, whether it is handed off and
 * the share slot it holds: accepting, handing off and finishing a delivery look its id up once
 * each, instead of once per map (pending, handed off) and again per share record.
 */
import { DEFAULT_TRAFFIC_LIMITS, TOPIC_PREFIX, messageTextUnits, type AclMessage, type Delivery } from '@caxton/core';
import { Mailbox, senderOf } from './mailbox.js';
import { MailboxShares, shareLimits, textLimits, type HeldSlot, type TextLimits } from './mailbox-shares.js';
import { NodeText, nodeTextLimits, type NodeTextLimits, type TextCharge, type TextClass } from './node-text.js';
import { EdgeAdmission, type EdgeAdmissionLimits } from './edge-admission.js';
import { RenewedMap } from '../collections/renewed-tables.js';

export interface MailboxesOptions {
  /** Is this (qualified) sender name a deployed agent? */
  isAgent?: (sender: string) => boolean;
  /** The platform's own sender name (failures, deadline replies): neither an agent nor an outside client. */
  platformSender?: string;
  /** Edge admission of outside clients' deliveries (decision 1810); defaults otherwise. */
  edge?: EdgeAdmissionLimits;
  now?: () => number;
  /** Dispatches a waiting priority may be passed over before it is served (decision 1920). */
  priorityAgingDispatches?: number;
  /**
   * Is this agent absent (decision 1990: stopped with its queue kept, or suspended)? Outside
   * clients' deliveries waiting for an absent agent do not count against edge admission: nothing
   * finishes them while it is away, and they are bounded by its absent queue instead.
   */
  isAbsent?: (agent: string) => boolean;
  /** The text one mailbox may hold (decision 2195); defaults from TRAFFIC_LIMIT_TABLE. */
  text?: TextLimits;
  /** The text all the node's mailboxes may hold (decision 2195); defaults from TRAFFIC_LIMIT_TABLE. */
  nodeText?: NodeTextLimits;
  /** Is this sender one of the platform's own identities? Default: only `platformSender`. */
  isPlatformSender?: (sender: string) => boolean;
}

/** A delivery in a mailbox or in flight, as the mailboxes keep it. */
interface PendingDelivery {
  /** The mailbox it was put in (a queued delivery is always in its receiver's current one). */
  readonly box: Mailbox;
  /** Taken out of its queue before its completion was recorded (early release, decision 0900). */
  handedOff: boolean;
  /** Its sender's slot in the receiver's mailbox, given back when it finishes. */
  readonly held: HeldSlot;
  /** Its message's text on the node (shared with the message's other deliveries), given back when it leaves. */
  readonly text: TextCharge;
}

/** May the message have more than one delivery (several receivers, or a topic's subscribers)? They share its text. */
function hasSeveralDeliveries(m: AclMessage): boolean {
  const r = m.receivers;
  return r.length !== 1 || r[0]!.name.startsWith(TOPIC_PREFIX);
}

export class Mailboxes {
  private readonly boxes = new Map<string, Mailbox>();
  /** Deliveries in mailboxes or in flight: appends of ids in here are duplicates. */
  private readonly pending = new RenewedMap<string, PendingDelivery>();

  /** Who holds how many slots of which mailbox (issue 25: per-sender shares), and how much of its text. */
  readonly shares: MailboxShares;
  /** The text all the mailboxes hold, per message and per class of sender (decision 2195). */
  readonly text: NodeText;
  /** Outside clients' deliveries in flight node-wide, and the limit on them (decision 1810). */
  readonly edge: EdgeAdmission;
  /** The pending deliveries an outside client sent (id → receiver): they count against `edge`. */
  private readonly outside = new RenewedMap<string, string>();
  /**
   * Outside clients' pending deliveries waiting for an absent agent (id → receiver): not counted
   * against `edge` until their receiver is back (one absent queue must not lock every client out).
   */
  private readonly parked = new Map<string, string>();
  /** Agents whose outside deliveries are parked (absent when last looked at). */
  private readonly parkedAgents = new Set<string>();
  private readonly isAbsent: (agent: string) => boolean;
  private readonly isAgent: (sender: string) => boolean;
  private readonly platformSender: string | undefined;
  private readonly isPlatformSender: (sender: string) => boolean;
  readonly now: () => number;
  private readonly aging: number | undefined;
  /** The message `unitsOf` measured last, and its text. */
  private lastMeasured: AclMessage | undefined;
  private lastUnits = 0;

  /**
   * `isAgent`: is this (qualified) sender name a deployed agent? Its deliveries count against the
   * agents' part of a mailbox; the rest (operator, platform) may use the reserve. Deliveries from
   * neither an agent nor the platform are outside clients' and count against edge admission.
   */
  constructor(
    readonly capacity: number,
    options: MailboxesOptions = {},
  ) {
    this.isAgent = options.isAgent ?? (() => false);
    this.platformSender = options.platformSender;
    this.isPlatformSender = options.isPlatformSender ?? ((sender) => sender === this.platformSender);
    this.now = options.now ?? Date.now;
    this.aging = options.priorityAgingDispatches;
    this.isAbsent = options.isAbsent ?? (() => false);
    this.shares = new MailboxShares(shareLimits(capacity), options.text ?? textLimits());
    this.text = new NodeText(options.nodeText ?? nodeTextLimits(DEFAULT_TRAFFIC_LIMITS.nodeMailboxTextUnits));
    this.edge = new EdgeAdmission(options.edge, this.now());
  }

  /** The agent's mailbox, created if missing (an idle agent must count reservations too). */
  of(agent: string): Mailbox {
    let box = this.boxes.get(agent);
    if (box === undefined) {
      box = new Mailbox(this.capacity, this.aging);
      this.boxes.set(agent, box);
    }
    return box;
  }

  /** Accepted and not completed yet (waiting, plus handed off and still completing). */
  depth(agent: string): number {
    return this.boxes.get(agent)?.depth ?? 0;
  }

  /** Waiting to be handled. */
  queued(agent: string): number {
    return this.boxes.get(agent)?.queued ?? 0;
  }

  isPending(deliveryId: string): boolean {
    return this.pending.has(deliveryId);
  }

  /**
   * The ids of `agent`'s deliveries accepted and not completed (waiting or completing): what its
   * absent queue holds (decision 2157). O(pending deliveries of the node): for a sweep, not a send.
   */
  pendingIdsOf(agent: string): string[] {
    const box = this.boxes.get(agent);
    const ids: string[] = [];
    if (box === undefined) return ids;
    for (const [id, p] of this.pending) if (p.box === box) ids.push(id);
    return ids;
  }

  /** Deliveries the log handed out; duplicates of pending ones are dropped. Returns the agents that got mail. */
  accept(batch: readonly Delivery[]): Set<string> {
    const touched = new Set<string>();
    for (const d of batch) {
      if (this.pending.has(d.id)) continue;
      const box = this.of(d.receiver);
      box.push(d);
      this.pending.set(d.id, this.record(box, d));
      touched.add(d.receiver);
    }
    return touched;
  }

  /** Put a delivery taken by `forget` back at the end of its mailbox (e.g. dead-lettering it failed). */
  putBack(delivery: Delivery): void {
    // Handed out again meanwhile (a rebalance while it was away): pending once, its charges once.
    if (this.pending.has(delivery.id)) return;
    const box = this.of(delivery.receiver);
    box.push(delivery);
    this.pending.set(delivery.id, this.record(box, delivery));
  }

  /**
   * Put deliveries `expire` returned back where they were: each at the front of its sender's queue,
   * in the order given (dead-lettering them failed; a sender's FIFO must not change).
   */
  restore(deliveries: readonly Delivery[]): void {
    for (let i = deliveries.length - 1; i >= 0; i--) {
      const d = deliveries[i]!;
      if (this.pending.has(d.id)) continue; // handed out again meanwhile: pending once
      const box = this.of(d.receiver);
      box.unshift(d);
      this.pending.set(d.id, this.record(box, d));
    }
  }

  /** Drop an agent's mailbox; returns what was waiting (it stays in the log until handled or dead-lettered). */
  forget(agent: string): Delivery[] {
    const box = this.boxes.get(agent);
    this.boxes.delete(agent);
    const drained = box?.drain() ?? [];
    for (const d of drained) {
      const p = this.pending.get(d.id);
      if (p !== undefined) {
        this.pending.delete(d.id);
        this.text.release(p.text);
      }
      this.release(d);
    }
    this.shares.forget(agent);
    this.parkedAgents.delete(agent);
    return drained;
  }

  /**
   * Take out of `agent`'s queue the deliveries accepted at or before `cutoff` (an absent agent's
   * expired ones, decision 1990); the rest keep their order. Like `forget`, what is returned stays
   * pending in the log until it is dead-lettered.
   */
  expire(agent: string, cutoff: number): Delivery[] {
    const box = this.boxes.get(agent);
    if (box === undefined || box.queued === 0) return [];
    const waiting = box.drain();
    const expired: Delivery[] = [];
    for (const d of waiting) {
      if (d.acceptedAt > cutoff) {
        box.push(d); // drained in handing-out order: pushed back, each sender's FIFO is unchanged
        continue;
      }
      expired.push(d);
      this.giveUp(d);
      this.release(d);
    }
    return expired;
  }

  /**
   * Take out of `agent`'s queue the most recently accepted deliveries past the first `keep` (an
   * absent queue over its bound: sent through another cluster node, which cannot see this mailbox,
   * decision 1990). The rest keep their order; what is returned stays pending in the log.
   */
  overflow(agent: string, keep: number): Delivery[] {
    const box = this.boxes.get(agent);
    if (box === undefined || box.queued <= keep) return [];
    const waiting = box.drain();
    const byAge = waiting.map((d, i) => ({ d, i })).sort((a, b) => a.d.acceptedAt - b.d.acceptedAt || a.i - b.i);
    const over = new Set(byAge.slice(keep).map((x) => x.d));
    const taken: Delivery[] = [];
    for (const d of waiting) {
      if (!over.has(d)) {
        box.push(d);
        continue;
      }
      taken.push(d);
      this.giveUp(d);
      this.release(d);
    }
    return taken;
  }

  /** Early release: the handled delivery leaves the queue but keeps its slot until `finish`. */
  handOff(d: Delivery): void {
    const p = this.pending.get(d.id);
    // Not pending, or not first of its sender's queue: the agent was removed meanwhile.
    if (p === undefined || p.handedOff || !p.box.handOff(d)) return;
    p.handedOff = true;
  }

  /** The delivery was completed, dead-lettered or given up: it leaves the queue (or frees its slot). */
  finish(d: Delivery): void {
    const p = this.pending.get(d.id);
    if (p === undefined) {
      this.boxes.get(d.receiver)?.take(d); // not pending: in no queue (kept as before, for safety)
    } else {
      this.pending.delete(d.id);
      if (p.handedOff) p.box.settle();
      else p.box.take(d);
      this.shares.giveHeld(p.held);
      this.text.release(p.text);
    }
    // Both hold outside clients' deliveries only: agents' messages (nearly all) skip the lookups.
    if (this.parked.size > 0) this.parked.delete(d.id);
    if (this.outside.size > 0 && this.outside.delete(d.id)) {
      const now = this.now();
      this.edge.finish(now - d.acceptedAt, now);
    }
  }

  /** A delivery taken out of its queue unhandled (expired, overflowed): no longer pending, its slot given back. */
  private giveUp(d: Delivery): void {
    const p = this.pending.get(d.id);
    if (p === undefined) return;
    this.pending.delete(d.id);
    this.shares.giveHeld(p.held);
    this.text.release(p.text);
  }

  /** A delivery left without being handled (forgotten, expired): it no longer counts at the edge. */
  private release(d: Delivery): void {
    this.parked.delete(d.id);
    if (this.outside.delete(d.id)) this.edge.drop();
  }

  /**
   * Bring the edge count in line with whether `agent` is absent now (decision 1990): when it becomes
   * absent, the outside deliveries waiting for it stop counting against edge admission (those handed
   * off and completing still count: they finish); when it is back, they count again. O(1) unless
   * the agent's absence changed since the last look.
   */
  noteAbsence(agent: string): void {
    const absent = this.isAbsent(agent);
    if (absent === this.parkedAgents.has(agent)) return;
    if (absent) {
      this.parkedAgents.add(agent);
      for (const [id, receiver] of this.outside) {
        if (receiver !== agent || this.isHandedOff(id)) continue;
        this.outside.delete(id);
        this.parked.set(id, receiver);
        this.edge.drop();
      }
    } else {
      this.parkedAgents.delete(agent);
      for (const [id, receiver] of this.parked) {
        if (receiver !== agent) continue;
        this.parked.delete(id);
        this.outside.set(id, receiver);
        this.edge.take();
      }
    }
  }

  /** The record of a delivery coming into `box`: its slot and its message's text taken. */
  private record(box: Mailbox, d: Delivery): PendingDelivery {
    const sender = senderOf(d);
    const isAgent = this.isAgent(sender);
    const units = this.unitsOf(d.message);
    const cls: TextClass = isAgent ? 'agent' : this.isPlatformSender(sender) ? 'platform' : 'outside';
    // The platform's messages count against the part of its text waiting for their receiver (as at the send).
    const charged = cls === 'platform' ? NodeText.platformKey(d.receiver) : sender;
    const text = this.text.hold(d.messageId, hasSeveralDeliveries(d.message), cls, charged, units);
    return { box, handedOff: false, held: this.takeSlot(d, sender, isAgent, units), text };
  }

  private takeSlot(d: Delivery, sender: string, isAgent: boolean, units: number): HeldSlot {
    const held = this.shares.take(d.receiver, sender, isAgent, units);
    if (!isAgent && sender !== this.platformSender && !this.outside.has(d.id) && !this.parked.has(d.id)) {
      this.noteAbsence(d.receiver);
      if (this.parkedAgents.has(d.receiver)) {
        this.parked.set(d.id, d.receiver);
      } else {
        this.outside.set(d.id, d.receiver);
        this.edge.take();
      }
    }
    return held;
  }

  /**
   * A message's text (decision 2195), measured once for the deliveries of one message that come in
   * a row (a fan-out, a batch of one send's receivers).
   */
  private unitsOf(message: AclMessage): number {
    if (message !== this.lastMeasured) {
      this.lastMeasured = message;
      this.lastUnits = messageTextUnits(message);
    }
    return this.lastUnits;
  }

  /** Was the delivery handed off early (out of its queue, completion not recorded yet)? */
  isHandedOff(deliveryId: string): boolean {
    return this.pending.get(deliveryId)?.handedOff === true;
  }

  /**
   * A rewind (issue 24): deliveries handed off whose completion did not commit go back to the head
   * of their mailbox, in the order given (their handled order), in front of what waits: each at the
   * front of its sender's queue, and the senders at the ring's head in that order (decision 1830).
   *
   * Returns, in the order given, those whose mailbox is no longer their receiver's current one (it
   * was forgotten — the agent stopped or went — and maybe re-created by a redeploy): put back into
   * a mailbox nothing dispatches they would stay pending for ever, and the log's redelivery of their
   * id would be dropped as a duplicate. They are no longer pending here, their slot not given back
   * twice (`forget` took it back already), and the caller puts them in the current mailbox or dead-letters
   * them (decision 2070, *Left*, fixed).
   */
  rewind(deliveries: readonly Delivery[]): Delivery[] {
    const stranded: Delivery[] = [];
    for (let i = deliveries.length - 1; i >= 0; i--) {
      const d = deliveries[i]!;
      const p = this.pending.get(d.id);
      if (p === undefined || !p.handedOff) continue; // finished meanwhile
      if (this.boxes.get(d.receiver) !== p.box) {
        this.pending.delete(d.id);
        // Gives nothing: a mismatch only follows a `forget`, which took the slot back (the epoch moved);
        // this only lets a gone record go.
        this.shares.giveHeld(p.held);
        this.text.release(p.text);
        this.release(d);
        stranded.push(d);
        continue;
      }
      p.handedOff = false;
      p.box.settle();
      p.box.unshift(d);
    }
    return stranded.reverse();
  }

  /** Does `agent` have a mailbox now (accepted mail, or was sent to, since it was last forgotten)? */
  hasMailbox(agent: string): boolean {
    return this.boxes.has(agent);
  }
}
