/**
 * Protocol policing in a cluster (decision 0711). The ConversationTracker is a per-node, in-memory
 * state machine; a conversation must be judged by ONE tracker that sees all of its messages. FIPA
 * protocols are star-shaped (every message goes from the initiator to a participant or back), so
 * each conversation is tracked on its initiator's side:
 *
 * - initiator is an agent: tracked on the node running it. Its own messages are observed when it
 *   sends them (as on a single node); its participants' replies when they are DELIVERED to it here.
 * - initiator is outside the platform (an operator through the API of any node): tracked on the
 *   node of the agent it addressed, from the moment the message is delivered there; that node is
 *   also where the agent's replies to the operator leave (and show on its tail).
 *
 * So on this node: a send by a local agent is observed, except that a message continuing a
 * conversation this tracker does not know passes (it is tracked where its initiator runs, and is
 * judged there on delivery). A delivery is observed when its sender is outside the platform, or
 * when it continues a conversation this node tracks (a reply to a local initiator). A delivery the
 * tracker rejects is not handed to the agent: it is completed, and the tracker's answer (e.g.
 * reject-proposal for a late proposal) goes to the sender, as the bus does for a send.
 *
 * What a single node does and this cannot: an operator's out-of-sequence message is answered
 * with not-understood (to the operator) instead of an error from the API; a conversation tracked
 * on a node that dies is forgotten with it (its later messages pass unpoliced); a cfp's deadline
 * is judged by when the proposal reached the initiator's node, not when it was sent, if the
 * deadline timer fired meanwhile.
 */
import type { AclMessage, Delivery } from '@caxton/core';
import type { Bus, ProtocolGate } from '../../bus/bus.js';
import type { ConversationGate } from '../../node/tracker-persistence.js';
import { PROTOCOL_ERROR_CODES } from '@caxton/core';

export interface ClusterProtocolsOptions {
  tracker: ConversationGate;
  /** Platform name: agent `x` is `x@<platform>`. */
  platform: string;
  /** Is this local name an agent of the cluster (deployed anywhere)? */
  isAgent: (name: string) => boolean;
  /** Does the agent run on this node? */
  isLocal: (name: string) => boolean;
  /** The node's bus (set once it exists), to send the tracker's answers and deadline notices. */
  bus: () => Bus | undefined;
  /** Completes a delivery the tracker refused (it is answered, never handed to the agent). */
  complete: (d: Delivery) => Promise<void>;
}

const DELIVER = Object.freeze({ kind: 'deliver' as const });

export class ClusterProtocols implements ProtocolGate {
  private readonly tracker: ConversationGate;
  /**
   * Messages judged on delivery, and whether they were let through: a message to several local
   * agents arrives once per agent (and a refused one whose completion failed comes again), and each
   * of its deliveries gets the verdict its first one got — a refusal refuses them all.
   */
  private readonly judged = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly o: ClusterProtocolsOptions) {
    this.tracker = o.tracker;
  }

  // --- the bus's send side ----------------------------------------------------------------------

  observe(msg: AclMessage, now: number): ReturnType<ProtocolGate['observe']> {
    // An outside sender's conversation is judged where its receiver runs, on delivery.
    if (!this.isAgentName(msg.sender?.name)) return DELIVER;
    const verdict = this.tracker.observe(msg, now);
    this.schedule();
    // Not known here: the conversation is tracked on its initiator's node, which judges it on delivery.
    if (verdict.kind === 'reject' && verdict.error.code === PROTOCOL_ERROR_CODES.unknownConversation) return DELIVER;
    return verdict;
  }

  nonParticipants(msg: AclMessage): readonly string[] {
    // Only a local agent's conversations are tracked on its sending side (see above).
    return this.isAgentName(msg.sender?.name) ? this.tracker.nonParticipants(msg) : [];
  }

  expire(now: number): AclMessage[] {
    return this.tracker.expire(now);
  }

  nextDeadline(): number | undefined {
    return this.tracker.nextDeadline();
  }

  // --- the delivery side ------------------------------------------------------------------------

  /** Judges deliveries consumed on this node; returns those to hand to their agents. */
  screen(batch: readonly Delivery[]): Delivery[] {
    const now = Date.now();
    const out: Delivery[] = [];
    for (const d of batch) {
      if (this.admit(d, Math.min(now, d.acceptedAt))) out.push(d);
    }
    this.schedule();
    return out;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private admit(d: Delivery, now: number): boolean {
    const msg = d.message;
    const sender = msg.sender?.name;
    if (sender === undefined || sender === `ams@${this.o.platform}`) return true;
    const external = !this.isAgentName(sender);
    if (!external) {
      if (this.o.isLocal(this.local(sender))) return true; // observed when it was sent, here
      if (!this.tracksReplyTo(d)) return true; // not a conversation initiated here
    }
    const judged = this.judged.get(d.messageId);
    if (judged === true) return true;
    if (judged === false) {
      // Another delivery of a message already refused (and answered): refused and completed too.
      void this.o.complete(d).catch(() => {}); // not completed: handed out again, refused again
      return false;
    }
    const verdict = this.tracker.observe(msg, now);
    const admitted = verdict.kind === 'deliver' || verdict.error.code === PROTOCOL_ERROR_CODES.unknownConversation;
    this.remember(d.messageId, admitted);
    if (admitted) return true;
    // Refused: answered on the platform's behalf (once) and completed, as a refused send would be.
    const bus = this.o.bus();
    if (bus) void bus.sendPlatformReplies([verdict.reply]);
    void this.o.complete(d).catch(() => {}); // not completed: handed out again, refused again by its verdict
    return false;
  }

  /** Is `d` a reply to a conversation whose initiator (the receiver) runs here? */
  private tracksReplyTo(d: Delivery): boolean {
    const initiator = `${d.receiver}@${this.o.platform}`;
    const msg = d.message;
    const handles = [msg.conversationId, msg.inReplyTo].filter((h): h is string => h !== undefined);
    return handles.some((h) => this.tracker.inspect(initiator, h) !== undefined);
  }

  private isAgentName(name: string | undefined): boolean {
    if (name === undefined) return false;
    const local = this.local(name);
    if (local.includes('@')) return false; // another platform's name: outside
    return this.o.isAgent(local) || this.o.isLocal(local);
  }

  private local(name: string): string {
    const suffix = `@${this.o.platform}`;
    return name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
  }

  private remember(id: string, admitted: boolean): void {
    this.judged.set(id, admitted);
    if (this.judged.size > 10_000) this.judged.delete(this.judged.keys().next().value!);
  }

  /**
   * Deadlines armed by a delivery need a timer of their own (the bus arms its timer only after a
   * send); expiring twice is harmless, each notice is handed out once.
   */
  private schedule(): void {
    const next = this.tracker.nextDeadline();
    if (next === undefined || next >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(
      () => {
        this.timerAt = Infinity;
        const due = this.tracker.expire(Date.now());
        const bus = this.o.bus();
        if (bus && due.length > 0) void bus.sendPlatformReplies(due);
        this.schedule();
      },
      Math.max(0, next - Date.now()),
    );
    this.timer.unref();
  }
}
