// Topic subscriptions (interface `topics` in wit/agent.wit, decisions 1960 and 1961):
//
//   import { topics } from '@caxton/sdk-js/topics';
//   export function init(ctx) { topics.subscribe('jobs.delivery', { all: [{ field: 'performative', match: { equals: 'cfp' } }] }); }
//
// A message sent to the receiver `topic:jobs.delivery` is then delivered to this agent (its
// receiver stays `topic:jobs.delivery`). Like a send, a change made in `init`, a handler or a timer
// is applied only if that call completes, and it lasts (restarts, upgrades) until unsubscribed or
// the agent is undeployed. The name and the filter are checked at the call; the per-agent bound
// (100 topics) is checked when the change is applied (a refusal is logged in the agent's log).
//
// A separate entry point on purpose: importing it is what makes the component import
// caxton:agent/topics (the build gives each JS agent only the interfaces its modules import).
import tp from 'caxton:agent/topics@0.1.0';

/** A topic change the runtime refused; `kind` is invalid-name, invalid-filter or quota-exceeded. */
export class TopicError extends Error {
  constructor(operation, topic, kind, reason) {
    super(`topics ${operation} ${JSON.stringify(topic)}: ${kind}: ${reason}`);
    this.name = 'TopicError';
    this.kind = kind;
    this.reason = reason;
  }
}

function checkedTopic(topic) {
  if (typeof topic !== 'string') throw new TypeError(`a topic must be a string, got ${typeof topic}`);
  return topic;
}

/** componentize-qjs throws a result's error value (here the topic-error record) from the import. */
function refused(operation, topic, e) {
  const err = e?.payload ?? e;
  if (err && typeof err === 'object' && typeof err.kind === 'string') {
    return new TopicError(operation, topic, err.kind, String(err.message ?? ''));
  }
  return e;
}

export const topics = {
  /**
   * Subscribes to `topic`; `filter` (optional) is a filter object `{ all: [clause…] }` or its JSON
   * text. Subscribing again replaces the filter. Throws TopicError when refused.
   */
  subscribe(topic, filter = null) {
    checkedTopic(topic);
    const text = filter === null || filter === undefined ? undefined : typeof filter === 'string' ? filter : JSON.stringify(filter);
    try {
      tp.subscribe(topic, text);
    } catch (e) {
      throw refused('subscribe', topic, e);
    }
  },

  /** Unsubscribes from `topic` (not being subscribed is fine). Throws TopicError when refused. */
  unsubscribe(topic) {
    checkedTopic(topic);
    try {
      tp.unsubscribe(topic);
    } catch (e) {
      throw refused('unsubscribe', topic, e);
    }
  },
};
