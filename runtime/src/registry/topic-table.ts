/**
 * The embedded registry's subscriptions in memory: topic → agent → subscription, plus a count per
 * agent so the per-agent bound (TOPIC_LIMITS.maxSubscriptionsPerAgent) is checked in O(1). Pure.
 */
import { TOPIC_LIMITS, TopicError, type TopicSubscription } from '@caxton/core';

export const byTopicThenAgent = (a: TopicSubscription, b: TopicSubscription): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0;

/** The refusal when an agent already holds its bound of subscriptions. */
export function tooManySubscriptions(agent: string): TopicError {
  return new TopicError(
    'topic.too-many-subscriptions',
    'topic',
    `${agent} already has ${TOPIC_LIMITS.maxSubscriptionsPerAgent} subscriptions`,
    `unsubscribe from a topic first; an agent may hold at most ${TOPIC_LIMITS.maxSubscriptionsPerAgent}`,
  );
}

/** A copy no holder can change: the one listing of a topic is handed to every reader of it. */
function frozenCopy(s: TopicSubscription): TopicSubscription {
  const copy = structuredClone(s);
  for (const clause of copy.filter?.all ?? []) {
    Object.freeze(clause.match);
    if ('in' in clause.match) Object.freeze(clause.match.in);
    Object.freeze(clause);
  }
  if (copy.filter !== undefined) {
    Object.freeze(copy.filter.all);
    Object.freeze(copy.filter);
  }
  return Object.freeze(copy);
}

export class TopicTable {
  private readonly byTopic = new Map<string, Map<string, TopicSubscription>>();
  private readonly perAgent = new Map<string, number>();
  /**
   * Each topic's listing, sorted and frozen, kept until the topic's subscriptions change: every
   * publish reads its topic's whole list (decision 1960), and sorting and copying 1,000
   * subscriptions per publish was ~1 µs of the bus thread per delivery (decision 2095).
   */
  private readonly listed = new Map<string, readonly TopicSubscription[]>();

  has(agent: string, topic: string): boolean {
    return this.byTopic.get(topic)?.has(agent) ?? false;
  }

  count(agent: string): number {
    return this.perAgent.get(agent) ?? 0;
  }

  set(s: TopicSubscription): void {
    let subs = this.byTopic.get(s.topic);
    if (!subs) this.byTopic.set(s.topic, (subs = new Map()));
    if (!subs.has(s.agent)) this.perAgent.set(s.agent, this.count(s.agent) + 1);
    subs.set(s.agent, structuredClone(s)); // a copy: the caller's object may change after it is stored
    this.listed.delete(s.topic);
  }

  delete(agent: string, topic: string): boolean {
    const subs = this.byTopic.get(topic);
    if (!subs?.delete(agent)) return false;
    this.listed.delete(topic);
    if (subs.size === 0) this.byTopic.delete(topic);
    const n = this.count(agent) - 1;
    if (n === 0) this.perAgent.delete(agent);
    else this.perAgent.set(agent, n);
    return true;
  }

  deleteAgent(agent: string): void {
    if (this.count(agent) === 0) return;
    for (const topic of [...this.byTopic.keys()]) this.delete(agent, topic);
  }

  /**
   * Ordered by topic then agent, in a new array. One topic's entries are frozen copies shared by
   * every caller until that topic changes; the whole listing (a snapshot) is fresh copies.
   */
  list(topic?: string): Readonly<TopicSubscription>[] {
    if (topic !== undefined) {
      let listed = this.listed.get(topic);
      if (listed === undefined) {
        listed = [...(this.byTopic.get(topic)?.values() ?? [])].sort(byTopicThenAgent).map(frozenCopy);
        if (listed.length > 0) this.listed.set(topic, listed);
      }
      return [...listed];
    }
    const subs = [...this.byTopic.values()].flatMap((m) => [...m.values()]);
    return subs.sort(byTopicThenAgent).map((s) => structuredClone(s));
  }
}
