/**
 * The bus: every message between agents (and from operators) passes here. It stamps the sender,
 * checks protocols, resolves receivers, enforces mailbox bounds, persists deliveries through the
 * MessageLog (accepted = durable) and feeds the consumed deliveries into per-agent mailboxes that
 * the Dispatcher drains into the sandbox.
 */
import type { AclMessage, AgentId, SendResult } from '@caxton/core';
import type { Delivery, MessageLog } from './message-log.js';
import { Mailbox } from './mailbox.js';
import { MessageIdGenerator, deliveryId } from './ids.js';
import { failureReply, receiverList, notUnderstoodReply } from './replies.js';
import { InvalidSendError, MailboxFullError, UnknownReceiverError } from './errors.js';
import type { BusEvents } from './events.js';

export interface ProtocolGate {
  observe(msg: AclMessage, now: number): { kind: 'deliver' } | { kind: 'reject'; reply: AclMessage; reason: string };
  expire(now: number): AclMessage[];
  nextDeadline(): number | undefined;
}

/** Where a receiver lives, as far as this node knows. */
export type ReceiverKind = 'agent' | 'external' | 'unknown';

export interface BusOptions {
  log: MessageLog;
  nodeId: string;
  /** Platform name: agent `echo` is `echo@<platform>`. */
  platform: string;
  mailboxCapacity: number;
  /** Which names are agents; cluster mode answers for agents on every node. */
  resolve: (localName: string) => ReceiverKind;
  /** Validates (and normalises) a message at the boundary; throws a typed error. */
  validate?: (msg: AclMessage) => AclMessage;
  protocols?: ProtocolGate;
  events: BusEvents;
  now?: () => number;
}

/** Who is sending: a deployed agent (sender is stamped from it) or an outside client. */
export type Origin = { agent: string } | { external: AgentId };

/** Defined once in @caxton/core: what the operator's `send` answers is what the bus answers. */
export type { SendResult } from '@caxton/core';

export class Bus {
  readonly platformId: AgentId;
  private readonly mailboxes = new Map<string, Mailbox>();
  /** Deliveries in mailboxes or in flight: appends of ids in here are duplicates. */
  private readonly pending = new Set<string>();
  private readonly ids: MessageIdGenerator;
  private readonly now: () => number;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When the deadline timer fires (meaningful while it is set). */
  private deadlineAt = Number.POSITIVE_INFINITY;
  private onReady: (agent: string) => void = () => {};
  private opening: Promise<void> | undefined;

  constructor(private readonly opts: BusOptions) {
    this.platformId = { name: `ams@${opts.platform}` };
    this.ids = new MessageIdGenerator(opts.nodeId);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Open the log without consuming: sends are accepted (made durable) from now on, nothing is
   * delivered yet. A node opens first, then starts its agents (whose init may send), then start()s.
   */
  async open(): Promise<void> {
    this.opening ??= this.opts.log.open();
    await this.opening;
  }

  /** Open the log (if open() was not called) and start consuming; replayed deliveries land in mailboxes first. */
  async start(onReady: (agent: string) => void): Promise<void> {
    this.onReady = onReady;
    await this.open();
    this.opts.log.consume((batch) => this.enqueue(batch));
  }

  async stop(): Promise<void> {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    await this.opts.log.close();
  }

  agentName(id: AgentId | string): string {
    const name = typeof id === 'string' ? id : id.name;
    const at = name.lastIndexOf('@');
    if (at < 0) return name;
    return name.slice(at + 1) === this.opts.platform ? name.slice(0, at) : name;
  }

  agentId(localName: string): AgentId {
    return { name: `${localName}@${this.opts.platform}` };
  }

  mailbox(agent: string): Mailbox {
    let box = this.mailboxes.get(agent);
    if (box === undefined) {
      box = new Mailbox(this.opts.mailboxCapacity);
      this.mailboxes.set(agent, box);
    }
    return box;
  }

  mailboxDepth(agent: string): number {
    return this.mailboxes.get(agent)?.depth ?? 0;
  }

  /** Drop an agent's mailbox (its pending deliveries stay in the log until handled or dead-lettered). */
  forget(agent: string): Delivery[] {
    const box = this.mailboxes.get(agent);
    this.mailboxes.delete(agent);
    const drained = box?.drain() ?? [];
    for (const d of drained) this.pending.delete(d.id);
    return drained;
  }

  /**
   * Send a message. Resolves once the deliveries are durable. An outside sender gets typed errors
   * (unknown receiver, full mailbox); an agent gets `failure` messages back instead, because it
   * cannot catch an exception thrown after its handler returned.
   */
  async send(message: AclMessage, origin: Origin, messageId?: string): Promise<SendResult> {
    const msg = this.prepare(message, origin);
    const id = messageId ?? this.ids.next();
    const refused: { receiver: string; reason: string }[] = [];
    const replies: AclMessage[] = [];

    // Platform messages (failures on an agent's behalf) are not policed: they end conversations.
    const isPlatform = 'external' in origin && origin.external.name === this.platformId.name;
    const verdict = isPlatform ? undefined : this.opts.protocols?.observe(msg, this.now());
    if (verdict?.kind === 'reject') {
      if ('agent' in origin) replies.push(verdict.reply);
      else throw new InvalidSendError(`protocol violation: ${verdict.reason}`, { messageId: id, conversationId: msg.conversationId });
      await this.sendPlatformReplies(replies);
      return { messageId: id, accepted: [], refused: [{ receiver: '*', reason: verdict.reason }] };
    }

    const deliveries: Delivery[] = [];
    const reservations: Mailbox[] = [];
    const acceptedAt = this.now();
    for (const receiver of msg.receivers) {
      const name = this.agentName(receiver);
      const kind = this.opts.resolve(name);
      if (kind === 'external') {
        this.opts.events.emit({ type: 'external', messageId: id, to: receiver.name, message: msg });
        continue;
      }
      if (kind === 'unknown') {
        refused.push({ receiver: receiver.name, reason: 'unknown-receiver' });
        continue;
      }
      // Created if missing: an agent with nothing delivered yet (e.g. idle since a restart) must
      // count reservations too, or a burst of concurrent sends would all pass the capacity check.
      const box = this.mailbox(name);
      if (!box.hasRoom()) {
        refused.push({ receiver: receiver.name, reason: 'mailbox-full' });
        continue;
      }
      const did = deliveryId(id, name);
      if (this.pending.has(did) || this.opts.log.hasCompleted?.(did) === true) continue; // duplicate
      box.reserve(1);
      reservations.push(box);
      deliveries.push({ id: did, messageId: id, receiver: name, message: msg, acceptedAt });
    }

    if (refused.length > 0 && !('agent' in origin) && deliveries.length === 0) {
      for (const box of reservations) box.release(1);
      const first = refused[0]!;
      if (first.reason === 'mailbox-full') throw new MailboxFullError(first.receiver, this.opts.mailboxCapacity, { messageId: id });
      throw new UnknownReceiverError(first.receiver, { messageId: id, conversationId: msg.conversationId });
    }

    try {
      if (deliveries.length > 0) await this.opts.log.append(deliveries);
    } finally {
      for (const box of reservations) box.release(1);
    }
    const accepted = deliveries.map((d) => d.receiver);
    if (this.opts.events.wants('accepted')) this.opts.events.emit({ type: 'accepted', messageId: id, message: msg, receivers: accepted, refused });

    if ('agent' in origin) {
      // One failure per reason, to the sender alone, however many receivers were refused.
      const unknown = refused.filter((r) => r.reason === 'unknown-receiver').map((r) => r.receiver);
      const full = refused.filter((r) => r.reason === 'mailbox-full').map((r) => r.receiver);
      if (unknown.length > 0) replies.push(failureReply(msg, this.platformId, `no agent named ${receiverList(unknown)}`, 'unknown-receiver'));
      if (full.length > 0) {
        const why = full.length === 1 ? `mailbox of ${full[0]} is full; retry later` : `mailboxes of ${receiverList(full)} are full; retry later`;
        replies.push(failureReply(msg, this.platformId, why, 'mailbox-full'));
      }
      await this.sendPlatformReplies(replies);
    }
    this.scheduleDeadlines();
    return { messageId: id, accepted, refused };
  }

  /** Messages the platform sends (failures, not-understood, deadline failures). */
  async sendPlatformReplies(replies: AclMessage[]): Promise<void> {
    for (const reply of replies) {
      if (reply.receivers.length === 0) continue;
      // A platform message to an unknown or full receiver is dropped with an event: replying to a
      // failure with another failure would loop.
      await this.send(reply, { external: this.platformId }).catch((err: unknown) => {
        this.opts.events.emit({ type: 'dropped', message: reply, reason: String((err as Error).message) });
      });
    }
  }

  /** Build the failure the platform sends when handling `delivery` failed for good. */
  failureFor(delivery: Delivery, reason: string, kind: string): AclMessage {
    return failureReply(delivery.message, this.platformId, reason, kind);
  }

  /** The failure an agent gets when the bus refused a message from its outbox. */
  refusalFor(agent: string, message: AclMessage, reason: string): AclMessage {
    return failureReply({ ...message, sender: { name: agent } }, this.platformId, reason, 'refused');
  }

  notUnderstoodFor(delivery: Delivery, reason: string): AclMessage {
    return notUnderstoodReply(delivery.message, this.platformId, reason);
  }

  markDone(d: Delivery): void {
    this.pending.delete(d.id);
  }

  private enqueue(batch: readonly Delivery[]): void {
    const touched = new Set<string>();
    for (const d of batch) {
      if (this.pending.has(d.id)) continue;
      this.pending.add(d.id);
      this.mailbox(d.receiver).push(d);
      touched.add(d.receiver);
    }
    for (const agent of touched) this.onReady(agent);
  }

  /** `echo` → `echo@<platform>`: one spelling per agent, so protocols and tails correlate names. */
  qualify(id: AgentId): AgentId {
    return id.name.includes('@') ? id : { ...id, name: `${id.name}@${this.opts.platform}` };
  }

  private prepare(message: AclMessage, origin: Origin): AclMessage {
    const stamped: AclMessage = {
      ...message,
      sender: this.qualify('agent' in origin ? this.agentId(origin.agent) : origin.external),
      receivers: message.receivers.map((r) => this.qualify(r)),
      ...(message.replyTo ? { replyTo: message.replyTo.map((r) => this.qualify(r)) } : {}),
    };
    const msg = this.opts.validate ? this.opts.validate(stamped) : stamped;
    if (msg.receivers.length === 0) throw new InvalidSendError('message has no receivers', { agent: 'agent' in origin ? origin.agent : undefined });
    return msg;
  }

  /**
   * One timer for the earliest protocol deadline; expiry injects the messages the protocols ask for.
   * Runs after every send, so the timer is only replaced when the earliest deadline moved earlier
   * (replacing it on every message cost a clearTimeout + setTimeout per message whenever any
   * deadline was pending). A timer that fires for a deadline that went away just re-arms.
   */
  private scheduleDeadlines(): void {
    const gate = this.opts.protocols;
    if (gate === undefined) return;
    const next = gate.nextDeadline();
    if (next === undefined) return;
    if (this.deadlineTimer !== undefined) {
      if (next >= this.deadlineAt) return;
      clearTimeout(this.deadlineTimer);
    }
    this.deadlineAt = next;
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      const due = gate.expire(this.now());
      void this.sendPlatformReplies(due).finally(() => this.scheduleDeadlines());
    }, Math.max(0, next - this.now()));
    this.deadlineTimer.unref();
  }
}
