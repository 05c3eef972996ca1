/**
 * A deployment's topic allow-list (decision 2050): the topics its agent may subscribe to, given by
 * the operator at deploy (`caxton deploy --topics 'orders.*,alerts'`). Pure: the API parses the
 * list here, the registry re-checks stored records here, the sandbox and the node ask `topicAllowed`.
 *
 * A pattern is a topic name (that topic only), or a prefix of one followed by a single `*` at the
 * end (every topic that starts with the prefix and is longer than it): `orders.*` allows
 * `orders.eu` and `orders.eu.retail`, not `orders` itself; `*` alone allows every topic. No other
 * wildcard, no regular expressions: checking a topic is at most `maxTopicPatterns` prefix
 * comparisons.
 */
import { TOPIC_LIMITS } from './limits/index.js';
import { TopicError } from './topics.js';

/** Checked patterns, in the order given, each once. Absent from a deployment: every topic. */
export type TopicPatterns = readonly string[];

const PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._\-/]*\*?|\*)$/;
const PATTERN_HINT =
  'a topic pattern is a topic name ("alerts") or a prefix of one ending in * ("orders.*"; * alone allows every topic), ' +
  `at most ${TOPIC_LIMITS.maxTopicNameLength} characters; at most ${TOPIC_LIMITS.maxTopicPatterns} patterns, comma-separated on the command line`;

function badPattern(field: string, message: string): TopicError {
  return new TopicError('topic.invalid-pattern', field, message, PATTERN_HINT);
}

/**
 * Parses an allow-list from anything (a wire list, a registry record): the one place patterns are
 * checked. The count is checked before any pattern is read. Duplicates are kept once.
 */
export function parseTopicPatterns(input: unknown, field = 'topics'): TopicPatterns {
  if (!Array.isArray(input)) throw badPattern(field, 'must be a list of topic patterns');
  if (input.length > TOPIC_LIMITS.maxTopicPatterns)
    throw badPattern(field, `has ${input.length} patterns; at most ${TOPIC_LIMITS.maxTopicPatterns}`);
  const out: string[] = [];
  input.forEach((p: unknown, i) => {
    if (typeof p !== 'string' || p.length === 0 || p.length > TOPIC_LIMITS.maxTopicNameLength || !PATTERN.test(p)) {
      const shown = typeof p === 'string' ? JSON.stringify(p.slice(0, 40)) : typeof p;
      throw badPattern(`${field}[${i}]`, `${shown} is not a topic pattern`);
    }
    if (!out.includes(p)) out.push(p);
  });
  return Object.freeze(out);
}

/**
 * Splits the command line's form (`orders.*,alerts`; spaces around commas ignored) and parses it.
 * The empty text is the empty list: no topic at all.
 */
export function parseTopicPatternText(text: string, field = 'topics'): TopicPatterns {
  // Bounded before it is split: the longest valid list, with a separator and a space per pattern.
  const max = TOPIC_LIMITS.maxTopicPatterns * (TOPIC_LIMITS.maxTopicNameLength + 2);
  if (text.length > max) throw badPattern(field, `is ${text.length} characters; at most ${max}`);
  if (text.trim() === '') return Object.freeze([]);
  return parseTopicPatterns(
    text.split(',').map((p) => p.trim()),
    field,
  );
}

/** Does `pattern` allow `topic` (a checked topic name)? */
export function topicMatchesPattern(pattern: string, topic: string): boolean {
  if (!pattern.endsWith('*')) return topic === pattern;
  const prefix = pattern.slice(0, -1);
  return topic.length > prefix.length && topic.startsWith(prefix);
}

/** May an agent whose deployment has `patterns` subscribe to `topic`? Absent: yes (decision 2050). */
export function topicAllowed(patterns: TopicPatterns | undefined, topic: string): boolean {
  if (patterns === undefined) return true;
  for (const p of patterns) if (topicMatchesPattern(p, topic)) return true;
  return false;
}

/** The refusal of `topic` for `agent`, whose deployment allows `patterns` only. */
export function topicNotAllowed(agent: string, topic: string, patterns: TopicPatterns): TopicError {
  const list = patterns.length === 0 ? 'no topic' : patterns.join(',');
  return new TopicError(
    'topic.not-allowed',
    'topic',
    `${agent} may not subscribe to ${JSON.stringify(topic)}: its deployment allows ${list}`,
    "the operator gives a deployment its topics with `caxton deploy|upgrade --topics '<pattern>,…'` (decision 2050)",
  );
}

/** The allow-list as the command line and `caxton agents` write it. */
export function formatTopicPatterns(patterns: TopicPatterns): string {
  return patterns.join(',');
}
