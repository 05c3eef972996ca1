import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { PartitionCache, partitionFor } from '../../../src/log/kafka/partitioner.js';

// kafkajs' DefaultPartitioner is an independent port of the Java client's keyed partitioning.
const javaCompatible = kafkajs.Partitioners.DefaultPartitioner();

function viaKafkajs(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
  return javaCompatible({ topic: 't', partitionMetadata, message: { key, value: null } });
}

describe('partitionFor (placement function)', () => {
  it('agrees with the Java-compatible partitioner for any receiver name and partition count', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 512 }), (name, n) => {
        assert.equal(partitionFor(name, n), viaKafkajs(name, n));
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads receivers over all partitions', () => {
    const seen = new Set(Array.from({ length: 2000 }, (_, i) => partitionFor(`agent-${i}`, 12)));
    assert.equal(seen.size, 12);
  });

  it('rejects a partition count below 1', () => {
    assert.throws(() => partitionFor('a', 0), RangeError);
  });
});

describe('PartitionCache', () => {
  it('answers what partitionFor answers, also after it overflowed and started over', () => {
    const cache = new PartitionCache(12, 8);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) assert.equal(cache.of(`agent-${i}`), partitionFor(`agent-${i}`, 12));
    }
  });

  it('rejects a partition count below 1 up front', () => {
    assert.throws(() => new PartitionCache(0), RangeError);
  });
});
