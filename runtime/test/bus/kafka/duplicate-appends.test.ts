/**
 * What the Kafka log does with a delivery appended again under the same id — an idempotent send
 * retried after the node forgot its key (decision 1700: restart, window, another node), which the
 * bus then appends again because the id is derived from (caller, key, message). Against a real
 * single-node KRaft broker (or CAXTON_TEST_KAFKA).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Delivery } from '@caxton/core';
import { KafkaMessageLog } from '../../../src/bus/kafka/index.js';
import { collectingLogger, startTestKafka, uniqueNames, waitFor, type TestKafka } from './support/broker.js';
import { delivery } from './support/deliveries.js';

const quiet = collectingLogger();

describe('KafkaMessageLog: a delivery appended twice with the same id', () => {
  let kafka: TestKafka;
  const open: KafkaMessageLog[] = [];
  before(async () => {
    kafka = await startTestKafka();
  });
  after(async () => {
    await Promise.allSettled(open.map((l) => l.close()));
    await kafka?.stop();
  });

  async function node(names: { topicPrefix: string; cluster: string }): Promise<{ log: KafkaMessageLog; got: Delivery[] }> {
    const log = new KafkaMessageLog({ brokers: [kafka.bootstrap], partitions: 2, logger: quiet.sink, ...names });
    open.push(log);
    await log.open();
    const got: Delivery[] = [];
    log.consume((batch) => got.push(...batch));
    return { log, got };
  }

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
    assert.deepEqual(seen.map((x) => x.id), [d.id]);
  });

  it('after the first copy completed: not handed out again (completed window)', async () => {
    const { log, got } = await node(uniqueNames('dup-completed'));
    const d = delivery('i-completed', 'counter');
    await log.append([d]);
    await waitFor('the first copy', () => got.some((x) => x.id === d.id));
    await log.complete([{ id: d.id, receiver: d.receiver }]);
    await log.append([d]);
    const seen = await drain(log, got, 'completed');
    assert.deepEqual(seen.map((x) => x.id), [d.id], 'the second copy was dropped');
  });

  it('after the first copy completed and the log restarted: not handed out again', { todo: 'the completed window is in memory and not rebuilt at open (decision 1700, known limit)' }, async () => {
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
    assert.deepEqual(seen.map((x) => x.id), [], 'the copy appended after the restart was dropped');
  });
});
