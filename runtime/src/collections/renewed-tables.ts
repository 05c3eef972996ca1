/**
 * A Map and a Set for the bus's long-lived, busy tables (pending deliveries, ready and busy agents,
 * settlement chains): every entry comes and goes within milliseconds, the table itself lives as
 * long as the node. Decision 2209.
 *
 * Why not a plain Map: V8 keeps a Map's entries in one hash table and replaces the table whenever it
 * fills up (new keys land after deleted ones' holes) or falls below a quarter full. The replacement
 * is allocated where the table it replaces lives, and a long-lived table ends up in the old
 * generation (a full collection promotes everything young), so from then on a table that takes one
 * key in and one out per message allocates its next tables in the old generation, never freed
 * until the next full collection. On the bus at half load that churn was about half of the old
 * generation's growth, and the full collections it brought on every few seconds were the slowest
 * hundredth of outside requests (issue 60). Copying the entries into a fresh Map now and then
 * puts the table back in the young generation, where its replacements are short-lived and
 * collected by the cheap scavenges.
 *
 * The copy keeps insertion order, and is never made while the table is being iterated (an
 * iteration goes on over the table it started on; a copy under it would hide later changes from it).
 * Amortised: one copy per at least `RENEW_AFTER` changes and at least twice its size.
 *
 * Iterate with `for…of`, spread or `Promise.all`: they finish or close the iterator. An iterator
 * taken by hand and dropped half-way is never closed, and holds renewal off for the table's life
 * (the table stays correct, only back to a plain Map's garbage).
 */

/** Changes (adds and deletes) between two renewals, at the least. */
export const RENEW_AFTER = 2048;

export class RenewedMap<K, V> implements Iterable<[K, V]> {
  private inner = new Map<K, V>();
  private changes = 0;
  private iterating = 0;
  private renewed = 0;

  /** How many times the table was copied into a fresh one (for tests and diagnostics). */
  get renewals(): number {
    return this.renewed;
  }

  get size(): number {
    return this.inner.size;
  }

  get(key: K): V | undefined {
    return this.inner.get(key);
  }

  has(key: K): boolean {
    return this.inner.has(key);
  }

  set(key: K, value: V): this {
    this.inner.set(key, value);
    this.changed();
    return this;
  }

  delete(key: K): boolean {
    if (!this.inner.delete(key)) return false;
    this.changed();
    return true;
  }

  *[Symbol.iterator](): Generator<[K, V]> {
    this.iterating++;
    try {
      yield* this.inner;
    } finally {
      this.iterating--;
    }
  }

  private changed(): void {
    if (++this.changes < RENEW_AFTER || this.iterating > 0 || this.changes < 2 * this.inner.size) return;
    this.inner = new Map(this.inner);
    this.changes = 0;
    this.renewed++;
  }
}

export class RenewedSet<T> implements Iterable<T> {
  private inner = new Set<T>();
  private changes = 0;
  private iterating = 0;
  private renewed = 0;

  /** How many times the table was copied into a fresh one (for tests and diagnostics). */
  get renewals(): number {
    return this.renewed;
  }

  get size(): number {
    return this.inner.size;
  }

  has(value: T): boolean {
    return this.inner.has(value);
  }

  add(value: T): this {
    const before = this.inner.size;
    this.inner.add(value);
    if (this.inner.size !== before) this.changed();
    return this;
  }

  delete(value: T): boolean {
    if (!this.inner.delete(value)) return false;
    this.changed();
    return true;
  }

  *[Symbol.iterator](): Generator<T> {
    this.iterating++;
    try {
      yield* this.inner;
    } finally {
      this.iterating--;
    }
  }

  private changed(): void {
    if (++this.changes < RENEW_AFTER || this.iterating > 0 || this.changes < 2 * this.inner.size) return;
    this.inner = new Set(this.inner);
    this.changes = 0;
    this.renewed++;
  }
}
