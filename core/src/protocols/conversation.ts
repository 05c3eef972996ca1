/**
 * The tracked state of one conversation: one initiator, one branch per participant, the open
 * call-for-proposals rounds, and bookkeeping for deadlines and garbage collection. Mutated only by
 * the tracker's modules (`advance.ts`, `settle.ts`); everything outside sees `ConversationView`.
 */
import type { AgentId, AclMessage } from '../acl/message.js';
import { TRACEPARENT_PARAM, TRACESTATE_PARAM } from '../acl/message.js';
import { CANCELLING, type ProtocolMachine } from './machine.js';
import { INITIAL_STATE, isFinal, type BranchState } from './step.js';

/** What the runtime needs from a message to answer it later (in-reply-to, trace context). */
export interface MessageOrigin {
  readonly replyWith: string | undefined;
  readonly trace: Readonly<Record<string, string>>;
}

export function originOf(message: AclMessage): MessageOrigin {
  const trace: Record<string, string> = {};
  for (const name of [TRACEPARENT_PARAM, TRACESTATE_PARAM]) {
    const value = message.userParams?.[name];
    if (value !== undefined) trace[name] = value;
  }
  return { replyWith: message.replyWith, trace };
}

/** The exchange between the initiator and one participant. */
export interface Branch {
  readonly participant: AgentId;
  state: BranchState;
  /** When the participant must have answered the initiator's last message (its reply-by). */
  replyDeadline: number | undefined;
  /** The initiator message that set `replyDeadline`. */
  armedBy: MessageOrigin | undefined;
  /** Contract net: the call-for-proposals round this participant was last called in. */
  round: number | undefined;
  /** reply-with of a pending cancel, to tell its answer from protocol acts that cross it. */
  cancelReplyWith: string | undefined;
}

/** A call for proposals whose reply-by closes it. */
export interface CallRound {
  readonly number: number;
  readonly closesAt: number;
  readonly origin: MessageOrigin;
}

export interface ConversationView {
  readonly protocol: ProtocolMachine['name'];
  readonly conversationId: string | undefined;
  readonly initiator: string;
  readonly ended: boolean;
  readonly participants: ReadonlyArray<{
    readonly name: string;
    readonly phase: string;
    readonly resume: string | undefined;
    readonly replyDeadline: number | undefined;
  }>;
}

export interface ConversationInit {
  readonly key: string;
  readonly machine: ProtocolMachine;
  readonly conversationId: string | undefined;
  readonly initiator: AgentId;
  /** Where answers to the initiator go (FIPA reply-to, else the initiator itself). */
  readonly replyTargets: readonly AgentId[];
  readonly participants: readonly AgentId[];
  readonly now: number;
}

export class Conversation {
  readonly key: string;
  readonly machine: ProtocolMachine;
  readonly conversationId: string | undefined;
  readonly initiator: AgentId;
  readonly replyTargets: readonly AgentId[];
  readonly branches = new Map<string, Branch>();
  readonly rounds = new Map<number, CallRound>();
  /** Names that act as the initiator: the initiator and the opener's reply-to agents. */
  readonly initiatorSide: ReadonlySet<string>;
  lastActivity: number;
  endedAt: number | undefined;
  /** How many call rounds were opened, so round numbers stay unique. */
  roundsOpened = 0;

  constructor(init: ConversationInit) {
    this.key = init.key;
    this.machine = init.machine;
    this.conversationId = init.conversationId;
    this.initiator = init.initiator;
    this.replyTargets = init.replyTargets;
    this.initiatorSide = new Set([init.initiator.name, ...init.replyTargets.map((a) => a.name)]);
    this.addParticipants(init.participants);
    this.lastActivity = init.now;
    this.endedAt = undefined;
  }

  /** A conversation opened by `opener` from `initiator` to `participants`. */
  static open(key: string, machine: ProtocolMachine, opener: AclMessage, participants: readonly AgentId[], now: number): Conversation {
    const initiator = opener.sender!;
    // Reply-to agents act for the initiator (they may accept, cancel…); the platform's own notices
    // still go to the initiator alone (replies.ts: no sending on a guest-chosen list).
    const replyTargets = opener.replyTo !== undefined && opener.replyTo.length > 0 ? opener.replyTo : [initiator];
    return new Conversation({ key, machine, conversationId: opener.conversationId, initiator, replyTargets, participants, now });
  }

  /** New branches, each at the protocol's start, for participants not yet in the conversation. */
  addParticipants(participants: readonly AgentId[]): void {
    for (const participant of participants) {
      if (this.branches.has(participant.name)) continue;
      this.branches.set(participant.name, {
        participant,
        state: INITIAL_STATE,
        replyDeadline: undefined,
        armedBy: undefined,
        round: undefined,
        cancelReplyWith: undefined,
      });
    }
  }

  /** The open call that closes at `closesAt`, for a cfp that joins it. */
  callClosingAt(closesAt: number | undefined): number | undefined {
    if (closesAt === undefined) return undefined;
    for (const round of this.rounds.values()) if (round.closesAt === closesAt) return round.number;
    return undefined;
  }

  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /** Every branch reached a final phase: nothing more is expected from anyone. */
  isComplete(): boolean {
    for (const branch of this.branches.values()) if (!isFinal(this.machine, branch.state)) return false;
    return true;
  }

  /** Allocates the next round number; only rounds with a reply-by are kept (they need a timer). */
  openRound(closesAt: number | undefined, origin: MessageOrigin): number {
    const number = ++this.roundsOpened;
    if (closesAt !== undefined) this.rounds.set(number, { number, closesAt, origin });
    return number;
  }

  /** Drops rounds no branch waits in any more, so iterated calls cannot grow the map. */
  pruneRounds(): void {
    const live = new Set<number>();
    for (const branch of this.branches.values()) if (branch.round !== undefined) live.add(branch.round);
    for (const number of this.rounds.keys()) if (!live.has(number)) this.rounds.delete(number);
  }

  /** The earliest pending deadline (reply-by or call close), if any. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const branch of this.branches.values()) {
      if (branch.replyDeadline !== undefined && !isFinal(this.machine, branch.state)) {
        earliest = earliest === undefined ? branch.replyDeadline : Math.min(earliest, branch.replyDeadline);
      }
    }
    for (const round of this.rounds.values()) earliest = earliest === undefined ? round.closesAt : Math.min(earliest, round.closesAt);
    return earliest;
  }

  /**
   * When the tracker must look at this conversation again: its next deadline, or — when nothing is
   * pending — the moment it counts as idle. Pending deadlines suspend the idle clock because the
   * initiator explicitly said how long it is willing to wait.
   */
  nextDue(idleTimeoutMs: number): number | undefined {
    if (this.ended) return undefined;
    const deadline = this.nextDeadline();
    if (deadline !== undefined) return deadline;
    const idleAt = this.lastActivity + idleTimeoutMs;
    return Number.isFinite(idleAt) ? idleAt : undefined;
  }

  view(): ConversationView {
    return {
      protocol: this.machine.name,
      conversationId: this.conversationId,
      initiator: this.initiator.name,
      ended: this.ended,
      participants: [...this.branches.values()].map((b) => ({
        name: b.participant.name,
        phase: b.state.phase,
        resume: b.state.phase === CANCELLING ? b.state.resume : undefined,
        replyDeadline: b.replyDeadline,
      })),
    };
  }
}
