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
    const cache = new PartitionCache(12, undefined, 8);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++) assert.equal(cache.of(`agent-${i}`), partitionFor(`agent-${i}`, 12));
    }
  });

  it('rejects a partition count below 1 up front', () => {
    assert.throws(() => new PartitionCache(0), RangeError);
  });

  it('hashes a receiver by its placement key (decision 2189): an agent near another shares its partition', () => {
    const keys = new Map([['ping', 'echo']]);
    const cache = new PartitionCache(12, (r) => keys.get(r) ?? r);
    assert.equal(cache.of('ping'), partitionFor('echo', 12));
    assert.equal(cache.of('ping'), cache.of('echo'));
    assert.equal(cache.of('other'), partitionFor('other', 12));
  });

  it('remembers by key, so a key learnt after the receiver was first asked for is answered afresh', () => {
    const keys = new Map<string, string>();
    const cache = new PartitionCache(12, (r) => keys.get(r) ?? r);
    // Names whose own partitions differ, so the answer shows which was hashed.
    const [a, b] = ['ping-1', 'echo-1'];
    assert.notEqual(partitionFor(a, 12), partitionFor(b, 12));
    assert.equal(cache.of(a), partitionFor(a, 12));
    keys.set(a, b); // the registry's mirror saw a's record
    assert.equal(cache.of(a), partitionFor(b, 12));
  });
});
