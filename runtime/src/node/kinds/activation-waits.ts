/**
 * Instances whose mail waits for a slot to be activated in (decision 1980), indexed by partition in
 * a cluster (decision 2060). Pure: no clock, no I/O. A cluster's waiting mail is handed-out
 * deliveries of its partition, and the partition's consumer pauses once `maxPendingPerPartition`
 * of them are out, so every agent and key on it would get nothing while activations wait. The
 * cap (`activationWaitCap`, a quarter of that window) keeps waits to a share of it, and each key to a share
 * of the cap (`activationWaitsPerKey`): `room` says how much of one instance's waiting mail fits.
 *
 * It is the `Set` of waiting names the kinds already kept (same iteration order, same `add` and
 * `delete`), with a per-partition index kept beside it when a partition function is given.
 */
export class ActivationWaits extends Set<string> {
  private readonly byPartition = new Map<number, Set<string>>();
  /** Each indexed name's partition as computed when it was added: `delete` never computes it again (the count can change, or the log be closed). */
  private readonly partitionOfName = new Map<string, number>();
  private partitionOf: ((name: string) => number) | undefined;

  /** A cluster: waits are counted per partition from now on (names already waiting are indexed). */
  indexBy(partitionOf: (name: string) => number): void {
    this.partitionOf = partitionOf;
    this.byPartition.clear();
    this.partitionOfName.clear();
    for (const name of this) this.index(name);
  }

  override add(name: string): this {
    if (!this.has(name)) this.index(name);
    return super.add(name);
  }

  override delete(name: string): boolean {
    if (!super.delete(name)) return false;
    const p = this.partitionOfName.get(name);
    if (p !== undefined) {
      this.partitionOfName.delete(name);
      const on = this.byPartition.get(p);
      on?.delete(name);
      if (on?.size === 0) this.byPartition.delete(p);
    }
    return true;
  }

  override clear(): void {
    super.clear();
    this.byPartition.clear();
    this.partitionOfName.clear();
  }

  /** The instances waiting on `partition` (empty without an index). */
  on(partition: number): ReadonlySet<string> {
    return this.byPartition.get(partition) ?? EMPTY;
  }

  /**
   * How many of `name`'s deliveries may wait on its partition (undefined: no bound, one node without
   * an index — the mail there is in the node's own log, and routing refused the sends past the
   * shard's bound). The room is what the others waiting on the partition leave of `cap`, and at
   * most `perKey` (one key cannot take the whole cap and starve the later ones). The caller refuses
   * only `name`'s newest deliveries beyond it: the total was within the cap before this arrival, so
   * the mail that waited already — other senders' too — keeps waiting.
   */
  room(name: string, depthOf: (name: string) => number, cap: number, perKey: number): number | undefined {
    if (this.partitionOf === undefined) return undefined;
    let others = 0;
    for (const other of this.on(this.partitionOfName.get(name) ?? this.partitionOf(name))) {
      if (other === name) continue;
      others += depthOf(other);
      if (others >= cap) return 0;
    }
    return Math.max(0, Math.min(perKey, cap - others));
  }

  private index(name: string): void {
    if (this.partitionOf === undefined) return;
    const p = this.partitionOf(name);
    this.partitionOfName.set(name, p);
    let on = this.byPartition.get(p);
    if (on === undefined) this.byPartition.set(p, (on = new Set()));
    on.add(name);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
