/**
 * Mail that waits for an activation (decisions 1980, 2060): in a cluster, deliveries waiting on a
 * partition stay within its cap (past it the newest are dead-lettered `activation-limit`, their
 * senders told to retry); mail for an instance of a kind whose record this node has not seen yet
 * waits a grace period for it; mail that can never be taken is dead-lettered with why.
 */
import { KIND_LIMITS, activationWaitsPerKey } from '@caxton/core';
import { agentLog } from '../local-agents.js';
import type { AgentKindsOptions } from './kind-options.js';
import type { KindTable } from './kind-table.js';

/** A cluster: how long mail for an instance of a kind not (yet) known here waits for the kind's record, and how often it looks again (decision 2060). */
const KIND_RECORD_GRACE_MS = 10_000;
const KIND_RECORD_RETRY_MS = 250;

export class KindMailWaits {
  private readonly o: AgentKindsOptions;

  constructor(private readonly t: KindTable) {
    this.o = t.o;
  }

  /**
   * A cluster: the deliveries waiting for activations on `name`'s partition stay within the cap
   * (`placed.activationWaitCap`), and one instance's within its share of it
   * (`activationWaitsPerKey`). Past either, only `name`'s newest deliveries — the ones that put it
   * over — are dead-lettered `bus.activation-limit` and their senders told to retry, as a send past
   * the shard's bound is refused on one node; mail that waited already, other senders' included,
   * keeps waiting. Checked at every arrival, so what waits on a partition never exceeds the cap:
   * the partition's window keeps room for everything else on it.
   */
  capWaits(name: string): void {
    const cap = this.t.placed?.activationWaitCap;
    const refuse = this.o.messaging.refuseNewest;
    if (cap === undefined || refuse === undefined) return;
    const depthOf = (n: string): number => this.o.messaging.mailboxDepth(n);
    const room = this.t.waiting.room(name, depthOf, cap, activationWaitsPerKey(cap));
    if (room === undefined || depthOf(name) <= room) return;
    if (room === 0) this.t.waiting.delete(name); // nothing of it may wait: its mail goes
    const retryMs = KIND_LIMITS.activationRetryAfterMs;
    const reason = `instance ${name} cannot be activated now: every slot of its shard holds an instance with work in hand, and ${cap} deliveries of its partition (${activationWaitsPerKey(cap)} per instance) may wait for activations on this node; retry after ${retryMs} ms`;
    void refuse.call(this.o.messaging, name, room, reason, 'activation-limit').then(
      () => this.rewait(name),
      (err: unknown) => {
        agentLog(
          this.o.events,
          name.slice(0, name.indexOf('/')),
          'warn',
          `deliveries for ${name} past the activation wait cap were not refused: ${(err as Error).message}`,
        );
        this.rewait(name);
      },
    );
  }

  /**
   * After a refusal: a letter that could not be written put its delivery back in the mailbox (the
   * bus's fenced path); it waits again, and the next arrival or freed slot looks at it again.
   */
  private rewait(name: string): void {
    if (this.t.closed || this.o.messaging.mailboxDepth(name) === 0 || this.t.isActive(name)) return;
    this.t.waiting.add(name);
  }

  /** True while mail for an instance of a kind not known here waits for the kind's record (looked at again shortly). */
  awaitKind(name: string): boolean {
    const now = this.t.now();
    const since = this.t.unknownKindSince.get(name);
    if (since !== undefined && now - since >= KIND_RECORD_GRACE_MS) {
      this.t.unknownKindSince.delete(name);
      return false;
    }
    if (since === undefined) {
      this.t.unknownKindSince.set(name, now);
      const retry = (): void =>
        this.t.later(KIND_RECORD_RETRY_MS, () => {
          if (this.t.closed || !this.t.unknownKindSince.has(name)) return;
          this.t.activate(name, true); // known now: activated (and forgotten here); else waits on, or is dead-lettered past the grace
          if (this.t.unknownKindSince.has(name)) retry();
        });
      retry();
    }
    return true;
  }

  async deadLetterAll(name: string, reason: string): Promise<void> {
    for (const d of this.o.messaging.forget(name)) {
      await this.o.messaging.deadLetter({ delivery: d, reason, attempts: 0, at: this.t.now() }).catch((err: unknown) => {
        agentLog(this.o.events, name, 'warn', `a delivery for ${name} could not be dead-lettered: ${(err as Error).message}`);
      });
    }
  }
}
