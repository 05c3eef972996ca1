/**
 * Nodes of a new cluster start together: each one's open() must succeed whether it created the
 * topics or found them created a moment ago by another, before their partitions had leaders
 * (topic-readiness.ts). Before the fix, two CLI nodes starting side by side on a fresh Kafka
 * refused to start with "This server does not host this topic-partition" in 2 of 3 tries.
 * Against a real single-node KRaft broker (or CAXTON_TEST_KAFKA).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSettlingError, whileSettling } from '../../../src/log/kafka/topic-readiness.js';
import { collectingLogger, uniqueNames } from './support/broker.js';
import { useKafkaLogs } from './support/kafka-logs.js';

const quiet = collectingLogger();

describe('KafkaMessageLog: nodes of a new cluster opening at the same time', () => {
  const kafka = useKafkaLogs();

  it('every node of four fresh clusters, three nodes each, opens', { timeout: 180_000 }, async () => {
    for (let round = 0; round < 4; round++) {
      const names = uniqueNames(`together-${round}`);
      const logs = [0, 1, 2].map(() => kafka.log({ partitions: 6, logger: quiet.sink, ...names }));
      const results = await Promise.allSettled(logs.map((l) => l.open()));
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
      assert.deepEqual(failed, [], `round ${round}: every node opens`);
      for (const l of logs) assert.equal(l.partitionCount, 6);
      await Promise.all(logs.map((l) => l.close()));
    }
  });
});

describe('topic readiness: what is waited out', () => {
  it('a settling error, also when kafkajs wraps it after its own retries; not other errors', () => {
    assert.equal(isSettlingError({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }), true);
    assert.equal(isSettlingError({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: { type: 'LEADER_NOT_AVAILABLE' } }), true);
    assert.equal(isSettlingError({ name: 'KafkaJSProtocolError', type: 'OFFSET_NOT_AVAILABLE' }), true);
    assert.equal(isSettlingError({ type: 'TOPIC_AUTHORIZATION_FAILED' }), false);
    assert.equal(isSettlingError(new Error('connect ECONNREFUSED 127.0.0.1:9')), false);
  });

  it('retries while settling, up to the deadline, and passes other errors at once', async () => {
    let calls = 0;
    const v = await whileSettling(Date.now() + 10_000, async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('not yet'), { type: 'LEADER_NOT_AVAILABLE' });
      return 'ready';
    });
    assert.deepEqual([v, calls], ['ready', 3]);
    let other = 0;
    await assert.rejects(
      whileSettling(Date.now() + 10_000, async () => {
        other++;
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(other, 1);
    await assert.rejects(
      whileSettling(Date.now() + 150, async () => {
        throw Object.assign(new Error('still settling'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      }),
      /still settling/,
    );
  });
});
