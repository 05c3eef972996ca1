/**
 * Topic subscriptions in etcd, under `<prefix>store/topics/<topic>/<agent>` (keys.ts; decision
 * 1960). Outside the mirrored range, like timers: the publishing node reads a topic's subscribers
 * straight from etcd at send time (one range read), so a subscription made on any node is seen by
 * every publisher at once, and survives every node. No lease.
 *
 * Each agent's subscriptions are indexed under `store/topic-agents/<agent>/` with a guard key
 * holding their count: the per-agent bound reads only the agent's own keys (not every
 * subscription in the cluster), and a subscribe writes the subscription, its index key and the
 * new count in one transaction that holds only if the guard is unchanged since it was read, so
 * two nodes subscribing the same agent at once cannot pass the bound together.
 */
import { TOPIC_LIMITS, type TopicSubscription } from '@caxton/core';
import { validateTopicSubscription } from '../records.js';
import { byTopicThenAgent, tooManySubscriptions } from '../topic-table.js';
import type { EtcdConnection } from './connection.js';
import { agentTopicKey, agentTopicsGuard, agentTopicsPrefix, subscriptionKey, topicPrefix, topicsRoot, type KeyLayout } from './keys.js';

/** Concurrent changes of one agent's subscriptions a subscribe retries through. */
const GUARD_ATTEMPTS = 5;

export class EtcdTopics {
  constructor(
    private readonly connection: EtcdConnection,
    private readonly keys: KeyLayout,
  ) {}

  async put(subscription: TopicSubscription): Promise<void> {
    const sub = validateTopicSubscription(subscription);
    const { client } = this.connection;
    const key = subscriptionKey(this.keys, sub.topic, sub.agent);
    const indexKey = agentTopicKey(this.keys, sub.agent, sub.topic);
    const guard = agentTopicsGuard(this.keys, sub.agent);
    for (let attempt = 1; ; attempt++) {
      const [read, mine] = await Promise.all([
        this.connection.call('read a subscription count', () => client.get(guard).exec()),
        this.indexOf(sub.agent),
      ]);
      const has = mine.includes(indexKey);
      if (!has && mine.length >= TOPIC_LIMITS.maxSubscriptionsPerAgent) throw tooManySubscriptions(sub.agent);
      const modRevision = read.kvs[0] ? Number(read.kvs[0].mod_revision) : 0;
      const count = String(has ? mine.length : mine.length + 1);
      const res = await this.connection.call('store a subscription', () =>
        client
          .if(guard, 'Mod', '==', modRevision)
          .then(client.put(key).value(JSON.stringify(sub)), client.put(indexKey).value(''), client.put(guard).value(count))
          .commit(),
      );
      if (res.succeeded) return;
      if (attempt >= GUARD_ATTEMPTS) {
        throw this.connection.failure('store a subscription', new Error(`${attempt} concurrent changes of ${sub.agent}'s subscriptions`));
      }
    }
  }

  /**
   * Idempotent: deleting an absent key is not an error in etcd. The subscription and its index
   * key go together; the count in the guard is rewritten by the next subscribe (a delete only
   * lowers it, so a subscribe that read the old count is refused at worst one too early), and the
   * guard's new revision makes such a subscribe retry.
   */
  async delete(agent: string, topic: string): Promise<void> {
    const { client } = this.connection;
    const guard = agentTopicsGuard(this.keys, agent);
    const ops = () => [
      client.delete().key(subscriptionKey(this.keys, topic, agent)),
      client.delete().key(agentTopicKey(this.keys, agent, topic)),
      client.put(guard).value(''),
    ];
    // The same operations whichever way the compare goes: one atomic, unconditional transaction.
    await this.connection.call('delete a subscription', () =>
      client
        .if(guard, 'Mod', '==', 0)
        .then(...ops())
        .else(...ops())
        .commit(),
    );
  }

  /**
   * Every subscription of the agent, through its index and, for subscriptions stored before the
   * index existed, a scan of every topic (undeploying is rare).
   */
  async deleteAll(agent: string): Promise<void> {
    const { client } = this.connection;
    const all = await this.connection.call('list subscriptions', () => client.getAll().prefix(topicsRoot(this.keys)).keys());
    for (const key of all.filter((k) => k.endsWith(`/${agent}`))) {
      await this.connection.call('delete a subscription', () => client.delete().key(key).exec());
    }
    await this.connection.call('delete a subscription index', () => client.delete().prefix(agentTopicsPrefix(this.keys, agent)).exec());
    await this.connection.call('delete a subscription count', () => client.delete().key(agentTopicsGuard(this.keys, agent)).exec());
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

  /** The agent's index keys: its own subscriptions only. */
  private indexOf(agent: string): Promise<string[]> {
    return this.connection.call('list subscriptions', () =>
      this.connection.client.getAll().prefix(agentTopicsPrefix(this.keys, agent)).keys(),
    );
  }
}

function parseStored(value: string): TopicSubscription | undefined {
  try {
    return validateTopicSubscription(JSON.parse(value) as TopicSubscription);
  } catch {
    return undefined;
  }
}
