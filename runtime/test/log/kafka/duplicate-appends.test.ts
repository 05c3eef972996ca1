/**
 * What the Kafka log does with a delivery appended again under the same id — an idempotent send
 * retried after the node forgot its key (decision 1700: restart, window, another node), which the
 * bus then appends again because the id is derived from (caller, key, message) — also after the
 * log restarted or the partition moved to another log (decision 1801: the completed window is
 * rebuilt from the partition's records when it is taken). Against a real
 * single-node KRaft broker (or CAXTON_TEST_KAFKA).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Delivery } from '@caxton/core';
import type { KafkaMessageLog } from '../../../src/log/kafka/index.js';
import { collectingLogger, uniqueNames, waitFor } from './support/broker.js';
import { delivery } from './support/deliveries.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();

describe('KafkaMessageLog: a delivery appended twice with the same id', () => {
  const kafka = useKafkaLogs();

  const node = (names: { topicPrefix: string; cluster: string }, nodeId?: string): Promise<{ log: KafkaMessageLog; got: Delivery[] }> =>
    kafka.node({ partitions: 2, logger: quiet.sink, nodeId, ...names });

  /** A sentinel after the copies: once it is consumed, every copy before it was fetched. */
  async function drain(log: KafkaMessageLog, got: Delivery[], tag: string): Promise<Delivery[]> {
    const sentinel = delivery(`${tag}-sentinel`, 'counter');
    await log.append([sentinel]);
    await waitFor('the sentinel', () => got.some((d) => d.id === sentinel.id));
    return got.filter((d) => d.id !== sentinel.id);
  }

  it('while the first copy is pending: handed out once', async () => {
    const { log, got } = await node(uniqueNames('dup-pending'));
    const d = delivery('i-pending', 'counter');
    await log.append([d]);
    await log.append([d]);
    const seen = await drain(log, got, 'pending');
    assert.deepEqual(
      seen.map((x) => x.id),
      [d.id],
    );
  });

  it('after the first copy completed: not handed out again (completed window)', async () => {
    const { log, got } = await node(uniqueNames('dup-completed'));
    const d = delivery('i-completed', 'counter');
    await log.append([d]);
    await waitFor('the first copy', () => got.some((x) => x.id === d.id));
    await log.complete([{ id: d.id, receiver: d.receiver }]);
    await log.append([d]);
    const seen = await drain(log, got, 'completed');
    assert.deepEqual(
      seen.map((x) => x.id),
      [d.id],
      'the second copy was dropped',
    );
  });

  it('after the first copy completed and the log restarted: not handed out again (window rebuilt, decision 1801)', async () => {
    const names = uniqueNames('dup-restart');
    const a = await node(names);
    const d = delivery('i-restart', 'counter');
    await a.log.append([d]);
    await waitFor('the first copy', () => a.got.some((x) => x.id === d.id));
    await a.log.complete([{ id: d.id, receiver: d.receiver }]);
    await a.log.close();
    const b = await node(names);
    await b.log.append([d]);
    const seen = await drain(b.log, b.got, 'restart');
    assert.deepEqual(
      seen.map((x) => x.id),
      [],
      'the copy appended after the restart was dropped',
    );
    assert.ok(b.log.hasCompleted(d.id), 'the rebuilt window answers hasCompleted too');
  });

  it('after the first copy completed and its partition moved to another log: not handed out there', async () => {
    const names = uniqueNames('dup-failover');
    const a = await node(names, 'node-a');
    // Completed deliveries in both partitions, each followed by more completed traffic, so the
    // copies' first records sit below the commit the new owner starts from.
    const agents = [0, 1].flatMap((p) =>
      Array.from({ length: 32 }, (_, i) => `agent-${i}`)
        .filter((r) => a.log.partitionOf(r) === p)
        .slice(0, 2),
    );
    assert.equal(agents.length, 4, 'two receivers in each partition');
    const firsts = agents.map((r, i) => delivery(`i-fail-${i}`, r));
    const later = Array.from({ length: 20 }, (_, i) => delivery(`i-later-${i}`, agents[i % 4]!));
    await a.log.append(firsts);
    await a.log.append(later);
    await waitFor('every first copy and the later traffic', () => [...firsts, ...later].every((d) => a.got.some((x) => x.id === d.id)));
    await a.log.complete([...firsts, ...later].map((d) => ({ id: d.id, receiver: d.receiver })));
    // Another node joins (takes what rendezvous gives it), then the first leaves: it takes the rest.
    const b = await node(names, 'node-b');
    await a.log.close();
    await waitFor('node-b owns both partitions', () => b.log.ownedPartitions().length === 2);
    await b.log.append(firsts);
    const sentinels = agents.map((r, i) => delivery(`fail-sentinel-${i}`, r));
    await b.log.append(sentinels);
    await waitFor('the sentinels', () => sentinels.every((s) => b.got.some((x) => x.id === s.id)));
    const seen = b.got.filter((x) => !x.id.startsWith('fail-sentinel'));
    assert.deepEqual(
      seen.map((x) => x.id),
      [],
      'no copy of a delivery completed on node-a was handed out on node-b',
    );
    for (const d of firsts) assert.ok(b.log.hasCompleted(d.id), `${d.id} is in node-b's rebuilt window`);
  });

  it('with the read-back turned off, the copy after a restart is handed out again (what the rebuild prevents)', async () => {
    const names = uniqueNames('dup-norebuild');
    const open1 = kafka.log({ partitions: 2, logger: quiet.sink, windowRebuildRecords: 0, ...names });
    await open1.open();
    const got1: Delivery[] = [];
    open1.consume((batch) => got1.push(...batch));
    const d = delivery('i-norebuild', 'counter');
    await open1.append([d]);
    await waitFor('the first copy', () => got1.some((x) => x.id === d.id));
    await open1.complete([{ id: d.id, receiver: d.receiver }]);
    await open1.close();
    const open2 = kafka.log({ partitions: 2, logger: quiet.sink, windowRebuildRecords: 0, ...names });
    await open2.open();
    const got2: Delivery[] = [];
    open2.consume((batch) => got2.push(...batch));
    await open2.append([d]);
    const seen = await drain(open2, got2, 'norebuild');
    assert.deepEqual(
      seen.map((x) => x.id),
      [d.id],
    );
  });
});
