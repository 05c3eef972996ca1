// Types for '@caxton/sdk-js/topics' (decision 1961).

export type TopicErrorKind = 'invalid-name' | 'invalid-filter' | 'quota-exceeded';

/** One clause of a topic filter: an ACL field or an `X-` user parameter, and how it must match. */
export interface TopicFilterClause {
  field: 'performative' | 'ontology' | 'language' | 'protocol' | 'sender' | 'conversation-id' | `X-${string}`;
  match: { equals: string } | { prefix: string } | { in: string[] };
}

/** Every clause must hold (an absent field matches nothing). */
export interface TopicFilter {
  all: TopicFilterClause[];
}

export class TopicError extends Error {
  readonly kind: TopicErrorKind;
  readonly reason: string;
}

export const topics: {
  /** Subscribe (again: replaces the filter); applied if this call completes. */
  subscribe(topic: string, filter?: TopicFilter | string | null): void;
  /** Unsubscribe (not subscribed: fine); applied if this call completes. */
  unsubscribe(topic: string): void;
};
