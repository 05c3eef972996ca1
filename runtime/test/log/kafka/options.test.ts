import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KAFKA_REQUEST_LIMIT_TABLE, LimitOutOfRangeError, STATE_SWEEP_LIMIT_TABLE } from '@caxton/core';
import { resolveOptions } from '../../../src/log/kafka/options.js';

const brokers = ['localhost:9092'];

describe("Kafka options: the request shape (core's KAFKA_REQUEST_LIMIT_TABLE)", () => {
  it('takes each default from the table', () => {
    const o = resolveOptions({ brokers });
    assert.equal(o.lingerMs, KAFKA_REQUEST_LIMIT_TABLE.lingerMs.default);
    assert.equal(o.fetchMinBytes, KAFKA_REQUEST_LIMIT_TABLE.fetchMinBytes.default);
    assert.equal(o.fetchMaxWaitMs, KAFKA_REQUEST_LIMIT_TABLE.fetchMaxWaitMs.default);
    assert.equal(o.fetchMaxBytesPerPartition, KAFKA_REQUEST_LIMIT_TABLE.fetchMaxBytesPerPartition.default);
  });

  it('accepts values up to each ceiling', () => {
    const o = resolveOptions({
      brokers,
      lingerMs: KAFKA_REQUEST_LIMIT_TABLE.lingerMs.ceiling,
      fetchMinBytes: KAFKA_REQUEST_LIMIT_TABLE.fetchMinBytes.ceiling,
      fetchMaxWaitMs: 0,
      fetchMaxBytesPerPartition: 1,
    });
    assert.deepEqual(
      [o.lingerMs, o.fetchMinBytes, o.fetchMaxWaitMs, o.fetchMaxBytesPerPartition],
      [KAFKA_REQUEST_LIMIT_TABLE.lingerMs.ceiling, KAFKA_REQUEST_LIMIT_TABLE.fetchMinBytes.ceiling, 0, 1],
    );
  });

  it('refuses values past the ceiling, below the floor or not integers, naming the option', () => {
    for (const [name, value] of [
      ['lingerMs', KAFKA_REQUEST_LIMIT_TABLE.lingerMs.ceiling + 1],
      ['lingerMs', -1],
      ['lingerMs', 0.5],
      ['fetchMinBytes', 0],
      ['fetchMaxWaitMs', KAFKA_REQUEST_LIMIT_TABLE.fetchMaxWaitMs.ceiling + 1],
      ['fetchMaxBytesPerPartition', 0],
      ['fetchMaxBytesPerPartition', Number.NaN],
    ] as const) {
      assert.throws(
        () => resolveOptions({ brokers, [name]: value }),
        (e: Error) => e instanceof LimitOutOfRangeError && e.message.startsWith(`KafkaMessageLog.${name}: `),
        `${name}=${value}`,
      );
    }
  });
});

describe("Kafka options: the state sweep (core's STATE_SWEEP_LIMIT_TABLE)", () => {
  it("takes the table's defaults and the values given", () => {
    assert.deepEqual(resolveOptions({ brokers }).stateSweep, {
      maxClaims: STATE_SWEEP_LIMIT_TABLE.maxClaims.default,
      batch: STATE_SWEEP_LIMIT_TABLE.batch.default,
      intervalMs: STATE_SWEEP_LIMIT_TABLE.intervalMs.default,
    });
    assert.deepEqual(resolveOptions({ brokers, stateSweep: { maxClaims: 1, intervalMs: 10 } }).stateSweep, {
      maxClaims: 1,
      batch: STATE_SWEEP_LIMIT_TABLE.batch.default,
      intervalMs: 10,
    });
  });

  it('refuses a run too small for a header and one tombstone, a zero interval, an unknown setting', () => {
    for (const stateSweep of [{ batch: 1 }, { intervalMs: 0 }, { maxClaims: 0 }, { maxClaims: 1.5 }]) {
      assert.throws(
        () => resolveOptions({ brokers, stateSweep }),
        (e: Error) => e instanceof LimitOutOfRangeError && e.message.startsWith('KafkaMessageLog.stateSweep.'),
        JSON.stringify(stateSweep),
      );
    }
    assert.throws(() => resolveOptions({ brokers, stateSweep: { claims: 3 } as never }), { code: 'limits.unknown' });
  });
});

describe('Kafka options: the placement key (decision 2189)', () => {
  it('keeps the function the topology gives, which every partition of a receiver is computed from', () => {
    const placementKeyOf = (receiver: string): string => (receiver === 'ping' ? 'echo' : receiver);
    assert.equal(resolveOptions({ brokers, placementKeyOf }).placementKeyOf, placementKeyOf);
    assert.equal(resolveOptions({ brokers }).placementKeyOf, undefined);
  });
});
