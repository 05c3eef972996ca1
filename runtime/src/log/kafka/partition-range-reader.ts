/**
 * Reads given offset ranges of a topic's partitions, oldest first within each partition, as an
 * async generator that holds at most one fetched batch: the consumer waits in its batch handler
 * until the caller has taken what it handed over, so a reader of a long history stays bounded in
 * memory whatever the range. For readers outside the bus (replay's history, issue 57): it never
 * joins the bus's consumer group, never commits, and leaves nothing behind — like the dead-letter
 * reader, a group of its own (random id; kafkajs reads only through a group), deleted at the end.
 *
 * A range ends at `end` (exclusive; a high watermark taken before the read): a compacted topic may
 * lack offsets inside a range, so a batch that reaches `end - 1` (its last offset, not only a
 * record's) closes it. No progress for `stallMs` fails the read (KafkaUnreachableError).
 *
 * The caller may take long over a batch (a replay runs each handling): the member heartbeats while
 * it waits, so the group keeps it; should it lose its place anyway (and its uncommitted position
 * with it), records before what was handed over are not handed over again.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaUnreachableError } from './errors.js';
import { topicOffsets } from './topic-readiness.js';

/** How often a member waiting on its caller heartbeats (well inside kafkajs' 30 s session). */
const HEARTBEAT_MS = 3000;

export interface PartitionRange {
  partition: number;
  /** First offset read. */
  start: number;
  /** First offset NOT read. */
  end: number;
}

export interface RangeRecord {
  partition: number;
  offset: number;
  message: KafkaMessage;
}

export interface PartitionRangeReadOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  ranges: readonly PartitionRange[];
  /** The reader's group id is `<groupPrefix>.<random>`. */
  groupPrefix: string;
  brokers: readonly string[];
  /** How long without a batch before the read fails. */
  stallMs: number;
  /** Ends the read (its reason thrown), whether records come or not. */
  signal?: AbortSignal;
}

export async function* readPartitionRanges(o: PartitionRangeReadOptions): AsyncGenerator<RangeRecord> {
  const remaining = new Map(o.ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (remaining.size === 0) return;
  const groupId = `${o.groupPrefix}.${randomUUID()}`;
  const consumer = o.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  let handed: RangeRecord[] = [];
  /** Per partition, the offset after the last record handed over. */
  const next = new Map<number, number>();
  let failure: unknown;
  // The consumer's side waits on `taken`; the generator's side on `arrived`.
  let taken: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  const wakeReader = (): void => {
    arrived?.();
    arrived = undefined;
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    const offsets = await topicOffsets(o.admin, o.topic, { brokers: o.brokers, openTimeoutMs: o.stallMs, requestTimeoutMs: o.stallMs });
    const others = offsets.map((p) => p.partition).filter((p) => !remaining.has(p));
    void consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          const range = remaining.get(batch.partition);
          if (range === undefined) return;
          const records: RangeRecord[] = [];
          const from = Math.max(range.start, next.get(batch.partition) ?? 0);
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            if (offset < from) continue;
            if (offset >= range.end) break;
            records.push({ partition: batch.partition, offset, message });
          }
          const lastHanded = records.at(-1);
          if (lastHanded !== undefined) next.set(batch.partition, lastHanded.offset + 1);
          const last = batch.isEmpty() ? Number(batch.highWatermark) - 1 : Number(batch.lastOffset());
          if (last >= range.end - 1) remaining.delete(batch.partition);
          if (records.length === 0 && remaining.has(batch.partition)) return;
          handed = records;
          const beat = setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_MS);
          try {
            await new Promise<void>((resolve) => {
              taken = resolve;
              wakeReader();
            });
          } finally {
            clearInterval(beat);
          }
        },
      })
      .catch((e: unknown) => {
        failure = e;
        wakeReader();
      });
    if (others.length > 0) consumer.pause([{ topic: o.topic, partitions: others }]);
    for (const r of remaining.values()) consumer.seek({ topic: o.topic, partition: r.partition, offset: String(r.start) });
    for (;;) {
      if (handed.length > 0) {
        const records = handed;
        handed = [];
        for (const record of records) {
          o.signal?.throwIfAborted();
          yield record;
        }
      }
      if (taken !== undefined) {
        const resume = taken;
        taken = undefined;
        resume();
      }
      if (remaining.size === 0 && handed.length === 0) return;
      if (failure !== undefined) throw failure;
      o.signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const aborted = (): void => {
          clearTimeout(stall);
          reject(o.signal!.reason);
        };
        const stall = setTimeout(() => {
          o.signal?.removeEventListener('abort', aborted);
          reject(new KafkaUnreachableError(o.brokers, `reading ${o.topic} made no progress for ${o.stallMs} ms`));
        }, o.stallMs);
        o.signal?.addEventListener('abort', aborted, { once: true });
        arrived = () => {
          clearTimeout(stall);
          o.signal?.removeEventListener('abort', aborted);
          resolve();
        };
        // Handed over (or failed) between the checks above and now.
        if (handed.length > 0 || failure !== undefined || remaining.size === 0) wakeReader();
      });
    }
  } finally {
    taken?.();
    await consumer.disconnect().catch(() => {});
    await o.admin.deleteGroups([groupId]).catch(() => {});
  }
}
