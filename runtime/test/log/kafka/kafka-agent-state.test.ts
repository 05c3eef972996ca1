/**
 * Agents' state in the Kafka message log (decision 1602), against a real broker: committed with a
 * completion, seen by the next owner of the partition, the commit point being the state record.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import type { Delivery } from '@caxton/core';
import {
  type KafkaMessageLog,
  KafkaMisconfiguredError,
  KafkaStateReadBoundError,
  partitionFor,
  partitionOwner,
  type KafkaMessageLogOptions,
} from '../../../src/log/kafka/index.js';
import { encodeEntry, encodeMarker } from '../../../src/log/kafka/state-records.js';
import { createTopicsSettling, settledTopicMetadata } from '../../../src/log/kafka/topic-readiness.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();
const PARTITIONS = 4;
const obj = (m: ReadonlyMap<string, string>) => Object.fromEntries(m);

describe('KafkaMessageLog agent state (real broker)', () => {
  const kafka = useKafkaLogs();

  const node = (names: { topicPrefix: string; cluster: string }, extra: Partial<KafkaMessageLogOptions> = {}) =>
    kafka.node({ partitions: PARTITIONS, logger: quiet.sink, ...names, ...extra });

  /** Append a sentinel for `receiver` and wait for it: every earlier delivery of it was fetched. */
  async function drain(n: { log: KafkaMessageLog; got: Delivery[] }, receiver: string, tag: string): Promise<Delivery[]> {
    const s = delivery(`${tag}-sentinel`, receiver);
    await n.log.append([s]);
    await waitFor(`sentinel ${tag}`, () => n.got.some((d) => d.id === s.id));
    return n.got.filter((d) => d.receiver === receiver && d.id !== s.id);
  }

  it('a completion commits the state; a new node sees it, and the delivery stays completed', async () => {
    const names = uniqueNames('state');
    const a = await node(names);
    const d1 = delivery('s1', 'counter');
    await a.log.append([d1]);
    await waitFor('d1', () => a.got.length >= 1);
    await a.log.complete([
      {
        id: d1.id,
        receiver: 'counter',
        state: [
          { key: 'n', value: '1' },
          { key: 'tmp', value: 'x' },
        ],
      },
    ]);
    assert.deepEqual(obj(await a.log.readState('counter')), { n: '1', tmp: 'x' }, 'the owner reads its own commit at once');
    const d2 = delivery('s2', 'counter');
    await a.log.append([d2]);
    await waitFor('d2', () => a.got.length >= 2);
    await a.log.complete([
      {
        id: d2.id,
        receiver: 'counter',
        state: [
          { key: 'n', value: '2' },
          { key: 'tmp', value: null },
        ],
      },
    ]);
    assert.deepEqual(obj(await a.log.readState('counter')), { n: '2' });
    assert.deepEqual(await a.log.committedMarker('counter'), [d2.id]);
    await a.log.close();

    const b = await node(names, { nodeId: 'other-node' });
    await waitFor('b loaded the partition', () => b.log.ownedPartitions().length === PARTITIONS, 45_000);
    assert.equal(await b.log.stateLoaded('counter'), true);
    assert.deepEqual(obj(await b.log.readState('counter')), { n: '2' });
    assert.deepEqual(await drain(b, 'counter', 'b'), [], 'completed deliveries are not handed out again');
  });

  it('a crash between the state record and the offset commit: the next owner completes the delivery without handing it out', async () => {
    const names = uniqueNames('crash');
    const a = await node(names);
    const d1 = delivery('c1', 'counter');
    const d2 = delivery('c2', 'counter');
    await a.log.append([d1, d2]);
    await waitFor('both', () => a.got.length >= 2);
    // What a node writes for d1's completion before its offset commit: the writes and the marker,
    // one batch to the agent's partition. Then it "crashes" (leaves without completing anything).
    const raw = new kafkajs.Kafka({ brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer({ idempotent: true });
    await raw.connect();
    const partition = partitionFor('counter', PARTITIONS);
    await raw.send({
      topic: `${names.topicPrefix}.state`,
      acks: -1,
      messages: [encodeEntry('counter', { key: 'n', value: '1' }), encodeMarker('counter', [d1.id])].map((m) => ({ ...m, partition })),
    });
    await raw.disconnect();
    await a.log.close();

    const b = await node(names);
    const handed = await drain(b, 'counter', 'b');
    assert.deepEqual(
      handed.map((d) => d.id),
      [d2.id],
      'd1 is completed by its state record; d2 (no state record) is redelivered',
    );
    assert.equal(b.log.hasCompleted(d1.id), true);
    assert.deepEqual(obj(await b.log.readState('counter')), { n: '1' });
    await b.log.complete(handed.map((d) => ({ id: d.id, receiver: d.receiver, state: [{ key: 'n', value: '2' }] })));
    await b.log.complete([{ id: `b-sentinel/counter`, receiver: 'counter' }]);
    await b.log.close();

    // b committed d1's offset as done: a third node sees neither again.
    const c = await node(names);
    assert.deepEqual(await drain(c, 'counter', 'c'), []);
    assert.deepEqual(obj(await c.log.readState('counter')), { n: '2' });
  });

  it('clearState drops every key, also for the next node; commitState writes outside deliveries', async () => {
    const names = uniqueNames('clear');
    const a = await node(names);
    await waitFor('assigned', () => a.log.ownedPartitions().length === PARTITIONS, 45_000);
    await a.log.commitState('timer-agent', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: '\u0000http/9', value: '{}' },
    ]);
    await a.log.commitState('bystander', [{ key: 'keep', value: 'me' }]);
    assert.deepEqual(obj(await a.log.readState('timer-agent')), { a: '1', b: '2', '\u0000http/9': '{}' });
    await a.log.clearState('timer-agent');
    assert.deepEqual(obj(await a.log.readState('timer-agent')), {});
    await assert.rejects(a.log.commitState('timer-agent', [{ key: '\u0000commit', value: 'x' }]), /reserved for the commit marker/);
    await a.log.close();
    const b = await node(names);
    assert.deepEqual(obj(await b.log.readState('timer-agent')), {});
    assert.deepEqual(obj(await b.log.readState('bystander')), { keep: 'me' });
  });

  it('state follows a partition between two nodes, both ways, and a non-owner reads it from the topic', async () => {
    const names = uniqueNames('move');
    const nodes = ['node-a', 'node-b'];
    // An agent whose partition goes to node-b once both nodes are up.
    const agent = Array.from({ length: 64 }, (_, i) => `mover${i}`).find(
      (n) => partitionOwner(partitionFor(n, PARTITIONS), nodes) === 'node-b',
    )!;
    const a = await node(names, { nodeId: 'node-a' });
    await waitFor('a owns all', () => a.log.ownedPartitions().length === PARTITIONS, 45_000);
    const d1 = delivery('mv1', agent);
    await a.log.append([d1]);
    await waitFor('d1 on a', () => a.got.some((d) => d.id === d1.id));
    await a.log.complete([{ id: d1.id, receiver: agent, state: [{ key: 'seen', value: 'a' }] }]);

    const b = await node(names, { nodeId: 'node-b' });
    await waitFor(
      'rebalanced',
      () =>
        b.log.ownedPartitions().includes(partitionFor(agent, PARTITIONS)) &&
        !a.log.ownedPartitions().includes(partitionFor(agent, PARTITIONS)),
      45_000,
    );
    assert.equal(await b.log.stateLoaded(agent), true);
    assert.equal(await a.log.stateLoaded(agent), false, 'a no longer owns it');
    assert.deepEqual(obj(await b.log.readState(agent)), { seen: 'a' }, 'the moved state');
    const d2 = delivery('mv2', agent);
    await a.log.append([d2]);
    await waitFor('d2 on b', () => b.got.some((d) => d.id === d2.id));
    assert.ok(!b.got.some((d) => d.id === d1.id), 'd1 completed on a is not handed out by b');
    await b.log.complete([{ id: d2.id, receiver: agent, state: [{ key: 'seen', value: 'a,b' }] }]);
    assert.deepEqual(obj(await a.log.readState(agent)), { seen: 'a,b' }, 'a non-owner reads the topic');

    await b.log.close();
    await waitFor('a owns all again', () => a.log.ownedPartitions().length === PARTITIONS, 45_000);
    assert.equal(await a.log.stateLoaded(agent), true);
    assert.deepEqual(obj(await a.log.readState(agent)), { seen: 'a,b' }, 'the state came back with the partition');
  });

  it('a bounded read of a partition held elsewhere is refused before reading past the bound; within it, it reads as readState', async () => {
    const names = uniqueNames('bound');
    const nodes = ['node-a', 'node-b'];
    // An agent on node-a once both nodes are up, and others sharing its partition.
    const agent = Array.from({ length: 64 }, (_, i) => `held${i}`).find(
      (n) => partitionOwner(partitionFor(n, PARTITIONS), nodes) === 'node-a',
    )!;
    const p = partitionFor(agent, PARTITIONS);
    const neighbours = Array.from({ length: 400 }, (_, i) => `crowd${i}`)
      .filter((n) => partitionFor(n, PARTITIONS) === p)
      .slice(0, 20);
    const a = await node(names, { nodeId: 'node-a' });
    const b = await node(names, { nodeId: 'node-b' });
    await waitFor(
      'the two nodes share the partitions',
      () =>
        a.log.ownedPartitions().includes(p) &&
        !b.log.ownedPartitions().includes(p) &&
        a.log.ownedPartitions().length + b.log.ownedPartitions().length === PARTITIONS,
      45_000,
    );
    await a.log.commitState(agent, [{ key: 'n', value: '1' }]);
    for (const n of neighbours)
      await a.log.commitState(n, [
        { key: 'k1', value: 'x' },
        { key: 'k2', value: 'y' },
      ]);

    // node-b holds no view of p: the partition's span (its owner's claim, 1 + 20 × 2 records and
    // more) is past 10, so it is refused with the span it would have read, and nothing was read.
    await assert.rejects(b.log.readStateWithin(agent, 10), (e: KafkaStateReadBoundError) => {
      assert.ok(e instanceof KafkaStateReadBoundError, String(e));
      assert.equal(e.code, 'bus.kafka.state-read-bound');
      assert.equal(e.context['partition'], p);
      assert.ok(Number(e.context['records']) >= 41, `records ${String(e.context['records'])}`);
      assert.match(e.hint ?? '', /node that runs/);
      return true;
    });
    // Within the bound, the same answer as an unbounded read; its owner reads its own view, unbounded.
    assert.deepEqual(obj(await b.log.readStateWithin(agent, 1_000)), { n: '1' });
    assert.deepEqual(obj(await a.log.readStateWithin(agent, 0)), { n: '1' }, 'the owner reads its loaded view: no bound applies');
  });

  it('refuses a state topic that would lose or misplace state: another partition count, or no compaction', async () => {
    const admin = new kafkajs.Kafka({ brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const wrongCount = uniqueNames('state-count');
      const wrongPolicy = uniqueNames('state-policy');
      // As the log creates its own (topic-readiness.ts): a broker just asked to create a topic may
      // not know it yet when kafkajs' waitForLeaders asks (CI saw UNKNOWN_TOPIC_OR_PARTITION here).
      const topics = [
        {
          topic: `${wrongCount.topicPrefix}.state`,
          numPartitions: PARTITIONS + 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
        {
          topic: `${wrongPolicy.topicPrefix}.state`,
          numPartitions: PARTITIONS,
          configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ];
      await createTopicsSettling(admin, topics, 30_000);
      await settledTopicMetadata(
        admin,
        topics.map((t) => t.topic),
        Date.now() + 60_000,
      );
      const refused = async (names: { topicPrefix: string; cluster: string }, pattern: RegExp) => {
        const log = kafka.log({ partitions: PARTITIONS, logger: quiet.sink, ...names });
        await assert.rejects(
          log.open(),
          (e: unknown) => e instanceof KafkaMisconfiguredError && pattern.test(e.message) && e.hint !== undefined,
        );
      };
      await refused(wrongCount, /state has 5 partitions, .*deliveries has 4/);
      await refused(wrongPolicy, /state uses cleanup.policy=delete/);
    } finally {
      await admin.disconnect();
    }
  });
});
