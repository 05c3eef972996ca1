/**
 * Topics and content-based subscriptions (decision 1960), as every layer sees them: how a message
 * is addressed to a topic, what a subscription is, and the filter a subscription may carry. Pure:
 * the bus, the registry, the sandbox and the API parse and evaluate with these functions only.
 *
 * A message is published to topic `news` by naming the receiver `topic:news`. Topic names are
 * platform-wide (no `@platform` part): the bus resolves the address to the topic's subscribers at
 * send time and appends one multi-receiver send (decision 1202).
 */
import type { AclMessage } from '../acl/message.js';
import { CaxtonError, type ErrorKind } from '../errors.js';
import { TOPIC_LIMITS } from './limits/index.js';

/** The receiver prefix that addresses a topic instead of an agent. */
export const TOPIC_PREFIX = 'topic:';

/** Topic names: letters, digits and `.-_/`, starting with a letter or digit. No `@`, no spaces. */
const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
const TOPIC_NAME_HINT =
  'a topic name is 1..200 characters of letters, digits and ". - _ /", starting with a letter or digit (e.g. "market.prices")';

export type TopicErrorCode =
  | 'topic.invalid-name'
  | 'topic.invalid-filter'
  | 'topic.too-many-subscriptions'
  | 'topic.invalid-pattern'
  | 'topic.not-allowed';

/** What sort of failure each refusal is for a caller (decision 1105). */
const TOPIC_ERROR_KINDS: Readonly<Record<TopicErrorCode, ErrorKind>> = Object.freeze({
  'topic.invalid-name': 'invalid-argument',
  'topic.invalid-filter': 'invalid-argument',
  'topic.too-many-subscriptions': 'resource-exhausted',
  // A deployment's allow-list (decision 2050): a malformed pattern, and a topic outside the list.
  'topic.invalid-pattern': 'invalid-argument',
  'topic.not-allowed': 'permission-denied',
});

/** A topic name, a filter or a topic pattern was refused, or a topic is outside an allow-list. */
export class TopicError extends CaxtonError {
  readonly field: string;

  constructor(code: TopicErrorCode, field: string, message: string, hint: string) {
    super(code, `${field}: ${message}`, { kind: TOPIC_ERROR_KINDS[code], context: { field }, hint });
    this.field = field;
  }
}

/** Checks a topic name (without the prefix); returns it, or throws `topic.invalid-name`. */
export function checkTopicName(name: unknown, field = 'topic'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > TOPIC_LIMITS.maxTopicNameLength || !TOPIC_NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : typeof name;
    throw new TopicError('topic.invalid-name', field, `${shown} is not a valid topic name`, TOPIC_NAME_HINT);
  }
  return name;
}

/**
 * The topic a receiver name addresses, or undefined when it names an agent. A name that starts with
 * `topic:` but is not a valid topic is refused (a typo must not fall back to an agent lookup).
 */
export function topicOfReceiver(receiverName: string, field = 'receiver'): string | undefined {
  if (!receiverName.startsWith(TOPIC_PREFIX)) return undefined;
  return checkTopicName(receiverName.slice(TOPIC_PREFIX.length), field);
}

/** The receiver that addresses `topic`. */
export function topicAddress(topic: string): string {
  return `${TOPIC_PREFIX}${checkTopicName(topic)}`;
}

/** The ACL fields a filter may look at (sender: its full name, `local@platform`). */
export const FILTER_FIELDS = ['performative', 'ontology', 'language', 'protocol', 'sender', 'conversation-id'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** How one clause compares: the whole value, its beginning, or one of a set. */
export type FilterMatch = { equals: string } | { prefix: string } | { in: string[] };

/** One clause: an ACL field, or a user parameter (`X-…`, its exact key), and how it must match. */
export interface FilterClause {
  field: FilterField | `X-${string}`;
  match: FilterMatch;
}

/** Every clause must hold (an absent field matches nothing). An empty filter matches everything. */
export interface TopicFilter {
  all: FilterClause[];
}

/** A subscription, as the registry keeps it (keyed by agent and topic). */
export interface TopicSubscription {
  /** The subscriber's local name. */
  agent: string;
  topic: string;
  filter?: TopicFilter;
}

function badFilter(field: string, message: string): TopicError {
  return new TopicError(
    'topic.invalid-filter',
    field,
    message,
    `a filter is {"all":[{"field":"performative|ontology|language|protocol|sender|conversation-id|X-<param>","match":{"equals":"v"}|{"prefix":"p"}|{"in":["a","b"]}}]}, at most ${TOPIC_LIMITS.maxFilterClauses} clauses of at most ${TOPIC_LIMITS.maxFilterValues} values of ${TOPIC_LIMITS.maxFilterValueLength} characters`,
  );
}

function checkValue(value: unknown, field: string): string {
  if (typeof value !== 'string') throw badFilter(field, 'must be a string');
  if (value.length > TOPIC_LIMITS.maxFilterValueLength)
    throw badFilter(field, `is ${value.length} characters; at most ${TOPIC_LIMITS.maxFilterValueLength}`);
  return value;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const USER_PARAM = /^X-[A-Za-z0-9._-]{1,100}$/;

/**
 * Parses and validates a filter from anything (a guest's JSON, a registry record): the one place a
 * filter is checked. Returns a fresh typed value; throws `topic.invalid-filter` with the path of
 * the first fault.
 */
export function parseTopicFilter(input: unknown, field = 'filter'): TopicFilter {
  if (!isRecord(input)) throw badFilter(field, 'must be an object with an "all" list');
  const extra = Object.keys(input).filter((k) => k !== 'all');
  if (extra.length > 0) throw badFilter(`${field}.${extra[0]}`, 'is not a filter key');
  const all = input.all;
  if (!Array.isArray(all)) throw badFilter(`${field}.all`, 'must be a list of clauses');
  if (all.length > TOPIC_LIMITS.maxFilterClauses)
    throw badFilter(`${field}.all`, `has ${all.length} clauses; at most ${TOPIC_LIMITS.maxFilterClauses}`);
  const filter = { all: all.map((c, i) => parseClause(c, `${field}.all[${i}]`)) };
  const total = filterLength(filter);
  if (total > TOPIC_LIMITS.maxFilterTotalLength) {
    throw badFilter(field, `compares with ${total} code units of values in all; at most ${TOPIC_LIMITS.maxFilterTotalLength}`);
  }
  return filter;
}

/** The code units of values and prefixes a filter compares with (what `maxFilterTotalLength` bounds). */
function filterLength(filter: TopicFilter): number {
  let n = 0;
  for (const { match } of filter.all) {
    if ('equals' in match) n += match.equals.length;
    else if ('prefix' in match) n += match.prefix.length;
    else for (const v of match.in) n += v.length;
  }
  return n;
}

function parseClause(input: unknown, at: string): FilterClause {
  if (!isRecord(input)) throw badFilter(at, 'must be an object {field, match}');
  const extra = Object.keys(input).filter((k) => k !== 'field' && k !== 'match');
  if (extra.length > 0) throw badFilter(`${at}.${extra[0]}`, 'is not a clause key');
  const f = input.field;
  if (typeof f !== 'string' || !((FILTER_FIELDS as readonly string[]).includes(f) || USER_PARAM.test(f))) {
    throw badFilter(`${at}.field`, `${JSON.stringify(String(f).slice(0, 40))} is not a filterable field`);
  }
  const m = input.match;
  if (!isRecord(m) || Object.keys(m).length !== 1) throw badFilter(`${at}.match`, 'must have exactly one of equals, prefix, in');
  let match: FilterMatch;
  if ('equals' in m) match = { equals: checkValue(m.equals, `${at}.match.equals`) };
  else if ('prefix' in m) match = { prefix: checkValue(m.prefix, `${at}.match.prefix`) };
  else if ('in' in m) {
    const values = m.in;
    if (!Array.isArray(values) || values.length === 0) throw badFilter(`${at}.match.in`, 'must be a non-empty list of strings');
    if (values.length > TOPIC_LIMITS.maxFilterValues)
      throw badFilter(`${at}.match.in`, `has ${values.length} values; at most ${TOPIC_LIMITS.maxFilterValues}`);
    match = { in: values.map((v, i) => checkValue(v, `${at}.match.in[${i}]`)) };
  } else {
    throw badFilter(`${at}.match`, `${JSON.stringify(Object.keys(m)[0]!.slice(0, 40))} is not a match (equals, prefix, in)`);
  }
  return { field: f as FilterClause['field'], match };
}

function fieldValue(msg: AclMessage, field: FilterClause['field']): string | undefined {
  switch (field) {
    case 'performative':
      return msg.performative;
    case 'ontology':
      return msg.ontology;
    case 'language':
      return msg.language;
    case 'protocol':
      return msg.protocol;
    case 'sender':
      return msg.sender?.name;
    case 'conversation-id':
      return msg.conversationId;
    default:
      return msg.userParams?.[field];
  }
}

function clauseHolds(value: string | undefined, match: FilterMatch): boolean {
  if (value === undefined) return false;
  if ('equals' in match) return value === match.equals;
  if ('prefix' in match) return value.startsWith(match.prefix);
  return match.in.includes(value);
}

/** Does `msg` pass the filter? (No filter: every message does.) Cost bounded by TOPIC_LIMITS. */
export function matchesTopicFilter(filter: TopicFilter | undefined, msg: AclMessage): boolean {
  if (filter === undefined) return true;
  for (const clause of filter.all) if (!clauseHolds(fieldValue(msg, clause.field), clause.match)) return false;
  return true;
}

/** Parses a whole subscription record (registry, API); agent names are checked by their owners. */
export function parseTopicSubscription(input: unknown, field = 'subscription'): TopicSubscription {
  if (!isRecord(input) || typeof input.agent !== 'string' || input.agent === '')
    throw badFilter(`${field}.agent`, 'must be a non-empty agent name');
  const out: TopicSubscription = { agent: input.agent, topic: checkTopicName(input.topic, `${field}.topic`) };
  if (input.filter !== undefined) out.filter = parseTopicFilter(input.filter, `${field}.filter`);
  return out;
}
