/**
 * A cluster node's audit anchor: one etcd key per node, `<prefix>store/audit/anchors/<node>`, next
 * to the trail's keys (decision 1750). Each node anchors the heads it appended, signed with its own
 * key, so a verifier asking any node can check that node's anchor with that node's key alone. A
 * write is a compare-and-swap that never moves the anchor back (a node id is held by one process at
 * a time, but a stopping and a starting process may overlap).
 */
import { decodeSignedCheckpoint } from '@caxton/core';
import type { EtcdConnection } from '../registry/etcd/connection.js';
import type { AuditAnchorStore } from './anchor-store.js';
import { AuditError } from './errors.js';

export class EtcdAuditAnchorStore implements AuditAnchorStore {
  readonly key: string;

  constructor(
    private readonly conn: EtcdConnection,
    prefix: string,
    nodeId: string,
  ) {
    this.key = `${prefix}store/audit/anchors/${nodeId}`;
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
