/**
 * Validation of ACL messages: every message that crosses a boundary (guest `send`, bus, gRPC, a
 * remote platform) passes through here, whichever codec read it.
 *
 * - `validateAclMessage` checks a typed `AclMessage` against the model rules and the limits.
 * - `parseAclMessage` turns an untyped value already in the model's shape into a fresh, validated
 *   `AclMessage` (unknown fields are rejected, so typos such as `reciever` do not pass silently).
 * - `requireReceivers` is the extra rule for a message being *sent*. It is separate because stored
 *   messages, templates and JADE dumps printed before `send()` legitimately have no receivers.
 */
import { MAX_FIPA_EPOCH_MS } from './datetime.js';
import { AclValidationError } from './errors.js';
import { excerpt } from './excerpt.js';
import { checkPriorityParam } from './priority.js';
import { hasSpaceOrControl, isProtocolWord, isWellFormedUnicode, utf8ByteLength } from './lexical.js';
import { DEFAULT_ACL_LIMITS, type AclLimits } from './limits.js';
import { isPerformative, type AclMessage, type AgentId } from './message.js';
import {
  checkUserParamKey,
  isPlainObject,
  readArray,
  readObject,
  readPerformative,
  readString,
  readStringArray,
  readUserParams,
  tooManyUserParams,
  unknownField,
  wrongType,
} from './shape.js';

/** Throws `AclValidationError` naming the first field that breaks a rule. */
export function validateAclMessage(msg: AclMessage, limits: AclLimits = DEFAULT_ACL_LIMITS): void {
  if (!isPlainObject(msg)) throw wrongType('message', 'an object', msg);
  if (msg.performative === undefined || !isPerformative(msg.performative)) readPerformative(msg.performative);

  // Sum of UTF-16 lengths: a cheap lower bound of the UTF-8 size, used to skip the exact count.
  let units = 0;
  if (msg.sender !== undefined) units += checkAgentId(msg.sender, 'sender', 0, limits);
  units += checkAgentIds(msg.receivers, 'receivers', 'receivers.too-many', limits);
  if (msg.replyTo !== undefined) units += checkAgentIds(msg.replyTo, 'replyTo', 'reply-to.too-many', limits);
  if (msg.content !== undefined) units += checkString(msg.content, 'content', limits.maxContentBytes, 'content.too-large');
  if (msg.language !== undefined) units += checkField(msg.language, 'language', limits);
  if (msg.encoding !== undefined) units += checkField(msg.encoding, 'encoding', limits);
  if (msg.ontology !== undefined) units += checkField(msg.ontology, 'ontology', limits);
  if (msg.protocol !== undefined) units += checkProtocol(msg.protocol, limits);
  if (msg.conversationId !== undefined) units += checkField(msg.conversationId, 'conversationId', limits);
  if (msg.replyWith !== undefined) units += checkField(msg.replyWith, 'replyWith', limits);
  if (msg.inReplyTo !== undefined) units += checkField(msg.inReplyTo, 'inReplyTo', limits);
  if (msg.replyBy !== undefined) checkReplyBy(msg.replyBy);
  if (msg.userParams !== undefined) units += checkUserParams(msg.userParams, 'userParams', limits);

  // UTF-8 needs at least one byte and at most three per UTF-16 unit.
  if (units * 3 > limits.maxMessageBytes) {
    const bytes = units > limits.maxMessageBytes ? units : messageUtf8Bytes(msg);
    if (bytes > limits.maxMessageBytes) {
      throw new AclValidationError(
        'message',
        'message.too-large',
        `holds at least ${bytes} bytes of text, the limit is ${limits.maxMessageBytes}`,
        'send large payloads by reference (e.g. a URL in the content) or raise maxMessageBytes',
      );
    }
  }
}

/** The rule for messages being sent: at least one receiver. */
export function requireReceivers(msg: AclMessage): void {
  if (!Array.isArray(msg.receivers) || msg.receivers.length === 0) {
    throw new AclValidationError(
      'receivers',
      'receivers.empty',
      'a message being sent needs at least one receiver',
      'add the intended agent(s) to receivers',
    );
  }
}

/** Untyped value in the model's shape -> fresh validated `AclMessage`. */
export function parseAclMessage(value: unknown, limits: AclLimits = DEFAULT_ACL_LIMITS): AclMessage {
  const obj = readObject(value, 'message');
  const msg: AclMessage = { performative: readPerformative(obj['performative']), receivers: [] };
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue; // an absent optional field, as TypeScript allows
    switch (key) {
      case 'performative':
        break;
      case 'sender':
        msg.sender = copyAgentId(v, 'sender', 0, limits);
        break;
      case 'receivers':
        msg.receivers = copyAgentIds(v, 'receivers', 'receivers.too-many', limits);
        break;
      case 'replyTo':
        msg.replyTo = copyAgentIds(v, 'replyTo', 'reply-to.too-many', limits);
        break;
      case 'content':
        msg.content = readString(v, key);
        break;
      case 'language':
        msg.language = readString(v, key);
        break;
      case 'encoding':
        msg.encoding = readString(v, key);
        break;
      case 'ontology':
        msg.ontology = readString(v, key);
        break;
      case 'protocol':
        msg.protocol = readString(v, key);
        break;
      case 'conversationId':
        msg.conversationId = readString(v, key);
        break;
      case 'replyWith':
        msg.replyWith = readString(v, key);
        break;
      case 'inReplyTo':
        msg.inReplyTo = readString(v, key);
        break;
      case 'replyBy':
        if (typeof v !== 'number') throw wrongType(key, 'a number (epoch milliseconds)', v);
        msg.replyBy = v;
        break;
      case 'userParams':
        msg.userParams = readUserParams(v, key, limits.maxUserParams);
        break;
      default:
        throw unknownField(
          key,
          'model fields are performative, sender, receivers, replyTo, content, language, encoding, ontology, protocol, conversationId, replyWith, inReplyTo, replyBy, userParams',
        );
    }
  }
  validateAclMessage(msg, limits);
  return msg;
}

/** Rejects an encoded message (JSON or string form) larger than `maxMessageBytes`, before parsing it. */
export function checkEncodedSize(text: string, limits: AclLimits): void {
  const n = text.length;
  // UTF-8 takes 1–3 bytes per UTF-16 unit: only count exactly when the bound is inconclusive.
  if (n > limits.maxMessageBytes || (n * 3 > limits.maxMessageBytes && utf8ByteLength(text) > limits.maxMessageBytes)) {
    throw new AclValidationError(
      'message',
      'message.too-large',
      `is ${utf8ByteLength(text)} bytes, the limit is ${limits.maxMessageBytes}`,
      'send large payloads by reference or raise maxMessageBytes',
    );
  }
}

/** Exact UTF-8 size of all strings of a message (any encoding of it carries at least this much). */
export function messageUtf8Bytes(msg: AclMessage): number {
  let bytes = 0;
  const add = (s: string | undefined): void => {
    if (s !== undefined) bytes += utf8ByteLength(s);
  };
  const addParams = (p: Record<string, string> | undefined): void => {
    if (p === undefined) return;
    for (const k of Object.keys(p)) {
      add(k);
      add(p[k]);
    }
  };
  const addAgent = (a: AgentId): void => {
    add(a.name);
    a.addresses?.forEach(add);
    a.resolvers?.forEach(addAgent);
    addParams(a.userParams);
  };
  if (msg.sender !== undefined) addAgent(msg.sender);
  msg.receivers.forEach(addAgent);
  msg.replyTo?.forEach(addAgent);
  add(msg.content);
  add(msg.language);
  add(msg.encoding);
  add(msg.ontology);
  add(msg.protocol);
  add(msg.conversationId);
  add(msg.replyWith);
  add(msg.inReplyTo);
  addParams(msg.userParams);
  return bytes;
}

// ---- rules ---------------------------------------------------------------------------------

function checkString(value: unknown, field: string, maxBytes: number, rule: string): number {
  if (typeof value !== 'string') throw wrongType(field, 'a string', value);
  const n = value.length;
  if (n > maxBytes || (n * 3 > maxBytes && utf8ByteLength(value) > maxBytes)) {
    throw new AclValidationError(
      field,
      rule,
      `is ${utf8ByteLength(value)} bytes, the limit is ${maxBytes}`,
      field === 'content' ? 'send large payloads by reference or raise maxContentBytes' : 'shorten it or raise maxFieldBytes',
    );
  }
  if (!isWellFormedUnicode(value)) {
    throw new AclValidationError(
      field,
      'string.ill-formed',
      'contains a lone UTF-16 surrogate (not valid Unicode)',
      'encode binary data as Base64 text',
    );
  }
  return n;
}

function checkField(value: unknown, field: string, limits: AclLimits): number {
  return checkString(value, field, limits.maxFieldBytes, 'field.too-long');
}

function checkProtocol(value: unknown, limits: AclLimits): number {
  const n = checkField(value, 'protocol', limits);
  const protocol = value as string;
  if (!isProtocolWord(protocol)) {
    throw new AclValidationError(
      'protocol',
      'protocol.not-a-word',
      `"${excerpt(protocol)}" is not a FIPA word of printable ASCII`,
      'protocol names are single words of printable ASCII such as fipa-request: no spaces or parentheses, not starting with a digit or any of - # @ : "',
    );
  }
  return n;
}

function checkReplyBy(value: unknown): void {
  if (typeof value !== 'number') throw wrongType('replyBy', 'a number (epoch milliseconds)', value);
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_FIPA_EPOCH_MS) {
    throw new AclValidationError(
      'replyBy',
      'reply-by.out-of-range',
      `${String(value)} is not a whole number of milliseconds between 1970 and 9999`,
      'reply-by is milliseconds since the Unix epoch, UTC',
    );
  }
}

function checkAgentName(value: unknown, field: string, limits: AclLimits): number {
  if (value === undefined) {
    throw new AclValidationError(field, 'agent-name.missing', 'an agent identifier needs a name');
  }
  const n = checkString(value, field, limits.maxFieldBytes, 'agent-name.too-long');
  const name = value as string;
  if (n === 0) throw new AclValidationError(field, 'agent-name.empty', 'an agent name cannot be empty', 'names look like local@platform');
  if (hasSpaceOrControl(name)) {
    throw new AclValidationError(
      field,
      'agent-name.invalid',
      `"${excerpt(name)}" contains whitespace or control characters`,
      'names look like local@platform, without spaces',
    );
  }
  return n;
}

function checkAddress(value: unknown, field: string, limits: AclLimits): number {
  const n = checkString(value, field, limits.maxFieldBytes, 'address.too-long');
  const address = value as string;
  if (n === 0 || hasSpaceOrControl(address)) {
    throw new AclValidationError(
      field,
      'address.invalid',
      `"${excerpt(address)}" is not a transport address`,
      'addresses are URLs such as http://host:7778/acc, without spaces',
    );
  }
  return n;
}

function checkAgentIds(value: unknown, field: string, rule: string, limits: AclLimits): number {
  const list = readArray(value, field, limits.maxReceivers, rule);
  let units = 0;
  for (let i = 0; i < list.length; i++) units += checkAgentId(list[i], `${field}[${i}]`, 0, limits);
  return units;
}

function checkAgentId(value: unknown, field: string, depth: number, limits: AclLimits): number {
  if (!isPlainObject(value)) throw wrongType(field, 'an agent identifier object', value);
  const aid = value as unknown as AgentId;
  let units = checkAgentName(aid.name, `${field}.name`, limits);
  if (aid.addresses !== undefined) {
    const list = readArray(aid.addresses, `${field}.addresses`, limits.maxAddresses, 'addresses.too-many');
    for (let i = 0; i < list.length; i++) units += checkAddress(list[i], `${field}.addresses[${i}]`, limits);
  }
  if (aid.resolvers !== undefined) {
    const list = readArray(aid.resolvers, `${field}.resolvers`, limits.maxAddresses, 'resolvers.too-many');
    if (list.length > 0 && depth >= limits.maxResolverDepth) throw resolversTooDeep(field, limits);
    for (let i = 0; i < list.length; i++) units += checkAgentId(list[i], `${field}.resolvers[${i}]`, depth + 1, limits);
  }
  if (aid.userParams !== undefined) units += checkUserParams(aid.userParams, `${field}.userParams`, limits);
  return units;
}

function checkUserParams(value: unknown, field: string, limits: AclLimits): number {
  const params = readObject(value, field);
  const keys = Object.keys(params);
  if (keys.length > limits.maxUserParams) throw tooManyUserParams(field, keys.length, limits.maxUserParams);
  let units = 0;
  for (const key of keys) {
    checkUserParamKey(key, field);
    units += key.length + checkField(params[key], `${field}.${excerpt(key)}`, limits);
    checkPriorityParam(key, params[key], field);
  }
  // Parameter names are case-insensitive on the FIPA string wire: X-a and x-A would collide there.
  if (keys.length > 1) {
    const seen = new Set<string>();
    for (const key of keys) {
      const lower = key.toLowerCase();
      if (seen.has(lower)) {
        throw new AclValidationError(
          `${field}.${excerpt(key)}`,
          'user-param.duplicate',
          'differs from another user-defined parameter only by letter case',
          'parameter names are case-insensitive in FIPA ACL',
        );
      }
      seen.add(lower);
    }
  }
  return units;
}

function resolversTooDeep(field: string, limits: AclLimits): AclValidationError {
  return new AclValidationError(
    `${field}.resolvers`,
    'resolvers.too-deep',
    `resolvers nest deeper than ${limits.maxResolverDepth} levels`,
    'flatten the resolver chain or raise maxResolverDepth',
  );
}

// ---- copying untyped agent identifiers (parseAclMessage) -----------------------------------

function copyAgentIds(value: unknown, field: string, rule: string, limits: AclLimits): AgentId[] {
  const list = readArray(value, field, limits.maxReceivers, rule);
  const out = new Array<AgentId>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = copyAgentId(list[i], `${field}[${i}]`, 0, limits);
  return out;
}

function copyAgentId(value: unknown, field: string, depth: number, limits: AclLimits): AgentId {
  const obj = readObject(value, field);
  const aid: AgentId = { name: '' };
  let hasName = false;
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined) continue;
    switch (key) {
      case 'name':
        aid.name = readString(v, `${field}.name`);
        hasName = true;
        break;
      case 'addresses':
        aid.addresses = readStringArray(v, `${field}.addresses`, limits.maxAddresses, 'addresses.too-many');
        break;
      case 'resolvers': {
        const list = readArray(v, `${field}.resolvers`, limits.maxAddresses, 'resolvers.too-many');
        // Depth is checked before recursing: a hostile value must not be able to exhaust the stack.
        if (list.length > 0 && depth >= limits.maxResolverDepth) throw resolversTooDeep(field, limits);
        aid.resolvers = list.map((r, i) => copyAgentId(r, `${field}.resolvers[${i}]`, depth + 1, limits));
        break;
      }
      case 'userParams':
        aid.userParams = readUserParams(v, `${field}.userParams`, limits.maxUserParams);
        break;
      default:
        throw unknownField(`${field}.${key}`, 'agent identifier fields are name, addresses, resolvers, userParams');
    }
  }
  if (!hasName) throw new AclValidationError(`${field}.name`, 'agent-name.missing', 'an agent identifier needs a name');
  return aid;
}
