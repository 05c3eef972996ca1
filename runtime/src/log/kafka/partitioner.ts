/**
 * Which partition a receiver's deliveries go to. This is the placement function of the cluster
 * (see docs/decisions/0600-kafka-bus-partitioning.md): partition = murmur2(utf8(receiver)) mod N,
 * bit-for-bit what Kafka's Java client does for a keyed record, so any producer (kafkajs here,
 * Java or librdkafka tools elsewhere) that keys by receiver lands in the same partition, and the
 * node owning that partition in the consumer group owns the agent.
 */

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i]! & 0xff) | ((data[i + 1]! & 0xff) << 8) | ((data[i + 2]! & 0xff) << 16) | ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= (data[whole + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[whole + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[whole]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const utf8 = new TextEncoder();

/** The partition of `receiver` among `partitions` (Kafka's `toPositive(murmur2(key)) % n`). */
export function partitionFor(receiver: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partition count must be ≥ 1, got ${partitions}`);
  return (murmur2(utf8.encode(receiver)) & 0x7fffffff) % partitions;
}

/**
 * partitionFor() remembered per placement key. The log asks for a receiver's partition on every
 * append and every completion; hashing the UTF-8 of the name each time showed up at ~3% of a busy
 * node's CPU. A receiver is hashed by its placement key (decision 2189: an agent deployed `--near`
 * another is hashed by that one's key; every other receiver by its name), looked up on each call
 * and remembered by the KEY, not the receiver: a key learnt after a receiver was first asked for
 * (the registry's mirror catching up) is hashed afresh, never answered from a stale entry.
 * Bounded: when full it starts over (the working set of hot receivers refills it at once).
 */
export class PartitionCache {
  private readonly known = new Map<string, number>();

  constructor(
    readonly partitions: number,
    private readonly keyOf: (receiver: string) => string = (receiver) => receiver,
    private readonly capacity = 65_536,
  ) {
    partitionFor('', partitions); // validates the count once, up front
  }

  of(receiver: string): number {
    const key = this.keyOf(receiver);
    let p = this.known.get(key);
    if (p === undefined) {
      p = partitionFor(key, this.partitions);
      if (this.known.size >= this.capacity) this.known.clear();
      this.known.set(key, p);
    }
    return p;
  }
}
