/**
 * What happens to one conversation when time passes: reply-by deadlines that expired unanswered,
 * calls for proposals that closed, and idleness. Returns the messages the runtime must inject.
 * Run both from `expire(now)` and before judging a message in `observe(msg, now)`, so a verdict never
 * depends on whether the bus's timer happened to fire before the message arrived.
 *
 * A deadline is due when `now >= reply-by`: reply-by is the instant the wait ends, so a reply
 * observed in that very millisecond is already late. That also lets the bus fire one timer at
 * exactly `nextDeadline()` without an off-by-one retry.
 */
import type { AclMessage, AgentId } from '../acl/message.js';
import type { Branch, CallRound, Conversation } from './conversation.js';
import { ABANDONED, CANCELLING } from './machine.js';
import {
  CAXTON_DEADLINE_PARAM,
  CAXTON_EVENT_PARAM,
  CAXTON_PARTICIPANT_PARAM,
  callClosedInform,
  failureToInitiator,
  type CallClosedSummary,
} from './replies.js';
import { isFinal, timedOut } from './step.js';

export function settleDue(conversation: Conversation, now: number, platform: AgentId, idleTimeoutMs: number): AclMessage[] {
  if (conversation.ended) return [];
  const notices: AclMessage[] = [];
  for (const branch of expiredReplies(conversation, now)) notices.push(timeOutBranch(conversation, branch, platform));
  const closing = [...conversation.rounds.values()]
    .filter((r) => r.closesAt <= now)
    .sort((a, b) => a.closesAt - b.closesAt || a.number - b.number);
  for (const round of closing) {
    const notice = closeRound(conversation, round, platform);
    if (notice !== undefined) notices.push(notice);
  }
  const fired = notices.length > 0 || closing.length > 0;
  if (fired) conversation.lastActivity = Math.max(conversation.lastActivity, now);
  else if (conversation.nextDeadline() === undefined && conversation.lastActivity + idleTimeoutMs <= now) {
    notices.push(abandon(conversation, platform, idleTimeoutMs));
  }
  return notices;
}

function expiredReplies(conversation: Conversation, now: number): Branch[] {
  return [...conversation.branches.values()]
    .filter((b) => b.replyDeadline !== undefined && b.replyDeadline <= now && !isFinal(conversation.machine, b.state))
    .sort((a, b) => a.replyDeadline! - b.replyDeadline! || a.participant.name.localeCompare(b.participant.name));
}

function timeOutBranch(conversation: Conversation, branch: Branch, platform: AgentId): AclMessage {
  const deadline = branch.replyDeadline!;
  const waitedFor = branch.state.phase === CANCELLING ? 'confirm the cancel' : 'answer';
  branch.state = timedOut(conversation.machine, branch.state);
  branch.replyDeadline = undefined;
  const origin = branch.armedBy;
  branch.armedBy = undefined;
  return failureToInitiator(
    conversation,
    platform,
    origin,
    `${branch.participant.name} did not ${waitedFor} by the reply-by deadline ${formatTime(deadline)}; the runtime ended its part of the ${conversation.machine.name} conversation`,
    { [CAXTON_EVENT_PARAM]: 'deadline', [CAXTON_DEADLINE_PARAM]: 'reply', [CAXTON_PARTICIPANT_PARAM]: branch.participant.name },
  );
}

/**
 * Closes a call for proposals. Silence is not a failure by itself: the initiator gets an inform
 * summarising the round (so an agent without timers knows it can evaluate), unless nobody answered
 * at all — then it gets failure. Nothing is sent when every participant of the round has already
 * been decided on, since the initiator has nothing left to learn.
 */
function closeRound(conversation: Conversation, round: CallRound, platform: AgentId): AclMessage | undefined {
  conversation.rounds.delete(round.number);
  const phases = conversation.machine.call;
  if (phases === undefined) return undefined;
  const members = [...conversation.branches.values()].filter((b) => b.round === round.number);
  const silent = members.filter((b) => b.state.phase === phases.awaiting);
  for (const branch of silent) branch.state = { phase: phases.closed };
  const proposed = members.filter((b) => b.state.phase === phases.proposed);
  const refused = members.filter((b) => b.state.phase === phases.refused);
  if (silent.length === 0 && proposed.length === 0) return undefined;
  if (silent.length === members.length) {
    return failureToInitiator(
      conversation,
      platform,
      round.origin,
      `no participant answered the call for proposals by its reply-by deadline ${formatTime(round.closesAt)}`,
      { [CAXTON_EVENT_PARAM]: 'deadline', [CAXTON_DEADLINE_PARAM]: 'call' },
    );
  }
  const summary: CallClosedSummary = {
    event: 'call-closed',
    round: round.number,
    closedAt: round.closesAt,
    proposed: names(proposed),
    refused: names(refused),
    silent: names(silent),
  };
  return callClosedInform(conversation, platform, round.origin, summary);
}

function abandon(conversation: Conversation, platform: AgentId, idleTimeoutMs: number): AclMessage {
  const open = [...conversation.branches.values()].filter((b) => !isFinal(conversation.machine, b.state));
  for (const branch of open) branch.state = { phase: ABANDONED };
  return failureToInitiator(
    conversation,
    platform,
    undefined,
    `no message in this ${conversation.machine.name} conversation for ${idleTimeoutMs} ms; the runtime stopped tracking it (still open with: ${names(open).join(', ')})`,
    { [CAXTON_EVENT_PARAM]: 'idle-timeout' },
  );
}

const names = (branches: readonly Branch[]): string[] => branches.map((b) => b.participant.name).sort();

/** ISO-8601 when representable (reply-by is a u64 in the WIT world), else the raw number. */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms since the epoch` : date.toISOString();
}
