/**
 * A guest's `caxton:agent/topics` call checked into a directory change, or refused with the WIT's
 * `topic-error` (decision 1961). Pure: the name and the filter are checked by core's one parser
 * (`checkTopicName`, `parseTopicFilter`), so a subscription the sandbox accepts is one the
 * registry accepts too, except for the per-agent bound only the registry can see.
 */
import { checkTopicName, parseTopicFilter, TOPIC_LIMITS, TopicError, excerpt, topicAllowed, topicNotAllowed } from '@caxton/core';
import type { TopicFilter, TopicPatterns } from '@caxton/core';

export type TopicErrorKind = 'invalid-name' | 'invalid-filter' | 'quota-exceeded';

export interface TopicRefusal {
  kind: TopicErrorKind;
  message: string;
  /** The topic is outside the deployment's allow-list (decision 2050): counted apart from malformed calls. */
  notAllowed?: true;
}

export type CheckedSubscribe = { ok: true; topic: string; filter?: TopicFilter } | { ok: false; refusal: TopicRefusal };

/** The refusal of a name or filter, as the guest reads it (message and hint together). */
function refusalOf(err: TopicError): TopicRefusal {
  const kind: TopicErrorKind = err.code === 'topic.invalid-name' ? 'invalid-name' : 'invalid-filter';
  return { kind, message: excerpt(err.hint === undefined ? err.message : `${err.message} (${err.hint})`, 1024) };
}

/** Checks a topic name a guest passed; returns the refusal, or null. */
export function checkGuestTopic(topic: string): TopicRefusal | null {
  try {
    checkTopicName(topic);
    return null;
  } catch (err) {
    if (err instanceof TopicError) return refusalOf(err);
    throw err;
  }
}

/**
 * Checks `subscribe(topic, filter)`: the name, then the deployment's allow-list, then the filter's
 * length, JSON and form. A topic outside the allow-list is `invalid-name` for the guest (the WIT's
 * `topic-error` has no other kind that fits, and a new case would break every built agent; decision
 * 2050), its message naming the allow-list.
 */
export function checkSubscribe(topic: string, filterText: string | undefined, allowed?: TopicPatterns): CheckedSubscribe {
  const badName = checkGuestTopic(topic);
  if (badName !== null) return { ok: false, refusal: badName };
  if (!topicAllowed(allowed, topic)) {
    const err = topicNotAllowed('this agent', topic, allowed ?? []);
    return { ok: false, refusal: { kind: 'invalid-name', message: excerpt(`${err.message} (${err.hint})`, 1024), notAllowed: true } };
  }
  if (filterText === undefined) return { ok: true, topic };
  if (filterText.length > TOPIC_LIMITS.maxFilterTextLength) {
    return { ok: false, refusal: filterTooLong(filterText.length) };
  }
  let json: unknown;
  try {
    json = JSON.parse(filterText);
  } catch (err) {
    return { ok: false, refusal: { kind: 'invalid-filter', message: `the filter is not JSON: ${excerpt((err as Error).message, 200)}` } };
  }
  try {
    return { ok: true, topic, filter: parseTopicFilter(json) };
  } catch (err) {
    if (err instanceof TopicError) return { ok: false, refusal: refusalOf(err) };
    throw err;
  }
}

/** A filter text over its cap (refused before it is read). */
export function filterTooLong(units: number): TopicRefusal {
  return { kind: 'invalid-filter', message: `the filter has ${units} code units; at most ${TOPIC_LIMITS.maxFilterTextLength}` };
}

/** A topic name over its cap (refused before it is read). */
export function topicTooLong(units: number): TopicRefusal {
  return { kind: 'invalid-name', message: `the topic name has ${units} code units; at most ${TOPIC_LIMITS.maxTopicNameLength}` };
}
