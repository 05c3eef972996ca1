/**
 * The JSON representation of ACL messages: Caxton's default on the bus, in the log and over gRPC.
 * It uses the FIPA parameter names (SC00061) so a message reads the same in JSON and in the FIPA
 * string form:
 *
 *   {"performative":"inform","sender":{"name":"a@p","addresses":["http://h:7778/acc"]},
 *    "receiver":[{"name":"b@p"}],"content":"…","conversation-id":"c1",
 *    "reply-by":"20231114T221320000Z","X-trace":"…"}
 *
 * - `reply-by` is written as an absolute UTC FIPA DateTime (readable in logs, same as the string
 *   form); an integer of epoch milliseconds is also read. Relative times (`+…`) are refused: a log
 *   re-read tomorrow must not move deadlines.
 * - User parameters are top-level `X-…` keys (on agent identifiers too), as on the FIPA wire.
 * - Unknown keys are rejected. Duplicate keys follow `JSON.parse` (last one wins).
 *
 * Hot path (100k+ messages/s): decoding is one native `JSON.parse` plus one walk that checks types
 * and builds the model object (a text with an escaped key is parsed again exactly: V8's key cache
 * bug on Node 24+, see json/parse-json.ts); encoding concatenates strings escaped by the native `JSON.stringify`.
 */
import { formatReplyBy, tryParseFipaDateTime } from './datetime.js';
import { AclParseError, AclValidationError } from './errors.js';
import { locateJsonSyntaxError } from './json-syntax-error.js';
import { parseJson } from '../json/index.js';
import { hasUserParamPrefix } from './lexical.js';
import { DEFAULT_ACL_LIMITS, type AclLimits } from './limits.js';
import { isPerformative, type AclMessage, type AgentId } from './message.js';
import {
  checkUserParamKey,
  readArray,
  readObject,
  readPerformative,
  readString,
  readStringArray,
  tooManyUserParams,
  unknownField,
  wrongType,
} from './shape.js';
import { checkEncodedSize, validateAclMessage } from './validate.js';

const quote = JSON.stringify as (s: string) => string;

export function encodeAclJson(msg: AclMessage): string {
  if (!isPerformative(msg.performative)) readPerformative(msg.performative); // throws the precise error
  let out = `{"performative":"${msg.performative}"`;
  if (msg.sender !== undefined) out += `,"sender":${agentJson(msg.sender, 'sender')}`;
  out += `,"receiver":${agentsJson(msg.receivers, 'receivers')}`;
  if (msg.replyTo !== undefined) out += `,"reply-to":${agentsJson(msg.replyTo, 'replyTo')}`;
  if (msg.content !== undefined) out += `,"content":${quote(msg.content)}`;
  if (msg.language !== undefined) out += `,"language":${quote(msg.language)}`;
  if (msg.encoding !== undefined) out += `,"encoding":${quote(msg.encoding)}`;
  if (msg.ontology !== undefined) out += `,"ontology":${quote(msg.ontology)}`;
  if (msg.protocol !== undefined) out += `,"protocol":${quote(msg.protocol)}`;
  if (msg.conversationId !== undefined) out += `,"conversation-id":${quote(msg.conversationId)}`;
  if (msg.replyWith !== undefined) out += `,"reply-with":${quote(msg.replyWith)}`;
  if (msg.inReplyTo !== undefined) out += `,"in-reply-to":${quote(msg.inReplyTo)}`;
  if (msg.replyBy !== undefined) out += `,"reply-by":"${formatReplyBy(msg.replyBy)}"`;
  if (msg.userParams !== undefined) out += userParamsJson(msg.userParams, 'userParams');
  return `${out}}`;
}

export function decodeAclJson(text: string, limits: AclLimits = DEFAULT_ACL_LIMITS): AclMessage {
  if (typeof text !== 'string') throw wrongType('message', 'a JSON string', text);
  checkEncodedSize(text, limits);
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (e) {
    throw jsonParseError(text, e);
  }
  const msg = fromWire(raw, limits);
  validateAclMessage(msg, limits);
  return msg;
}

// ---- encoding ------------------------------------------------------------------------------

function agentsJson(list: AgentId[], field: string): string {
  if (list.length === 0) return '[]';
  let out = `[${agentJson(list[0] as AgentId, `${field}[0]`)}`;
  for (let i = 1; i < list.length; i++) out += `,${agentJson(list[i] as AgentId, `${field}[${i}]`)}`;
  return `${out}]`;
}

function agentJson(a: AgentId, field: string): string {
  let out = `{"name":${quote(a.name)}`;
  if (a.addresses !== undefined) {
    out += ',"addresses":[';
    for (let i = 0; i < a.addresses.length; i++) out += (i === 0 ? '' : ',') + quote(a.addresses[i] as string);
    out += ']';
  }
  if (a.resolvers !== undefined) out += `,"resolvers":${agentsJson(a.resolvers, `${field}.resolvers`)}`;
  if (a.userParams !== undefined) out += userParamsJson(a.userParams, `${field}.userParams`);
  return `${out}}`;
}

function userParamsJson(params: Record<string, string>, field: string): string {
  let out = '';
  for (const key of Object.keys(params)) {
    // A key without X- would be read back as a FIPA parameter (or rejected): refuse to write it.
    if (!hasUserParamPrefix(key)) checkUserParamKey(key, field);
    out += `,${quote(key)}:${quote(params[key] as string)}`;
  }
  return out;
}

// ---- decoding ------------------------------------------------------------------------------

function jsonParseError(text: string, cause: unknown): AclParseError {
  const found = locateJsonSyntaxError(text);
  const problem = found?.problem ?? (cause instanceof Error ? cause.message : 'not valid JSON');
  return new AclParseError({
    format: 'json',
    rule: 'json.syntax',
    message: problem,
    position: found?.position ?? 0,
    input: text,
    hint: 'the JSON representation of an ACL message is one JSON object, see docs/acl.md',
  });
}

const WIRE_KEYS =
  'performative, sender, receiver, reply-to, content, language, encoding, ontology, protocol, conversation-id, reply-with, in-reply-to, reply-by and X-… user parameters';

function fromWire(raw: unknown, limits: AclLimits): AclMessage {
  const obj = readObject(raw, 'message');
  const msg: AclMessage = { performative: readPerformative(obj['performative']), receivers: [] };
  let userParams: Record<string, string> | undefined;
  let userParamCount = 0;
  for (const key in obj) {
    const v = obj[key];
    switch (key) {
      case 'performative':
        break;
      case 'sender':
        msg.sender = agentFromWire(v, 'sender', 0, limits);
        break;
      case 'receiver':
        msg.receivers = agentsFromWire(v, 'receivers', 'receivers.too-many', limits);
        break;
      case 'reply-to':
        msg.replyTo = agentsFromWire(v, 'replyTo', 'reply-to.too-many', limits);
        break;
      case 'content':
        msg.content = readString(v, 'content');
        break;
      case 'language':
        msg.language = readString(v, 'language');
        break;
      case 'encoding':
        msg.encoding = readString(v, 'encoding');
        break;
      case 'ontology':
        msg.ontology = readString(v, 'ontology');
        break;
      case 'protocol':
        msg.protocol = readString(v, 'protocol');
        break;
      case 'conversation-id':
        msg.conversationId = readString(v, 'conversationId');
        break;
      case 'reply-with':
        msg.replyWith = readString(v, 'replyWith');
        break;
      case 'in-reply-to':
        msg.inReplyTo = readString(v, 'inReplyTo');
        break;
      case 'reply-by':
        msg.replyBy = replyByFromWire(v);
        break;
      default:
        if (!hasUserParamPrefix(key)) throw unknownField(key, `JSON message keys are ${WIRE_KEYS}`);
        checkUserParamKey(key, 'userParams');
        if (++userParamCount > limits.maxUserParams) throw tooManyUserParams('userParams', userParamCount, limits.maxUserParams);
        (userParams ??= {})[key] = readString(v, `userParams.${key}`);
    }
  }
  if (userParams !== undefined) msg.userParams = userParams;
  return msg;
}

function replyByFromWire(v: unknown): number {
  if (typeof v === 'number') return v; // range and integrality are checked by validateAclMessage
  const text = readString(v, 'replyBy');
  const c = text.charCodeAt(0);
  const r = c === 0x2b || c === 0x2d ? undefined : tryParseFipaDateTime(text);
  if (r === undefined || !r.ok) {
    throw new AclValidationError(
      'replyBy',
      'reply-by.invalid',
      r === undefined ? 'relative times are not accepted in JSON' : r.problem,
      'write reply-by as an absolute UTC DateTime such as "20231114T221320000Z", or as epoch milliseconds',
    );
  }
  return r.epochMs;
}

function agentsFromWire(v: unknown, field: string, rule: string, limits: AclLimits): AgentId[] {
  const list = readArray(v, field, limits.maxReceivers, rule);
  const out = new Array<AgentId>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = agentFromWire(list[i], `${field}[${i}]`, 0, limits);
  return out;
}

function agentFromWire(v: unknown, field: string, depth: number, limits: AclLimits): AgentId {
  const obj = readObject(v, field);
  const aid: AgentId = { name: '' };
  let hasName = false;
  let userParamCount = 0;
  for (const key in obj) {
    const value = obj[key];
    switch (key) {
      case 'name':
        aid.name = readString(value, `${field}.name`);
        hasName = true;
        break;
      case 'addresses':
        aid.addresses = readStringArray(value, `${field}.addresses`, limits.maxAddresses, 'addresses.too-many');
        break;
      case 'resolvers': {
        const list = readArray(value, `${field}.resolvers`, limits.maxAddresses, 'resolvers.too-many');
        // Checked before recursing, so hostile nesting cannot exhaust the stack.
        if (list.length > 0 && depth >= limits.maxResolverDepth) {
          throw new AclValidationError(
            `${field}.resolvers`,
            'resolvers.too-deep',
            `resolvers nest deeper than ${limits.maxResolverDepth} levels`,
          );
        }
        const out = new Array<AgentId>(list.length);
        for (let i = 0; i < list.length; i++) out[i] = agentFromWire(list[i], `${field}.resolvers[${i}]`, depth + 1, limits);
        aid.resolvers = out;
        break;
      }
      default: {
        const paramsField = `${field}.userParams`;
        if (!hasUserParamPrefix(key))
          throw unknownField(`${field}.${key}`, 'agent identifier keys are name, addresses, resolvers and X-… user parameters');
        checkUserParamKey(key, paramsField);
        if (++userParamCount > limits.maxUserParams) throw tooManyUserParams(paramsField, userParamCount, limits.maxUserParams);
        (aid.userParams ??= {})[key] = readString(value, `${paramsField}.${key}`);
      }
    }
  }
  if (!hasName) throw new AclValidationError(`${field}.name`, 'agent-name.missing', 'an agent identifier needs a name');
  return aid;
}
