/**
 * Messages the runtime itself sends on behalf of the protocol engine. All come from the platform
 * identity (the runtime never forges an agent's name: an agent that never answered did not send the
 * failure), carry the conversation's correlation parameters so agents match them like any reply,
 * carry the trace context of the message they answer, and are labelled with user parameters:
 *
 * - `X-caxton-event`: violation | late-proposal | deadline | idle-timeout | capacity
 * - `X-caxton-code`: the stable error code, when the message reports an error
 * - `X-caxton-deadline`: reply | call — which kind of deadline passed
 * - `X-caxton-participant`: the participant a deadline failure is about
 * - `X-caxton-on-behalf-of`: the initiator a late proposal was rejected for
 */
import type { AclMessage, AgentId, Performative } from '../acl/message.js';
import type { Conversation, MessageOrigin } from './conversation.js';
import { originOf } from './conversation.js';
import type { ProtocolErrorCode } from './errors.js';

export const CAXTON_EVENT_PARAM = 'X-caxton-event';
export const CAXTON_CODE_PARAM = 'X-caxton-code';
export const CAXTON_DEADLINE_PARAM = 'X-caxton-deadline';
export const CAXTON_PARTICIPANT_PARAM = 'X-caxton-participant';
export const CAXTON_ON_BEHALF_OF_PARAM = 'X-caxton-on-behalf-of';

export type CaxtonEvent = 'violation' | 'late-proposal' | 'deadline' | 'idle-timeout' | 'capacity';

/** Language of the machine-readable summary in a call-closed inform. */
export const CALL_SUMMARY_LANGUAGE = 'application/json';

/** The JSON content of the inform the initiator gets when a call for proposals closes. */
export interface CallClosedSummary {
  readonly event: 'call-closed';
  readonly round: number;
  readonly closedAt: number;
  /** Proposals waiting for the initiator's accept-proposal / reject-proposal (or a new round). */
  readonly proposed: readonly string[];
  readonly refused: readonly string[];
  /** Called but silent: their proposals from now on are rejected as late. */
  readonly silent: readonly string[];
}

/**
 * Answer to the sender of `message`. Never to its reply-to agents: SC00061 lets agents redirect
 * their replies there, but the platform answering a (possibly hostile) sender's chosen list would
 * let one message make the platform write into other agents' mailboxes.
 * `protocol` is the conversation's, when known: replies often omit `:protocol`.
 */
export function answerTo(
  message: AclMessage,
  platform: AgentId,
  performative: Performative,
  content: string,
  params: Record<string, string>,
  protocol: string | undefined = message.protocol,
): AclMessage {
  const sender = message.sender ?? platform;
  return build(platform, [sender], performative, content, params, {
    protocol,
    conversationId: message.conversationId,
    origin: originOf(message),
  });
}

export function violationReply(
  message: AclMessage,
  platform: AgentId,
  code: ProtocolErrorCode,
  reason: string,
  protocol?: string,
): AclMessage {
  return answerTo(
    message,
    platform,
    'not-understood',
    reason,
    { [CAXTON_EVENT_PARAM]: 'violation', [CAXTON_CODE_PARAM]: code },
    protocol ?? message.protocol,
  );
}

/** Failure sent to the initiator side of a conversation (deadline passed, idle abandon). */
export function failureToInitiator(
  conversation: Conversation,
  platform: AgentId,
  origin: MessageOrigin | undefined,
  content: string,
  params: Record<string, string>,
): AclMessage {
  return build(platform, [conversation.initiator], 'failure', content, params, {
    protocol: conversation.machine.name,
    conversationId: conversation.conversationId,
    origin,
  });
}

export function callClosedInform(
  conversation: Conversation,
  platform: AgentId,
  origin: MessageOrigin,
  summary: CallClosedSummary,
): AclMessage {
  const message = build(
    platform,
    [conversation.initiator],
    'inform',
    JSON.stringify(summary),
    {
      [CAXTON_EVENT_PARAM]: 'deadline',
      [CAXTON_DEADLINE_PARAM]: 'call',
    },
    { protocol: conversation.machine.name, conversationId: conversation.conversationId, origin },
  );
  return { ...message, language: CALL_SUMMARY_LANGUAGE };
}

function build(
  platform: AgentId,
  receivers: readonly AgentId[],
  performative: Performative,
  content: string,
  params: Record<string, string>,
  correlation: { protocol: string | undefined; conversationId: string | undefined; origin: MessageOrigin | undefined },
): AclMessage {
  const message: AclMessage = {
    performative,
    sender: platform,
    receivers: [...receivers],
    content,
    userParams: { ...correlation.origin?.trace, ...params },
  };
  if (correlation.protocol !== undefined) message.protocol = correlation.protocol;
  if (correlation.conversationId !== undefined) message.conversationId = correlation.conversationId;
  if (correlation.origin?.replyWith !== undefined) message.inReplyTo = correlation.origin.replyWith;
  return message;
}
