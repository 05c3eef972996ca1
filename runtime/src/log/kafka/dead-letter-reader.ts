/**
 * Reads the newest dead letters for operators. kafkajs can only read through a consumer group, so
 * this joins a throw-away group (no commits, deleted afterwards), seeks each partition to
 * `high - limit` and reads up to the high watermark seen at the start.
 *
 * The same topic holds the letters' marks (redriven, purged; decision 1860): a mark is always
 * written after its letter, so a window that holds a letter holds its newest mark too.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { DeadLetter, DeadLetterMark } from '../message-log.js';
import { decodeDeadLetter, decodeDeadLetterMark } from './codec.js';
import { KafkaUnreachableError } from './errors.js';
import type { ResolvedKafkaOptions } from './options.js';
import { topicOffsets } from './topic-readiness.js';

export interface DeadLetterTopicRead {
  /** Oldest first, at most `limit`. */
  letters: DeadLetter[];
  /** The newest mark of each letter marked within the window read. */
  marks: Map<string, DeadLetterMark>;
}

export async function readDeadLetters(kafka: Kafka, admin: Admin, o: ResolvedKafkaOptions, limit: number): Promise<DeadLetter[]> {
  return (await readDeadLetterTopic(kafka, admin, o, limit)).letters;
}

/** The newest `limit` records of the dead-letter topic (per partition), as letters and marks. */
export async function readDeadLetterTopic(
  kafka: Kafka,
  admin: Admin,
  o: ResolvedKafkaOptions,
  limit: number,
): Promise<DeadLetterTopicRead> {
  const marks = new Map<string, DeadLetterMark>();
  if (limit <= 0) return { letters: [], marks };
  const topic = o.deadLetterTopic;
  const ranges = (await topicOffsets(admin, topic, o))
    .map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }))
    .map((r) => ({ ...r, start: Math.max(r.low, r.high - limit) }))
    .filter((r) => r.high > r.start);
  if (ranges.length === 0) return { letters: [], marks };

  const groupId = `${o.groupId}.dead-letter-reader.${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  const found: { m: KafkaMessage; partition: number }[] = [];
  const remaining = new Map(ranges.map((r) => [r.partition, r.high]));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new KafkaUnreachableError(o.brokers, `reading ${topic} timed out`)), o.openTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const high = remaining.get(partition);
            if (high === undefined) return;
            const offset = Number(message.offset);
            if (offset < high) found.push({ m: message, partition });
            if (offset >= high - 1) {
              remaining.delete(partition);
              if (remaining.size === 0) done();
            }
          },
        })
        .catch(reject);
      for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
    });
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }

  // A dead-letter write can be repeated (deadLetter() retried after a lost ack): keep the last.
  const byId = new Map<string, { letter: DeadLetter; order: number }>();
  for (const { m, partition } of found) {
    // A letter or mark no node of the cluster wrote (decision 2185) is not listed: a forged mark
    // could hide a letter, a forged letter stand for a delivery. Visible with Kafka tools.
    if (o.recordKeys !== undefined && !o.recordKeys.verify(topic, partition, m).ok) continue;
    let letter: DeadLetter;
    try {
      const mark = decodeDeadLetterMark(m);
      if (mark !== undefined) {
        marks.set(mark.id, mark);
        continue;
      }
      letter = decodeDeadLetter(m);
    } catch {
      continue; // a quarantined undecodable record: visible with Kafka tools, not as a DeadLetter
    }
    byId.delete(letter.delivery.id);
    byId.set(letter.delivery.id, { letter, order: letter.at });
  }
  return {
    letters: [...byId.values()]
      .sort((a, b) => a.order - b.order)
      .map((x) => x.letter)
      .slice(-limit),
    marks,
  };
}
