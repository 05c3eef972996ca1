/**
 * The shared counts of absent queues in etcd (decision 2157): one key per deliveries-topic partition,
 * `<prefix>store/absent-queues/p<partition>` (keys.ts). Outside the mirrored range: only a node
 * sending to an absent agent, and the agent's claim holder publishing what it holds, read and write
 * it, so no other node's watch carries the traffic. No lease: a count outlives the node that wrote it.
 *
 * Every change is one compare-and-swap on the key's mod revision, starting from this node's last
 * copy: one round trip when nobody else wrote since; otherwise etcd answers with what it holds and
 * the change is decided again on that. A decision to write nothing is confirmed the same way (the
 * copy it was decided on is still current), so no answer is ever given from a stale copy.
 */
import { REGISTRY_CAS_ATTEMPTS } from '@caxton/core';
import { RegistryError } from '../errors.js';
import type { EtcdConnection } from './connection.js';
import { absentCountKey, type KeyLayout } from './keys.js';

/** What a change decides from the stored text: the next text (null: delete the key; undefined: no write) and its answer. */
export interface CountChange<T> {
  next: string | null | undefined;
  result: T;
}

export class EtcdAbsentCounts {
  /** This node's last copy of each partition's record (text undefined: no key), with its mod revision (0: none). */
  private readonly copies = new Map<number, { text: string | undefined; modRevision: number }>();

  constructor(
    private readonly connection: EtcdConnection,
    private readonly keys: KeyLayout,
  ) {}

  /**
   * Read-modify-write of `partition`'s record. `decide` may run more than once (another writer got
   * in between): it must depend on the text alone. Rejects with a RegistryError when etcd cannot be
   * reached, or (`registry.unavailable`, retryable) after REGISTRY_CAS_ATTEMPTS.absentCount lost
   * compares in a row.
   */
  async update<T>(partition: number, decide: (text: string | undefined) => CountChange<T>): Promise<T> {
    const { client } = this.connection;
    const key = absentCountKey(this.keys, partition);
    let copy = this.copies.get(partition) ?? { text: undefined, modRevision: 0 };
    for (let attempt = 1; ; attempt++) {
      const { next, result } = decide(copy.text);
      const txn = client.if(key, 'Mod', '==', copy.modRevision);
      const write = next === undefined ? [] : next === null ? [client.delete().key(key)] : [client.put(key).value(next)];
      const res = await this.connection.call('update an absent queue count', () =>
        txn
          .then(...write)
          .else(client.get(key))
          .commit(),
      );
      if (res.succeeded) {
        if (next !== undefined)
          copy = next === null ? { text: undefined, modRevision: 0 } : { text: next, modRevision: Number(res.header.revision) };
        this.copies.set(partition, copy);
        return result;
      }
      const kv = res.responses[0]?.response_range?.kvs[0];
      copy =
        kv === undefined ? { text: undefined, modRevision: 0 } : { text: kv.value.toString('utf8'), modRevision: Number(kv.mod_revision) };
      this.copies.set(partition, copy);
      if (attempt >= REGISTRY_CAS_ATTEMPTS.absentCount) {
        // Contention, not a fault: the same retryable refusal as etcd out of reach (docs/routing.md §6).
        throw new RegistryError(
          'registry.unavailable',
          `the absent queue count of partition ${partition} changed under this node ${attempt} times in a row`,
          {
            context: { partition, key },
            hint: 'many nodes are sending to absent agents of one partition at once: retry the send',
          },
        );
      }
    }
  }
}
