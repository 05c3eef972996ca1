/**
 * Writer for the FIPA ACL string representation, producing text that both SC00070 parsers and
 * JADE's ACLParser read back to the same message:
 *
 *   (inform :sender (agent-identifier :name a@p :addresses (sequence http://h:7778/acc))
 *    :receiver (set (agent-identifier :name b@p)) :content "…" :reply-by 20231114T221320000Z)
 *
 * (one line; shown wrapped). Rules:
 * - Values are bare words only when JADE's WORD token accepts them unchanged (printable ASCII, no
 *   parentheses or quotes, not starting with a digit, `-`, `#`, `@` or `:`); otherwise quoted.
 * - Quoted strings escape `"` as `\"` and nothing else, exactly as JADE does. The one string that
 *   form cannot carry is one ending in a backslash (`"…\"` would read as an escaped quote), so such
 *   strings are written as byte-length strings `#N"…` (N = UTF-8 bytes).
 * - `reply-by` is absolute UTC with `Z`. Content is written as is (JADE trims it; we do not).
 */
import { formatReplyBy } from './datetime.js';
import { AclValidationError } from './errors.js';
import { excerpt } from './excerpt.js';
import { isBareWordSafe, isProtocolWord, isUserParamKey, utf8ByteLength } from './lexical.js';
import { isPerformative, type AclMessage, type AgentId } from './message.js';
import { checkUserParamKey, readPerformative } from './shape.js';

export function printAclString(msg: AclMessage): string {
  if (!isPerformative(msg.performative)) readPerformative(msg.performative); // throws the precise error
  let out = `(${msg.performative}`;
  if (msg.sender !== undefined) out += ` :sender ${agentId(msg.sender, 'sender')}`;
  if (msg.receivers.length > 0) out += ` :receiver ${agentSet(msg.receivers, 'receivers')}`;
  if (msg.replyTo !== undefined) out += ` :reply-to ${agentSet(msg.replyTo, 'replyTo')}`;
  if (msg.content !== undefined) out += ` :content ${stringLiteral(msg.content)}`;
  if (msg.language !== undefined) out += ` :language ${expression(msg.language)}`;
  if (msg.encoding !== undefined) out += ` :encoding ${expression(msg.encoding)}`;
  if (msg.ontology !== undefined) out += ` :ontology ${expression(msg.ontology)}`;
  if (msg.protocol !== undefined) out += ` :protocol ${protocolWord(msg.protocol)}`;
  if (msg.conversationId !== undefined) out += ` :conversation-id ${expression(msg.conversationId)}`;
  if (msg.replyWith !== undefined) out += ` :reply-with ${expression(msg.replyWith)}`;
  if (msg.inReplyTo !== undefined) out += ` :in-reply-to ${expression(msg.inReplyTo)}`;
  if (msg.replyBy !== undefined) out += ` :reply-by ${formatReplyBy(msg.replyBy)}`;
  if (msg.userParams !== undefined) out += userParams(msg.userParams, 'userParams');
  return `${out})`;
}

/** Bare word when JADE reads it back unchanged, quoted string otherwise. */
export function expression(value: string): string {
  return isBareWordSafe(value) ? value : stringLiteral(value);
}

export function stringLiteral(value: string): string {
  if (value.charCodeAt(value.length - 1) === 0x5c /* \ */) return `#${utf8ByteLength(value)}"${value}`;
  return `"${value.includes('"') ? value.replaceAll('"', '\\"') : value}"`;
}

function agentSet(list: AgentId[], field: string): string {
  let out = '(set';
  for (let i = 0; i < list.length; i++) out += ` ${agentId(list[i] as AgentId, `${field}[${i}]`)}`;
  return `${out})`;
}

function agentId(a: AgentId, field: string): string {
  let out = `(agent-identifier :name ${expression(a.name)}`;
  if (a.addresses !== undefined) {
    out += ' :addresses (sequence';
    for (const address of a.addresses) out += ` ${expression(address)}`;
    out += ')';
  }
  if (a.resolvers !== undefined) {
    out += ' :resolvers (sequence';
    for (let i = 0; i < a.resolvers.length; i++) out += ` ${agentId(a.resolvers[i] as AgentId, `${field}.resolvers[${i}]`)}`;
    out += ')';
  }
  if (a.userParams !== undefined) out += userParams(a.userParams, `${field}.userParams`);
  return `${out})`;
}

function userParams(params: Record<string, string>, field: string): string {
  let out = '';
  for (const key of Object.keys(params)) {
    // The key is written bare after ':'; one that is not a valid X- name would corrupt the message.
    if (!isUserParamKey(key)) checkUserParamKey(key, field);
    out += ` :${key} ${expression(params[key] as string)}`;
  }
  return out;
}

function protocolWord(protocol: string): string {
  // SC00070 (and JADE) read :protocol as a Word only; quoting it would not be read back.
  if (!isProtocolWord(protocol)) {
    throw new AclValidationError('protocol', 'protocol.not-a-word', `"${excerpt(protocol)}" cannot be written as a FIPA word`);
  }
  return protocol;
}
