/**
 * Membership in a one-process "cluster". There is no lease a peer could see expire, so the only
 * ways out are leave() or the registry closing; `validUntil` is unbounded while alive, which makes
 * every ownership check pass, as it should with a single node.
 */
import type { CaxtonError } from '@caxton/core';
import type { Membership, NodeRecord } from '../../storage/records.js';
import { RegistryError } from '../errors.js';
import { Listeners } from '../listeners.js';

export class EmbeddedMembership implements Membership {
  private live = true;
  private readonly lostListeners = new Listeners<CaxtonError>();

  constructor(
    readonly node: NodeRecord,
    private readonly onEnd: () => void,
  ) {}

  get alive(): boolean {
    return this.live;
  }

  get validUntil(): number {
    return this.live ? Number.POSITIVE_INFINITY : 0;
  }

  get remainingMs(): number {
    return this.live ? Number.POSITIVE_INFINITY : 0;
  }

  onLost(listener: (error: CaxtonError) => void): () => void {
    return this.lostListeners.add(listener);
  }

  async leave(): Promise<void> {
    if (!this.live) return;
    this.live = false;
    this.onEnd();
  }

  /** The registry closed under us: that is a loss, not a deliberate leave. */
  end(): void {
    if (!this.live) return;
    this.live = false;
    this.onEnd();
    this.lostListeners.emit(
      new RegistryError('cluster.membership-lost', `node ${this.node.id} lost its membership: the registry closed`, {
        context: { node: this.node.id },
        hint: 'reopen the registry and join again',
      }),
    );
  }
}
