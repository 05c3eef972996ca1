/**
 * Topic subscriptions as the node offers them (decision 1960): subscribe an agent (a deployed one)
 * to a topic with an optional content filter, unsubscribe, list. The subscriptions themselves live
 * in the registry (TopicStore), keyed by agent, so they outlive restarts, upgrades and failover;
 * the bus reads a topic's subscribers from it at send time.
 */
import { checkTopicName, NotFoundError, parseTopicFilter, type TopicSubscription } from '@caxton/core';
import type { TopicStore } from '../storage/ports.js';

export interface NodeTopicsParts {
  store: TopicStore;
  /** Is `agent` deployed (here or, in a cluster, anywhere)? */
  isAgent(agent: string): boolean;
}

export class NodeTopics {
  constructor(private readonly parts: NodeTopicsParts) {}

  /**
   * Subscribe `agent` to `topic`; `filter` is parsed here, the boundary (a malformed one is refused
   * with `topic.invalid-filter`). Subscribing again replaces the filter.
   */
  async subscribe(agent: string, topic: string, filter?: unknown): Promise<TopicSubscription> {
    const sub: TopicSubscription = { agent, topic: checkTopicName(topic) };
    if (filter !== undefined) sub.filter = parseTopicFilter(filter);
    if (!this.parts.isAgent(agent)) throw new NotFoundError('agent', agent);
    await this.parts.store.putSubscription(sub);
    return sub;
  }

  async unsubscribe(agent: string, topic: string): Promise<void> {
    await this.parts.store.deleteSubscription(agent, checkTopicName(topic));
  }

  /** Every subscription (by topic, then agent), or one topic's. */
  async list(topic?: string): Promise<TopicSubscription[]> {
    return this.parts.store.listSubscriptions(topic === undefined ? undefined : checkTopicName(topic));
  }

  /** The agent was undeployed: its subscriptions go with it. */
  async drop(agent: string): Promise<void> {
    await this.parts.store.deleteSubscriptions(agent);
  }
}
