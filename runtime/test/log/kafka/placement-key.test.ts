/**
 * The placement key on a real broker (decision 2189): a log told that `b` is placed by `a`'s key
 * appends b's deliveries to a's partition — the records are there, and nowhere in b's own — hands
 * them out in order and completes them there. A record read outside its receiver's home partition
 * (written before its key was known: another node's mirror behind) is moved home, never handed out
 * where it was read; mail handed out before the key was known is moved by `relocate`.
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

  it('moves a record read outside its home partition there before handing it out: once each, in order, completed', async () => {
    const [a, b] = apart();
    const names = uniqueNames('near-move');
    let known = false;
    const { log, got } = await kafka.node(
      { partitions: PARTITIONS, logger: quiet.sink, ...names, placementKeyOf: (r) => (known && r === b ? a : r) },
      false,
    );
    const moved: string[] = [];
    log.events.on(
      (e) => {
        if (e.type === 'relocated') moved.push(e.id);
      },
      ['relocated'],
    );
    const early = deliveries('early', 10, [b]);
    await log.append(early); // b's own partition: its key not known yet
    known = true;
    const late = deliveries('late', 5, [a, b]);
    await log.append(late);
    log.consume((batch) => got.push(...batch));
    await waitFor('15 deliveries', () => got.length >= 15);
    await new Promise((r) => setTimeout(r, 300)); // a copy handed out twice would show here
    assert.equal(got.length, 15, 'each once');
    assert.deepEqual(
      of(got, b).filter((id) => id.startsWith('early')),
      of(early, b),
      "b's early ones in order",
    );
    assert.deepEqual([...moved].sort(), of(early, b).sort(), 'the early ones were moved, no other');
    await log.complete(got.map((d) => ({ id: d.id, receiver: d.receiver })));
    assert.ok(got.every((d) => log.hasCompleted(d.id)));
    const high = await highs(kafka.bootstrap, names.topicPrefix);
    assert.equal(high(partitionFor(b, PARTITIONS)), 10, 'the originals stay where they were written');
    assert.equal(high(partitionFor(a, PARTITIONS)), 10 + late.length, "the copies joined a's partition");
  });

  it('relocate moves mail handed out before the key was known, and keeps what was read at home', async () => {
    const [a, b] = apart();
    const names = uniqueNames('near-held');
    let known = false;
    const { log, got } = await kafka.node({
      partitions: PARTITIONS,
      logger: quiet.sink,
      ...names,
      placementKeyOf: (r) => (known && r === b ? a : r),
    });
    const held = deliveries('held', 3, [b]);
    await log.append(held);
    await waitFor('3 deliveries', () => got.length >= 3);
    known = true;
    assert.deepEqual(await log.relocate(got.slice(0, 3)), [], 'all three moved');
    await waitFor('their copies', () => got.length >= 6);
    const copies = got.slice(3);
    assert.deepEqual(
      copies.map((d) => d.id),
      of(held, b),
      'handed out again from home, in order',
    );
    assert.deepEqual(
      (await log.relocate(copies)).map((d) => d.id),
      of(held, b),
      'read at home: kept',
    );
    await log.complete(copies.map((d) => ({ id: d.id, receiver: d.receiver })));
    assert.ok(copies.every((d) => log.hasCompleted(d.id)));
  });
});

describe('KafkaMessageLog placement key across a restart (real broker)', () => {
  const kafka = useKafkaLogs();

  it('a moved original read again as done does not hide its copy: the next owner hands the copy out', async () => {
    const [a, b] = apart();
    // A receiver of b's own partition, left pending so that partition's commit stays before b's original.
    let c = '';
    for (let i = 0; c === ''; i++) if (partitionFor(`hold-${i}`, PARTITIONS) === partitionFor(b, PARTITIONS)) c = `hold-${i}`;
    const names = uniqueNames('near-restart');
    const keyed = { partitions: PARTITIONS, logger: quiet.sink, ...names, placementKeyOf: (r: string) => (r === b ? a : r) };
    const writer = await kafka.node({ partitions: PARTITIONS, logger: quiet.sink, ...names }, false); // knows no key
    const moved = deliveries('moved', 1, [b]);
    await writer.log.append([...deliveries('hold', 1, [c]), ...moved]);
    const first = await kafka.node(keyed);
    await waitFor("c's delivery and b's copy", () => got(first.got, c).length === 1 && got(first.got, b).length === 1);
    // Neither is completed: c holds its partition's commit before b's original (moved, so done out
    // of order). The move completed the original before its copy could be read, and close() drains
    // the commit that records it done.
    await first.log.close();
    const second = await kafka.node(keyed);
    await waitFor("b's copy handed out again by the next owner", () => got(second.got, b).length === 1 && got(second.got, c).length === 1);
    assert.deepEqual(got(second.got, b), [moved[0]!.id]);
    await second.log.complete(second.got.map((d) => ({ id: d.id, receiver: d.receiver })));
  });
});

const got = (ds: readonly Delivery[], receiver: string): string[] => ds.filter((d) => d.receiver === receiver).map((d) => d.id);

async function highs(bootstrap: string, topicPrefix: string): Promise<(p: number) => number> {
  const admin = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(`${topicPrefix}.deliveries`);
    return (p: number) => Number(offsets.find((o) => o.partition === p)!.high);
  } finally {
    await admin.disconnect();
  }
}
