/**
 * The audit trail port (decision 1402): an append-only, hash-chained list of records of management
 * calls. Adapters: FileAuditTrail (embedded: a file in the data directory) and EtcdAuditTrail
 * (cluster: one key per record, so the trail outlives the node that wrote it).
 *
 * An adapter seals records itself (index, previous hash) because only it knows the head: in a
 * cluster another node may have appended since.
 */
import { hash } from 'node:crypto';
import type { AuditChainHead, AuditEntry, AuditRecord, AuditRetainedFrom, Sink, StoredAuditRecord, Unsubscribe } from '@caxton/core';

export interface AuditTrail {
  /**
   * Appends one record; resolves with it once it is durable (fsync'd, or committed by etcd) and,
   * on an anchored trail, once an anchor covers it — unless `anchor: 'later'`, for a record no
   * caller is answered on: its anchor is then written behind it (decision 2196); a later append
   * that waits for its own anchor, or `anchorCovering`, covers it too.
   */
  append(entry: AuditEntry, options?: AuditAppendOptions): Promise<AuditRecord>;
  /** On an anchored trail: resolves once an anchor covering `head` is stored, or its write failed and was reported. */
  anchorCovering?(head: AuditChainHead): Promise<void>;
  /** Up to `limit` stored records from position `from`, in order, as stored (bytes unchecked). */
  read(from: number, limit: number): Promise<StoredAuditRecord[]>;
  /** Records from `from` on, then each new one as it is appended, until unsubscribed. */
  follow(from: number, sink: Sink<StoredAuditRecord>, options?: { ready?: () => Promise<void> }): Unsubscribe;
  /**
   * Set once the trail can take no more records until the node restarts (a failed file write):
   * changes are then refused before they happen rather than done unrecorded.
   */
  readonly failed?: Error | undefined;
  /** The last stored record's index and hash (undefined: no records). */
  currentHead(): Promise<AuditChainHead | undefined>;
  /** The node's audit public key and the stored anchor, when the trail is anchored (decision 1750). */
  anchorInfo?(): Promise<AuditAnchorInfo>;
  /** Set when old records may be deleted (the file trail's segments, decision 1790). */
  readonly retention?: AuditRetention | undefined;
  /** Where the trail is kept, for `caxton status` and error messages. */
  readonly location: string;
  close(): Promise<void>;
}

export interface AuditAppendOptions {
  /** `'later'`: resolve once the record is durable, without waiting for its anchor. Default `'await'`. */
  anchor?: 'await' | 'later';
}

/** node:crypto's sha256, in the shape core's audit functions take (one-shot: no Hash object per record). */
export function sha256Hex(data: Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** What a verifier needs besides the records (decision 1750). */
export interface AuditAnchorInfo {
  /** The node's audit public key: raw Ed25519, base64. */
  key: string;
  /** The stored signed checkpoint (canonical JSON), undefined before the first. */
  anchor: string | undefined;
}

/**
 * Deleting a trail's oldest records by retention (decision 1790), in two steps so that the signed
 * anchor says where the trail starts BEFORE anything is deleted: `due` tells where it would start
 * (the first kept record and its predecessor's hash), the anchor is written with that, then `prune`.
 */
export interface AuditRetention {
  due(): Promise<AuditRetainedFrom | undefined>;
  prune(from: number): Promise<void>;
}
