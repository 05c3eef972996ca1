/**
 * Judging one message against the conversation it belongs to, in two steps so a message is applied
 * all-or-nothing: `evaluate` computes every affected branch's outcome without touching state, and
 * `commit` applies them. A message to several participants is delivered only if it is valid for
 * each of them (the bus cannot deliver a message to some receivers and not to others).
 */
import type { AclMessage } from '../acl/message.js';
import { originOf, type Branch, type Conversation } from './conversation.js';
import type { ProtocolErrorCode } from './errors.js';
import { CANCELLING, type AutoAnswer, type DeadlineKind, type Role } from './machine.js';
import { step, type BranchState } from './step.js';

export interface BranchStep {
  readonly branch: Branch;
  readonly next: BranchState;
  readonly arms: DeadlineKind | undefined;
}

export type Evaluation =
  | { readonly kind: 'violation'; readonly code: ProtocolErrorCode; readonly reason: string }
  | { readonly kind: 'answer'; readonly step: BranchStep; readonly answer: AutoAnswer }
  | { readonly kind: 'advance'; readonly steps: readonly BranchStep[] };

export function evaluate(conversation: Conversation, role: Role, message: AclMessage, sender: string): Evaluation {
  const names = role === 'initiator' ? [...new Set(message.receivers.map((r) => r.name))] : [sender];
  const steps: BranchStep[] = [];
  const violations: Array<{ name: string; code: ProtocolErrorCode; reason: string }> = [];
  for (const name of names) {
    const branch = conversation.branches.get(name);
    if (branch === undefined) continue; // correlation guarantees membership; defensive only
    const outcome = step(conversation.machine, branch.state, role, message.performative, {
      answersCancel: answersPendingCancel(branch, message),
    });
    if (outcome.kind === 'violation') violations.push({ name, code: outcome.code, reason: outcome.reason });
    else if (outcome.kind === 'answer')
      return { kind: 'answer', step: { branch, next: outcome.next, arms: undefined }, answer: outcome.answer };
    else steps.push({ branch, next: outcome.next, arms: outcome.arms });
  }
  const first = violations[0];
  if (first === undefined) return { kind: 'advance', steps };
  const reason =
    role === 'initiator' && names.length > 1 ? violations.map((v) => `towards ${v.name}: ${v.reason}`).join('; ') : first.reason;
  return { kind: 'violation', code: first.code, reason };
}

/**
 * While a cancel is pending, an inform/failure answers it unless its in-reply-to names some other
 * message; then it is a protocol act that crossed the cancel in flight.
 */
function answersPendingCancel(branch: Branch, message: AclMessage): boolean | undefined {
  if (branch.state.phase !== CANCELLING) return undefined;
  if (message.inReplyTo === undefined || branch.cancelReplyWith === undefined) return true;
  return message.inReplyTo === branch.cancelReplyWith;
}

/** `joinCall`: a cfp to new participants joins the open call with the same reply-by, if any. */
export function commit(
  conversation: Conversation,
  steps: readonly BranchStep[],
  role: Role,
  message: AclMessage,
  now: number,
  how: { joinCall?: boolean } = {},
): void {
  const origin = originOf(message);
  let round: number | undefined = how.joinCall === true ? conversation.callClosingAt(message.replyBy) : undefined;
  for (const { branch, next, arms } of steps) {
    if (next === branch.state) continue; // informational act (e.g. the initiator's not-understood)
    branch.state = next;
    if (role === 'participant') {
      // The participant answered; only a still-pending cancel keeps its own deadline.
      if (next.phase !== CANCELLING) {
        branch.replyDeadline = undefined;
        branch.armedBy = undefined;
      }
      continue;
    }
    branch.replyDeadline = undefined;
    branch.armedBy = undefined;
    if (arms === 'reply' && message.replyBy !== undefined) {
      branch.replyDeadline = message.replyBy;
      branch.armedBy = origin;
    }
    if (arms === 'call') {
      round ??= conversation.openRound(message.replyBy, origin);
      branch.round = round;
    }
    if (message.performative === 'cancel' && next.phase === CANCELLING) branch.cancelReplyWith = message.replyWith;
  }
  if (round !== undefined) conversation.pruneRounds();
  conversation.lastActivity = Math.max(conversation.lastActivity, now);
}
