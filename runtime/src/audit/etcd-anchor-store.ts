/**
 * The cluster's audit anchor: one etcd key, `<prefix>store/audit/anchor`, next to the trail's keys
 * (decision 1750). Every node anchors the heads it appended, so a write is a compare-and-swap that
 * never moves the anchor back: a node whose head was overtaken by another's leaves the later one.
 */
import { decodeSignedCheckpoint } from '@caxton/core';
import type { EtcdConnection } from '../registry/etcd/connection.js';
import type { AuditAnchorStore } from './anchor-store.js';
import { AuditError } from './errors.js';

export class EtcdAuditAnchorStore implements AuditAnchorStore {
  readonly key: string;

  constructor(private readonly conn: EtcdConnection, prefix: string) {
    this.key = `${prefix}store/audit/anchor`;
  }

  async readAuditAnchor(): Promise<string | undefined> {
    const raw = await this.conn.call('read the audit anchor', () => this.conn.client.get(this.key).string());
    return raw ?? undefined;
  }

  async writeAuditAnchor(anchor: string, index: number): Promise<void> {
    const client = this.conn.client;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const current = await this.readAuditAnchor();
      if (current !== undefined && storedIndex(current) >= index) return;
      const txn = current === undefined ? client.if(this.key, 'Create', '==', 0) : client.if(this.key, 'Value', '==', current);
      const res = await this.conn.call('write the audit anchor', () => txn.then(client.put(this.key).value(anchor)).commit());
      if (res.succeeded) return;
    }
    throw new AuditError('audit.unavailable', `the audit anchor ${this.key} kept changing: 100 writes in a row lost to other nodes`, {
      hint: 'the trail is anchored again with the next append; `caxton audit verify` checks against the anchor as stored',
    });
  }
}

/** The index a stored anchor covers; -1 for one that cannot be read (any genuine one replaces it). */
function storedIndex(raw: string): number {
  try {
    return decodeSignedCheckpoint(raw).checkpoint.index;
  } catch {
    return -1;
  }
}
