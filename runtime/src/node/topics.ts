/**
 * Topic subscriptions as the node offers them (decision 1960): subscribe an agent (a deployed one)
 * to a topic with an optional content filter, unsubscribe, list. The subscriptions themselves live
 * in the registry (TopicStore), keyed by agent, so they outlive restarts, upgrades and failover;
 * the bus reads a topic's subscribers from it at send time.
 */
import {
  checkTopicName,
  NotFoundError,
  parseTopicFilter,
  topicAllowed,
  topicNotAllowed,
  type TopicPatterns,
  type TopicSubscription,
} from '@caxton/core';
import type { TopicStore } from '../storage/ports.js';

export interface NodeTopicsParts {
  store: TopicStore;
  /** Is `agent` deployed (here or, in a cluster, anywhere)? */
  isAgent(agent: string): boolean;
  /** The topic allow-list of `agent`'s deployment (decision 2050); undefined: every topic. */
  patternsOf(agent: string): TopicPatterns | undefined;
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
    // The deployment's allow-list (decision 2050), for the agent's own calls and the embedder's
    // alike: the sandbox refused the guest's call already; this holds for an upgrade that narrowed
    // the list between the call and its application, and for every other caller.
    const patterns = this.parts.patternsOf(agent);
    if (!topicAllowed(patterns, sub.topic)) throw topicNotAllowed(agent, sub.topic, patterns ?? []);
    await this.parts.store.putSubscription(sub);
    return sub;
  }

  async unsubscribe(agent: string, topic: string): Promise<void> {
    await this.parts.store.deleteSubscription(agent, checkTopicName(topic));
  }

  /** Every subscription (by topic, then agent), or one topic's. */
  async list(topic?: string): Promise<Readonly<TopicSubscription>[]> {
    return this.parts.store.listSubscriptions(topic === undefined ? undefined : checkTopicName(topic));
  }

  /** Removes `agent`'s subscriptions outside `patterns` (its deployment's new allow-list); how many went. */
  async prune(agent: string, patterns: TopicPatterns): Promise<number> {
    // Every subscription is read: a registry has no per-agent listing; deploys and upgrades are rare.
    const outside = (await this.parts.store.listSubscriptions()).filter((s) => s.agent === agent && !topicAllowed(patterns, s.topic));
    for (const s of outside) await this.parts.store.deleteSubscription(agent, s.topic);
    return outside.length;
  }

  /** The agent was undeployed: its subscriptions go with it. */
  async drop(agent: string): Promise<void> {
    await this.parts.store.deleteSubscriptions(agent);
  }
}
