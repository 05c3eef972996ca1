/**
 * KafkaMessageLog with record keys (decision 2185), against a real broker: records injected with
 * kafkajs outside the log — untagged, tagged with another key, tampered with, not even a delivery,
 * a copy claiming a real delivery's id, a state entry — are refused, and the log goes on.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { KafkaLogEvent } from '../../../src/log/kafka/index.js';
import { RecordKeyRing } from '../../../src/log/kafka/record-mac.js';
import { decodeQuarantined, encodeDelivery } from '../../../src/log/kafka/codec.js';
import { DeadLetterOperations } from '../../../src/node/dead-letter-operations.js';
import { deliveryId } from '../../../src/bus/ids.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

type Refused = Extract<KafkaLogEvent, { type: 'record-refused' }>;
const ring = (id: string) => new RecordKeyRing([{ id, secret: randomBytes(32) }]);

describe('KafkaMessageLog with record keys (real broker)', () => {
  const kafka = useKafkaLogs();
  const quiet = collectingLogger();

  async function outsider<T>(use: (p: kafkajs.Producer) => Promise<T>): Promise<T> {
    const producer = new kafkajs.Kafka({ clientId: 'outsider', brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      return await use(producer);
    } finally {
      await producer.disconnect();
    }
  }

  it('injected deliveries are not handed out, dead-lettered under their place with the reason, and the partition goes on', async () => {
    const names = uniqueNames('signed');
    const keys = ring('k1');
    const refused: Refused[] = [];
    const { log, got } = await kafka.node({ partitions: 2, logger: quiet.sink, ...names, recordKeys: keys });
    log.events.on((e) => refused.push(e as Refused), ['record-refused']);
    const d1 = delivery('m1', 'alice');
    await log.append([d1]);
    await waitFor('the signed delivery', () => got.some((d) => d.id === d1.id), 60_000);

    const topic = `${names.topicPrefix}.deliveries`;
    const p = log.partitionOf('alice');
    const copy = encodeDelivery({ ...d1, message: { ...d1.message, content: 'forged' } }, p); // claims d1's id
    const foreign = encodeDelivery(delivery('m2', 'alice', 'forged'), p);
    ring('k9').sign(topic, p, foreign);
    const tampered = encodeDelivery(delivery('m3', 'alice', 'forged'), p);
    keys.sign(topic, p, tampered);
    tampered.key = 'mallory'; // signed for alice, delivered to another receiver
    const garbage = { key: 'alice', value: Buffer.from('not a delivery'), partition: p };
    const [first] = await outsider((producer) => producer.send({ topic, messages: [copy, foreign, tampered, garbage] }));

    const d4 = delivery('m4', 'alice');
    await log.append([d4]);
    await waitFor('the signed delivery after the injected ones', () => got.some((d) => d.id === d4.id), 60_000);
    await waitFor('four refusals', () => refused.length >= 4, 60_000);
    assert.deepEqual(
      got.map((d) => d.id),
      [d1.id, d4.id],
      'nothing injected was handed out',
    );
    const base = Number(first!.baseOffset);
    assert.deepEqual(
      refused.map((e) => [e.topic, e.partition, Number(e.offset) - base, e.reason, e.deadLettered]),
      [
        [topic, p, 0, 'no caxton-mac header', true],
        [topic, p, 1, 'unknown record key k9', true],
        [topic, p, 2, 'bad caxton-mac tag (key k1)', true],
        [topic, p, 3, 'no caxton-mac header', true],
      ],
    );
    // The real d1 is still ours to complete: its forged copy did not complete it, nor took its place.
    await log.complete([
      { id: d1.id, receiver: 'alice' },
      { id: d4.id, receiver: 'alice' },
    ]);
    // Each read of the dead letters is a throw-away consumer group: polled, not spun on.
    let letters = await log.deadLetters();
    for (const until = Date.now() + 60_000; letters.length < 3 && Date.now() < until; letters = await log.deadLetters())
      await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      letters.map((l) => [l.delivery.id, l.reason, l.delivery.message.content]),
      [0, 1, 2].map((i) => [
        `kafka:${topic}/${p}@${base + i}`,
        `log.record-unauthenticated: ${['no caxton-mac header', 'unknown record key k9', 'bad caxton-mac tag (key k1)'][i]}`,
        'forged',
      ]),
      'listed under their place, never the id they claim; the undecodable one is quarantined, not listed',
    );
  });

  it('a validly signed record copied into another partition is refused there (the tag binds the partition)', async () => {
    const names = uniqueNames('signed-partition');
    const keys = ring('k1');
    const refused: Refused[] = [];
    const { log, got } = await kafka.node({ partitions: 2, logger: quiet.sink, ...names, recordKeys: keys });
    log.events.on((e) => refused.push(e as Refused), ['record-refused']);
    const topic = `${names.topicPrefix}.deliveries`;
    const p = log.partitionOf('alice');
    const other = 1 - p;
    await waitFor('both partitions assigned here', () => log.ownedPartitions().length === 2, 60_000);
    // Signed for alice's partition, as a node signs it; written to the other one.
    const copy = encodeDelivery(delivery('m1', 'alice'), p);
    keys.sign(topic, p, copy);
    const [sent] = await outsider((producer) => producer.send({ topic, messages: [{ ...copy, partition: other }] }));
    // The same record in its own partition is accepted: the refusal is the partition's doing.
    const original = encodeDelivery(delivery('m2', 'alice'), p);
    keys.sign(topic, p, original);
    await outsider((producer) => producer.send({ topic, messages: [original] }));
    await waitFor('the copy refused', () => refused.some((e) => e.partition === other && e.offset === sent!.baseOffset), 60_000);
    await waitFor('the record signed for its own partition handed out', () => got.some((d) => d.messageId === 'm2'), 60_000);
    assert.deepEqual(
      refused.map((e) => [e.partition, e.offset, e.reason]),
      [[other, sent!.baseOffset, 'bad caxton-mac tag (key k1)']],
    );
    assert.equal(
      got.some((d) => d.messageId === 'm1'),
      false,
      'the copy was not handed out',
    );
  });

  it('an injected record dressed as a dead-letter mark never marks a letter: the letter stays listed and redrivable', async () => {
    const names = uniqueNames('signed-mark');
    const refused: Refused[] = [];
    const { log, got } = await kafka.node({ partitions: 2, logger: quiet.sink, ...names, recordKeys: ring('k1') });
    log.events.on((e) => refused.push(e as Refused), ['record-refused']);
    const d1 = delivery('m1', 'alice');
    await log.append([d1]);
    await waitFor('the delivery', () => got.some((d) => d.id === d1.id), 60_000);
    await log.deadLetter({ delivery: d1, reason: 'crashed 3 times', attempts: 3, at: Date.now() });
    // What kcat could write to the deliveries topic: unsigned, undecodable as a delivery, with a
    // mark's header and value. Quarantined by the node, it must not come back as a (signed) mark.
    const topic = `${names.topicPrefix}.deliveries`;
    const p = log.partitionOf('alice');
    const marks = [
      { id: d1.id, state: 'purged', at: 1 },
      { id: d1.id, state: 'redriven', deliveryId: 'x>alice', receiver: 'alice', at: 2 },
    ];
    const [sent] = await outsider((producer) =>
      producer.send({
        topic,
        messages: marks.map((m) => ({ key: d1.id, value: JSON.stringify(m), headers: { 'caxton-dl-mark': '1' }, partition: p })),
      }),
    );
    const base = Number(sent!.baseOffset);
    // Said once each is durably in the dead letters (quarantined).
    await waitFor(
      'both injected records refused and moved aside',
      () => [0, 1].every((i) => refused.some((e) => e.partition === p && Number(e.offset) === base + i && e.deadLettered)),
      60_000,
    );
    assert.equal((await log.deadLetterMarks()).has(d1.id), false, 'no mark for the real letter');
    const sentAgain: string[] = [];
    const ops = new DeadLetterOperations({
      log,
      agentName: (name) => name,
      send: async (message, messageId) => {
        const receiver = message.receivers[0]!.name;
        sentAgain.push(messageId);
        await log.append([{ id: deliveryId(messageId, receiver), messageId, receiver, message, acceptedAt: Date.now() }]);
        return { messageId, accepted: [receiver], refused: [] };
      },
    });
    const listed = await ops.listDeadLetters({ agent: 'alice', limit: 10, includePurged: false });
    assert.deepEqual(
      listed.map((v) => [v.id, v.state]),
      [[d1.id, 'dead']],
      'listed, not purged nor redriven',
    );
    const { redriven } = await ops.redriveDeadLetters({ select: { ids: [d1.id] } });
    assert.equal(redriven.length, 1);
    assert.equal(sentAgain.length, 1, 'a redrive sends it: no forged redriven mark made it a no-op');
  });

  it("an injected state record never becomes the agent's state", async () => {
    const names = uniqueNames('signed-state');
    const refused: Refused[] = [];
    const { log } = await kafka.node({ partitions: 2, logger: quiet.sink, ...names, recordKeys: ring('k1') });
    log.events.on((e) => refused.push(e as Refused), ['record-refused']);
    await waitFor("bob's partition assigned here", () => log.ownedPartitions().includes(log.partitionOf('bob')), 60_000);
    assert.equal(await log.stateLoaded('bob'), true);
    await log.commitState('bob', [{ key: 'x', value: 'real' }]);
    assert.deepEqual(Object.fromEntries(await log.readState('bob')), { x: 'real' });
    const topic = `${names.topicPrefix}.state`;
    await outsider((producer) =>
      producer.send({
        topic,
        messages: [{ key: 'bob\u0000x', value: Buffer.concat([Buffer.from([1]), Buffer.from('evil')]), partition: log.partitionOf('bob') }],
      }),
    );
    await waitFor('the state record refused', () => refused.some((e) => e.topic === topic), 60_000);
    assert.equal(refused[0]!.deadLettered, false);
    assert.deepEqual(Object.fromEntries(await log.readState('bob')), { x: 'real' });
    // A later commit of the agent works as before.
    await log.commitState('bob', [{ key: 'y', value: '2' }]);
    assert.deepEqual(Object.fromEntries(await log.readState('bob')), { x: 'real', y: '2' });
  });
  it('a record whose quarantined copy the broker refuses as too large is moved aside by its place only, and the partition goes on', async () => {
    const names = uniqueNames('signed-large');
    const refused: Refused[] = [];
    const failed: KafkaLogEvent[] = [];
    const { log, got } = await kafka.node({ partitions: 1, logger: quiet.sink, ...names, recordKeys: ring('k1') });
    log.events.on((e) => refused.push(e as Refused), ['record-refused']);
    log.events.on((e) => failed.push(e), ['dead-letter-failed']);
    const topic = `${names.topicPrefix}.deliveries`;
    const deadLetters = `${names.topicPrefix}.dead-letters`;
    await waitFor('the partition assigned here', () => log.ownedPartitions().length === 1, 60_000);
    // The dead-letter topic takes less than the deliveries topic: a value that fits there, with the
    // copy's headers added, does not fit here (as a ~1 MB record against the default limit).
    const admin = new kafkajs.Kafka({ clientId: 'outsider', brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: kafkajs.ConfigResourceTypes.TOPIC, name: deadLetters, configEntries: [{ name: 'max.message.bytes', value: '4096' }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const value = randomBytes(4000);
    const [sent] = await outsider((producer) => producer.send({ topic, messages: [{ key: 'alice', value, partition: 0 }] }));
    const d1 = delivery('m1', 'alice');
    await log.append([d1]);
    await waitFor('the delivery after it', () => got.some((d) => d.id === d1.id), 60_000);
    await waitFor('the large record refused and moved aside', () => refused.some((e) => e.offset === sent!.baseOffset), 60_000);
    assert.deepEqual(
      refused.map((e) => [e.offset, e.deadLettered]),
      [[sent!.baseOffset, true]],
    );
    assert.deepEqual(failed, [], 'no failed write: the place-only record went at once');
    // What the dead-letter topic holds: the place, the value's digest, no payload.
    const records: kafkajs.KafkaMessage[] = [];
    const reader = new kafkajs.Kafka({ clientId: 'outsider', brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).consumer({
      groupId: `${names.topicPrefix}-reader`,
    });
    await reader.connect();
    try {
      await reader.subscribe({ topic: deadLetters, fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void records.push(message) });
      await waitFor('the dead-letter record', () => records.length >= 1, 60_000);
    } finally {
      await reader.disconnect();
    }
    assert.equal(records.length, 1);
    assert.equal(records[0]!.value, null, 'no payload');
    assert.equal(records[0]!.headers?.['caxton-dl-source']?.toString(), `${topic}/0@${sent!.baseOffset}`);
    assert.deepEqual(decodeQuarantined(records[0]!), {
      omitted: 'too large',
      valueBytes: 4000,
      valueSha256: createHash('sha256').update(value).digest('hex'),
    });
  });
});
