/**
 * Topic subscriptions in etcd, under `<prefix>store/topics/<topic>/<agent>` (keys.ts; decision
 * 1960). Outside the mirrored range, like timers: the publishing node reads a topic's subscribers
 * straight from etcd at send time (one range read), so a subscription made on any node is seen by
 * every publisher at once, and survives every node. Plain puts, no lease.
 */
import { TOPIC_LIMITS, type TopicSubscription } from '@caxton/core';
import { validateTopicSubscription } from '../records.js';
import { byTopicThenAgent, tooManySubscriptions } from '../topic-table.js';
import type { EtcdConnection } from './connection.js';
import { subscriptionKey, topicPrefix, topicsRoot, type KeyLayout } from './keys.js';

export class EtcdTopics {
  constructor(private readonly connection: EtcdConnection, private readonly keys: KeyLayout) {}

  async put(subscription: TopicSubscription): Promise<void> {
    const sub = validateTopicSubscription(subscription);
    const key = subscriptionKey(this.keys, sub.topic, sub.agent);
    // The per-agent bound: a scan of keys only (subscribing is rare; publishing never scans).
    const mine = await this.keysOf(sub.agent);
    if (!mine.includes(key) && mine.length >= TOPIC_LIMITS.maxSubscriptionsPerAgent) throw tooManySubscriptions(sub.agent);
    await this.connection.call('store a subscription', () => this.connection.client.put(key).value(JSON.stringify(sub)).exec());
  }

  /** Idempotent: deleting an absent key is not an error in etcd. */
  async delete(agent: string, topic: string): Promise<void> {
    const key = subscriptionKey(this.keys, topic, agent);
    await this.connection.call('delete a subscription', () => this.connection.client.delete().key(key).exec());
  }

  async deleteAll(agent: string): Promise<void> {
    for (const key of await this.keysOf(agent)) {
      await this.connection.call('delete a subscription', () => this.connection.client.delete().key(key).exec());
    }
  }

  /** By topic then agent. A value that does not parse, or disagrees with its key, counts as absent. */
  async list(topic?: string): Promise<TopicSubscription[]> {
    const prefix = topic === undefined ? topicsRoot(this.keys) : topicPrefix(this.keys, topic);
    const stored = await this.connection.call('list subscriptions', () => this.connection.client.getAll().prefix(prefix).strings());
    const subs: TopicSubscription[] = [];
    for (const [key, value] of Object.entries(stored)) {
      const sub = parseStored(value);
      if (sub && key === subscriptionKey(this.keys, sub.topic, sub.agent)) subs.push(sub);
    }
    return subs.sort(byTopicThenAgent);
  }

  private async keysOf(agent: string): Promise<string[]> {
    const all = await this.connection.call('list subscriptions', () => this.connection.client.getAll().prefix(topicsRoot(this.keys)).keys());
    return all.filter((k) => k.endsWith(`/${agent}`));
  }
}

function parseStored(value: string): TopicSubscription | undefined {
  try {
    return validateTopicSubscription(JSON.parse(value) as TopicSubscription);
  } catch {
    return undefined;
  }
}
