/**
 * The cluster audit trail: one etcd key per record, so the trail outlives the node that wrote it
 * and every node lists the same one (decision 1402).
 *
 *   <prefix>store/audit/head                {"index":n,"hash":"…"} of the last record
 *   <prefix>store/audit/records/<index, 16 digits>   the record's canonical JSON
 *
 * Under store/, outside the range every node mirrors: records never flow through the registry
 * watch. An append is one transaction: it writes the records and moves the head only if the head is
 * still the one the records link to. Two nodes appending at once cannot both win, so the chain
 * cannot fork; the loser re-reads the head, re-seals its records after it and tries again. Records
 * queued while a transaction is in flight go in the next one (group commit); a transaction resolves
 * the appends it holds once etcd has committed it (etcd commits to a quorum's disks).
 */
import {
  decodeRecord,
  GENESIS_HASH,
  sealAndEncodeRecord,
  type AuditChainHead,
  type AuditEntry,
  type AuditRecord,
  type Sink,
  type StoredAuditRecord,
  type Unsubscribe,
} from '@caxton/core';
import type { EtcdConnection } from '../registry/etcd/connection.js';
import { sha256Hex, type AuditTrail } from './audit-trail.js';
import { AuditError } from './errors.js';
import { isRegistryError } from '../registry/errors.js';
import { checkRange } from './file-audit-trail.js';
import { TrailFollowers } from './follow.js';
import { AppendQueue, type PendingAppend } from './append-queue.js';

export interface EtcdAuditTrailOptions {
  connection: EtcdConnection;
  /** The cluster's key prefix, ending in '/'. */
  prefix: string;
  /** Records per transaction at most; etcd allows 128 operations in one by default. Default 64. */
  maxBatch?: number;
  /** How often followers look for records other nodes appended (ms). Default 500. */
  pollMs?: number;
  /** Transactions lost to other nodes' appends before an append gives up. Default 100. */
  maxConflicts?: number;
  /**
   * How long an append waits out an unreachable etcd (a restart, a short outage) before the call
   * it records is answered UNAVAILABLE (ms). The call's answer waits meanwhile: acknowledged still
   * means recorded. Default 30000.
   */
  outagePatienceMs?: number;
}

const INDEX_DIGITS = 16;

export class EtcdAuditTrail implements AuditTrail {
  readonly location: string;
  private readonly conn: EtcdConnection;
  private readonly headKey: string;
  private readonly recordsPrefix: string;
  private readonly maxConflicts: number;
  private readonly outagePatienceMs: number;
  /**
   * The records of a transaction whose outcome is unknown (it timed out or the connection broke):
   * if the head turns out to be its last record it committed, and must not be appended again.
   */
  private inDoubt: AuditRecord[] | undefined;
  private head: AuditChainHead | undefined | null = null; // null: not read yet; undefined: empty trail
  private readonly appends: AppendQueue;
  private readonly followers: TrailFollowers;

  constructor(options: EtcdAuditTrailOptions) {
    this.conn = options.connection;
    this.headKey = `${options.prefix}store/audit/head`;
    this.recordsPrefix = `${options.prefix}store/audit/records/`;
    this.appends = new AppendQueue(Math.min(options.maxBatch ?? 64, 126), (batch) => this.write(batch));
    this.followers = new TrailFollowers(this, options.pollMs ?? 500);
    this.maxConflicts = options.maxConflicts ?? 100;
    this.outagePatienceMs = options.outagePatienceMs ?? 30_000;
    this.location = `etcd ${options.prefix}store/audit/`;
  }

  /** The key of record `index` (zero-padded so keys sort as indexes do). */
  recordKey(index: number): string {
    return `${this.recordsPrefix}${String(index).padStart(INDEX_DIGITS, '0')}`;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    return this.appends.append(entry);
  }

  /** One batch of the append queue, in one transaction. */
  private async write(batch: PendingAppend[]): Promise<void> {
    try {
      const records = await this.commitPatiently(batch.map((p) => p.entry));
      for (const [i, pending] of batch.entries()) pending.resolve(records[i]!);
      this.followers.appended();
    } catch (err) {
      // Unlike a file, a failed transaction changed nothing: later appends may still succeed.
      const failure =
        err instanceof AuditError
          ? err
          : new AuditError('audit.unavailable', `appending to the audit trail in etcd failed: ${(err as Error).message}`, {
              hint: 'check that etcd is reachable; management calls are answered UNAVAILABLE until it is',
              cause: err,
            });
      this.head = null; // re-read: a timed-out transaction may have committed
      for (const pending of batch) pending.reject(failure);
    }
  }

  /** commit(), riding out an unreachable etcd for up to `outagePatienceMs` (backoff 100 ms … 2 s). */
  private async commitPatiently(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const deadline = Date.now() + this.outagePatienceMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      try {
        const records = await this.commit(entries);
        this.inDoubt = undefined;
        return records;
      } catch (err) {
        this.head = null; // re-read: a timed-out transaction may have committed
        if (this.appends.closed || !isRegistryError(err, 'registry.unavailable') || Date.now() + wait > deadline) {
          this.inDoubt = undefined;
          throw err;
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Seals `entries` after the current head and commits them, re-sealing after a lost race. */
  private async commit(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const client = this.conn.client;
    for (let attempt = 0; attempt <= this.maxConflicts; attempt += 1) {
      if (this.head === null) this.head = await this.readHead();
      const head = this.head;
      // The last attempt's transaction did commit (its answer was lost): those are our records.
      const doubtful = this.inDoubt;
      if (doubtful !== undefined && (await this.landed(doubtful, head))) {
        this.inDoubt = undefined;
        if (head?.hash !== doubtful[doubtful.length - 1]!.hash) this.head = null; // moved past ours: read again
        return doubtful;
      }
      const records: AuditRecord[] = [];
      const encoded: Uint8Array[] = [];
      let prev = head?.hash ?? GENESIS_HASH;
      let index = head ? head.index + 1 : 0;
      for (const entry of entries) {
        // Sealed and encoded in one pass (decision 2110).
        const { record, bytes } = sealAndEncodeRecord(entry, index, prev, sha256Hex);
        records.push(record);
        encoded.push(bytes);
        prev = record.hash;
        index += 1;
      }
      const last = records[records.length - 1]!;
      const writes = [
        ...records.map((r, i) => client.put(this.recordKey(r.index)).value(Buffer.from(encoded[i]!))),
        client.put(this.headKey).value(JSON.stringify({ index: last.index, hash: last.hash })),
      ];
      const txn = head
        ? client.if(this.headKey, 'Value', '==', JSON.stringify({ index: head.index, hash: head.hash }))
        : client.if(this.headKey, 'Create', '==', 0);
      this.inDoubt = records;
      const res = await this.conn.call('append to the audit trail', () =>
        txn
          .then(...writes)
          .else(client.get(this.headKey))
          .commit(),
      );
      if (res.succeeded) {
        this.inDoubt = undefined;
        this.head = { index: last.index, hash: last.hash };
        return records;
      }
      const current = res.responses[0]?.response_range?.kvs[0]?.value;
      this.head = current ? parseHead(current.toString('utf8'), this.headKey) : undefined;
      // Refused — but this very transaction may have committed and been sent again (the etcd client
      // retries a call whose answer timed out), the retry finding the head it had moved. Still in
      // doubt until that is known (a failed read leaves it in doubt for the next attempt).
      const ours = await this.landed(records, this.head);
      this.inDoubt = undefined; // a definite answer now: ours committed, or refused because the head moved
      if (ours) {
        if (this.head?.hash !== last.hash) this.head = null; // moved past ours: read again
        return records;
      }
    }
    throw new AuditError(
      'audit.unavailable',
      `the audit trail's head kept moving: ${this.maxConflicts} appends in a row lost to other nodes`,
      {
        hint: 'the cluster is appending faster than this node can follow; retry the call',
      },
    );
  }

  /**
   * Whether `records` were committed: the head is their last, or moved past it with their first in
   * its place. Records are sealed deterministically (index, previous hash, the whole entry), and a
   * transaction is atomic, so a matching first record means the whole batch is ours.
   */
  private async landed(records: readonly AuditRecord[], head: AuditChainHead | undefined): Promise<boolean> {
    const last = records[records.length - 1]!;
    if (head === undefined || head.index < last.index) return false;
    if (head.index === last.index) return head.hash === last.hash;
    return (await this.hashAt(records[0]!.index)) === records[0]!.hash;
  }

  /** The hash of the record stored at `index`, if any (undefined: none there, or unreadable). */
  private async hashAt(index: number): Promise<string | undefined> {
    const raw = await this.conn.call('read the audit trail', () => this.conn.client.get(this.recordKey(index)).buffer());
    if (raw === null) return undefined;
    try {
      return decodeRecord(raw).hash;
    } catch {
      return undefined;
    }
  }

  /** Read from etcd each time: other nodes append too. */
  currentHead(): Promise<AuditChainHead | undefined> {
    return this.readHead();
  }

  private async readHead(): Promise<AuditChainHead | undefined> {
    const raw = await this.conn.call('read the audit trail head', () => this.conn.client.get(this.headKey).string());
    return raw === null ? undefined : parseHead(raw, this.headKey);
  }

  async read(from: number, limit: number): Promise<StoredAuditRecord[]> {
    checkRange(from, limit);
    const end = from + limit > 10 ** INDEX_DIGITS ? `${this.recordsPrefix}:` : this.recordKey(from + limit);
    const res = await this.conn.call('read the audit trail', () =>
      this.conn.client
        .getAll()
        .inRange({ start: this.recordKey(from), end })
        .sort('Key', 'Ascend')
        .limit(limit)
        .exec(),
    );
    return res.kvs.map((kv) => ({ position: Number(kv.key.toString('utf8').slice(this.recordsPrefix.length)), bytes: kv.value }));
  }

  follow(from: number, sink: Sink<StoredAuditRecord>, options: { ready?: () => Promise<void> } = {}): Unsubscribe {
    return this.followers.follow(from, sink, options);
  }

  close(): Promise<void> {
    return this.appends.close();
  }
}

function parseHead(raw: string, key: string): AuditChainHead {
  try {
    const head = JSON.parse(raw) as AuditChainHead;
    if (Number.isSafeInteger(head.index) && typeof head.hash === 'string') return { index: head.index, hash: head.hash };
  } catch {
    // reported below
  }
  throw new AuditError('audit.corrupt', `the audit trail head ${key} in etcd is damaged: ${raw.slice(0, 120)}`, {
    context: { key },
    hint: 'run `caxton audit verify` to find the last good record, then put {"index":…,"hash":…} of it back at that key',
  });
}
