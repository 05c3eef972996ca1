/**
 * KafkaMessageLog against a real single-node KRaft broker (scripts/infra), or CAXTON_TEST_KAFKA.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import {
  KafkaMessageLog,
  KafkaMisconfiguredError,
  KafkaNotOwnerError,
  KafkaUnreachableError,
  partitionOwner,
  type KafkaLogEvent,
  type KafkaMessageLogOptions,
} from '../../../src/log/kafka/index.js';
import type { AclMessage, Delivery } from '@caxton/core';
import { collectingLogger, infra, uniqueNames, waitFor } from './support/broker.js';
import { deliveries, delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();
const ids = (ds: readonly Delivery[]) => ds.map((d) => d.id);
const of = (ds: readonly Delivery[], receiver: string) => ids(ds.filter((d) => d.receiver === receiver));
const done = (ds: readonly Delivery[]) => ds.map((d) => ({ id: d.id, receiver: d.receiver }));

describe('KafkaMessageLog (real broker)', () => {
  const kafka = useKafkaLogs();

  const makeLog = (names: { topicPrefix: string; cluster: string }, extra: Partial<KafkaMessageLogOptions> = {}): KafkaMessageLog =>
    kafka.log({ partitions: 4, logger: quiet.sink, ...names, ...extra });

  /** Open, consume into an array. */
  async function node(
    names: { topicPrefix: string; cluster: string },
    extra: Partial<KafkaMessageLogOptions> = {},
    listener?: (e: KafkaLogEvent) => void,
  ) {
    const log = makeLog(names, extra);
    if (listener) log.events.on(listener);
    await log.open();
    const got: Delivery[] = [];
    log.consume((batch) => got.push(...batch));
    return { log, got };
  }

  /** Append one sentinel per receiver and wait for all: everything appended before them was fetched. */
  async function drainWithSentinels(log: KafkaMessageLog, got: Delivery[], receivers: readonly string[], tag: string) {
    const sentinels = receivers.map((r) => delivery(`${tag}-sentinel`, r));
    await log.append(sentinels);
    await waitFor('sentinels', () => sentinels.every((s) => got.some((d) => d.id === s.id)));
    return got.filter((d) => !d.messageId.endsWith('-sentinel'));
  }

  it('append → consume → complete, in append order per receiver', async () => {
    const { log, got } = await node(uniqueNames('basic'));
    const receivers = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const sent = deliveries('m', 60, receivers);
    await log.append(sent.slice(0, 25));
    await log.append(sent.slice(25));
    await waitFor('60 deliveries', () => got.length >= 60);
    assert.equal(got.length, 60);
    for (const r of receivers) assert.deepEqual(of(got, r), of(sent, r), `order of ${r}`);
    const byId = new Map(sent.map((d) => [d.id, d]));
    for (const d of got) assert.deepEqual(d, byId.get(d.id));
    await log.complete(done(got));
    assert.ok(got.every((d) => log.hasCompleted(d.id)));
    assert.equal(log.hasCompleted('never-seen'), false);
  });

  it('a message to 40 receivers is one record each; consumed, their deliveries share one decoded message (decision 2003)', async () => {
    const { log, got } = await node(uniqueNames('wide'));
    const receivers = Array.from({ length: 40 }, (_, i) => `sink-${i}`);
    const message: AclMessage = {
      performative: 'inform',
      sender: { name: 'boss' },
      receivers: receivers.map((name) => ({ name })),
      content: 'news',
    };
    const sent: Delivery[] = receivers.map((r) => ({
      id: `w1/${r}`,
      messageId: 'w1',
      receiver: r,
      message,
      acceptedAt: 1_700_000_000_000,
    }));
    await log.append(sent);
    await waitFor('40 deliveries', () => got.length >= 40);
    assert.equal(got.length, 40);
    const byId = new Map(sent.map((d) => [d.id, d]));
    for (const d of got) assert.deepEqual(d, byId.get(d.id));
    // One object for all 40 (one consumer, recent records of one message): the shard hand-off can send it once.
    assert.equal(new Set(got.map((d) => d.message)).size, 1);
    await log.complete(done(got));
  });

  it('after a restart, completed deliveries stay completed and the rest are redelivered in order', async () => {
    const names = uniqueNames('restart');
    const receivers = ['alice', 'bob', 'carol'];
    const sent = deliveries('r', 45, receivers);
    const a = await node(names);
    await a.log.append(sent);
    await waitFor('45 deliveries', () => a.got.length >= 45);
    // Complete out of order, leaving holes: every third delivery stays unfinished.
    const finished = a.got.filter((_, i) => i % 3 !== 0).reverse();
    await a.log.complete(done(finished));
    await a.log.close();

    const b = await node(names);
    const again = await drainWithSentinels(b.log, b.got, receivers, 'after');
    const unfinished = sent.filter((d) => !finished.some((f) => f.id === d.id));
    assert.deepEqual(new Set(ids(again)), new Set(ids(unfinished)));
    assert.equal(again.length, unfinished.length, 'each unfinished delivery exactly once');
    for (const r of receivers) assert.deepEqual(of(again, r), of(unfinished, r), `order of ${r}`);
  });

  it('dead-lettered deliveries are listed for operators and not redelivered', async () => {
    const names = uniqueNames('dead');
    const a = await node(names);
    const sent = deliveries('d', 3, ['alice']);
    await a.log.append(sent);
    await waitFor('3 deliveries', () => a.got.length >= 3);
    const at = Date.now();
    await a.log.deadLetter({ delivery: a.got[1]!, reason: 'handler crashed 3 times (trap: unreachable)', attempts: 3, at });
    await a.log.complete(done([a.got[0]!, a.got[2]!]));
    assert.ok(a.log.hasCompleted(sent[1]!.id));
    const letters = await a.log.deadLetters();
    assert.equal(letters.length, 1);
    assert.deepEqual(letters[0], { delivery: sent[1], reason: 'handler crashed 3 times (trap: unreachable)', attempts: 3, at });
    await a.log.close();

    const b = await node(names);
    const again = await drainWithSentinels(b.log, b.got, ['alice'], 'after');
    assert.deepEqual(again, []);
    assert.equal((await b.log.deadLetters(10)).length, 1);
  });

  it('refuses completions of deliveries it never handed out', async () => {
    const { log } = await node(uniqueNames('owner'));
    await assert.rejects(
      log.complete([{ id: 'nobody/alice', receiver: 'alice' }]),
      (e: unknown) =>
        e instanceof KafkaNotOwnerError && e.code === 'bus.kafka.not-owner' && (e.context['ids'] as string[])[0] === 'nobody/alice',
    );
  });

  it('pauses a partition at maxPendingPerPartition and resumes when completions free room', async () => {
    const { log, got } = await node(uniqueNames('cap'), { partitions: 1, maxPendingPerPartition: 5 });
    const sent = deliveries('c', 12, ['alice']);
    await log.append(sent);
    await waitFor('first 5', () => got.length >= 5);
    // Give the consumer time to over-deliver if the cap did not hold (a bound, not a speed check).
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(got.length, 5);
    await log.complete(done(got.slice(0, 5)));
    await waitFor('next 5', () => got.length >= 10);
    await log.complete(done(got.slice(5, 10)));
    await waitFor('all 12', () => got.length >= 12);
    assert.deepEqual(ids(got), ids(sent));
  });

  it('two nodes of one cluster split the partitions by rendezvous, each gets only its receivers, the survivor takes over', async () => {
    const names = uniqueNames('cluster');
    const a = await node(names, { nodeId: 'node-a' });
    const b = await node(names, { nodeId: 'node-b' });
    // The assignment is the pure rendezvous plan over the node ids (placement can compute it too).
    const plan = (id: string) => [0, 1, 2, 3].filter((p) => partitionOwner(p, ['node-a', 'node-b']) === id);
    assert.ok(plan('node-a').length > 0 && plan('node-b').length > 0, 'test ids must split the 4 partitions');
    await waitFor(
      'the rendezvous assignment',
      () =>
        JSON.stringify(a.log.ownedPartitions()) === JSON.stringify(plan('node-a')) &&
        JSON.stringify(b.log.ownedPartitions()) === JSON.stringify(plan('node-b')),
      45_000,
    );
    const receivers = Array.from({ length: 16 }, (_, i) => `agent${i}`);
    const sent = deliveries('k', 64, receivers);
    await a.log.append(sent);
    await waitFor('64 deliveries across both nodes', () => a.got.length + b.got.length >= 64);
    assert.equal(a.got.length + b.got.length, 64);
    for (const [n, owned] of [
      [a, a.log.ownedPartitions()],
      [b, b.log.ownedPartitions()],
    ] as const) {
      for (const d of n.got) assert.ok(owned.includes(n.log.partitionOf(d.receiver)), `${d.receiver} handled by its owner`);
    }
    await a.log.complete(done(a.got));
    await b.log.complete(done(b.got));
    const handledOnA = a.got.length;

    await b.log.close();
    await waitFor('a owns all partitions', () => a.log.ownedPartitions().length === 4, 45_000);
    const later = deliveries('k2', 32, receivers);
    await a.log.append(later);
    await waitFor('32 more on a', () => a.got.filter((d) => d.messageId.startsWith('k2-')).length >= 32);
    // b's completed deliveries are not handed to a when a takes over b's partitions.
    assert.equal(a.got.length, handledOnA + 32);
    assert.deepEqual(new Set(ids(a.got.slice(handledOnA))), new Set(ids(later)));
  });

  it('moves undecodable records to the dead-letter topic and goes on', async () => {
    const names = uniqueNames('poison');
    const events: KafkaLogEvent[] = [];
    const { log, got } = await node(names, {}, (e) => void events.push(e));
    const raw = new kafkajs.Kafka({ brokers: [kafka.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic: `${names.topicPrefix}.deliveries`,
      messages: [{ key: 'alice', value: 'not an ACL message', partition: log.partitionOf('alice') }],
    });
    await raw.disconnect();
    await log.append([delivery('good', 'alice')]);
    await waitFor('the good delivery', () => got.length >= 1);
    assert.deepEqual(ids(got), ['good/alice']);
    await waitFor('undecodable event', () => events.some((e) => e.type === 'undecodable'));
  });

  it('refuses an existing deliveries topic with another partition count', async () => {
    const names = uniqueNames('mismatch');
    const first = makeLog(names, { partitions: 4 });
    await first.open();
    await first.close();
    await assert.rejects(
      makeLog(names, { partitions: 3 }).open(),
      (e: unknown) => e instanceof KafkaMisconfiguredError && /has 4 partitions, configured 3/.test(e.message) && e.hint !== undefined,
    );
  });

  it('open() fails within seconds, with a clear error, when nothing listens at the address', async () => {
    const port = await (await infra()).freePort();
    const log = new KafkaMessageLog({ brokers: [`127.0.0.1:${port}`], logger: quiet.sink, openTimeoutMs: 60_000 });
    const t0 = Date.now();
    await assert.rejects(log.open(), (e: unknown) => {
      assert.ok(e instanceof KafkaUnreachableError);
      assert.match(e.message, new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} unreachable`));
      assert.match(e.hint ?? '', /npm run infra:up/);
      return true;
    });
    // Not a speed check: it must fail on its own (refused connection), long before the 60 s guard.
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
  });

  it('open() gives up at openTimeoutMs when the address does not answer at all', async () => {
    // A non-routable address: SYNs go nowhere (or the host reports it unreachable at once).
    const log = new KafkaMessageLog({ brokers: ['10.255.255.1:9092'], logger: quiet.sink, openTimeoutMs: 4000, connectionTimeoutMs: 1000 });
    const t0 = Date.now();
    await assert.rejects(log.open(), KafkaUnreachableError);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });
});
