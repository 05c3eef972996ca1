/**
 * Absent queues bounded at the send on every node of a cluster (decision 2157). An absent agent's
 * queue is kept by its claim holder, but a send may enter through any node: each node's sends to
 * an absent agent take their places in one count per deliveries-topic partition in etcd
 * (absent-count-record.ts, registry/etcd/absent-counts.ts) before they are appended, and the holder
 * publishes, every sweep, the deliveries it holds for each absent agent, which replace the places
 * their sends took. So the bound — the holder's, partition budget included — is checked against
 * everything accepted for the agent, whichever node accepted it.
 *
 * A node's requests for one partition are taken in one transaction at a time: those that arrive
 * while one is in flight go together in the next (one round trip for a burst, no conflicts among
 * this node's own sends).
 */
import type { AbsentBound } from '../../node/absent-bound.js';
import type { EtcdAbsentCounts } from '../../registry/etcd/absent-counts.js';
import type { SharedAbsentCount } from '../../bus/port.js';
import {
  dropExpiredPlaces,
  isEmptyCount,
  parseAbsentCount,
  publishHeld,
  serializeAbsentCount,
  takePlaces,
  type AbsentCountRecord,
  type HeldPublication,
  type PlaceRequest,
} from './absent-count-record.js';

/**
 * How long a place stays taken without its delivery in the holder's list: twice the Kafka log's
 * append timeout (30 s), so an append has its answer, and the holder a sweep to list what it got,
 * well before. A place older is dropped (its sender died, its append failed, or the delivery left
 * the queue before a publication listed it).
 */
export const ABSENT_PLACE_TTL_MS = 60_000;

export interface SharedAbsentCountsOptions {
  store: EtcdAbsentCounts;
  /** This node's incarnation (id and start): a list published by another one is a failover's to take over. */
  holder: string;
  partitionOf(agent: string): number;
  /** Absent deliveries one partition may hold (decision 1990, *Cluster*). */
  budget: number;
  /** Absent anywhere in the cluster: its record says stopped with the queue kept, or the kill switch suspends it. */
  isAbsent(agent: string): boolean;
  /** The agent's own bound, from its registry record (its deployment's, else this node's default). */
  ownBound(agent: string): number;
  now?: () => number;
}

type Step = (record: AbsentCountRecord, now: number) => void;

interface Pending {
  step: Step;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SharedAbsentCounts implements SharedAbsentCount {
  private readonly now: () => number;
  /** Per partition: the steps waiting for the next transaction, and whether one is in flight. */
  private readonly lanes = new Map<number, { waiting: Pending[]; running: boolean }>();
  /** Partitions this node published a list in (looked at again by each publication until it holds none there). */
  private readonly published = new Set<number>();

  constructor(private readonly o: SharedAbsentCountsOptions) {
    this.now = o.now ?? Date.now;
  }

  counts(agent: string): boolean {
    return this.o.isAbsent(agent);
  }

  async take(deliveries: readonly { id: string; receiver: string }[]): Promise<Map<string, AbsentBound>> {
    const own = new Map<string, number>();
    for (const d of deliveries) if (!own.has(d.receiver)) own.set(d.receiver, this.o.ownBound(d.receiver));
    const byPartition = new Map<number, PlaceRequest[]>();
    for (const d of deliveries) {
      const p = this.o.partitionOf(d.receiver);
      const list = byPartition.get(p) ?? [];
      list.push({ id: d.id, agent: d.receiver, own: own.get(d.receiver)! });
      byPartition.set(p, list);
    }
    const refused = new Map<string, AbsentBound>();
    /** Per partition, the places this call took (the last attempt's): given back if another partition fails. */
    const took = new Map<number, string[]>();
    const outcomes = await Promise.allSettled(
      [...byPartition].map(([p, requests]) =>
        this.run(p, (record, now) => {
          // Decided again on each attempt: only the last one's answer counts.
          for (const r of requests) refused.delete(r.id);
          dropExpiredPlaces(record, now, ABSENT_PLACE_TTL_MS);
          const before = new Set(requests.filter((r) => record.taken.has(r.id)).map((r) => r.id));
          for (const [id, bound] of takePlaces(record, requests, this.o.budget, this.o.isAbsent, now)) refused.set(id, bound);
          took.set(
            p,
            requests.filter((r) => !before.has(r.id) && record.taken.has(r.id)).map((r) => r.id),
          );
        }),
      ),
    );
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed === undefined) return refused;
    // The send fails as a whole: the places it took in the other partitions go back now rather than
    // staying counted until they expire (a retry of the send takes them again).
    const partitions = [...byPartition.keys()];
    await Promise.allSettled(
      outcomes.map((o, i) => {
        const ids = took.get(partitions[i]!);
        if (o.status !== 'fulfilled' || ids === undefined || ids.length === 0) return undefined;
        return this.run(partitions[i]!, (record) => {
          for (const id of ids) record.taken.delete(id);
        });
      }),
    );
    throw failed.reason;
  }

  /**
   * The holder's publication: `held`, the absent agents whose queues this node holds now, each
   * with the deliveries it holds; the partitions it published before are looked at again too, so
   * an agent that is back (or moved away) leaves them. Resolves once every partition is written.
   */
  async publish(held: readonly HeldPublication[]): Promise<void> {
    const byPartition = new Map<number, HeldPublication[]>();
    for (const p of this.published) byPartition.set(p, []);
    for (const h of held) {
      const p = this.o.partitionOf(h.agent);
      const list = byPartition.get(p) ?? [];
      list.push(h);
      byPartition.set(p, list);
    }
    await Promise.all(
      [...byPartition].map(async ([p, mine]) => {
        await this.run(p, (record, now) => publishHeld(record, mine, this.o.holder, this.o.isAbsent, now, ABSENT_PLACE_TTL_MS));
        if (mine.length > 0) this.published.add(p);
        else this.published.delete(p);
      }),
    );
  }

  /** Runs `step` on partition `p`'s record in the lane's next transaction. */
  private run(p: number, step: Step): Promise<void> {
    let lane = this.lanes.get(p);
    if (lane === undefined) {
      lane = { waiting: [], running: false };
      this.lanes.set(p, lane);
    }
    const l = lane;
    return new Promise<void>((resolve, reject) => {
      l.waiting.push({ step, resolve, reject });
      if (!l.running) void this.drain(p, l);
    });
  }

  private async drain(p: number, lane: { waiting: Pending[]; running: boolean }): Promise<void> {
    lane.running = true;
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0);
      try {
        await this.o.store.update(p, (text) => {
          const record = parseAbsentCount(text);
          const before = serializeAbsentCount(record);
          const now = this.now();
          for (const b of batch) b.step(record, now);
          const after = serializeAbsentCount(record);
          return { next: after === before ? undefined : isEmptyCount(record) ? null : after, result: undefined };
        });
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    lane.running = false;
    this.lanes.delete(p);
  }
}
