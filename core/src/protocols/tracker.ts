/**
 * The runtime's protocol police. The bus calls:
 * - `observe(msg, now)` once for every message it accepts for routing, after stamping `sender`
 *   and before delivery, in acceptance order. Observe only messages that will really be sent: a
 *   message a trapped handler "sent" and that is discarded must not be observed, or its retry
 *   would look out of sequence.
 * - `expire(now)` when the timer set from `nextDeadline()` fires (or periodically): it returns the
 *   messages the runtime must inject (deadline failures, call-closed informs, idle failures).
 *
 * Everything is pure bookkeeping over the given `now`: no clock, no timers, no I/O.
 */
import type { AclMessage, AgentId } from '../acl/message.js';
import { commit, evaluate } from './advance.js';
import { Conversation, type ConversationView } from './conversation.js';
import { CorrelationIndex } from './correlation.js';
import { DeadlineQueue } from './deadline-queue.js';
import { PROTOCOL_ERROR_CODES, ProtocolUsageError, ProtocolViolation, type ProtocolErrorCode } from './errors.js';
import type { Role } from './machine.js';
import { PROTOCOL_MACHINES } from './machines/index.js';
import { toProtocolName, type ProtocolName } from './names.js';
import { resolveTrackerOptions, type ResolvedTrackerOptions, type TrackerOptions } from './options.js';
import { CAXTON_CODE_PARAM, CAXTON_EVENT_PARAM, CAXTON_ON_BEHALF_OF_PARAM, answerTo, violationReply } from './replies.js';
import { settleDue } from './settle.js';
import { TRACKER_SNAPSHOT_VERSION, check, restoreConversation, snapshotConversation, type TrackerSnapshot } from './snapshot.js';
import type { ConversationStatus, ProtocolVerdict } from './verdict.js';

const DELIVER: ProtocolVerdict = Object.freeze({ kind: 'deliver' });

export interface TrackerStats {
  /** Conversations in progress. */
  readonly active: number;
  /** Ended conversations still remembered for late messages. */
  readonly ended: number;
  /** Injected messages waiting for the next `expire()`. */
  readonly pendingNotices: number;
}

export class ConversationTracker {
  readonly options: ResolvedTrackerOptions;
  private readonly conversations = new Map<string, Conversation>();
  /** Ended conversations in the order they ended (oldest first), for retention and its cap. */
  private readonly endedOrder = new Map<string, Conversation>();
  private readonly index = new CorrelationIndex();
  private readonly queue = new DeadlineQueue<Conversation>();
  private readonly activeByInitiator = new Map<string, number>();
  private activeCount = 0;
  /** Text of every conversation held (in progress or ended), and of each initiator's in progress (maxTrackedUnits). */
  private readonly unitsOf = new Map<Conversation, number>();
  private heldUnits = 0;
  private readonly activeUnitsByInitiator = new Map<string, number>();
  private outbox: AclMessage[] = [];
  /** The `now` at which the oldest message in the outbox became due. */
  private outboxDueAt: number | undefined;

  constructor(options: TrackerOptions) {
    this.options = resolveTrackerOptions(options);
  }

  observe(message: AclMessage, now: number): ProtocolVerdict {
    const sender = message.sender;
    if (sender === undefined) {
      throw new ProtocolUsageError(PROTOCOL_ERROR_CODES.senderMissing, 'the protocol engine was given a message without a sender', {
        context: conversationContext(message),
        hint: 'stamp the sending agent identity on the message before calling observe()',
      });
    }
    // Platform messages are the runtime's own (often this engine's) and agents cannot forge the name.
    if (sender.name === this.options.platformAgent.name || message.receivers.length === 0) return DELIVER;
    this.forgetExpiredEnded(now);

    const correlation = this.index.correlate(message, sender.name);
    if (correlation.kind === 'member') return this.continueConversation(correlation.conversation, correlation.role, message, now);
    if (correlation.kind === 'outsiders' && message.protocol !== undefined) {
      const joined = this.join(correlation.conversation, correlation.outsiders, message, now);
      if (joined !== undefined) return joined;
      return this.reject(
        message,
        PROTOCOL_ERROR_CODES.notParticipant,
        `${correlation.outsiders.join(', ')} ${correlation.outsiders.length === 1 ? 'is not a participant' : 'are not participants'} of ${correlation.conversation.machine.name} conversation ${describeId(message)}; only the agents addressed by the opening ${[...correlation.conversation.machine.openers].join('/')} take part`,
        'start a new conversation (with a fresh conversation-id) to involve other agents',
        status(correlation.conversation),
      );
    }
    return this.startOrPass(message, sender, now);
  }

  /**
   * Of `message`'s receivers, those that are not participants of the active conversation its
   * sender initiated and the message continues; empty when it continues none, when it is the
   * protocol's opening act (which is how more participants join, see `join`) or when every
   * receiver takes part. Pure: changes nothing. The bus asks this for receivers a topic reached
   * (decision 1960): an agent that subscribed mid-conversation is left out of a follow-up sent to
   * the topic instead of the whole follow-up being refused.
   */
  nonParticipants(message: AclMessage): readonly string[] {
    const sender = message.sender;
    if (sender === undefined || message.protocol === undefined || message.receivers.length === 0) return [];
    const correlation = this.index.correlate(message, sender.name);
    if (correlation.kind !== 'outsiders' || correlation.conversation.ended) return [];
    const machine = correlation.conversation.machine;
    if (toProtocolName(message.protocol) === machine.name && machine.openers.has(message.performative)) return [];
    return correlation.outsiders;
  }

  /** Messages the runtime must inject because deadlines passed; clears them from the engine. */
  expire(now: number): AclMessage[] {
    this.forgetExpiredEnded(now);
    // One pass: settling leaves each conversation ended or due strictly later, and a single pass
    // guarantees the call returns even if that ever failed to hold.
    for (const conversation of this.queue.takeDue(now)) this.settle(conversation, now);
    const notices = this.outbox;
    this.outbox = [];
    this.outboxDueAt = undefined;
    return notices;
  }

  /**
   * When the bus should next call `expire()`: the earliest pending deadline, or a time already past
   * if an `observe()` found deadlines due and queued their messages. Undefined: nothing pending.
   * (Forgetting ended conversations needs no timer; it happens during observe/expire.)
   */
  nextDeadline(): number | undefined {
    const queued = this.queue.peekTime();
    if (this.outboxDueAt === undefined) return queued;
    return queued === undefined ? this.outboxDueAt : Math.min(queued, this.outboxDueAt);
  }

  stats(): TrackerStats {
    return { active: this.activeCount, ended: this.endedOrder.size, pendingNotices: this.outbox.length };
  }

  /**
   * A tracked conversation as seen from its initiator (for operators, the CLI and tests).
   * `handle` is the conversation-id, or the opener's reply-with when it had no conversation-id.
   */
  inspect(initiator: string, handle: string): ConversationView | undefined {
    const conversation = this.conversations.get(idKey(initiator, handle)) ?? this.conversations.get(replyWithKey(initiator, handle));
    return conversation?.view();
  }

  /**
   * The tracker's state as plain JSON-serialisable data, for the bus to persist so a restarted
   * runtime continues the conversations in flight.
   */
  snapshot(): TrackerSnapshot {
    const active = [...this.conversations.values()].filter((c) => !c.ended);
    // A deep copy: the caller may keep or mutate it without touching live state.
    const conversations = structuredClone(
      [...active, ...this.endedOrder.values()].map((c) => snapshotConversation(c, this.index.links(c))),
    );
    const pending = structuredClone(this.outbox);
    return this.outboxDueAt === undefined
      ? { version: TRACKER_SNAPSHOT_VERSION, conversations, pending }
      : { version: TRACKER_SNAPSHOT_VERSION, conversations, pending, pendingDueAt: this.outboxDueAt };
  }

  /**
   * A tracker continuing from `snapshot` (possibly with new options). Throws
   * `protocol.snapshot-invalid` for a corrupt or incompatible snapshot. Restored active
   * conversations are kept even beyond a lowered cap; new ones are refused until below it.
   */
  static restore(options: TrackerOptions, snapshot: TrackerSnapshot): ConversationTracker {
    const tracker = new ConversationTracker(options);
    tracker.load(snapshot);
    return tracker;
  }

  private load(snapshot: TrackerSnapshot): void {
    check(snapshot?.version === TRACKER_SNAPSHOT_VERSION, `unsupported snapshot version ${String(snapshot?.version)}`);
    check(Array.isArray(snapshot.conversations) && Array.isArray(snapshot.pending), 'conversations and pending must be arrays');
    check(snapshot.pending.length === 0 || Number.isFinite(snapshot.pendingDueAt), 'pending messages need pendingDueAt');
    const restored = snapshot.conversations.map((saved) => ({ saved, conversation: restoreConversation(saved) }));
    const ended = restored.filter((r) => r.conversation.ended).sort((a, b) => a.conversation.endedAt! - b.conversation.endedAt!);
    for (const { saved, conversation } of [...restored.filter((r) => !r.conversation.ended), ...ended]) {
      check(!this.conversations.has(conversation.key), `conversation ${JSON.stringify(conversation.key)} appears twice`);
      this.conversations.set(conversation.key, conversation);
      this.index.add(conversation);
      for (const link of saved.links) this.index.link(conversation, link.setter, link.replyWith);
      this.hold(conversation, conversationUnits(conversation), !conversation.ended);
      if (conversation.ended) {
        this.endedOrder.set(conversation.key, conversation);
        continue;
      }
      this.activeCount += 1;
      this.activeByInitiator.set(conversation.initiator.name, (this.activeByInitiator.get(conversation.initiator.name) ?? 0) + 1);
      this.queue.set(conversation, conversation.nextDue(this.options.idleTimeoutMs));
    }
    while (this.endedOrder.size > this.options.maxEndedRetained) this.forget(this.endedOrder.values().next().value!);
    this.outbox = structuredClone([...snapshot.pending]);
    this.outboxDueAt = this.outbox.length === 0 ? undefined : snapshot.pendingDueAt;
  }

  private continueConversation(conversation: Conversation, role: Role, message: AclMessage, now: number): ProtocolVerdict {
    this.settle(conversation, now);
    const named = message.protocol === undefined ? undefined : toProtocolName(message.protocol);
    if (conversation.ended && named !== undefined && PROTOCOL_MACHINES[named].openers.has(message.performative)) {
      // An opening act after the end starts a new conversation: the initiator reusing its id
      // replaces the old one; a former participant opens its own, keyed by itself.
      if (role === 'initiator') this.forget(conversation);
      return this.startOrPass(message, message.sender!, now);
    }
    if (message.protocol !== undefined && named !== conversation.machine.name && message.performative !== 'not-understood') {
      return this.reject(
        message,
        PROTOCOL_ERROR_CODES.protocolMismatch,
        `conversation ${describeId(message)} follows ${conversation.machine.name}, but the message says :protocol ${message.protocol}`,
        `keep :protocol ${conversation.machine.name} for the whole conversation, or use a fresh conversation-id`,
        status(conversation),
      );
    }
    const evaluation = evaluate(conversation, role, message, message.sender!.name);
    if (evaluation.kind === 'violation') {
      return this.reject(message, evaluation.code, evaluation.reason, hintFor(evaluation.code, conversation), status(conversation));
    }
    if (evaluation.kind === 'answer') {
      commit(conversation, [evaluation.step], role, message, now);
      this.afterChange(conversation, now);
      const reply = answerTo(
        message,
        this.options.platformAgent,
        evaluation.answer.performative,
        evaluation.answer.reason,
        {
          [CAXTON_EVENT_PARAM]: 'late-proposal',
          [CAXTON_CODE_PARAM]: evaluation.answer.code,
          [CAXTON_ON_BEHALF_OF_PARAM]: conversation.initiator.name,
        },
        conversation.machine.name,
      );
      const error = new ProtocolViolation(evaluation.answer.code, evaluation.answer.reason, {
        context: conversationContext(message),
        hint: 'answer a call for proposals before its reply-by',
      });
      return { kind: 'reject', reply, reason: evaluation.answer.reason, error, conversation: status(conversation) };
    }
    commit(conversation, evaluation.steps, role, message, now);
    if (message.replyWith !== undefined) this.index.link(conversation, message.sender!.name, message.replyWith);
    this.afterChange(conversation, now);
    return { kind: 'deliver', conversation: status(conversation) };
  }

  /**
   * The initiator opening the conversation towards more participants: the protocol's opening act,
   * in the same conversation, to agents all new to it. FIPA's protocols open one branch per
   * participant and do not say the openings must be one message; JADE's ContractNetInitiator and
   * AchieveREInitiator send each responder its own cfp/request (own reply-with) in one
   * conversation. Each new participant gets its own branch, as if it had been a receiver of the
   * first opener; a contract-net cfp with the reply-by of an open call joins that call (one
   * call-closed summary). Anything else towards outsiders stays refused (undefined here).
   */
  private join(conversation: Conversation, outsiders: readonly string[], message: AclMessage, now: number): ProtocolVerdict | undefined {
    const receivers = uniqueAgents(message.receivers);
    const named = toProtocolName(message.protocol!);
    if (named !== conversation.machine.name || !conversation.machine.openers.has(message.performative)) return undefined;
    if (outsiders.length !== receivers.length || receivers.some((r) => conversation.initiatorSide.has(r.name))) return undefined;
    this.settle(conversation, now);
    if (conversation.ended) return undefined;
    if (conversation.branches.size + receivers.length > this.options.maxParticipants) {
      const reason = `${conversation.machine.name} conversation ${describeId(message)} of ${conversation.initiator.name} already has ${conversation.branches.size} participants; ${receivers.length} more would pass the ${this.options.maxParticipants} one conversation may have`;
      return {
        ...this.refusedForRoom(message, reason, 'open a new conversation for the other participants'),
        conversation: status(conversation),
      };
    }
    let added = 0;
    for (const r of receivers) if (!conversation.branches.has(r.name)) added += agentUnits(r);
    const roomless = this.unitsRefusal(conversation.initiator.name, added);
    if (roomless !== undefined) return { ...this.refusedForRoom(message, roomless, UNITS_HINT), conversation: status(conversation) };
    conversation.addParticipants(receivers);
    this.hold(conversation, added, true);
    this.index.add(conversation);
    const evaluation = evaluate(conversation, 'initiator', message, message.sender!.name);
    if (evaluation.kind !== 'advance') return undefined; // unreachable: a fresh branch takes its protocol's opener
    commit(conversation, evaluation.steps, 'initiator', message, now, { joinCall: true });
    if (message.replyWith !== undefined) this.index.link(conversation, message.sender!.name, message.replyWith);
    this.afterChange(conversation, now);
    return { kind: 'deliver', conversation: status(conversation) };
  }

  /** A message that belongs to no tracked conversation: open one, let it pass, or refuse it. */
  private startOrPass(message: AclMessage, sender: AgentId, now: number): ProtocolVerdict {
    if (message.protocol === undefined) return DELIVER;
    const named = toProtocolName(message.protocol);
    if (named === undefined) {
      if (this.options.unknownProtocol === 'deliver') return DELIVER;
      return this.reject(
        message,
        PROTOCOL_ERROR_CODES.unknownProtocol,
        `this runtime does not implement the interaction protocol ${message.protocol}`,
        `use one of ${Object.keys(PROTOCOL_MACHINES).join(', ')}, or omit :protocol for a free conversation`,
        undefined,
      );
    }
    if (message.performative === 'not-understood') return DELIVER;
    const machine = PROTOCOL_MACHINES[named];
    const isOpener = machine.openers.has(message.performative);
    // Without any correlation handle no later message could be tied to this one: nothing to police.
    const handle = message.conversationId ?? (isOpener ? message.replyWith : message.inReplyTo);
    if (handle === undefined) return DELIVER;
    if (!isOpener) {
      return this.reject(
        message,
        PROTOCOL_ERROR_CODES.unknownConversation,
        `${message.performative} does not open a ${named} conversation, and no ${named} conversation ${describeId(message)} is open between ${sender.name} and ${message.receivers.map((r) => r.name).join(', ')}`,
        `open the conversation with ${[...machine.openers].join(' or ')} first (it may also have ended or been forgotten)`,
        undefined,
      );
    }
    return this.open(named, message, sender, now);
  }

  private open(protocol: ProtocolName, message: AclMessage, sender: AgentId, now: number): ProtocolVerdict {
    const machine = PROTOCOL_MACHINES[protocol];
    const key =
      message.conversationId !== undefined ? idKey(sender.name, message.conversationId) : replyWithKey(sender.name, message.replyWith!);
    const existing = this.conversations.get(key);
    if (existing !== undefined && !existing.ended) {
      return this.reject(
        message,
        PROTOCOL_ERROR_CODES.conversationInUse,
        `${sender.name} already has an open ${existing.machine.name} conversation ${describeId(message)}`,
        'use a fresh conversation-id (host new-id) for every new conversation',
        status(existing),
      );
    }
    const participants = uniqueAgents(message.receivers);
    const initiatorSide = new Set([sender.name, ...(message.replyTo ?? []).map((a) => a.name)]);
    // An agent addressing itself (or its own reply-to) has nobody to be protected from.
    if (participants.some((p) => initiatorSide.has(p.name))) return DELIVER;
    const refusal = this.capacityRefusal(message, sender);
    if (refusal !== undefined) return refusal;
    if (existing !== undefined) this.forget(existing);

    const conversation = Conversation.open(key, machine, { ...message, sender }, participants, now);
    const units = conversationUnits(conversation);
    const roomless = this.unitsRefusal(sender.name, units);
    if (roomless !== undefined) return this.refusedForRoom(message, roomless, UNITS_HINT);
    const evaluation = evaluate(conversation, 'initiator', message, sender.name);
    if (evaluation.kind !== 'advance') return DELIVER; // unreachable: every opener leaves start
    this.conversations.set(key, conversation);
    this.hold(conversation, units, true);
    this.index.add(conversation);
    this.activeCount += 1;
    this.activeByInitiator.set(sender.name, (this.activeByInitiator.get(sender.name) ?? 0) + 1);
    commit(conversation, evaluation.steps, 'initiator', message, now);
    if (message.replyWith !== undefined) this.index.link(conversation, sender.name, message.replyWith);
    this.afterChange(conversation, now);
    return { kind: 'deliver', conversation: status(conversation) };
  }

  /**
   * Beyond the caps, new conversations are refused with failure (like any routing failure) rather
   * than evicting an active one: silently dropping a live conversation would make its next
   * legitimate message look out of sequence. Ended conversations are forgotten first.
   */
  private capacityRefusal(message: AclMessage, sender: AgentId): ProtocolVerdict | undefined {
    const own = this.activeByInitiator.get(sender.name) ?? 0;
    let reason: string | undefined;
    if (own >= this.options.maxConversationsPerInitiator) {
      reason = `${sender.name} already has ${own} conversations in progress, the most one agent may have`;
    } else if (this.activeCount >= this.options.maxConversations) {
      reason = `the runtime already tracks ${this.activeCount} conversations in progress, the most it may`;
    }
    if (reason === undefined) return undefined;
    return this.refusedForRoom(
      message,
      reason,
      'let conversations finish (or cancel them) before opening more; operators can raise maxConversations',
    );
  }

  /** A message refused for want of room (participants, conversations): the sender's failure and the typed error. */
  private refusedForRoom(message: AclMessage, reason: string, hint: string) {
    const code = PROTOCOL_ERROR_CODES.capacity;
    const reply = answerTo(message, this.options.platformAgent, 'failure', reason, {
      [CAXTON_EVENT_PARAM]: 'capacity',
      [CAXTON_CODE_PARAM]: code,
    });
    const error = new ProtocolViolation(code, reason, { context: conversationContext(message), hint });
    return { kind: 'reject' as const, reply, reason, error };
  }

  private settle(conversation: Conversation, now: number): void {
    const notices = settleDue(conversation, now, this.options.platformAgent, this.options.idleTimeoutMs);
    if (notices.length > 0) {
      this.outbox.push(...notices);
      this.outboxDueAt = Math.min(this.outboxDueAt ?? now, now);
    }
    this.afterChange(conversation, now);
  }

  /** Ends a conversation whose branches are all final, or reschedules it. */
  private afterChange(conversation: Conversation, now: number): void {
    if (conversation.ended) return;
    if (!conversation.isComplete()) {
      this.queue.set(conversation, conversation.nextDue(this.options.idleTimeoutMs));
      return;
    }
    conversation.endedAt = now;
    this.queue.delete(conversation);
    this.activeCount -= 1;
    const own = (this.activeByInitiator.get(conversation.initiator.name) ?? 1) - 1;
    if (own === 0) this.activeByInitiator.delete(conversation.initiator.name);
    else this.activeByInitiator.set(conversation.initiator.name, own);
    this.addInitiatorUnits(conversation.initiator.name, -(this.unitsOf.get(conversation) ?? 0));
    this.endedOrder.set(conversation.key, conversation);
    while (this.endedOrder.size > this.options.maxEndedRetained) {
      const oldest = this.endedOrder.values().next().value!;
      this.forget(oldest);
    }
  }

  private forget(conversation: Conversation): void {
    this.index.remove(conversation);
    this.endedOrder.delete(conversation.key);
    if (this.conversations.get(conversation.key) === conversation) this.conversations.delete(conversation.key);
    const units = this.unitsOf.get(conversation);
    if (units !== undefined) {
      this.unitsOf.delete(conversation);
      this.heldUnits -= units;
      if (!conversation.ended) this.addInitiatorUnits(conversation.initiator.name, -units); // replaced while in progress
    }
  }

  /** Counts `units` more text held by `conversation` (and, in progress, by its initiator). */
  private hold(conversation: Conversation, units: number, inProgress: boolean): void {
    this.unitsOf.set(conversation, (this.unitsOf.get(conversation) ?? 0) + units);
    this.heldUnits += units;
    if (inProgress) this.addInitiatorUnits(conversation.initiator.name, units);
  }

  private addInitiatorUnits(initiator: string, units: number): void {
    const now = (this.activeUnitsByInitiator.get(initiator) ?? 0) + units;
    if (now <= 0) this.activeUnitsByInitiator.delete(initiator);
    else this.activeUnitsByInitiator.set(initiator, now);
  }

  /**
   * Why `units` more text for `initiator` does not fit, after forgetting ended conversations (oldest
   * first) to make room; undefined when it fits.
   */
  private unitsRefusal(initiator: string, units: number): string | undefined {
    const own = this.activeUnitsByInitiator.get(initiator) ?? 0;
    if (own + units > this.options.maxUnitsPerInitiator) {
      return `${initiator}'s conversations in progress already hold ${own} characters of agent names and addresses; ${units} more would pass the ${this.options.maxUnitsPerInitiator} one agent may have`;
    }
    for (const ended of this.endedOrder.values()) {
      if (this.heldUnits + units <= this.options.maxTrackedUnits) break;
      this.forget(ended);
    }
    if (this.heldUnits + units > this.options.maxTrackedUnits) {
      return `the runtime's conversations already hold ${this.heldUnits} characters of agent names and addresses; ${units} more would pass the ${this.options.maxTrackedUnits} it may`;
    }
    return undefined;
  }

  private forgetExpiredEnded(now: number): void {
    for (const conversation of this.endedOrder.values()) {
      if (conversation.endedAt! + this.options.endedRetentionMs > now) return;
      this.forget(conversation);
    }
  }

  private reject(
    message: AclMessage,
    code: ProtocolErrorCode,
    reason: string,
    hint: string,
    conversation: ConversationStatus | undefined,
  ): ProtocolVerdict {
    const reply = violationReply(message, this.options.platformAgent, code, reason, conversation?.protocol);
    const error = new ProtocolViolation(code, reason, { context: conversationContext(message), hint });
    return conversation === undefined ? { kind: 'reject', reply, reason, error } : { kind: 'reject', reply, reason, error, conversation };
  }
}

const idKey = (initiator: string, conversationId: string): string => `${initiator}\u0000id\u0000${conversationId}`;
const replyWithKey = (initiator: string, replyWith: string): string => `${initiator}\u0000rw\u0000${replyWith}`;

const UNITS_HINT = 'let conversations finish before opening more, and name agents with shorter names and fewer addresses';

/** The text of an agent id (name and addresses), in UTF-16 code units: what a conversation keeps of it. */
function agentUnits(agent: AgentId): number {
  let n = agent.name.length + 16;
  for (const address of agent.addresses ?? []) n += address.length + 16;
  return n;
}

/** What a conversation holds of agent ids: its initiator, reply targets and participants. */
function conversationUnits(conversation: Conversation): number {
  let n = agentUnits(conversation.initiator);
  for (const a of conversation.replyTargets) n += agentUnits(a);
  for (const branch of conversation.branches.values()) n += agentUnits(branch.participant);
  return n;
}

function uniqueAgents(agents: readonly AgentId[]): AgentId[] {
  const seen = new Map<string, AgentId>();
  for (const agent of agents) if (!seen.has(agent.name)) seen.set(agent.name, agent);
  return [...seen.values()];
}

function status(conversation: Conversation): ConversationStatus {
  return {
    protocol: conversation.machine.name,
    conversationId: conversation.conversationId,
    initiator: conversation.initiator.name,
    ended: conversation.ended,
  };
}

function describeId(message: AclMessage): string {
  if (message.conversationId !== undefined) return `'${message.conversationId}'`;
  if (message.inReplyTo !== undefined) return `(in-reply-to '${message.inReplyTo}')`;
  return message.replyWith === undefined ? '(no conversation-id)' : `(reply-with '${message.replyWith}')`;
}

function conversationContext(message: AclMessage): { agent?: string; conversationId?: string; messageId?: string } {
  const context: { agent?: string; conversationId?: string; messageId?: string } = {};
  if (message.sender !== undefined) context.agent = message.sender.name;
  if (message.conversationId !== undefined) context.conversationId = message.conversationId;
  if (message.replyWith !== undefined) context.messageId = message.replyWith;
  return context;
}

function hintFor(code: ProtocolErrorCode, conversation: Conversation): string {
  const spec = `${conversation.machine.name} (${conversation.machine.spec})`;
  return code === PROTOCOL_ERROR_CODES.conversationEnded
    ? `this part of the ${spec} conversation is over; open a new conversation with a fresh conversation-id`
    : `follow the sequence of ${spec}; see docs/protocols.md`;
}
