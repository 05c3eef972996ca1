/**
 * `caxton:agent/topics` (decision 1961): `subscribe`/`unsubscribe` check the name and the filter
 * with core's parser and queue a directory change, applied by the node only if the call completes
 * (like a service registration, under the same directory-change quotas).
 */
import type { HostCalls } from './host-calls.js';
import { checkGuestTopic, checkSubscribe, type TopicRefusal } from './topic-request.js';
import type { WitTopicResult } from './wit-values.js';

export class TopicsHost {
  constructor(private readonly c: HostCalls) {}

  /** A topic call whose name or filter is over its lift cap (nothing was lifted). */
  liftRefusal(refusal: TopicRefusal): TopicRefusal {
    this.c.counters.badArgument++;
    this.c.charge(0);
    return refusal;
  }

  private topicRefused(refusal: TopicRefusal): WitTopicResult {
    this.c.counters.badArgument++;
    return { tag: 'err', val: refusal };
  }

  subscribe(topic: string, filter: string | undefined): WitTopicResult {
    this.c.checkGuard('topics.subscribe');
    const refused = this.c.takeRefusal<TopicRefusal>();
    if (refused) return refused;
    this.c.chargeCall(topic.length + (filter?.length ?? 0), 'topics.subscribe');
    const checked = checkSubscribe(topic, filter, this.c.env.topics);
    if (!checked.ok) {
      if (checked.refusal.notAllowed === true) {
        this.c.counters.topics++;
        return { tag: 'err', val: { kind: checked.refusal.kind, message: checked.refusal.message } };
      }
      return this.topicRefused(checked.refusal);
    }
    const quota = this.c.directoryQuota(topic.length + (filter?.length ?? 0));
    if (quota !== null) {
      this.c.counters.directoryChanges++;
      return { tag: 'err', val: { kind: 'quota-exceeded', message: `quota exceeded: ${quota}` } };
    }
    this.c.effects.directory.push(
      checked.filter === undefined
        ? { kind: 'subscribe-topic', topic: checked.topic }
        : { kind: 'subscribe-topic', topic: checked.topic, filter: checked.filter },
    );
    return undefined;
  }

  unsubscribe(topic: string): WitTopicResult {
    this.c.checkGuard('topics.unsubscribe');
    const refused = this.c.takeRefusal<TopicRefusal>();
    if (refused) return refused;
    this.c.chargeCall(topic.length, 'topics.unsubscribe');
    const bad = checkGuestTopic(topic);
    if (bad !== null) return this.topicRefused(bad);
    const quota = this.c.directoryQuota(topic.length);
    if (quota !== null) {
      this.c.counters.directoryChanges++;
      return { tag: 'err', val: { kind: 'quota-exceeded', message: `quota exceeded: ${quota}` } };
    }
    this.c.effects.directory.push({ kind: 'unsubscribe-topic', topic });
    return undefined;
  }

  /** The topics functions as jco's glue imports them (`imports['caxton:agent/topics']`). */
  jcoImports(): Record<string, unknown> {
    return {
      subscribe: (topic: string, filter: string | undefined) => this.subscribe(topic, filter ?? undefined),
      unsubscribe: (topic: string) => this.unsubscribe(topic),
    };
  }
}
