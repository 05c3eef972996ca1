/**
 * A node's membership of an etcd cluster: a lease, `nodes/<id>` bound to it, and a keep-alive loop.
 *
 * The loop is ours, not etcd3's automatic one, because fencing needs a deadline we can trust: when a
 * keep-alive SENT at local time t is answered with TTL s, etcd cannot expire the lease before
 * t + s (etcd received it after t and restarted the full TTL; leader changes only extend leases).
 * `validUntil` = t + s − safetyMargin. A node that cannot renew before `validUntil` declares itself
 * lost at that moment, which is before any peer can see the lease go. See 0702-placement-fencing.md.
 * Deadlines are kept on the monotonic clock (performance.now): a wall-clock step backwards (NTP)
 * must not stretch a lease; `validUntil` converts to epoch ms at the moment it is read.
 */
import type { Lease } from 'etcd3';
import type { CaxtonError } from '@caxton/core';
import { NODE_FEATURES, type Membership, type NodeAnnouncement, type NodeRecord } from '../../storage/records.js';
import { RegistryError } from '../errors.js';
import { Listeners } from '../listeners.js';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

export interface EtcdMembershipOptions {
  /** Subtracted from the server-side expiry bound (ms). Default: 10% of the TTL, at least 250 ms. */
  safetyMarginMs?: number;
  /** How long join() waits for a stale record of the same node id to expire. Default ttl + 2 s. */
  joinTimeoutMs?: number;
  /** Wall clock for the node record's timestamps. Default Date.now. */
  now?: () => number;
  /**
   * A cluster-wide fact the join must agree with, compared in the same transaction that writes
   * nodes/<id> (decision 2097: the replica mode), so a rejoin after a lease loss checks it again.
   * When the key holds another value, `refuse(value)` is thrown and nothing is written.
   */
  joinsOnlyIf?: { key: string; value: string; refuse: (held: string | undefined) => Error };
}

/** What is stored at nodes/<id>. */
export interface StoredNode extends NodeRecord {
  lease: string;
}

export class EtcdMembership implements Membership {
  private live = true;
  /** Monotonic (performance.now) deadline. */
  private deadline: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly lostListeners = new Listeners<CaxtonError>();
  private readonly margin: number;

  private constructor(
    private readonly conn: EtcdConnection,
    private readonly lease: Lease,
    readonly leaseId: string,
    readonly node: NodeRecord,
    readonly ttlSeconds: number,
    grantedAt: number,
    opts: EtcdMembershipOptions,
    private readonly onEnd: (m: EtcdMembership) => void,
  ) {
    this.margin = opts.safetyMarginMs ?? Math.max(250, ttlSeconds * 100);
    this.deadline = grantedAt + ttlSeconds * 1000 - this.margin;
    this.armExpiry();
    this.scheduleRenew(this.renewInterval());
  }

  /**
   * Grants a lease and creates nodes/<id> under it, only if no other live lease holds that id. A
   * record left by this node's previous run (a lease nobody renews any more) is waited out, up to
   * joinTimeoutMs; a holder whose lease is seen being renewed is a live duplicate: refused at once.
   */
  static async join(
    conn: EtcdConnection,
    keys: KeyLayout,
    announcement: NodeAnnouncement,
    ttlSeconds: number,
    opts: EtcdMembershipOptions,
    onEnd: (m: EtcdMembership) => void,
  ): Promise<EtcdMembership> {
    const now = opts.now ?? Date.now;
    const key = keys.key('nodes', announcement.id);
    const giveUpAt = performance.now() + (opts.joinTimeoutMs ?? ttlSeconds * 1000 + 2000);
    let previous: { lease: string; ttl: number } | undefined;
    for (;;) {
      const grantedAt = performance.now();
      const lease = conn.client.lease(ttlSeconds, { autoKeepAlive: false, deadline: conn.deadline() });
      const leaseId = await conn.call('grant a membership lease', () => lease.grant());
      const at = now();
      const record: StoredNode = {
        id: announcement.id,
        address: announcement.address,
        startedAt: at,
        lastSeen: at,
        features: NODE_FEATURES,
        lease: leaseId,
      };
      const guard = opts.joinsOnlyIf;
      const res = await conn.call('register the node', () => {
        const txn = conn.client.if(key, 'Create', '==', 0);
        if (guard) txn.and(guard.key, 'Value', '==', guard.value);
        return txn
          .then(lease.put(key).value(JSON.stringify(record)))
          .else(conn.client.get(key), ...(guard ? [conn.client.get(guard.key)] : []))
          .commit();
      });
      if (res.succeeded) {
        const { lease: _l, ...node } = record;
        return new EtcdMembership(conn, lease, leaseId, node, ttlSeconds, grantedAt, opts, onEnd);
      }
      await lease.revoke({ deadline: conn.deadline() }).catch(() => undefined);
      if (guard) {
        const held = res.responses[1]?.response_range?.kvs[0]?.value.toString('utf8');
        if (held !== guard.value) throw guard.refuse(held);
      }
      const holder = res.responses[0]?.response_range?.kvs[0];
      const holderLease = holder ? String(holder.lease) : '0';
      const ttl = await remainingTtl(conn, holderLease);
      // etcd reports whole seconds, truncated, and we look again >1 s later: a lease nobody renews
      // has dropped by at least one (until it reaches 0). Not dropping means someone renewed it. A
      // live holder is not always caught this way (renewal timing), but joinTimeoutMs bounds the wait
      // and correctness never depends on it: the create-if-absent transaction never steals an id.
      const renewed = previous !== undefined && previous.lease === holderLease && ttl > 0 && ttl >= previous.ttl;
      if (renewed || performance.now() + ttl * 1000 > giveUpAt) {
        throw new RegistryError('cluster.node-id-taken', `node id ${announcement.id} is held by another ${renewed ? 'live ' : ''}member`, {
          context: { node: announcement.id, holderLease, remainingTtlSeconds: ttl },
          hint: renewed
            ? 'another running node uses this id (its lease is being renewed); give each node its own --node-id'
            : 'this node restarted and its old lease has not expired yet, or another node uses the id; wait or use another --node-id',
        });
      }
      previous = { lease: holderLease, ttl };
      await new Promise((r) => setTimeout(r, 1100));
    }
  }

  get alive(): boolean {
    return this.live;
  }

  get validUntil(): number {
    return this.live ? Date.now() + this.remainingMs : 0;
  }

  /** ms until the membership could expire on the server (0 once lost). */
  get remainingMs(): number {
    return this.live ? Math.max(0, this.deadline - performance.now()) : 0;
  }

  onLost(listener: (error: CaxtonError) => void): () => void {
    return this.lostListeners.add(listener);
  }

  /** Revokes the lease: nodes/<id> and every key bound to it (ownership claims) go at once. */
  async leave(): Promise<void> {
    if (!this.live) return;
    this.stopTimers();
    this.live = false;
    this.onEnd(this);
    // Best effort: if etcd is unreachable the lease still expires by itself within the TTL.
    await this.conn.call('revoke the membership lease', () => this.lease.revoke({ deadline: this.conn.deadline() })).catch(() => undefined);
  }

  /** The lease this membership's claims must be bound to (etcd3 Lease, for lease.put()). */
  get etcdLease(): Lease {
    return this.lease;
  }

  private renewInterval(): number {
    return (this.ttlSeconds * 1000) / 3;
  }

  private scheduleRenew(delay: number): void {
    this.renewTimer = setTimeout(() => void this.renew(), delay);
  }

  private async renew(): Promise<void> {
    if (!this.live) return;
    const sentAt = performance.now();
    try {
      // Bounded by the time left, so a hung call cannot carry us past the deadline unnoticed.
      const budget = Math.max(100, Math.min(this.conn.callTimeoutMs, this.deadline - sentAt));
      const res = await this.conn.call(
        'renew the membership lease',
        () => this.lease.keepaliveOnce({ deadline: new Date(Date.now() + budget) }),
        budget + 200,
      );
      if (!this.live) return;
      const ttl = Number(res.TTL);
      if (ttl <= 0) return this.lose('the lease expired on the server');
      this.deadline = Math.max(this.deadline, sentAt + ttl * 1000 - this.margin);
      this.armExpiry();
      this.scheduleRenew(this.renewInterval());
    } catch (err) {
      if (!this.live) return;
      if (err instanceof RegistryError && err.code === 'registry.etcd-failed') return this.lose(`renewal refused: ${err.message}`);
      // Unreachable: retry soon; the expiry timer declares the loss if we never get through.
      this.scheduleRenew(Math.min(250, this.renewInterval()));
    }
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => {
        if (this.live && performance.now() >= this.deadline) this.lose('the lease could not be renewed before it could expire');
        else if (this.live) this.armExpiry();
      },
      Math.max(0, this.deadline - performance.now()),
    );
  }

  private stopTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
  }

  private lose(reason: string): void {
    if (!this.live) return;
    this.live = false;
    this.stopTimers();
    this.lease.release();
    this.onEnd(this);
    this.lostListeners.emit(
      new RegistryError('cluster.membership-lost', `node ${this.node.id} lost its cluster membership: ${reason}`, {
        context: { node: this.node.id, lease: this.leaseId },
        hint: 'its agents are being taken over by other nodes; the node rejoins with a new lease once etcd is reachable',
      }),
    );
  }
}

async function remainingTtl(conn: EtcdConnection, leaseId: string): Promise<number> {
  if (leaseId === '0') return 0;
  const res = await conn
    .call('inspect a lease', () => conn.client.leaseClient.leaseTimeToLive({ ID: leaseId }, { deadline: conn.deadline() }))
    .catch(() => undefined);
  return res ? Math.max(0, Number(res.TTL)) : 0; // -1 = already gone
}
