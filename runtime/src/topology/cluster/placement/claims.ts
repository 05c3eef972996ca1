/**
 * Ownership claims in etcd: `owners/<agent>` created only if absent, bound to the claimant's
 * membership lease (so a dead node's claims vanish with it), deleted only by compare on the token.
 */
import type { EtcdRegistry } from '../../../registry/etcd/etcd-registry.js';
import type { EtcdMembership } from '../../../registry/etcd/membership.js';
import type { MirrorEntry } from '../../../registry/etcd/mirror.js';
import type { Claim } from './plan.js';

interface StoredClaim {
  node: string;
  lease: string;
  claimedAt: number;
}

export function parseClaim(entry: MirrorEntry): Claim | undefined {
  try {
    const c = JSON.parse(entry.value.toString('utf8')) as Partial<StoredClaim>;
    if (typeof c.node !== 'string') return undefined;
    // The lease that matters is the one etcd binds the key to, not what the value says.
    return { node: c.node, lease: entry.lease, token: entry.createRevision };
  } catch {
    return undefined;
  }
}

export class ClaimStore {
  constructor(private readonly registry: EtcdRegistry) {}

  /** Current claims from the local mirror (may lag etcd; claims themselves are decided in etcd). */
  claims(): Map<string, Claim> {
    const out = new Map<string, Claim>();
    const prefix = this.registry.keys.sectionPrefix('owners');
    for (const e of this.registry.entries('owners')) {
      const c = parseClaim(e);
      if (c) out.set(e.key.slice(prefix.length), c);
    }
    return out;
  }

  /** Claims `agent` under the membership's lease if nobody holds it. Returns the token, or undefined if taken. */
  async claim(agent: string, membership: EtcdMembership): Promise<number | undefined> {
    const { client } = this.registry.connection;
    const key = this.registry.keys.key('owners', agent);
    const stored: StoredClaim = { node: membership.node.id, lease: membership.leaseId, claimedAt: Date.now() };
    const value = JSON.stringify(stored);
    const res = await this.registry.connection.call('claim an agent', () =>
      client.if(key, 'Create', '==', 0).then(client.put(key).value(value).lease(membership.leaseId)).commit(),
    );
    if (!res.succeeded) return undefined;
    const token = Number(res.header.revision);
    this.registry.mirrorApply(
      key,
      { key, value: Buffer.from(value), createRevision: token, modRevision: token, lease: membership.leaseId },
      token,
    );
    return token;
  }

  /** Deletes our claim, only if it is still the one with `token`. */
  async release(agent: string, token: number): Promise<void> {
    const { client } = this.registry.connection;
    const key = this.registry.keys.key('owners', agent);
    const res = await this.registry.connection.call('release an agent', () =>
      client.if(key, 'Create', '==', token).then(client.delete().key(key)).commit(),
    );
    if (res.succeeded) this.registry.mirrorApply(key, undefined, Number(res.header.revision));
  }

  /**
   * Authoritative check, one etcd round trip: does the claim with `token` still exist under this
   * lease? False when etcd says no or cannot be asked (never "probably yes").
   */
  async confirm(agent: string, token: number, leaseId: string): Promise<boolean> {
    const { client } = this.registry.connection;
    const key = this.registry.keys.key('owners', agent);
    try {
      const res = await this.registry.connection.call('confirm an ownership claim', () =>
        client.if(key, 'Create', '==', token).and(key, 'Lease', '==', leaseId).commit(),
      );
      return res.succeeded;
    } catch {
      return false;
    }
  }
}
