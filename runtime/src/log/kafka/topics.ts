/**
 * Creates the bus topics if missing and checks that existing ones are usable, at open(): a
 * misconfigured cluster must fail loudly at start-up, not lose or misroute messages later.
 */
import kafkajs from 'kafkajs';
import type { Admin, ITopicConfig } from 'kafkajs';
import { CLUSTER_LIMIT_TABLE, STATE_COMMIT_MAX_BYTES } from '@caxton/core';
import { KafkaMisconfiguredError } from './errors.js';
import type { ResolvedKafkaOptions } from './options.js';
import { createTopicsSettling, settledTopicMetadata, whileSettling } from './topic-readiness.js';

const { ConfigResourceTypes } = kafkajs;

export const DEFAULT_PARTITIONS = CLUSTER_LIMIT_TABLE.partitions.default;
/**
 * max.message.bytes of the state topic: one agent commit is one record batch, and the state limits
 * (DEFAULT_STATE_LIMITS.maxTotalBytes, 4 MiB) allow a handling to rewrite all of it; Kafka's 1 MiB
 * default would refuse such a commit. Core's STATE_COMMIT_MAX_BYTES (twice the limit, room for keys
 * and record overhead): the one bound writers outside the state limits check against (the MTP outbox).
 */
const STATE_MAX_MESSAGE_BYTES = STATE_COMMIT_MAX_BYTES;
/**
 * min.compaction.lag.ms of the state topic (decision 1800): a stale owner's late record of a key
 * is ignored by readers, but compaction keeps only the newest record of a key, so it would remove
 * the current owner's older value under it (and a tombstone of a node from before the fence carries
 * no claim at all). The lag keeps every record readable for this long after it was written, the
 * time a reader needs to meet the stale record before compaction acts on it. Ten minutes: well
 * beyond a rebalance and a partition load; it only delays reclaiming overwritten values.
 */
export const STATE_MIN_COMPACTION_LAG_MS = 10 * 60 * 1000;
/** Kafka's default offset.metadata.max.bytes, used when the broker config cannot be read. */
const DEFAULT_METADATA_MAX = 4096;

export interface TopicLayout {
  /** Partitions of the deliveries topic (the placement modulus). */
  partitions: number;
  /** Largest offset-commit metadata the brokers accept. */
  metadataMaxBytes: number;
  brokers: number;
}

async function topicConfig(admin: Admin, topic: string, name: string): Promise<string | undefined> {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
  });
  return res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
}

async function brokerMetadataMax(admin: Admin, nodeId: number): Promise<number> {
  try {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(nodeId), configNames: ['offset.metadata.max.bytes'] }],
    });
    const v = Number(res.resources[0]?.configEntries.find((e) => e.configName === 'offset.metadata.max.bytes')?.configValue);
    return Number.isFinite(v) && v > 0 ? v : DEFAULT_METADATA_MAX;
  } catch {
    return DEFAULT_METADATA_MAX; // e.g. no DescribeConfigs permission on the cluster: assume the default
  }
}

export async function ensureTopics(admin: Admin, o: ResolvedKafkaOptions): Promise<TopicLayout> {
  // Another node of a new cluster may have created the topics a moment ago (topic-readiness.ts).
  const deadlineAt = Date.now() + o.openTimeoutMs;
  const cluster = await admin.describeCluster();
  const brokers = cluster.brokers.length;
  const replicationFactor = o.replicationFactor ?? Math.min(3, brokers);
  const ctx = { brokers: o.brokers.join(','), topic: o.deliveriesTopic };
  if (replicationFactor > brokers) {
    throw new KafkaMisconfiguredError(
      `replication factor ${replicationFactor} exceeds the ${brokers} brokers of the cluster`,
      'add brokers, or lower the replicationFactor option of the Kafka message log (caxton serve uses min(3, brokers), which always fits)',
      ctx,
    );
  }
  const minIsr = String(Math.min(2, replicationFactor));
  const existing = new Set(await admin.listTopics());
  const create: ITopicConfig[] = [];
  if (!existing.has(o.deliveriesTopic)) {
    create.push({
      topic: o.deliveriesTopic,
      numPartitions: o.partitions ?? DEFAULT_PARTITIONS,
      replicationFactor,
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(o.retentionMs) },
        { name: 'min.insync.replicas', value: minIsr },
      ],
    });
  }
  if (!existing.has(o.deadLetterTopic)) {
    create.push({
      topic: o.deadLetterTopic,
      numPartitions: 1,
      replicationFactor,
      // Dead letters wait for an operator: keep them until deleted by hand.
      configEntries: [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: '-1' },
        { name: 'min.insync.replicas', value: minIsr },
      ],
    });
  }
  // A new cluster: the state topic is created in the same request, with the same partition count
  // (one request: a second one right after the first can hit a broker still electing leaders).
  if (!existing.has(o.deliveriesTopic) && !existing.has(o.stateTopic))
    create.push(stateTopicConfig(o, o.partitions ?? DEFAULT_PARTITIONS, replicationFactor, minIsr));
  if (create.length > 0) {
    // Returns false (no throw) when another node created them first: fine, we check below.
    await createTopicsSettling(admin, create, o.requestTimeoutMs);
  }

  const meta = await settledTopicMetadata(admin, [o.deliveriesTopic, o.deadLetterTopic], deadlineAt);
  const deliveries = meta.find((t) => t.name === o.deliveriesTopic);
  const partitions = deliveries?.partitions.length ?? 0;
  if (partitions === 0) {
    throw new KafkaMisconfiguredError(`topic ${o.deliveriesTopic} has no partitions`, 'delete and let Caxton recreate it', ctx);
  }
  if (o.partitions !== undefined && partitions !== o.partitions) {
    throw new KafkaMisconfiguredError(
      `topic ${o.deliveriesTopic} has ${partitions} partitions, configured ${o.partitions}`,
      'partitions decide which node owns which agent; changing them re-routes receivers and breaks per-receiver order — drop the option to use the existing count, or migrate to a new --kafka-topic-prefix',
      { ...ctx, partitions, configured: o.partitions },
    );
  }
  const policy = await whileSettling(deadlineAt, () => topicConfig(admin, o.deliveriesTopic, 'cleanup.policy'));
  if (policy?.includes('compact')) {
    throw new KafkaMisconfiguredError(
      `topic ${o.deliveriesTopic} uses cleanup.policy=${policy}`,
      'compaction keeps only the newest record per receiver and would drop pending deliveries; set cleanup.policy=delete',
      { ...ctx, policy },
    );
  }
  await ensureStateTopic(admin, o, partitions, replicationFactor, minIsr, deadlineAt);
  const first = cluster.brokers[0];
  const metadataMaxBytes = first ? await brokerMetadataMax(admin, first.nodeId) : DEFAULT_METADATA_MAX;
  return { partitions, metadataMaxBytes, brokers };
}

/**
 * The agents' state topic (decision 1602): compacted (the newest record per key is the entry; a
 * tombstone deletes it), with exactly the deliveries topic's partition count, because an agent's
 * state must sit in the partition its node owns.
 */
async function ensureStateTopic(
  admin: Admin,
  o: ResolvedKafkaOptions,
  partitions: number,
  replicationFactor: number,
  minIsr: string,
  deadlineAt: number,
): Promise<void> {
  const ctx = { brokers: o.brokers.join(','), topic: o.stateTopic };
  if (!(await admin.listTopics()).includes(o.stateTopic)) {
    // An existing deliveries topic (a cluster from before state): the count is known only now.
    await createTopicsSettling(admin, [stateTopicConfig(o, partitions, replicationFactor, minIsr)], o.requestTimeoutMs);
  }
  const meta = await settledTopicMetadata(admin, [o.stateTopic], deadlineAt);
  const found = meta.find((t) => t.name === o.stateTopic)?.partitions.length ?? 0;
  if (found !== partitions) {
    throw new KafkaMisconfiguredError(
      `topic ${o.stateTopic} has ${found} partitions, ${o.deliveriesTopic} has ${partitions}`,
      "an agent's state must sit in the partition of its deliveries: give both topics the same partition count (delete the state topic only if no agent keeps state)",
      { ...ctx, partitions: found, expected: partitions },
    );
  }
  const policy = await whileSettling(deadlineAt, () => topicConfig(admin, o.stateTopic, 'cleanup.policy'));
  if (policy !== undefined && !policy.includes('compact')) {
    throw new KafkaMisconfiguredError(
      `topic ${o.stateTopic} uses cleanup.policy=${policy}`,
      "with delete, retention would drop agents' state; set cleanup.policy=compact",
      { ...ctx, policy },
    );
  }
}

function stateTopicConfig(o: ResolvedKafkaOptions, partitions: number, replicationFactor: number, minIsr: string): ITopicConfig {
  return {
    topic: o.stateTopic,
    numPartitions: partitions,
    replicationFactor,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'min.insync.replicas', value: minIsr },
      { name: 'max.message.bytes', value: String(STATE_MAX_MESSAGE_BYTES) },
      { name: 'min.compaction.lag.ms', value: String(STATE_MIN_COMPACTION_LAG_MS) },
    ],
  };
}
