/**
 * Topics that another node has only just created are not usable at once: until the controller has
 * elected their partitions' leaders and the broker has the new metadata, requests about them are
 * answered UNKNOWN_TOPIC_OR_PARTITION or LEADER_NOT_AVAILABLE. Nodes of a new cluster start
 * together, so one of them regularly sees the topics another just created in that state; kafkajs'
 * own admin retries (a second or so) are not always enough on a loaded machine, and the node then
 * refused to start ("Kafka … unreachable: This server does not host this topic-partition").
 * These helpers wait that state out, up to the open() deadline, and let every other error through.
 */
import type { Admin, ITopicConfig, ITopicMetadata } from 'kafkajs';
import { rootMessage, withTimeout } from './client.js';
import { KafkaUnreachableError } from './errors.js';

const SETTLING = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'REPLICA_NOT_AVAILABLE',
  // a partition whose leader has just moved or been elected cannot answer an offsets request yet
  'OFFSET_NOT_AVAILABLE',
]);

/** Whether an error (or what it wraps: kafkajs nests the last attempt's error) says "not settled yet". */
export function isSettlingError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const err = cur as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof err.type === 'string' && SETTLING.has(err.type)) return true;
    cur = err.originalError ?? err.cause;
  }
  return false;
}

class NotSettled extends Error {
  readonly type = 'LEADER_NOT_AVAILABLE';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `what()`, retried with backoff while it fails with a settling error and the deadline allows. */
export async function whileSettling<T>(deadlineAt: number, what: () => Promise<T>): Promise<T> {
  for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
    try {
      return await what();
    } catch (e) {
      if (!isSettlingError(e) || Date.now() + delay > deadlineAt) throw e;
      await sleep(delay);
    }
  }
}

/** The topics' metadata once every one of their partitions has a leader. */
export function settledTopicMetadata(admin: Admin, topics: string[], deadlineAt: number): Promise<ITopicMetadata[]> {
  return whileSettling(deadlineAt, async () => {
    const meta = await admin.fetchTopicMetadata({ topics });
    for (const t of meta.topics) {
      if (t.partitions.some((p) => p.leader < 0)) throw new NotSettled(`topic ${t.name} has partitions without a leader yet`);
    }
    return meta.topics;
  });
}

/**
 * Create topics and wait for their leaders, where a settling error from that wait is not a failure:
 * kafkajs' `waitForLeaders` asks the metadata right after the create and does not retry
 * UNKNOWN_TOPIC_OR_PARTITION, which a loaded broker answers for a topic it has only just created
 * (CI saw "This server does not host this topic-partition" from a create). The topics exist then;
 * `settledTopicMetadata`, which every caller runs next, waits their leaders out up to its deadline.
 */
export async function createTopicsSettling(admin: Admin, topics: ITopicConfig[], timeout: number): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: true, timeout });
  } catch (e) {
    if (!isSettlingError(e)) throw e;
  }
}

/** What `topicOffsets` needs of the log's options. */
export interface TopicOffsetsOptions {
  brokers: readonly string[];
  openTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Each partition's log start and high watermark. A topic seconds old answers OFFSET_NOT_AVAILABLE
 * or LEADER_NOT_AVAILABLE for a while, and kafkajs gives up on those at once: that is waited out up
 * to the open deadline (CI saw a cluster's first deploy answered "internal error in DeployAgent").
 * What still fails is a KafkaUnreachableError naming the topic, never a raw kafkajs error.
 */
export async function topicOffsets(
  admin: Admin,
  topic: string,
  o: TopicOffsetsOptions,
): Promise<{ partition: number; low: string; high: string }[]> {
  try {
    return await whileSettling(Date.now() + o.openTimeoutMs, () =>
      withTimeout(admin.fetchTopicOffsets(topic), o.requestTimeoutMs, `${topic} offsets`),
    );
  } catch (e) {
    throw new KafkaUnreachableError(o.brokers, `reading the offsets of ${topic}: ${rootMessage(e)}`, { cause: e });
  }
}
