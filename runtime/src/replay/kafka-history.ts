/**
 * One agent's recorded history, read out of a cluster's Kafka topics (replay, issue 57): the
 * deliveries topic (its deliveries and what it sent), the dead letters, the consumer group's
 * committed offsets (which deliveries completed with no state commit) and its partition of the
 * state topic (its commits), interpreted by kafka-agent-history.ts. The events come in the order of
 * the agent's state commits, as that file says.
 *
 * READ-ONLY: it joins no group of the bus (each topic is read by a group of its own, deleted at the
 * end: partition-range-reader.ts), commits nothing and writes no record, so it runs beside the
 * cluster. What it reads is what the topics held when it started (their high watermarks then).
 *
 * How far back it reaches is what Kafka still holds: the deliveries topic's retention (7 days by
 * default) and the state topic's compaction, which removes overwritten values after
 * min.compaction.lag.ms (10 minutes): a replay of handlings older than that runs on a state that may
 * lack writes (the summary counts the gaps: `compactedGaps`).
 *
 * Bounded in memory whatever the span: the deliveries, sends and timers waiting for their commit
 * are capped (history-matcher.ts), and the topics are read a fetched batch at a time.
 */
import { TX_HEADER, decodeStateRecord, decodeTxHeader, type StateRecord, type TxHeader } from '../log/kafka/state-records.js';
import { createKafka } from '../log/kafka/client.js';
import { decodeDeadLetter, decodeDeadLetterMark, decodeDelivery } from '../log/kafka/codec.js';
import { decodeCommit, type PartitionProgress } from '../log/kafka/offset-metadata.js';
import { resolveOptions, type KafkaMessageLogOptions, type ResolvedKafkaOptions } from '../log/kafka/options.js';
import { partitionFor } from '../log/kafka/partitioner.js';
import { readPartitionRanges, type PartitionRange } from '../log/kafka/partition-range-reader.js';
import { topicOffsets } from '../log/kafka/topic-readiness.js';
import type { Admin, IHeaders, KafkaMessage } from 'kafkajs';
import type { AgentHistoryLimits } from './history-matcher.js';
import { KafkaAgentHistory, type KafkaHistoryCounts } from './kafka-agent-history.js';
import { ReplayError } from './errors.js';
import type { HistoryReader, RecordedEvent } from './recorded.js';

/** Where the cluster's log is: the options a node of it runs with (brokers, topic prefix, cluster, TLS, SASL). */
export type KafkaHistorySource = Pick<
  KafkaMessageLogOptions,
  'brokers' | 'topicPrefix' | 'cluster' | 'groupId' | 'tls' | 'sasl' | 'logger' | 'recordKeys'
> & {
  /** How long a read may go without progress, and the connection's deadline. Default 15 s. */
  timeoutMs?: number;
};

export interface KafkaHistoryOptions extends AgentHistoryLimits {
  /**
   * The agent's placement key (decision 2189: the key of the agent it was deployed `--near`), whose
   * partition holds its deliveries and state; absent: its name.
   */
  placementKey?: string;
  /** Ends the read (its reason thrown) between two records of any topic. */
  signal?: AbortSignal;
  /** Called once the topics were read (not when the caller stops early): the summary. */
  onEnd?: (summary: KafkaHistorySummary) => void;
}

export interface KafkaHistorySummary extends KafkaHistoryCounts {
  /** The agent's partition (of the deliveries and of the state topic). */
  partition: number;
  /** Records read: of the deliveries topic (every partition), of the dead letters, of the agent's state partition (each pass). */
  deliveryRecords: number;
  deadLetterRecords: number;
  stateRecords: number;
  /** The first offset the agent's deliveries partition still holds: retention deleted those before it. */
  deliveriesFrom: number;
  /** Events yielded. */
  events: number;
}

/**
 * The events of `agent` (its local name, or `name@platform`) recorded in the cluster's topics,
 * in commit order. Throws `replay.no-log` when the topics are not there (another prefix, another
 * cluster) and KafkaUnreachableError when the brokers do not answer. Returns the summary.
 */
export async function* readKafkaHistory(
  source: KafkaHistorySource,
  agent: string,
  opts: KafkaHistoryOptions = {},
): AsyncGenerator<RecordedEvent, KafkaHistorySummary> {
  const out: RecordedEvent[] = [];
  const history = new KafkaAgentHistory(agent, out, opts);
  const timeoutMs = source.timeoutMs ?? 15_000;
  const o = resolveOptions({
    ...source,
    clientId: `caxton-replay-${process.pid}`,
    connectionTimeoutMs: Math.min(timeoutMs, 10_000),
    openTimeoutMs: timeoutMs,
  });
  const kafka = createKafka(o);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // The committed offsets before the state topic's high watermark: a delivery they count as done
    // has its state commit (made before its offset commit) below that watermark.
    const ranges = await topicRanges(admin, o);
    const partition = partitionFor(opts.placementKey ?? history.local, ranges.deliveries.length);
    const progress = await committedProgress(admin, o, partition);
    const stateRange = await singleRange(admin, o, o.stateTopic, partition);
    const read = (topic: string, rs: readonly PartitionRange[]) =>
      readPartitionRanges({
        kafka,
        admin,
        topic,
        ranges: rs,
        groupPrefix: `${o.groupId}.replay`,
        brokers: o.brokers,
        stallMs: timeoutMs,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      });
    const summary = {
      partition,
      deliveryRecords: 0,
      deadLetterRecords: 0,
      stateRecords: 0,
      deliveriesFrom: ranges.deliveries.find((r) => r.partition === partition)?.start ?? 0,
      events: 0,
    };

    // With the cluster's record keys (decision 2185), a record no node wrote is not history: counted
    // as malformed, as the nodes refused it.
    const keys = o.recordKeys;
    const forged = (topic: string, p: number, m: KafkaMessage): boolean => keys !== undefined && !keys.verify(topic, p, m).ok;
    for await (const { partition: p, offset, message } of read(o.deliveriesTopic, ranges.deliveries)) {
      summary.deliveryRecords++;
      if (forged(o.deliveriesTopic, p, message)) {
        history.malformed();
        continue;
      }
      try {
        const delivery = decodeDelivery(message);
        if (p === partition) history.delivery(delivery, offset);
        else history.message(delivery.messageId, delivery.message);
      } catch {
        history.malformed();
      }
    }
    for await (const { partition: p, message } of read(o.deadLetterTopic, ranges.deadLetters)) {
      summary.deadLetterRecords++;
      if (forged(o.deadLetterTopic, p, message)) {
        history.malformed();
        continue;
      }
      try {
        if (decodeDeadLetterMark(message) !== undefined) continue; // a redrive or purge mark: the letter itself counts
        const letter = decodeDeadLetter(message);
        if (letter.delivery.receiver === history.local) history.deadLetter(letter.delivery.id);
      } catch {
        history.malformed();
      }
    }
    for await (const { partition: p, offset, message } of read(o.stateTopic, [stateRange])) {
      summary.stateRecords++;
      if (forged(o.stateTopic, p, message)) continue; // counted once, in the pass below
      const record = stateRecordOf(message.key, message.value);
      if (record !== undefined) history.markerIds(offset, record, txOf(message.headers));
    }
    history.prepare(doneBy(progress));
    for await (const { partition: p, offset, message } of read(o.stateTopic, [stateRange])) {
      summary.stateRecords++;
      const record = forged(o.stateTopic, p, message) ? undefined : stateRecordOf(message.key, message.value);
      if (record === undefined) history.malformed();
      else history.stateRecord(offset, record, txOf(message.headers));
      summary.events += out.length;
      yield* out.splice(0);
    }
    history.end();
    summary.events += out.length;
    yield* out.splice(0);
    const result: KafkaHistorySummary = { ...summary, ...history.countedKafka() };
    opts.onEnd?.(result);
    return result;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** A cluster's topics as a node's HistoryReader (the upgrade gate): what it could not read whole, in words. */
export function kafkaHistoryReader(
  source: KafkaHistorySource,
  placementKeyOf: (agent: string) => string = (agent) => agent,
): HistoryReader {
  return async function* (agent, opts = {}) {
    const placementKey = placementKeyOf(agent);
    const s = yield* readKafkaHistory(source, agent, { placementKey, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
    return s.droppedDeliveries + s.droppedSends + s.droppedTimerIntents > 0 ? "records past the reader's bounds" : undefined;
  };
}

function stateRecordOf(key: Buffer | null, value: Buffer | null): StateRecord | undefined {
  try {
    return decodeStateRecord(key, value);
  } catch {
    return undefined;
  }
}

function txOf(headers: IHeaders | undefined): TxHeader | undefined {
  const value = headers?.[TX_HEADER];
  if (value === undefined || Array.isArray(value)) return undefined;
  return decodeTxHeader(value);
}

/** Done per the committed offset and its metadata (offset-metadata.ts): below its end and not pending. */
function doneBy(progress: PartitionProgress | undefined): (offset: number) => boolean {
  if (progress === undefined) return () => false;
  const pending = new Set(progress.pending);
  return (offset) => offset < progress.end && !pending.has(offset);
}

async function committedProgress(admin: Admin, o: ResolvedKafkaOptions, partition: number): Promise<PartitionProgress | undefined> {
  const topics = await admin.fetchOffsets({ groupId: o.groupId, topics: [o.deliveriesTopic] });
  const committed = topics.find((t) => t.topic === o.deliveriesTopic)?.partitions.find((p) => p.partition === partition);
  const offset = Number(committed?.offset ?? -1);
  if (!Number.isSafeInteger(offset) || offset < 0) return undefined;
  return decodeCommit(offset, committed?.metadata);
}

async function topicRanges(
  admin: Admin,
  o: ResolvedKafkaOptions,
): Promise<{ deliveries: PartitionRange[]; deadLetters: PartitionRange[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = [o.deliveriesTopic, o.stateTopic].filter((t) => !existing.has(t));
  if (missing.length > 0)
    throw new ReplayError('replay.no-log', `the Kafka cluster at ${o.brokers.join(',')} has no ${missing.join(' or ')} topic`, {
      context: { brokers: o.brokers.join(','), topics: missing.join(',') },
      hint: "pass the --kafka-topic-prefix (and --cluster) the nodes run with; a cluster's topics appear when its first node starts",
    });
  const deliveries = await rangesOf(admin, o.deliveriesTopic, o);
  const deadLetters = existing.has(o.deadLetterTopic) ? await rangesOf(admin, o.deadLetterTopic, o) : [];
  return { deliveries, deadLetters };
}

async function rangesOf(admin: Admin, topic: string, o: ResolvedKafkaOptions): Promise<PartitionRange[]> {
  return (await topicOffsets(admin, topic, o))
    .map((p) => ({ partition: p.partition, start: Number(p.low), end: Number(p.high) }))
    .sort((a, b) => a.partition - b.partition);
}

async function singleRange(admin: Admin, o: ResolvedKafkaOptions, topic: string, partition: number): Promise<PartitionRange> {
  return (await rangesOf(admin, topic, o)).find((r) => r.partition === partition) ?? { partition, start: 0, end: 0 };
}
