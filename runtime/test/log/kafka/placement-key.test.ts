/**
 * The placement key on a real broker (decision 2189): a log told that `b` is placed by `a`'s key
 * appends b's deliveries to a's partition — the records are there, and nowhere in b's own — hands
 * them out in order and completes them there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { Delivery } from '@caxton/core';
import { partitionFor } from '../../../src/log/kafka/index.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { deliveries } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const PARTITIONS = 4;
const quiet = collectingLogger();
const of = (ds: readonly Delivery[], receiver: string) => ds.filter((d) => d.receiver === receiver).map((d) => d.id);

/** Two names whose own partitions differ, so where b's records land shows which key placed them. */
function apart(): [string, string] {
  for (let i = 0; ; i++) {
    const [a, b] = [`echo-${i}`, `ping-${i}`];
    if (partitionFor(a, PARTITIONS) !== partitionFor(b, PARTITIONS)) return [a, b];
  }
}

describe('KafkaMessageLog placement key (real broker)', () => {
  const kafka = useKafkaLogs();

  it("appends a receiver placed near another to that one's partition, hands its deliveries out in order and completes them", async () => {
    const [a, b] = apart();
    const names = uniqueNames('near');
    const { log, got } = await kafka.node({
      partitions: PARTITIONS,
      logger: quiet.sink,
      ...names,
      placementKeyOf: (receiver) => (receiver === b ? a : receiver),
    });
    assert.equal(log.partitionOf(b), partitionFor(a, PARTITIONS));
    assert.equal(log.partitionOf(a), partitionFor(a, PARTITIONS));
    const sent = deliveries('n', 20, [a, b]);
    await log.append(sent);
    await waitFor('20 deliveries', () => got.length >= 20);
    for (const r of [a, b]) assert.deepEqual(of(got, r), of(sent, r), `order of ${r}`);
    await log.complete(got.map((d) => ({ id: d.id, receiver: d.receiver })));
    assert.ok(got.every((d) => log.hasCompleted(d.id)));

    const admin = new kafkajs.Kafka({ brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(`${names.topicPrefix}.deliveries`);
      const high = (p: number) => Number(offsets.find((o) => o.partition === p)!.high);
      assert.equal(high(partitionFor(a, PARTITIONS)), 20, "both receivers' records in a's partition");
      assert.equal(high(partitionFor(b, PARTITIONS)), 0, "none in b's own");
    } finally {
      await admin.disconnect();
    }
  });
});
