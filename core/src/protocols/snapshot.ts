/**
 * A JSON-serialisable copy of the tracker's state. The bus is persisted; without this, a restarted
 * runtime would forget every conversation in flight and reject their next replies as unknown.
 * The format is versioned; restoring validates everything, since a snapshot comes from storage.
 */
import type { AclMessage, AgentId } from '../acl/message.js';
import type { CallRound, Conversation, MessageOrigin } from './conversation.js';
import { Conversation as ConversationClass } from './conversation.js';
import type { ReplyLink } from './correlation.js';
import { PROTOCOL_ERROR_CODES, ProtocolUsageError } from './errors.js';
import { CANCELLING } from './machine.js';
import { PROTOCOL_MACHINES } from './machines/index.js';
import { toProtocolName, type ProtocolName } from './names.js';
import type { BranchState } from './step.js';

export const TRACKER_SNAPSHOT_VERSION = 1;

export interface BranchSnapshot {
  readonly participant: AgentId;
  readonly phase: string;
  readonly resume?: string;
  readonly replyDeadline?: number;
  readonly armedBy?: MessageOrigin;
  readonly round?: number;
  readonly cancelReplyWith?: string;
}

export interface ConversationSnapshot {
  readonly key: string;
  readonly protocol: ProtocolName;
  readonly conversationId?: string;
  readonly initiator: AgentId;
  readonly replyTargets: readonly AgentId[];
  readonly lastActivity: number;
  readonly endedAt?: number;
  readonly roundsOpened: number;
  readonly branches: readonly BranchSnapshot[];
  readonly rounds: readonly CallRound[];
  readonly links: readonly ReplyLink[];
}

export interface TrackerSnapshot {
  readonly version: typeof TRACKER_SNAPSHOT_VERSION;
  /** Active conversations, then ended ones in the order they ended. */
  readonly conversations: readonly ConversationSnapshot[];
  /** Injected messages not yet handed out by `expire()`. */
  readonly pending: readonly AclMessage[];
  readonly pendingDueAt?: number;
}

export function snapshotConversation(conversation: Conversation, links: readonly ReplyLink[]): ConversationSnapshot {
  return withoutUndefined({
    key: conversation.key,
    protocol: conversation.machine.name,
    conversationId: conversation.conversationId,
    initiator: conversation.initiator,
    replyTargets: [...conversation.replyTargets],
    lastActivity: conversation.lastActivity,
    endedAt: conversation.endedAt,
    roundsOpened: conversation.roundsOpened,
    branches: [...conversation.branches.values()].map((b) =>
      withoutUndefined({
        participant: b.participant,
        phase: b.state.phase,
        resume: b.state.resume,
        replyDeadline: b.replyDeadline,
        armedBy: b.armedBy,
        round: b.round,
        cancelReplyWith: b.cancelReplyWith,
      }),
    ),
    rounds: [...conversation.rounds.values()],
    links: [...links],
  });
}

/** Rebuilds a conversation, or throws `protocol.snapshot-invalid` naming what is wrong. */
export function restoreConversation(snapshot: ConversationSnapshot): Conversation {
  const where = `conversation ${JSON.stringify(snapshot?.key)}`;
  check(typeof snapshot === 'object' && snapshot !== null && typeof snapshot.key === 'string', `${where}: not a conversation`);
  const protocol = typeof snapshot.protocol === 'string' ? toProtocolName(snapshot.protocol) : undefined;
  check(protocol !== undefined, `${where}: unknown protocol ${String(snapshot.protocol)}`);
  const machine = PROTOCOL_MACHINES[protocol];
  check(
    isAgent(snapshot.initiator) &&
      Array.isArray(snapshot.replyTargets) &&
      snapshot.replyTargets.every(isAgent) &&
      snapshot.replyTargets.length > 0,
    `${where}: bad initiator or reply targets`,
  );
  check(
    Array.isArray(snapshot.branches) && snapshot.branches.length > 0 && snapshot.branches.every((b) => isAgent(b?.participant)),
    `${where}: bad branches`,
  );
  check(
    isTime(snapshot.lastActivity) && optional(snapshot.endedAt, isTime) && Number.isSafeInteger(snapshot.roundsOpened),
    `${where}: bad times`,
  );
  check(optional(snapshot.conversationId, isString), `${where}: bad conversation-id`);
  const conversation = new ConversationClass({
    key: snapshot.key,
    machine,
    conversationId: snapshot.conversationId,
    initiator: snapshot.initiator,
    replyTargets: snapshot.replyTargets,
    participants: snapshot.branches.map((b) => b.participant),
    now: snapshot.lastActivity,
  });
  conversation.endedAt = snapshot.endedAt;
  conversation.roundsOpened = snapshot.roundsOpened;
  for (const saved of snapshot.branches) {
    const state: BranchState = saved.phase === CANCELLING ? { phase: saved.phase, resume: saved.resume ?? '' } : { phase: saved.phase };
    check(
      machine.phases.has(state.phase) && (state.resume === undefined || machine.phases.has(state.resume)),
      `${where}: ${machine.name} has no phase ${saved.phase}/${String(saved.resume)}`,
    );
    check(
      optional(saved.replyDeadline, isTime) && optional(saved.round, Number.isSafeInteger) && optional(saved.cancelReplyWith, isString),
      `${where}: bad branch of ${saved.participant.name}`,
    );
    const branch = conversation.branches.get(saved.participant.name)!;
    branch.state = state;
    branch.replyDeadline = saved.replyDeadline;
    branch.armedBy = saved.armedBy === undefined ? undefined : { replyWith: saved.armedBy.replyWith, trace: { ...saved.armedBy.trace } };
    branch.round = saved.round;
    branch.cancelReplyWith = saved.cancelReplyWith;
  }
  check(
    Array.isArray(snapshot.rounds) && snapshot.rounds.every((r) => Number.isSafeInteger(r?.number) && isTime(r.closesAt)),
    `${where}: bad rounds`,
  );
  for (const round of snapshot.rounds)
    conversation.rounds.set(round.number, { number: round.number, closesAt: round.closesAt, origin: round.origin });
  check(
    Array.isArray(snapshot.links) && snapshot.links.every((l) => isString(l?.setter) && isString(l.replyWith)),
    `${where}: bad reply links`,
  );
  return conversation;
}

export function check(condition: boolean, detail: string): asserts condition {
  if (!condition) {
    throw new ProtocolUsageError(PROTOCOL_ERROR_CODES.snapshotInvalid, `cannot restore the protocol tracker: ${detail}`, {
      hint: 'the snapshot is corrupt or from another version; start with an empty tracker (open conversations will be treated as unknown)',
    });
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isAgent = (value: unknown): value is AgentId => typeof value === 'object' && value !== null && isString((value as AgentId).name);
const optional = <T>(value: T | undefined, test: (v: T) => boolean): boolean => value === undefined || test(value);

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
